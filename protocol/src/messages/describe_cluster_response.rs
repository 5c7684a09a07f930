//! `DescribeClusterResponse`: the response of the DescribeCluster API (key 60), versions 0–1, flexible from v0.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

kafka_message! {
    /// The body of a DescribeCluster response (API key 60).
    DescribeClusterResponse { api: DescribeCluster, versions: 0-1, flexible: 0+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 0+.
        throttle_time_ms: i32 = v(0+),
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
        /// Kafka field `ErrorMessage`: versions 0+, nullable in 0+.
        error_message: Option<String> = v(0+) null(0+),
        /// Kafka field `EndpointType`: versions 1+, default `1`.
        endpoint_type: i8 = v(1+) default(1),
        /// Kafka field `ClusterId`: versions 0+.
        cluster_id: String = v(0+),
        /// Kafka field `ControllerId`: versions 0+, default `-1`.
        controller_id: i32 = v(0+) default(-1),
        /// Kafka field `Brokers`: versions 0+.
        brokers: Vec<DescribeClusterBroker> = v(0+),
        /// Kafka field `ClusterAuthorizedOperations`: versions 0+, default `-2147483648`.
        cluster_authorized_operations: i32 = v(0+) default(i32::MIN),
    }
}

kafka_struct! {
    /// A `DescribeClusterBroker` entry of [`DescribeClusterResponse::brokers`].
    DescribeClusterBroker {
        /// Kafka field `BrokerId`: versions 0+.
        broker_id: i32 = v(0+),
        /// Kafka field `Host`: versions 0+.
        host: String = v(0+),
        /// Kafka field `Port`: versions 0+.
        port: i32 = v(0+),
        /// Kafka field `Rack`: versions 0+, nullable in 0+.
        rack: Option<String> = v(0+) null(0+),
    }
}
