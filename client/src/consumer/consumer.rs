//! The application's handle on a consumer: the one owner of the partitions' positions.
//!
//! `Consumer` itself holds the assignment and each partition's position (the next offset
//! `poll` returns); the group task ([`group`](super::group)) owns membership and tells it
//! what to revoke and assign; the fetcher task ([`fetcher`](super::fetcher)) fetches ahead
//! from the positions it is given and hands back undecoded responses, which
//! [`PartitionCursor`] decodes as records are asked for.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use kafkit_protocol::ErrorCode;
use regex::Regex;
use rustc_hash::FxHashMap;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::{debug, warn};

use super::config::ConsumerConfig;
use super::cursor::PartitionCursor;
use super::fetcher::{self, FetchCommand, FetchTarget, Fetched, FetcherHandle};
use super::group::{self, GroupCommand, GroupEvent, GroupHandle, Subscription};
use super::listener::{Rebalance, RebalanceListener};
use super::offsets::{list_offsets, EARLIEST_TIMESTAMP as EARLIEST, LATEST_TIMESTAMP as LATEST};
use super::record::{ConsumerRecord, ConsumerRecords};
use super::types::{OffsetAndMetadata, OffsetAndTimestamp, OffsetReset, TopicPartition};
use crate::client::Client;
use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::metadata::PartitionInfo;

/// Where a partition's next record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    /// The next offset to return, and the leader epoch of the record before it, if known.
    At { offset: i64, leader_epoch: Option<i32> },
    /// Starts at the committed offset, else `auto.offset.reset` (just assigned).
    Committed,
    /// Starts at the earliest or latest offset (a seek to the beginning or end, a reset).
    Reset(OffsetReset),
}

/// One assigned partition.
#[derive(Debug)]
struct PartitionState {
    position: Position,
    /// Changes whenever the position is set from here (see [`FetchTarget::tag`]).
    tag: u64,
    paused: bool,
    /// The high watermark of the last fetch response (-1: none yet).
    high_watermark: i64,
}

/// How the assignment is decided.
#[derive(Debug, Clone, PartialEq)]
enum Mode {
    /// Nothing subscribed or assigned yet.
    None,
    /// `subscribe`: the group assigns.
    Subscribed,
    /// `assign`: the application chose the partitions.
    Assigned,
}

/// A Kafka consumer: joins a group and reads the partitions it is given
/// ([`subscribe`](Self::subscribe)), or reads partitions chosen by hand
/// ([`assign`](Self::assign)).
///
/// Records come from [`poll`](Self::poll) (grouped by partition, like kafka-python's
/// `poll()`) or one at a time from [`stream`](Self::stream)/[`next_record`](Self::next_record)
/// (kafka-python's `for record in consumer`). A background task fetches ahead of the
/// application (one request in flight per broker, at most one response buffered per
/// partition); another keeps the group membership (heartbeats independent of polling).
///
/// Positions: `poll` returns records in offset order per partition and moves each
/// partition's position past what it returned; [`commit`](Self::commit) stores those
/// positions. With `enable.auto.commit` (the default) they are committed every
/// `auto.commit.interval`, before partitions are revoked, and on [`close`](Self::close).
///
/// Like Java's and kafka-python's, a consumer is used from one task at a time (`&mut self`);
/// it is `Send`, so that task can be anywhere.
///
/// ```no_run
/// use std::time::Duration;
/// use kafkit_client::consumer::{Consumer, ConsumerConfig, OffsetReset};
/// use kafkit_client::serializer::Json;
///
/// # async fn run() -> kafkit_client::Result<()> {
/// let config = ConsumerConfig::new(["localhost:9092"])
///     .group_id("quotes-reader")
///     .auto_offset_reset(OffsetReset::Earliest)
///     .enable_auto_commit(false);
/// let mut consumer = Consumer::new(config).await?;
/// consumer.subscribe(["quotes"])?;
/// loop {
///     let records = consumer.poll(Duration::from_millis(500)).await?;
///     for record in records.records_iter() {
///         let quote: serde_json::Value = record.value_as(&Json)?;
///         println!("{}[{}]@{}: {quote}", record.topic, record.partition, record.offset);
///     }
///     consumer.commit().await?; // stored only after processing
/// }
/// # }
/// ```
pub struct Consumer {
    client: Client,
    config: Arc<ConsumerConfig>,
    group: Option<GroupHandle>,
    fetcher: FetcherHandle,
    mode: Mode,
    partitions: FxHashMap<TopicPartition, PartitionState>,
    next_tag: u64,
    /// The fetch set changed since it was last sent to the fetcher.
    fetch_set_dirty: bool,
    /// Fetched responses being returned, oldest first.
    cursors: VecDeque<PartitionCursor>,
    listener: Option<Box<dyn RebalanceListener>>,
    next_auto_commit: Instant,
    /// Asynchronous commits not yet answered (their errors are logged).
    async_commits: Vec<oneshot::Receiver<Result<()>>>,
    /// An error to return from the next poll (the group task's fatal errors).
    pending_error: Option<Error>,
    closed: bool,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("group_id", &self.config.group_id)
            .field("mode", &self.mode)
            .field("partitions", &self.partitions)
            .finish_non_exhaustive()
    }
}

