//! `DescribeConfigsRequest`: the request of the DescribeConfigs API (key 32), versions 0–4, flexible from v4.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;

kafka_message! {
    /// The body of a DescribeConfigs request (API key 32).
    DescribeConfigsRequest { api: DescribeConfigs, versions: 0-4, flexible: 4+ }
    {
        /// Kafka field `Resources`: versions 0+.
        resources: Vec<DescribeConfigsResource> = v(0+),
        /// Kafka field `IncludeSynonyms`: versions 1+.
        include_synonyms: bool = v(1+),
        /// Kafka field `IncludeDocumentation`: versions 3+.
        include_documentation: bool = v(3+),
    }
}

impl Request for DescribeConfigsRequest {
    type Response = super::DescribeConfigsResponse;
}

kafka_struct! {
    /// A `DescribeConfigsResource` entry of [`DescribeConfigsRequest::resources`].
    DescribeConfigsResource {
        /// Kafka field `ResourceType`: versions 0+.
        resource_type: i8 = v(0+),
        /// Kafka field `ResourceName`: versions 0+.
        resource_name: String = v(0+),
        /// Kafka field `ConfigurationKeys`: versions 0+, nullable in 0+.
        configuration_keys: Option<Vec<String>> = v(0+) null(0+),
    }
}
