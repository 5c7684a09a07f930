//! `DeleteTopicsRequest`: the request of the DeleteTopics API (key 20), versions 0–6, flexible from v4.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;
use crate::codec::Uuid;

kafka_message! {
    /// The body of a DeleteTopics request (API key 20).
    DeleteTopicsRequest { api: DeleteTopics, versions: 0-6, flexible: 4+ }
    {
        /// Kafka field `Topics`: versions 6+.
        topics: Vec<DeleteTopicState> = v(6+),
        /// Kafka field `TopicNames`: versions 0-5.
        topic_names: Vec<String> = v(0-5),
        /// Kafka field `TimeoutMs`: versions 0+.
        timeout_ms: i32 = v(0+),
    }
}

impl Request for DeleteTopicsRequest {
    type Response = super::DeleteTopicsResponse;
}

kafka_struct! {
    /// A `DeleteTopicState` entry of [`DeleteTopicsRequest::topics`].
    DeleteTopicState {
        /// Kafka field `Name`: versions 6+, nullable in 6+.
        name: Option<String> = v(6+) null(6+),
        /// Kafka field `TopicId`: versions 6+.
        topic_id: Uuid = v(6+),
    }
}
