//! The group task: one loop that owns the member's state ([`State`]), the coordinator, the
//! heartbeat timer, commits and offset fetches, and the metadata watch.
//!
//! Each turn it first *drives* (starts what is due: a coordinator lookup, a JoinGroup once the
//! coordinator is known, a heartbeat, queued commits and fetches, a metadata check; acts on
//! expired timers: `max.poll.interval`, the session, operation deadlines), then waits for the
//! next *wake* — a command, the answer of whatever is in flight, the consumer's `done`, a poll
//! after a poll timeout, or a timer — and handles it. Everything in flight is a future the task
//! owns; dropping it (a state left, a coordinator given up) cancels it.
//!
//! The coordinator is found and kept apart from the member's state: a member stays `Stable`
//! (heartbeats paused) while a moved coordinator is rediscovered, and commits queued meanwhile
//! are sent to the new one. Requests carry the coordinator's epoch, so that a late failure from
//! an old coordinator does not throw away a new one.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use kafkit_protocol::messages::leave_group_request::MemberIdentity;
use kafkit_protocol::messages::{
    HeartbeatRequest, JoinGroupResponse, LeaveGroupRequest, OffsetCommitRequest, OffsetCommitResponse,
    OffsetFetchRequest, OffsetFetchResponse,
};
use kafkit_protocol::ErrorCode;
use regex::Regex;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::super::assignor::{Assignor, RebalanceProtocol};
use super::super::config::ConsumerConfig;
use super::super::types::{OffsetAndMetadata, TopicPartition};
use super::commit::{self, CommitIdentity, CommitOutcome, Committed, FetchOutcome, Reaction};
use super::coordinator::{self, Found};
use super::join::{self, JoinParams, JoinTopics, Joined, LeaderWatch, StepError, SyncParams, Synced};
use super::state::{self, AfterLeave, AfterRevoke, CommitAs, HeartbeatReaction, Recovery, State, StateKind};
use super::{BoxFut, GroupCommand, GroupEvent, PollClock, Subscription};
use crate::backoff::Backoff;
use crate::client::Client;
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::metadata::Metadata;

/// The highest backoff between retries of a lookup or a commit (Java's `retry.backoff.max.ms`
/// default).
const RETRY_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// The rebalance protocol of a member with these assignors: cooperative only if every one
/// supports it, as in Java.
pub(super) fn rebalance_protocol(assignors: &[Arc<dyn Assignor>]) -> RebalanceProtocol {
    let all = !assignors.is_empty()
        && assignors.iter().all(|a| a.supported_protocols().contains(&RebalanceProtocol::Cooperative));
    if all {
        RebalanceProtocol::Cooperative
    } else {
        RebalanceProtocol::Eager
    }
}

/// The subscription, with what it resolves to.
struct Subscribed {
    given: Subscription,
    /// For a pattern: anchored, so that it matches whole topic names.
    anchored: Option<Regex>,
    /// The topics it means now: the list, or the pattern's matches at the last join or
    /// metadata check.
    topics: BTreeSet<String>,
}

impl Subscribed {
    fn new(given: Subscription) -> Self {
        match &given {
            Subscription::Topics(t) => Subscribed { topics: t.iter().cloned().collect(), anchored: None, given },
            Subscription::Pattern(re) => {
                Subscribed { anchored: Some(join::anchored(re)), topics: BTreeSet::new(), given }
            }
        }
    }

    fn same_as(&self, other: &Subscription) -> bool {
        match (&self.given, other) {
            (Subscription::Topics(a), Subscription::Topics(b)) => {
                a.iter().collect::<BTreeSet<_>>() == b.iter().collect::<BTreeSet<_>>()
            }
            (Subscription::Pattern(a), Subscription::Pattern(b)) => a.as_str() == b.as_str(),
            _ => false,
        }
    }

    fn join_topics(&self, exclude_internal: bool) -> JoinTopics {
        match &self.anchored {
            Some(re) => JoinTopics::Pattern { anchored: re.clone(), exclude_internal },
            None => JoinTopics::Topics(self.topics.clone()),
        }
    }
}

/// This member's identity in the group.
#[derive(Default)]
struct Membership {
    /// Empty until the coordinator gives one.
    member_id: String,
    /// -1 when the member holds no generation.
    generation: i32,
    /// The assignor the group chose for the generation.
    protocol: Option<String>,
    /// The topics the member joined the generation with.
    joined_topics: BTreeSet<String>,
    /// When the member led the generation: what it assigned from.
    leader: Option<LeaderWatch>,
}

/// Where the coordinator is.
enum Coordinator {
    /// Not known; looked up (from `not_before`) when something needs it. `error`: why the
    /// last lookup failed.
    Unknown { not_before: Instant, lookup: Option<BoxFut<Result<Found>>>, error: Option<Error> },
    /// Known, with the task's own connection to it.
    Known { node: i32, conn: Connection },
}

struct InFlightHeartbeat {
    generation: i32,
    epoch: u64,
    sent_at: Instant,
    request: BoxFut<Result<ErrorCode>>,
}

struct Heartbeat {
    /// When the next heartbeat is due.
    next_at: Instant,
    /// The last sign that the session is alive (a heartbeat answered, a sync completed).
    last_ok: Instant,
    in_flight: Option<InFlightHeartbeat>,
}

/// Periodic metadata checks: a pattern's matches, and the leader's partition counts.
struct MetadataWatch {
    next_at: Instant,
    in_flight: Option<BoxFut<Result<Arc<Metadata>>>>,
}

enum CommitStatus {
    /// Waiting to be sent (from `not_before`).
    Queued {
        not_before: Instant,
    },
    InFlight {
        epoch: u64,
        request: BoxFut<Result<OffsetCommitResponse>>,
    },
    /// Answered, waiting for the commits before it to be answered (commits are answered in
    /// order).
    Done(Result<()>),
}

struct CommitOp {
    id: u64,
    offsets: HashMap<TopicPartition, OffsetAndMetadata>,
    reply: Option<oneshot::Sender<Result<()>>>,
    status: CommitStatus,
    sent_as: Option<CommitIdentity>,
    deadline: Instant,
    backoff: Backoff,
    last_error: Option<Error>,
}

enum FetchStatus {
    Queued { not_before: Instant },
    InFlight { version: i16, epoch: u64, request: BoxFut<Result<OffsetFetchResponse>> },
}

struct FetchOp {
    id: u64,
    partitions: Vec<TopicPartition>,
    reply: Option<oneshot::Sender<Result<Committed>>>,
    status: FetchStatus,
    deadline: Instant,
    backoff: Backoff,
    last_error: Option<Error>,
}

/// What woke the task.
enum Wake {
    Command(Option<GroupCommand>),
    Joined(std::result::Result<Joined, StepError>),
    Synced(std::result::Result<Synced, StepError>),
    Left,
    /// The consumer answered the pending Revoke or Assign (or dropped it).
    Acked,
    /// The application polled again after a poll timeout.
    Polled,
    Coordinator(Result<Found>),
    Heartbeat(Result<ErrorCode>),
    Committed {
        id: u64,
        result: Result<OffsetCommitResponse>,
    },
    Fetched {
        id: u64,
        result: Result<OffsetFetchResponse>,
    },
    Metadata(Result<Arc<Metadata>>),
    Tick,
}

/// The group task's state (see the module documentation).
pub(super) struct GroupTask {
    client: Client,
    config: Arc<ConsumerConfig>,
    group_id: String,
    assignors: Vec<Arc<dyn Assignor>>,
    protocol: RebalanceProtocol,
    commands: mpsc::UnboundedReceiver<GroupCommand>,
    events: mpsc::UnboundedSender<GroupEvent>,
    clock: Arc<PollClock>,

