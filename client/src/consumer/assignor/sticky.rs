//! The sticky assignors: Java's `AbstractStickyAssignor` algorithm, as
//! [`CooperativeStickyAssignor`] (`cooperative-sticky`) and the eager [`StickyAssignor`]
//! (`sticky`), with the user data each sends and reads.
//!
//! The algorithm (Java's, ported step by step so that a kafkit leader hands out what a Java
//! leader would; where Java's result depends on `HashMap` iteration order, kafkit goes by
//! member id, so ties may be broken the other way):
//!
//! 1. Each member's previous partitions ("member data": owned partitions and generation) are
//!    collected. A partition claimed by two members keeps the claim of the newer generation;
//!    claimed by two members of the same generation, it is invalid and counts as unowned.
//! 2. When every member subscribes to the same topics, the *constrained* builder: each member
//!    keeps its previous partitions up to its quota (`⌊n/m⌋` or `⌈n/m⌉`, with exactly `n % m`
//!    members at the larger one), and the rest are dealt round-robin to the members below
//!    their quota.
//! 3. Otherwise the *general* builder: previous partitions are kept where still subscribed,
//!    the others go to the least loaded eligible member, then partitions move one at a time
//!    from a member to one with at least two fewer until no move helps (keeping the result
//!    only if it is more balanced than before).
//!
//! Cooperative rebalancing adds one rule (Java's `CooperativeStickyAssignor.adjustAssignment`):
//! a partition that a member still owns is not given to another member in the same rebalance.
//! It is left out of everyone's assignment, so its owner revokes it, rejoins, and the next
//! rebalance gives it to its new member.
//!
//! Beyond Java, for robustness: claims on partitions that do not exist are dropped, a member
//! listing a partition twice is not a conflict with itself, a partition is never moved back
//! to a previous owner that no longer subscribes to its topic, and balancing stops after a
//! bounded number of moves.
//!
//! Racks are ignored (Java's rack-aware variant, KIP-881, is not implemented).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::{BufMut, Bytes, BytesMut};
use kafkit_protocol::codec::Reader;

use super::{Assignor, Group, MemberSubscription, RebalanceProtocol, Tp};
use crate::consumer::types::TopicPartition;
use crate::error::Result;

/// Java's `AbstractStickyAssignor.DEFAULT_GENERATION`: the generation of a member that does
/// not know its own.
const DEFAULT_GENERATION: i32 = -1;

/// `cooperative-sticky` (Java's `CooperativeStickyAssignor`, librdkafka's
/// `cooperative-sticky`): as balanced as possible (with identical subscriptions, partition
/// counts differ by at most one), moving as few partitions as possible from their current
/// owners, with cooperative rebalancing (KIP-429): a partition moving from A to B is only
/// revoked from A in this rebalance, and assigned to B in the next one. It also supports the
/// eager protocol, as Java's does.
///
/// Its subscription user data is what Java's sends: the generation as a 4-byte big-endian
/// integer (read by leaders of consumer protocol v1, before the generation had its own
/// field). As leader it reads each member's owned partitions and generation from the
/// subscription (v2+), or the generation from that user data (v1). For a member that sends
/// no owned partitions and no generation but the eager sticky assignor's user data (an old
/// Java `StickyAssignor` or librdkafka encoding: previous assignment and generation), that
/// previous assignment is used for stickiness (not as partitions still owned).
///
/// Under the eager protocol members send no owned partitions (they revoke everything before
/// joining, as Java's do), so nothing is held back and every partition is assigned at once.
///
/// The assignor is stateless: build one per consumer or share it.
#[derive(Debug, Clone, Default)]
pub struct CooperativeStickyAssignor {
    _private: (),
}

/// `sticky` (Java's eager `StickyAssignor`, kafka-python's `StickyPartitionAssignor`): the
/// same assignment as [`CooperativeStickyAssignor`] with eager rebalancing; each member
/// sends its previous assignment and generation in its subscription's user data
/// (`StickyAssignorUserData` v1: `[topic [partition]] generation`), and the leader reads
/// them from there (v1, or v0 without the generation).
///
/// It remembers the last assignment it was told of ([`Assignor::on_assignment`]): use one
/// instance per consumer.
#[derive(Debug, Default)]
pub struct StickyAssignor {
    /// The last assignment received, and its generation.
    previous: Mutex<Option<(Vec<TopicPartition>, i32)>>,
}

impl Assignor for CooperativeStickyAssignor {
    fn name(&self) -> &str {
        "cooperative-sticky"
    }

    fn supported_protocols(&self) -> &[RebalanceProtocol] {
        &[RebalanceProtocol::Cooperative, RebalanceProtocol::Eager]
    }

    fn subscription_user_data(&self, _topics: &[String], _owned: &[TopicPartition], generation: i32) -> Option<Bytes> {
        Some(encode_generation(generation))
    }

    fn assign(
        &self,
        partitions_per_topic: &BTreeMap<String, i32>,
        members: &BTreeMap<String, MemberSubscription>,
    ) -> Result<BTreeMap<String, Vec<TopicPartition>>> {
        let group = Group::new(partitions_per_topic, members);
        let data: Vec<MemberData> = group.members.iter().map(|(_, m)| cooperative_member_data(&group, m)).collect();
        let mut outcome = assign_sticky(&group, &data);
        hold_back_owned_partitions(&group, &mut outcome);
        Ok(group.assignment_map(outcome.assignment))
    }
}

impl Assignor for StickyAssignor {
    fn name(&self) -> &str {
        "sticky"
    }

    fn subscription_user_data(&self, _topics: &[String], owned: &[TopicPartition], generation: i32) -> Option<Bytes> {
        let previous = self.previous.lock().unwrap_or_else(PoisonError::into_inner);
        match &*previous {
            Some((partitions, generation)) => Some(encode_sticky_user_data(partitions, Some(*generation))),
            // Nothing received yet (Java sends no user data then), unless the consumer
            // tells us what it owns.
            None if !owned.is_empty() => Some(encode_sticky_user_data(owned, Some(generation))),
            None => None,
        }
    }

    fn assign(
        &self,
        partitions_per_topic: &BTreeMap<String, i32>,
        members: &BTreeMap<String, MemberSubscription>,
    ) -> Result<BTreeMap<String, Vec<TopicPartition>>> {
        let group = Group::new(partitions_per_topic, members);
        let data: Vec<MemberData> = group.members.iter().map(|(_, m)| eager_member_data(&group, m)).collect();
        let outcome = assign_sticky(&group, &data);
        Ok(group.assignment_map(outcome.assignment))
    }

    fn on_assignment(&self, assignment: &[TopicPartition], _user_data: Option<&Bytes>, generation: i32) {
        *self.previous.lock().unwrap_or_else(PoisonError::into_inner) = Some((assignment.to_vec(), generation));
    }
}

// ---------------------------------------------------------------------------------------
// User data

/// The cooperative-sticky assignor's user data, as Java writes it
/// (`CooperativeStickyAssignor.COOPERATIVE_STICKY_ASSIGNOR_USER_DATA_V0`): the generation, a
/// big-endian `int32`.
fn encode_generation(generation: i32) -> Bytes {
    Bytes::copy_from_slice(&generation.to_be_bytes())
}

/// The eager sticky assignor's user data (`StickyAssignorUserData`, as Java's
/// `StickyAssignor` and librdkafka write it, with no version prefix): v1
/// `[topic [partition]] generation` with a generation, v0 `[topic [partition]]` without.
/// Partitions are grouped by topic in (topic, partition) order.
fn encode_sticky_user_data(partitions: &[TopicPartition], generation: Option<i32>) -> Bytes {
    let mut sorted: Vec<&TopicPartition> = partitions.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut by_topic: Vec<(&str, Vec<i32>)> = Vec::new();
    // A Kafka topic name is at most 249 bytes; a longer one cannot be encoded (and cannot
    // exist).
    for tp in sorted.into_iter().filter(|tp| tp.topic.len() <= i16::MAX as usize) {
        match by_topic.last_mut() {
            Some((topic, partitions)) if *topic == tp.topic.as_ref() => partitions.push(tp.partition),
            _ => by_topic.push((&tp.topic, vec![tp.partition])),
        }
    }
    let size = 4 + by_topic.iter().map(|(t, p)| 2 + t.len() + 4 + 4 * p.len()).sum::<usize>() + 4;
    let mut buf = BytesMut::with_capacity(size);
    buf.put_i32(by_topic.len() as i32);
    for (topic, partitions) in &by_topic {
        buf.put_i16(topic.len() as i16);
        buf.put_slice(topic.as_bytes());
        buf.put_i32(partitions.len() as i32);
        for p in partitions {
            buf.put_i32(*p);
        }
    }
    if let Some(generation) = generation {
        buf.put_i32(generation);
    }
    buf.freeze()
}

/// Reads `StickyAssignorUserData` as Java's `StickyAssignor` does: as v1, or, if that fails,
/// as v0 (no generation). `None` if neither layout fits. Bytes after the data are ignored, as
/// Java's schema reader does. Every count is checked against the bytes present before
/// anything is allocated for it.
fn decode_sticky_user_data(data: &Bytes) -> Option<(Vec<TopicPartition>, Option<i32>)> {
    fn read(data: &Bytes, with_generation: bool) -> Option<(Vec<TopicPartition>, Option<i32>)> {
        let mut r = Reader::new(data.clone());
        // A topic entry is at least a 2-byte string length and a 4-byte array length.
        let topics = r.array_len(false, 6).ok()??;
        let mut partitions = Vec::new();
        for _ in 0..topics {
            let len = r.string_len(false).ok()??;
            let topic: Arc<str> = Arc::from(r.string_of_len(len).ok()?);
            let count = r.array_len(false, 4).ok()??;
            for _ in 0..count {
                partitions.push(TopicPartition { topic: Arc::clone(&topic), partition: r.i32().ok()? });
            }
        }
        let generation = if with_generation { Some(r.i32().ok()?) } else { None };
        Some((partitions, generation))
    }
    read(data, true).or_else(|| read(data, false))
}

/// What the algorithm knows of a member's previous partitions (Java's `MemberData`), already
/// restricted to partitions that exist and are being assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MemberData {
    /// Its previous partitions (no duplicates).
    partitions: Vec<Tp>,
    /// Their generation, if known.
    generation: Option<i32>,
}

impl MemberData {
    fn new(group: &Group, partitions: &[TopicPartition], generation: Option<i32>) -> Self {
        let mut seen = HashSet::new();
        let partitions =
            partitions.iter().filter_map(|tp| group.index_partition(tp)).filter(|tp| seen.insert(*tp)).collect();
        MemberData { partitions, generation }
    }
}

