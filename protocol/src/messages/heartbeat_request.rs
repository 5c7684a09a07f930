//! `HeartbeatRequest`: the request of the Heartbeat API (key 12), versions 0–4, flexible from v4.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;

kafka_message! {
    /// The body of a Heartbeat request (API key 12).
    HeartbeatRequest { api: Heartbeat, versions: 0-4, flexible: 4+ }
    {
        /// Kafka field `GroupId`: versions 0+.
        group_id: String = v(0+),
        /// Kafka field `GenerationId`: versions 0+.
        generation_id: i32 = v(0+),
        /// Kafka field `MemberId`: versions 0+.
        member_id: String = v(0+),
        /// Kafka field `GroupInstanceId`: versions 3+, nullable in 3+.
        group_instance_id: Option<String> = v(3+) null(3+),
    }
}

impl Request for HeartbeatRequest {
    type Response = super::HeartbeatResponse;
}
