//! `AddPartitionsToTxnRequest`: the request of the AddPartitionsToTxn API (key 24), versions 0–5, flexible from v3.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;

kafka_message! {
    /// The body of a AddPartitionsToTxn request (API key 24).
    AddPartitionsToTxnRequest { api: AddPartitionsToTxn, versions: 0-5, flexible: 3+ }
    {
        /// Kafka field `Transactions`: versions 4+.
        transactions: Vec<AddPartitionsToTxnTransaction> = v(4+),
        /// Kafka field `V3AndBelowTransactionalId`: versions 0-3.
        v3_and_below_transactional_id: String = v(0-3),
        /// Kafka field `V3AndBelowProducerId`: versions 0-3.
        v3_and_below_producer_id: i64 = v(0-3),
        /// Kafka field `V3AndBelowProducerEpoch`: versions 0-3.
        v3_and_below_producer_epoch: i16 = v(0-3),
        /// Kafka field `V3AndBelowTopics`: versions 0-3.
        v3_and_below_topics: Vec<AddPartitionsToTxnTopic> = v(0-3),
    }
}

impl Request for AddPartitionsToTxnRequest {
    type Response = super::AddPartitionsToTxnResponse;
}

kafka_struct! {
    /// A `AddPartitionsToTxnTransaction` entry of [`AddPartitionsToTxnRequest::transactions`].
    AddPartitionsToTxnTransaction {
        /// Kafka field `TransactionalId`: versions 4+.
        transactional_id: String = v(4+),
        /// Kafka field `ProducerId`: versions 4+.
        producer_id: i64 = v(4+),
        /// Kafka field `ProducerEpoch`: versions 4+.
        producer_epoch: i16 = v(4+),
        /// Kafka field `VerifyOnly`: versions 4+.
        verify_only: bool = v(4+),
        /// Kafka field `Topics`: versions 4+.
        topics: Vec<AddPartitionsToTxnTopic> = v(4+),
    }
}

kafka_struct! {
    /// A `AddPartitionsToTxnTopic` entry of [`AddPartitionsToTxnRequest::v3_and_below_topics`].
    AddPartitionsToTxnTopic {
        /// Kafka field `Name`: versions 0+.
        name: String = v(0+),
        /// Kafka field `Partitions`: versions 0+.
        partitions: Vec<i32> = v(0+),
    }
}
