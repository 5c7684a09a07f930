//! `DeleteTopicsResponse`: the response of the DeleteTopics API (key 20), versions 0–6, flexible from v4.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use crate::codec::Uuid;

kafka_message! {
    /// The body of a DeleteTopics response (API key 20).
    DeleteTopicsResponse { api: DeleteTopics, versions: 0-6, flexible: 4+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 1+.
        throttle_time_ms: i32 = v(1+),
        /// Kafka field `Responses`: versions 0+.
        responses: Vec<DeletableTopicResult> = v(0+),
    }
}

kafka_struct! {
    /// A `DeletableTopicResult` entry of [`DeleteTopicsResponse::responses`].
    DeletableTopicResult {
        /// Kafka field `Name`: versions 0+, nullable in 6+.
        name: Option<String> = v(0+) null(6+),
        /// Kafka field `TopicId`: versions 6+.
        topic_id: Uuid = v(6+),
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
        /// Kafka field `ErrorMessage`: versions 5+, nullable in 5+.
        error_message: Option<String> = v(5+) null(5+),
    }
}
