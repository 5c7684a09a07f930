//! [`Producer`]: the handle applications send records with.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;

use super::accumulator::{Accumulator, Choice};
use super::config::ProducerConfig;
use super::delivery::DeliveryFuture;
use super::record::ProducerRecord;
use super::sender::Sender;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::metadata::PartitionInfo;

struct Inner {
    acc: Arc<Accumulator>,
    client: Client,
    sender: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last handle is gone: no record can be added, so the sender sends what is left
        // (ignoring linger), then stops. Nothing buffered is dropped.
        self.acc.close();
    }
}

/// A Kafka producer: buffers records per partition and sends them in batches from one
/// background task (kafka-python's `KafkaProducer`, Java's `KafkaProducer`).
///
/// [`send`](Self::send) appends a record to its partition's batch and returns a
/// [`DeliveryFuture`] at once (it waits only when `buffer.memory` is full, or for the topic's
/// metadata the first time, both at most `max.block`). The background task sends a batch when
/// it is full (`batch.size`), when it has waited `linger`, or at [`flush`](Self::flush);
/// retries retriable failures (with idempotence by default, so retries neither duplicate nor
/// reorder records); and completes the futures in order per partition.
///
/// A `Producer` is cheap to clone and safe to share between tasks and threads; clones share
/// the buffer and the background task.
///
/// **Ending.** [`close`](Self::close) sends what is buffered and waits for it.
/// Dropping the last handle without closing does not lose records either: the background
/// task sends everything buffered (as `close(None)`) and then stops, and every delivery
/// future still resolves. That takes a running tokio runtime: a program that returns from
/// `main` right after dropping the producer ends the runtime, and with it anything unsent —
/// call `close` (or `flush`) before.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use kafkit_client::producer::{Producer, ProducerConfig, ProducerRecord};
/// use std::time::Duration;
///
/// let cluster = kafkit_mock::MockCluster::start(1).await?;
/// cluster.create_topic("quotes", 3)?;
///
/// let config = ProducerConfig::new([cluster.bootstrap()]).linger(Duration::from_millis(5));
/// let producer = Producer::new(config).await?;
///
/// let delivery = producer.send(ProducerRecord::new("quotes").key("600000").value("10.5")).await;
/// let metadata = delivery.await?;
/// assert_eq!((&*metadata.topic, metadata.offset), ("quotes", 0));
///
/// // Callback style (kafka-python's add_callback / add_errback).
/// producer
///     .send(ProducerRecord::new("quotes").value("no key"))
///     .await
///     .add_callback(|m| println!("stored at {}-{}@{}", m.topic, m.partition, m.offset))
///     .add_errback(|e| eprintln!("not stored: {e}"));
///
/// producer.close(Some(Duration::from_secs(10))).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Producer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer")
            .field("bootstrap_servers", &self.inner.acc.config.client.bootstrap_servers)
            .field("closing", &self.inner.acc.is_closing())
            .finish()
    }
}

impl Producer {
    /// Checks `config` ([`ProducerConfig::validate`]), connects to the cluster (any bootstrap
    /// server that answers) and starts the background task.
    ///
    /// Transactions (`transactional.id`) are not supported yet: such a config is refused.
    pub async fn new(config: ProducerConfig) -> Result<Producer> {
        config.validate()?;
        if config.transactional_id.is_some() {
            return Err(Error::config(
                "transactional.id",
                "kafkit's producer does not support transactions yet; unset transactional.id \
                 (idempotence, on by default, still prevents duplicates from retries)",
            ));
        }
        let client = Client::connect(config.client.clone()).await?;
        let partitioner = Choice::of(config.partitioner);
        let acc = Arc::new(Accumulator::new(Arc::new(config), partitioner));
        let sender = tokio::spawn(Sender::new(acc.clone(), client.clone()).run());
        Ok(Producer { inner: Arc::new(Inner { acc, client, sender: Mutex::new(Some(sender)) }) })
    }

    /// The configuration the producer runs with.
    pub fn config(&self) -> &ProducerConfig {
        &self.inner.acc.config
    }

