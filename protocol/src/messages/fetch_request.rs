//! `FetchRequest`: the request of the Fetch API (key 1), versions 0–17, flexible from v12.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;
use crate::codec::Uuid;

kafka_message! {
    /// The body of a Fetch request (API key 1).
    FetchRequest { api: Fetch, versions: 0-17, flexible: 12+ }
    {
        /// Kafka field `ClusterId`: versions 12+, nullable in 12+, tagged (tag 0).
        cluster_id: Option<String> = v(12+) null(12+) tag(0),
        /// Kafka field `ReplicaId`: versions 0-14, default `-1`.
        replica_id: i32 = v(0-14) default(-1),
        /// Kafka field `ReplicaState`: versions 15+, tagged (tag 1).
        replica_state: ReplicaState = v(15+) tag(1),
        /// Kafka field `MaxWaitMs`: versions 0+.
        max_wait_ms: i32 = v(0+),
        /// Kafka field `MinBytes`: versions 0+.
        min_bytes: i32 = v(0+),
        /// Kafka field `MaxBytes`: versions 3+, default `0x7fffffff`.
        max_bytes: i32 = v(3+) default(0x7fffffff),
        /// Kafka field `IsolationLevel`: versions 4+.
        isolation_level: i8 = v(4+),
        /// Kafka field `SessionId`: versions 7+.
        session_id: i32 = v(7+),
        /// Kafka field `SessionEpoch`: versions 7+, default `-1`.
        session_epoch: i32 = v(7+) default(-1),
        /// Kafka field `Topics`: versions 0+.
        topics: Vec<FetchTopic> = v(0+),
        /// Kafka field `ForgottenTopicsData`: versions 7+.
        forgotten_topics_data: Vec<ForgottenTopic> = v(7+),
        /// Kafka field `RackId`: versions 11+.
        rack_id: String = v(11+),
    }
}

impl Request for FetchRequest {
    type Response = super::FetchResponse;
}

kafka_struct! {
    /// A `ReplicaState` entry of [`FetchRequest::replica_state`].
    ReplicaState {
        /// Kafka field `ReplicaId`: versions 15+, default `-1`.
        replica_id: i32 = v(15+) default(-1),
        /// Kafka field `ReplicaEpoch`: versions 15+, default `-1`.
        replica_epoch: i64 = v(15+) default(-1),
    }
}

kafka_struct! {
    /// A `FetchTopic` entry of [`FetchRequest::topics`].
    FetchTopic {
        /// Kafka field `Topic`: versions 0-12.
        topic: String = v(0-12),
        /// Kafka field `TopicId`: versions 13+.
        topic_id: Uuid = v(13+),
        /// Kafka field `Partitions`: versions 0+.
        partitions: Vec<FetchPartition> = v(0+),
    }
}

kafka_struct! {
    /// A `ForgottenTopic` entry of [`FetchRequest::forgotten_topics_data`].
    ForgottenTopic {
        /// Kafka field `Topic`: versions 7-12.
        topic: String = v(7-12),
        /// Kafka field `TopicId`: versions 13+.
        topic_id: Uuid = v(13+),
        /// Kafka field `Partitions`: versions 7+.
        partitions: Vec<i32> = v(7+),
    }
}

kafka_struct! {
    /// A `FetchPartition` entry of [`FetchTopic::partitions`].
    FetchPartition {
        /// Kafka field `Partition`: versions 0+.
        partition: i32 = v(0+),
        /// Kafka field `CurrentLeaderEpoch`: versions 9+, default `-1`.
        current_leader_epoch: i32 = v(9+) default(-1),
        /// Kafka field `FetchOffset`: versions 0+.
        fetch_offset: i64 = v(0+),
        /// Kafka field `LastFetchedEpoch`: versions 12+, default `-1`.
        last_fetched_epoch: i32 = v(12+) default(-1),
        /// Kafka field `LogStartOffset`: versions 5+, default `-1`.
        log_start_offset: i64 = v(5+) default(-1),
        /// Kafka field `PartitionMaxBytes`: versions 0+.
        partition_max_bytes: i32 = v(0+),
        /// Kafka field `ReplicaDirectoryId`: versions 17+, tagged (tag 0).
        replica_directory_id: Uuid = v(17+) tag(0),
    }
}
