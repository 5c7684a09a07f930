//! Small value types the consumer's API shares: partitions, offsets, policies.

use std::fmt;
use std::sync::Arc;

/// A partition of a topic.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    /// The topic's name.
    pub topic: Arc<str>,
    /// The partition's index.
    pub partition: i32,
}

impl TopicPartition {
    /// `topic`'s partition `partition`.
    pub fn new(topic: impl Into<Arc<str>>, partition: i32) -> Self {
        TopicPartition { topic: topic.into(), partition }
    }
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.topic, self.partition)
    }
}

impl<T: Into<Arc<str>>> From<(T, i32)> for TopicPartition {
    fn from((topic, partition): (T, i32)) -> Self {
        TopicPartition::new(topic, partition)
    }
}

/// An offset to commit, or a committed one: the offset of the **next** record to read, as in
/// every Kafka client, with optional metadata and the leader epoch of the last record read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetAndMetadata {
    /// The next offset to read.
    pub offset: i64,
    /// Free text stored with the commit (empty by default).
    pub metadata: String,
    /// The leader epoch of the last consumed record, if known (sent with commits from
    /// OffsetCommit v6 on).
    pub leader_epoch: Option<i32>,
}

impl OffsetAndMetadata {
    /// `offset` with no metadata.
    pub fn new(offset: i64) -> Self {
        OffsetAndMetadata { offset, metadata: String::new(), leader_epoch: None }
    }

    /// `offset` with `metadata`.
    pub fn with_metadata(offset: i64, metadata: impl Into<String>) -> Self {
        OffsetAndMetadata { offset, metadata: metadata.into(), leader_epoch: None }
    }
}

impl From<i64> for OffsetAndMetadata {
    fn from(offset: i64) -> Self {
        OffsetAndMetadata::new(offset)
    }
}

/// The answer to [`offsets_for_times`](super::Consumer::offsets_for_times): the earliest
/// offset whose timestamp is at or after the time asked for, and that record's timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetAndTimestamp {
    /// The offset.
    pub offset: i64,
    /// The record's timestamp, milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// The leader epoch of that record, if the broker gave it.
    pub leader_epoch: Option<i32>,
}

/// What to do when a partition has no committed offset, or its offset is out of range
/// (`auto.offset.reset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OffsetReset {
    /// Start at the first record still in the log.
    Earliest,
    /// Start after the last record: only records produced from now on (the default, as in
    /// Java and kafka-python).
    #[default]
    Latest,
    /// Fail: `poll` returns an error naming the partition.
    None,
}

/// Which records a consumer sees of transactional producers (`isolation.level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IsolationLevel {
    /// Every record, including those of transactions not (yet) committed or aborted. The
    /// default, as in Java.
    #[default]
    ReadUncommitted,
    /// Only committed transactions' records, up to the last stable offset; aborted records
    /// and control records are never returned.
    ReadCommitted,
}

impl IsolationLevel {
    /// The value sent in Fetch and ListOffsets requests (0 or 1).
    pub fn as_i8(self) -> i8 {
        match self {
            IsolationLevel::ReadUncommitted => 0,
            IsolationLevel::ReadCommitted => 1,
        }
    }
}
