//! `LeaveGroupRequest`: the request of the LeaveGroup API (key 13), versions 0–5, flexible from v4.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;

kafka_message! {
    /// The body of a LeaveGroup request (API key 13).
    LeaveGroupRequest { api: LeaveGroup, versions: 0-5, flexible: 4+ }
    {
        /// Kafka field `GroupId`: versions 0+.
        group_id: String = v(0+),
        /// Kafka field `MemberId`: versions 0-2.
        member_id: String = v(0-2),
        /// Kafka field `Members`: versions 3+.
        members: Vec<MemberIdentity> = v(3+),
    }
}

impl Request for LeaveGroupRequest {
    type Response = super::LeaveGroupResponse;
}

kafka_struct! {
    /// A `MemberIdentity` entry of [`LeaveGroupRequest::members`].
    MemberIdentity {
        /// Kafka field `MemberId`: versions 3+.
        member_id: String = v(3+),
        /// Kafka field `GroupInstanceId`: versions 3+, nullable in 3+.
        group_instance_id: Option<String> = v(3+) null(3+),
        /// Kafka field `Reason`: versions 5+, nullable in 5+.
        reason: Option<String> = v(5+) null(5+),
    }
}
