//! `SyncGroupResponse`: the response of the SyncGroup API (key 14), versions 0–5, flexible from v4.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use bytes::Bytes;

kafka_message! {
    /// The body of a SyncGroup response (API key 14).
    SyncGroupResponse { api: SyncGroup, versions: 0-5, flexible: 4+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 1+.
        throttle_time_ms: i32 = v(1+),
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
        /// Kafka field `ProtocolType`: versions 5+, nullable in 5+.
        protocol_type: Option<String> = v(5+) null(5+),
        /// Kafka field `ProtocolName`: versions 5+, nullable in 5+.
        protocol_name: Option<String> = v(5+) null(5+),
        /// Kafka field `Assignment`: versions 0+.
        assignment: Bytes = v(0+),
    }
}
