//! `IncrementalAlterConfigsResponse`: the response of the IncrementalAlterConfigs API (key 44), versions 0–1, flexible from v1.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

kafka_message! {
    /// The body of a IncrementalAlterConfigs response (API key 44).
    IncrementalAlterConfigsResponse { api: IncrementalAlterConfigs, versions: 0-1, flexible: 1+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 0+.
        throttle_time_ms: i32 = v(0+),
        /// Kafka field `Responses`: versions 0+.
        responses: Vec<AlterConfigsResourceResponse> = v(0+),
    }
}

kafka_struct! {
    /// A `AlterConfigsResourceResponse` entry of [`IncrementalAlterConfigsResponse::responses`].
    AlterConfigsResourceResponse {
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
        /// Kafka field `ErrorMessage`: versions 0+, nullable in 0+.
        error_message: Option<String> = v(0+) null(0+),
        /// Kafka field `ResourceType`: versions 0+.
        resource_type: i8 = v(0+),
        /// Kafka field `ResourceName`: versions 0+.
        resource_name: String = v(0+),
    }
}
