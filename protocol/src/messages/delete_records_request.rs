//! `DeleteRecordsRequest`: the request of the DeleteRecords API (key 21), versions 0–2, flexible from v2.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;

kafka_message! {
    /// The body of a DeleteRecords request (API key 21).
    DeleteRecordsRequest { api: DeleteRecords, versions: 0-2, flexible: 2+ }
    {
        /// Kafka field `Topics`: versions 0+.
        topics: Vec<DeleteRecordsTopic> = v(0+),
        /// Kafka field `TimeoutMs`: versions 0+.
        timeout_ms: i32 = v(0+),
    }
}

impl Request for DeleteRecordsRequest {
    type Response = super::DeleteRecordsResponse;
}

kafka_struct! {
    /// A `DeleteRecordsTopic` entry of [`DeleteRecordsRequest::topics`].
    DeleteRecordsTopic {
        /// Kafka field `Name`: versions 0+.
        name: String = v(0+),
        /// Kafka field `Partitions`: versions 0+.
        partitions: Vec<DeleteRecordsPartition> = v(0+),
    }
}

kafka_struct! {
    /// A `DeleteRecordsPartition` entry of [`DeleteRecordsTopic::partitions`].
    DeleteRecordsPartition {
        /// Kafka field `PartitionIndex`: versions 0+.
        partition_index: i32 = v(0+),
        /// Kafka field `Offset`: versions 0+.
        offset: i64 = v(0+),
    }
}