    state: State,
    coordinator: Coordinator,
    /// Bumped each time a coordinator is found.
    epoch: u64,
    lookup_backoff: Backoff,
    join_backoff: Backoff,
    member: Membership,
    subscription: Option<Subscribed>,
    /// The partitions the consumer owns once it has handled the events sent so far.
    owned: BTreeSet<TopicPartition>,
    heartbeat: Heartbeat,
    commits: VecDeque<CommitOp>,
    fetches: Vec<FetchOp>,
    metadata: MetadataWatch,
    next_op: u64,
}

impl GroupTask {
    pub(super) fn new(
        client: Client,
        config: Arc<ConsumerConfig>,
        assignors: Vec<Arc<dyn Assignor>>,
        commands: mpsc::UnboundedReceiver<GroupCommand>,
        events: mpsc::UnboundedSender<GroupEvent>,
        clock: Arc<PollClock>,
    ) -> Self {
        let now = Instant::now();
        let backoff = || Backoff::new(config.retry_backoff, config.retry_backoff.max(RETRY_BACKOFF_MAX));
        let state = match &config.group_id {
            Some(_) => State::Unsubscribed,
            None => State::Failed {
                error: Error::config("group.id", "a consumer group needs group.id; set it to subscribe or commit"),
            },
        };
        GroupTask {
            group_id: config.group_id.clone().unwrap_or_default(),
            protocol: rebalance_protocol(&assignors),
            lookup_backoff: backoff(),
            join_backoff: backoff(),
            client,
            assignors,
            commands,
            events,
            clock,
            state,
            coordinator: Coordinator::Unknown { not_before: now, lookup: None, error: None },
            epoch: 0,
            member: Membership { generation: -1, ..Default::default() },
            subscription: None,
            owned: BTreeSet::new(),
            heartbeat: Heartbeat { next_at: now, last_ok: now, in_flight: None },
            commits: VecDeque::new(),
            fetches: Vec::new(),
            metadata: MetadataWatch { next_at: now + config.client.metadata_max_age, in_flight: None },
            next_op: 0,
            config,
        }
    }

    /// Runs until Close, or until the consumer drops its command sender.
    pub(super) async fn run(mut self) {
        debug!(group = %self.group_id, protocol = ?self.protocol, "group task started");
        loop {
            self.drive().await;
            if let State::Closed = self.state {
                break;
            }
            let wake = self.next_wake().await;
            self.handle(wake).await;
        }
        self.finish();
        debug!(group = %self.group_id, "group task stopped");
    }

    // ------------------------------------------------------------------ waiting

