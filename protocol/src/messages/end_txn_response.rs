//! `EndTxnResponse`: the response of the EndTxn API (key 26), versions 0–5, flexible from v3.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

kafka_message! {
    /// The body of a EndTxn response (API key 26).
    EndTxnResponse { api: EndTxn, versions: 0-5, flexible: 3+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 0+.
        throttle_time_ms: i32 = v(0+),
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
        /// Kafka field `ProducerId`: versions 5+, default `-1`.
        producer_id: i64 = v(5+) default(-1),
        /// Kafka field `ProducerEpoch`: versions 5+, default `-1`.
        producer_epoch: i16 = v(5+) default(-1),
    }
}
