//! `InitProducerIdRequest`: the request of the InitProducerId API (key 22), versions 0–5, flexible from v2.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;

kafka_message! {
    /// The body of a InitProducerId request (API key 22).
    InitProducerIdRequest { api: InitProducerId, versions: 0-5, flexible: 2+ }
    {
        /// Kafka field `TransactionalId`: versions 0+, nullable in 0+.
        transactional_id: Option<String> = v(0+) null(0+),
        /// Kafka field `TransactionTimeoutMs`: versions 0+.
        transaction_timeout_ms: i32 = v(0+),
        /// Kafka field `ProducerId`: versions 3+, default `-1`.
        producer_id: i64 = v(3+) default(-1),
        /// Kafka field `ProducerEpoch`: versions 3+, default `-1`.
        producer_epoch: i16 = v(3+) default(-1),
    }
}

impl Request for InitProducerIdRequest {
    type Response = super::InitProducerIdResponse;
}
