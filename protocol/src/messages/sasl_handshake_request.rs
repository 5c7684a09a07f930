//! `SaslHandshakeRequest`: the request of the SaslHandshake API (key 17), versions 0–1, never flexible.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;

kafka_message! {
    /// The body of a SaslHandshake request (API key 17).
    SaslHandshakeRequest { api: SaslHandshake, versions: 0-1, flexible: none }
    {
        /// Kafka field `Mechanism`: versions 0+.
        mechanism: String = v(0+),
    }
}

impl Request for SaslHandshakeRequest {
    type Response = super::SaslHandshakeResponse;
}