impl Consumer {
    /// Validates `config`, connects to the cluster and starts the fetcher (and, with a
    /// `group.id`, the group task; the group is joined at [`subscribe`](Self::subscribe)).
    pub async fn new(config: ConsumerConfig) -> Result<Consumer> {
        config.validate()?;
        let config = Arc::new(config);
        let client_config =
            ClientConfig { allow_auto_create_topics: config.allow_auto_create_topics, ..config.client.clone() };
        let client = Client::connect(client_config).await?;
        let group = config.group_id.as_ref().map(|_| group::spawn(client.clone(), config.clone(), config.assignors()));
        let fetcher = fetcher::spawn(client.clone(), config.clone());
        Ok(Consumer {
            next_auto_commit: Instant::now() + config.auto_commit_interval,
            client,
            config,
            group,
            fetcher,
            mode: Mode::None,
            partitions: FxHashMap::default(),
            next_tag: 0,
            fetch_set_dirty: false,
            cursors: VecDeque::new(),
            listener: None,
            async_commits: Vec::new(),
            pending_error: None,
            closed: false,
        })
    }

    /// The settings.
    pub fn config(&self) -> &ConsumerConfig {
        &self.config
    }

    /// The underlying cluster client (metadata, raw requests).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Joins the group (`group.id`) subscribed to `topics`; the group assigns the partitions
    /// (seen at the next [`poll`](Self::poll)). Calling it again replaces the subscription.
    ///
    /// Errors: no `group.id`, partitions already [`assign`](Self::assign)ed by hand, or an
    /// empty topic name.
    pub fn subscribe<S: AsRef<str>>(&mut self, topics: impl IntoIterator<Item = S>) -> Result<()> {
        let topics: Vec<String> = topics.into_iter().map(|t| t.as_ref().to_string()).collect();
        if let Some(bad) = topics.iter().find(|t| t.trim().is_empty()) {
            return Err(Error::IllegalState(format!("cannot subscribe to the topic name {bad:?}: it is empty")));
        }
        self.start_subscription(Subscription::Topics(topics))
    }

    /// Like [`subscribe`](Self::subscribe), to every topic whose whole name matches the
    /// regular expression `pattern`, including topics created later (found when metadata is
    /// refreshed, every `metadata.max.age`). Internal topics are left out unless
    /// `exclude.internal.topics` is false.
    pub fn subscribe_pattern(&mut self, pattern: &str) -> Result<()> {
        let anchored = format!("^(?:{pattern})$");
        let regex = Regex::new(&anchored).map_err(|e| {
            Error::IllegalState(format!("the subscription pattern {pattern:?} is not a valid regex: {e}"))
        })?;
        self.start_subscription(Subscription::Pattern(regex))
    }

    /// Like [`subscribe`](Self::subscribe), telling `listener` of every revocation and
    /// assignment.
    pub fn subscribe_with<S: AsRef<str>>(
        &mut self,
        topics: impl IntoIterator<Item = S>,
        listener: impl RebalanceListener + 'static,
    ) -> Result<()> {
        self.subscribe(topics)?;
        self.listener = Some(Box::new(listener));
        Ok(())
    }

    /// Sets (or replaces) the rebalance listener.
    pub fn set_rebalance_listener(&mut self, listener: impl RebalanceListener + 'static) {
        self.listener = Some(Box::new(listener));
    }

    fn start_subscription(&mut self, subscription: Subscription) -> Result<()> {
        self.check_open()?;
        if self.mode == Mode::Assigned {
            return Err(Error::IllegalState(
                "subscribe after assign: a consumer either assigns partitions by hand or subscribes; \
                 call unsubscribe() first"
                    .into(),
            ));
        }
        let group = self.group.as_ref().ok_or_else(|| {
            Error::IllegalState("subscribe needs a group.id: set ConsumerConfig::group_id, or use assign()".into())
        })?;
        group.commands.send(GroupCommand::Subscribe(subscription)).map_err(|_| Error::Closed)?;
        self.mode = Mode::Subscribed;
        Ok(())
    }

    /// Reads exactly `partitions`, without group membership (replacing any earlier
    /// assignment). Each starts at its committed offset if there is a `group.id` and one,
    /// else by `auto.offset.reset`, unless [`seek`](Self::seek)ed. Commits still work with a
    /// `group.id`.
    pub fn assign(&mut self, partitions: impl IntoIterator<Item = TopicPartition>) -> Result<()> {
        self.check_open()?;
        if self.mode == Mode::Subscribed {
            return Err(Error::IllegalState(
                "assign after subscribe: a consumer either subscribes or assigns partitions by hand; \
                 call unsubscribe() first"
                    .into(),
            ));
        }
        let wanted: HashSet<TopicPartition> = partitions.into_iter().collect();
        self.partitions.retain(|tp, _| wanted.contains(tp));
        for tp in wanted {
            if !self.partitions.contains_key(&tp) {
                let tag = self.new_tag();
                self.partitions.insert(
                    tp,
                    PartitionState { position: Position::Committed, tag, paused: false, high_watermark: -1 },
                );
            }
        }
        self.cursors.retain(|c| self.partitions.contains_key(c.tp()));
        self.mode = if self.partitions.is_empty() { Mode::None } else { Mode::Assigned };
        self.fetch_set_dirty = true;
        Ok(())
    }

    /// Gives up the subscription or the manual assignment: with a subscription, commits
    /// (auto-commit), tells the listener, and leaves the group.
    pub async fn unsubscribe(&mut self) -> Result<()> {
        self.check_open()?;
        if self.mode == Mode::Subscribed {
            let owned: Vec<TopicPartition> = self.partitions.keys().cloned().collect();
            self.revoke(owned, false).await;
            if let Some(group) = &self.group {
                let _ = group.commands.send(GroupCommand::Unsubscribe);
            }
        }
        self.partitions.clear();
        self.cursors.clear();
        self.mode = Mode::None;
        self.fetch_set_dirty = true;
        self.send_fetch_set();
        Ok(())
    }

    /// The partitions assigned to this consumer now.
    pub fn assignment(&self) -> Vec<TopicPartition> {
        let mut v: Vec<TopicPartition> = self.partitions.keys().cloned().collect();
        v.sort();
        v
    }

