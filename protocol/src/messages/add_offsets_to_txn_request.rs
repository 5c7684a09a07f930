//! `AddOffsetsToTxnRequest`: the request of the AddOffsetsToTxn API (key 25), versions 0–4, flexible from v3.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;

kafka_message! {
    /// The body of a AddOffsetsToTxn request (API key 25).
    AddOffsetsToTxnRequest { api: AddOffsetsToTxn, versions: 0-4, flexible: 3+ }
    {
        /// Kafka field `TransactionalId`: versions 0+.
        transactional_id: String = v(0+),
        /// Kafka field `ProducerId`: versions 0+.
        producer_id: i64 = v(0+),
        /// Kafka field `ProducerEpoch`: versions 0+.
        producer_epoch: i16 = v(0+),
        /// Kafka field `GroupId`: versions 0+.
        group_id: String = v(0+),
    }
}

impl Request for AddOffsetsToTxnRequest {
    type Response = super::AddOffsetsToTxnResponse;
}
