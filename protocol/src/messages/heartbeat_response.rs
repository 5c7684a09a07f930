//! `HeartbeatResponse`: the response of the Heartbeat API (key 12), versions 0–4, flexible from v4.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

kafka_message! {
    /// The body of a Heartbeat response (API key 12).
    HeartbeatResponse { api: Heartbeat, versions: 0-4, flexible: 4+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 1+.
        throttle_time_ms: i32 = v(1+),
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
    }
}
