//! `InitProducerIdResponse`: the response of the InitProducerId API (key 22), versions 0–5, flexible from v2.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

kafka_message! {
    /// The body of a InitProducerId response (API key 22).
    InitProducerIdResponse { api: InitProducerId, versions: 0-5, flexible: 2+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 0+.
        throttle_time_ms: i32 = v(0+),
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
        /// Kafka field `ProducerId`: versions 0+, default `-1`.
        producer_id: i64 = v(0+) default(-1),
        /// Kafka field `ProducerEpoch`: versions 0+.
        producer_epoch: i16 = v(0+),
    }
}
