//! `DescribeGroupsRequest`: the request of the DescribeGroups API (key 15), versions 0–5, flexible from v5.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;

kafka_message! {
    /// The body of a DescribeGroups request (API key 15).
    DescribeGroupsRequest { api: DescribeGroups, versions: 0-5, flexible: 5+ }
    {
        /// Kafka field `Groups`: versions 0+.
        groups: Vec<String> = v(0+),
        /// Kafka field `IncludeAuthorizedOperations`: versions 3+.
        include_authorized_operations: bool = v(3+),
    }
}

impl Request for DescribeGroupsRequest {
    type Response = super::DescribeGroupsResponse;
}