    /// The cluster client underneath (metadata, connections).
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// Appends `record` to its partition's batch and returns its delivery future.
    ///
    /// Waits (at most `max.block`) only for room in `buffer.memory` and, the first time a topic
    /// is used, for its metadata. A record that cannot be buffered is not an error here but
    /// the future's outcome, like every other failure of that record
    /// ([`DeliveryFuture::refused`] tells them apart): larger than `max.request.size` or
    /// `buffer.memory` (MESSAGE_TOO_LARGE), a topic or partition the cluster does not have
    /// (UNKNOWN_TOPIC_OR_PARTITION), no room in time ([`Error::TimedOut`]), a closed producer
    /// ([`Error::Closed`]). Nothing else is affected.
    pub async fn send(&self, record: ProducerRecord<'_>) -> DeliveryFuture {
        match self.inner.acc.append(&self.inner.client, &record).await {
            Ok(f) => f,
            Err(e) => DeliveryFuture::failed(e),
        }
    }

    /// Sends every buffered record now, ignoring `linger`, and waits until all records sent
    /// before the call are complete (delivered or failed: check their futures).
    pub async fn flush(&self) {
        self.inner.acc.flush().await;
    }

    /// [`flush`](Self::flush), giving up after `timeout` with [`Error::TimedOut`] (the records
    /// are still being sent).
    pub async fn flush_timeout(&self, timeout: Duration) -> Result<()> {
        tokio::time::timeout(timeout, self.flush()).await.map_err(|_| Error::TimedOut {
            what: "flushing the producer".into(),
            after: timeout,
            hint: "the brokers are slow or unreachable; wait longer or check the delivery futures",
        })
    }

    /// Refuses new records, sends everything buffered and waits for it, then stops the
    /// background task and closes the connections.
    ///
    /// With `Some(timeout)`, records still not complete after `timeout` are failed with
    /// [`Error::Closed`] (those in flight may still have been stored) and `close` returns
    /// [`Error::TimedOut`]. With `None` it waits as long as it takes — at most about
    /// `delivery.timeout`, after which every record has an outcome. Later calls return at
    /// once; records sent after `close` fail with [`Error::Closed`].
    pub async fn close(&self, timeout: Option<Duration>) -> Result<()> {
        let acc = &self.inner.acc;
        acc.close();
        let task = self.inner.sender.lock().unwrap().take();
        let Some(mut task) = task else {
            // Closed already (or closing from another handle): wait for the batches.
            acc.wait_empty().await;
            return Ok(());
        };
        let result = match timeout {
            None => {
                let _ = (&mut task).await;
                Ok(())
            }
            Some(t) => match tokio::time::timeout(t, &mut task).await {
                Ok(_) => Ok(()),
                Err(_) => {
                    acc.abort();
                    // The sender fails what is left at its next turn; if it is stuck in a
                    // connection attempt, tear it down (its batches then fail as dropped).
                    let grace = Duration::from_millis(500);
                    if tokio::time::timeout(grace, &mut task).await.is_err() {
                        task.abort();
                        let _ = task.await;
                        acc.forget_all();
                    }
                    Err(Error::TimedOut {
                        what: "closing the producer".into(),
                        after: t,
                        hint: "records not delivered in time were failed with Error::Closed",
                    })
                }
            },
        };
        self.inner.client.shutdown().await;
        result
    }

    /// The partitions of `topic` (Java's `partitionsFor`), fetching its metadata if needed.
    /// A retriable answer for the topic (LEADER_NOT_AVAILABLE while a broker auto-creates
    /// it, ...) is asked again with backoff for up to `max.block`, as Java waits for it; a
    /// topic the cluster does not know (UNKNOWN_TOPIC_OR_PARTITION, no auto-creation) is an
    /// error at once.
    pub async fn partitions_for(&self, topic: &str) -> Result<Vec<PartitionInfo>> {
        let config = self.config();
        let deadline = tokio::time::Instant::now() + config.max_block;
        let mut backoff = crate::Backoff::new(config.retry_backoff, config.retry_backoff_max);
        let mut md = self.inner.client.metadata_for(&[topic]).await?;
        loop {
            let code = match md.topic(topic) {
                Some(t) if t.error.is_ok() => return Ok(t.partitions.clone()),
                Some(t) => t.error,
                None => kafkit_protocol::ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
            };
            let retriable = code.is_retriable() && code != kafkit_protocol::ErrorCode::UNKNOWN_TOPIC_OR_PARTITION;
            if !retriable || !backoff.sleep_before(deadline).await {
                return Err(Error::kafka(code, format!("getting the partitions of topic `{topic}`")));
            }
            md = self.inner.client.refresh_metadata().await?;
        }
    }

    /// Bytes of `buffer.memory` not held by buffered records right now.
    pub fn available_memory(&self) -> usize {
        self.inner.acc.available_memory()
    }
}
