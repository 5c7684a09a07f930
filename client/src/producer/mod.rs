//! The producer: [`Producer`] (async) and [`BlockingProducer`], with their configuration,
//! records, delivery futures and partitioners.
//!
//! - [`Producer`]: buffers records per partition and sends them in batches from one
//!   background task; [`Producer::send`] returns a [`DeliveryFuture`].
//! - [`ProducerRecord`] in, [`RecordMetadata`] out.
//! - [`ProducerConfig`]: the settings, with the Java client's defaults and validation, also
//!   from Java/librdkafka property names.
//! - [`Partitioner`]: how a record without an explicit partition gets one —
//!   [`DefaultPartitioner`] (murmur2 of the key as every Kafka client, sticky without key),
//!   [`UniformStickyPartitioner`], [`RoundRobinPartitioner`].
//!
//! Inside: `accumulator.rs` (the per-partition batches `send` appends to, and the memory
//! budget), `sender.rs` (the background task: draining, requests, retries, idempotence),
//! `delivery.rs` (one completion per batch, shared by its records' futures).

mod accumulator;
mod blocking;
mod config;
mod delivery;
mod partitioner;
#[allow(clippy::module_inception)]
mod producer;
mod record;
mod sender;

pub use blocking::BlockingProducer;
pub use config::{Acks, ProducerConfig};
pub use delivery::DeliveryFuture;
pub use partitioner::{
    murmur2, partition_for_key, to_positive, DefaultPartitioner, ParsePartitionerError, Partitioner, PartitionerKind,
    RoundRobinPartitioner, TopicPartitions, UniformStickyPartitioner,
};
pub use producer::Producer;
pub use record::{ProducerRecord, RecordMetadata};
