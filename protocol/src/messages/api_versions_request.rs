//! `ApiVersionsRequest`: the request of the ApiVersions API (key 18), versions 0–4, flexible from v3.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;

kafka_message! {
    /// The body of a ApiVersions request (API key 18).
    ApiVersionsRequest { api: ApiVersions, versions: 0-4, flexible: 3+ }
    {
        /// Kafka field `ClientSoftwareName`: versions 3+.
        client_software_name: String = v(3+),
        /// Kafka field `ClientSoftwareVersion`: versions 3+.
        client_software_version: String = v(3+),
    }
}

impl Request for ApiVersionsRequest {
    type Response = super::ApiVersionsResponse;
}
