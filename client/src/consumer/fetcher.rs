//! The fetcher task: one Fetch request in flight per leader broker, covering the assigned,
//! unpaused partitions it leads, fetching ahead of the application into a bounded buffer
//! (at most one undelivered response per partition, as the Java consumer).
//!
//! One task owns everything: the set of partitions to fetch (replaced whole by
//! [`FetchCommand::Fetch`]), each partition's next fetch offset, backoff and buffer slot, and
//! the requests in flight (one per broker, each on a short-lived task that connects, sends and
//! decodes, so one slow broker holds up only its own partitions). Each turn it plans requests
//! for the partitions that are fetchable — not in flight, their previous [`Fetched`] dropped by
//! the consumer, not backing off, not stopped by an error — grouped by the leader in the
//! metadata snapshot, and then waits for a command, a response, a released buffer slot or the
//! end of a backoff.
//!
//! - **Fetching ahead**: when a partition's data arrives, its next offset moves past the last
//!   whole batch at once, found by reading batch headers only
//!   ([`scan_batches`](kafkit_protocol::record::scan_batches): no CRC, no decompression); the
//!   records are decoded later, by the consumer's [`PartitionCursor`](super::cursor). The
//!   next request for the partition goes out as soon as the consumer drops the `Fetched` —
//!   so memory is bounded by one undelivered response and one request in flight per partition.
//! - **Full fetches**: every request lists every partition it fetches (session id 0, epoch -1):
//!   no incremental fetch sessions (KIP-227). They save bandwidth with thousands of
//!   partitions; with the few dozen a consumer usually reads, a full request is a few hundred
//!   bytes.
//! - **No long poll in the way**: a request of caught-up partitions only (which the broker
//!   holds for up to `fetch.max.wait.ms`) is held back while a partition of the same broker
//!   that has more to fetch waits for the consumer to take its buffered data, so that it can
//!   go in the next request as soon as its slot frees (see `Fetcher::defer`).
//! - **Fairness**: a request lists its partitions least recently served first, so that one
//!   busy partition does not take the whole `fetch.max.bytes` every time.
//! - **Errors**, as the Java consumer: leadership and metadata errors (NOT_LEADER_OR_FOLLOWER,
//!   UNKNOWN_TOPIC_OR_PARTITION, FENCED_LEADER_EPOCH, KAFKA_STORAGE_ERROR, ...), lost
//!   connections and timeouts refresh the metadata and refetch from the same offset, at the
//!   (new) leader, after a backoff; OFFSET_OUT_OF_RANGE and non-retriable errors (authorization,
//!   corrupt message, ...) are handed to the consumer as a [`Fetched`] with an error and the
//!   partition is not fetched again until the consumer gives it a new tag.
//! - **Epochs**: `current_leader_epoch` is the leader epoch of the metadata, as Java sends;
//!   `last_fetched_epoch` is not sent, so log truncation after an
//!   unclean leader election is not detected (no OffsetsForLeaderEpoch validation).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafkit_protocol::codec::Uuid;
use kafkit_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafkit_protocol::messages::fetch_response::PartitionData;
use kafkit_protocol::messages::{FetchRequest, FetchResponse};
use kafkit_protocol::record::scan_batches;
use kafkit_protocol::ErrorCode;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::{debug, warn};

use super::config::ConsumerConfig;
use super::types::{IsolationLevel, TopicPartition};
use crate::backoff::Backoff;
use crate::client::Client;
use crate::error::{Error, Result};

/// The first Fetch version with topic ids instead of names.
const FIRST_TOPIC_ID_VERSION: i16 = 13;
/// The first Fetch version with an isolation level.
const FIRST_ISOLATION_VERSION: i16 = 4;
/// The cap of a partition's retry backoff (Java's `retry.backoff.max.ms` default).
const RETRY_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// Where to fetch one partition from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FetchTarget {
    /// The offset to fetch from when `tag` is new to the fetcher.
    pub offset: i64,
    /// The leader epoch of the last record consumed before `offset`, if known. The Fetch
    /// request's `current_leader_epoch` is the metadata's leader epoch, as Java sends (the
    /// epoch of a consumed record would be fenced for good once leadership moved); an epoch
    /// here newer than the metadata's makes the fetcher refresh the metadata.
    pub leader_epoch: Option<i32>,
    /// Changes whenever the consumer moves the position itself (assign, seek, reset): the
    /// fetcher keeps fetching ahead from its own offset while the tag stays the same, and
    /// the consumer drops fetched data whose tag is stale.
    pub tag: u64,
}

