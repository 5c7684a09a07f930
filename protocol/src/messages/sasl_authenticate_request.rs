//! `SaslAuthenticateRequest`: the request of the SaslAuthenticate API (key 36), versions 0–2, flexible from v2.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;
use bytes::Bytes;

kafka_message! {
    /// The body of a SaslAuthenticate request (API key 36).
    SaslAuthenticateRequest { api: SaslAuthenticate, versions: 0-2, flexible: 2+ }
    {
        /// Kafka field `AuthBytes`: versions 0+.
        auth_bytes: Bytes = v(0+),
    }
}

impl Request for SaslAuthenticateRequest {
    type Response = super::SaslAuthenticateResponse;
}
