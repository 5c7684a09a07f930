//! `ProduceRequest`: the request of the Produce API (key 0), versions 0–11, flexible from v9.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;
use bytes::Bytes;

kafka_message! {
    /// The body of a Produce request (API key 0).
    ProduceRequest { api: Produce, versions: 0-11, flexible: 9+ }
    {
        /// Kafka field `TransactionalId`: versions 3+, nullable in 3+.
        transactional_id: Option<String> = v(3+) null(3+),
        /// Kafka field `Acks`: versions 0+.
        acks: i16 = v(0+),
        /// Kafka field `TimeoutMs`: versions 0+.
        timeout_ms: i32 = v(0+),
        /// Kafka field `TopicData`: versions 0+.
        topic_data: Vec<TopicProduceData> = v(0+),
    }
}

impl Request for ProduceRequest {
    type Response = super::ProduceResponse;
}

kafka_struct! {
    /// A `TopicProduceData` entry of [`ProduceRequest::topic_data`].
    TopicProduceData {
        /// Kafka field `Name`: versions 0+.
        name: String = v(0+),
        /// Kafka field `PartitionData`: versions 0+.
        partition_data: Vec<PartitionProduceData> = v(0+),
    }
}

kafka_struct! {
    /// A `PartitionProduceData` entry of [`TopicProduceData::partition_data`].
    PartitionProduceData {
        /// Kafka field `Index`: versions 0+.
        index: i32 = v(0+),
        /// Kafka field `Records`: versions 0+, nullable in 0+.
        records: Option<Bytes> = v(0+) null(0+),
    }
}
