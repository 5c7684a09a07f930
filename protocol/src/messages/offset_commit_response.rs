//! `OffsetCommitResponse`: the response of the OffsetCommit API (key 8), versions 0–9, flexible from v8.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

kafka_message! {
    /// The body of a OffsetCommit response (API key 8).
    OffsetCommitResponse { api: OffsetCommit, versions: 0-9, flexible: 8+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 3+.
        throttle_time_ms: i32 = v(3+),
        /// Kafka field `Topics`: versions 0+.
        topics: Vec<OffsetCommitResponseTopic> = v(0+),
    }
}

kafka_struct! {
    /// A `OffsetCommitResponseTopic` entry of [`OffsetCommitResponse::topics`].
    OffsetCommitResponseTopic {
        /// Kafka field `Name`: versions 0+.
        name: String = v(0+),
        /// Kafka field `Partitions`: versions 0+.
        partitions: Vec<OffsetCommitResponsePartition> = v(0+),
    }
}

kafka_struct! {
    /// A `OffsetCommitResponsePartition` entry of [`OffsetCommitResponseTopic::partitions`].
    OffsetCommitResponsePartition {
        /// Kafka field `PartitionIndex`: versions 0+.
        partition_index: i32 = v(0+),
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
    }
}
