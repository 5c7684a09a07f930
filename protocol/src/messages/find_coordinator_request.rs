//! `FindCoordinatorRequest`: the request of the FindCoordinator API (key 10), versions 0–6, flexible from v3.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;

kafka_message! {
    /// The body of a FindCoordinator request (API key 10).
    FindCoordinatorRequest { api: FindCoordinator, versions: 0-6, flexible: 3+ }
    {
        /// Kafka field `Key`: versions 0-3.
        key: String = v(0-3),
        /// Kafka field `KeyType`: versions 1+.
        key_type: i8 = v(1+),
        /// Kafka field `CoordinatorKeys`: versions 4+.
        coordinator_keys: Vec<String> = v(4+),
    }
}

impl Request for FindCoordinatorRequest {
    type Response = super::FindCoordinatorResponse;
}
