//! `JoinGroupResponse`: the response of the JoinGroup API (key 11), versions 0–9, flexible from v6.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use bytes::Bytes;

kafka_message! {
    /// The body of a JoinGroup response (API key 11).
    JoinGroupResponse { api: JoinGroup, versions: 0-9, flexible: 6+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 2+.
        throttle_time_ms: i32 = v(2+),
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
        /// Kafka field `GenerationId`: versions 0+, default `-1`.
        generation_id: i32 = v(0+) default(-1),
        /// Kafka field `ProtocolType`: versions 7+, nullable in 7+.
        protocol_type: Option<String> = v(7+) null(7+),
        /// Kafka field `ProtocolName`: versions 0+, nullable in 7+.
        protocol_name: Option<String> = v(0+) null(7+),
        /// Kafka field `Leader`: versions 0+.
        leader: String = v(0+),
        /// Kafka field `SkipAssignment`: versions 9+.
        skip_assignment: bool = v(9+),
        /// Kafka field `MemberId`: versions 0+.
        member_id: String = v(0+),
        /// Kafka field `Members`: versions 0+.
        members: Vec<JoinGroupResponseMember> = v(0+),
    }
}

kafka_struct! {
    /// A `JoinGroupResponseMember` entry of [`JoinGroupResponse::members`].
    JoinGroupResponseMember {
        /// Kafka field `MemberId`: versions 0+.
        member_id: String = v(0+),
        /// Kafka field `GroupInstanceId`: versions 5+, nullable in 5+.
        group_instance_id: Option<String> = v(5+) null(5+),
        /// Kafka field `Metadata`: versions 0+.
        metadata: Bytes = v(0+),
    }
}
