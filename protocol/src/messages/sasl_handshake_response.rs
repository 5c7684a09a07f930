//! `SaslHandshakeResponse`: the response of the SaslHandshake API (key 17), versions 0–1, never flexible.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

kafka_message! {
    /// The body of a SaslHandshake response (API key 17).
    SaslHandshakeResponse { api: SaslHandshake, versions: 0-1, flexible: none }
    {
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
        /// Kafka field `Mechanisms`: versions 0+.
        mechanisms: Vec<String> = v(0+),
    }
}
