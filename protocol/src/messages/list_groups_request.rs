//! `ListGroupsRequest`: the request of the ListGroups API (key 16), versions 0–5, flexible from v3.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;

kafka_message! {
    /// The body of a ListGroups request (API key 16).
    ListGroupsRequest { api: ListGroups, versions: 0-5, flexible: 3+ }
    {
        /// Kafka field `StatesFilter`: versions 4+.
        states_filter: Vec<String> = v(4+),
        /// Kafka field `TypesFilter`: versions 5+.
        types_filter: Vec<String> = v(5+),
    }
}

impl Request for ListGroupsRequest {
    type Response = super::ListGroupsResponse;
}
