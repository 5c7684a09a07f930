//! ListOffsets: the earliest or latest offsets of partitions, or the first at a time — the
//! consumer's lookups, with the admin's timeout.

use std::collections::{BTreeMap, HashMap};

use super::Admin;
use crate::consumer::offsets::{list_offsets, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP};
use crate::consumer::{IsolationLevel, OffsetAndTimestamp, TopicPartition};
use crate::error::Result;

/// Which offset of a partition to look up (Java's `OffsetSpec`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use kafkit_client::admin::{Admin, OffsetSpec};
/// use kafkit_client::consumer::TopicPartition;
/// use kafkit_client::{ClientConfig, Producer, ProducerConfig, ProducerRecord};
///
/// let cluster = kafkit_mock::MockCluster::start(1).await?;
/// cluster.create_topic("quotes", 1)?;
/// let producer = Producer::new(ProducerConfig::new([cluster.bootstrap()])).await?;
/// for ts in [1_000, 2_000, 3_000] {
///     producer.send(ProducerRecord::new("quotes").timestamp(ts).value("q")).await.await?;
/// }
/// let admin = Admin::connect(ClientConfig::new([cluster.bootstrap()])).await?;
/// let quotes = [TopicPartition::new("quotes", 0)];
/// let at = admin.list_offsets(&quotes, OffsetSpec::Timestamp(1_500)).await?;
/// assert_eq!((at[&quotes[0]].offset, at[&quotes[0]].timestamp), (1, 2_000), "the first record at or after");
/// assert!(admin.list_offsets(&quotes, OffsetSpec::Timestamp(9_000)).await?.is_empty());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    /// The first offset still in the log (the log start offset).
    Earliest,
    /// The offset after the last record (the high watermark, the log end offset).
    Latest,
    /// The first offset whose record's timestamp is at or after this many milliseconds since
    /// the Unix epoch.
    Timestamp(i64),
}

impl OffsetSpec {
    fn timestamp(self) -> i64 {
        match self {
            OffsetSpec::Earliest => EARLIEST_TIMESTAMP,
            OffsetSpec::Latest => LATEST_TIMESTAMP,
            OffsetSpec::Timestamp(t) => t.max(0),
        }
    }
}

impl Admin {
    /// The offsets `spec` names of `partitions` (Java's `listOffsets`, read_uncommitted),
    /// asked of their leaders, one request per leader; leaders that moved and other
    /// retriable errors are retried until the timeout. A timestamp after the last record finds
    /// nothing: the partition is left out. An unknown topic or partition is an
    /// UNKNOWN_TOPIC_OR_PARTITION error naming it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use kafkit_client::admin::{Admin, OffsetSpec};
    /// use kafkit_client::consumer::TopicPartition;
    /// use kafkit_client::{ClientConfig, Producer, ProducerConfig, ProducerRecord};
    ///
    /// let cluster = kafkit_mock::MockCluster::start(2).await?;
    /// cluster.create_topic("quotes", 2)?;
    /// let producer = Producer::new(ProducerConfig::new([cluster.bootstrap()])).await?;
    /// for i in 0..3 {
    ///     producer.send(ProducerRecord::new("quotes").partition(1).value(format!("q{i}"))).await.await?;
    /// }
    ///
    /// let admin = Admin::connect(ClientConfig::new([cluster.bootstrap()])).await?;
    /// let partitions = [TopicPartition::new("quotes", 0), TopicPartition::new("quotes", 1)];
    /// let latest = admin.list_offsets(&partitions, OffsetSpec::Latest).await?;
    /// assert_eq!(latest.values().map(|o| o.offset).collect::<Vec<_>>(), [0, 3]);
    /// let earliest = admin.list_offsets(&partitions, OffsetSpec::Earliest).await?;
    /// assert_eq!(earliest.values().map(|o| o.offset).collect::<Vec<_>>(), [0, 0]);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn list_offsets(
        &self,
        partitions: &[TopicPartition],
        spec: OffsetSpec,
    ) -> Result<BTreeMap<TopicPartition, OffsetAndTimestamp>> {
        let requests: HashMap<TopicPartition, i64> =
            partitions.iter().map(|tp| (tp.clone(), spec.timestamp())).collect();
        if requests.is_empty() {
            return Ok(BTreeMap::new());
        }
        let found = list_offsets(&self.client, &requests, IsolationLevel::ReadUncommitted, self.timeout).await?;
        Ok(found.into_iter().collect())
    }
}
