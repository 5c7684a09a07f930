//! `DeleteGroupsResponse`: the response of the DeleteGroups API (key 42), versions 0–2, flexible from v2.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

kafka_message! {
    /// The body of a DeleteGroups response (API key 42).
    DeleteGroupsResponse { api: DeleteGroups, versions: 0-2, flexible: 2+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 0+.
        throttle_time_ms: i32 = v(0+),
        /// Kafka field `Results`: versions 0+.
        results: Vec<DeletableGroupResult> = v(0+),
    }
}

kafka_struct! {
    /// A `DeletableGroupResult` entry of [`DeleteGroupsResponse::results`].
    DeletableGroupResult {
        /// Kafka field `GroupId`: versions 0+.
        group_id: String = v(0+),
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
    }
}
