//! `CreateTopicsResponse`: the response of the CreateTopics API (key 19), versions 0–7, flexible from v5.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use crate::codec::Uuid;

kafka_message! {
    /// The body of a CreateTopics response (API key 19).
    CreateTopicsResponse { api: CreateTopics, versions: 0-7, flexible: 5+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 2+.
        throttle_time_ms: i32 = v(2+),
        /// Kafka field `Topics`: versions 0+.
        topics: Vec<CreatableTopicResult> = v(0+),
    }
}

kafka_struct! {
    /// A `CreatableTopicResult` entry of [`CreateTopicsResponse::topics`].
    CreatableTopicResult {
        /// Kafka field `Name`: versions 0+.
        name: String = v(0+),
        /// Kafka field `TopicId`: versions 7+.
        topic_id: Uuid = v(7+),
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
        /// Kafka field `ErrorMessage`: versions 1+, nullable in 0+.
        error_message: Option<String> = v(1+) null(0+),
        /// Kafka field `TopicConfigErrorCode`: versions 5+, tagged (tag 0).
        topic_config_error_code: i16 = v(5+) tag(0),
        /// Kafka field `NumPartitions`: versions 5+, default `-1`.
        num_partitions: i32 = v(5+) default(-1),
        /// Kafka field `ReplicationFactor`: versions 5+, default `-1`.
        replication_factor: i16 = v(5+) default(-1),
        /// Kafka field `Configs`: versions 5+, nullable in 5+.
        configs: Option<Vec<CreatableTopicConfigs>> = v(5+) null(5+),
    }
}

kafka_struct! {
    /// A `CreatableTopicConfigs` entry of [`CreatableTopicResult::configs`].
    CreatableTopicConfigs {
        /// Kafka field `Name`: versions 5+.
        name: String = v(5+),
        /// Kafka field `Value`: versions 5+, nullable in 5+.
        value: Option<String> = v(5+) null(5+),
        /// Kafka field `ReadOnly`: versions 5+.
        read_only: bool = v(5+),
        /// Kafka field `ConfigSource`: versions 5+, default `-1`.
        config_source: i8 = v(5+) default(-1),
        /// Kafka field `IsSensitive`: versions 5+.
        is_sensitive: bool = v(5+),
    }
}
