//! `FetchResponse`: the response of the Fetch API (key 1), versions 0–17, flexible from v12.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use crate::codec::Uuid;
use bytes::Bytes;

kafka_message! {
    /// The body of a Fetch response (API key 1).
    FetchResponse { api: Fetch, versions: 0-17, flexible: 12+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 1+.
        throttle_time_ms: i32 = v(1+),
        /// Kafka field `ErrorCode`: versions 7+.
        error_code: i16 = v(7+),
        /// Kafka field `SessionId`: versions 7+.
        session_id: i32 = v(7+),
        /// Kafka field `Responses`: versions 0+.
        responses: Vec<FetchableTopicResponse> = v(0+),
        /// Kafka field `NodeEndpoints`: versions 16+, tagged (tag 0).
        node_endpoints: Vec<NodeEndpoint> = v(16+) tag(0),
    }
}

kafka_struct! {
    /// A `FetchableTopicResponse` entry of [`FetchResponse::responses`].
    FetchableTopicResponse {
        /// Kafka field `Topic`: versions 0-12.
        topic: String = v(0-12),
        /// Kafka field `TopicId`: versions 13+.
        topic_id: Uuid = v(13+),
        /// Kafka field `Partitions`: versions 0+.
        partitions: Vec<PartitionData> = v(0+),
    }
}

kafka_struct! {
    /// A `NodeEndpoint` entry of [`FetchResponse::node_endpoints`].
    NodeEndpoint {
        /// Kafka field `NodeId`: versions 16+.
        node_id: i32 = v(16+),
        /// Kafka field `Host`: versions 16+.
        host: String = v(16+),
        /// Kafka field `Port`: versions 16+.
        port: i32 = v(16+),
        /// Kafka field `Rack`: versions 16+, nullable in 16+.
        rack: Option<String> = v(16+) null(16+),
    }
}

kafka_struct! {
    /// A `PartitionData` entry of [`FetchableTopicResponse::partitions`].
    PartitionData {
        /// Kafka field `PartitionIndex`: versions 0+.
        partition_index: i32 = v(0+),
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
        /// Kafka field `HighWatermark`: versions 0+.
        high_watermark: i64 = v(0+),
        /// Kafka field `LastStableOffset`: versions 4+, default `-1`.
        last_stable_offset: i64 = v(4+) default(-1),
        /// Kafka field `LogStartOffset`: versions 5+, default `-1`.
        log_start_offset: i64 = v(5+) default(-1),
        /// Kafka field `DivergingEpoch`: versions 12+, tagged (tag 0).
        diverging_epoch: EpochEndOffset = v(12+) tag(0),
        /// Kafka field `CurrentLeader`: versions 12+, tagged (tag 1).
        current_leader: LeaderIdAndEpoch = v(12+) tag(1),
        /// Kafka field `SnapshotId`: versions 12+, tagged (tag 2).
        snapshot_id: SnapshotId = v(12+) tag(2),
        /// Kafka field `AbortedTransactions`: versions 4+, nullable in 4+.
        aborted_transactions: Option<Vec<AbortedTransaction>> = v(4+) null(4+),
        /// Kafka field `PreferredReadReplica`: versions 11+, default `-1`.
        preferred_read_replica: i32 = v(11+) default(-1),
        /// Kafka field `Records`: versions 0+, nullable in 0+.
        records: Option<Bytes> = v(0+) null(0+),
    }
}

kafka_struct! {
    /// A `EpochEndOffset` entry of [`PartitionData::diverging_epoch`].
    EpochEndOffset {
        /// Kafka field `Epoch`: versions 12+, default `-1`.
        epoch: i32 = v(12+) default(-1),
        /// Kafka field `EndOffset`: versions 12+, default `-1`.
        end_offset: i64 = v(12+) default(-1),
    }
}

kafka_struct! {
    /// A `LeaderIdAndEpoch` entry of [`PartitionData::current_leader`].
    LeaderIdAndEpoch {
        /// Kafka field `LeaderId`: versions 12+, default `-1`.
        leader_id: i32 = v(12+) default(-1),
        /// Kafka field `LeaderEpoch`: versions 12+, default `-1`.
        leader_epoch: i32 = v(12+) default(-1),
    }
}

kafka_struct! {
    /// A `SnapshotId` entry of [`PartitionData::snapshot_id`].
    SnapshotId {
        /// Kafka field `EndOffset`: versions 0+, default `-1`.
        end_offset: i64 = v(0+) default(-1),
        /// Kafka field `Epoch`: versions 0+, default `-1`.
        epoch: i32 = v(0+) default(-1),
    }
}

kafka_struct! {
    /// A `AbortedTransaction` entry of [`PartitionData::aborted_transactions`].
    AbortedTransaction {
        /// Kafka field `ProducerId`: versions 4+.
        producer_id: i64 = v(4+),
        /// Kafka field `FirstOffset`: versions 4+.
        first_offset: i64 = v(4+),
    }
}
