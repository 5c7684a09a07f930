//! `ListOffsetsRequest`: the request of the ListOffsets API (key 2), versions 0–10, flexible from v6.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;

kafka_message! {
    /// The body of a ListOffsets request (API key 2).
    ListOffsetsRequest { api: ListOffsets, versions: 0-10, flexible: 6+ }
    {
        /// Kafka field `ReplicaId`: versions 0+.
        replica_id: i32 = v(0+),
        /// Kafka field `IsolationLevel`: versions 2+.
        isolation_level: i8 = v(2+),
        /// Kafka field `Topics`: versions 0+.
        topics: Vec<ListOffsetsTopic> = v(0+),
        /// Kafka field `TimeoutMs`: versions 10+.
        timeout_ms: i32 = v(10+),
    }
}

impl Request for ListOffsetsRequest {
    type Response = super::ListOffsetsResponse;
}

kafka_struct! {
    /// A `ListOffsetsTopic` entry of [`ListOffsetsRequest::topics`].
    ListOffsetsTopic {
        /// Kafka field `Name`: versions 0+.
        name: String = v(0+),
        /// Kafka field `Partitions`: versions 0+.
        partitions: Vec<ListOffsetsPartition> = v(0+),
    }
}

kafka_struct! {
    /// A `ListOffsetsPartition` entry of [`ListOffsetsTopic::partitions`].
    ListOffsetsPartition {
        /// Kafka field `PartitionIndex`: versions 0+.
        partition_index: i32 = v(0+),
        /// Kafka field `CurrentLeaderEpoch`: versions 4+, default `-1`.
        current_leader_epoch: i32 = v(4+) default(-1),
        /// Kafka field `Timestamp`: versions 0+.
        timestamp: i64 = v(0+),
        /// Kafka field `MaxNumOffsets`: versions 0, default `1`.
        max_num_offsets: i32 = v(0) default(1),
    }
}
