//! [`BlockingProducer`]: the producer for synchronous code.

use std::time::Duration;

use super::config::ProducerConfig;
use super::delivery::DeliveryFuture;
use super::producer::Producer;
use super::record::ProducerRecord;
use crate::error::{Error, Result};

/// A [`Producer`] for code that is not async (a script like the reference usage's): it runs
/// its own small tokio runtime (one worker thread) and every call blocks the calling thread.
///
/// Delivery futures are the same as the async producer's: block on one with
/// [`DeliveryFuture::get`], or register callbacks. Dropping a `BlockingProducer` closes it:
/// it blocks until every buffered record is complete (at most about `delivery.timeout`), so
/// nothing is lost. Do not create or use it from inside an async runtime.
///
/// ```
/// use kafkit_client::producer::{BlockingProducer, ProducerConfig, ProducerRecord};
/// use kafkit_client::serializer::Json;
/// use std::time::Duration;
///
/// # let rt = tokio::runtime::Runtime::new()?;
/// # let cluster = rt.block_on(kafkit_mock::MockCluster::start(1))?;
/// # let bootstrap = cluster.bootstrap();
/// let producer = BlockingProducer::new(ProducerConfig::new([bootstrap]))?;
/// let quote = serde_json::json!({"股票代码": "600000", "今日开盘价": 10.6});
/// let record = ProducerRecord::new("quotes").serialize_value(&Json, &quote)?;
/// let metadata = producer.send(record).get(Some(Duration::from_secs(10)))?;
/// assert_eq!(metadata.offset, 0);
/// producer.close(Some(Duration::from_secs(10)))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct BlockingProducer {
    producer: Producer,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for BlockingProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingProducer").field("producer", &self.producer).finish()
    }
}

impl BlockingProducer {
    /// Starts the runtime and the producer ([`Producer::new`]).
    pub fn new(config: ProducerConfig) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("kafkit-producer")
            .enable_all()
            .build()
            .map_err(|e| Error::io("(local runtime)", e))?;
        let producer = runtime.block_on(Producer::new(config))?;
        Ok(BlockingProducer { producer, runtime: Some(runtime) })
    }

    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime.as_ref().expect("the runtime lives until drop")
    }

    /// [`Producer::send`], blocking while it waits for room or metadata.
    pub fn send(&self, record: ProducerRecord<'_>) -> DeliveryFuture {
        self.runtime().block_on(self.producer.send(record))
    }

    /// [`Producer::flush`], giving up after `timeout` if one is given.
    pub fn flush(&self, timeout: Option<Duration>) -> Result<()> {
        match timeout {
            None => {
                self.runtime().block_on(self.producer.flush());
                Ok(())
            }
            Some(t) => self.runtime().block_on(self.producer.flush_timeout(t)),
        }
    }

    /// [`Producer::close`].
    pub fn close(&self, timeout: Option<Duration>) -> Result<()> {
        self.runtime().block_on(self.producer.close(timeout))
    }

    /// The async producer inside (its handle can be used from other runtimes too).
    pub fn producer(&self) -> &Producer {
        &self.producer
    }
}

impl Drop for BlockingProducer {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            let _ = rt.block_on(self.producer.close(None));
            rt.shutdown_background();
        }
    }
}