/// A command to the fetcher.
#[derive(Debug)]
pub(crate) enum FetchCommand {
    /// The complete set of partitions to fetch now (assigned, unpaused, with a position),
    /// replacing the previous set.
    Fetch(HashMap<TopicPartition, FetchTarget>),
}

/// One partition's part of a Fetch response, handed to the consumer. Dropping it lets the
/// fetcher fetch that partition again.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub tp: TopicPartition,
    /// The tag of the target this was fetched for.
    pub tag: u64,
    /// The offset the request asked for: records before it (in a batch that starts earlier)
    /// are not to be returned. Consecutive `Fetched` of one tag follow each other: each
    /// starts where the whole batches of the previous one ended.
    pub fetch_offset: i64,
    /// The data, or the error the broker answered for this partition that the consumer must
    /// handle (OFFSET_OUT_OF_RANGE: the reset policy; others: returned by `poll`).
    /// Retriable errors (leader moved, ...) are handled by the fetcher and never get here.
    pub result: Result<FetchedData>,
    pub(crate) _slot: BufferSlot,
}

/// Records of one partition as the broker sent them (not yet decoded).
#[derive(Debug, Clone)]
pub(crate) struct FetchedData {
    /// The record batches (v2, or legacy message sets), possibly ending in a partial batch.
    pub records: Bytes,
    /// The partition's end: the offset the next record produced gets.
    pub high_watermark: i64,
    /// The end of what read_committed consumers may read (-1 if the broker does not say).
    #[allow(dead_code)] // for lag under read_committed, not reported yet
    pub last_stable_offset: i64,
    /// The first offset still in the log (-1 if the broker does not say).
    #[allow(dead_code)] // for lag metrics, not reported yet
    pub log_start_offset: i64,
    /// read_committed: the aborted transactions overlapping these records, as
    /// (producer id, first offset), in first-offset order.
    pub aborted_transactions: Vec<(i64, i64)>,
}

/// A partition's buffer slot: taken while its [`Fetched`] is alive.
struct Slot {
    taken: AtomicBool,
    /// The fetcher's wake-up, told when the slot is released.
    released: Arc<Notify>,
}

/// Keeps a partition's buffer slot taken while its [`Fetched`] is alive.
pub(crate) struct BufferSlot {
    slot: Arc<Slot>,
}

impl BufferSlot {
    fn take(slot: &Arc<Slot>) -> Self {
        slot.taken.store(true, Ordering::Release);
        BufferSlot { slot: slot.clone() }
    }

    /// A slot that belongs to no fetcher (for tests that build [`Fetched`] values).
    #[cfg(test)]
    pub(crate) fn detached() -> Self {
        BufferSlot::take(&Arc::new(Slot { taken: AtomicBool::new(false), released: Arc::new(Notify::new()) }))
    }
}

impl Drop for BufferSlot {
    fn drop(&mut self) {
        self.slot.taken.store(false, Ordering::Release);
        self.slot.released.notify_one();
    }
}

impl std::fmt::Debug for BufferSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BufferSlot")
    }
}

/// The consumer's end of the fetcher task. Dropping it stops the task.
#[derive(Debug)]
pub(crate) struct FetcherHandle {
    pub(crate) commands: mpsc::UnboundedSender<FetchCommand>,
    pub(crate) fetched: mpsc::UnboundedReceiver<Fetched>,
}

/// Starts the fetcher task. It runs until the handle's command sender is dropped.
pub(crate) fn spawn(client: Client, config: Arc<ConsumerConfig>) -> FetcherHandle {
    let (commands, commands_rx) = mpsc::unbounded_channel();
    let (fetched_tx, fetched) = mpsc::unbounded_channel();
    let fetcher = Fetcher {
        client,
        config,
        commands: commands_rx,
        out: fetched_tx,
        partitions: HashMap::new(),
        slots: HashMap::new(),
        in_flight_partitions: HashSet::new(),
        requests: HashMap::new(),
        tasks: JoinSet::new(),
        throttled: HashMap::new(),
        released: Arc::new(Notify::new()),
        metadata_task: None,
        metadata_not_before: None,
        last_invalidate: None,
        served: 0,
        deferred: HashMap::new(),
    };
    tokio::spawn(fetcher.run());
    FetcherHandle { commands, fetched }
}

