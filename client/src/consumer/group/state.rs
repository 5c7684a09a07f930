//! The member's states, and the decisions that depend only on a state and an answer: what a
//! JoinGroup, SyncGroup or Heartbeat error means, who a commit is made as, what moves in a
//! cooperative rebalance. The task (`task.rs`) carries them out.
//!
//! ```text
//!                 Subscribe
//! Unsubscribed ─────────────► FindingCoordinator ──(coordinator known)──► Joining
//!      ▲                           ▲    ▲                                   │ JoinGroup ok
//!      │                           │    └──── retriable error / backoff ────┤
//!      │ LeaveGroup done           │                                        ▼
//!   Leaving ◄── Unsubscribe/Close  │ (eager: after Revoke done)          Syncing
//!      │                           │                                        │ SyncGroup ok
//!      │                    AwaitingRevoke ◄── cooperative: revoked ≠ ∅ ────┤
//!      │                           │ done                                   ▼
//!      │                           └──────────────(Assign)────────────► AwaitingAssign
//!      │                                                                    │ done
//!      ▼                            rejoin (heartbeat REBALANCE_IN_PROGRESS,▼
//!  PollTimedOut ◄── no poll for ─── subscription or metadata change) ◄─ Stable
//!      │           max.poll.interval
//!      └── poll ──► AwaitingRevoke (lost) ──► FindingCoordinator
//!
//! Any state ── fatal error ──► Failed;  Close (after LeaveGroup) ──► Closed
//! ```

use std::collections::BTreeSet;

use kafkit_protocol::ErrorCode;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::super::types::TopicPartition;
use super::join::{Joined, StepError, Synced};
use super::BoxFut;
use crate::error::{Error, Result};

/// The member's state. Exactly one at a time; the data a state needs lives in it.
pub(super) enum State {
    /// No subscription (a consumer that assigns partitions by hand, or after `unsubscribe`):
    /// only commits (as a non-member) and offset fetches are served.
    Unsubscribed,
    /// About to join: waiting for the coordinator to be known (and, after a retriable error,
    /// for `not_before`).
    FindingCoordinator { not_before: Instant, reason: String },
    /// A JoinGroup is in flight (to the coordinator of `epoch`).
    Joining { request: BoxFut<std::result::Result<Joined, StepError>>, epoch: u64 },
    /// A Revoke event was sent; waiting for the consumer's `done` (meanwhile its commits are
    /// served), then `next`.
    AwaitingRevoke { done: oneshot::Receiver<()>, next: AfterRevoke },
    /// A SyncGroup is in flight (the leader's assignment is computed first, inside it).
    Syncing { request: BoxFut<std::result::Result<Synced, StepError>>, epoch: u64 },
    /// An Assign event was sent; waiting for `done`. `rejoin`: join again afterwards (a
    /// cooperative rebalance that revoked partitions, or the group started another rebalance).
    AwaitingAssign { done: oneshot::Receiver<()>, rejoin: bool },
    /// In the group with an assignment; heartbeating.
    Stable,
    /// Left the group because the application stopped polling for `max.poll.interval`; joins
    /// again at the next poll. `lost`: the Revoke (lost) event the consumer has not answered.
    PollTimedOut { since: Instant, lost: Option<oneshot::Receiver<()>> },
    /// A LeaveGroup is in flight; then `then`.
    Leaving { request: BoxFut<()>, then: AfterLeave },
    /// A fatal error stopped the membership; commands are answered with it until Close.
    Failed { error: Error },
    /// Closed: the task ends.
    Closed,
}

/// What follows a Revoke once the consumer has handled it.
pub(super) enum AfterRevoke {
    /// Join (again), telling the coordinator why.
    Join { reason: String },
    /// Assign these partitions (the ones added by a cooperative rebalance), then rejoin if
    /// `rejoin`.
    Assign { added: Vec<TopicPartition>, rejoin: bool },
    /// Leave the group, then `then`.
    Leave { then: AfterLeave },
}

/// What follows a LeaveGroup.
pub(super) enum AfterLeave {
    /// Back to [`State::Unsubscribed`] (after `unsubscribe`).
    Unsubscribed,
    /// [`State::PollTimedOut`] (timed out at `since`).
    PollTimedOut { lost: Option<oneshot::Receiver<()>>, since: Instant },
    /// Answer the Close and end.
    Close { reply: oneshot::Sender<Result<()>> },
}

/// The name of a state, without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StateKind {
    Unsubscribed,
    FindingCoordinator,
    Joining,
    AwaitingRevoke,
    Syncing,
    AwaitingAssign,
    Stable,
    PollTimedOut,
    Leaving,
    Failed,
    Closed,
}