    /// Waits up to `timeout` for records and returns at most `max.poll.records` of them,
    /// grouped by partition. Also where the group's rebalances reach the application: the
    /// rebalance listener runs inside `poll`, and auto-commits are made from here.
    ///
    /// Returns early with what it has once there are records; an empty result after
    /// `timeout` is normal. Errors: the group task's fatal errors (e.g. FENCED_INSTANCE_ID),
    /// [`Error::NoOffset`] with `auto.offset.reset = none`, a corrupt batch (naming the
    /// partition and offset; the position stays on it — [`seek`](Self::seek) past it to go
    /// on), a partition the broker refuses to serve.
    pub async fn poll(&mut self, timeout: Duration) -> Result<ConsumerRecords> {
        self.poll_records(timeout, self.config.max_poll_records).await
    }

    /// [`poll`](Self::poll) returning at most `max_records` (kafka-python's
    /// `poll(timeout_ms, max_records)`).
    pub async fn poll_records(&mut self, timeout: Duration, max_records: usize) -> Result<ConsumerRecords> {
        let deadline = Instant::now() + timeout;
        let mut out = ConsumerRecords::default();
        let max_records = max_records.max(1);
        loop {
            self.housekeeping().await?;
            self.take_records(max_records, &mut out)?;
            if !out.is_empty() {
                return Ok(out);
            }
            if !self.wait_for_data(deadline).await {
                return Ok(out);
            }
        }
    }

    /// The next record, waiting as long as it takes (kafka-python's `next(consumer)`); its
    /// partition's position moves past it, so [`commit`](Self::commit) after it stores
    /// exactly what was processed.
    ///
    /// It may be cancelled (a `tokio::time::timeout` around it, a `select!`) like `poll`:
    /// no record is lost (a record is taken only when it is returned), and partitions being
    /// revoked are given up before the commit that precedes their revocation is awaited. A
    /// revocation's commit cut short that way is still sent, but the group may move on before
    /// it is answered.
    pub async fn next_record(&mut self) -> Result<ConsumerRecord> {
        loop {
            if let Some(r) = self.next_buffered() {
                return r;
            }
            self.housekeeping().await?;
            if self.cursors.is_empty() {
                self.wait_for_data(Instant::now() + Duration::from_secs(3600)).await;
            }
        }
    }

    /// The next record of what was already fetched, without waiting (`None`: nothing left).
    fn next_buffered(&mut self) -> Option<Result<ConsumerRecord>> {
        while let Some(cursor) = self.cursors.front_mut() {
            match cursor.next_record() {
                Some(Ok(record)) => {
                    if let Some(state) = self.partitions.get_mut(cursor.tp()) {
                        state.position =
                            Position::At { offset: cursor.position(), leader_epoch: cursor.leader_epoch() };
                    }
                    return Some(Ok(record));
                }
                Some(Err(e)) => {
                    self.fail_front_cursor();
                    return Some(Err(e));
                }
                None => {
                    if let Some(state) = self.partitions.get_mut(cursor.tp()) {
                        state.position =
                            Position::At { offset: cursor.position(), leader_epoch: cursor.leader_epoch() };
                    }
                    self.cursors.pop_front();
                }
            }
        }
        None
    }

    /// Drops the front cursor after a decoding error and refetches its partition from the
    /// position (which stays on the bad record: the application decides, e.g. seeks past).
    fn fail_front_cursor(&mut self) {
        if let Some(cursor) = self.cursors.pop_front() {
            let tag = self.new_tag();
            if let Some(state) = self.partitions.get_mut(cursor.tp()) {
                state.tag = tag;
            }
            self.fetch_set_dirty = true;
        }
    }

