//! `TxnOffsetCommitResponse`: the response of the TxnOffsetCommit API (key 28), versions 0–4, flexible from v3.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

kafka_message! {
    /// The body of a TxnOffsetCommit response (API key 28).
    TxnOffsetCommitResponse { api: TxnOffsetCommit, versions: 0-4, flexible: 3+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 0+.
        throttle_time_ms: i32 = v(0+),
        /// Kafka field `Topics`: versions 0+.
        topics: Vec<TxnOffsetCommitResponseTopic> = v(0+),
    }
}

kafka_struct! {
    /// A `TxnOffsetCommitResponseTopic` entry of [`TxnOffsetCommitResponse::topics`].
    TxnOffsetCommitResponseTopic {
        /// Kafka field `Name`: versions 0+.
        name: String = v(0+),
        /// Kafka field `Partitions`: versions 0+.
        partitions: Vec<TxnOffsetCommitResponsePartition> = v(0+),
    }
}

kafka_struct! {
    /// A `TxnOffsetCommitResponsePartition` entry of [`TxnOffsetCommitResponseTopic::partitions`].
    TxnOffsetCommitResponsePartition {
        /// Kafka field `PartitionIndex`: versions 0+.
        partition_index: i32 = v(0+),
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
    }
}
