//! `DescribeGroupsResponse`: the response of the DescribeGroups API (key 15), versions 0–5, flexible from v5.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use bytes::Bytes;

kafka_message! {
    /// The body of a DescribeGroups response (API key 15).
    DescribeGroupsResponse { api: DescribeGroups, versions: 0-5, flexible: 5+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 1+.
        throttle_time_ms: i32 = v(1+),
        /// Kafka field `Groups`: versions 0+.
        groups: Vec<DescribedGroup> = v(0+),
    }
}

kafka_struct! {
    /// A `DescribedGroup` entry of [`DescribeGroupsResponse::groups`].
    DescribedGroup {
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
        /// Kafka field `GroupId`: versions 0+.
        group_id: String = v(0+),
        /// Kafka field `GroupState`: versions 0+.
        group_state: String = v(0+),
        /// Kafka field `ProtocolType`: versions 0+.
        protocol_type: String = v(0+),
        /// Kafka field `ProtocolData`: versions 0+.
        protocol_data: String = v(0+),
        /// Kafka field `Members`: versions 0+.
        members: Vec<DescribedGroupMember> = v(0+),
        /// Kafka field `AuthorizedOperations`: versions 3+, default `-2147483648`.
        authorized_operations: i32 = v(3+) default(i32::MIN),
    }
}

kafka_struct! {
    /// A `DescribedGroupMember` entry of [`DescribedGroup::members`].
    DescribedGroupMember {
        /// Kafka field `MemberId`: versions 0+.
        member_id: String = v(0+),
        /// Kafka field `GroupInstanceId`: versions 4+, nullable in 4+.
        group_instance_id: Option<String> = v(4+) null(4+),
        /// Kafka field `ClientId`: versions 0+.
        client_id: String = v(0+),
        /// Kafka field `ClientHost`: versions 0+.
        client_host: String = v(0+),
        /// Kafka field `MemberMetadata`: versions 0+.
        member_metadata: Bytes = v(0+),
        /// Kafka field `MemberAssignment`: versions 0+.
        member_assignment: Bytes = v(0+),
    }
}