    /// The records as a [`Stream`] (`while let Some(record) = stream.next().await` with
    /// [`StreamExt`](futures_util::StreamExt)): [`next_record`](Self::next_record) in a loop.
    /// Errors are items; the stream never ends while the consumer is open. The consumer stays
    /// at hand between items: [`RecordStream::commit`], [`RecordStream::consumer`].
    ///
    /// ```no_run
    /// use kafkit_client::consumer::{Consumer, ConsumerConfig, StreamExt};
    ///
    /// # async fn run() -> kafkit_client::Result<()> {
    /// let mut consumer = Consumer::new(ConsumerConfig::new(["localhost:9092"]).group_id("g")).await?;
    /// consumer.subscribe(["quotes"])?;
    /// let mut records = consumer.stream();
    /// while let Some(record) = records.next().await {
    ///     let record = record?;
    ///     println!("{}@{}", record.partition, record.offset);
    ///     records.commit().await?; // kafka-python's `for record in consumer: ...; consumer.commit()`
    /// }
    /// # Ok(()) }
    /// ```
    pub fn stream(&mut self) -> RecordStream<'_> {
        RecordStream { consumer: Some(self), pending: None }
    }

    /// Commits the positions of every assigned partition (what `poll` has returned) and
    /// waits for the answer, retrying retriable errors up to `default.api.timeout`.
    pub async fn commit(&mut self) -> Result<()> {
        let offsets = self.consumed_offsets(None);
        self.commit_offsets(offsets).await
    }

    /// Commits `offsets` (each the **next** offset to read) and waits for the answer.
    pub async fn commit_offsets(
        &mut self,
        offsets: impl IntoIterator<Item = (TopicPartition, OffsetAndMetadata)>,
    ) -> Result<()> {
        let offsets: HashMap<TopicPartition, OffsetAndMetadata> = offsets.into_iter().collect();
        let rx = self.send_commit(offsets)?;
        rx.await.unwrap_or(Err(Error::Closed))
    }

    /// Starts committing the positions of every assigned partition and returns at once.
    /// Await the returned future for the outcome, or drop it (a failure is then logged).
    pub fn commit_async(&mut self) -> CommitFuture {
        let offsets = self.consumed_offsets(None);
        self.commit_offsets_async(offsets)
    }

    /// Starts committing `offsets` and returns at once (see [`commit_async`](Self::commit_async)).
    pub fn commit_offsets_async(
        &mut self,
        offsets: impl IntoIterator<Item = (TopicPartition, OffsetAndMetadata)>,
    ) -> CommitFuture {
        let offsets: HashMap<TopicPartition, OffsetAndMetadata> = offsets.into_iter().collect();
        match self.send_commit(offsets) {
            Ok(rx) => CommitFuture { inner: CommitInner::Waiting(rx) },
            Err(e) => CommitFuture { inner: CommitInner::Failed(Some(e)) },
        }
    }

    /// The committed offsets of `partitions` (`None` where nothing is committed).
    pub async fn committed(
        &self,
        partitions: impl IntoIterator<Item = TopicPartition>,
    ) -> Result<HashMap<TopicPartition, Option<OffsetAndMetadata>>> {
        let group = self.group_for("committed")?;
        fetch_committed(&group.commands, partitions.into_iter().collect()).await
    }

    /// Makes the next `poll` return `partition`'s records from `offset` on.
    pub fn seek(&mut self, partition: &TopicPartition, offset: i64) -> Result<()> {
        if offset < 0 {
            return Err(Error::IllegalState(format!("cannot seek {partition} to the negative offset {offset}")));
        }
        self.set_position(partition, Position::At { offset, leader_epoch: None })
    }

    /// Makes the next `poll` read `partitions` (all assigned ones if empty) from their
    /// first offset still in the log.
    pub fn seek_to_beginning(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        self.seek_all(partitions, Position::Reset(OffsetReset::Earliest))
    }

    /// Makes the next `poll` read `partitions` (all assigned ones if empty) from their end:
    /// only records produced from now on.
    pub fn seek_to_end(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        self.seek_all(partitions, Position::Reset(OffsetReset::Latest))
    }

    fn seek_all(&mut self, partitions: &[TopicPartition], position: Position) -> Result<()> {
        let all: Vec<TopicPartition> =
            if partitions.is_empty() { self.partitions.keys().cloned().collect() } else { partitions.to_vec() };
        for tp in &all {
            self.set_position(tp, position)?;
        }
        Ok(())
    }

    /// The offset of the next record `poll` returns from `partition` (looking up the
    /// committed offset or the reset offset first if the position is not known yet).
    pub async fn position(&mut self, partition: &TopicPartition) -> Result<i64> {
        if !self.partitions.contains_key(partition) {
            return Err(not_assigned(partition, "ask the position of"));
        }
        self.resolve_positions().await?;
        match self.partitions.get(partition).map(|s| s.position) {
            Some(Position::At { offset, .. }) => Ok(offset),
            _ => Err(not_assigned(partition, "ask the position of")),
        }
    }

    /// Stops returning (and fetching) records of `partitions` until [`resume`](Self::resume)d.
    /// No rebalance happens; the partitions stay assigned.
    pub fn pause(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        for tp in partitions {
            let tag = self.new_tag();
            let state = self.partitions.get_mut(tp).ok_or_else(|| not_assigned(tp, "pause"))?;
            state.paused = true;
            state.tag = tag; // drops what was fetched ahead
            self.cursors.retain(|c| c.tp() != tp);
        }
        self.fetch_set_dirty = true;
        Ok(())
    }

    /// Resumes paused partitions.
    pub fn resume(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        for tp in partitions {
            let state = self.partitions.get_mut(tp).ok_or_else(|| not_assigned(tp, "resume"))?;
            state.paused = false;
        }
        self.fetch_set_dirty = true;
        Ok(())
    }

    /// The high watermark (end offset) of `partition` as of its last fetch response, if one
    /// came (kafka-python's `highwater`); `highwater - position` is the lag.
    pub fn highwater(&self, partition: &TopicPartition) -> Option<i64> {
        self.partitions.get(partition).map(|s| s.high_watermark).filter(|hw| *hw >= 0)
    }

    /// The paused partitions.
    pub fn paused(&self) -> Vec<TopicPartition> {
        let mut v: Vec<TopicPartition> =
            self.partitions.iter().filter(|(_, s)| s.paused).map(|(tp, _)| tp.clone()).collect();
        v.sort();
        v
    }

    /// The first offset still in the log of each partition.
    pub async fn beginning_offsets(&self, partitions: &[TopicPartition]) -> Result<HashMap<TopicPartition, i64>> {
        self.list(partitions, EARLIEST).await
    }

    /// The end offset (high watermark; under read_committed the last stable offset) of each
    /// partition: the offset the next record produced will get.
    pub async fn end_offsets(&self, partitions: &[TopicPartition]) -> Result<HashMap<TopicPartition, i64>> {
        self.list(partitions, LATEST).await
    }

    async fn list(&self, partitions: &[TopicPartition], timestamp: i64) -> Result<HashMap<TopicPartition, i64>> {
        let requests = partitions.iter().map(|tp| (tp.clone(), timestamp)).collect();
        let found =
            list_offsets(&self.client, &requests, self.config.isolation_level, self.config.default_api_timeout).await?;
        Ok(found.into_iter().map(|(tp, o)| (tp, o.offset)).collect())
    }

    /// For each partition, the earliest offset whose record's timestamp is at or after the
    /// given time (milliseconds since the Unix epoch); `None` where no record is that recent.
    pub async fn offsets_for_times(
        &self,
        times: impl IntoIterator<Item = (TopicPartition, i64)>,
    ) -> Result<HashMap<TopicPartition, Option<OffsetAndTimestamp>>> {
        let requests: HashMap<TopicPartition, i64> = times.into_iter().collect();
        if let Some((tp, t)) = requests.iter().find(|(_, t)| **t < 0) {
            return Err(Error::IllegalState(format!(
                "offsets_for_times: the time {t} for {tp} is negative; give milliseconds since the Unix epoch"
            )));
        }
        let mut found =
            list_offsets(&self.client, &requests, self.config.isolation_level, self.config.default_api_timeout).await?;
        Ok(requests.into_keys().map(|tp| (tp.clone(), found.remove(&tp))).collect())
    }

    /// The partitions of `topic` (fetching its metadata if needed).
    pub async fn partitions_for(&self, topic: &str) -> Result<Vec<PartitionInfo>> {
        let md = self.client.metadata_for(&[topic]).await?;
        let t = md.topic(topic).ok_or_else(|| {
            Error::kafka(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, format!("no metadata for topic {topic}"))
        })?;
        Ok(t.partitions.clone())
    }

    /// Commits (with auto-commit), tells the listener the partitions are revoked, leaves the
    /// group and stops the background tasks. Dropping a consumer without `close` stops them
    /// too, and a dynamic member leaves the group, but nothing is committed.
    pub async fn close(mut self) -> Result<()> {
        let result = self.close_inner().await;
        self.closed = true;
        result
    }

    async fn close_inner(&mut self) -> Result<()> {
        self.check_open()?;
        let mut result = Ok(());
        if self.mode == Mode::Subscribed {
            let owned: Vec<TopicPartition> = self.partitions.keys().cloned().collect();
            self.revoke(owned, false).await;
        } else if self.config.enable_auto_commit && self.group.is_some() && !self.partitions.is_empty() {
            result = self.commit().await;
        }
        for rx in std::mem::take(&mut self.async_commits) {
            if let Ok(Err(e)) = rx.await {
                warn!("an asynchronous commit failed: {e}");
            }
        }
        if let Some(group) = self.group.take() {
            let (reply, rx) = oneshot::channel();
            if group.commands.send(GroupCommand::Close { reply }).is_ok() {
                // The group task may still ask for revocations it started: answer them.
                let mut events = group.events;
                let mut rx = rx;
                loop {
                    tokio::select! {
                        r = &mut rx => {
                            if let Ok(Err(e)) = r {
                                if result.is_ok() { result = Err(e); }
                            }
                            break;
                        }
                        ev = events.recv() => match ev {
                            Some(GroupEvent::Revoke { done, .. }) | Some(GroupEvent::Assign { done, .. }) => {
                                let _ = done.send(());
                            }
                            Some(GroupEvent::Error(e)) => debug!("group error while closing: {e}"),
                            None => break,
                        }
                    }
                }
            }
        }
        self.partitions.clear();
        self.cursors.clear();
        self.client.shutdown().await;
        result
    }

    // -----------------------------------------------------------------------------------------
    // Inside poll.
    // -----------------------------------------------------------------------------------------

    /// What every poll does before returning records: note the poll for the group task,
    /// handle its events, auto-commit, find missing positions, update the fetcher.
    async fn housekeeping(&mut self) -> Result<()> {
        self.check_open()?;
        if let Some(group) = &self.group {
            group.clock.poll();
        }
        self.handle_group_events().await;
        if let Some(e) = self.pending_error.take() {
            return Err(e);
        }
        self.reap_async_commits();
        self.maybe_auto_commit();
        self.resolve_positions().await?;
        self.send_fetch_set();
        Ok(())
    }

    /// Moves up to `max` records from the cursors into `out`.
    fn take_records(&mut self, max: usize, out: &mut ConsumerRecords) -> Result<()> {
        while out.len() < max {
            let Some(cursor) = self.cursors.front_mut() else { break };
            let want = max - out.len();
            let mut records = Vec::new();
            let error = cursor.fill(&mut records, want);
            let tp = cursor.tp().clone();
            let position = Position::At { offset: cursor.position(), leader_epoch: cursor.leader_epoch() };
            if let Some(state) = self.partitions.get_mut(&tp) {
                state.position = position;
            }
            let finished = records.len() < want;
            out.push_partition(tp, records);
            if let Some(e) = error {
                // What was decoded before the bad batch is returned first; the error comes
                // with the next poll.
                self.fail_front_cursor();
                if out.is_empty() {
                    return Err(e);
                }
                self.pending_error = Some(e);
                break;
            }
            if finished {
                self.finish_front_cursor();
            }
        }
        Ok(())
    }

    /// Drops the exhausted front cursor.
    fn finish_front_cursor(&mut self) {
        self.cursors.pop_front();
    }

    /// Waits until a fetched response or a group event arrives (true) or `deadline` passes
    /// (false), turning responses into cursors.
    async fn wait_for_data(&mut self, deadline: Instant) -> bool {
        // Whatever the fetcher already delivered.
        let mut got = false;
        while let Ok(f) = self.fetcher.fetched.try_recv() {
            got |= self.accept(f);
        }
        if got {
            return true;
        }
        if self.fetch_set_dirty {
            self.send_fetch_set();
        }
        let wake = match self.next_wake() {
            Some(t) => t.min(deadline),
            None => deadline,
        };
        loop {
            let events = async {
                match self.group.as_mut() {
                    Some(g) => g.events.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                f = self.fetcher.fetched.recv() => match f {
                    Some(f) => {
                        if self.accept(f) {
                            while let Ok(f) = self.fetcher.fetched.try_recv() {
                                self.accept(f);
                            }
                            return true;
                        }
                        if self.fetch_set_dirty {
                            // A stale response made us refetch: tell the fetcher first.
                            self.send_fetch_set();
                        }
                    }
                    None => {
                        self.pending_error = Some(Error::Closed);
                        return true;
                    }
                },
                ev = events => {
                    match ev {
                        Some(ev) => self.handle_group_event(ev).await,
                        None => self.pending_error = Some(Error::Closed),
                    }
                    return true;
                }
                _ = tokio::time::sleep_until(wake) => return Instant::now() < deadline,
            }
        }
    }

    /// When housekeeping is due without any data (the next auto-commit).
    fn next_wake(&self) -> Option<Instant> {
        (self.config.enable_auto_commit && self.group.is_some()).then_some(self.next_auto_commit)
    }

    /// Takes a fetched response if it is still wanted; true if it became a cursor (or
    /// set an error for the next poll).
    fn accept(&mut self, f: Fetched) -> bool {
        let Some(state) = self.partitions.get_mut(&f.tp) else { return false };
        if state.tag != f.tag || state.paused {
            return false;
        }
        let Position::At { offset, .. } = state.position else { return false };
        if let Err(e) = &f.result {
            let code = e.code();
            let tp = f.tp.clone();
            if code == Some(ErrorCode::OFFSET_OUT_OF_RANGE) {
                match self.config.auto_offset_reset {
                    OffsetReset::None => {
                        self.pending_error = Some(Error::NoOffset {
                            partition: tp.to_string(),
                            reason: format!("the offset {offset} is out of range"),
                        });
                    }
                    policy => {
                        debug!(partition = %tp, offset, ?policy, "offset out of range: resetting");
                        let tag = self.new_tag();
                        if let Some(state) = self.partitions.get_mut(&tp) {
                            state.position = Position::Reset(policy);
                            state.tag = tag;
                        }
                        self.fetch_set_dirty = true;
                        return true;
                    }
                }
            } else {
                self.pending_error = Some(e.clone());
            }
            // Fetch it again from the same position at the next poll.
            let tag = self.new_tag();
            if let Some(state) = self.partitions.get_mut(&tp) {
                state.tag = tag;
            }
            self.fetch_set_dirty = true;
            return true;
        }
        if f.fetch_offset != offset {
            // Fetched for an older position (e.g. data before the last seek with the same
            // tag cannot happen, but a fetch ahead that lost its predecessor can): refetch
            // from the position.
            debug!(partition = %f.tp, fetched = f.fetch_offset, position = offset, "dropping a stale fetch");
            let tag = self.new_tag();
            if let Some(state) = self.partitions.get_mut(&f.tp) {
                state.tag = tag;
            }
            self.fetch_set_dirty = true;
            return false;
        }
        if let Ok(data) = &f.result {
            state.high_watermark = data.high_watermark;
            if data.records.is_empty() {
                return false; // only news of the high watermark
            }
        }
        self.cursors.push_back(PartitionCursor::new(f, self.config.isolation_level, self.config.check_crcs));
        true
    }

    /// Finds the starting offset of partitions that have none: committed offsets (one
    /// OffsetFetch), then ListOffsets for the rest by the reset policy.
    async fn resolve_positions(&mut self) -> Result<()> {
        let need_committed: Vec<TopicPartition> = self
            .partitions
            .iter()
            .filter(|(_, s)| s.position == Position::Committed)
            .map(|(tp, _)| tp.clone())
            .collect();
        if !need_committed.is_empty() {
            let committed = match &self.group {
                Some(g) => fetch_committed(&g.commands, need_committed.clone()).await?,
                None => HashMap::new(),
            };
            for tp in need_committed {
                let Some(state) = self.partitions.get_mut(&tp) else { continue };
                if state.position != Position::Committed {
                    continue;
                }
                state.position = match committed.get(&tp).cloned().flatten() {
                    Some(c) => Position::At { offset: c.offset, leader_epoch: c.leader_epoch },
                    None => Position::Reset(self.config.auto_offset_reset),
                };
            }
            self.fetch_set_dirty = true;
        }
        let mut requests = HashMap::new();
        for (tp, s) in &self.partitions {
            match s.position {
                Position::Reset(OffsetReset::Earliest) => {
                    requests.insert(tp.clone(), EARLIEST);
                }
                Position::Reset(OffsetReset::Latest) => {
                    requests.insert(tp.clone(), LATEST);
                }
                Position::Reset(OffsetReset::None) => {
                    return Err(Error::NoOffset {
                        partition: tp.to_string(),
                        reason: "the group has no committed offset for it".into(),
                    });
                }
                _ => {}
            }
        }
        if requests.is_empty() {
            return Ok(());
        }
        let found =
            list_offsets(&self.client, &requests, self.config.isolation_level, self.config.default_api_timeout).await?;
        for (tp, o) in found {
            if let Some(state) = self.partitions.get_mut(&tp) {
                if matches!(state.position, Position::Reset(_)) {
                    state.position = Position::At { offset: o.offset, leader_epoch: None };
                }
            }
        }
        self.fetch_set_dirty = true;
        Ok(())
    }

    /// Tells the fetcher what to fetch, if that changed.
    fn send_fetch_set(&mut self) {
        if !self.fetch_set_dirty {
            return;
        }
        self.fetch_set_dirty = false;
        let set = self
            .partitions
            .iter()
            .filter(|(_, s)| !s.paused)
            .filter_map(|(tp, s)| match s.position {
                Position::At { offset, leader_epoch } => {
                    Some((tp.clone(), FetchTarget { offset, leader_epoch, tag: s.tag }))
                }
                _ => None,
            })
            .collect();
        let _ = self.fetcher.commands.send(FetchCommand::Fetch(set));
    }

    // -----------------------------------------------------------------------------------------
    // The group's events.
    // -----------------------------------------------------------------------------------------

    async fn handle_group_events(&mut self) {
        loop {
            let Some(group) = self.group.as_mut() else { return };
            match group.events.try_recv() {
                Ok(ev) => self.handle_group_event(ev).await,
                Err(_) => return,
            }
        }
    }

    async fn handle_group_event(&mut self, event: GroupEvent) {
        match event {
            GroupEvent::Revoke { partitions, lost, done } => {
                self.revoke(partitions, lost).await;
                let _ = done.send(());
            }
            GroupEvent::Assign { partitions, done } => {
                self.assign_from_group(&partitions);
                let _ = done.send(());
            }
            GroupEvent::Error(e) => {
                warn!("consumer group: {e}");
                self.pending_error = Some(e);
            }
        }
    }

    /// Gives partitions up: auto-commit (unless lost), the listener, its commits.
    async fn revoke(&mut self, partitions: Vec<TopicPartition>, lost: bool) {
        let owned: Vec<TopicPartition> = partitions.into_iter().filter(|tp| self.partitions.contains_key(tp)).collect();
        if owned.is_empty() {
            return;
        }
        // What to commit: auto-commit's positions, then the listener's (later wins, as two
        // commits in that order would leave it).
        let mut commits =
            if !lost && self.config.enable_auto_commit { self.consumed_offsets(Some(&owned)) } else { HashMap::new() };
        if let Some(mut listener) = self.listener.take() {
            let asked = {
                let partitions = &self.partitions;
                let positions = |tp: &TopicPartition| match partitions.get(tp).map(|s| s.position) {
                    Some(Position::At { offset, .. }) => Some(offset),
                    _ => None,
                };
                let mut rebalance = Rebalance { positions: &positions, commits: HashMap::new(), seeks: Vec::new() };
                if lost {
                    listener.on_partitions_lost(&mut rebalance, &owned);
                } else {
                    listener.on_partitions_revoked(&mut rebalance, &owned);
                }
                rebalance.commits
            };
            self.listener = Some(listener);
            if lost && !asked.is_empty() {
                warn!("commits asked for in on_partitions_lost are not made: the partitions may be another member's");
            } else {
                commits.extend(asked);
            }
        }
        // Give the partitions up before waiting for anything: a poll cancelled while the
        // commit is in flight (a timeout around `next()`) must not go on reading partitions
        // the group is moving. The commit is queued to the group task before the revocation
        // is acknowledged, and acknowledged (normally) only once it is answered.
        for tp in &owned {
            self.partitions.remove(tp);
        }
        self.cursors.retain(|c| !owned.contains(c.tp()));
        self.fetch_set_dirty = true;
        self.send_fetch_set();
        if !commits.is_empty() {
            let outcome = match self.send_commit(commits) {
                Ok(rx) => rx.await.unwrap_or(Err(Error::Closed)),
                Err(e) => Err(e),
            };
            if let Err(e) = outcome {
                warn!("committing before revoking {} partition(s) failed: {e}", owned.len());
            }
        }
    }

    /// Takes partitions the group assigned: they start at their committed offsets.
    fn assign_from_group(&mut self, partitions: &[TopicPartition]) {
        if self.mode != Mode::Subscribed {
            return;
        }
        for tp in partitions {
            if !self.partitions.contains_key(tp) {
                let tag = self.new_tag();
                self.partitions.insert(
                    tp.clone(),
                    PartitionState { position: Position::Committed, tag, paused: false, high_watermark: -1 },
                );
            }
        }
        if let Some(mut listener) = self.listener.take() {
            let positions = |_: &TopicPartition| None;
            let mut rebalance = Rebalance { positions: &positions, commits: HashMap::new(), seeks: Vec::new() };
            listener.on_partitions_assigned(&mut rebalance, partitions);
            let seeks = std::mem::take(&mut rebalance.seeks);
            if !rebalance.commits.is_empty() {
                let commits = std::mem::take(&mut rebalance.commits);
                if let Ok(rx) = self.send_commit(commits) {
                    self.async_commits.push(rx);
                }
            }
            self.listener = Some(listener);
            for (tp, offset) in seeks {
                if let Err(e) = self.seek(&tp, offset) {
                    warn!("the rebalance listener's seek failed: {e}");
                }
            }
        }
        self.fetch_set_dirty = true;
    }

    // -----------------------------------------------------------------------------------------
    // Commits.
    // -----------------------------------------------------------------------------------------

    /// The consumed positions of `only` (all assigned partitions if `None`).
    fn consumed_offsets(&self, only: Option<&[TopicPartition]>) -> HashMap<TopicPartition, OffsetAndMetadata> {
        let mut offsets = HashMap::new();
        for (tp, s) in &self.partitions {
            if only.is_some_and(|o| !o.contains(tp)) {
                continue;
            }
            if let Position::At { offset, leader_epoch } = s.position {
                offsets.insert(tp.clone(), OffsetAndMetadata { offset, metadata: String::new(), leader_epoch });
            }
        }
        offsets
    }

    fn send_commit(
        &mut self,
        offsets: HashMap<TopicPartition, OffsetAndMetadata>,
    ) -> Result<oneshot::Receiver<Result<()>>> {
        self.check_open()?;
        let group = self.group_for("commit")?;
        let (reply, rx) = oneshot::channel();
        if offsets.is_empty() {
            let _ = reply.send(Ok(()));
            return Ok(rx);
        }
        group.commands.send(GroupCommand::Commit { offsets, reply }).map_err(|_| Error::Closed)?;
        Ok(rx)
    }

    fn maybe_auto_commit(&mut self) {
        if !self.config.enable_auto_commit || self.group.is_none() {
            return;
        }
        let now = Instant::now();
        if now < self.next_auto_commit {
            return;
        }
        self.next_auto_commit = now + self.config.auto_commit_interval;
        let offsets = self.consumed_offsets(None);
        if offsets.is_empty() {
            return;
        }
        if let Ok(rx) = self.send_commit(offsets) {
            self.async_commits.push(rx);
        }
    }

    /// Logs the failures of answered asynchronous commits.
    fn reap_async_commits(&mut self) {
        self.async_commits.retain_mut(|rx| match rx.try_recv() {
            Ok(Ok(())) => false,
            Ok(Err(e)) => {
                warn!("an asynchronous commit failed: {e}");
                false
            }
            Err(oneshot::error::TryRecvError::Empty) => true,
            Err(oneshot::error::TryRecvError::Closed) => false,
        });
    }

    // -----------------------------------------------------------------------------------------
    // Small helpers.
    // -----------------------------------------------------------------------------------------

    fn new_tag(&mut self) -> u64 {
        self.next_tag += 1;
        self.next_tag
    }

    fn set_position(&mut self, tp: &TopicPartition, position: Position) -> Result<()> {
        let tag = self.new_tag();
        let state = self.partitions.get_mut(tp).ok_or_else(|| not_assigned(tp, "seek"))?;
        state.position = position;
        state.tag = tag;
        self.cursors.retain(|c| c.tp() != tp);
        self.fetch_set_dirty = true;
        Ok(())
    }

    fn group_for(&self, what: &str) -> Result<&GroupHandle> {
        self.group
            .as_ref()
            .ok_or_else(|| Error::IllegalState(format!("{what} needs a group.id: set ConsumerConfig::group_id")))
    }

    fn check_open(&self) -> Result<()> {
        if self.closed {
            Err(Error::Closed)
        } else {
            Ok(())
        }
    }
}

