//! What an application hands to [`Producer::send`](super::Producer::send), and what it gets back.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use kafkit_protocol::record::Header;

use crate::error::Result;
use crate::serializer::Serializer;

/// A record to produce: the topic, and optionally a partition, key, value, headers and
/// timestamp.
///
/// The topic is borrowed (no allocation per record); key and value are [`Bytes`], so static
/// data and shared buffers are not copied until `send` encodes them into the partition's batch.
///
/// ```
/// use kafkit_client::producer::ProducerRecord;
/// use kafkit_client::serializer::Json;
///
/// let quote = serde_json::json!({"股票代码": "600000", "昨日收盘价": 10.5});
/// let record = ProducerRecord::new("quotes")
///     .key("600000")
///     .serialize_value(&Json, &quote)?
///     .header("source", "feed-1");
/// assert_eq!(record.partition, None);
/// assert_eq!(record.key.as_deref(), Some(&b"600000"[..]));
/// # Ok::<(), kafkit_client::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProducerRecord<'a> {
    /// The topic.
    pub topic: &'a str,
    /// The partition; `None` lets the partitioner choose (by key, or sticky without key).
    pub partition: Option<i32>,
    /// The key; `None` for a null key.
    pub key: Option<Bytes>,
    /// The value; `None` for a null value (a tombstone on a compacted topic).
    pub value: Option<Bytes>,
    /// The headers, in order (keys may repeat).
    pub headers: Vec<Header>,
    /// The create time in milliseconds since the Unix epoch; `None` for the time of `send`.
    pub timestamp: Option<i64>,
}

impl fmt::Debug for ProducerRecord<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProducerRecord")
            .field("topic", &self.topic)
            .field("partition", &self.partition)
            .field("key_len", &self.key.as_ref().map(Bytes::len))
            .field("value_len", &self.value.as_ref().map(Bytes::len))
            .field("headers", &self.headers.len())
            .field("timestamp", &self.timestamp)
            .finish()
    }
}

impl<'a> ProducerRecord<'a> {
    /// A record for `topic` with null key and value, no headers, no fixed partition, timestamped
    /// when sent.
    pub fn new(topic: &'a str) -> Self {
        ProducerRecord { topic, ..Default::default() }
    }

    /// Sets the key (`&'static str`, `String`, `Vec<u8>`, `Bytes`, … anything `Into<Bytes>`).
    #[must_use]
    pub fn key(mut self, key: impl Into<Bytes>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Sets the value.
    #[must_use]
    pub fn value(mut self, value: impl Into<Bytes>) -> Self {
        self.value = Some(value.into());
        self
    }

    /// Sets the key to `key` serialized by `serializer` (e.g. [`Json`](crate::serializer::Json)).
    pub fn serialize_key<T, S: Serializer<T> + ?Sized>(mut self, serializer: &S, key: &T) -> Result<Self> {
        self.key = Some(serializer.serialize(self.topic, key)?);
        Ok(self)
    }

    /// Sets the value to `value` serialized by `serializer` (e.g.
    /// [`Json`](crate::serializer::Json), as the seed's `value_serializer`).
    pub fn serialize_value<T, S: Serializer<T> + ?Sized>(mut self, serializer: &S, value: &T) -> Result<Self> {
        self.value = Some(serializer.serialize(self.topic, value)?);
        Ok(self)
    }

    /// Sends the record to this partition, bypassing the partitioner.
    #[must_use]
    pub fn partition(mut self, partition: i32) -> Self {
        self.partition = Some(partition);
        self
    }

    /// Sets the create timestamp (milliseconds since the Unix epoch).
    #[must_use]
    pub fn timestamp(mut self, timestamp_ms: i64) -> Self {
        self.timestamp = Some(timestamp_ms);
        self
    }

    /// Appends a header.
    #[must_use]
    pub fn header(mut self, key: impl Into<String>, value: impl Into<Bytes>) -> Self {
        self.headers.push(Header::new(key, Some(value.into())));
        self
    }
}

/// Where a record was stored: what a delivery future resolves to once the broker acknowledged
/// it (kafka-python's and Java's `RecordMetadata`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMetadata {
    /// The topic (shared by every record of the batch).
    pub topic: Arc<str>,
    /// The partition.
    pub partition: i32,
    /// The record's offset; -1 when it is unknown: with `acks = 0`, or when an idempotent
    /// retry was answered DUPLICATE_SEQUENCE_NUMBER (the broker kept the first copy but no
    /// longer knows its offset), as in the Java client.
    pub offset: i64,
    /// The record's timestamp: its create time, or the broker's append time if the topic uses
    /// `LogAppendTime`.
    pub timestamp: i64,
}
