//! Partition assignors: which member of a group reads which partitions. The group leader
//! runs one; the bytes they exchange follow the consumer protocol
//! (`ConsumerProtocolSubscription`/`ConsumerProtocolAssignment`), so kafkit, Java and
//! librdkafka members of one group agree.
//!
//! The built-in assignors compute what Java's do (`RangeAssignor`, `RoundRobinAssignor`,
//! `CooperativeStickyAssignor`, `StickyAssignor`), so that a kafkit leader and a Java or
//! librdkafka leader hand out the same partitions to the same members. Rack-aware assignment
//! (KIP-881, used by Java when members send `client.rack` and brokers have racks) is not
//! implemented: racks are ignored, which Java also does when no member has a rack.
//!
//! Inside: `assignor/range.rs`, `assignor/roundrobin.rs`, `assignor/sticky.rs` (both sticky
//! assignors, their user data, and the cooperative adjustment).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use bytes::Bytes;

use super::types::TopicPartition;
use crate::error::Result;

mod range;
mod roundrobin;
mod sticky;

pub use range::RangeAssignor;
pub use roundrobin::RoundRobinAssignor;
pub use sticky::{CooperativeStickyAssignor, StickyAssignor};

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
    /// `sticky` (Java's eager `StickyAssignor`, kafka-python's `StickyPartitionAssignor`): the
    /// same assignment as cooperative-sticky, with eager rebalancing and the previous
    /// assignment carried in the subscription's user data.
    Sticky,
}

impl AssignorKind {
    /// Every built-in kind.
    pub const ALL: [AssignorKind; 4] =
        [AssignorKind::Range, AssignorKind::RoundRobin, AssignorKind::CooperativeSticky, AssignorKind::Sticky];

    /// A new assignor of this kind.
    pub fn build(&self) -> Arc<dyn Assignor> {
        match self {
            AssignorKind::Range => Arc::new(RangeAssignor),
            AssignorKind::RoundRobin => Arc::new(RoundRobinAssignor),
            AssignorKind::CooperativeSticky => Arc::new(CooperativeStickyAssignor::default()),
            AssignorKind::Sticky => Arc::new(StickyAssignor::default()),
        }
    }

    /// The protocol name members vote with in JoinGroup: `range`, `roundrobin`,
    /// `cooperative-sticky` or `sticky` (the same in Java and librdkafka).
    pub fn name(&self) -> &'static str {
        match self {
            AssignorKind::Range => "range",
            AssignorKind::RoundRobin => "roundrobin",
            AssignorKind::CooperativeSticky => "cooperative-sticky",
            AssignorKind::Sticky => "sticky",
        }
    }

    /// The Java class of the same assignor, as Java's `partition.assignment.strategy` names it.
    pub fn class_name(&self) -> &'static str {
        match self {
            AssignorKind::Range => "org.apache.kafka.clients.consumer.RangeAssignor",
            AssignorKind::RoundRobin => "org.apache.kafka.clients.consumer.RoundRobinAssignor",
            AssignorKind::CooperativeSticky => "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
            AssignorKind::Sticky => "org.apache.kafka.clients.consumer.StickyAssignor",
        }
    }

    /// The rebalance protocols this kind supports (Java's `supportedProtocols`):
    /// cooperative-sticky supports both, the others eager only.
    pub fn supported_protocols(&self) -> &'static [RebalanceProtocol] {
        match self {
            AssignorKind::CooperativeSticky => &[RebalanceProtocol::Cooperative, RebalanceProtocol::Eager],
            _ => &[RebalanceProtocol::Eager],
        }
    }
}

impl fmt::Display for AssignorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `partition.assignment.strategy` entry that names no built-in assignor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown partition assignor `{0}`: expected range, roundrobin, cooperative-sticky or sticky (librdkafka \
     names), or Java's RangeAssignor, RoundRobinAssignor, CooperativeStickyAssignor or StickyAssignor \
     (optionally with their package org.apache.kafka.clients.consumer)"
)]
pub struct ParseAssignorError(pub String);

impl FromStr for AssignorKind {
    type Err = ParseAssignorError;

