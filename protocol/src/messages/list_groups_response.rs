//! `ListGroupsResponse`: the response of the ListGroups API (key 16), versions 0–5, flexible from v3.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

kafka_message! {
    /// The body of a ListGroups response (API key 16).
    ListGroupsResponse { api: ListGroups, versions: 0-5, flexible: 3+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 1+.
        throttle_time_ms: i32 = v(1+),
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
        /// Kafka field `Groups`: versions 0+.
        groups: Vec<ListedGroup> = v(0+),
    }
}

kafka_struct! {
    /// A `ListedGroup` entry of [`ListGroupsResponse::groups`].
    ListedGroup {
        /// Kafka field `GroupId`: versions 0+.
        group_id: String = v(0+),
        /// Kafka field `ProtocolType`: versions 0+.
        protocol_type: String = v(0+),
        /// Kafka field `GroupState`: versions 4+.
        group_state: String = v(4+),
        /// Kafka field `GroupType`: versions 5+.
        group_type: String = v(5+),
    }
}