impl State {
    pub(super) fn kind(&self) -> StateKind {
        match self {
            State::Unsubscribed => StateKind::Unsubscribed,
            State::FindingCoordinator { .. } => StateKind::FindingCoordinator,
            State::Joining { .. } => StateKind::Joining,
            State::AwaitingRevoke { .. } => StateKind::AwaitingRevoke,
            State::Syncing { .. } => StateKind::Syncing,
            State::AwaitingAssign { .. } => StateKind::AwaitingAssign,
            State::Stable => StateKind::Stable,
            State::PollTimedOut { .. } => StateKind::PollTimedOut,
            State::Leaving { .. } => StateKind::Leaving,
            State::Failed { .. } => StateKind::Failed,
            State::Closed => StateKind::Closed,
        }
    }
}

impl StateKind {
    /// Whether the member holds a generation it must keep alive with heartbeats (given that
    /// it has one): after SyncGroup, and while revoking before a rejoin. Not while joining
    /// or syncing — the coordinator keeps a member that waits in a rebalance alive, as Java
    /// disables its heartbeat thread then.
    pub(super) fn heartbeats(self) -> bool {
        matches!(self, StateKind::AwaitingRevoke | StateKind::AwaitingAssign | StateKind::Stable)
    }

    /// Whether the application must keep polling (`max.poll.interval`) in this state: from
    /// the SyncGroup on, as Java's heartbeat thread checks it.
    pub(super) fn watches_polls(self) -> bool {
        matches!(self, StateKind::Syncing | StateKind::AwaitingRevoke | StateKind::AwaitingAssign | StateKind::Stable)
    }
}

/// What to do after a JoinGroup or SyncGroup answered with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Recovery {
    /// Join again at once.
    RejoinNow,
    /// Join again after `retry.backoff`.
    RejoinAfterBackoff,
    /// Forget the member id and generation (the partitions are lost), then join.
    ResetMember,
    /// Forget the generation (the partitions are lost), then join.
    ResetGeneration,
    /// Find the coordinator again, then join.
    FindCoordinator,
    /// Stop: the error is the application's to fix.
    Fatal,
}

/// Java's `JoinGroupResponseHandler`.
pub(super) fn join_recovery(code: ErrorCode) -> Recovery {
    use ErrorCode as E;
    match code {
        E::MEMBER_ID_REQUIRED | E::REBALANCE_IN_PROGRESS => Recovery::RejoinNow,
        E::UNKNOWN_MEMBER_ID => Recovery::ResetMember,
        E::ILLEGAL_GENERATION => Recovery::ResetGeneration,
        E::COORDINATOR_NOT_AVAILABLE | E::NOT_COORDINATOR => Recovery::FindCoordinator,
        E::COORDINATOR_LOAD_IN_PROGRESS => Recovery::RejoinAfterBackoff,
        E::FENCED_INSTANCE_ID
        | E::GROUP_AUTHORIZATION_FAILED
        | E::INCONSISTENT_GROUP_PROTOCOL
        | E::INVALID_SESSION_TIMEOUT
        | E::GROUP_MAX_SIZE_REACHED
        | E::INVALID_GROUP_ID
        | E::UNSUPPORTED_VERSION => Recovery::Fatal,
        c if c.is_retriable() => Recovery::RejoinAfterBackoff,
        _ => Recovery::Fatal,
    }
}

/// Java's `SyncGroupResponseHandler`.
pub(super) fn sync_recovery(code: ErrorCode) -> Recovery {
    use ErrorCode as E;
    match code {
        E::REBALANCE_IN_PROGRESS => Recovery::RejoinNow,
        E::UNKNOWN_MEMBER_ID => Recovery::ResetMember,
        E::ILLEGAL_GENERATION => Recovery::ResetGeneration,
        E::COORDINATOR_NOT_AVAILABLE | E::NOT_COORDINATOR => Recovery::FindCoordinator,
        E::FENCED_INSTANCE_ID | E::GROUP_AUTHORIZATION_FAILED | E::INCONSISTENT_GROUP_PROTOCOL => Recovery::Fatal,
        c if c.is_retriable() => Recovery::RejoinAfterBackoff,
        _ => Recovery::Fatal,
    }
}

/// What a Heartbeat answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HeartbeatReaction {
    /// The session is kept.
    Alive,
    /// The session is kept, and the group is rebalancing: rejoin (or rejoin once the current
    /// events are handled).
    Rejoin,
    /// The generation (and the member id if `reset_member`) is gone: the partitions are lost.
    Lost { reset_member: bool },
    /// The coordinator moved: find it again.
    FindCoordinator,
    /// Try again after `retry.backoff`.
    RetrySoon,
    /// Stop.
    Fatal,
}