    /// Parses a protocol name as librdkafka's `partition.assignment.strategy` takes it
    /// (`range`, `roundrobin`, `cooperative-sticky`, `sticky`), a Java class name with or
    /// without its package (`org.apache.kafka.clients.consumer.RangeAssignor`,
    /// `CooperativeStickyAssignor`), or a kafka-python class name (`RangePartitionAssignor`,
    /// `RoundRobinPartitionAssignor`, `StickyPartitionAssignor`). ASCII case and surrounding
    /// blanks are ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        let simple = match trimmed.rsplit_once('.') {
            Some((package, class))
                if package.eq_ignore_ascii_case("org.apache.kafka.clients.consumer")
                    || package.eq_ignore_ascii_case("kafka.coordinator.assignors.range")
                    || package.eq_ignore_ascii_case("kafka.coordinator.assignors.roundrobin")
                    || package.eq_ignore_ascii_case("kafka.coordinator.assignors.sticky.sticky_assignor") =>
            {
                class
            }
            _ => trimmed,
        };
        let kinds = [
            ("range", AssignorKind::Range),
            ("RangeAssignor", AssignorKind::Range),
            ("RangePartitionAssignor", AssignorKind::Range),
            ("roundrobin", AssignorKind::RoundRobin),
            ("RoundRobinAssignor", AssignorKind::RoundRobin),
            ("RoundRobinPartitionAssignor", AssignorKind::RoundRobin),
            ("cooperative-sticky", AssignorKind::CooperativeSticky),
            ("CooperativeStickyAssignor", AssignorKind::CooperativeSticky),
            ("sticky", AssignorKind::Sticky),
            ("StickyAssignor", AssignorKind::Sticky),
            ("StickyPartitionAssignor", AssignorKind::Sticky),
        ];
        kinds
            .into_iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(simple))
            .map(|(_, kind)| kind)
            .ok_or_else(|| ParseAssignorError(s.to_string()))
    }
}

/// A partition inside the assignors: (topic index in [`Group::topics`], partition). Topic
/// indexes follow topic-name order, so the tuple order is Java's `(topic, partition)` order.
pub(crate) type Tp = (usize, i32);

/// The input of an assignment, indexed: topics with metadata that someone subscribes to (in
/// name order), members in member-id order, and each member's subscribed topics.
pub(crate) struct Group<'a> {
    /// The topics to assign, in name order, each with its partition count (at least 1).
    pub topics: Vec<(Arc<str>, i32)>,
    /// The members in member-id order: (member id, subscription).
    pub members: Vec<(&'a str, &'a MemberSubscription)>,
    /// Per member, the indexes of the topics it subscribes to (sorted, no duplicates), among
    /// [`topics`](Self::topics): topics without metadata are left out.
    pub subscriptions: Vec<Vec<usize>>,
}

impl<'a> Group<'a> {
    /// Indexes the input, as Java's `AbstractPartitionAssignor.assign` prepares it: only
    /// topics that some member subscribes to and that have partitions.
    pub fn new(
        partitions_per_topic: &BTreeMap<String, i32>,
        members: &'a BTreeMap<String, MemberSubscription>,
    ) -> Self {
        let subscribed: BTreeSet<&str> = members.values().flat_map(|m| m.topics.iter().map(String::as_str)).collect();
        let topics: Vec<(Arc<str>, i32)> = partitions_per_topic
            .iter()
            .filter(|(topic, count)| **count > 0 && subscribed.contains(topic.as_str()))
            .map(|(topic, count)| (Arc::from(topic.as_str()), *count))
            .collect();
        let mut group = Group { topics, members: Vec::with_capacity(members.len()), subscriptions: Vec::new() };
        for (id, member) in members {
            let mut subscribed: Vec<usize> = member.topics.iter().filter_map(|t| group.topic_index(t)).collect();
            subscribed.sort_unstable();
            subscribed.dedup();
            group.members.push((id.as_str(), member));
            group.subscriptions.push(subscribed);
        }
        group
    }

