//! `AddOffsetsToTxnResponse`: the response of the AddOffsetsToTxn API (key 25), versions 0–4, flexible from v3.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

kafka_message! {
    /// The body of a AddOffsetsToTxn response (API key 25).
    AddOffsetsToTxnResponse { api: AddOffsetsToTxn, versions: 0-4, flexible: 3+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 0+.
        throttle_time_ms: i32 = v(0+),
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
    }
}
