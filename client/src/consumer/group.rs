//! The group coordinator task: the one owner of this member's group state (coordinator,
//! member id, generation, assignment), as a state machine with named states, fed by
//! commands from the [`Consumer`](super::Consumer) and sending it events.
//!
//! - `state.rs`: the states (`State`: Unsubscribed, FindingCoordinator, Joining,
//!   AwaitingRevoke, Syncing, AwaitingAssign, Stable, PollTimedOut, Leaving, Failed, Closed)
//!   and the decisions that depend only on a state and an answer;
//! - `task.rs`: the task's loop (coordinator, heartbeats, commits, metadata watch);
//! - `join.rs`: JoinGroup/SyncGroup, the consumer-protocol payloads, the leader's assignment;
//! - `commit.rs`: OffsetCommit/OffsetFetch and what their answers mean;
//! - `coordinator.rs`: FindCoordinator and the coordinator's own connection.
//!
//! The Java `ConsumerCoordinator`/`AbstractCoordinator` are the reference for every decision.

pub(crate) mod commit;
pub(crate) mod coordinator;
mod join;
mod state;
mod task;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use regex::Regex;
use tokio::sync::{mpsc, oneshot, Notify};

use super::assignor::Assignor;
use super::config::ConsumerConfig;
use super::types::{OffsetAndMetadata, TopicPartition};
use crate::client::Client;
use crate::error::{Error, Result};

/// A boxed future the group task owns (a request in flight).
type BoxFut<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// What the member subscribes to.
#[derive(Debug, Clone)]
pub(crate) enum Subscription {
    /// These topics.
    Topics(Vec<String>),
    /// Every topic whose whole name matches (topics created later too, found on metadata
    /// refreshes).
    Pattern(Regex),
}

/// A request from the consumer to the group task.
#[derive(Debug)]
pub(crate) enum GroupCommand {
    /// Join (or rejoin with) this subscription.
    Subscribe(Subscription),
    /// Give up the subscription: revoke everything and leave the group.
    Unsubscribe,
    /// Commit these offsets with the current generation (retrying retriable errors).
    Commit { offsets: HashMap<TopicPartition, OffsetAndMetadata>, reply: oneshot::Sender<Result<()>> },
    /// The committed offsets of these partitions (`None`: nothing committed).
    FetchCommitted {
        partitions: Vec<TopicPartition>,
        reply: oneshot::Sender<Result<HashMap<TopicPartition, Option<OffsetAndMetadata>>>>,
    },
    /// Leave the group (a static member does not send LeaveGroup, as in Java) and stop.
    Close { reply: oneshot::Sender<Result<()>> },
}

/// What the group task tells the consumer. The consumer handles events inside `poll` (that
/// is where the rebalance listener runs, as in Java) and answers `done` when it has.
#[derive(Debug)]
pub(crate) enum GroupEvent {
    /// Stop reading these partitions. Unless `lost`, the consumer may commit them first
    /// (auto-commit, or the listener's commits) — the group task serves `Commit` commands
    /// while it waits for `done`. `lost`: the member was thrown out of the group (session
    /// timeout, UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION); they may already be someone else's
    /// and must not be committed.
    Revoke { partitions: Vec<TopicPartition>, lost: bool, done: oneshot::Sender<()> },
    /// Start reading these partitions (eager: the whole new assignment; cooperative: the
    /// partitions added). Their starting offsets are the committed ones (FetchCommitted),
    /// else `auto.offset.reset`.
    Assign { partitions: Vec<TopicPartition>, done: oneshot::Sender<()> },
    /// A fatal error (FENCED_INSTANCE_ID, GROUP_AUTHORIZATION_FAILED, an unknown assignor,
    /// ...): `poll` returns it.
    Error(Error),
}

/// When the application last called `poll`: the group task leaves the group once it has
/// not for `max.poll.interval`, and rejoins when it polls again.
#[derive(Debug, Default)]
pub(crate) struct PollClock {
    /// Milliseconds since `start` of the last poll.
    last_ms: AtomicU64,
    start: std::sync::OnceLock<tokio::time::Instant>,
    /// Woken at each poll.
    pub(crate) polled: Notify,
}

impl PollClock {
    fn start(&self) -> tokio::time::Instant {
        *self.start.get_or_init(tokio::time::Instant::now)
    }

    /// Records a poll now.
    pub(crate) fn poll(&self) {
        let ms = self.start().elapsed().as_millis() as u64;
        self.last_ms.store(ms, Ordering::Relaxed);
        self.polled.notify_waiters();
    }

    /// How long ago the last poll was.
    pub(crate) fn since_last_poll(&self) -> Duration {
        let now = self.start().elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last_ms.load(Ordering::Relaxed)))
    }
}

/// The consumer's end of the group task.
#[derive(Debug)]
pub(crate) struct GroupHandle {
    pub(crate) commands: mpsc::UnboundedSender<GroupCommand>,
    pub(crate) events: mpsc::UnboundedReceiver<GroupEvent>,
    pub(crate) clock: Arc<PollClock>,
}

/// Starts the group task of a consumer (`config.group_id` is set; without it every command
/// fails with a configuration error). The task runs until [`GroupCommand::Close`] or until the
/// command sender is dropped (then it leaves the group, best effort).
pub(crate) fn spawn(client: Client, config: Arc<ConsumerConfig>, assignors: Vec<Arc<dyn Assignor>>) -> GroupHandle {
    let (commands, commands_rx) = mpsc::unbounded_channel();
    let (events_tx, events) = mpsc::unbounded_channel();
    let clock = Arc::new(PollClock::default());
    let task = task::GroupTask::new(client, config, assignors, commands_rx, events_tx, clock.clone());
    tokio::spawn(task.run());
    GroupHandle { commands, events, clock }
}
