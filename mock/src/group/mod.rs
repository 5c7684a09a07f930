//! The group coordinator: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
//! OffsetCommit, OffsetFetch, DescribeGroups, ListGroups, DeleteGroups, TxnOffsetCommit — Kafka's
//! classic group protocol.
//!
//! - `coordinator`: the shared core (one lock over every group), which broker coordinates which
//!   key, and the timer tasks (sessions, rebalances, SyncGroup deadlines).
//! - `state`: one group's state machine (Empty → PreparingRebalance → CompletingRebalance →
//!   Stable; a deleted group is gone, which Describe reports as Dead).
//! - `handlers`: the group-membership APIs and the group admin APIs.
//! - `offsets`: OffsetCommit, OffsetFetch, TxnOffsetCommit.
//!
//! Injected faults (`cluster.faults`) win over the normal answer: a fault armed without a
//! partition fails the whole request; for OffsetCommit, OffsetFetch and TxnOffsetCommit a fault
//! armed for a partition fails that partition.

mod coordinator;
mod handlers;
mod offsets;
mod state;

use std::sync::Arc;

use bytes::Bytes;

use crate::cluster::{Cluster, Config};
use coordinator::{Core, GroupConfig};

pub(crate) use handlers::{
    delete_groups, describe_groups, find_coordinator, heartbeat, join_group, leave_group, list_groups, sync_group,
};
pub(crate) use offsets::{offset_commit, offset_fetch, txn_offset_commit};

/// The state of a consumer group, as Kafka's classic group coordinator names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupState {
    /// No members (offsets may be stored).
    Empty,
    /// Waiting for members to (re)join.
    PreparingRebalance,
    /// Joined; waiting for the leader's assignment.
    CompletingRebalance,
    /// Assigned and heartbeating.
    Stable,
    /// Deleted.
    Dead,
}

impl GroupState {
    /// The name Kafka gives the state in DescribeGroups and ListGroups (`"Stable"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }
}

/// A member of a group.
#[derive(Debug, Clone)]
pub struct MemberInfo {
    /// The id the coordinator gave it.
    pub member_id: String,
    /// Its static id, if it uses static membership.
    pub group_instance_id: Option<String>,
    /// The client id of its requests.
    pub client_id: String,
    /// Its metadata (for consumers: the subscription) for the chosen protocol.
    pub metadata: Bytes,
    /// What the leader assigned to it.
    pub assignment: Bytes,
}

/// A snapshot of a group, for tests.
#[derive(Debug, Clone)]
pub struct GroupInfo {
    /// The group id.
    pub group_id: String,
    /// Its state.
    pub state: GroupState,
    /// Its generation.
    pub generation_id: i32,
    /// The protocol type (`"consumer"` for consumer groups).
    pub protocol_type: Option<String>,
    /// The chosen protocol (assignor name).
    pub protocol: Option<String>,
    /// The leader's member id.
    pub leader: Option<String>,
    /// The members.
    pub members: Vec<MemberInfo>,
}

/// Every group and its committed offsets.
pub(crate) struct Groups {
    core: Arc<Core>,
}

impl Groups {
    /// An empty coordinator with the group settings of `config`.
    pub fn new(config: &Config) -> Self {
        Groups {
            core: Core::new(GroupConfig {
                min_session_timeout: config.group_min_session_timeout,
                max_session_timeout: config.group_max_session_timeout,
                initial_rebalance_delay: config.group_initial_rebalance_delay,
            }),
        }
    }

    /// A consistent snapshot of a group.
    pub fn info(&self, group_id: &str) -> Option<GroupInfo> {
        self.core.lock().groups.get(group_id).map(|g| g.info())
    }

    /// A group's committed offset for a partition.
    pub fn committed(&self, group_id: &str, topic: &str, partition: i32) -> Option<i64> {
        let inner = self.core.lock();
        inner.groups.get(group_id)?.offsets.get(topic)?.get(&partition).map(|c| c.offset)
    }

    /// The broker coordinating a transactional id (the one FindCoordinator with key type 1
    /// names), for the transaction APIs to answer NOT_COORDINATOR elsewhere; None if no broker
    /// is up.
    #[allow(dead_code)] // for the transaction coordinator (handlers/txn.rs)
    pub fn txn_coordinator(&self, cluster: &Cluster, transactional_id: &str) -> Option<i32> {
        let brokers = coordinator::Brokers::read(cluster);
        self.core.lock().coordinator(&brokers, coordinator::KEY_TRANSACTION, transactional_id)
    }

    /// A broker went down: the keys it coordinated move to another broker (on their next
    /// lookup). Its groups keep their state, as Kafka's would when another broker loads them from
    /// the offsets topic; requests parked on it are answered NOT_COORDINATOR and sessions restart.
    pub fn broker_stopped(&self, broker: i32) {
        let mut inner = self.core.lock();
        for id in inner.forget_broker(broker) {
            if let Some(g) = inner.groups.get_mut(&id) {
                g.coordinator_moved(&self.core.cx);
            }
        }
    }
}
