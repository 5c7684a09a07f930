//! `DeleteGroupsRequest`: the request of the DeleteGroups API (key 42), versions 0–2, flexible from v2.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;

kafka_message! {
    /// The body of a DeleteGroups request (API key 42).
    DeleteGroupsRequest { api: DeleteGroups, versions: 0-2, flexible: 2+ }
    {
        /// Kafka field `GroupsNames`: versions 0+.
        groups_names: Vec<String> = v(0+),
    }
}

impl Request for DeleteGroupsRequest {
    type Response = super::DeleteGroupsResponse;
}