/// Java's `CooperativeStickyAssignor.memberData`: owned partitions from the subscription; the
/// generation from the subscription (v2+), else from the 4-byte user data, else unknown.
/// Beyond Java: eager sticky user data (previous assignment and generation) stands in for a
/// subscription that has neither owned partitions nor a generation.
fn cooperative_member_data(group: &Group, member: &MemberSubscription) -> MemberData {
    let owned = &member.owned_partitions;
    if member.generation_id >= 0 {
        return MemberData::new(group, owned, Some(member.generation_id));
    }
    let generation = match &member.user_data {
        None => None,
        Some(data) if data.len() == 4 => Some(i32::from_be_bytes([data[0], data[1], data[2], data[3]])),
        Some(data) => match decode_sticky_user_data(data) {
            Some((previous, generation)) if owned.is_empty() => return MemberData::new(group, &previous, generation),
            Some((_, generation)) => generation,
            // Java reads the first 4 bytes as the generation, and DEFAULT_GENERATION when
            // there are fewer.
            None if data.len() >= 4 => Some(i32::from_be_bytes([data[0], data[1], data[2], data[3]])),
            None => Some(DEFAULT_GENERATION),
        },
    };
    MemberData::new(group, owned, generation)
}

/// Java's `StickyAssignor.memberData`: always from the user data; none (or empty) means no
/// previous partitions and no generation, unreadable means none and `DEFAULT_GENERATION`.
fn eager_member_data(group: &Group, member: &MemberSubscription) -> MemberData {
    match &member.user_data {
        None => MemberData::new(group, &[], None),
        Some(data) if data.is_empty() => MemberData::new(group, &[], None),
        Some(data) => match decode_sticky_user_data(data) {
            Some((previous, generation)) => MemberData::new(group, &previous, generation),
            None => MemberData::new(group, &[], Some(DEFAULT_GENERATION)),
        },
    }
}

// ---------------------------------------------------------------------------------------
// The algorithm

/// The result of [`assign_sticky`].
#[derive(Debug)]
struct Outcome {
    /// Each member's partitions (by member index).
    assignment: Vec<Vec<Tp>>,
    /// Each member's previous partitions that are validly its own: claims lost to a newer
    /// generation and partitions claimed twice in one generation are removed.
    valid_owned: Vec<HashSet<Tp>>,
}

/// Java's `AbstractStickyAssignor.assignPartitions`, without racks.
fn assign_sticky(group: &Group, data: &[MemberData]) -> Outcome {
    let n = group.members.len();
    if n == 0 {
        return Outcome { assignment: Vec::new(), valid_owned: Vec::new() };
    }
    let resolved = resolve_ownership(data);
    let valid_owned = resolved
        .owned
        .iter()
        .map(|owned| owned.iter().copied().filter(|tp| !resolved.multiply_claimed.contains(tp)).collect())
        .collect();
    let assignment = if all_subscriptions_equal(group) {
        constrained_assignment(group, &resolved.owned, &resolved.multiply_claimed)
    } else {
        GeneralAssignment::new(group, resolved.owned).build(data, resolved.max_generation)
    };
    Outcome { assignment, valid_owned }
}

/// Whether every member subscribes to the same topics (Java's `allSubscriptionsEqual`,
/// comparing the topic sets as sent, including topics without metadata).
fn all_subscriptions_equal(group: &Group) -> bool {
    let mut sets = group.members.iter().map(|(_, m)| m.topics.iter().map(String::as_str).collect::<BTreeSet<_>>());
    match sets.next() {
        Some(first) => sets.all(|s| s == first),
        None => true,
    }
}

/// The previous owner of each partition, after conflicts.
struct Resolved {
    /// Per member, the previous partitions it keeps a claim on.
    owned: Vec<Vec<Tp>>,
    /// Partitions claimed by two members of one generation.
    multiply_claimed: HashSet<Tp>,
    /// The highest generation any member reported (`DEFAULT_GENERATION` if none).
    max_generation: i32,
}

/// The claims part of Java's `allSubscriptionsEqual`: in member order, a claim on a
/// partition already claimed wins if its generation is newer, loses if older; two claims of
/// one generation both lose and the partition is marked as claimed twice. (Java compares
/// against the other member's subscription generation field; kafkit against its member data
/// generation, which is the same for protocol v2+ and right for older ones.)
fn resolve_ownership(data: &[MemberData]) -> Resolved {
    let mut owned: Vec<Vec<Tp>> = vec![Vec::new(); data.len()];
    let mut multiply_claimed = HashSet::new();
    let mut claimed_by: HashMap<Tp, usize> = HashMap::new();
    let mut max_generation = DEFAULT_GENERATION;
    let generation_of = |m: usize| data[m].generation.unwrap_or(DEFAULT_GENERATION);
    for (member, md) in data.iter().enumerate() {
        let generation = generation_of(member);
        max_generation = max_generation.max(generation);
        for &tp in &md.partitions {
            match claimed_by.get(&tp).copied() {
                None => {
                    owned[member].push(tp);
                    claimed_by.insert(tp, member);
                }
                Some(other) => {
                    let other_generation = generation_of(other);
                    if generation == other_generation {
                        multiply_claimed.insert(tp);
                        owned[other].retain(|p| *p != tp);
                        claimed_by.insert(tp, member);
                    } else if generation > other_generation {
                        owned[member].push(tp);
                        owned[other].retain(|p| *p != tp);
                        claimed_by.insert(tp, member);
                    }
                }
            }
        }
    }
    Resolved { owned, multiply_claimed, max_generation }
}

/// Java's `ConstrainedAssignmentBuilder` (identical subscriptions), members in member-id
/// order.
fn constrained_assignment(group: &Group, owned: &[Vec<Tp>], multiply_claimed: &HashSet<Tp>) -> Vec<Vec<Tp>> {
    let n = group.members.len();
    let total: usize = group.topics.iter().map(|(_, count)| *count as usize).sum();
    let min_quota = total / n;
    let max_quota = total.div_ceil(n);
    let expected_over_min = total % n;
    let mut current_over_min = 0;

    let mut assignment: Vec<Vec<Tp>> = vec![Vec::new(); n];
    let mut assigned: HashSet<Tp> = HashSet::new();
    let mut under_min: Vec<usize> = Vec::new();
    let mut exactly_min: VecDeque<usize> = VecDeque::new();

    // 1. Previous partitions, up to the quota, smallest partition numbers first.
    for (member, previous) in owned.iter().enumerate() {
        let mut mine: Vec<Tp> = previous.iter().copied().filter(|tp| !multiply_claimed.contains(tp)).collect();
        mine.sort_by_key(|&(topic, partition)| (partition, topic));
        let keep = if mine.len() < min_quota {
            under_min.push(member);
            mine.len()
        } else if mine.len() >= max_quota && current_over_min < expected_over_min {
            current_over_min += 1;
            if current_over_min == expected_over_min {
                exactly_min.clear();
            }
            max_quota
        } else {
            if current_over_min < expected_over_min {
                exactly_min.push_back(member);
            }
            min_quota
        };
        mine.truncate(keep);
        assigned.extend(mine.iter().copied());
        assignment[member] = mine;
    }

    // 2. The rest, round-robin over the members below their quota.
    let unassigned: Vec<Tp> = group.all_partitions().filter(|tp| !assigned.contains(tp)).collect();
    under_min.sort_unstable();
    exactly_min.make_contiguous().sort_unstable();
    // Java iterates `under_min` with an iterator that can remove the member it returned.
    let mut next = 0;
    for tp in unassigned {
        let member = if next < under_min.len() {
            next += 1;
            under_min[next - 1]
        } else if under_min.is_empty() {
            match exactly_min.pop_front() {
                Some(member) => member,
                None => {
                    // Cannot happen: the quotas add up to the partitions. Java throws;
                    // kafkit gives the partition to the least loaded member.
                    tracing::error!(partition = ?tp, "sticky assignor: no member below its quota; assigning anyway");
                    (0..n).min_by_key(|&m| assignment[m].len()).unwrap_or(0)
                }
            }
        } else {
            next = 1;
            under_min[0]
        };
        assignment[member].push(tp);
        // A member reaching the lower quota may still take one more (then it is at the upper
        // one, and done).
        if assignment[member].len() == min_quota {
            // Only members taken from `under_min` can reach the lower quota here.
            if next > 0 && under_min.get(next - 1) == Some(&member) {
                under_min.remove(next - 1);
                next -= 1;
            }
            exactly_min.push_back(member);
        }
    }
    assignment
}

/// Java's `GeneralAssignmentBuilder` (different subscriptions).
struct GeneralAssignment<'g, 'a> {
    group: &'g Group<'a>,
    /// Per topic, the members subscribed to it (ascending).
    topic_members: Vec<Vec<usize>>,
    /// Per member, the most partitions it could have (all partitions of its topics).
    max_size: Vec<usize>,
    /// Per member, its partitions now.
    current: Vec<Vec<Tp>>,
    /// Per topic, per partition, its member now.
    owner: Vec<Vec<Option<usize>>>,
    /// The members taking part, by (number of partitions, member): Java's
    /// `sortedCurrentSubscriptions`.
    sorted: BTreeSet<(usize, usize)>,
    /// Whether each member takes part in balancing (members that cannot change are set
    /// aside).
    active: Vec<bool>,
    movements: PartitionMovements,
    /// Whether a member lost a partition because it no longer subscribes to its topic.
    revocation_required: bool,
    /// Moves left before balancing stops (a guard Java does not have: the algorithm is not
    /// proven to terminate in every case).
    moves_left: usize,
}

impl<'g, 'a> GeneralAssignment<'g, 'a> {
    fn new(group: &'g Group<'a>, owned: Vec<Vec<Tp>>) -> Self {
        let n = group.members.len();
        let mut topic_members = vec![Vec::new(); group.topics.len()];
        for (member, topics) in group.subscriptions.iter().enumerate() {
            for &topic in topics {
                topic_members[topic].push(member);
            }
        }
        let max_size = group
            .subscriptions
            .iter()
            .map(|topics| topics.iter().map(|&t| group.partition_count(t) as usize).sum())
            .collect();
        let owner = group.topics.iter().map(|(_, count)| vec![None; *count as usize]).collect();
        let total: usize = group.topics.iter().map(|(_, count)| *count as usize).sum();
        GeneralAssignment {
            group,
            topic_members,
            max_size,
            current: owned,
            owner,
            sorted: BTreeSet::new(),
            active: vec![true; n],
            movements: PartitionMovements::default(),
            revocation_required: false,
            moves_left: total.saturating_mul(n.max(2)).saturating_add(1000),
        }
    }

    fn owner_of(&self, (topic, partition): Tp) -> Option<usize> {
        self.owner[topic][partition as usize]
    }

