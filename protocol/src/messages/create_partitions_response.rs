//! `CreatePartitionsResponse`: the response of the CreatePartitions API (key 37), versions 0–3, flexible from v2.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

kafka_message! {
    /// The body of a CreatePartitions response (API key 37).
    CreatePartitionsResponse { api: CreatePartitions, versions: 0-3, flexible: 2+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 0+.
        throttle_time_ms: i32 = v(0+),
        /// Kafka field `Results`: versions 0+.
        results: Vec<CreatePartitionsTopicResult> = v(0+),
    }
}

kafka_struct! {
    /// A `CreatePartitionsTopicResult` entry of [`CreatePartitionsResponse::results`].
    CreatePartitionsTopicResult {
        /// Kafka field `Name`: versions 0+.
        name: String = v(0+),
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
        /// Kafka field `ErrorMessage`: versions 0+, nullable in 0+.
        error_message: Option<String> = v(0+) null(0+),
    }
}