    /// The index of `topic` among [`topics`](Self::topics).
    pub fn topic_index(&self, topic: &str) -> Option<usize> {
        self.topics.binary_search_by(|(name, _)| name.as_ref().cmp(topic)).ok()
    }

    /// `topic`'s partition count.
    pub fn partition_count(&self, topic: usize) -> i32 {
        self.topics[topic].1
    }

    /// Whether `member` subscribes to `topic`.
    pub fn subscribes(&self, member: usize, topic: usize) -> bool {
        self.subscriptions[member].binary_search(&topic).is_ok()
    }

    /// `tp` as an internal partition, if its topic is to be assigned and the partition exists.
    pub fn index_partition(&self, tp: &TopicPartition) -> Option<Tp> {
        let topic = self.topic_index(&tp.topic)?;
        (0..self.partition_count(topic)).contains(&tp.partition).then_some((topic, tp.partition))
    }

    /// Every partition to assign, in (topic, partition) order.
    pub fn all_partitions(&self) -> impl Iterator<Item = Tp> + '_ {
        self.topics.iter().enumerate().flat_map(|(t, (_, count))| (0..*count).map(move |p| (t, p)))
    }

    /// The members in Java's `MemberInfo` order: static members first, by
    /// `group.instance.id`, then dynamic ones by member id.
    pub fn java_member_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.members.len()).collect();
        order.sort_by(|&a, &b| {
            let (id_a, a) = self.members[a];
            let (id_b, b) = self.members[b];
            match (&a.group_instance_id, &b.group_instance_id) {
                (Some(x), Some(y)) => x.cmp(y).then(id_a.cmp(id_b)),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => id_a.cmp(id_b),
            }
        });
        order
    }

    /// The result: each member's partitions, sorted by (topic, partition), keyed by member id.
    pub fn assignment_map(&self, assignment: Vec<Vec<Tp>>) -> BTreeMap<String, Vec<TopicPartition>> {
        self.members
            .iter()
            .zip(assignment)
            .map(|((id, _), mut partitions)| {
                partitions.sort_unstable();
                let partitions = partitions
                    .into_iter()
                    .map(|(t, p)| TopicPartition { topic: Arc::clone(&self.topics[t].0), partition: p })
                    .collect();
                (id.to_string(), partitions)
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers shared by the assignors' tests.

    use super::*;

    /// A subscription to `topics` owning nothing, generation unknown.
    pub fn member(id: &str, topics: &[&str]) -> MemberSubscription {
        MemberSubscription {
            member_id: id.to_string(),
            group_instance_id: None,
            topics: topics.iter().map(|t| t.to_string()).collect(),
            user_data: None,
            owned_partitions: Vec::new(),
            generation_id: -1,
            rack_id: None,
        }
    }

    /// A static member.
    pub fn static_member(id: &str, instance: &str, topics: &[&str]) -> MemberSubscription {
        MemberSubscription { group_instance_id: Some(instance.to_string()), ..member(id, topics) }
    }

    /// Topic-partitions from pairs.
    pub fn tps(pairs: &[(&str, i32)]) -> Vec<TopicPartition> {
        pairs.iter().map(|(t, p)| TopicPartition::new(*t, *p)).collect()
    }

    /// Topic-partitions from pairs, sorted (the order assignors return).
    pub fn sorted(pairs: &[(&str, i32)]) -> Vec<TopicPartition> {
        let mut v = tps(pairs);
        v.sort();
        v
    }

    /// What `assignor` assigns `members` given partition counts from pairs; panics on an error.
    pub fn run(
        assignor: &dyn Assignor,
        counts_: &[(&str, i32)],
        members: impl IntoIterator<Item = MemberSubscription>,
    ) -> BTreeMap<String, Vec<TopicPartition>> {
        assignor.assign(&counts(counts_), &group(members)).unwrap()
    }

    /// Partition counts from pairs.
    pub fn counts(pairs: &[(&str, i32)]) -> BTreeMap<String, i32> {
        pairs.iter().map(|(t, n)| (t.to_string(), *n)).collect()
    }

    /// Members keyed by their ids.
    pub fn group(members: impl IntoIterator<Item = MemberSubscription>) -> BTreeMap<String, MemberSubscription> {
        members.into_iter().map(|m| (m.member_id.clone(), m)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn names_parse_from_librdkafka_java_and_kafka_python_spellings() {
        let cases = [
            ("range", AssignorKind::Range),
            ("org.apache.kafka.clients.consumer.RangeAssignor", AssignorKind::Range),
            ("RangeAssignor", AssignorKind::Range),
            ("RangePartitionAssignor", AssignorKind::Range),
            (" roundrobin ", AssignorKind::RoundRobin),
            ("org.apache.kafka.clients.consumer.RoundRobinAssignor", AssignorKind::RoundRobin),
            ("RoundRobinPartitionAssignor", AssignorKind::RoundRobin),
            ("cooperative-sticky", AssignorKind::CooperativeSticky),
            ("org.apache.kafka.clients.consumer.CooperativeStickyAssignor", AssignorKind::CooperativeSticky),
            ("sticky", AssignorKind::Sticky),
            ("org.apache.kafka.clients.consumer.StickyAssignor", AssignorKind::Sticky),
            ("StickyPartitionAssignor", AssignorKind::Sticky),
            ("COOPERATIVE-STICKY", AssignorKind::CooperativeSticky),
        ];
        for (name, kind) in cases {
            assert_eq!(name.parse::<AssignorKind>(), Ok(kind.clone()), "{name}");
        }
        for bad in ["", "ranges", "com.example.RangeAssignor", "org.apache.kafka.clients.consumer.Custom", "uniform"] {
            let err = bad.parse::<AssignorKind>().unwrap_err();
            assert_eq!(err, ParseAssignorError(bad.to_string()));
            assert!(err.to_string().contains(&format!("`{bad}`")), "{err}");
        }
    }

    #[test]
    fn kinds_build_assignors_with_their_names_and_protocols() {
        for kind in AssignorKind::ALL {
            let assignor = kind.build();
            assert_eq!(assignor.name(), kind.name());
            assert_eq!(assignor.supported_protocols(), kind.supported_protocols());
            assert_eq!(kind.to_string().parse::<AssignorKind>(), Ok(kind.clone()));
            assert_eq!(kind.class_name().parse::<AssignorKind>(), Ok(kind.clone()));
        }
        assert!(AssignorKind::CooperativeSticky.supported_protocols().contains(&RebalanceProtocol::Cooperative));
        assert!(!AssignorKind::Sticky.supported_protocols().contains(&RebalanceProtocol::Cooperative));
        assert!(RebalanceProtocol::Cooperative > RebalanceProtocol::Eager);
    }

    #[test]
    fn group_keeps_subscribed_topics_with_partitions_and_orders_members_as_java() {
        let members = group([
            member("d", &["t2", "t1", "t1", "gone"]),
            static_member("c", "i2", &["t1"]),
            static_member("z", "i1", &["t1"]),
            member("a", &["t1"]),
        ]);
        let g = Group::new(&counts(&[("t1", 2), ("t2", 1), ("empty", 0), ("unsubscribed", 4)]), &members);
        let names: Vec<&str> = g.topics.iter().map(|(t, _)| t.as_ref()).collect();
        assert_eq!(names, ["t1", "t2"]);
        let ids: Vec<&str> = g.members.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, ["a", "c", "d", "z"]);
        assert_eq!(g.subscriptions[2], [0, 1]);
        let java: Vec<&str> = g.java_member_order().into_iter().map(|m| g.members[m].0).collect();
        assert_eq!(java, ["z", "c", "a", "d"]);
        assert_eq!(g.index_partition(&TopicPartition::new("t1", 1)), Some((0, 1)));
        assert_eq!(g.index_partition(&TopicPartition::new("t1", 2)), None);
        assert_eq!(g.index_partition(&TopicPartition::new("t1", -1)), None);
        assert_eq!(g.index_partition(&TopicPartition::new("gone", 0)), None);
        assert_eq!(g.all_partitions().collect::<Vec<_>>(), [(0, 0), (0, 1), (1, 0)]);
    }
}
