//! `DeleteRecordsResponse`: the response of the DeleteRecords API (key 21), versions 0–2, flexible from v2.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

kafka_message! {
    /// The body of a DeleteRecords response (API key 21).
    DeleteRecordsResponse { api: DeleteRecords, versions: 0-2, flexible: 2+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 0+.
        throttle_time_ms: i32 = v(0+),
        /// Kafka field `Topics`: versions 0+.
        topics: Vec<DeleteRecordsTopicResult> = v(0+),
    }
}

kafka_struct! {
    /// A `DeleteRecordsTopicResult` entry of [`DeleteRecordsResponse::topics`].
    DeleteRecordsTopicResult {
        /// Kafka field `Name`: versions 0+.
        name: String = v(0+),
        /// Kafka field `Partitions`: versions 0+.
        partitions: Vec<DeleteRecordsPartitionResult> = v(0+),
    }
}

kafka_struct! {
    /// A `DeleteRecordsPartitionResult` entry of [`DeleteRecordsTopicResult::partitions`].
    DeleteRecordsPartitionResult {
        /// Kafka field `PartitionIndex`: versions 0+.
        partition_index: i32 = v(0+),
        /// Kafka field `LowWatermark`: versions 0+.
        low_watermark: i64 = v(0+),
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
    }
}
