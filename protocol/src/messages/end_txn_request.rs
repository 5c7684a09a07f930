//! `EndTxnRequest`: the request of the EndTxn API (key 26), versions 0–5, flexible from v3.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;

kafka_message! {
    /// The body of a EndTxn request (API key 26).
    EndTxnRequest { api: EndTxn, versions: 0-5, flexible: 3+ }
    {
        /// Kafka field `TransactionalId`: versions 0+.
        transactional_id: String = v(0+),
        /// Kafka field `ProducerId`: versions 0+.
        producer_id: i64 = v(0+),
        /// Kafka field `ProducerEpoch`: versions 0+.
        producer_epoch: i16 = v(0+),
        /// Kafka field `Committed`: versions 0+.
        committed: bool = v(0+),
    }
}

impl Request for EndTxnRequest {
    type Response = super::EndTxnResponse;
}
