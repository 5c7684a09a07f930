//! `DescribeClusterRequest`: the request of the DescribeCluster API (key 60), versions 0–1, flexible from v0.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;

kafka_message! {
    /// The body of a DescribeCluster request (API key 60).
    DescribeClusterRequest { api: DescribeCluster, versions: 0-1, flexible: 0+ }
    {
        /// Kafka field `IncludeClusterAuthorizedOperations`: versions 0+.
        include_cluster_authorized_operations: bool = v(0+),
        /// Kafka field `EndpointType`: versions 1+, default `1`.
        endpoint_type: i8 = v(1+) default(1),
    }
}

impl Request for DescribeClusterRequest {
    type Response = super::DescribeClusterResponse;
}
