//! `OffsetForLeaderEpochRequest`: the request of the OffsetForLeaderEpoch API (key 23), versions 0–4, flexible from v4.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;

kafka_message! {
    /// The body of a OffsetForLeaderEpoch request (API key 23).
    OffsetForLeaderEpochRequest { api: OffsetForLeaderEpoch, versions: 0-4, flexible: 4+ }
    {
        /// Kafka field `ReplicaId`: versions 3+, default `-2`.
        replica_id: i32 = v(3+) default(-2),
        /// Kafka field `Topics`: versions 0+.
        topics: Vec<OffsetForLeaderTopic> = v(0+),
    }
}

impl Request for OffsetForLeaderEpochRequest {
    type Response = super::OffsetForLeaderEpochResponse;
}

kafka_struct! {
    /// A `OffsetForLeaderTopic` entry of [`OffsetForLeaderEpochRequest::topics`].
    OffsetForLeaderTopic {
        /// Kafka field `Topic`: versions 0+.
        topic: String = v(0+),
        /// Kafka field `Partitions`: versions 0+.
        partitions: Vec<OffsetForLeaderPartition> = v(0+),
    }
}

kafka_struct! {
    /// A `OffsetForLeaderPartition` entry of [`OffsetForLeaderTopic::partitions`].
    OffsetForLeaderPartition {
        /// Kafka field `Partition`: versions 0+.
        partition: i32 = v(0+),
        /// Kafka field `CurrentLeaderEpoch`: versions 2+, default `-1`.
        current_leader_epoch: i32 = v(2+) default(-1),
        /// Kafka field `LeaderEpoch`: versions 0+.
        leader_epoch: i32 = v(0+),
    }
}