    fn set_owner(&mut self, (topic, partition): Tp, member: Option<usize>) {
        self.owner[topic][partition as usize] = member;
    }

    fn build(mut self, data: &[MemberData], max_generation: i32) -> Vec<Vec<Tp>> {
        let previous = previous_assignment(data, max_generation);

        // Keep previous partitions of topics still subscribed.
        let mut assigned = HashSet::new();
        for member in 0..self.current.len() {
            let mut kept = std::mem::take(&mut self.current[member]);
            let before = kept.len();
            kept.retain(|&(topic, _)| self.group.subscribes(member, topic));
            if kept.len() != before {
                self.revocation_required = true;
            }
            for &tp in &kept {
                self.set_owner(tp, Some(member));
                assigned.insert(tp);
            }
            self.current[member] = kept;
        }

        // All partitions, topics with fewer potential members first (Java's TopicComparator).
        let mut topics: Vec<usize> = (0..self.group.topics.len()).collect();
        topics.sort_by_key(|&t| (self.topic_members[t].len(), t));
        let mut sorted_all: Vec<Tp> =
            topics.iter().flat_map(|&t| (0..self.group.partition_count(t)).map(move |p| (t, p))).collect();
        let mut unassigned: Vec<Tp> = sorted_all.iter().copied().filter(|tp| !assigned.contains(tp)).collect();

        for member in 0..self.current.len() {
            self.sorted.insert((self.current[member].len(), member));
        }
        self.balance(&previous, &mut unassigned, &mut sorted_all);
        self.current
    }

    /// Java's `balance`.
    fn balance(&mut self, previous: &HashMap<Tp, (usize, i32)>, unassigned: &mut Vec<Tp>, sorted_all: &mut Vec<Tp>) {
        let initializing = self.sorted.last().is_some_and(|&(size, _)| size == 0);

        for &tp in unassigned.iter() {
            if !self.topic_members[tp.0].is_empty() {
                self.assign_to_least_loaded(tp);
            }
        }

        // Only partitions with two or more potential members can move.
        let movable = |tp: &Tp| self.topic_members[tp.0].len() >= 2;
        sorted_all.retain(movable);
        unassigned.retain(movable);

        // Only members that could gain or lose partitions take part.
        for member in 0..self.current.len() {
            if !self.can_member_participate(member) {
                self.sorted.remove(&(self.current[member].len(), member));
                self.active[member] = false;
            }
        }

        let before = (self.current.clone(), self.owner.clone());
        if !self.revocation_required {
            self.perform_reassignments(unassigned, previous);
        }
        let reassigned = self.perform_reassignments(sorted_all, previous);
        if !initializing && reassigned && self.balance_score(&self.current) >= self.balance_score(&before.0) {
            (self.current, self.owner) = before;
        }
        self.active.fill(true);
    }

    /// Java's `maybeAssignPartition` without racks: to the member with the fewest partitions
    /// (then the smallest member id) that subscribes to its topic.
    fn assign_to_least_loaded(&mut self, tp: Tp) {
        let Some(&(size, member)) = self.sorted.iter().find(|&&(_, m)| self.group.subscribes(m, tp.0)) else {
            return;
        };
        self.sorted.remove(&(size, member));
        self.current[member].push(tp);
        self.set_owner(tp, Some(member));
        self.sorted.insert((size + 1, member));
    }

    fn can_member_participate(&self, member: usize) -> bool {
        let current = &self.current[member];
        current.len() < self.max_size[member] || current.iter().any(|&(topic, _)| self.topic_members[topic].len() >= 2)
    }

    /// Java's `isBalanced`: the sizes differ by at most one, or no member could take a
    /// partition of its topics from a member with at least two more.
    fn is_balanced(&self) -> bool {
        let (Some(&(min, _)), Some(&(max, _))) = (self.sorted.first(), self.sorted.last()) else {
            return true;
        };
        if min + 1 >= max {
            return true;
        }
        for &(size, member) in &self.sorted {
            if size == self.max_size[member] {
                continue;
            }
            for &topic in &self.group.subscriptions[member] {
                for partition in 0..self.group.partition_count(topic) {
                    match self.owner_of((topic, partition)) {
                        Some(other) if other != member && size + 1 < self.current[other].len() => return false,
                        _ => {}
                    }
                }
            }
        }
        true
    }

    /// Java's `getBalanceScore`: the sum of the size differences of every pair of active
    /// members.
    fn balance_score(&self, assignment: &[Vec<Tp>]) -> u64 {
        let mut sizes: Vec<u64> =
            (0..assignment.len()).filter(|&m| self.active[m]).map(|m| assignment[m].len() as u64).collect();
        sizes.sort_unstable();
        let k = sizes.len() as u64;
        // Σ_{i<j} (s_j - s_i) = Σ_i s_i (2i - k + 1), with sizes ascending.
        let (plus, minus) = sizes.iter().enumerate().fold((0u64, 0u64), |(plus, minus), (i, &s)| {
            let i = i as u64;
            (plus + s * i, minus + s * (k - 1 - i))
        });
        plus - minus
    }

    /// Java's `performReassignments`: returns whether anything moved.
    fn perform_reassignments(&mut self, partitions: &[Tp], previous: &HashMap<Tp, (usize, i32)>) -> bool {
        let mut reassigned = false;
        loop {
            let mut modified = false;
            for &tp in partitions {
                if self.moves_left == 0 || self.is_balanced() {
                    break;
                }
                let Some(member) = self.owner_of(tp) else { continue };
                let size = self.current[member].len();
                if let Some(&(previous_member, _)) = previous.get(&tp) {
                    if previous_member != member
                        && self.active[previous_member]
                        && self.group.subscribes(previous_member, tp.0)
                        && size > self.current[previous_member].len() + 1
                        && self.reassign(tp, previous_member)
                    {
                        reassigned = true;
                        modified = true;
                        continue;
                    }
                }
                let lighter = self.topic_members[tp.0]
                    .iter()
                    .any(|&other| self.active[other] && size > self.current[other].len() + 1);
                if lighter {
                    let to = self.sorted.iter().find(|&&(_, m)| self.group.subscribes(m, tp.0)).map(|&(_, m)| m);
                    if to.is_some_and(|to| self.reassign(tp, to)) {
                        reassigned = true;
                        modified = true;
                    }
                }
            }
            if !modified || self.moves_left == 0 {
                return reassigned;
            }
        }
    }

    /// Java's `reassignPartition(partition, newConsumer)`: moves `tp`, or the partition of its
    /// topic that undoes an earlier move between the same two members. Returns whether a
    /// partition moved.
    fn reassign(&mut self, tp: Tp, to: usize) -> bool {
        let Some(from) = self.owner_of(tp) else { return false };
        let tp = self.movements.partition_to_move(tp, from, to);
        let Some(from) = self.owner_of(tp) else { return false };
        if from == to {
            return false;
        }
        self.moves_left = self.moves_left.saturating_sub(1);
        self.sorted.remove(&(self.current[from].len(), from));
        self.sorted.remove(&(self.current[to].len(), to));
        self.movements.move_partition(tp, from, to);
        self.current[from].retain(|p| *p != tp);
        self.current[to].push(tp);
        self.set_owner(tp, Some(to));
        self.sorted.insert((self.current[to].len(), to));
        self.sorted.insert((self.current[from].len(), from));
        true
    }
}

/// Java's `prepopulateCurrentAssignments`: for each partition, the newest claim from a
/// generation older than the newest one (claims without a generation count as
/// `DEFAULT_GENERATION` once some member has one). Partitions go back there first when
/// balancing allows.
fn previous_assignment(data: &[MemberData], max_generation: i32) -> HashMap<Tp, (usize, i32)> {
    let mut previous: HashMap<Tp, (usize, i32)> = HashMap::new();
    for (member, md) in data.iter().enumerate() {
        let generation = match md.generation {
            Some(generation) if generation < max_generation => generation,
            None if max_generation > DEFAULT_GENERATION => DEFAULT_GENERATION,
            _ => continue,
        };
        for &tp in &md.partitions {
            match previous.get(&tp) {
                Some(&(_, existing)) if existing >= generation => {}
                _ => {
                    previous.insert(tp, (member, generation));
                }
            }
        }
    }
    previous
}

/// Java's `PartitionMovements`: the moves made while balancing, per topic and (from, to)
/// pair, so that a partition moving back undoes an earlier move rather than adding one.
#[derive(Debug, Default)]
struct PartitionMovements {
    /// Per topic, per (original member, current member), the partitions that moved.
    by_topic: HashMap<usize, BTreeMap<(usize, usize), BTreeSet<Tp>>>,
    /// Per moved partition, (original member, current member).
    moves: HashMap<Tp, (usize, usize)>,
}

impl PartitionMovements {
    fn remove(&mut self, tp: Tp) -> Option<(usize, usize)> {
        let pair = self.moves.remove(&tp)?;
        if let Some(pairs) = self.by_topic.get_mut(&tp.0) {
            if let Some(set) = pairs.get_mut(&pair) {
                set.remove(&tp);
                if set.is_empty() {
                    pairs.remove(&pair);
                }
            }
            if pairs.is_empty() {
                self.by_topic.remove(&tp.0);
            }
        }
        Some(pair)
    }

    fn add(&mut self, tp: Tp, pair: (usize, usize)) {
        self.moves.insert(tp, pair);
        self.by_topic.entry(tp.0).or_default().entry(pair).or_default().insert(tp);
    }

    fn move_partition(&mut self, tp: Tp, from: usize, to: usize) {
        match self.remove(tp) {
            // Moved before: from its original member to `to`, unless that is going back.
            Some((original, _)) => {
                if original != to {
                    self.add(tp, (original, to));
                }
            }
            None => self.add(tp, (from, to)),
        }
    }

    /// Java's `getTheActualPartitionToBeMoved`: if a partition of the same topic moved from
    /// `to` to `tp`'s original member, move that one back instead (the smallest, where Java
    /// takes any).
    fn partition_to_move(&self, tp: Tp, from: usize, to: usize) -> Tp {
        let Some(pairs) = self.by_topic.get(&tp.0) else { return tp };
        let original = self.moves.get(&tp).map_or(from, |&(original, _)| original);
        pairs.get(&(to, original)).and_then(|set| set.first().copied()).unwrap_or(tp)
    }
}

