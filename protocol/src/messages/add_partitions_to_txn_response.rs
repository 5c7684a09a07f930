//! `AddPartitionsToTxnResponse`: the response of the AddPartitionsToTxn API (key 24), versions 0–5, flexible from v3.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

kafka_message! {
    /// The body of a AddPartitionsToTxn response (API key 24).
    AddPartitionsToTxnResponse { api: AddPartitionsToTxn, versions: 0-5, flexible: 3+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 0+.
        throttle_time_ms: i32 = v(0+),
        /// Kafka field `ErrorCode`: versions 4+.
        error_code: i16 = v(4+),
        /// Kafka field `ResultsByTransaction`: versions 4+.
        results_by_transaction: Vec<AddPartitionsToTxnResult> = v(4+),
        /// Kafka field `ResultsByTopicV3AndBelow`: versions 0-3.
        results_by_topic_v3_and_below: Vec<AddPartitionsToTxnTopicResult> = v(0-3),
    }
}

kafka_struct! {
    /// A `AddPartitionsToTxnResult` entry of [`AddPartitionsToTxnResponse::results_by_transaction`].
    AddPartitionsToTxnResult {
        /// Kafka field `TransactionalId`: versions 4+.
        transactional_id: String = v(4+),
        /// Kafka field `TopicResults`: versions 4+.
        topic_results: Vec<AddPartitionsToTxnTopicResult> = v(4+),
    }
}

kafka_struct! {
    /// A `AddPartitionsToTxnTopicResult` entry of [`AddPartitionsToTxnResponse::results_by_topic_v3_and_below`].
    AddPartitionsToTxnTopicResult {
        /// Kafka field `Name`: versions 0+.
        name: String = v(0+),
        /// Kafka field `ResultsByPartition`: versions 0+.
        results_by_partition: Vec<AddPartitionsToTxnPartitionResult> = v(0+),
    }
}

kafka_struct! {
    /// A `AddPartitionsToTxnPartitionResult` entry of [`AddPartitionsToTxnTopicResult::results_by_partition`].
    AddPartitionsToTxnPartitionResult {
        /// Kafka field `PartitionIndex`: versions 0+.
        partition_index: i32 = v(0+),
        /// Kafka field `PartitionErrorCode`: versions 0+.
        partition_error_code: i16 = v(0+),
    }
}