    async fn next_wake(&mut self) -> Wake {
        let now = Instant::now();
        let at = self.next_deadline(now).unwrap_or(now + Duration::from_secs(3600));
        let sleep = tokio::time::sleep_until(at);
        tokio::pin!(sleep);
        let clock = self.clock.clone();
        let polled = clock.polled.notified();
        tokio::pin!(polled);
        let timed_out_at = match &self.state {
            State::PollTimedOut { since, .. } => Some(*since),
            _ => None,
        };
        if let Some(since) = timed_out_at {
            // Registered before looking, so a poll in between is not missed.
            polled.as_mut().enable();
            if self.clock.since_last_poll() < now.saturating_duration_since(since) {
                return Wake::Polled;
            }
        }
        poll_fn(|cx| {
            if let Poll::Ready(w) = self.poll_wake(cx) {
                return Poll::Ready(w);
            }
            if timed_out_at.is_some() && polled.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Wake::Polled);
            }
            if sleep.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Wake::Tick);
            }
            Poll::Pending
        })
        .await
    }

    fn poll_wake(&mut self, cx: &mut Context<'_>) -> Poll<Wake> {
        if let Poll::Ready(c) = self.commands.poll_recv(cx) {
            return Poll::Ready(Wake::Command(c));
        }
        let state = match &mut self.state {
            State::Joining { request, .. } => request.as_mut().poll(cx).map(Wake::Joined),
            State::Syncing { request, .. } => request.as_mut().poll(cx).map(Wake::Synced),
            State::Leaving { request, .. } => request.as_mut().poll(cx).map(|()| Wake::Left),
            State::AwaitingRevoke { done, .. } | State::AwaitingAssign { done, .. } => {
                Pin::new(done).poll(cx).map(|_| Wake::Acked)
            }
            _ => Poll::Pending,
        };
        if state.is_ready() {
            return state;
        }
        if let Coordinator::Unknown { lookup: Some(f), .. } = &mut self.coordinator {
            if let Poll::Ready(r) = f.as_mut().poll(cx) {
                return Poll::Ready(Wake::Coordinator(r));
            }
        }
        if let Some(hb) = &mut self.heartbeat.in_flight {
            if let Poll::Ready(r) = hb.request.as_mut().poll(cx) {
                return Poll::Ready(Wake::Heartbeat(r));
            }
        }
        for op in &mut self.commits {
            if let CommitStatus::InFlight { request, .. } = &mut op.status {
                if let Poll::Ready(result) = request.as_mut().poll(cx) {
                    return Poll::Ready(Wake::Committed { id: op.id, result });
                }
            }
        }
        for op in &mut self.fetches {
            if let FetchStatus::InFlight { request, .. } = &mut op.status {
                if let Poll::Ready(result) = request.as_mut().poll(cx) {
                    return Poll::Ready(Wake::Fetched { id: op.id, result });
                }
            }
        }
        if let Some(f) = &mut self.metadata.in_flight {
            if let Poll::Ready(r) = f.as_mut().poll(cx) {
                return Poll::Ready(Wake::Metadata(r));
            }
        }
        Poll::Pending
    }

    /// The earliest instant at which `drive` has something to do.
    fn next_deadline(&self, now: Instant) -> Option<Instant> {
        let mut at: Option<Instant> = None;
        let mut earliest = |t: Instant| at = Some(at.map_or(t, |a| a.min(t)));
        let kind = self.state.kind();
        match &self.coordinator {
            Coordinator::Unknown { not_before, lookup: None, .. } if self.needs_coordinator() => earliest(*not_before),
            Coordinator::Known { .. } => {
                if let State::FindingCoordinator { not_before, .. } = &self.state {
                    earliest(*not_before);
                }
            }
            _ => {}
        }
        if self.keeps_session() {
            if self.heartbeat.in_flight.is_none() {
                earliest(self.heartbeat.next_at);
            }
            earliest(self.heartbeat.last_ok + self.config.session_timeout + Duration::from_millis(1));
        }
        if kind.watches_polls() {
            let left = self.config.max_poll_interval.saturating_sub(self.clock.since_last_poll());
            earliest(now + left + Duration::from_millis(1));
        }
        for op in &self.commits {
            if let CommitStatus::Queued { not_before } = op.status {
                earliest(not_before);
                earliest(op.deadline);
            }
        }
        for op in &self.fetches {
            if let FetchStatus::Queued { not_before } = op.status {
                earliest(not_before);
                earliest(op.deadline);
            }
        }
        if self.watches_metadata() && self.metadata.in_flight.is_none() {
            earliest(self.metadata.next_at);
        }
        at
    }

    // ------------------------------------------------------------------ driving

    async fn drive(&mut self) {
        let now = Instant::now();
        self.check_timers(now);
        if self.needs_coordinator() {
            if let Coordinator::Unknown { not_before, lookup: lookup @ None, .. } = &mut self.coordinator {
                if now >= *not_before {
                    *lookup = Some(Box::pin(coordinator::find(self.client.clone(), self.group_id.clone())));
                }
            }
        }
        if let State::FindingCoordinator { not_before, .. } = &self.state {
            if now >= *not_before && matches!(self.coordinator, Coordinator::Known { .. }) {
                self.start_join();
            }
        }
        self.maybe_heartbeat(now);
        self.send_commits(now).await;
        self.send_fetches(now);
        self.maybe_check_metadata(now);
    }

    fn needs_coordinator(&self) -> bool {
        match self.state.kind() {
            StateKind::Failed | StateKind::Closed => false,
            StateKind::FindingCoordinator => true,
            _ => {
                self.keeps_session()
                    || self.commits.iter().any(|op| matches!(op.status, CommitStatus::Queued { .. }))
                    || self.fetches.iter().any(|op| matches!(op.status, FetchStatus::Queued { .. }))
            }
        }
    }

    /// Whether the member holds a generation to keep alive in its current state.
    fn keeps_session(&self) -> bool {
        self.state.kind().heartbeats() && self.member.generation >= 0 && !self.member.member_id.is_empty()
    }

    fn watches_metadata(&self) -> bool {
        matches!(self.state, State::Stable)
            && (self.member.leader.is_some() || self.subscription.as_ref().is_some_and(|s| s.anchored.is_some()))
    }

    fn check_timers(&mut self, now: Instant) {
        let kind = self.state.kind();
        let unsubscribing = matches!(&self.state, State::AwaitingRevoke { next: AfterRevoke::Leave { .. }, .. });
        if kind.watches_polls() && !unsubscribing && self.clock.since_last_poll() > self.config.max_poll_interval {
            self.on_poll_timeout(now);
        }
        if self.keeps_session() && now > self.heartbeat.last_ok + self.config.session_timeout {
            warn!(
                group = %self.group_id,
                "no successful heartbeat for session.timeout.ms ({:?}): the coordinator has likely removed this \
                 member; its partitions are lost, rejoining",
                self.config.session_timeout
            );
            self.mark_coordinator_unknown(self.epoch, "the session timed out");
            self.on_lost(true, "the session timed out");
        }
        let lookup_error = match &self.coordinator {
            Coordinator::Unknown { error, .. } => error.clone(),
            Coordinator::Known { .. } => None,
        };
        let mut expired = false;
        for op in &mut self.commits {
            if matches!(op.status, CommitStatus::Queued { .. }) && now >= op.deadline {
                op.status = CommitStatus::Done(Err(self::timed_out(
                    format!("committing offsets of {} partitions for group {}", op.offsets.len(), self.group_id),
                    self.config.default_api_timeout,
                    op.last_error.as_ref().or(lookup_error.as_ref()),
                )));
                expired = true;
            }
        }
        if expired {
            self.flush_commits();
        }
        let group_id = &self.group_id;
        let after = self.config.default_api_timeout;
        self.fetches.retain_mut(|op| {
            if matches!(op.status, FetchStatus::Queued { .. }) && now >= op.deadline {
                if let Some(reply) = op.reply.take() {
                    let what = format!(
                        "fetching the committed offsets of {} partitions for group {group_id}",
                        op.partitions.len()
                    );
                    let _ = reply.send(Err(timed_out(what, after, op.last_error.as_ref().or(lookup_error.as_ref()))));
                }
                return false;
            }
            true
        });
    }

    // ------------------------------------------------------------------ handling

    async fn handle(&mut self, wake: Wake) {
        match wake {
            Wake::Command(None) => self.shutdown().await,
            Wake::Command(Some(c)) => self.on_command(c),
            Wake::Joined(r) => self.on_joined(r),
            Wake::Synced(r) => self.on_synced(r),
            Wake::Left => {
                if let State::Leaving { then, .. } = std::mem::replace(&mut self.state, State::Unsubscribed) {
                    self.finish_leave(then);
                }
            }
            Wake::Acked => self.on_acked(),
            Wake::Polled => self.on_polled(),
            Wake::Coordinator(r) => self.on_coordinator(r),
            Wake::Heartbeat(r) => self.on_heartbeat(r),
            Wake::Committed { id, result } => self.on_committed(id, result),
            Wake::Fetched { id, result } => self.on_fetched(id, result),
            Wake::Metadata(r) => self.on_metadata(r),
            Wake::Tick => {}
        }
    }

    fn on_command(&mut self, c: GroupCommand) {
        match c {
            GroupCommand::Subscribe(s) => self.on_subscribe(s),
            GroupCommand::Unsubscribe => self.on_unsubscribe(),
            GroupCommand::Commit { offsets, reply } => self.on_commit(offsets, reply),
            GroupCommand::FetchCommitted { partitions, reply } => self.on_fetch(partitions, reply),
            GroupCommand::Close { reply } => self.on_close(reply),
        }
    }

    fn on_subscribe(&mut self, s: Subscription) {
        if matches!(self.state, State::Failed { .. } | State::Closed) {
            return;
        }
        if self.assignors.is_empty() {
            self.fatal(Error::config(
                "partition.assignment.strategy",
                "no assignor is configured; set at least one (range, roundrobin, cooperative-sticky)",
            ));
            return;
        }
        // The poll timer starts with the subscription (the first join happens without a poll).
        self.clock.poll();
        let changed = self.subscription.as_ref().is_none_or(|cur| !cur.same_as(&s));
        self.subscription = Some(Subscribed::new(s));
        if !changed {
            return;
        }
        match &mut self.state {
            State::Unsubscribed => self.begin_join(Instant::now(), "subscribed"),
            State::Stable | State::Joining { .. } | State::Syncing { .. } => {
                self.start_rejoin("the subscription changed", false)
            }
            State::AwaitingRevoke { next, .. } => {
                if matches!(next, AfterRevoke::Leave { then: AfterLeave::Unsubscribed }) {
                    // Unsubscribed and subscribed again before the revoke was handled.
                    *next = AfterRevoke::Join { reason: "subscribed".into() };
                }
            }
            // A join under way, the events being handled, a leave or a poll timeout: the next
            // join uses the new subscription (and Stable checks it).
            _ => {}
        }
    }

    fn on_unsubscribe(&mut self) {
        match &mut self.state {
            State::Unsubscribed | State::Failed { .. } | State::Closed => self.subscription = None,
            State::PollTimedOut { .. } => {
                self.subscription = None;
                self.state = State::Unsubscribed;
            }
            State::Leaving { then, .. } => {
                if !matches!(then, AfterLeave::Close { .. }) {
                    *then = AfterLeave::Unsubscribed;
                }
                self.subscription = None;
            }
            _ => {
                let lost = self.member.generation < 0;
                let revoke: Vec<TopicPartition> = std::mem::take(&mut self.owned).into_iter().collect();
                self.member.leader = None;
                if revoke.is_empty() {
                    self.begin_leave(AfterLeave::Unsubscribed, "the consumer unsubscribed");
                } else {
                    let done = self.emit_revoke(revoke, lost);
                    self.state =
                        State::AwaitingRevoke { done, next: AfterRevoke::Leave { then: AfterLeave::Unsubscribed } };
                }
            }
        }
    }

    fn on_commit(&mut self, offsets: HashMap<TopicPartition, OffsetAndMetadata>, reply: oneshot::Sender<Result<()>>) {
        if let State::Failed { error } = &self.state {
            let _ = reply.send(Err(error.clone()));
            return;
        }
        let now = Instant::now();
        let status =
            if offsets.is_empty() { CommitStatus::Done(Ok(())) } else { CommitStatus::Queued { not_before: now } };
        self.next_op += 1;
        self.commits.push_back(CommitOp {
            id: self.next_op,
            offsets,
            reply: Some(reply),
            status,
            sent_as: None,
            deadline: now + self.config.default_api_timeout,
            backoff: self.op_backoff(),
            last_error: None,
        });
        self.flush_commits();
    }

    fn on_fetch(
        &mut self,
        partitions: Vec<TopicPartition>,
        reply: oneshot::Sender<Result<HashMap<TopicPartition, Option<OffsetAndMetadata>>>>,
    ) {
        if let State::Failed { error } = &self.state {
            let _ = reply.send(Err(error.clone()));
            return;
        }
        if partitions.is_empty() {
            let _ = reply.send(Ok(HashMap::new()));
            return;
        }
        let now = Instant::now();
        self.next_op += 1;
        self.fetches.push(FetchOp {
            id: self.next_op,
            partitions,
            reply: Some(reply),
            status: FetchStatus::Queued { not_before: now },
            deadline: now + self.config.default_api_timeout,
            backoff: self.op_backoff(),
            last_error: None,
        });
    }

    fn on_close(&mut self, reply: oneshot::Sender<Result<()>>) {
        match &mut self.state {
            State::Unsubscribed | State::Failed { .. } | State::PollTimedOut { .. } | State::Closed => {
                let _ = reply.send(Ok(()));
                self.state = State::Closed;
            }
            State::Leaving { then, .. } => *then = AfterLeave::Close { reply },
            _ => self.begin_leave(AfterLeave::Close { reply }, "the consumer is closing"),
        }
    }

    /// The consumer dropped its command sender: leave (best effort) and stop.
    async fn shutdown(&mut self) {
        let state = std::mem::replace(&mut self.state, State::Closed);
        match state {
            State::Leaving { request, .. } => request.await,
            State::Unsubscribed | State::PollTimedOut { .. } | State::Failed { .. } | State::Closed => {}
            _ => {
                if let Some(request) = self.leave_request("the consumer was dropped") {
                    request.await;
                }
            }
        }
    }

    /// When the task ends: whatever still waits is told the group task closed.
    fn finish(&mut self) {
        for mut op in self.commits.drain(..) {
            if let Some(reply) = op.reply.take() {
                let _ = reply.send(match op.status {
                    CommitStatus::Done(r) => r,
                    _ => Err(Error::Closed),
                });
            }
        }
        for mut op in self.fetches.drain(..) {
            if let Some(reply) = op.reply.take() {
                let _ = reply.send(Err(Error::Closed));
            }
        }
        if let Coordinator::Known { conn, .. } = &self.coordinator {
            conn.close();
        }
    }

    // ------------------------------------------------------------------ joining

    /// To [`State::FindingCoordinator`]: the join starts once the coordinator is known and
    /// `not_before` has passed.
    fn begin_join(&mut self, not_before: Instant, reason: &str) {
        self.state = State::FindingCoordinator { not_before, reason: reason.to_string() };
    }

    fn begin_join_after_backoff(&mut self, reason: &str) {
        let delay = self.join_backoff.next_delay();
        self.begin_join(Instant::now() + delay, reason);
    }

    fn start_join(&mut self) {
        let reason = match &self.state {
            State::FindingCoordinator { reason, .. } => reason.clone(),
            _ => return,
        };
        let Coordinator::Known { conn, .. } = &self.coordinator else { return };
        let Some(sub) = &self.subscription else {
            self.state = State::Unsubscribed;
            return;
        };
        debug!(group = %self.group_id, member = %self.member.member_id, %reason, "joining");
        let params = JoinParams {
            conn: conn.clone(),
            client: self.client.clone(),
            group_id: self.group_id.clone(),
            member_id: self.member.member_id.clone(),
            group_instance_id: self.config.group_instance_id.clone(),
            session_timeout: self.config.session_timeout,
            rebalance_timeout: self.config.max_poll_interval,
            request_timeout: self.config.client.request_timeout,
            topics: sub.join_topics(self.config.exclude_internal_topics),
            assignors: self.assignors.clone(),
            owned: self.owned.iter().cloned().collect(),
            generation: self.member.generation,
            rack: self.config.client_rack.clone(),
            reason,
        };
        self.state = State::Joining { request: Box::pin(join::join(params)), epoch: self.epoch };
    }

    /// Rejoins from wherever the member is: first revokes what it must give up — everything
    /// if its partitions are `lost` or the protocol is eager; with the cooperative protocol,
    /// only the partitions of topics it no longer subscribes to — waiting for the consumer.
    fn start_rejoin(&mut self, why: &str, lost: bool) {
        info!(group = %self.group_id, member = %self.member.member_id, lost, "rejoining: {why}");
        self.member.leader = None;
        let revoke: Vec<TopicPartition> = if lost || self.protocol == RebalanceProtocol::Eager {
            std::mem::take(&mut self.owned).into_iter().collect()
        } else {
            match &self.subscription {
                // A pattern's topics are matched again at the join; what it no longer matches is
                // revoked after the SyncGroup.
                Some(s) if s.anchored.is_none() => {
                    let r = state::unsubscribed_partitions(&self.owned, &s.topics);
                    for tp in &r {
                        self.owned.remove(tp);
                    }
                    r
                }
                _ => Vec::new(),
            }
        };
        if revoke.is_empty() {
            self.begin_join(Instant::now(), why);
        } else {
            let done = self.emit_revoke(revoke, lost);
            self.state = State::AwaitingRevoke { done, next: AfterRevoke::Join { reason: why.to_string() } };
        }
    }

    /// The generation (and the member id if `reset_member`) is gone.
    fn on_lost(&mut self, reset_member: bool, why: &str) {
        self.member.generation = -1;
        if reset_member {
            self.member.member_id.clear();
        }
        match &self.state {
            // Already revoking before a rejoin or a leave: the next join uses the reset ids.
            State::AwaitingRevoke { next: AfterRevoke::Join { .. } | AfterRevoke::Leave { .. }, .. } => {}
            State::Unsubscribed
            | State::PollTimedOut { .. }
            | State::Leaving { .. }
            | State::Failed { .. }
            | State::Closed => {}
            _ => self.start_rejoin(why, true),
        }
    }

    /// The group wants this member to rejoin (a heartbeat or a commit said it is rebalancing).
    fn on_rebalance_signal(&mut self, why: &str) {
        match &mut self.state {
            State::Stable => self.start_rejoin(why, false),
            State::AwaitingAssign { rejoin, .. }
            | State::AwaitingRevoke { next: AfterRevoke::Assign { rejoin, .. }, .. } => *rejoin = true,
            _ => {}
        }
    }

    fn on_joined(&mut self, r: std::result::Result<Joined, StepError>) {
        let epoch = match &self.state {
            State::Joining { epoch, .. } => *epoch,
            _ => return,
        };
        match r {
            Err(e) => self.on_step_error(e, epoch, "joining"),
            Ok(joined) => {
                let code = ErrorCode::from_i16(joined.response.error_code);
                if code.is_ok() {
                    self.on_join_success(joined.response, joined.topics);
                } else if code == ErrorCode::MEMBER_ID_REQUIRED {
                    // KIP-394: join again at once with the id the coordinator gave.
                    self.member.member_id = joined.response.member_id;
                    self.begin_join(Instant::now(), "the coordinator gave a member id");
                } else {
                    debug!(group = %self.group_id, %code, "JoinGroup failed");
                    self.recover(state::join_recovery(code), code, epoch, "joining");
                }
            }
        }
    }

    /// A join or sync step failed without an answer.
    fn on_step_error(&mut self, e: StepError, epoch: u64, step: &str) {
        match e {
            StepError::Request(e) if commit::coordinator_lost(&e) => {
                debug!(group = %self.group_id, "{step} failed: {e}");
                self.mark_coordinator_unknown(epoch, &e.to_string());
                self.start_rejoin("the coordinator connection was lost", false);
            }
            StepError::Request(e) if e.is_retriable() => {
                debug!(group = %self.group_id, "{step} failed: {e}");
                self.begin_join_after_backoff("retrying after an error");
            }
            StepError::Retriable(e) => {
                warn!(group = %self.group_id, "{step} failed: {e}; retrying");
                self.begin_join_after_backoff("retrying after an error");
            }
            StepError::Request(e) | StepError::Fatal(e) => self.fatal(e),
        }
    }

    /// Acts on a JoinGroup or SyncGroup error code.
    fn recover(&mut self, recovery: Recovery, code: ErrorCode, epoch: u64, step: &str) {
        let why = format!("{step} failed with {}", code.name());
        match recovery {
            Recovery::RejoinNow => self.start_rejoin(&why, false),
            Recovery::RejoinAfterBackoff => {
                // Nothing to revoke: eager members hold nothing now, cooperative ones keep theirs.
                self.begin_join_after_backoff(&why)
            }
            Recovery::ResetMember => self.on_lost(true, &why),
            Recovery::ResetGeneration => self.on_lost(false, &why),
            Recovery::FindCoordinator => {
                self.mark_coordinator_unknown(epoch, &why);
                self.start_rejoin(&why, false);
            }
            Recovery::Fatal => {
                let e = self.fatal_error(code, step);
                self.fatal(e);
            }
        }
    }

    fn on_join_success(&mut self, resp: JoinGroupResponse, topics: BTreeSet<String>) {
        if resp.protocol_type.as_deref().is_some_and(|t| t != join::PROTOCOL_TYPE) {
            let e = self.fatal_error(ErrorCode::INCONSISTENT_GROUP_PROTOCOL, "joining");
            self.fatal(e);
            return;
        }
        self.join_backoff.reset();
        let now = Instant::now();
        self.member.member_id = resp.member_id.clone();
        self.member.generation = resp.generation_id;
        let protocol = resp.protocol_name.clone().unwrap_or_default();
        self.member.protocol = Some(protocol.clone());
        self.member.joined_topics = topics.clone();
        if let Some(sub) = &mut self.subscription {
            if sub.anchored.is_some() {
                sub.topics = topics;
            }
        }
        let leader = !resp.leader.is_empty() && resp.leader == resp.member_id;
        info!(
            group = %self.group_id,
            member = %self.member.member_id,
            generation = self.member.generation,
            %protocol,
            leader,
            "joined the group"
        );
        let Coordinator::Known { conn, .. } = &self.coordinator else {
            self.begin_join(now, "the coordinator was lost");
            return;
        };
        let params = SyncParams {
            conn: conn.clone(),
            client: self.client.clone(),
            group_id: self.group_id.clone(),
            member_id: self.member.member_id.clone(),
            group_instance_id: self.config.group_instance_id.clone(),
            generation: self.member.generation,
            protocol_name: protocol,
            leader,
            skip_assignment: resp.skip_assignment,
            members: resp.members,
            assignors: self.assignors.clone(),
            timeout: join::join_timeout(self.config.client.request_timeout, self.config.max_poll_interval),
        };
        self.heartbeat.last_ok = now;
        self.state = State::Syncing { request: Box::pin(join::sync(params)), epoch: self.epoch };
    }

    fn on_synced(&mut self, r: std::result::Result<Synced, StepError>) {
        let epoch = match &self.state {
            State::Syncing { epoch, .. } => *epoch,
            _ => return,
        };
        let synced = match r {
            Err(e) => return self.on_step_error(e, epoch, "syncing"),
            Ok(s) => s,
        };
        let code = ErrorCode::from_i16(synced.response.error_code);
        if !code.is_ok() {
            debug!(group = %self.group_id, %code, "SyncGroup failed");
            return self.recover(state::sync_recovery(code), code, epoch, "syncing with");
        }
        let resp = synced.response;
        let type_differs = resp.protocol_type.as_deref().is_some_and(|t| t != join::PROTOCOL_TYPE);
        let name_differs = resp.protocol_name.is_some() && resp.protocol_name != self.member.protocol;
        if type_differs || name_differs {
            let e = self.fatal_error(ErrorCode::INCONSISTENT_GROUP_PROTOCOL, "syncing with");
            return self.fatal(e);
        }
        match join::decode_assignment(resp.assignment, &self.group_id) {
            Ok((parts, user_data)) => self.on_assignment(parts, user_data, synced.leader),
            Err(e) => self.fatal(e),
        }
    }

    /// The member's assignment for the new generation: Revoke/Assign events by protocol.
    fn on_assignment(
        &mut self,
        parts: Vec<TopicPartition>,
        user_data: Option<bytes::Bytes>,
        leader: Option<LeaderWatch>,
    ) {
        let now = Instant::now();
        self.member.leader = leader;
        self.heartbeat.last_ok = now;
        self.heartbeat.next_at = now + self.config.heartbeat_interval;
        self.metadata.next_at = now + self.config.client.metadata_max_age;
        let wanted = self.wanted_topics();
        if let Some(tp) = parts.iter().find(|tp| !wanted.contains(&*tp.topic)) {
            // The subscription changed since the join (Java's checkAssignmentMatchedSubscription).
            let why = format!("the assignment has {tp}, which is not subscribed any more");
            return self.start_rejoin(&why, false);
        }
        let protocol = self.member.protocol.clone().unwrap_or_default();
        if let Some(a) = self.assignors.iter().find(|a| a.name() == protocol) {
            a.on_assignment(&parts, user_data.as_ref(), self.member.generation);
        }
        info!(group = %self.group_id, generation = self.member.generation, assigned = ?parts, "assignment received");
        match self.protocol {
            RebalanceProtocol::Eager => {
                self.owned = parts.iter().cloned().collect();
                let done = self.emit_assign(parts);
                self.state = State::AwaitingAssign { done, rejoin: false };
            }
            RebalanceProtocol::Cooperative => {
                let assigned: BTreeSet<TopicPartition> = parts.into_iter().collect();
                let (revoked, added) = state::cooperative_diff(&self.owned, &assigned);
                if revoked.is_empty() {
                    self.owned.extend(added.iter().cloned());
                    let done = self.emit_assign(added);
                    self.state = State::AwaitingAssign { done, rejoin: false };
                } else {
                    // The revoked partitions go to their new owners in a second rebalance, once
                    // this member has let them go (KIP-429).
                    for tp in &revoked {
                        self.owned.remove(tp);
                    }
                    let done = self.emit_revoke(revoked, false);
                    self.state = State::AwaitingRevoke { done, next: AfterRevoke::Assign { added, rejoin: true } };
                }
            }
        }
    }

    fn on_acked(&mut self) {
        match std::mem::replace(&mut self.state, State::Stable) {
            State::AwaitingRevoke { next, .. } => match next {
                AfterRevoke::Join { reason } => self.begin_join(Instant::now(), &reason),
                AfterRevoke::Assign { added, rejoin } => {
                    self.owned.extend(added.iter().cloned());
                    let done = self.emit_assign(added);
                    self.state = State::AwaitingAssign { done, rejoin };
                }
                AfterRevoke::Leave { then } => self.begin_leave(then, "the consumer unsubscribed"),
            },
            State::AwaitingAssign { rejoin: true, .. } => {
                self.start_rejoin("partitions were revoked: a second rebalance assigns them", false)
            }
            State::AwaitingAssign { rejoin: false, .. } => self.enter_stable(),
            other => self.state = other,
        }
    }

    fn enter_stable(&mut self) {
        self.state = State::Stable;
        if self.subscription.is_some() && self.wanted_topics() != self.member.joined_topics {
            self.start_rejoin("the subscription changed", false);
        }
    }

    fn wanted_topics(&self) -> BTreeSet<String> {
        self.subscription.as_ref().map(|s| s.topics.clone()).unwrap_or_default()
    }

    // ------------------------------------------------------------------ leaving

    fn on_poll_timeout(&mut self, now: Instant) {
        warn!(
            group = %self.group_id,
            member = %self.member.member_id,
            "the application did not poll for max.poll.interval.ms ({:?}); leaving the group (its partitions go to \
             other members) and rejoining at the next poll: raise max.poll.interval.ms or lower max.poll.records \
             if processing takes this long",
            self.config.max_poll_interval
        );
        let lost_parts: Vec<TopicPartition> = std::mem::take(&mut self.owned).into_iter().collect();
        let lost = (!lost_parts.is_empty()).then(|| self.emit_revoke(lost_parts, true));
        self.begin_leave(AfterLeave::PollTimedOut { lost, since: now }, "consumer poll timeout has expired");
    }

    /// Leaves the group (a LeaveGroup for a dynamic member with a member id and a known
    /// coordinator; a static member does not send one, as in Java) and forgets the membership.
    fn begin_leave(&mut self, then: AfterLeave, reason: &str) {
        if matches!(then, AfterLeave::Unsubscribed | AfterLeave::Close { .. }) {
            self.subscription = None;
        }
        match self.leave_request(reason) {
            Some(request) => self.state = State::Leaving { request, then },
            None => self.finish_leave(then),
        }
    }

    /// The LeaveGroup to send, if any; the membership is forgotten either way.
    fn leave_request(&mut self, reason: &str) -> Option<BoxFut<()>> {
        let member_id = std::mem::take(&mut self.member.member_id);
        self.member.generation = -1;
        self.member.leader = None;
        self.member.protocol = None;
        self.heartbeat.in_flight = None;
        let dynamic = self.config.group_instance_id.is_none();
        let Coordinator::Known { conn, .. } = &self.coordinator else { return None };
        if !dynamic || member_id.is_empty() {
            return None;
        }
        info!(group = %self.group_id, member = %member_id, %reason, "leaving the group");
        let conn = conn.clone();
        let group_id = self.group_id.clone();
        let reason = reason.to_string();
        let timeout = self.config.client.request_timeout;
        Some(Box::pin(async move {
            let Ok(version) = conn.version_of::<LeaveGroupRequest>() else { return };
            let request = if version >= 3 {
                LeaveGroupRequest {
                    group_id: group_id.clone(),
                    members: vec![MemberIdentity {
                        member_id,
                        group_instance_id: None,
                        reason: Some(reason),
                        ..Default::default()
                    }],
                    ..Default::default()
                }
            } else {
                LeaveGroupRequest { group_id: group_id.clone(), member_id, ..Default::default() }
            };
            match conn.send_with(&request, version, timeout).await {
                Ok(resp) => {
                    let code = ErrorCode::from_i16(resp.error_code);
                    let member =
                        resp.members.first().map(|m| ErrorCode::from_i16(m.error_code)).unwrap_or(ErrorCode::NONE);
                    if !code.is_ok() || !member.is_ok() {
                        debug!(group = %group_id, %code, %member, "LeaveGroup failed (the session will expire instead)");
                    }
                }
                Err(e) => debug!(group = %group_id, "LeaveGroup failed (the session will expire instead): {e}"),
            }
        }))
    }

    fn finish_leave(&mut self, then: AfterLeave) {
        match then {
            AfterLeave::Unsubscribed => {
                self.state = State::Unsubscribed;
                if self.subscription.is_some() {
                    // Subscribed again while leaving.
                    self.begin_join(Instant::now(), "subscribed");
                }
            }
            AfterLeave::PollTimedOut { lost, since } => self.state = State::PollTimedOut { since, lost },
            AfterLeave::Close { reply } => {
                let _ = reply.send(Ok(()));
                self.state = State::Closed;
            }
        }
    }

    fn on_polled(&mut self) {
        if let State::PollTimedOut { lost, .. } = std::mem::replace(&mut self.state, State::Unsubscribed) {
            info!(group = %self.group_id, "the application polled again; rejoining");
            let reason = "the application polled again after max.poll.interval.ms";
            match lost {
                Some(done) => {
                    self.state = State::AwaitingRevoke { done, next: AfterRevoke::Join { reason: reason.into() } }
                }
                None if self.subscription.is_some() => self.begin_join(Instant::now(), reason),
                None => self.state = State::Unsubscribed,
            }
        }
    }

    // ------------------------------------------------------------------ the coordinator

    fn on_coordinator(&mut self, r: Result<Found>) {
        let now = Instant::now();
        match r {
            Ok(found) => {
                self.lookup_backoff.reset();
                self.epoch += 1;
                self.coordinator = Coordinator::Known { node: found.node_id, conn: found.conn };
                self.heartbeat.next_at = self.heartbeat.next_at.min(now);
            }
            Err(e) if coordinator::is_fatal(&e) => self.fatal(e),
            Err(e) => {
                let delay = self.lookup_backoff.next_delay();
                debug!(group = %self.group_id, ?delay, "finding the coordinator failed: {e}");
                if e.invalidates_metadata() {
                    self.client.invalidate();
                }
                self.coordinator = Coordinator::Unknown { not_before: now + delay, lookup: None, error: Some(e) };
            }
        }
    }

    /// Gives up the coordinator reached at `epoch` (if it is still the current one): its
    /// connection is abandoned (failing what is in flight on it) and it is looked up again.
    fn mark_coordinator_unknown(&mut self, epoch: u64, why: &str) {
        if let Coordinator::Known { node, conn } = &self.coordinator {
            if epoch != self.epoch {
                return;
            }
            info!(group = %self.group_id, node, "group coordinator unavailable ({why}); finding it again");
            conn.abandon(&format!("the group coordinator is being looked up again: {why}"));
            self.client.invalidate();
            self.coordinator = Coordinator::Unknown { not_before: Instant::now(), lookup: None, error: None };
            self.heartbeat.in_flight = None;
        }
    }

    // ------------------------------------------------------------------ heartbeats

    fn maybe_heartbeat(&mut self, now: Instant) {
        if !self.keeps_session() || self.heartbeat.in_flight.is_some() || now < self.heartbeat.next_at {
            return;
        }
        let Coordinator::Known { conn, .. } = &self.coordinator else { return };
        let version = match conn.version_of::<HeartbeatRequest>() {
            Ok(v) => v,
            Err(e) => return self.fatal(e),
        };
        let request = HeartbeatRequest {
            group_id: self.group_id.clone(),
            generation_id: self.member.generation,
            member_id: self.member.member_id.clone(),
            group_instance_id: self.config.group_instance_id.clone(),
            ..Default::default()
        };
        let conn = conn.clone();
        let timeout = self.config.client.request_timeout;
        self.heartbeat.in_flight = Some(InFlightHeartbeat {
            generation: self.member.generation,
            epoch: self.epoch,
            sent_at: now,
            request: Box::pin(async move {
                conn.send_with(&request, version, timeout).await.map(|r| ErrorCode::from_i16(r.error_code))
            }),
        });
    }

    fn on_heartbeat(&mut self, r: Result<ErrorCode>) {
        let Some(hb) = self.heartbeat.in_flight.take() else { return };
        let now = Instant::now();
        if hb.generation != self.member.generation {
            return;
        }
        let code = match r {
            Ok(code) => code,
            Err(e) => {
                debug!(group = %self.group_id, "heartbeat failed: {e}");
                if commit::coordinator_lost(&e) {
                    self.mark_coordinator_unknown(hb.epoch, &e.to_string());
                }
                self.heartbeat.next_at = now + self.config.retry_backoff;
                return;
            }
        };
        let next = hb.sent_at + self.config.heartbeat_interval;
        match state::heartbeat_reaction(code, self.state.kind()) {
            HeartbeatReaction::Alive => {
                self.heartbeat.last_ok = now;
                self.heartbeat.next_at = next;
            }
            HeartbeatReaction::Rejoin => {
                self.heartbeat.last_ok = now;
                self.heartbeat.next_at = next;
                self.on_rebalance_signal("the group is rebalancing");
            }
            HeartbeatReaction::Lost { reset_member } => {
                warn!(group = %self.group_id, %code, "heartbeat: the member's generation is gone; its partitions are lost");
                self.on_lost(reset_member, &format!("heartbeat failed with {}", code.name()));
            }
            HeartbeatReaction::FindCoordinator => {
                self.mark_coordinator_unknown(hb.epoch, code.name());
                self.heartbeat.next_at = now;
            }
            HeartbeatReaction::RetrySoon => self.heartbeat.next_at = now + self.config.retry_backoff,
            HeartbeatReaction::Fatal => {
                let e = self.fatal_error(code, "heartbeating in");
                self.fatal(e);
            }
        }
    }

    // ------------------------------------------------------------------ commits

    fn op_backoff(&self) -> Backoff {
        Backoff::new(self.config.retry_backoff, self.config.retry_backoff.max(RETRY_BACKOFF_MAX))
    }

    /// Who a commit sent now is made as, or why it is refused.
    fn commit_identity(&self) -> std::result::Result<CommitIdentity, Error> {
        let has_generation = self.member.generation >= 0 && !self.member.member_id.is_empty();
        match state::commit_as(self.state.kind(), self.subscription.is_some(), has_generation) {
            CommitAs::Member => Ok(CommitIdentity::Member {
                generation: self.member.generation,
                member_id: self.member.member_id.clone(),
                group_instance_id: self.config.group_instance_id.clone(),
            }),
            CommitAs::Simple => Ok(CommitIdentity::Simple),
            CommitAs::RebalanceInProgress => Err(Error::kafka(
                ErrorCode::REBALANCE_IN_PROGRESS,
                format!(
                    "committing offsets for group {}: the consumer is rejoining the group; commit again after the \
                     rebalance (poll), with the positions of the partitions assigned then",
                    self.group_id
                ),
            )),
            CommitAs::NotInGroup => Err(Error::kafka(
                ErrorCode::UNKNOWN_MEMBER_ID,
                format!(
                    "committing offsets for group {}: the consumer is not part of an active generation of the group \
                     (it was removed, or left after max.poll.interval.ms without a poll), so its partitions may \
                     have been reassigned; poll to rejoin, then commit the positions of the partitions assigned then",
                    self.group_id
                ),
            )),
        }
    }

    /// Sends the queued commits that may go, in order: a commit is not sent before the ones
    /// queued ahead of it.
    async fn send_commits(&mut self, now: Instant) {
        let mut changed = false;
        for i in 0..self.commits.len() {
            let not_before = match self.commits[i].status {
                CommitStatus::Queued { not_before } => not_before,
                _ => continue,
            };
            if not_before > now {
                break;
            }
            let who = match self.commit_identity() {
                Ok(who) => who,
                Err(e) => {
                    self.commits[i].status = CommitStatus::Done(Err(e));
                    changed = true;
                    continue;
                }
            };
            let Coordinator::Known { conn, .. } = &self.coordinator else { break };
            let conn = conn.clone();
            let op = &mut self.commits[i];
            let version = match conn.version_of::<OffsetCommitRequest>() {
                Ok(v) => v,
                Err(e) => {
                    op.status = CommitStatus::Done(Err(e));
                    changed = true;
                    continue;
                }
            };
            let request = commit::commit_request(&self.group_id, &who, &op.offsets);
            let request: BoxFut<Result<OffsetCommitResponse>> =
                match conn.submit(&request, version, self.config.client.request_timeout).await {
                    Ok(pending) => Box::pin(pending.wait()),
                    Err(e) => Box::pin(std::future::ready(Err(e))),
                };
            op.sent_as = Some(who);
            op.status = CommitStatus::InFlight { epoch: self.epoch, request };
        }
        if changed {
            self.flush_commits();
        }
    }

    fn on_committed(&mut self, id: u64, result: Result<OffsetCommitResponse>) {
        let Some(i) = self.commits.iter().position(|op| op.id == id) else { return };
        let epoch = match self.commits[i].status {
            CommitStatus::InFlight { epoch, .. } => epoch,
            _ => return,
        };
        let outcome = match result {
            Ok(resp) => commit::commit_outcome(&self.group_id, &resp),
            Err(e) if commit::coordinator_lost(&e) => CommitOutcome::Retry { error: e, coordinator_lost: true },
            Err(e) if e.is_retriable() => CommitOutcome::Retry { error: e, coordinator_lost: false },
            Err(e) => CommitOutcome::Failed { error: e, reaction: Reaction::None },
        };
        match outcome {
            CommitOutcome::Committed => self.commits[i].status = CommitStatus::Done(Ok(())),
            CommitOutcome::Retry { error, coordinator_lost } => {
                debug!(group = %self.group_id, "commit failed, retrying: {error}");
                if coordinator_lost {
                    self.mark_coordinator_unknown(epoch, &error.to_string());
                }
                self.retry_commit(i, error);
            }
            CommitOutcome::Failed { error, reaction } => {
                let as_current_member = matches!(
                    &self.commits[i].sent_as,
                    Some(CommitIdentity::Member { generation, .. }) if *generation == self.member.generation
                );
                self.commits[i].status = CommitStatus::Done(Err(error.clone()));
                if as_current_member {
                    match reaction {
                        Reaction::None => {}
                        Reaction::Rejoin => self.on_rebalance_signal("a commit found the group rebalancing"),
                        Reaction::Lost { reset_member } => {
                            warn!(group = %self.group_id, "{error}");
                            self.on_lost(reset_member, "a commit found the generation gone");
                        }
                        Reaction::Fatal => self.fatal(error),
                    }
                }
            }
        }
        self.flush_commits();
    }

    /// Queues commit `i` again after its backoff (or fails it past its deadline); the commits
    /// after it that were sent or answered are sent again after it, so that the last commit
    /// stays the one that counts.
    fn retry_commit(&mut self, i: usize, error: Error) {
        let now = Instant::now();
        let op = &mut self.commits[i];
        let delay = op.backoff.next_delay();
        if now + delay >= op.deadline {
            let what = format!("committing offsets of {} partitions for group {}", op.offsets.len(), self.group_id);
            op.status = CommitStatus::Done(Err(timed_out(what, self.config.default_api_timeout, Some(&error))));
        } else {
            op.status = CommitStatus::Queued { not_before: now + delay };
            op.last_error = Some(error);
        }
        for op in self.commits.iter_mut().skip(i + 1) {
            if matches!(op.status, CommitStatus::InFlight { .. } | CommitStatus::Done(Ok(()))) {
                op.status = CommitStatus::Queued { not_before: now };
            }
        }
    }

    /// Answers the commits at the front that are done (commits are answered in order).
    fn flush_commits(&mut self) {
        while matches!(self.commits.front().map(|op| &op.status), Some(CommitStatus::Done(_))) {
            let Some(mut op) = self.commits.pop_front() else { break };
            if let (Some(reply), CommitStatus::Done(r)) = (op.reply.take(), op.status) {
                let _ = reply.send(r);
            }
        }
    }

    // ------------------------------------------------------------------ offset fetches

    fn send_fetches(&mut self, now: Instant) {
        let Coordinator::Known { conn, .. } = &self.coordinator else { return };
        let mut failed = Vec::new();
        for op in &mut self.fetches {
            match op.status {
                FetchStatus::Queued { not_before } if not_before <= now => {}
                _ => continue,
            }
            let version = match conn.version_of::<OffsetFetchRequest>() {
                Ok(v) => v,
                Err(e) => {
                    failed.push((op.id, e));
                    continue;
                }
            };
            let request = commit::fetch_request(&self.group_id, &op.partitions, version);
            let conn = conn.clone();
            let timeout = self.config.client.request_timeout;
            op.status = FetchStatus::InFlight {
                version,
                epoch: self.epoch,
                request: Box::pin(async move { conn.send_with(&request, version, timeout).await }),
            };
        }
        for (id, e) in failed {
            self.answer_fetch(id, Err(e));
        }
    }

    fn answer_fetch(&mut self, id: u64, result: Result<Committed>) {
        if let Some(i) = self.fetches.iter().position(|op| op.id == id) {
            let mut op = self.fetches.swap_remove(i);
            if let Some(reply) = op.reply.take() {
                let _ = reply.send(result);
            }
        }
    }

    fn on_fetched(&mut self, id: u64, result: Result<OffsetFetchResponse>) {
        let Some(op) = self.fetches.iter().find(|op| op.id == id) else { return };
        let FetchStatus::InFlight { version, epoch, .. } = op.status else { return };
        let outcome = match result {
            Ok(resp) => commit::fetch_outcome(&self.group_id, &op.partitions, version, &resp),
            Err(e) if commit::coordinator_lost(&e) => FetchOutcome::Retry { error: e, coordinator_lost: true },
            Err(e) if e.is_retriable() => FetchOutcome::Retry { error: e, coordinator_lost: false },
            Err(e) => FetchOutcome::Failed(e),
        };
        match outcome {
            FetchOutcome::Fetched(m) => self.answer_fetch(id, Ok(m)),
            FetchOutcome::Failed(e) => self.answer_fetch(id, Err(e)),
            FetchOutcome::Retry { error, coordinator_lost } => {
                debug!(group = %self.group_id, "fetching committed offsets failed, retrying: {error}");
                if coordinator_lost {
                    self.mark_coordinator_unknown(epoch, &error.to_string());
                }
                let now = Instant::now();
                let Some(op) = self.fetches.iter_mut().find(|op| op.id == id) else { return };
                let delay = op.backoff.next_delay();
                if now + delay >= op.deadline {
                    let what = format!(
                        "fetching the committed offsets of {} partitions for group {}",
                        op.partitions.len(),
                        self.group_id
                    );
                    let e = timed_out(what, self.config.default_api_timeout, Some(&error));
                    self.answer_fetch(id, Err(e));
                } else {
                    op.status = FetchStatus::Queued { not_before: now + delay };
                    op.last_error = Some(error);
                }
            }
        }
    }

    // ------------------------------------------------------------------ metadata

    fn maybe_check_metadata(&mut self, now: Instant) {
        if !self.watches_metadata() || self.metadata.in_flight.is_some() || now < self.metadata.next_at {
            return;
        }
        let pattern = self.subscription.as_ref().is_some_and(|s| s.anchored.is_some());
        let client = self.client.clone();
        self.metadata.in_flight = Some(if pattern {
            Box::pin(async move { join::all_topics(&client).await })
        } else {
            Box::pin(std::future::ready(Ok(client.metadata())))
        });
    }

    fn on_metadata(&mut self, r: Result<Arc<Metadata>>) {
        self.metadata.in_flight = None;
        let now = Instant::now();
        self.metadata.next_at = now + self.config.client.metadata_max_age;
        let md = match r {
            Ok(md) => md,
            Err(e) => {
                debug!(group = %self.group_id, "metadata check failed: {e}");
                self.metadata.next_at = now + self.config.retry_backoff.max(RETRY_BACKOFF_MAX);
                return;
            }
        };
        if let Some(sub) = &mut self.subscription {
            if let Some(re) = &sub.anchored {
                sub.topics = join::pattern_matches(&md, re, self.config.exclude_internal_topics);
            }
        }
        if !matches!(self.state, State::Stable) {
            return;
        }
        if self.wanted_topics() != self.member.joined_topics {
            return self.start_rejoin("the subscribed pattern matches other topics now", false);
        }
        let changed = self.member.leader.as_ref().is_some_and(|w| join::partition_counts(&md, &w.topics) != w.counts);
        if changed {
            self.start_rejoin("the partitions of the group's topics changed", false);
        }
    }

    // ------------------------------------------------------------------ events and errors

    fn emit_revoke(&mut self, partitions: Vec<TopicPartition>, lost: bool) -> oneshot::Receiver<()> {
        let (done, rx) = oneshot::channel();
        debug!(group = %self.group_id, ?partitions, lost, "revoking");
        let _ = self.events.send(GroupEvent::Revoke { partitions, lost, done });
        rx
    }

    fn emit_assign(&mut self, partitions: Vec<TopicPartition>) -> oneshot::Receiver<()> {
        let (done, rx) = oneshot::channel();
        let _ = self.events.send(GroupEvent::Assign { partitions, done });
        rx
    }

    /// Stops the membership: the consumer gets the error (from `poll`); waiting commits and
    /// fetches fail with it, and so do later ones.
    fn fatal(&mut self, error: Error) {
        warn!(group = %self.group_id, "fatal group error: {error}");
        let _ = self.events.send(GroupEvent::Error(error.clone()));
        for op in &mut self.commits {
            if !matches!(op.status, CommitStatus::Done(_)) {
                op.status = CommitStatus::Done(Err(error.clone()));
            }
        }
        self.flush_commits();
        for mut op in self.fetches.drain(..) {
            if let Some(reply) = op.reply.take() {
                let _ = reply.send(Err(error.clone()));
            }
        }
        self.heartbeat.in_flight = None;
        self.metadata.in_flight = None;
        self.state = State::Failed { error };
    }

    /// The error for a fatal coordinator answer, saying what to do.
    fn fatal_error(&self, code: ErrorCode, step: &str) -> Error {
        let g = &self.group_id;
        let context = match code {
            ErrorCode::GROUP_AUTHORIZATION_FAILED => {
                format!("{step} group {g}: not authorized; grant this principal READ on the group")
            }
            ErrorCode::INCONSISTENT_GROUP_PROTOCOL => {
                let ours: Vec<&str> = self.assignors.iter().map(|a| a.name()).collect();
                format!(
                    "{step} group {g}: the group's members are not consumers, or share no assignor with this one \
                     (it has {}); give every member of the group a common partition.assignment.strategy",
                    ours.join(", ")
                )
            }
            ErrorCode::GROUP_MAX_SIZE_REACHED => format!(
                "{step} group {g}: the group is full (group.max.size); stop a member or raise group.max.size on \
                 the brokers"
            ),
            ErrorCode::INVALID_SESSION_TIMEOUT => format!(
                "{step} group {g}: session.timeout.ms ({:?}) is outside the brokers' group.min.session.timeout.ms \
                 ..group.max.session.timeout.ms; set it within that range",
                self.config.session_timeout
            ),
            ErrorCode::FENCED_INSTANCE_ID => format!(
                "{step} group {g}: another consumer with group.instance.id {} joined the group and took over this \
                 member; give every consumer its own group.instance.id",
                self.config.group_instance_id.as_deref().unwrap_or("?")
            ),
            ErrorCode::INVALID_GROUP_ID => format!("{step} group {g}: the group id is not valid; set group.id"),
            _ => format!("{step} group {g} failed; check the broker log"),
        };
        Error::kafka(code, context)
    }
}

/// An operation that did not succeed within `default.api.timeout.ms`.
fn timed_out(what: String, after: Duration, last: Option<&Error>) -> Error {
    let what = match last {
        Some(e) => format!("{what} (last error: {e})"),
        None => what,
    };
    Error::TimedOut {
        what,
        after,
        hint: "the group coordinator could not be reached or kept failing; check the brokers, or raise \
               default.api.timeout.ms",
    }
}
