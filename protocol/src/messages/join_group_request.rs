//! `JoinGroupRequest`: the request of the JoinGroup API (key 11), versions 0–9, flexible from v6.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;
use bytes::Bytes;

kafka_message! {
    /// The body of a JoinGroup request (API key 11).
    JoinGroupRequest { api: JoinGroup, versions: 0-9, flexible: 6+ }
    {
        /// Kafka field `GroupId`: versions 0+.
        group_id: String = v(0+),
        /// Kafka field `SessionTimeoutMs`: versions 0+.
        session_timeout_ms: i32 = v(0+),
        /// Kafka field `RebalanceTimeoutMs`: versions 1+, default `-1`.
        rebalance_timeout_ms: i32 = v(1+) default(-1),
        /// Kafka field `MemberId`: versions 0+.
        member_id: String = v(0+),
        /// Kafka field `GroupInstanceId`: versions 5+, nullable in 5+.
        group_instance_id: Option<String> = v(5+) null(5+),
        /// Kafka field `ProtocolType`: versions 0+.
        protocol_type: String = v(0+),
        /// Kafka field `Protocols`: versions 0+.
        protocols: Vec<JoinGroupRequestProtocol> = v(0+),
        /// Kafka field `Reason`: versions 8+, nullable in 8+.
        reason: Option<String> = v(8+) null(8+),
    }
}

impl Request for JoinGroupRequest {
    type Response = super::JoinGroupResponse;
}

kafka_struct! {
    /// A `JoinGroupRequestProtocol` entry of [`JoinGroupRequest::protocols`].
    JoinGroupRequestProtocol {
        /// Kafka field `Name`: versions 0+.
        name: String = v(0+),
        /// Kafka field `Metadata`: versions 0+.
        metadata: Bytes = v(0+),
    }
}
