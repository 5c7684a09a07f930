//! `ApiVersionsResponse`: the response of the ApiVersions API (key 18), versions 0–4, flexible from v3.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

kafka_message! {
    /// The body of a ApiVersions response (API key 18).
    ApiVersionsResponse { api: ApiVersions, versions: 0-4, flexible: 3+ }
    {
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
        /// Kafka field `ApiKeys`: versions 0+.
        api_keys: Vec<ApiVersion> = v(0+),
        /// Kafka field `ThrottleTimeMs`: versions 1+.
        throttle_time_ms: i32 = v(1+),
        /// Kafka field `SupportedFeatures`: versions 3+, tagged (tag 0).
        supported_features: Vec<SupportedFeatureKey> = v(3+) tag(0),
        /// Kafka field `FinalizedFeaturesEpoch`: versions 3+, tagged (tag 1), default `-1`.
        finalized_features_epoch: i64 = v(3+) tag(1) default(-1),
        /// Kafka field `FinalizedFeatures`: versions 3+, tagged (tag 2).
        finalized_features: Vec<FinalizedFeatureKey> = v(3+) tag(2),
        /// Kafka field `ZkMigrationReady`: versions 3+, tagged (tag 3).
        zk_migration_ready: bool = v(3+) tag(3),
    }
}

kafka_struct! {
    /// A `ApiVersion` entry of [`ApiVersionsResponse::api_keys`].
    ApiVersion {
        /// Kafka field `ApiKey`: versions 0+.
        api_key: i16 = v(0+),
        /// Kafka field `MinVersion`: versions 0+.
        min_version: i16 = v(0+),
        /// Kafka field `MaxVersion`: versions 0+.
        max_version: i16 = v(0+),
    }
}

kafka_struct! {
    /// A `SupportedFeatureKey` entry of [`ApiVersionsResponse::supported_features`].
    SupportedFeatureKey {
        /// Kafka field `Name`: versions 3+.
        name: String = v(3+),
        /// Kafka field `MinVersion`: versions 3+.
        min_version: i16 = v(3+),
        /// Kafka field `MaxVersion`: versions 3+.
        max_version: i16 = v(3+),
    }
}

kafka_struct! {
    /// A `FinalizedFeatureKey` entry of [`ApiVersionsResponse::finalized_features`].
    FinalizedFeatureKey {
        /// Kafka field `Name`: versions 3+.
        name: String = v(3+),
        /// Kafka field `MaxVersionLevel`: versions 3+.
        max_version_level: i16 = v(3+),
        /// Kafka field `MinVersionLevel`: versions 3+.
        min_version_level: i16 = v(3+),
    }
}
