//! `LeaveGroupResponse`: the response of the LeaveGroup API (key 13), versions 0–5, flexible from v4.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

kafka_message! {
    /// The body of a LeaveGroup response (API key 13).
    LeaveGroupResponse { api: LeaveGroup, versions: 0-5, flexible: 4+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 1+.
        throttle_time_ms: i32 = v(1+),
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
        /// Kafka field `Members`: versions 3+.
        members: Vec<MemberResponse> = v(3+),
    }
}

kafka_struct! {
    /// A `MemberResponse` entry of [`LeaveGroupResponse::members`].
    MemberResponse {
        /// Kafka field `MemberId`: versions 3+.
        member_id: String = v(3+),
        /// Kafka field `GroupInstanceId`: versions 3+, nullable in 3+.
        group_instance_id: Option<String> = v(3+) null(3+),
        /// Kafka field `ErrorCode`: versions 3+.
        error_code: i16 = v(3+),
    }
}