/// One partition the fetcher fetches.
#[derive(Debug)]
struct PartitionState {
    tag: u64,
    /// The target's leader epoch.
    leader_epoch: Option<i32>,
    /// The offset of the next request.
    next_offset: i64,
    /// An error was handed to the consumer: nothing more until the tag changes.
    stopped: bool,
    /// Backing off after a failure until then.
    not_before: Option<Instant>,
    backoff: Backoff,
    /// When data of this partition was last handed over (a counter): requests list the least
    /// recently served partitions first.
    last_served: u64,
    /// The high watermark of the last answer for this partition (-1 before the first).
    high_watermark: i64,
    /// The high watermark of the last `Fetched` handed over (-1 before the first): an answer
    /// without records is handed over only to tell the consumer a new one.
    delivered_high_watermark: i64,
}

impl PartitionState {
    /// Whether the last answer said there is nothing past `next_offset` yet: a request for
    /// this partition would wait for new records (up to `fetch.max.wait.ms`).
    fn caught_up(&self) -> bool {
        self.high_watermark >= 0 && self.next_offset >= self.high_watermark
    }
}

/// A partition in a request.
#[derive(Debug, Clone)]
struct Planned {
    tp: TopicPartition,
    topic_id: Uuid,
    tag: u64,
    offset: i64,
    current_leader_epoch: i32,
    /// Whether the partition was caught up when planned (see [`PartitionState::caught_up`]).
    caught_up: bool,
}

/// A Fetch request in flight.
struct InFlight {
    broker: i32,
    partitions: Vec<Planned>,
}

/// What a request task returns: the response and the version it was read at.
type FetchOutcome = Result<(FetchResponse, i16)>;

/// What a background task returns.
enum TaskOutput {
    Fetch(FetchOutcome),
    Metadata(Result<()>),
}

/// The settings a request needs.
#[derive(Debug, Clone, Copy)]
struct RequestSettings {
    max_wait: Duration,
    min_bytes: i32,
    max_bytes: i32,
    partition_max_bytes: i32,
    isolation: IsolationLevel,
    request_timeout: Duration,
}

/// How the fetcher deals with an error for a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Disposition {
    /// Back off and fetch again from the same offset, refreshing the metadata first if
    /// `invalidate`.
    Retry { invalidate: bool },
    /// Hand the error to the consumer and stop fetching the partition until its tag changes.
    Deliver,
}

/// What to do with a partition-level error code of a Fetch response (Java's
/// `FetchCollector.handleInitializeErrors`).
fn classify_code(code: ErrorCode) -> Disposition {
    match code {
        ErrorCode::OFFSET_OUT_OF_RANGE | ErrorCode::CORRUPT_MESSAGE => Disposition::Deliver,
        // Java logs and retries these two.
        ErrorCode::UNKNOWN_SERVER_ERROR => Disposition::Retry { invalidate: false },
        ErrorCode::UNKNOWN_LEADER_EPOCH => Disposition::Retry { invalidate: true },
        c if c.is_retriable() => Disposition::Retry { invalidate: c.invalidates_metadata() },
        _ => Disposition::Deliver,
    }
}

/// What to do with a failed request (connecting, sending or decoding).
fn classify_error(e: &Error) -> Disposition {
    match e {
        Error::Kafka { code, .. } => match classify_code(*code) {
            // The leader the metadata named is not in it any more.
            Disposition::Deliver if *code == ErrorCode::BROKER_NOT_AVAILABLE => Disposition::Retry { invalidate: true },
            d => d,
        },
        Error::Timeout { .. } => Disposition::Retry { invalidate: true },
        e if e.is_retriable() => Disposition::Retry { invalidate: e.invalidates_metadata() },
        _ => Disposition::Deliver,
    }
}