/// The cooperative rule (Java's `CooperativeStickyAssignor.adjustAssignment`, made
/// stricter): a partition that another member still lists as owned is not given to a member
/// that does not validly own it. Java computes the same set from the partitions the
/// constrained builder took from their previous owners, or, for the general builder, from
/// the partitions both added to one member and revoked from another; this rule covers both,
/// and also a partition lost to a newer generation or claimed twice in one generation.
/// Partitions known only from eager user data are not "still owned" (their member revoked
/// them before joining).
fn hold_back_owned_partitions(group: &Group, outcome: &mut Outcome) {
    let mut listed_by: HashMap<Tp, Vec<usize>> = HashMap::new();
    for (member, (_, subscription)) in group.members.iter().enumerate() {
        for tp in &subscription.owned_partitions {
            if let Some(tp) = group.index_partition(tp) {
                listed_by.entry(tp).or_default().push(member);
            }
        }
    }
    for (member, partitions) in outcome.assignment.iter_mut().enumerate() {
        let valid = &outcome.valid_owned[member];
        partitions.retain(|tp| {
            valid.contains(tp) || !listed_by.get(tp).is_some_and(|owners| owners.iter().any(|&o| o != member))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    type Assignment = BTreeMap<String, Vec<TopicPartition>>;

    fn tp(topic: &str, partition: i32) -> TopicPartition {
        TopicPartition::new(topic, partition)
    }

    fn set(partitions: &[TopicPartition]) -> BTreeSet<TopicPartition> {
        partitions.iter().cloned().collect()
    }

    /// Which assignor a scenario runs with; Java's `AbstractStickyAssignorTest` scenarios run
    /// with both, as in Java (`CooperativeStickyAssignorTest`, `StickyAssignorTest`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Kind {
        Cooperative,
        Eager,
    }

    const KINDS: [Kind; 2] = [Kind::Cooperative, Kind::Eager];

    impl Kind {
        fn assign(self, counts: &BTreeMap<String, i32>, members: &BTreeMap<String, MemberSubscription>) -> Assignment {
            match self {
                Kind::Cooperative => CooperativeStickyAssignor::default().assign(counts, members).unwrap(),
                Kind::Eager => StickyAssignor::default().assign(counts, members).unwrap(),
            }
        }

        /// A member owning `owned` from `generation`, as each assignor's members say it (Java's
        /// `buildSubscriptionV2Above`): cooperative in the subscription's fields, eager in the
        /// user data.
        fn sub(self, id: &str, topics: &[&str], owned: &[TopicPartition], generation: i32) -> MemberSubscription {
            let base = member(id, topics);
            match self {
                Kind::Cooperative => MemberSubscription {
                    owned_partitions: owned.to_vec(),
                    generation_id: generation,
                    user_data: Some(encode_generation(generation)),
                    ..base
                },
                Kind::Eager => MemberSubscription {
                    owned_partitions: owned.to_vec(),
                    generation_id: generation,
                    user_data: (!owned.is_empty() || generation >= 0)
                        .then(|| encode_sticky_user_data(owned, Some(generation))),
                    ..base
                },
            }
        }

        /// Assigns; for cooperative, checks that nothing goes to a new owner while its owner
        /// keeps it, and runs the follow-up rebalances (members then own what they got) until
        /// nothing is revoked, as Java's `CooperativeStickyAssignorTest.verifyValidityAndBalance`.
        /// Returns the first and the final assignment; checks the final one is valid and
        /// balanced.
        fn run(
            self,
            counts: &BTreeMap<String, i32>,
            members: &BTreeMap<String, MemberSubscription>,
        ) -> (Assignment, Assignment) {
            let first = self.assign(counts, members);
            let mut last = first.clone();
            if self == Kind::Cooperative {
                let mut members = members.clone();
                let mut rounds = 0;
                while check_cooperative(&members, &last) {
                    for (id, m) in members.iter_mut() {
                        m.owned_partitions = last[id].clone();
                    }
                    last = self.assign(counts, &members);
                    rounds += 1;
                    assert!(rounds <= 4, "no stable assignment after 4 follow-up rebalances");
                }
            }
            verify_valid_and_balanced(counts, members, &last);
            (first, last)
        }
    }

    /// Java's `verifyCooperativeValidity`: no partition is added to a member in the rebalance
    /// that revokes it from another. Returns whether anything is revoked (a follow-up
    /// rebalance is due).
    fn check_cooperative(members: &BTreeMap<String, MemberSubscription>, assignment: &Assignment) -> bool {
        let mut added = BTreeSet::new();
        let mut revoked = BTreeSet::new();
        for (id, partitions) in assignment {
            let owned = set(&members[id].owned_partitions);
            let assigned = set(partitions);
            added.extend(assigned.difference(&owned).cloned());
            revoked.extend(owned.difference(&assigned).cloned());
        }
        let both: Vec<_> = added.intersection(&revoked).collect();
        assert!(both.is_empty(), "assigned while still being revoked: {both:?}\n{members:#?}\n{assignment:#?}");
        !revoked.is_empty()
    }

    /// Java's `verifyValidityAndBalance`, plus completeness: every member has an entry, each
    /// partition of a subscribed topic goes to exactly one member that subscribes to it, and
    /// two members whose counts differ by more than one share no topic.
    fn verify_valid_and_balanced(
        counts: &BTreeMap<String, i32>,
        members: &BTreeMap<String, MemberSubscription>,
        assignment: &Assignment,
    ) {
        assert_eq!(assignment.keys().collect::<Vec<_>>(), members.keys().collect::<Vec<_>>());
        let mut seen = BTreeSet::new();
        for (id, partitions) in assignment {
            for p in partitions {
                assert!(members[id].topics.iter().any(|t| **t == *p.topic), "{p} given to {id}, not subscribed");
                assert!(seen.insert(p.clone()), "{p} assigned twice: {assignment:?}");
            }
        }
        for (topic, count) in counts {
            if members.values().any(|m| m.topics.contains(topic)) {
                for p in 0..*count {
                    assert!(seen.contains(&tp(topic, p)), "{topic}[{p}] not assigned: {assignment:?}");
                }
            }
        }
        let ids: Vec<&String> = assignment.keys().collect();
        for (i, a) in ids.iter().enumerate() {
            for b in &ids[i + 1..] {
                let (pa, pb) = (&assignment[*a], &assignment[*b]);
                if pa.len().abs_diff(pb.len()) <= 1 {
                    continue;
                }
                let ta: BTreeSet<&str> = pa.iter().map(|p| p.topic.as_ref()).collect();
                let tb: BTreeSet<&str> = pb.iter().map(|p| p.topic.as_ref()).collect();
                assert!(ta.is_disjoint(&tb), "{a} has {}, {b} has {} partitions of common topics", pa.len(), pb.len());
            }
        }
    }

    fn is_fully_balanced(assignment: &Assignment) -> bool {
        let sizes = assignment.values().map(Vec::len);
        sizes.clone().max().unwrap_or(0) - sizes.min().unwrap_or(0) <= 1
    }

    // ---- user data -------------------------------------------------------------------

    #[test]
    fn cooperative_user_data_is_the_generation_as_java_writes_it() {
        let a = CooperativeStickyAssignor::default();
        assert_eq!(a.subscription_user_data(&[], &[], -1).unwrap()[..], [0xff, 0xff, 0xff, 0xff]);
        assert_eq!(a.subscription_user_data(&["t".into()], &tps(&[("t", 0)]), 10).unwrap()[..], [0, 0, 0, 10]);
    }

    #[test]
    fn sticky_user_data_golden_bytes_and_round_trip() {
        // v1: [("ab", [1, 0])] grouped and sorted, generation 7.
        let bytes = encode_sticky_user_data(&tps(&[("ab", 1), ("ab", 0)]), Some(7));
        let expected: &[u8] = &[0, 0, 0, 1, 0, 2, b'a', b'b', 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 7];
        assert_eq!(&bytes[..], expected);
        assert_eq!(decode_sticky_user_data(&bytes), Some((tps(&[("ab", 0), ("ab", 1)]), Some(7))));
        // v0 has no generation.
        let v0 = encode_sticky_user_data(&tps(&[("x", 3), ("a", 1)]), None);
        assert_eq!(decode_sticky_user_data(&v0), Some((tps(&[("a", 1), ("x", 3)]), None)));
        assert_eq!(decode_sticky_user_data(&encode_sticky_user_data(&[], Some(-1))), Some((vec![], Some(-1))));
    }

    #[test]
    fn sticky_user_data_rejects_truncated_and_hostile_input() {
        let good = encode_sticky_user_data(&tps(&[("topic", 0), ("topic", 5), ("u", 2)]), Some(3));
        // Every strict prefix that cuts into the partitions fails both layouts; one that keeps
        // them but cuts the generation reads as v0 (bytes after the data are ignored, as Java's
        // schema reader does).
        for cut in 0..good.len() {
            let decoded = decode_sticky_user_data(&good.slice(..cut));
            if cut >= good.len() - 4 {
                assert_eq!(decoded, Some((tps(&[("topic", 0), ("topic", 5), ("u", 2)]), None)));
            } else {
                assert_eq!(decoded, None, "prefix of {cut} bytes");
            }
        }
        // Counts far beyond the data are refused before allocating.
        for hostile in [
            &[0x7f, 0xff, 0xff, 0xff][..],
            &[0, 0, 0, 1, 0, 1, b't', 0x7f, 0xff, 0xff, 0xff],
            &[0, 0, 0, 1, 0x7f, 0xff, b't'],
            &[0xff, 0xff, 0xff, 0xff],
        ] {
            assert_eq!(decode_sticky_user_data(&Bytes::copy_from_slice(hostile)), None, "{hostile:?}");
        }
    }

    #[test]
    fn eager_sticky_sends_its_last_assignment() {
        let a = StickyAssignor::default();
        assert_eq!(a.subscription_user_data(&["t".into()], &[], -1), None);
        let owned = tps(&[("t", 1)]);
        assert_eq!(
            decode_sticky_user_data(&a.subscription_user_data(&["t".into()], &owned, 2).unwrap()),
            Some((owned, Some(2)))
        );
        a.on_assignment(&tps(&[("t", 0), ("u", 4)]), None, 9);
        let data = a.subscription_user_data(&["t".into()], &[], 9).unwrap();
        assert_eq!(decode_sticky_user_data(&data), Some((tps(&[("t", 0), ("u", 4)]), Some(9))));
    }

    // ---- member data (Java's CooperativeStickyAssignorTest / StickyAssignorTest) -----------

    fn group_of<'a>(counts: &BTreeMap<String, i32>, members: &'a BTreeMap<String, MemberSubscription>) -> Group<'a> {
        Group::new(counts, members)
    }

    fn cooperative_data(sub: MemberSubscription) -> (Vec<TopicPartition>, Option<i32>) {
        let counts = counts(&[("topic", 3), ("topic1", 3), ("topic2", 3)]);
        let members =
            group([MemberSubscription { topics: vec!["topic".into(), "topic1".into(), "topic2".into()], ..sub }]);
        let g = group_of(&counts, &members);
        let md = cooperative_member_data(&g, g.members[0].1);
        (md.partitions.iter().map(|&(t, p)| tp(&g.topics[t].0, p)).collect(), md.generation)
    }

    fn eager_data(sub: MemberSubscription) -> (Vec<TopicPartition>, Option<i32>) {
        let counts = counts(&[("topic", 3), ("topic1", 3), ("topic2", 3)]);
        let members =
            group([MemberSubscription { topics: vec!["topic".into(), "topic1".into(), "topic2".into()], ..sub }]);
        let g = group_of(&counts, &members);
        let md = eager_member_data(&g, g.members[0].1);
        (md.partitions.iter().map(|&(t, p)| tp(&g.topics[t].0, p)).collect(), md.generation)
    }

    #[test]
    fn cooperative_member_data_as_java() {
        let owned = tps(&[("topic1", 0), ("topic2", 1)]);
        // v2+: fields.
        let v2 = MemberSubscription { owned_partitions: owned.clone(), generation_id: 1, ..member("c", &[]) };
        assert_eq!(cooperative_data(v2), (owned.clone(), Some(1)));
        // v1: owned partitions, generation from the 4-byte user data (testEncodeAndDecodeGeneration,
        // testMemberDataWithInconsistentData).
        let v1 = MemberSubscription {
            owned_partitions: tps(&[("topic", 0)]),
            user_data: Some(encode_generation(1)),
            ..member("c", &[])
        };
        assert_eq!(cooperative_data(v1), (tps(&[("topic", 0)]), Some(1)));
        let v1 = MemberSubscription { user_data: Some(encode_generation(-1)), ..member("c", &[]) };
        assert_eq!(cooperative_data(v1), (vec![], Some(-1)));
        // No user data: no generation (testDecodeGeneration).
        assert_eq!(cooperative_data(member("c", &[])), (vec![], None));
        // Generation in the subscription wins over user data holding partitions
        // (testMemberDataWithEmptyPartitionsAndEqualGeneration / ...HigherGeneration).
        for user_generation in [1, 0] {
            let sub = MemberSubscription {
                user_data: Some(encode_sticky_user_data(&owned, Some(user_generation))),
                generation_id: 1,
                ..member("c", &[])
            };
            assert_eq!(cooperative_data(sub), (vec![], Some(1)));
        }
        // Beyond Java: no owned partitions and no generation, but eager sticky user data
        // (an old librdkafka or Java StickyAssignor encoding): its previous assignment.
        let legacy =
            MemberSubscription { user_data: Some(encode_sticky_user_data(&owned, Some(4))), ..member("c", &[]) };
        assert_eq!(cooperative_data(legacy), (owned.clone(), Some(4)));
        // Unreadable user data: Java reads the first 4 bytes as the generation, else -1.
        let odd = MemberSubscription { user_data: Some(Bytes::from_static(&[0, 0, 0, 3, 9])), ..member("c", &[]) };
        assert_eq!(cooperative_data(odd), (vec![], Some(3)));
        let short = MemberSubscription { user_data: Some(Bytes::from_static(&[1])), ..member("c", &[]) };
        assert_eq!(cooperative_data(short), (vec![], Some(-1)));
        // Partitions of unknown topics or beyond the partition count, and duplicates, are dropped.
        let odd = MemberSubscription {
            owned_partitions: tps(&[("topic", 0), ("topic", 0), ("topic", 3), ("gone", 0), ("topic", -1)]),
            generation_id: 2,
            ..member("c", &[])
        };
        assert_eq!(cooperative_data(odd), (tps(&[("topic", 0)]), Some(2)));
    }

    #[test]
    fn eager_member_data_always_comes_from_user_data_as_java() {
        let owned = tps(&[("topic1", 0), ("topic2", 1)]);
        // testMemberDataWillHonorUserData: the user data wins over the subscription's fields.
        let sub = MemberSubscription {
            user_data: Some(encode_sticky_user_data(&owned, Some(0))),
            owned_partitions: tps(&[("topic", 0)]),
            generation_id: 1,
            ..member("c", &[])
        };
        assert_eq!(eager_data(sub), (owned.clone(), Some(0)));
        // v0 (testSchemaBackwardCompatibility): no generation.
        let v0 = MemberSubscription { user_data: Some(encode_sticky_user_data(&owned, None)), ..member("c", &[]) };
        assert_eq!(eager_data(v0), (owned.clone(), None));
        assert_eq!(eager_data(member("c", &[])), (vec![], None));
        let empty = MemberSubscription { user_data: Some(Bytes::new()), ..member("c", &[]) };
        assert_eq!(eager_data(empty), (vec![], None));
        let garbage = MemberSubscription { user_data: Some(Bytes::from_static(&[0, 0, 0, 9])), ..member("c", &[]) };
        assert_eq!(eager_data(garbage), (vec![], Some(-1)));
    }

    // ---- Java's AbstractStickyAssignorTest scenarios ---------------------------------------

    #[test]
    fn one_consumer_no_topic_and_nonexistent_topic() {
        for kind in KINDS {
            for topics in [&[][..], &["topic"]] {
                let members = group([member("consumer", topics)]);
                let (first, _) = kind.run(&counts(&[]), &members);
                assert_eq!(first.len(), 1);
                assert!(first["consumer"].is_empty());
            }
        }
    }

    #[test]
    fn one_consumer_one_topic_only_subscribed_and_multiple_topics() {
        for kind in KINDS {
            let members = group([member("consumer", &["topic"])]);
            let (a, _) = kind.run(&counts(&[("topic", 3), ("other", 3)]), &members);
            assert_eq!(a["consumer"], sorted(&[("topic", 0), ("topic", 1), ("topic", 2)]));
            let members = group([member("consumer", &["topic1", "topic2"])]);
            let (a, _) = kind.run(&counts(&[("topic1", 1), ("topic2", 2)]), &members);
            assert_eq!(a["consumer"], sorted(&[("topic1", 0), ("topic2", 0), ("topic2", 1)]));
        }
    }

    #[test]
    fn two_consumers_one_topic_one_and_two_partitions() {
        for kind in KINDS {
            let members = group([member("consumer1", &["topic"]), member("consumer2", &["topic"])]);
            let (a, _) = kind.run(&counts(&[("topic", 1)]), &members);
            assert_eq!(a["consumer1"], sorted(&[("topic", 0)]));
            assert!(a["consumer2"].is_empty());
            let (a, _) = kind.run(&counts(&[("topic", 2)]), &members);
            assert_eq!(a["consumer1"], sorted(&[("topic", 0)]));
            assert_eq!(a["consumer2"], sorted(&[("topic", 1)]));
        }
    }

    #[test]
    fn multiple_consumers_mixed_topic_subscriptions() {
        for kind in KINDS {
            let members = group([
                member("consumer1", &["topic1"]),
                member("consumer2", &["topic1", "topic2"]),
                member("consumer3", &["topic1"]),
            ]);
            let (a, _) = kind.run(&counts(&[("topic1", 3), ("topic2", 2)]), &members);
            assert_eq!(a["consumer1"], sorted(&[("topic1", 0), ("topic1", 2)]));
            assert_eq!(a["consumer2"], sorted(&[("topic2", 0), ("topic2", 1)]));
            assert_eq!(a["consumer3"], sorted(&[("topic1", 1)]));
        }
    }

    #[test]
    fn two_consumers_two_topics_six_partitions() {
        for kind in KINDS {
            let both = ["topic1", "topic2"];
            let members = group([member("consumer1", &both), member("consumer2", &both)]);
            let (a, _) = kind.run(&counts(&[("topic1", 3), ("topic2", 3)]), &members);
            assert_eq!(a["consumer1"], sorted(&[("topic1", 0), ("topic1", 2), ("topic2", 1)]));
            assert_eq!(a["consumer2"], sorted(&[("topic1", 1), ("topic2", 0), ("topic2", 2)]));
            assert!(is_fully_balanced(&a));
        }
    }

    #[test]
    fn consumer_owning_min_quota_expected_max_quota() {
        for kind in KINDS {
            let both = ["topic1", "topic2"];
            let members = group([
                kind.sub("consumer1", &both, &tps(&[("topic1", 0), ("topic2", 1)]), 1),
                kind.sub("consumer2", &both, &tps(&[("topic1", 1), ("topic2", 2)]), 1),
            ]);
            let (first, last) = kind.run(&counts(&[("topic1", 2), ("topic2", 3)]), &members);
            assert_eq!(first, last, "nothing to transfer");
            assert_eq!(first["consumer1"], sorted(&[("topic1", 0), ("topic2", 1), ("topic2", 0)]));
            assert_eq!(first["consumer2"], sorted(&[("topic1", 1), ("topic2", 2)]));
        }
    }

    #[test]
    fn max_quota_consumers_more_than_expected() {
        // Java's testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers. Which of the two
        // full members keeps its maximum depends on member order: Java's follows HashMap
        // iteration (consumer2 there), kafkit's member-id order (consumer1), so the result is
        // Java's mirrored.
        for kind in KINDS {
            let both = ["topic1", "topic2"];
            let members = group([
                kind.sub("consumer1", &both, &tps(&[("topic1", 0), ("topic2", 0)]), 1),
                kind.sub("consumer2", &both, &tps(&[("topic1", 1), ("topic2", 1)]), 1),
                kind.sub("consumer3", &both, &[], 1),
            ]);
            let (first, last) = kind.run(&counts(&[("topic1", 2), ("topic2", 2)]), &members);
            assert_eq!(last["consumer1"], sorted(&[("topic1", 0), ("topic2", 0)]));
            assert_eq!(last["consumer2"], sorted(&[("topic1", 1)]));
            assert_eq!(last["consumer3"], sorted(&[("topic2", 1)]));
            if kind == Kind::Cooperative {
                // topic2-1 is revoked from consumer2 first, and only then given to consumer3.
                assert!(first["consumer3"].is_empty());
                assert_eq!(first["consumer2"], sorted(&[("topic1", 1)]));
            } else {
                assert_eq!(first, last);
            }
        }
    }

    #[test]
    fn all_consumers_are_under_min_quota() {
        for kind in KINDS {
            let both = ["topic1", "topic2"];
            let members = group([
                kind.sub("consumer1", &both, &tps(&[("topic1", 0)]), 1),
                kind.sub("consumer2", &both, &tps(&[("topic1", 1)]), 1),
                kind.sub("consumer3", &both, &[], 1),
            ]);
            let (first, last) = kind.run(&counts(&[("topic1", 2), ("topic2", 3)]), &members);
            assert_eq!(first, last);
            assert_eq!(last["consumer1"], sorted(&[("topic1", 0), ("topic2", 1)]));
            assert_eq!(last["consumer2"], sorted(&[("topic1", 1), ("topic2", 2)]));
            assert_eq!(last["consumer3"], sorted(&[("topic2", 0)]));
        }
    }

    #[test]
    fn add_remove_consumer_one_topic() {
        for kind in KINDS {
            let counts = counts(&[("topic", 3)]);
            let (a, _) = kind.run(&counts, &group([member("consumer1", &["topic"])]));
            assert_eq!(a["consumer1"], sorted(&[("topic", 0), ("topic", 1), ("topic", 2)]));

            let members = group([
                kind.sub("consumer1", &["topic"], &a["consumer1"], 1),
                kind.sub("consumer2", &["topic"], &[], 1),
            ]);
            let (first, last) = kind.run(&counts, &members);
            if kind == Kind::Cooperative {
                assert!(first["consumer2"].is_empty(), "topic-2 must be revoked first: {first:?}");
            }
            assert_eq!(last["consumer1"], sorted(&[("topic", 0), ("topic", 1)]));
            assert_eq!(last["consumer2"], sorted(&[("topic", 2)]));

            let members = group([kind.sub("consumer2", &["topic"], &last["consumer2"], 1)]);
            let (first, last) = kind.run(&counts, &members);
            assert_eq!(first, last);
            assert_eq!(last["consumer2"], sorted(&[("topic", 0), ("topic", 1), ("topic", 2)]));
        }
    }

    #[test]
    fn topic_balance_after_reassignment() {
        for kind in KINDS {
            let all = ["topic1", "topic2"];
            let counts = counts(&[("topic1", 12), ("topic2", 12)]);
            let per_topic = |a: &Assignment, expected: usize| {
                for partitions in a.values() {
                    for topic in all {
                        assert_eq!(partitions.iter().filter(|p| &*p.topic == topic).count(), expected, "{a:?}");
                    }
                }
            };
            let (_, a) = kind.run(&counts, &group([member("consumer1", &all)]));
            per_topic(&a, 12);
            let (_, a) = kind.run(
                &counts,
                &group([kind.sub("consumer1", &all, &a["consumer1"], 1), kind.sub("consumer2", &all, &[], 1)]),
            );
            per_topic(&a, 6);
            let (_, a) = kind.run(
                &counts,
                &group([
                    kind.sub("consumer1", &all, &a["consumer1"], 1),
                    kind.sub("consumer2", &all, &a["consumer2"], 1),
                    kind.sub("consumer3", &all, &[], 1),
                    kind.sub("consumer4", &all, &[], 1),
                ]),
            );
            per_topic(&a, 3);
            let (first, last) = kind.run(
                &counts,
                &group([
                    kind.sub("consumer3", &all, &a["consumer3"], 1),
                    kind.sub("consumer4", &all, &a["consumer4"], 1),
                ]),
            );
            assert_eq!(first, last);
            per_topic(&last, 6);
        }
    }

    #[test]
    fn add_remove_two_consumers_two_topics() {
        for kind in KINDS {
            let all = ["topic1", "topic2"];
            let counts = counts(&[("topic1", 3), ("topic2", 4)]);
            let (a, _) = kind.run(&counts, &group([member("consumer1", &all), member("consumer2", &all)]));
            assert_eq!(a["consumer1"], sorted(&[("topic1", 0), ("topic1", 2), ("topic2", 1), ("topic2", 3)]));
            assert_eq!(a["consumer2"], sorted(&[("topic1", 1), ("topic2", 0), ("topic2", 2)]));

            let members = group([
                kind.sub("consumer1", &all, &a["consumer1"], 1),
                kind.sub("consumer2", &all, &a["consumer2"], 1),
                kind.sub("consumer3", &all, &[], 1),
                kind.sub("consumer4", &all, &[], 1),
            ]);
            let (first, last) = kind.run(&counts, &members);
            if kind == Kind::Cooperative {
                // Java: partitionsTransferringOwnership = {topic1-2 → 3, topic2-3 → 3, topic2-2 → 4}.
                assert!(first["consumer3"].is_empty() && first["consumer4"].is_empty(), "{first:?}");
            }
            assert_eq!(last["consumer1"], sorted(&[("topic1", 0), ("topic2", 1)]));
            assert_eq!(last["consumer2"], sorted(&[("topic2", 0), ("topic1", 1)]));
            assert_eq!(last["consumer3"], sorted(&[("topic1", 2), ("topic2", 3)]));
            assert_eq!(last["consumer4"], sorted(&[("topic2", 2)]));

            let members = group([
                kind.sub("consumer3", &all, &last["consumer3"], 1),
                kind.sub("consumer4", &all, &last["consumer4"], 1),
            ]);
            let (first, last) = kind.run(&counts, &members);
            assert_eq!(first, last);
            assert_eq!(last["consumer3"], sorted(&[("topic1", 2), ("topic2", 3), ("topic1", 0), ("topic2", 1)]));
            assert_eq!(last["consumer4"], sorted(&[("topic2", 2), ("topic1", 1), ("topic2", 0)]));
        }
    }

    #[test]
    fn poor_round_robin_scenario_is_balanced() {
        for kind in KINDS {
            let counts: BTreeMap<String, i32> = (1..=5).map(|i| (format!("topic{i}"), i % 2 + 1)).collect();
            let all = ["topic1", "topic2", "topic3", "topic4", "topic5"];
            let odd = ["topic1", "topic3", "topic5"];
            let members = group([
                member("consumer1", &all),
                member("consumer2", &odd),
                member("consumer3", &odd),
                member("consumer4", &all),
            ]);
            let (_, a) = kind.run(&counts, &members);
            assert!(is_fully_balanced(&a), "{a:?}");
        }
    }

    #[test]
    fn add_remove_topic_two_consumers() {
        for kind in KINDS {
            let mut counts = counts(&[("topic", 3)]);
            let (a1, _) = kind.run(&counts, &group([member("consumer1", &["topic"]), member("consumer2", &["topic"])]));
            assert!(is_fully_balanced(&a1));

            counts.insert("topic2".into(), 3);
            let both = ["topic", "topic2"];
            let members = group([
                kind.sub("consumer1", &both, &a1["consumer1"], 1),
                kind.sub("consumer2", &both, &a1["consumer2"], 1),
            ]);
            let (first, a2) = kind.run(&counts, &members);
            assert_eq!(first, a2);
            assert_eq!((a2["consumer1"].len(), a2["consumer2"].len()), (3, 3));
            assert!(set(&a2["consumer1"]).is_superset(&set(&a1["consumer1"])));
            assert!(set(&a2["consumer2"]).is_superset(&set(&a1["consumer2"])));

            counts.remove("topic");
            let members = group([
                kind.sub("consumer1", &["topic2"], &a2["consumer1"], 1),
                kind.sub("consumer2", &["topic2"], &a2["consumer2"], 1),
            ]);
            let (first, a3) = kind.run(&counts, &members);
            assert_eq!(first, a3);
            assert!(is_fully_balanced(&a3));
            assert!(set(&a2["consumer1"]).is_superset(&set(&a3["consumer1"])));
            assert!(set(&a2["consumer2"]).is_superset(&set(&a3["consumer2"])));
        }
    }

    /// Partitions of `before` that a member still in `after` kept.
    fn kept(before: &Assignment, after: &Assignment) -> usize {
        after.iter().map(|(id, now)| before.get(id).map_or(0, |was| set(was).intersection(&set(now)).count())).sum()
    }

    #[test]
    fn reassignment_after_one_consumer_leaves() {
        for kind in KINDS {
            let name = |prefix: &str, i: usize| format!("{prefix}{i:02}");
            let counts: BTreeMap<String, i32> = (1..20).map(|i| (name("topic", i), i as i32)).collect();
            let topics_of = |i: usize| (1..=i).map(|j| name("topic", j)).collect::<Vec<_>>();
            let members: BTreeMap<String, MemberSubscription> = (1..20)
                .map(|i| {
                    let topics = topics_of(i);
                    let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
                    (name("consumer", i), member(&name("consumer", i), &topics))
                })
                .collect();
            let (_, a) = kind.run(&counts, &members);
            let mut next: BTreeMap<String, MemberSubscription> = BTreeMap::new();
            for (id, m) in &members {
                if id != "consumer10" {
                    let topics: Vec<&str> = m.topics.iter().map(String::as_str).collect();
                    next.insert(id.clone(), kind.sub(id, &topics, &a[id], 1));
                }
            }
            let (_, b) = kind.run(&counts, &next);
            // Everything the others had stays with them, but what balance needs to move.
            let survivors: usize = a.iter().filter(|(id, _)| *id != "consumer10").map(|(_, p)| p.len()).sum();
            assert!(kept(&a, &b) * 10 >= survivors * 9, "kept {} of {survivors}", kept(&a, &b));
        }
    }

    #[test]
    fn reassignment_after_one_consumer_added() {
        for kind in KINDS {
            let counts = counts(&[("topic", 20)]);
            let ids: Vec<String> = (1..10).map(|i| format!("consumer{i:02}")).collect();
            let (_, a) = kind.run(&counts, &group(ids.iter().map(|id| member(id, &["topic"]))));
            let members = group(ids.iter().map(|id| kind.sub(id, &["topic"], &a[id], 1)).chain([kind.sub(
                "consumer10",
                &["topic"],
                &[],
                1,
            )]));
            let (_, b) = kind.run(&counts, &members);
            assert!(is_fully_balanced(&b));
            // 20 partitions over 10: two each; the 9 old members had 2 or 3 and give up only
            // their third.
            assert_eq!(kept(&a, &b), 18, "{a:?} → {b:?}");
        }
    }

    #[test]
    fn stickiness_when_the_leader_leaves() {
        for kind in KINDS {
            let counts = counts(&[("topic1", 3)]);
            let ids = ["consumer1", "consumer2", "consumer3", "consumer4"];
            let (_, a) = kind.run(&counts, &group(ids.iter().map(|id| member(id, &["topic1"]))));
            assert!(a.values().all(|p| p.len() <= 1));
            let members = group(ids[1..].iter().map(|id| kind.sub(id, &["topic1"], &a[*id], 1)));
            let (first, b) = kind.run(&counts, &members);
            assert_eq!(first, b, "nothing moves between remaining members");
            for id in &ids[1..] {
                assert_eq!(b[*id].len(), 1);
                assert!(a[*id].is_empty() || a[*id] == b[*id], "{id} lost its partition");
            }
        }
    }

    #[test]
    fn deleted_topics() {
        for kind in KINDS {
            // testAssignmentUpdatedForDeletedTopic: topic2 has no metadata.
            let members = group([member("consumer", &["topic1", "topic2", "topic3"])]);
            let (a, _) = kind.run(&counts(&[("topic1", 1), ("topic3", 100)]), &members);
            assert_eq!(a["consumer"].len(), 101);
            // testNoExceptionThrownWhenOnlySubscribedTopicDeleted.
            let members =
                group([kind.sub("consumer", &["topic"], &tps(&[("topic", 0), ("topic", 1), ("topic", 2)]), 1)]);
            let (a, _) = kind.run(&counts(&[]), &members);
            assert_eq!(a.len(), 1);
            assert!(a["consumer"].is_empty());
        }
    }

    #[test]
    fn owned_partitions_of_a_stale_or_unknown_generation_lose() {
        for kind in KINDS {
            for stale in [9, -1] {
                let both = ["topic", "topic2"];
                let claimed = tps(&[("topic", 0), ("topic", 2), ("topic2", 1)]);
                let members =
                    group([kind.sub("consumer1", &both, &claimed, 10), kind.sub("consumer2", &both, &claimed, stale)]);
                let (first, last) = kind.run(&counts(&[("topic", 3), ("topic2", 3)]), &members);
                assert_eq!(set(&first["consumer1"]), set(&claimed), "{kind:?} {stale}");
                assert_eq!(set(&first["consumer2"]), set(&tps(&[("topic", 1), ("topic2", 0), ("topic2", 2)])));
                assert_eq!(first, last);
            }
        }
    }

    #[test]
    fn owned_partitions_with_multiple_generations() {
        for kind in KINDS {
            let both = ["topic", "topic2"];
            let members = group([
                kind.sub("consumer1", &both, &tps(&[("topic", 0), ("topic2", 1), ("topic", 1)]), 10),
                kind.sub("consumer2", &both, &tps(&[("topic", 0), ("topic2", 1), ("topic2", 2)]), 8),
            ]);
            let (first, last) = kind.run(&counts(&[("topic", 3), ("topic2", 3)]), &members);
            assert_eq!(set(&first["consumer1"]), set(&tps(&[("topic", 0), ("topic2", 1), ("topic", 1)])));
            assert_eq!(set(&first["consumer2"]), set(&tps(&[("topic", 2), ("topic2", 2), ("topic2", 0)])));
            assert_eq!(first, last);
        }
    }

    #[test]
    fn partition_claimed_twice_in_one_generation() {
        // testPartitionsTransferringOwnershipIncludeThePartitionClaimedByMultipleConsumersInSameGeneration,
        // and CooperativeStickyAssignorTest's testAllConsumersHaveOwnedPartitionInvalidated...
        for kind in KINDS {
            for (partitions, c1) in [(3, vec![("topic", 1)]), (4, vec![("topic", 1), ("topic", 3)])] {
                let members = group([
                    kind.sub("consumer1", &["topic"], &tps(&[("topic", 0), ("topic", 1)]), 1),
                    kind.sub("consumer2", &["topic"], &tps(&[("topic", 0), ("topic", 2)]), 1),
                    kind.sub("consumer3", &["topic"], &[], 1),
                ]);
                let (first, last) = kind.run(&counts(&[("topic", partitions)]), &members);
                assert_eq!(first["consumer1"], sorted(&c1));
                assert_eq!(first["consumer2"], sorted(&[("topic", 2)]));
                if kind == Kind::Cooperative {
                    // topic-0 is "owned" by both: nobody gets it until both revoked it.
                    assert!(first["consumer3"].is_empty());
                } else {
                    assert_eq!(first["consumer3"], sorted(&[("topic", 0)]));
                }
                assert_eq!(last["consumer3"], sorted(&[("topic", 0)]));
                assert!(is_fully_balanced(&last));
            }
        }
    }

    #[test]
    fn partitions_go_to_the_highest_generation() {
        for kind in KINDS {
            let all = ["topic", "topic2", "topic3"];
            let members = group([
                kind.sub("consumer1", &all, &tps(&[("topic", 0), ("topic2", 0), ("topic3", 0)]), 10),
                kind.sub("consumer2", &all, &tps(&[("topic", 1), ("topic2", 1), ("topic3", 1)]), 9),
                kind.sub("consumer3", &all, &tps(&[("topic2", 1), ("topic3", 0), ("topic3", 2)]), 8),
            ]);
            let (first, last) = kind.run(&counts(&[("topic", 3), ("topic2", 3), ("topic3", 3)]), &members);
            assert_eq!(first, last);
            assert_eq!(last["consumer1"], sorted(&[("topic", 0), ("topic2", 0), ("topic3", 0)]));
            assert_eq!(last["consumer2"], sorted(&[("topic", 1), ("topic2", 1), ("topic3", 1)]));
            assert_eq!(last["consumer3"], sorted(&[("topic", 2), ("topic2", 2), ("topic3", 2)]));
        }
    }

    #[test]
    fn no_reassignment_on_current_members() {
        for kind in KINDS {
            let all = ["topic", "topic2", "topic3", "topic1"];
            let members = group([
                kind.sub("consumer1", &all, &[], -1),
                kind.sub("consumer2", &all, &tps(&[("topic", 0), ("topic2", 0), ("topic1", 0)]), 9),
                kind.sub("consumer3", &all, &tps(&[("topic3", 2), ("topic2", 2), ("topic1", 1)]), 8),
                kind.sub("consumer4", &all, &tps(&[("topic3", 1), ("topic", 1), ("topic", 2)]), 7),
            ]);
            let (first, last) =
                kind.run(&counts(&[("topic", 3), ("topic1", 3), ("topic2", 3), ("topic3", 3)]), &members);
            assert_eq!(first, last);
            assert_eq!(last["consumer1"], sorted(&[("topic1", 2), ("topic2", 1), ("topic3", 0)]));
            assert!(is_fully_balanced(&last));
        }
    }

    #[test]
    fn cooperative_accepts_consumer_protocol_v1_members() {
        // CooperativeStickyAssignorTest.testAssignorWithOldVersionSubscriptions: v1 members send
        // owned partitions, and the generation only in the user data.
        let v1 = |id: &str, owned: &[(&str, i32)]| MemberSubscription {
            owned_partitions: tps(owned),
            user_data: Some(encode_generation(1)),
            ..member(id, &["topic1"])
        };
        let members = group([
            v1("consumer1", &[("topic1", 0)]),
            v1("consumer2", &[("topic1", 1)]),
            Kind::Cooperative.sub("consumer3", &["topic1"], &[], 1),
        ]);
        let (first, last) = Kind::Cooperative.run(&counts(&[("topic1", 3)]), &members);
        assert_eq!(first, last);
        assert_eq!(last["consumer1"], sorted(&[("topic1", 0)]));
        assert_eq!(last["consumer2"], sorted(&[("topic1", 1)]));
        assert_eq!(last["consumer3"], sorted(&[("topic1", 2)]));
    }

    #[test]
    fn eager_sticky_with_multiple_generations() {
        // StickyAssignorTest.testAssignmentWithMultipleGenerations1, both subscription shapes.
        for equal in [true, false] {
            let all = ["topic", "topic2"];
            let c2_topics: &[&str] = if equal { &all } else { &["topic"] };
            let counts = counts(&[("topic", 6), ("topic2", 6)]);
            let kind = Kind::Eager;
            let (_, r1) = kind.run(
                &counts,
                &group([member("consumer1", &all), member("consumer2", c2_topics), member("consumer3", &all)]),
            );
            assert!(r1.values().all(|p| p.len() == 4), "{r1:?}");

            let (_, r2) = kind.run(
                &counts,
                &group([
                    kind.sub("consumer1", &all, &r1["consumer1"], 1),
                    kind.sub("consumer2", c2_topics, &r1["consumer2"], 1),
                ]),
            );
            assert!(r2.values().all(|p| p.len() == 6), "{r2:?}");
            if equal {
                assert!(set(&r2["consumer1"]).is_superset(&set(&r1["consumer1"])));
            }
            assert!(set(&r2["consumer2"]).is_superset(&set(&r1["consumer2"])));
            assert!(!set(&r2["consumer2"]).is_disjoint(&set(&r1["consumer3"])));

            // consumer3 comes back with its generation-1 partitions; consumer2 has generation 2.
            let (_, r3) = kind.run(
                &counts,
                &group([
                    kind.sub("consumer2", c2_topics, &r2["consumer2"], 2),
                    kind.sub("consumer3", &all, &r1["consumer3"], 1),
                ]),
            );
            assert!(r3.values().all(|p| p.len() == 6), "{r3:?}");
        }
    }

    #[test]
    fn conflicting_previous_generations() {
        // StickyAssignorTest.testAssignmentWithConflictingPreviousGenerations.
        for kind in KINDS {
            for equal in [true, false] {
                let all = ["topic", "topic2", "topic3"];
                let c1_topics: &[&str] = if equal { &all } else { &["topic"] };
                let c2_topics: &[&str] = if equal { &all } else { &["topic", "topic2"] };
                let c1: &[(&str, i32)] = if equal {
                    &[("topic", 0), ("topic", 1), ("topic", 2), ("topic2", 2), ("topic2", 3), ("topic3", 0)]
                } else {
                    &[("topic", 0), ("topic", 1), ("topic", 2), ("topic", 3)]
                };
                let c2 = tps(&[("topic", 0), ("topic", 1), ("topic2", 0), ("topic2", 1), ("topic2", 2), ("topic2", 3)]);
                let c3 = tps(&[("topic", 2), ("topic", 3), ("topic3", 0), ("topic3", 1), ("topic3", 2), ("topic3", 3)]);
                let members = group([
                    kind.sub("consumer1", c1_topics, &tps(c1), 1),
                    kind.sub("consumer2", c2_topics, &c2, 2),
                    kind.sub("consumer3", &all, &c3, 2),
                ]);
                let (first, last) = kind.run(&counts(&[("topic", 4), ("topic2", 4), ("topic3", 4)]), &members);
                assert!(last.values().all(|p| p.len() == 4), "{kind:?} {equal}: {last:?}");
                assert!(set(&c2).is_superset(&set(&first["consumer2"])));
                assert!(set(&c3).is_superset(&set(&first["consumer3"])));
            }
        }
    }

    #[test]
    fn unequal_subscriptions_with_three_generations_claiming_one_partition() {
        // testSubscriptionNotEqualAndAssignSamePartitionWith3Generation.
        for kind in KINDS {
            for generations in [[1, 2, 3], [1, 3, 2], [2, 1, 3], [2, 3, 1], [3, 1, 2], [3, 2, 1]] {
                let members = group([
                    kind.sub("consumer1", &["topic"], &tps(&[("topic", 0), ("topic", 2)]), generations[0]),
                    kind.sub(
                        "consumer2",
                        &["topic"],
                        &tps(&[("topic", 1), ("topic", 2), ("topic", 3)]),
                        generations[1],
                    ),
                    kind.sub(
                        "consumer3",
                        &["topic"],
                        &tps(&[("topic", 2), ("topic", 4), ("topic", 5)]),
                        generations[2],
                    ),
                    kind.sub("consumer4", &["topic1"], &tps(&[("topic1", 0)]), 2),
                ]);
                let (first, last) = kind.run(&counts(&[("topic", 6), ("topic1", 1)]), &members);
                assert!(first.values().all(|p| p.len() <= 2), "{generations:?}: {first:?}");
                assert!(last.values().all(|p| (1..=2).contains(&p.len())), "{generations:?}: {last:?}");
            }
        }
    }

    #[test]
    fn large_unequal_group_is_assigned_in_reasonable_time() {
        // testAssignmentAndGroupWithNonEqualSubscriptionNotTimeout, scaled down for debug
        // builds (Java: 100 topics of 200 partitions, 500 members).
        let kind = Kind::Cooperative;
        let names: Vec<String> = (0..40).map(|i| format!("topic{i:03}")).collect();
        let counts: BTreeMap<String, i32> = names.iter().map(|t| (t.clone(), 100)).collect();
        let (low, high): (Vec<&str>, Vec<&str>) =
            (names[..20].iter().map(String::as_str).collect(), names[20..].iter().map(String::as_str).collect());
        let topics_of = |i: usize| if i.is_multiple_of(4) { &low } else { &high };
        let ids: Vec<String> = (0..200).map(|i| format!("consumer{i:03}")).collect();
        let members = group(ids.iter().enumerate().map(|(i, id)| member(id, topics_of(i))));
        let a = kind.assign(&counts, &members);
        verify_valid_and_balanced(&counts, &members, &a);
        let members = group(ids.iter().enumerate().skip(1).map(|(i, id)| kind.sub(id, topics_of(i), &a[id], 1)));
        let (_, b) = kind.run(&counts, &members);
        verify_valid_and_balanced(&counts, &members, &b);
    }

    #[test]
    fn large_group_with_random_subscriptions_and_members_leaving() {
        // testLargeAssignmentWithMultipleConsumersLeavingAndRandomSubscription, seeded.
        for kind in KINDS {
            let mut rng = fastrand::Rng::with_seed(42);
            let names: Vec<String> = (0..40).map(|i| format!("topic{i:02}")).collect();
            let counts: BTreeMap<String, i32> = names.iter().map(|t| (t.clone(), rng.i32(1..=10))).collect();
            let subscriptions: BTreeMap<String, Vec<&str>> = (0..200)
                .map(|i| {
                    let topics = (0..rng.usize(..20)).map(|_| names[rng.usize(..names.len())].as_str()).collect();
                    (format!("consumer{i:03}"), topics)
                })
                .collect();
            let members = group(subscriptions.iter().map(|(id, topics)| member(id, topics)));
            let (_, a) = kind.run(&counts, &members);
            let mut leaving = BTreeSet::new();
            while leaving.len() < 50 {
                leaving.insert(format!("consumer{:03}", rng.usize(..200)));
            }
            let members = group(
                subscriptions
                    .iter()
                    .filter(|(id, _)| !leaving.contains(*id))
                    .map(|(id, topics)| kind.sub(id, topics, &a[id], 1)),
            );
            let (_, b) = kind.run(&counts, &members);
            // Stickiness: what stayed is mostly where it was.
            let stayed: usize = b.keys().map(|id| a[id].len()).sum();
            assert!(kept(&a, &b) * 10 >= stayed * 8, "{kind:?}: kept {} of {stayed}", kept(&a, &b));
        }
    }

    // ---- properties over random groups -------------------------------------------------------

    /// The partitions each member validly owns, decided independently of the implementation
    /// for claims by at most two members: the newer generation wins, a tie loses.
    fn valid_claims(
        claims: &BTreeMap<String, (Vec<TopicPartition>, i32)>,
    ) -> BTreeMap<String, BTreeSet<TopicPartition>> {
        let mut by_partition: BTreeMap<&TopicPartition, Vec<(&String, i32)>> = BTreeMap::new();
        for (id, (owned, generation)) in claims {
            for p in owned {
                by_partition.entry(p).or_default().push((id, *generation));
            }
        }
        let mut valid: BTreeMap<String, BTreeSet<TopicPartition>> =
            claims.keys().map(|id| (id.clone(), BTreeSet::new())).collect();
        for (p, claimants) in by_partition {
            let winner = match claimants[..] {
                [(id, _)] => Some(id),
                [(a, ga), (b, gb)] if ga != gb => Some(if ga > gb { a } else { b }),
                _ => None,
            };
            if let Some(id) = winner {
                valid.get_mut(id).unwrap().insert(p.clone());
            }
        }
        valid
    }

    fn random_subset<'t>(rng: &mut fastrand::Rng, topics: &[&'t str]) -> Vec<&'t str> {
        loop {
            let subset: Vec<&str> = topics.iter().copied().filter(|_| rng.bool()).collect();
            if !subset.is_empty() {
                return subset;
            }
        }
    }

    #[test]
    fn random_groups_stay_valid_balanced_sticky_and_never_double_assigned() {
        for seed in 0..300 {
            let mut rng = fastrand::Rng::with_seed(seed);
            let topic_names: Vec<String> = (0..rng.usize(1..=5)).map(|t| format!("t{t}")).collect();
            let topics: Vec<&str> = topic_names.iter().map(String::as_str).collect();
            // Some subscribed topics have no metadata.
            let counts: BTreeMap<String, i32> = {
                let mut counts = BTreeMap::new();
                for t in &topics {
                    if rng.u8(..8) != 0 {
                        counts.insert(t.to_string(), rng.i32(1..=9));
                    }
                }
                counts
            };
            let identical = rng.bool();
            let common = random_subset(&mut rng, &topics);
            let subscription =
                |rng: &mut fastrand::Rng| if identical { common.clone() } else { random_subset(rng, &topics) };
            let mut ids: Vec<String> = Vec::new();
            while ids.len() < rng.usize(1..=7) {
                let id = format!("m{}", rng.u16(..1000));
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            let subscriptions: BTreeMap<String, Vec<&str>> =
                ids.iter().map(|id| (id.clone(), subscription(&mut rng))).collect();

            for kind in KINDS {
                let context = format!("seed {seed}, {kind:?}, identical subscriptions: {identical}");
                // Round 1: nobody owns anything.
                let members = group(subscriptions.iter().map(|(id, topics)| member(id, topics)));
                let r1 = kind.assign(&counts, &members);
                verify_valid_and_balanced(&counts, &members, &r1);
                if identical {
                    assert!(is_fully_balanced(&r1), "{context}: {r1:?}");
                }

                // Round 2: some leave, some join; survivors own what they got (generation 5,
                // some a stale 4), a few also claim a partition another owns.
                let mut claims: BTreeMap<String, (Vec<TopicPartition>, i32)> = BTreeMap::new();
                let mut topics2: BTreeMap<String, Vec<&str>> = BTreeMap::new();
                for (id, subscribed) in &subscriptions {
                    if rng.u8(..4) != 0 {
                        let generation = if rng.u8(..5) == 0 { 4 } else { 5 };
                        claims.insert(id.clone(), (r1[id].clone(), generation));
                        let changed = !identical && rng.u8(..4) == 0;
                        topics2.insert(
                            id.clone(),
                            if changed { random_subset(&mut rng, &topics) } else { subscribed.clone() },
                        );
                    }
                }
                for n in 0..rng.usize(0..=2) {
                    let id = format!("new{n}");
                    claims.insert(id.clone(), (Vec::new(), -1));
                    topics2.insert(id, subscription(&mut rng));
                }
                if topics2.is_empty() {
                    continue;
                }
                let claimed_once: Vec<TopicPartition> = {
                    let mut all: Vec<&TopicPartition> = claims.values().flat_map(|(o, _)| o).collect();
                    all.sort();
                    all.into_iter().cloned().collect()
                };
                let claimers: Vec<String> =
                    claims.iter().filter(|(_, (_, g))| *g >= 0).map(|(id, _)| id.clone()).collect();
                for p in claimed_once {
                    if rng.u8(..6) == 0 && !claimers.is_empty() {
                        let thief = &claimers[rng.usize(..claimers.len())];
                        if !claims[thief].0.contains(&p) {
                            claims.get_mut(thief).unwrap().0.push(p);
                        }
                    }
                }
                let members = group(
                    claims.iter().map(|(id, (owned, generation))| kind.sub(id, &topics2[id], owned, *generation)),
                );
                let valid = valid_claims(&claims);
                let r2 = kind.assign(&counts, &members);

                // Never two members; only subscribers; and (cooperative) never to a new owner
                // while someone else still lists it.
                let mut seen = BTreeSet::new();
                for (id, partitions) in &r2 {
                    for p in partitions {
                        assert!(seen.insert(p.clone()), "{context}: {p} twice in {r2:?}");
                        assert!(members[id].topics.iter().any(|t| **t == *p.topic), "{context}");
                        if kind == Kind::Cooperative {
                            let others_list = claims.iter().any(|(other, (owned, _))| other != id && owned.contains(p));
                            assert!(
                                !others_list || valid[id].contains(p),
                                "{context}: {p} to {id} while owned elsewhere"
                            );
                        }
                    }
                }
                if kind == Kind::Eager {
                    verify_valid_and_balanced(&counts, &members, &r2);
                }

                // Stickiness, identical subscriptions: members keep all their valid partitions
                // but what the quotas force out, and the fewest possible move.
                if identical {
                    let group = Group::new(&counts, &members);
                    let total: usize = group.topics.iter().map(|(_, c)| *c as usize).sum();
                    let n = members.len();
                    let (min, max, slots) = (total / n, total.div_ceil(n), total % n);
                    let owned: BTreeMap<&String, BTreeSet<&TopicPartition>> = valid
                        .iter()
                        .map(|(id, v)| (id, v.iter().filter(|p| group.index_partition(p).is_some()).collect()))
                        .collect();
                    let o: Vec<usize> = owned.values().map(BTreeSet::len).collect();
                    let minimum_moves: usize = o.iter().map(|&o| o.saturating_sub(min)).sum::<usize>()
                        - slots.min(o.iter().filter(|&&o| o >= max && max > min).count());
                    let moved: usize =
                        owned.iter().map(|(id, mine)| mine.iter().filter(|p| !r2[*id].contains(p)).count()).sum();
                    assert_eq!(moved, minimum_moves, "{context}: {claims:?} → {r2:?}");
                }

                // Follow-up rebalances settle on a complete, balanced assignment.
                let (_, settled) = kind.run(&counts, &members);
                if identical {
                    assert!(is_fully_balanced(&settled), "{context}: {settled:?}");
                }
            }
        }
    }
}
