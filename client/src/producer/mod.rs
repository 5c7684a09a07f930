//! The producer's building blocks: its configuration and its partitioners.
//!
//! - [`ProducerConfig`]: the settings, with the Java client's defaults and validation, also
//!   from Java/librdkafka property names.
//! - [`Partitioner`]: how a record without an explicit partition gets one —
//!   [`DefaultPartitioner`] (murmur2 of the key as every Kafka client, sticky without key),
//!   [`UniformStickyPartitioner`], [`RoundRobinPartitioner`].

mod config;
mod partitioner;

pub use config::{Acks, ProducerConfig};
pub use partitioner::{
    murmur2, partition_for_key, to_positive, DefaultPartitioner, ParsePartitionerError, Partitioner, PartitionerKind,
    RoundRobinPartitioner, TopicPartitions, UniformStickyPartitioner,
};
