//! The record accumulator: per-partition queues of batches that `send` appends into and the
//! sender drains (Java's `RecordAccumulator`).
//!
//! One lock guards every queue. `send` holds it to append one record (a hash lookup, the
//! partitioner, the record's encoding into the open batch's buffer); the sender holds it to
//! take ready batches. Neither waits while holding it: a `send` that needs memory or metadata
//! drops it, waits, and tries again.
//!
//! Memory is a semaphore of `buffer.memory` bytes. A batch reserves its bytes in chunks as it
//! grows (16 KiB, then doubling up to `batch.size`, or the one record's size if larger), so
//! batches that stay small hold little; the reservation is returned when the batch completes.

use std::collections::{BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafkit_protocol::record::{Header, RecordBatchBuilder, RECORD_BATCH_OVERHEAD};
use kafkit_protocol::ErrorCode;
use rustc_hash::FxHashMap;
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;

use super::config::ProducerConfig;
use super::delivery::{BatchAck, Completion, DeliveryFuture};
use super::partitioner::{partition_for_key, Partitioner, PartitionerKind, Sticky, TopicPartitions};
use super::record::ProducerRecord;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::metadata::Metadata;

/// The first reservation of a batch (unless `batch.size` is smaller or the record larger).
const FIRST_CHUNK: usize = 16 * 1024;

/// The most buffers of acknowledged batches kept for reuse (also at most a quarter of
/// `buffer.memory`'s worth).
const MAX_SPARE_BUFFERS: usize = 16;

/// The most bytes a record's framing adds to its key, value and headers: length, attributes,
/// timestamp and offset deltas, key and value lengths and header count as varints at their
/// widest (5 + 1 + 10 + 5 + 5 + 5 + 5), and per header two lengths (5 + 5).
const RECORD_FRAMING: usize = 36;
const HEADER_FRAMING: usize = 10;

/// An upper bound of the bytes `record` takes in a batch.
pub(crate) fn record_size_bound(key: Option<&Bytes>, value: Option<&Bytes>, headers: &[Header]) -> usize {
    let headers: usize = headers.iter().map(|h| h.key().len() + h.value().map_or(0, Bytes::len) + HEADER_FRAMING).sum();
    key.map_or(0, Bytes::len) + value.map_or(0, Bytes::len) + headers + RECORD_FRAMING
}

/// The records of a batch: still open to appends, or encoded (and compressed) for sending.
pub(crate) enum Records {
    Open(RecordBatchBuilder),
    Built(Bytes),
}

/// One batch of one partition.
pub(crate) struct ProducerBatch {
    /// Increases with every batch made: orders the batches of a partition, and flushes.
    pub(crate) id: u64,
    pub(crate) completion: Arc<Completion>,
    pub(crate) records: Records,
    pub(crate) record_count: i32,
    pub(crate) created: Instant,
    /// Bytes of `buffer.memory` this batch holds.
    pub(crate) reserved: usize,
    /// How many times it was sent and failed with a retriable error.
    pub(crate) attempts: u32,
    /// Not to be sent again before this instant.
    pub(crate) retry_at: Option<Instant>,
    /// The producer id, epoch and base sequence the built records carry (idempotence).
    pub(crate) sequence: Option<(i64, i16, i32)>,
    /// Whether a request carrying it may have reached the broker (its outcome then is
    /// unknown until a response says).
    pub(crate) maybe_sent: bool,
}

impl Drop for ProducerBatch {
    fn drop(&mut self) {
        // Every path completes a batch before letting it go; this only acts if the sender
        // task itself was torn down (aborted, or its runtime shut down): the records' futures
        // then fail instead of waiting forever.
        self.completion.complete(Err(Error::Closed));
    }
}

impl ProducerBatch {
    /// The bytes it will take in a request (before compression, if not built yet).
    pub(crate) fn size(&self) -> usize {
        match &self.records {
            Records::Open(b) => b.size(),
            Records::Built(b) => b.len(),
        }
    }

    pub(crate) fn topic(&self) -> &Arc<str> {
        self.completion.topic()
    }

    pub(crate) fn partition(&self) -> i32 {
        self.completion.partition()
    }
}

/// The batches of one partition, and what the sender keeps about it.
#[derive(Default)]
pub(crate) struct PartitionQueue {
    /// The batch `send` appends to.
    pub(crate) open: Option<ProducerBatch>,
    /// Sealed batches and batches waiting to be retried, in the order they must be sent.
    pub(crate) queued: VecDeque<ProducerBatch>,
    /// Batches of this partition in requests without a response yet (the sender's count).
    pub(crate) in_flight: usize,
    /// The next base sequence (idempotence; the sender's).
    pub(crate) next_sequence: i32,
}

impl PartitionQueue {
    /// Seals the open batch: it takes no more records and goes to the back of the queue.
    pub(crate) fn seal(&mut self) -> bool {
        match self.open.take() {
            Some(b) => {
                self.queued.push_back(b);
                true
            }
            None => false,
        }
    }

    /// Puts a batch back to be retried, before every batch made after it.
    pub(crate) fn requeue(&mut self, batch: ProducerBatch) {
        let at = self.queued.iter().position(|b| b.id > batch.id).unwrap_or(self.queued.len());
        self.queued.insert(at, batch);
    }
}

/// How records without a partition get one. The built-in sticky partitioners run inline,
/// their per-topic state in [`TopicQueues`] under the accumulator's lock (the same rules as
/// [`DefaultPartitioner`](super::DefaultPartitioner) and
/// [`UniformStickyPartitioner`](super::UniformStickyPartitioner), without a second lock and
/// map lookup per record); any other runs through the [`Partitioner`] trait.
pub(crate) enum Choice {
    /// Sticky for keyless records; murmur2 for keyed ones unless `ignore_keys`.
    Sticky {
        ignore_keys: bool,
    },
    Custom(Arc<dyn Partitioner>),
}

impl Choice {
    pub(crate) fn of(kind: PartitionerKind) -> Choice {
        match kind {
            PartitionerKind::Default => Choice::Sticky { ignore_keys: false },
            PartitionerKind::UniformSticky => Choice::Sticky { ignore_keys: true },
            other => Choice::Custom(other.build()),
        }
    }
}

/// The queues of one topic.
pub(crate) struct TopicQueues {
    pub(crate) name: Arc<str>,
    sticky: Sticky,
    /// What the partitioner knows, from the metadata fetched at `info_from`.
    info: Option<TopicPartitions>,
    info_from: Option<std::time::Instant>,
    pub(crate) partitions: Vec<PartitionQueue>,
}

/// Everything under the accumulator's lock.
pub(crate) struct State {
    pub(crate) topics: FxHashMap<Arc<str>, TopicQueues>,
    next_batch_id: u64,
    /// Batches not completed yet, by id (what `flush` waits for).
    incomplete: BTreeSet<u64>,
    /// Buffers of acknowledged batches, `batch.size` or more each, for new batches (fresh
    /// allocations of large buffers cost page faults on every batch).
    spare: Vec<BytesMut>,
}

impl State {
    /// Whether any batch is open, queued or in flight.
    pub(crate) fn has_batches(&self) -> bool {
        !self.incomplete.is_empty()
    }
}

/// What one attempt to append found.
enum Step {
    Appended(DeliveryFuture),
    /// The topic's partitions are not known yet.
    NeedMetadata,
    /// This many more bytes of memory are needed.
    NeedMemory(usize),
}

pub(crate) struct Accumulator {
    pub(crate) config: Arc<ProducerConfig>,
    partitioner: Choice,
    state: Mutex<State>,
    memory: Semaphore,
    /// How many `send`s wait for memory (the sender then sends everything at once, as Java
    /// does when the pool is exhausted).
    memory_waiters: AtomicUsize,
    /// Wakes the sender: a batch is full or new, a flush started, the producer closes.
    pub(crate) wake: Notify,
    /// Wakes `flush` and `close`: batches completed.
    progress: Notify,
    flushing: AtomicUsize,
    /// No more records are accepted; the sender sends what is left and stops.
    closing: AtomicBool,
    /// The sender is to fail what is left and stop at once.
    aborting: AtomicBool,
}

pub(crate) fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    // Appends and drains leave the queues consistent at every step that can panic (none is
    // expected); a poisoned lock's data is still usable.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

impl Accumulator {
    pub(crate) fn new(config: Arc<ProducerConfig>, partitioner: Choice) -> Self {
        let permits = config.buffer_memory.min(Semaphore::MAX_PERMITS);
        Accumulator {
            config,
            partitioner,
            state: Mutex::new(State {
                topics: FxHashMap::default(),
                next_batch_id: 0,
                incomplete: BTreeSet::new(),
                spare: Vec::new(),
            }),
            memory: Semaphore::new(permits),
            memory_waiters: AtomicUsize::new(0),
            wake: Notify::new(),
            progress: Notify::new(),
            flushing: AtomicUsize::new(0),
            closing: AtomicBool::new(false),
            aborting: AtomicBool::new(false),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Whether every batch should be sent now, ignoring `linger`.
    pub(crate) fn send_everything(&self) -> bool {
        self.flushing.load(Ordering::Acquire) > 0
            || self.memory_waiters.load(Ordering::Acquire) > 0
            || self.closing.load(Ordering::Acquire)
    }

    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    pub(crate) fn is_aborting(&self) -> bool {
        self.aborting.load(Ordering::Acquire)
    }

    /// Refuses records from now on and has the sender send what is left, then stop.
    pub(crate) fn close(&self) {
        self.closing.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    /// Has the sender fail what is left and stop.
    pub(crate) fn abort(&self) {
        self.closing.store(true, Ordering::Release);
        self.aborting.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    /// Bytes of `buffer.memory` not reserved by any batch.
    pub(crate) fn available_memory(&self) -> usize {
        self.memory.available_permits()
    }

    /// Appends `record`, waiting (at most `max.block`) for the topic's metadata and for
    /// memory. Errors that refuse the record are returned; the caller turns them into a failed
    /// delivery future.
    pub(crate) async fn append(&self, client: &Client, record: &ProducerRecord<'_>) -> Result<DeliveryFuture> {
        if self.is_closing() {
            return Err(Error::Closed);
        }
        let need = record_size_bound(record.key.as_ref(), record.value.as_ref(), &record.headers);
        let alone = need + RECORD_BATCH_OVERHEAD;
        if alone > self.config.max_request_size {
            return Err(Error::kafka(
                ErrorCode::MESSAGE_TOO_LARGE,
                format!(
                    "a record of about {alone} bytes for topic `{}` is larger than max.request.size ({}); \
                     raise max.request.size (and the broker's message.max.bytes) or send smaller records",
                    record.topic, self.config.max_request_size
                ),
            ));
        }
        if alone > self.config.buffer_memory {
            return Err(Error::kafka(
                ErrorCode::MESSAGE_TOO_LARGE,
                format!(
                    "a record of about {alone} bytes for topic `{}` is larger than buffer.memory ({}); \
                     raise buffer.memory",
                    record.topic, self.config.buffer_memory
                ),
            ));
        }
        let timestamp = record.timestamp.unwrap_or_else(now_ms);
        let mut prepaid = 0usize;
        let mut deadline: Option<Instant> = None;
        let result = loop {
            let step = self.try_append(&client.metadata_snapshot(), record, timestamp, need, &mut prepaid);
            if let Ok(Step::Appended(f)) = step {
                break Ok(f);
            }
            // The slow path: set the max.block deadline at the first wait.
            let deadline = *deadline.get_or_insert_with(|| Instant::now() + self.config.max_block);
            match step {
                Ok(Step::Appended(f)) => break Ok(f),
                Err(e) => break Err(e),
                Ok(Step::NeedMetadata) => {
                    if let Err(e) = self.wait_for_topic(client, record, deadline).await {
                        break Err(e);
                    }
                }
                Ok(Step::NeedMemory(n)) => {
                    let more = n.saturating_sub(prepaid);
                    match self.wait_for_memory(more, deadline, record.topic).await {
                        Ok(()) => prepaid += more,
                        Err(e) => break Err(e),
                    }
                }
            }
        };
        if prepaid > 0 {
            self.release(prepaid);
        }
        result
    }

    /// Waits until the metadata lists `record`'s topic (and its partition, if it names one).
    async fn wait_for_topic(&self, client: &Client, record: &ProducerRecord<'_>, deadline: Instant) -> Result<()> {
        let topic = record.topic;
        let mut backoff = crate::Backoff::new(self.config.retry_backoff, self.config.retry_backoff_max);
        let mut last: Option<Error> = None;
        loop {
            if self.is_closing() {
                return Err(Error::Closed);
            }
            match tokio::time::timeout_at(deadline, client.metadata_for(&[topic])).await {
                Err(_) => break,
                Ok(Err(e)) => last = Some(e),
                Ok(Ok(md)) => match md.topic(topic) {
                    Some(t) if t.error.is_ok() && !t.partitions.is_empty() => {
                        let count = t.partitions.len() as i32;
                        match record.partition {
                            Some(p) if p < 0 || p >= count => {
                                // The metadata may be older than a partition increase: look once more.
                                if last.is_some() {
                                    return Err(Error::kafka(
                                        ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
                                        format!("partition {p} of topic `{topic}` does not exist (it has {count})"),
                                    ));
                                }
                                last = Some(Error::kafka(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, "partition"));
                                client.invalidate();
                            }
                            _ => return Ok(()),
                        }
                    }
                    Some(t) if !t.error.is_ok() && !t.error.is_retriable() => {
                        return Err(Error::kafka(t.error, format!("getting the metadata of topic `{topic}`")));
                    }
                    Some(t) => {
                        last = Some(Error::kafka(t.error, format!("getting the metadata of topic `{topic}`")));
                        client.invalidate();
                    }
                    None => client.invalidate(),
                },
            }
            let next = Instant::now() + backoff.next_delay();
            if next >= deadline {
                tokio::time::sleep_until(deadline).await;
                break;
            }
            tokio::time::sleep_until(next).await;
        }
        let after = self.config.max_block;
        Err(match last {
            Some(Error::Kafka { code, .. }) if code == ErrorCode::UNKNOWN_TOPIC_OR_PARTITION || code.is_ok() => {
                Error::kafka(
                    ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
                    format!(
                        "topic `{topic}`{} is not in the cluster's metadata after max.block.ms ({} ms): create it, \
                         or enable auto-creation on the broker",
                        record.partition.map(|p| format!(" partition {p}")).unwrap_or_default(),
                        after.as_millis()
                    ),
                )
            }
            Some(e) => e,
            None => Error::TimedOut {
                what: format!("getting the metadata of topic `{topic}`"),
                after,
                hint: "check that the cluster is reachable, or raise max.block.ms",
            },
        })
    }

    /// Takes `n` bytes from the budget, waiting until `deadline`.
    async fn wait_for_memory(&self, n: usize, deadline: Instant, topic: &str) -> Result<()> {
        let n32 = u32::try_from(n).map_err(|_| Error::config("buffer.memory", "a reservation above 4 GiB"))?;
        self.memory_waiters.fetch_add(1, Ordering::AcqRel);
        self.wake.notify_one();
        let _waiting = WaiterGuard(&self.memory_waiters);
        match tokio::time::timeout_at(deadline, self.memory.acquire_many(n32)).await {
            Ok(Ok(permit)) => {
                permit.forget();
                Ok(())
            }
            Ok(Err(_)) => Err(Error::Closed),
            Err(_) => Err(Error::TimedOut {
                what: format!(
                    "waiting for {n} bytes of buffer.memory ({} bytes) to buffer a record for topic `{topic}`",
                    self.config.buffer_memory
                ),
                after: self.config.max_block,
                hint: "records are produced faster than the brokers take them: slow down, raise buffer.memory \
                       or max.block.ms, or check that the brokers are reachable",
            }),
        }
    }

    /// Takes `n` bytes of memory from `prepaid` or, without waiting, from the budget.
    fn take(&self, n: usize, prepaid: &mut usize) -> bool {
        if *prepaid >= n {
            *prepaid -= n;
            return true;
        }
        let more = n - *prepaid;
        match u32::try_from(more).ok().and_then(|m| self.memory.try_acquire_many(m).ok()) {
            Some(permit) => {
                permit.forget();
                *prepaid = 0;
                true
            }
            None => false,
        }
    }

    pub(crate) fn release(&self, n: usize) {
        self.memory.add_permits(n);
    }

    /// One attempt to append under the lock.
    fn try_append(
        &self,
        metadata: &Metadata,
        record: &ProducerRecord<'_>,
        timestamp: i64,
        need: usize,
        prepaid: &mut usize,
    ) -> Result<Step> {
        let mut st = self.lock();
        let st = &mut *st;
        let topic = match st.topics.get_mut(record.topic) {
            Some(t) => t,
            None => {
                let name: Arc<str> = Arc::from(record.topic);
                st.topics.entry(name.clone()).or_insert(TopicQueues {
                    sticky: Sticky::None,
                    name,
                    info: None,
                    info_from: None,
                    partitions: Vec::new(),
                })
            }
        };
        if topic.info_from != Some(metadata.fetched_at) {
            if let Some(info) =
                metadata.topic(record.topic).filter(|t| t.error.is_ok()).and_then(TopicPartitions::from_topic)
            {
                topic.info = Some(info);
                topic.info_from = Some(metadata.fetched_at);
            }
        }
        let Some(info) = &topic.info else { return Ok(Step::NeedMetadata) };
        let count = info.count();
        let (mut partition, chosen) = match record.partition {
            Some(p) if p < 0 || p >= count => return Ok(Step::NeedMetadata),
            Some(p) => (p, false),
            None => (choose(&self.partitioner, &mut topic.sticky, record, info), true),
        };
        if topic.partitions.len() < count as usize {
            topic.partitions.resize_with(count as usize, PartitionQueue::default);
        }
        let config = &*self.config;
        let mut may_switch = chosen;
        loop {
            let q = &mut topic.partitions[partition as usize];
            if let Some(b) = &mut q.open {
                if let Records::Open(builder) = &mut b.records {
                    if builder.is_empty() || builder.size() + need <= config.batch_size {
                        let want = builder.size() + need;
                        if want > b.reserved {
                            let room = config.batch_size.saturating_sub(b.reserved);
                            let grow = (want - b.reserved).max(b.reserved.min(room));
                            if !self.take(grow, prepaid) {
                                return Ok(Step::NeedMemory(grow));
                            }
                            b.reserved += grow;
                        }
                        let index = builder.append(
                            timestamp,
                            record.key.as_deref(),
                            record.value.as_deref(),
                            &record.headers,
                        )?;
                        b.record_count += 1;
                        let full = builder.size() + RECORD_FRAMING >= config.batch_size;
                        let future = DeliveryFuture::pending(b.completion.clone(), index, timestamp);
                        if full {
                            // No record would fit any more.
                            q.seal();
                            self.wake.notify_one();
                        }
                        return Ok(Step::Appended(future));
                    }
                }
                // Full for this record.
                q.seal();
                self.wake.notify_one();
            }
            if may_switch {
                // A new batch starts: a sticky partitioner moves on (KIP-480), and the record
                // goes where it now points.
                may_switch = false;
                match &self.partitioner {
                    Choice::Sticky { .. } => topic.sticky.on_new_batch(partition),
                    Choice::Custom(p) => p.on_new_batch(record.topic, partition),
                }
                let info = topic.info.as_ref().expect("checked above");
                let again = choose(&self.partitioner, &mut topic.sticky, record, info);
                if again != partition {
                    partition = again;
                    continue;
                }
            }
            // A new batch.
            let alone = need + RECORD_BATCH_OVERHEAD;
            // A recycled buffer if there is one and its whole capacity fits the budget now;
            // otherwise a fresh one, reserved in chunks as it grows.
            let mut recycled = None;
            if alone <= config.batch_size {
                if let Some(buf) = st.spare.pop() {
                    if self.take(buf.capacity(), prepaid) {
                        recycled = Some(buf);
                    } else {
                        st.spare.push(buf);
                    }
                }
            }
            let (builder, first) = match recycled {
                Some(buf) => {
                    let capacity = buf.capacity();
                    (RecordBatchBuilder::with_buffer(0, buf), capacity)
                }
                None => {
                    let first =
                        if alone > config.batch_size { alone } else { config.batch_size.min(FIRST_CHUNK.max(alone)) };
                    if !self.take(first, prepaid) {
                        return Ok(Step::NeedMemory(first));
                    }
                    (RecordBatchBuilder::with_capacity(0, first), first)
                }
            };
            let mut builder = builder.with_compression(config.compression);
            if let Some(level) = config.compression_level {
                builder = builder.with_compression_level(Some(level));
            }
            let index = match builder.append(timestamp, record.key.as_deref(), record.value.as_deref(), &record.headers)
            {
                Ok(i) => i,
                Err(e) => {
                    self.release(first);
                    return Err(e.into());
                }
            };
            let id = st.next_batch_id;
            st.next_batch_id += 1;
            st.incomplete.insert(id);
            let completion = Completion::new(topic.name.clone(), partition);
            let future = DeliveryFuture::pending(completion.clone(), index, timestamp);
            let q = &mut topic.partitions[partition as usize];
            q.open = Some(ProducerBatch {
                id,
                completion,
                records: Records::Open(builder),
                record_count: 1,
                created: Instant::now(),
                reserved: first,
                attempts: 0,
                retry_at: None,
                sequence: None,
                maybe_sent: false,
            });
            if alone + RECORD_FRAMING >= config.batch_size {
                q.seal();
            }
            self.wake.notify_one();
            return Ok(Step::Appended(future));
        }
    }

    /// Completes batches: sets their outcome (running callbacks), returns their memory, and
    /// wakes `flush`.
    pub(crate) fn complete(&self, batches: Vec<(ProducerBatch, Result<BatchAck>)>) {
        if batches.is_empty() {
            return;
        }
        // Futures and callbacks first, then the bookkeeping `flush` waits on: a flush returns
        // only once the callbacks of its records have run (as Java's).
        let mut memory = 0;
        let mut ids = Vec::with_capacity(batches.len());
        let mut buffers = Vec::new();
        let batch_size = self.config.batch_size;
        for (mut b, result) in batches {
            memory += b.reserved;
            ids.push(b.id);
            b.completion.complete(result);
            // The records' buffer, if nothing else holds it, for a later batch.
            if let Records::Built(bytes) = std::mem::replace(&mut b.records, Records::Built(Bytes::new())) {
                if bytes.len() <= 2 * batch_size {
                    if let Ok(buf) = bytes.try_into_mut() {
                        if (batch_size..=2 * batch_size).contains(&buf.capacity()) {
                            buffers.push(buf);
                        }
                    }
                }
            }
        }
        {
            let mut st = self.lock();
            for id in ids {
                st.incomplete.remove(&id);
            }
            let keep = (self.config.buffer_memory / batch_size / 4).clamp(1, MAX_SPARE_BUFFERS);
            for buf in buffers {
                if st.spare.len() >= keep {
                    break;
                }
                st.spare.push(buf);
            }
        }
        self.release(memory);
        self.progress.notify_waiters();
    }

    /// Sends every batch now and waits until every batch made before the call completed
    /// (successfully or not).
    pub(crate) async fn flush(&self) {
        let target = self.lock().next_batch_id;
        self.flushing.fetch_add(1, Ordering::AcqRel);
        let _flushing = WaiterGuard(&self.flushing);
        self.wake.notify_one();
        self.wait_for(|st| st.incomplete.first().is_none_or(|&id| id >= target)).await;
    }

    /// Waits until no batch is left.
    pub(crate) async fn wait_empty(&self) {
        self.wait_for(|st| st.incomplete.is_empty()).await;
    }

    async fn wait_for(&self, done: impl Fn(&State) -> bool) {
        loop {
            let progress = self.progress.notified();
            tokio::pin!(progress);
            progress.as_mut().enable();
            if done(&self.lock()) {
                return;
            }
            progress.await;
        }
    }

    /// Forgets every batch (after the sender was torn down): `flush` and `close` stop waiting.
    pub(crate) fn forget_all(&self) {
        let batches = self.take_all();
        self.lock().incomplete.clear();
        drop(batches);
        self.progress.notify_waiters();
    }

    /// Takes every batch that is not in flight out of the queues (to fail them).
    pub(crate) fn take_all(&self) -> Vec<ProducerBatch> {
        let mut st = self.lock();
        let mut out = Vec::new();
        for t in st.topics.values_mut() {
            for q in &mut t.partitions {
                out.extend(q.open.take());
                out.extend(q.queued.drain(..));
            }
        }
        out
    }

    /// The retry backoff before attempt `attempts + 1` (exponential with jitter, as Java's
    /// KIP-580).
    pub(crate) fn retry_backoff(&self, attempts: u32) -> Duration {
        let mut b = crate::Backoff::new(self.config.retry_backoff, self.config.retry_backoff_max);
        let mut d = b.next_delay();
        for _ in 1..attempts.min(32) {
            d = b.next_delay();
        }
        d
    }
}

/// The partition for a record that names none.
fn choose(choice: &Choice, sticky: &mut Sticky, record: &ProducerRecord<'_>, info: &TopicPartitions) -> i32 {
    match choice {
        Choice::Sticky { ignore_keys } => {
            if let (false, Some(key)) = (ignore_keys, &record.key) {
                return partition_for_key(key, info.count());
            }
            sticky.partition(info)
        }
        Choice::Custom(p) => p.partition(record.topic, record.key.as_deref(), record.value.as_deref(), info),
    }
}

/// Decrements a counter when dropped (a cancelled `send` or `flush` must not leave it raised).
struct WaiterGuard<'a>(&'a AtomicUsize);

impl Drop for WaiterGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BufMut;

    #[test]
    fn a_finished_batch_buffer_can_be_recycled_with_its_capacity() {
        // What `complete` relies on: the uncompressed batch `finish` returns is the builder's
        // own buffer, and once nothing else holds it, it comes back whole.
        let mut buf = BytesMut::with_capacity(1 << 20);
        buf.put_slice(b"stale");
        let mut b = RecordBatchBuilder::with_buffer(0, buf);
        b.append(1, None, Some(&[7u8; 100]), &[]).unwrap();
        let bytes = b.finish().unwrap();
        let again = bytes.try_into_mut().expect("unique");
        assert!(again.capacity() >= 1 << 20, "capacity {}", again.capacity());
    }

    #[test]
    fn record_size_bound_covers_the_encoding() {
        let key = Bytes::from_static(b"k");
        let value = Bytes::from(vec![0u8; 300]);
        let headers = [Header::new("h", Some(Bytes::from_static(b"v")))];
        let mut b = RecordBatchBuilder::new(0);
        for _ in 0..3 {
            let before = b.size();
            b.append(i64::MAX / 2, Some(&key), Some(&value), &headers).unwrap();
            assert!(b.size() - before <= record_size_bound(Some(&key), Some(&value), &headers));
        }
    }
}
