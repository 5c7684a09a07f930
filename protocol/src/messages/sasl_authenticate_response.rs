//! `SaslAuthenticateResponse`: the response of the SaslAuthenticate API (key 36), versions 0–2, flexible from v2.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use bytes::Bytes;

kafka_message! {
    /// The body of a SaslAuthenticate response (API key 36).
    SaslAuthenticateResponse { api: SaslAuthenticate, versions: 0-2, flexible: 2+ }
    {
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
        /// Kafka field `ErrorMessage`: versions 0+, nullable in 0+.
        error_message: Option<String> = v(0+) null(0+),
        /// Kafka field `AuthBytes`: versions 0+.
        auth_bytes: Bytes = v(0+),
        /// Kafka field `SessionLifetimeMs`: versions 1+.
        session_lifetime_ms: i64 = v(1+),
    }
}