/// Asks the group task for committed offsets.
async fn fetch_committed(
    commands: &tokio::sync::mpsc::UnboundedSender<GroupCommand>,
    partitions: Vec<TopicPartition>,
) -> Result<HashMap<TopicPartition, Option<OffsetAndMetadata>>> {
    let (reply, rx) = oneshot::channel();
    commands.send(GroupCommand::FetchCommitted { partitions, reply }).map_err(|_| Error::Closed)?;
    rx.await.unwrap_or(Err(Error::Closed))
}

fn not_assigned(tp: &TopicPartition, what: &str) -> Error {
    Error::IllegalState(format!("cannot {what} {tp}: it is not assigned to this consumer"))
}

/// The outcome of [`Consumer::commit_async`]: await it, or drop it.
#[derive(Debug)]
pub struct CommitFuture {
    inner: CommitInner,
}

#[derive(Debug)]
enum CommitInner {
    Waiting(oneshot::Receiver<Result<()>>),
    Failed(Option<Error>),
}

impl Future for CommitFuture {
    type Output = Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.inner {
            CommitInner::Waiting(rx) => Pin::new(rx).poll(cx).map(|r| r.unwrap_or(Err(Error::Closed))),
            CommitInner::Failed(e) => Poll::Ready(Err(e.take().unwrap_or(Error::Closed))),
        }
    }
}

