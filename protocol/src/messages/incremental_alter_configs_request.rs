//! `IncrementalAlterConfigsRequest`: the request of the IncrementalAlterConfigs API (key 44), versions 0–1, flexible from v1.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;

kafka_message! {
    /// The body of a IncrementalAlterConfigs request (API key 44).
    IncrementalAlterConfigsRequest { api: IncrementalAlterConfigs, versions: 0-1, flexible: 1+ }
    {
        /// Kafka field `Resources`: versions 0+.
        resources: Vec<AlterConfigsResource> = v(0+),
        /// Kafka field `ValidateOnly`: versions 0+.
        validate_only: bool = v(0+),
    }
}

impl Request for IncrementalAlterConfigsRequest {
    type Response = super::IncrementalAlterConfigsResponse;
}

kafka_struct! {
    /// A `AlterConfigsResource` entry of [`IncrementalAlterConfigsRequest::resources`].
    AlterConfigsResource {
        /// Kafka field `ResourceType`: versions 0+.
        resource_type: i8 = v(0+),
        /// Kafka field `ResourceName`: versions 0+.
        resource_name: String = v(0+),
        /// Kafka field `Configs`: versions 0+.
        configs: Vec<AlterableConfig> = v(0+),
    }
}

kafka_struct! {
    /// A `AlterableConfig` entry of [`AlterConfigsResource::configs`].
    AlterableConfig {
        /// Kafka field `Name`: versions 0+.
        name: String = v(0+),
        /// Kafka field `ConfigOperation`: versions 0+.
        config_operation: i8 = v(0+),
        /// Kafka field `Value`: versions 0+, nullable in 0+.
        value: Option<String> = v(0+) null(0+),
    }
}
