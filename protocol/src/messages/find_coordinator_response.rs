//! `FindCoordinatorResponse`: the response of the FindCoordinator API (key 10), versions 0–6, flexible from v3.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

kafka_message! {
    /// The body of a FindCoordinator response (API key 10).
    FindCoordinatorResponse { api: FindCoordinator, versions: 0-6, flexible: 3+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 1+.
        throttle_time_ms: i32 = v(1+),
        /// Kafka field `ErrorCode`: versions 0-3.
        error_code: i16 = v(0-3),
        /// Kafka field `ErrorMessage`: versions 1-3, nullable in 1-3.
        error_message: Option<String> = v(1-3) null(1-3),
        /// Kafka field `NodeId`: versions 0-3.
        node_id: i32 = v(0-3),
        /// Kafka field `Host`: versions 0-3.
        host: String = v(0-3),
        /// Kafka field `Port`: versions 0-3.
        port: i32 = v(0-3),
        /// Kafka field `Coordinators`: versions 4+.
        coordinators: Vec<Coordinator> = v(4+),
    }
}

kafka_struct! {
    /// A `Coordinator` entry of [`FindCoordinatorResponse::coordinators`].
    Coordinator {
        /// Kafka field `Key`: versions 4+.
        key: String = v(4+),
        /// Kafka field `NodeId`: versions 4+.
        node_id: i32 = v(4+),
        /// Kafka field `Host`: versions 4+.
        host: String = v(4+),
        /// Kafka field `Port`: versions 4+.
        port: i32 = v(4+),
        /// Kafka field `ErrorCode`: versions 4+.
        error_code: i16 = v(4+),
        /// Kafka field `ErrorMessage`: versions 4+, nullable in 4+.
        error_message: Option<String> = v(4+) null(4+),
    }
}
