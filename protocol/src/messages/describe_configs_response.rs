//! `DescribeConfigsResponse`: the response of the DescribeConfigs API (key 32), versions 0–4, flexible from v4.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

kafka_message! {
    /// The body of a DescribeConfigs response (API key 32).
    DescribeConfigsResponse { api: DescribeConfigs, versions: 0-4, flexible: 4+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 0+.
        throttle_time_ms: i32 = v(0+),
        /// Kafka field `Results`: versions 0+.
        results: Vec<DescribeConfigsResult> = v(0+),
    }
}

kafka_struct! {
    /// A `DescribeConfigsResult` entry of [`DescribeConfigsResponse::results`].
    DescribeConfigsResult {
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
        /// Kafka field `ErrorMessage`: versions 0+, nullable in 0+.
        error_message: Option<String> = v(0+) null(0+),
        /// Kafka field `ResourceType`: versions 0+.
        resource_type: i8 = v(0+),
        /// Kafka field `ResourceName`: versions 0+.
        resource_name: String = v(0+),
        /// Kafka field `Configs`: versions 0+.
        configs: Vec<DescribeConfigsResourceResult> = v(0+),
    }
}

kafka_struct! {
    /// A `DescribeConfigsResourceResult` entry of [`DescribeConfigsResult::configs`].
    DescribeConfigsResourceResult {
        /// Kafka field `Name`: versions 0+.
        name: String = v(0+),
        /// Kafka field `Value`: versions 0+, nullable in 0+.
        value: Option<String> = v(0+) null(0+),
        /// Kafka field `ReadOnly`: versions 0+.
        read_only: bool = v(0+),
        /// Kafka field `IsDefault`: versions 0.
        is_default: bool = v(0),
        /// Kafka field `ConfigSource`: versions 1+, default `-1`.
        config_source: i8 = v(1+) default(-1),
        /// Kafka field `IsSensitive`: versions 0+.
        is_sensitive: bool = v(0+),
        /// Kafka field `Synonyms`: versions 1+.
        synonyms: Vec<DescribeConfigsSynonym> = v(1+),
        /// Kafka field `ConfigType`: versions 3+.
        config_type: i8 = v(3+),
        /// Kafka field `Documentation`: versions 3+, nullable in 0+.
        documentation: Option<String> = v(3+) null(0+),
    }
}

kafka_struct! {
    /// A `DescribeConfigsSynonym` entry of [`DescribeConfigsResourceResult::synonyms`].
    DescribeConfigsSynonym {
        /// Kafka field `Name`: versions 1+.
        name: String = v(1+),
        /// Kafka field `Value`: versions 1+, nullable in 0+.
        value: Option<String> = v(1+) null(0+),
        /// Kafka field `Source`: versions 1+.
        source: i8 = v(1+),
    }
}