/// The records of a consumer as a [`Stream`]; from [`Consumer::stream`].
pub struct RecordStream<'a> {
    consumer: Option<&'a mut Consumer>,
    #[allow(clippy::type_complexity)]
    pending: Option<Pin<Box<dyn Future<Output = (&'a mut Consumer, Result<ConsumerRecord>)> + Send + 'a>>>,
}

impl RecordStream<'_> {
    /// The consumer, between items: to commit, seek, pause, look up positions.
    ///
    /// `None` only while a `next()` that was cancelled (by a timeout or a `select!`) before
    /// it returned an item is still unfinished: it holds the consumer until the stream is
    /// polled again and it completes. An uncancelled `while let Some(r) = stream.next().await`
    /// loop always gets `Some`.
    pub fn consumer(&mut self) -> Option<&mut Consumer> {
        self.consumer.as_deref_mut()
    }

    /// [`Consumer::commit`]: commits what the stream has returned (the positions of every
    /// assigned partition) and waits for the answer. Between items only: an
    /// [`Error::IllegalState`] while a cancelled `next()` is unfinished (see
    /// [`consumer`](Self::consumer)).
    pub async fn commit(&mut self) -> Result<()> {
        match self.consumer.as_deref_mut() {
            Some(consumer) => consumer.commit().await,
            None => Err(Error::IllegalState(
                "a cancelled next() of this stream has not finished: poll the stream again before committing \
                 through it"
                    .into(),
            )),
        }
    }
}

impl std::fmt::Debug for RecordStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordStream").finish_non_exhaustive()
    }
}

impl<'a> Stream for RecordStream<'a> {
    type Item = Result<ConsumerRecord>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.pending.is_none() {
            let Some(consumer) = this.consumer.take() else { return Poll::Ready(None) };
            // Records already fetched come without a future (no allocation per record).
            if let Some(r) = consumer.next_buffered() {
                this.consumer = Some(consumer);
                return Poll::Ready(Some(r));
            }
            this.pending = Some(Box::pin(async move {
                let r = consumer.next_record().await;
                (consumer, r)
            }));
        }
        let fut = this.pending.as_mut().expect("set above");
        match fut.as_mut().poll(cx) {
            Poll::Ready((consumer, r)) => {
                this.pending = None;
                this.consumer = Some(consumer);
                Poll::Ready(Some(r))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