struct Fetcher {
    client: Client,
    config: Arc<ConsumerConfig>,
    commands: mpsc::UnboundedReceiver<FetchCommand>,
    out: mpsc::UnboundedSender<Fetched>,
    partitions: HashMap<TopicPartition, PartitionState>,
    /// Buffer slots, kept while a partition is fetched or its `Fetched` is alive.
    slots: HashMap<TopicPartition, Arc<Slot>>,
    /// Partitions in a request in flight.
    in_flight_partitions: HashSet<TopicPartition>,
    /// Requests in flight, by task id.
    requests: HashMap<tokio::task::Id, InFlight>,
    tasks: JoinSet<TaskOutput>,
    /// Brokers not to send to before the time (a throttled response, KIP-219).
    throttled: HashMap<i32, Instant>,
    released: Arc<Notify>,
    /// The metadata task fetching topics the snapshot lacks, if one runs.
    metadata_task: Option<tokio::task::Id>,
    metadata_not_before: Option<Instant>,
    last_invalidate: Option<Instant>,
    served: u64,
    /// Brokers whose request waits for a lagging partition's buffer slot, since when.
    deferred: HashMap<i32, Instant>,
}

impl Fetcher {
    async fn run(mut self) {
        debug!("fetcher started");
        loop {
            if self.out.is_closed() {
                break; // the consumer is gone
            }
            let wake = self.plan();
            let sleep = async {
                match wake {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                command = self.commands.recv() => match command {
                    Some(FetchCommand::Fetch(targets)) => self.set_targets(targets),
                    None => break,
                },
                Some(done) = self.tasks.join_next_with_id(), if !self.tasks.is_empty() => match done {
                    Ok((id, output)) => self.task_done(id, output),
                    Err(e) => {
                        let broker = self.requests.get(&e.id()).map_or(-1, |r| r.broker);
                        let failed = Error::Disconnected {
                            broker: format!("broker {broker}"),
                            reason: format!("the fetch task failed: {e}"),
                            maybe_applied: true,
                        };
                        self.task_done(e.id(), TaskOutput::Fetch(Err(failed)));
                    }
                },
                _ = self.released.notified() => {}
                _ = sleep => {}
            }
        }
        self.tasks.abort_all();
        debug!("fetcher stopped");
    }

    fn settings(&self) -> RequestSettings {
        let c = &self.config;
        RequestSettings {
            max_wait: c.fetch_max_wait,
            min_bytes: c.fetch_min_bytes,
            max_bytes: c.fetch_max_bytes,
            partition_max_bytes: c.max_partition_fetch_bytes,
            isolation: c.isolation_level,
            request_timeout: c.client.request_timeout,
        }
    }

    fn new_backoff(&self) -> Backoff {
        let base = self.config.retry_backoff;
        Backoff::new(base, RETRY_BACKOFF_MAX.max(base))
    }

    /// Replaces the set of partitions to fetch.
    fn set_targets(&mut self, targets: HashMap<TopicPartition, FetchTarget>) {
        let mut old = std::mem::take(&mut self.partitions);
        for (tp, target) in targets {
            let state = match old.remove(&tp) {
                Some(mut s) if s.tag == target.tag => {
                    s.leader_epoch = target.leader_epoch;
                    s
                }
                _ => {
                    debug!(partition = %tp, offset = target.offset, tag = target.tag, "fetching from a new position");
                    PartitionState {
                        tag: target.tag,
                        leader_epoch: target.leader_epoch,
                        next_offset: target.offset,
                        stopped: false,
                        not_before: None,
                        backoff: self.new_backoff(),
                        last_served: 0,
                        high_watermark: -1,
                        delivered_high_watermark: -1,
                    }
                }
            };
            self.partitions.insert(tp, state);
        }
        let partitions = &self.partitions;
        self.slots.retain(|tp, slot| partitions.contains_key(tp) || slot.taken.load(Ordering::Acquire));
    }

    fn slot(&mut self, tp: &TopicPartition) -> Arc<Slot> {
        let released = &self.released;
        self.slots
            .entry(tp.clone())
            .or_insert_with(|| Arc::new(Slot { taken: AtomicBool::new(false), released: released.clone() }))
            .clone()
    }

    fn slot_taken(&self, tp: &TopicPartition) -> bool {
        self.slots.get(tp).is_some_and(|s| s.taken.load(Ordering::Acquire))
    }

    /// Asks for a metadata refresh, at most once per retry backoff.
    fn invalidate(&mut self, now: Instant) {
        if self.last_invalidate.is_none_or(|t| now >= t + self.config.retry_backoff) {
            self.last_invalidate = Some(now);
            self.client.invalidate();
        }
    }

    /// Sends the requests that can go now; returns when to look again if nothing else wakes
    /// the task.
    fn plan(&mut self) -> Option<Instant> {
        let now = Instant::now();
        let md = self.client.metadata();
        let mut wake: Option<Instant> = None;
        let mut earliest = |t: Instant| wake = Some(wake.map_or(t, |w| w.min(t)));
        let mut by_broker: HashMap<i32, Vec<(u64, Planned)>> = HashMap::new();
        let mut missing_topics: Vec<String> = Vec::new();
        let mut retry: Vec<(TopicPartition, bool)> = Vec::new();
        let mut deliver: Vec<(TopicPartition, Error)> = Vec::new();
        let mut stale_metadata = false;
        // Brokers leading a partition that has more to fetch but waits for the consumer to
        // take its buffered data.
        let mut lagging_behind_slot: HashSet<i32> = HashSet::new();
        for (tp, st) in &self.partitions {
            if st.stopped || self.in_flight_partitions.contains(tp) {
                continue;
            }
            if self.slot_taken(tp) {
                if !st.caught_up() {
                    if let Some(leader) = md.topic(&tp.topic).and_then(|t| t.partition(tp.partition)?.leader) {
                        lagging_behind_slot.insert(leader);
                    }
                }
                continue;
            }
            if let Some(t) = st.not_before {
                if t > now {
                    earliest(t);
                    continue;
                }
            }
            let Some(topic) = md.topic(&tp.topic) else {
                if !missing_topics.iter().any(|t| **t == *tp.topic) {
                    missing_topics.push(tp.topic.to_string());
                }
                continue;
            };
            if !topic.error.is_ok() {
                match classify_code(topic.error) {
                    Disposition::Retry { .. } => retry.push((tp.clone(), true)),
                    Disposition::Deliver => deliver.push((
                        tp.clone(),
                        Error::kafka(topic.error, format!("fetching {tp}: the metadata of topic {} says", tp.topic)),
                    )),
                }
                continue;
            }
            let partition = topic.partition(tp.partition);
            let leader = partition.and_then(|p| p.leader).filter(|l| md.broker(*l).is_some());
            let (Some(p), Some(leader)) = (partition, leader) else {
                debug!(partition = %tp, "no known leader; refreshing metadata");
                retry.push((tp.clone(), true));
                continue;
            };
            if self.requests.values().any(|r| r.broker == leader) {
                continue;
            }
            if let Some(&t) = self.throttled.get(&leader) {
                if t > now {
                    earliest(t);
                    continue;
                }
            }
            if p.leader_epoch >= 0 && st.leader_epoch.is_some_and(|e| e > p.leader_epoch) {
                // The consumer has seen a newer epoch than the metadata's: the snapshot is
                // stale. Fetch anyway (the leader fences a stale epoch) and refresh it.
                stale_metadata = true;
            }
            let planned = Planned {
                tp: tp.clone(),
                topic_id: topic.topic_id,
                tag: st.tag,
                offset: st.next_offset,
                current_leader_epoch: p.leader_epoch.max(-1),
                caught_up: st.caught_up(),
            };
            by_broker.entry(leader).or_default().push((st.last_served, planned));
        }
        if stale_metadata {
            self.invalidate(now);
        }
        for (tp, invalidate) in retry {
            self.back_off(&tp, invalidate, now);
            if let Some(t) = self.partitions.get(&tp).and_then(|s| s.not_before) {
                earliest(t);
            }
        }
        for (tp, e) in deliver {
            self.deliver_error(&tp, e);
        }
        if !missing_topics.is_empty() {
            match self.metadata_not_before {
                Some(t) if t > now => earliest(t),
                _ => self.fetch_metadata(missing_topics),
            }
        }
        let settings = self.settings();
        for (broker, mut partitions) in by_broker {
            if self.defer(broker, &partitions, &lagging_behind_slot, now, &mut earliest) {
                continue;
            }
            partitions.sort_by_key(|(served, p)| (*served, p.tp.clone()));
            let partitions: Vec<Planned> = partitions.into_iter().map(|(_, p)| p).collect();
            for p in &partitions {
                self.in_flight_partitions.insert(p.tp.clone());
            }
            debug!(broker, partitions = partitions.len(), "sending a fetch request");
            let client = self.client.clone();
            let request = partitions.clone();
            let handle = self
                .tasks
                .spawn(async move { TaskOutput::Fetch(send_fetch(&client, broker, &request, settings).await) });
            self.requests.insert(handle.id(), InFlight { broker, partitions });
        }
        wake
    }

    /// Whether to hold back a request to `broker` for now: when every partition it would
    /// carry is caught up (the broker would hold it for up to `fetch.max.wait.ms`) while a
    /// partition of the same broker that has more to fetch waits for the consumer to take its
    /// buffered data. Sent at once, the long poll would keep that partition out of the next
    /// request (one request per broker) for up to `fetch.max.wait.ms` after its slot frees,
    /// stalling a consumer that is catching up. Held back, the request goes out with the
    /// lagging partition as soon as its slot frees — or alone after `fetch.max.wait.ms`, so
    /// that new records of the caught-up partitions wait no longer than a long poll would.
    fn defer(
        &mut self,
        broker: i32,
        partitions: &[(u64, Planned)],
        lagging_behind_slot: &HashSet<i32>,
        now: Instant,
        earliest: &mut impl FnMut(Instant),
    ) -> bool {
        if !lagging_behind_slot.contains(&broker) || !partitions.iter().all(|(_, p)| p.caught_up) {
            self.deferred.remove(&broker);
            return false;
        }
        let until = *self.deferred.entry(broker).or_insert(now) + self.config.fetch_max_wait;
        if now >= until {
            self.deferred.remove(&broker);
            return false;
        }
        earliest(until);
        true
    }

    fn fetch_metadata(&mut self, topics: Vec<String>) {
        if self.metadata_task.is_some() {
            return;
        }
        debug!(?topics, "fetching the metadata of topics to fetch");
        let client = self.client.clone();
        let handle = self.tasks.spawn(async move {
            let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
            TaskOutput::Metadata(client.metadata_for(&topics).await.map(|_| ()))
        });
        self.metadata_task = Some(handle.id());
    }

    fn task_done(&mut self, id: tokio::task::Id, output: TaskOutput) {
        if self.metadata_task == Some(id) {
            self.metadata_task = None;
            // Whatever the outcome, do not ask again at once: a topic the cluster does not
            // know stays missing from the snapshot.
            self.metadata_not_before = Some(Instant::now() + self.config.retry_backoff);
            if let TaskOutput::Metadata(Err(e)) = output {
                debug!(error = %e, "fetching metadata failed");
            }
            return;
        }
        let Some(request) = self.requests.remove(&id) else {
            return;
        };
        for p in &request.partitions {
            self.in_flight_partitions.remove(&p.tp);
        }
        match output {
            TaskOutput::Fetch(Ok((response, version))) => self.handle_response(request, response, version),
            TaskOutput::Fetch(Err(e)) => {
                debug!(broker = request.broker, error = %e, "fetch request failed");
                let now = Instant::now();
                let disposition = classify_error(&e);
                for p in &request.partitions {
                    if !self.is_current(p) {
                        continue;
                    }
                    match disposition {
                        Disposition::Retry { invalidate } => self.back_off(&p.tp, invalidate, now),
                        Disposition::Deliver => self.deliver_error(&p.tp, e.clone()),
                    }
                }
            }
            TaskOutput::Metadata(_) => {}
        }
    }

    /// Whether a partition of a request is still wanted at the offset it was fetched at.
    fn is_current(&self, p: &Planned) -> bool {
        self.partitions.get(&p.tp).is_some_and(|s| s.tag == p.tag && s.next_offset == p.offset && !s.stopped)
    }

    fn handle_response(&mut self, request: InFlight, mut response: FetchResponse, version: i16) {
        let now = Instant::now();
        if response.throttle_time_ms > 0 {
            let until = now + Duration::from_millis(response.throttle_time_ms as u64);
            debug!(broker = request.broker, throttle_ms = response.throttle_time_ms, "fetch throttled");
            self.throttled.insert(request.broker, until);
        }
        let top = ErrorCode::from_i16(response.error_code);
        if !top.is_ok() {
            let e = Error::kafka(top, format!("fetching from broker {}", request.broker));
            for p in &request.partitions {
                if self.is_current(p) {
                    match classify_code(top) {
                        Disposition::Retry { invalidate } => self.back_off(&p.tp, invalidate, now),
                        Disposition::Deliver => self.deliver_error(&p.tp, e.clone()),
                    }
                }
            }
            return;
        }
        // The partitions answered, by (topic, partition). A partition left out (Tansu leaves
        // every one out when nothing arrived within max_wait) is fetched again.
        let mut answers: HashMap<(&str, i32), PartitionData> = HashMap::new();
        for topic in &mut response.responses {
            let name = if version >= FIRST_TOPIC_ID_VERSION {
                match request.partitions.iter().find(|p| p.topic_id == topic.topic_id) {
                    Some(p) => &*p.tp.topic,
                    None => continue,
                }
            } else {
                match request.partitions.iter().find(|p| *p.tp.topic == topic.topic) {
                    Some(p) => &*p.tp.topic,
                    None => continue,
                }
            };
            for data in std::mem::take(&mut topic.partitions) {
                answers.insert((name, data.partition_index), data);
            }
        }
        // Whether an earlier partition of the response had records: the first one with records
        // gets at least one whole batch from a broker that follows KIP-74.
        let mut earlier_data = false;
        for p in &request.partitions {
            let Some(data) = answers.remove(&(&*p.tp.topic, p.tp.partition)) else {
                continue;
            };
            let first_with_data = !earlier_data;
            earlier_data |= data.records.as_ref().is_some_and(|r| !r.is_empty());
            if !self.is_current(p) {
                debug!(partition = %p.tp, offset = p.offset, "dropping a fetched partition the consumer moved away from");
                continue;
            }
            let code = ErrorCode::from_i16(data.error_code);
            if !code.is_ok() {
                debug!(partition = %p.tp, offset = p.offset, error = %code.name(), "fetch error");
                match classify_code(code) {
                    Disposition::Retry { invalidate } => self.back_off(&p.tp, invalidate, now),
                    Disposition::Deliver => {
                        let e = Error::kafka(code, format!("fetching {} at offset {}", p.tp, p.offset));
                        self.deliver_error(&p.tp, e);
                    }
                }
                continue;
            }
            self.handle_data(p, data, first_with_data, now);
        }
    }

    /// A partition's records arrived without an error.
    fn handle_data(&mut self, p: &Planned, data: PartitionData, first: bool, now: Instant) {
        if let Some(st) = self.partitions.get_mut(&p.tp) {
            st.high_watermark = data.high_watermark;
        }
        let records = data.records.unwrap_or_default();
        if records.is_empty() {
            // Nothing new, but the consumer learns the partition's end as Java's does from
            // every answer (`highwater`, lag, "reached the end" checks) when it moved.
            let hw = data.high_watermark;
            if hw >= 0 && self.partitions.get(&p.tp).is_some_and(|st| st.delivered_high_watermark != hw) {
                let empty = FetchedData {
                    records,
                    high_watermark: hw,
                    last_stable_offset: data.last_stable_offset,
                    log_start_offset: data.log_start_offset,
                    aborted_transactions: Vec::new(),
                };
                self.deliver(&p.tp, p.tag, p.offset, Ok(empty));
            }
            return;
        }
        let scan = scan_batches(&records);
        let next = match scan.next_offset {
            Some(next) if next > p.offset => Some(next),
            Some(_) if !scan.invalid => {
                // Only batches before the fetch offset: no progress, and fetching again at once
                // would get the same.
                warn!(partition = %p.tp, offset = p.offset, "the broker returned only records before the fetch offset");
                self.back_off(&p.tp, false, now);
                return;
            }
            _ if scan.invalid => None,
            _ => {
                // A batch cut short, and nothing whole before it. Past the first partition with
                // records that is normal (the byte limits ran out; this partition will come
                // first in a later request); for the first one a broker that follows KIP-74
                // returns one whole batch, whatever its size.
                if first {
                    warn!(
                        partition = %p.tp,
                        offset = p.offset,
                        bytes = records.len(),
                        "the broker returned only part of a batch; max.partition.fetch.bytes or fetch.max.bytes may be \
                         below the batch size of an old broker"
                    );
                    self.back_off(&p.tp, false, now);
                }
                return;
            }
        };
        if scan.invalid {
            debug!(partition = %p.tp, offset = p.offset, "fetched records hold an invalid batch; the consumer will report it");
        }
        let aborted_transactions = match data.aborted_transactions {
            Some(list) => {
                let mut v: Vec<(i64, i64)> = list.iter().map(|a| (a.producer_id, a.first_offset)).collect();
                v.sort_by_key(|&(_, first)| first);
                v
            }
            None => Vec::new(),
        };
        let fetched_data = FetchedData {
            records,
            high_watermark: data.high_watermark,
            last_stable_offset: data.last_stable_offset,
            log_start_offset: data.log_start_offset,
            aborted_transactions,
        };
        self.served += 1;
        let served = self.served;
        if let Some(st) = self.partitions.get_mut(&p.tp) {
            if let Some(next) = next {
                st.next_offset = next;
            }
            st.last_served = served;
            st.backoff.reset();
            st.not_before = None;
        }
        self.deliver(&p.tp, p.tag, p.offset, Ok(fetched_data));
    }

    /// Backs a partition off after a retriable failure.
    fn back_off(&mut self, tp: &TopicPartition, invalidate: bool, now: Instant) {
        if invalidate {
            self.invalidate(now);
        }
        if let Some(st) = self.partitions.get_mut(tp) {
            st.not_before = Some(now + st.backoff.next_delay());
        }
    }

    /// Hands an error to the consumer and stops fetching the partition until its tag changes.
    fn deliver_error(&mut self, tp: &TopicPartition, e: Error) {
        let Some(st) = self.partitions.get_mut(tp) else {
            return;
        };
        st.stopped = true;
        let (tag, offset) = (st.tag, st.next_offset);
        debug!(partition = %tp, offset, error = %e, "handing a fetch error to the consumer");
        self.deliver(tp, tag, offset, Err(e));
    }

    fn deliver(&mut self, tp: &TopicPartition, tag: u64, fetch_offset: i64, result: Result<FetchedData>) {
        if let (Ok(data), Some(st)) = (&result, self.partitions.get_mut(tp)) {
            st.delivered_high_watermark = data.high_watermark;
        }
        let slot = BufferSlot::take(&self.slot(tp));
        // If the consumer is gone, the item is dropped here and its slot released.
        let _ = self.out.send(Fetched { tp: tp.clone(), tag, fetch_offset, result, _slot: slot });
    }
}

/// Connects to `broker`, sends one Fetch request for `partitions` and waits for the response.
async fn send_fetch(client: &Client, broker: i32, partitions: &[Planned], s: RequestSettings) -> FetchOutcome {
    let conn = client.connection(broker).await?;
    let mut version = conn.version_of::<FetchRequest>()?;
    if partitions.iter().any(|p| p.topic_id == Uuid::ZERO) {
        version = version.min(FIRST_TOPIC_ID_VERSION - 1);
    }
    if s.isolation == IsolationLevel::ReadCommitted && version < FIRST_ISOLATION_VERSION {
        return Err(Error::kafka(
            ErrorCode::UNSUPPORTED_VERSION,
            format!(
                "fetching with isolation.level=read_committed from broker {broker}, which speaks Fetch up to v{version} \
                 (read_committed needs v{FIRST_ISOLATION_VERSION}, Kafka 0.11)"
            ),
        ));
    }
    let mut topics: Vec<FetchTopic> = Vec::new();
    for p in partitions {
        let partition = FetchPartition {
            partition: p.tp.partition,
            current_leader_epoch: p.current_leader_epoch,
            fetch_offset: p.offset,
            last_fetched_epoch: -1,
            log_start_offset: -1,
            partition_max_bytes: s.partition_max_bytes,
            ..Default::default()
        };
        match topics.iter_mut().find(|t| t.topic == *p.tp.topic) {
            Some(t) => t.partitions.push(partition),
            None => topics.push(FetchTopic {
                topic: p.tp.topic.to_string(),
                topic_id: p.topic_id,
                partitions: vec![partition],
                ..Default::default()
            }),
        }
    }
    let request = FetchRequest {
        replica_id: -1,
        max_wait_ms: i32::try_from(s.max_wait.as_millis()).unwrap_or(i32::MAX),
        min_bytes: s.min_bytes,
        max_bytes: s.max_bytes,
        isolation_level: s.isolation.as_i8(),
        session_id: 0,
        session_epoch: -1,
        topics,
        ..Default::default()
    };
    let timeout = s.request_timeout + s.max_wait;
    match conn.send_with(&request, version, timeout).await {
        Ok(response) => Ok((response, version)),
        Err(e) => {
            if matches!(e, Error::Timeout { .. }) {
                // The broker answers a connection's requests in order: whatever is behind this
                // one would wait as long. Java disconnects the same way.
                conn.abandon("a fetch request timed out");
            }
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests;
