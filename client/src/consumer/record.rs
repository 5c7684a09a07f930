//! What the consumer returns: [`ConsumerRecord`] and the per-partition groups of
//! [`ConsumerRecords`].

use std::collections::hash_map;
use std::sync::Arc;

use bytes::Bytes;
use kafkit_protocol::record::{Header, TimestampType};
use rustc_hash::FxHashMap;

use super::types::TopicPartition;
use crate::error::{Error, Result};
use crate::serializer::{Deserializer, Direction, SerdeError};

/// A record read from a partition. Key, value and header bytes are slices of the fetched
/// (or decompressed) buffer: no copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerRecord {
    /// The topic.
    pub topic: Arc<str>,
    /// The partition.
    pub partition: i32,
    /// The record's offset in its partition.
    pub offset: i64,
    /// Milliseconds since the Unix epoch (-1: none).
    pub timestamp: i64,
    /// Whether `timestamp` is the producer's create time or the broker's log-append time.
    pub timestamp_type: TimestampType,
    /// The key (`None` for a null key).
    pub key: Option<Bytes>,
    /// The value (`None` for a null value: a tombstone).
    pub value: Option<Bytes>,
    /// The headers, in order.
    pub headers: Vec<Header>,
    /// The leader epoch of the batch the record came in (`None` for old message formats).
    pub leader_epoch: Option<i32>,
}

impl ConsumerRecord {
    /// The partition this record came from.
    pub fn topic_partition(&self) -> TopicPartition {
        TopicPartition { topic: self.topic.clone(), partition: self.partition }
    }

    /// The value decoded with `deserializer` (e.g. [`Json`](crate::serializer::Json)). A null
    /// value is an [`Error::Serde`] saying so.
    pub fn value_as<T>(&self, deserializer: &impl Deserializer<T>) -> Result<T> {
        decode(&self.topic, self.value.as_ref(), "value", self.offset, deserializer)
    }

    /// The key decoded with `deserializer`. A null key is an [`Error::Serde`] saying so.
    pub fn key_as<T>(&self, deserializer: &impl Deserializer<T>) -> Result<T> {
        decode(&self.topic, self.key.as_ref(), "key", self.offset, deserializer)
    }

    /// The key decoded with `deserializer`, `None` for a null key (as kafka-python, which
    /// does not call its `key_deserializer` on a null key).
    pub fn key_as_option<T>(&self, deserializer: &impl Deserializer<T>) -> Result<Option<T>> {
        self.key.as_ref().map(|_| self.key_as(deserializer)).transpose()
    }

    /// The value decoded with `deserializer`, `None` for a null value (a tombstone).
    pub fn value_as_option<T>(&self, deserializer: &impl Deserializer<T>) -> Result<Option<T>> {
        self.value.as_ref().map(|_| self.value_as(deserializer)).transpose()
    }
}

fn decode<T>(
    topic: &str,
    data: Option<&Bytes>,
    what: &str,
    offset: i64,
    deserializer: &impl Deserializer<T>,
) -> Result<T> {
    match data {
        Some(d) => Ok(deserializer.deserialize(topic, d)?),
        None => Err(Error::Serde(SerdeError::new(
            topic,
            Direction::Deserialize,
            "a non-null value",
            format!("the record at offset {offset} has a null {what}"),
        ))),
    }
}

/// The records one [`poll`](super::Consumer::poll) returned, grouped by partition (in each,
/// in offset order) — kafka-python's `{TopicPartition: [records]}`.
#[derive(Debug, Default, Clone)]
pub struct ConsumerRecords {
    pub(crate) by_partition: FxHashMap<TopicPartition, Vec<ConsumerRecord>>,
    pub(crate) count: usize,
}

impl ConsumerRecords {
    /// How many records there are in all.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The partitions with records.
    pub fn partitions(&self) -> impl Iterator<Item = &TopicPartition> {
        self.by_partition.keys()
    }

    /// The records of one partition (empty if it has none).
    pub fn records(&self, partition: &TopicPartition) -> &[ConsumerRecord] {
        self.by_partition.get(partition).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Each partition with its records.
    pub fn iter(&self) -> hash_map::Iter<'_, TopicPartition, Vec<ConsumerRecord>> {
        self.by_partition.iter()
    }

    /// Every record, partition by partition.
    pub fn records_iter(&self) -> impl Iterator<Item = &ConsumerRecord> {
        self.by_partition.values().flatten()
    }

    pub(crate) fn push_partition(&mut self, tp: TopicPartition, records: Vec<ConsumerRecord>) {
        if records.is_empty() {
            return;
        }
        self.count += records.len();
        match self.by_partition.entry(tp) {
            hash_map::Entry::Occupied(mut e) => e.get_mut().extend(records),
            hash_map::Entry::Vacant(e) => {
                e.insert(records);
            }
        }
    }
}

impl IntoIterator for ConsumerRecords {
    type Item = (TopicPartition, Vec<ConsumerRecord>);
    type IntoIter = hash_map::IntoIter<TopicPartition, Vec<ConsumerRecord>>;

    fn into_iter(self) -> Self::IntoIter {
        self.by_partition.into_iter()
    }
}

impl<'a> IntoIterator for &'a ConsumerRecords {
    type Item = (&'a TopicPartition, &'a Vec<ConsumerRecord>);
    type IntoIter = hash_map::Iter<'a, TopicPartition, Vec<ConsumerRecord>>;

    fn into_iter(self) -> Self::IntoIter {
        self.by_partition.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serializer::{Json, Raw};

    fn record(key: Option<&'static str>, value: Option<&'static str>) -> ConsumerRecord {
        ConsumerRecord {
            topic: "quotes".into(),
            partition: 1,
            offset: 7,
            timestamp: -1,
            timestamp_type: TimestampType::CreateTime,
            key: key.map(|k| Bytes::from_static(k.as_bytes())),
            value: value.map(|v| Bytes::from_static(v.as_bytes())),
            headers: Vec::new(),
            leader_epoch: None,
        }
    }

    #[test]
    fn null_keys_and_values_are_errors_or_none_as_asked() {
        let r = record(None, Some(r#"{"股票代码": "600000"}"#));
        let e = r.key_as::<String>(&Raw).unwrap_err();
        assert!(e.to_string().contains("offset 7 has a null key"), "{e}");
        assert_eq!(r.key_as_option::<String>(&Raw).unwrap(), None);
        let v: serde_json::Value = r.value_as(&Json).unwrap();
        assert_eq!(v["股票代码"], "600000");
        assert_eq!(r.value_as_option::<serde_json::Value>(&Json).unwrap(), Some(v));

        let r = record(Some("k"), None);
        assert_eq!(r.key_as_option::<String>(&Raw).unwrap().as_deref(), Some("k"));
        assert!(r.value_as::<serde_json::Value>(&Json).unwrap_err().to_string().contains("null value"));
        assert_eq!(r.value_as_option::<serde_json::Value>(&Json).unwrap(), None);
        // A present but malformed value is still an error.
        let r = record(None, Some("{not json"));
        assert!(matches!(r.value_as_option::<serde_json::Value>(&Json), Err(Error::Serde(_))));
    }
}
