//! `SyncGroupRequest`: the request of the SyncGroup API (key 14), versions 0–5, flexible from v4.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;
use bytes::Bytes;

kafka_message! {
    /// The body of a SyncGroup request (API key 14).
    SyncGroupRequest { api: SyncGroup, versions: 0-5, flexible: 4+ }
    {
        /// Kafka field `GroupId`: versions 0+.
        group_id: String = v(0+),
        /// Kafka field `GenerationId`: versions 0+.
        generation_id: i32 = v(0+),
        /// Kafka field `MemberId`: versions 0+.
        member_id: String = v(0+),
        /// Kafka field `GroupInstanceId`: versions 3+, nullable in 3+.
        group_instance_id: Option<String> = v(3+) null(3+),
        /// Kafka field `ProtocolType`: versions 5+, nullable in 5+.
        protocol_type: Option<String> = v(5+) null(5+),
        /// Kafka field `ProtocolName`: versions 5+, nullable in 5+.
        protocol_name: Option<String> = v(5+) null(5+),
        /// Kafka field `Assignments`: versions 0+.
        assignments: Vec<SyncGroupRequestAssignment> = v(0+),
    }
}

impl Request for SyncGroupRequest {
    type Response = super::SyncGroupResponse;
}

kafka_struct! {
    /// A `SyncGroupRequestAssignment` entry of [`SyncGroupRequest::assignments`].
    SyncGroupRequestAssignment {
        /// Kafka field `MemberId`: versions 0+.
        member_id: String = v(0+),
        /// Kafka field `Assignment`: versions 0+.
        assignment: Bytes = v(0+),
    }
}
