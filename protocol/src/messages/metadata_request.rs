//! `MetadataRequest`: the request of the Metadata API (key 3), versions 0–12, flexible from v9.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;
use crate::codec::Uuid;

kafka_message! {
    /// The body of a Metadata request (API key 3).
    MetadataRequest { api: Metadata, versions: 0-12, flexible: 9+ }
    {
        /// Kafka field `Topics`: versions 0+, nullable in 1+.
        topics: Option<Vec<MetadataRequestTopic>> = v(0+) null(1+),
        /// Kafka field `AllowAutoTopicCreation`: versions 4+, default `true`.
        allow_auto_topic_creation: bool = v(4+) default(true),
        /// Kafka field `IncludeClusterAuthorizedOperations`: versions 8-10.
        include_cluster_authorized_operations: bool = v(8-10),
        /// Kafka field `IncludeTopicAuthorizedOperations`: versions 8+.
        include_topic_authorized_operations: bool = v(8+),
    }
}

impl Request for MetadataRequest {
    type Response = super::MetadataResponse;
}

kafka_struct! {
    /// A `MetadataRequestTopic` entry of [`MetadataRequest::topics`].
    MetadataRequestTopic {
        /// Kafka field `TopicId`: versions 10+.
        topic_id: Uuid = v(10+),
        /// Kafka field `Name`: versions 0+, nullable in 10+.
        name: Option<String> = v(0+) null(10+),
    }
}