/// Java's `HeartbeatResponseHandler`: REBALANCE_IN_PROGRESS is acted on only in states where
/// the member holds an assignment; while it is already rejoining it is just a kept session.
pub(super) fn heartbeat_reaction(code: ErrorCode, state: StateKind) -> HeartbeatReaction {
    use ErrorCode as E;
    match code {
        E::NONE => HeartbeatReaction::Alive,
        E::REBALANCE_IN_PROGRESS => match state {
            StateKind::Stable | StateKind::AwaitingAssign | StateKind::AwaitingRevoke => HeartbeatReaction::Rejoin,
            _ => HeartbeatReaction::Alive,
        },
        E::UNKNOWN_MEMBER_ID => HeartbeatReaction::Lost { reset_member: true },
        E::ILLEGAL_GENERATION => HeartbeatReaction::Lost { reset_member: false },
        E::COORDINATOR_NOT_AVAILABLE | E::NOT_COORDINATOR => HeartbeatReaction::FindCoordinator,
        E::FENCED_INSTANCE_ID | E::GROUP_AUTHORIZATION_FAILED => HeartbeatReaction::Fatal,
        c if c.is_retriable() => HeartbeatReaction::RetrySoon,
        _ => HeartbeatReaction::Fatal,
    }
}

/// How a commit is made in a state (Java's `sendOffsetCommitRequest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CommitAs {
    /// With the member id and generation.
    Member,
    /// As a non-member (generation -1, no member id).
    Simple,
    /// Refused: the member is rejoining; commit after the rebalance.
    RebalanceInProgress,
    /// Refused: the member is not in the group (it left, or its generation is gone).
    NotInGroup,
}

/// Who a commit is made as, given the state, whether the consumer subscribes, and whether the
/// member holds a generation.
pub(super) fn commit_as(state: StateKind, subscribed: bool, has_generation: bool) -> CommitAs {
    if !subscribed {
        return CommitAs::Simple;
    }
    match state {
        StateKind::Stable | StateKind::AwaitingAssign | StateKind::AwaitingRevoke if has_generation => CommitAs::Member,
        StateKind::FindingCoordinator | StateKind::Joining | StateKind::Syncing => CommitAs::RebalanceInProgress,
        StateKind::Unsubscribed => CommitAs::Simple,
        _ => CommitAs::NotInGroup,
    }
}

/// A cooperative rebalance's changes: the owned partitions not assigned any more (revoked),
/// and the assigned ones not owned before (added).
pub(super) fn cooperative_diff(
    owned: &BTreeSet<TopicPartition>,
    assigned: &BTreeSet<TopicPartition>,
) -> (Vec<TopicPartition>, Vec<TopicPartition>) {
    (owned.difference(assigned).cloned().collect(), assigned.difference(owned).cloned().collect())
}

