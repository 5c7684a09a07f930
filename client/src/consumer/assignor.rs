//! Partition assignors: which member of a group reads which partitions. The group leader
//! runs one; the bytes they exchange follow the consumer protocol
//! (`ConsumerProtocolSubscription`/`ConsumerProtocolAssignment`), so kafkit, Java and
//! librdkafka members of one group agree.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

use super::types::TopicPartition;
use crate::error::Result;

/// How a group moves partitions between members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RebalanceProtocol {
    /// Every member gives up all its partitions before each rebalance (range, roundrobin).
    Eager,
    /// Members keep their partitions through a rebalance; only those that move are revoked,
    /// then assigned in a second rebalance (cooperative-sticky, KIP-429).
    Cooperative,
}

/// One member's subscription, as the leader sees it in the JoinGroup response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSubscription {
    /// The member id the coordinator gave it.
    pub member_id: String,
    /// Its `group.instance.id` if it is a static member.
    pub group_instance_id: Option<String>,
    /// The topics it subscribes to.
    pub topics: Vec<String>,
    /// Its assignor's user data (e.g. the sticky assignor's previous assignment).
    pub user_data: Option<Bytes>,
    /// The partitions it owns now (consumer protocol v1+).
    pub owned_partitions: Vec<TopicPartition>,
    /// The generation its owned partitions are from (-1: unknown; consumer protocol v2+).
    pub generation_id: i32,
    /// Its `client.rack`, if any (v3+).
    pub rack_id: Option<String>,
}

/// A partition assignor, as Java's `ConsumerPartitionAssignor`.
pub trait Assignor: Send + Sync + fmt::Debug {
    /// The protocol name members vote with (`range`, `roundrobin`, `cooperative-sticky`).
    fn name(&self) -> &str;

    /// The rebalance protocols it supports. A group uses cooperative rebalancing only when
    /// every assignor in `partition.assignment.strategy` supports it, as in Java.
    fn supported_protocols(&self) -> &[RebalanceProtocol] {
        &[RebalanceProtocol::Eager]
    }

    /// The user data this member sends in its subscription, given what it owns now and the
    /// generation that gave it.
    fn subscription_user_data(&self, _topics: &[String], _owned: &[TopicPartition], _generation: i32) -> Option<Bytes> {
        None
    }

    /// Assigns the partitions of the subscribed topics (`partitions_per_topic`: topic → its
    /// number of partitions; topics missing there have no metadata and get no partitions) to
    /// the members, keyed by member id. Every member gets an entry, possibly empty.
    fn assign(
        &self,
        partitions_per_topic: &BTreeMap<String, i32>,
        members: &BTreeMap<String, MemberSubscription>,
    ) -> Result<BTreeMap<String, Vec<TopicPartition>>>;

    /// Told of the assignment this member received (with the leader's user data).
    fn on_assignment(&self, _assignment: &[TopicPartition], _user_data: Option<&Bytes>, _generation: i32) {}
}

/// The built-in assignors, by their `partition.assignment.strategy` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignorKind {
    /// `range` (Java `RangeAssignor`): per topic, consecutive ranges of partitions.
    Range,
    /// `roundrobin` (Java `RoundRobinAssignor`): all partitions dealt round-robin.
    RoundRobin,
    /// `cooperative-sticky` (Java `CooperativeStickyAssignor`): balanced, moves as few
    /// partitions as possible, cooperative rebalancing.
    CooperativeSticky,
}

impl AssignorKind {
    /// A new assignor of this kind.
    pub fn build(&self) -> Arc<dyn Assignor> {
        todo!("assignors")
    }
}