/// The partitions a cooperative member gives up before rejoining: those of topics it no
/// longer subscribes to (Java's `onJoinPrepare`, cooperative case).
pub(super) fn unsubscribed_partitions(
    owned: &BTreeSet<TopicPartition>,
    topics: &BTreeSet<String>,
) -> Vec<TopicPartition> {
    owned.iter().filter(|tp| !topics.contains(&*tp.topic)).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ErrorCode as E;

    #[test]
    fn join_and_sync_errors() {
        assert_eq!(join_recovery(E::MEMBER_ID_REQUIRED), Recovery::RejoinNow);
        assert_eq!(join_recovery(E::UNKNOWN_MEMBER_ID), Recovery::ResetMember);
        assert_eq!(join_recovery(E::NOT_COORDINATOR), Recovery::FindCoordinator);
        assert_eq!(join_recovery(E::COORDINATOR_LOAD_IN_PROGRESS), Recovery::RejoinAfterBackoff);
        for fatal in [
            E::GROUP_AUTHORIZATION_FAILED,
            E::INCONSISTENT_GROUP_PROTOCOL,
            E::GROUP_MAX_SIZE_REACHED,
            E::INVALID_SESSION_TIMEOUT,
            E::FENCED_INSTANCE_ID,
            E::UNKNOWN_SERVER_ERROR,
        ] {
            assert_eq!(join_recovery(fatal), Recovery::Fatal, "{fatal}");
        }
        assert_eq!(sync_recovery(E::REBALANCE_IN_PROGRESS), Recovery::RejoinNow);
        assert_eq!(sync_recovery(E::ILLEGAL_GENERATION), Recovery::ResetGeneration);
        assert_eq!(sync_recovery(E::COORDINATOR_NOT_AVAILABLE), Recovery::FindCoordinator);
        assert_eq!(sync_recovery(E::INCONSISTENT_GROUP_PROTOCOL), Recovery::Fatal);
        assert_eq!(sync_recovery(E::REQUEST_TIMED_OUT), Recovery::RejoinAfterBackoff);
    }

    #[test]
    fn heartbeat_errors_depend_on_the_state() {
        use StateKind as S;
        assert_eq!(heartbeat_reaction(E::REBALANCE_IN_PROGRESS, S::Stable), HeartbeatReaction::Rejoin);
        assert_eq!(heartbeat_reaction(E::REBALANCE_IN_PROGRESS, S::AwaitingAssign), HeartbeatReaction::Rejoin);
        assert_eq!(heartbeat_reaction(E::REBALANCE_IN_PROGRESS, S::Syncing), HeartbeatReaction::Alive);
        assert_eq!(heartbeat_reaction(E::UNKNOWN_MEMBER_ID, S::Stable), HeartbeatReaction::Lost { reset_member: true });
        assert_eq!(
            heartbeat_reaction(E::ILLEGAL_GENERATION, S::Stable),
            HeartbeatReaction::Lost { reset_member: false }
        );
        assert_eq!(heartbeat_reaction(E::NOT_COORDINATOR, S::Stable), HeartbeatReaction::FindCoordinator);
        assert_eq!(heartbeat_reaction(E::COORDINATOR_LOAD_IN_PROGRESS, S::Stable), HeartbeatReaction::RetrySoon);
        assert_eq!(heartbeat_reaction(E::FENCED_INSTANCE_ID, S::Stable), HeartbeatReaction::Fatal);
        assert_eq!(heartbeat_reaction(E::GROUP_AUTHORIZATION_FAILED, S::Stable), HeartbeatReaction::Fatal);
    }

    #[test]
    fn who_commits() {
        use StateKind as S;
        assert_eq!(commit_as(S::Unsubscribed, false, false), CommitAs::Simple);
        assert_eq!(commit_as(S::Leaving, false, true), CommitAs::Simple, "unsubscribing: no longer a member");
        assert_eq!(commit_as(S::Stable, true, true), CommitAs::Member);
        assert_eq!(commit_as(S::AwaitingRevoke, true, true), CommitAs::Member, "commits before a rebalance");
        assert_eq!(commit_as(S::AwaitingAssign, true, true), CommitAs::Member);
        assert_eq!(commit_as(S::Stable, true, false), CommitAs::NotInGroup);
        assert_eq!(commit_as(S::Joining, true, true), CommitAs::RebalanceInProgress);
        assert_eq!(commit_as(S::Syncing, true, true), CommitAs::RebalanceInProgress);
        assert_eq!(commit_as(S::FindingCoordinator, true, false), CommitAs::RebalanceInProgress);
        assert_eq!(commit_as(S::PollTimedOut, true, false), CommitAs::NotInGroup);
    }

    #[test]
    fn cooperative_moves() {
        let set = |v: &[i32]| v.iter().map(|p| TopicPartition::new("t", *p)).collect::<BTreeSet<_>>();
        let (revoked, added) = cooperative_diff(&set(&[0, 1, 2, 3]), &set(&[0, 1, 4]));
        assert_eq!(revoked, [TopicPartition::new("t", 2), TopicPartition::new("t", 3)]);
        assert_eq!(added, [TopicPartition::new("t", 4)]);
        let (revoked, added) = cooperative_diff(&set(&[0]), &set(&[0]));
        assert!(revoked.is_empty() && added.is_empty());
        let mut owned = set(&[0]);
        owned.insert(TopicPartition::new("gone", 1));
        let topics: BTreeSet<String> = ["t".to_string()].into();
        assert_eq!(unsubscribed_partitions(&owned, &topics), [TopicPartition::new("gone", 1)]);
    }

    #[test]
    fn state_kinds() {
        assert!(StateKind::Stable.heartbeats() && !StateKind::Joining.heartbeats() && !StateKind::Syncing.heartbeats());
        assert!(StateKind::Syncing.watches_polls() && !StateKind::Joining.watches_polls());
        assert!(!StateKind::PollTimedOut.watches_polls());
        assert_eq!(State::Stable.kind(), StateKind::Stable);
        assert_eq!(State::Unsubscribed.kind(), StateKind::Unsubscribed);
    }
}
