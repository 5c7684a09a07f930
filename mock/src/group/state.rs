//! One classic group: its members, its [`Phase`] (which drives every decision), its committed
//! offsets, and the transitions of Kafka's classic protocol — join, sync, heartbeat, leave,
//! session and rebalance expiry.
//!
//! Every method runs under the core lock. Requests that must wait (JoinGroup during a
//! rebalance, SyncGroup of a follower) leave a oneshot sender in their member; whoever
//! completes the step answers it.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use bytes::Bytes;
use kafkit_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafkit_protocol::messages::{JoinGroupResponse, SyncGroupResponse};
use kafkit_protocol::ErrorCode;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::coordinator::{new_member_id, next_token, Cx, TimerKind};
use super::{GroupInfo, GroupState, MemberInfo};

/// How long a new member may wait in a rebalance without a heartbeat (Kafka's
/// `NewMemberJoinTimeoutMs`).
const NEW_MEMBER_JOIN_TIMEOUT: Duration = Duration::from_secs(300);

/// Where a JoinGroup answer goes.
pub(super) type JoinWaiter = oneshot::Sender<JoinGroupResponse>;
/// Where a SyncGroup answer goes.
pub(super) type SyncWaiter = oneshot::Sender<SyncGroupResponse>;

/// A JoinGroup or SyncGroup answer: now, or when the group gets there.
pub(super) enum Reply<T> {
    Now(T),
    Later(oneshot::Receiver<T>),
}

/// A JoinGroup error answer.
pub(super) fn join_error(member_id: &str, error: ErrorCode) -> JoinGroupResponse {
    JoinGroupResponse { error_code: error.code(), member_id: member_id.to_string(), ..Default::default() }
}

/// A SyncGroup error answer.
pub(super) fn sync_error(error: ErrorCode) -> SyncGroupResponse {
    SyncGroupResponse { error_code: error.code(), ..Default::default() }
}

/// A committed offset.
#[derive(Debug, Clone)]
pub(super) struct Committed {
    /// The offset.
    pub offset: i64,
    /// The leader epoch the committer saw (-1 if unknown).
    pub leader_epoch: i32,
    /// The committer's metadata (empty if none).
    pub metadata: String,
}

/// What a joining member asks for.
pub(super) struct JoinParams {
    /// Its member id; empty for a new member.
    pub member_id: String,
    /// Its static id, if it is a static member.
    pub group_instance_id: Option<String>,
    /// The client id of the request.
    pub client_id: String,
    /// Already checked against the accepted range.
    pub session_timeout: Duration,
    /// How long a rebalance may wait for it.
    pub rebalance_timeout: Duration,
    /// `"consumer"` for consumers.
    pub protocol_type: String,
    /// The protocols it supports, in its order of preference, with their metadata.
    pub protocols: Vec<(String, Bytes)>,
    /// JoinGroup v4+: an unknown member first gets MEMBER_ID_REQUIRED.
    pub require_known_member_id: bool,
    /// JoinGroup v9+: a static leader rejoining a stable group is told to skip the assignment.
    pub supports_skip_assignment: bool,
}

/// A member of a group.
#[derive(Debug)]
pub(super) struct Member {
    /// The id the coordinator gave it (a static member gets a new one each time it restarts).
    pub member_id: String,
    /// Its static id, if it is a static member.
    pub group_instance_id: Option<String>,
    /// The client id of its JoinGroup.
    pub client_id: String,
    /// How long it may go without a heartbeat.
    pub session_timeout: Duration,
    /// How long a rebalance waits for it to rejoin.
    pub rebalance_timeout: Duration,
    /// The protocols it supports, in its order of preference, with their metadata.
    pub protocols: Vec<(String, Bytes)>,
    /// What the leader assigned to it in the current generation.
    pub assignment: Bytes,
    /// Its parked JoinGroup, if it is waiting for the rebalance to complete.
    pub awaiting_join: Option<JoinWaiter>,
    /// Its parked SyncGroup, if it is waiting for the leader's assignment.
    pub awaiting_sync: Option<SyncWaiter>,
    /// Joined but never got a JoinGroup answer: its session cannot be kept alive by waiting.
    pub is_new: bool,
    /// When its session expires unless refreshed.
    pub deadline: Instant,
    /// The token of its session timer.
    pub timer: u64,
    /// When that timer wakes next.
    pub timer_at: Instant,
}

impl Member {
    fn supports(&self, protocol: &str) -> bool {
        self.protocols.iter().any(|(p, _)| p == protocol)
    }

    fn metadata(&self, protocol: &str) -> Bytes {
        self.protocols.iter().find(|(p, _)| p == protocol).map(|(_, m)| m.clone()).unwrap_or_default()
    }

    /// Whether it joins with exactly the protocols and metadata it has.
    fn matches(&self, protocols: &[(String, Bytes)]) -> bool {
        self.protocols == protocols
    }

    /// Refreshes its session: it expires a session timeout from `now`. If that is sooner than
    /// its timer wakes (a new member's long first deadline, a shorter session timeout), the
    /// timer is replaced.
    fn touch(&mut self, cx: &Cx, group: (&str, u64), now: Instant) {
        self.deadline = now + self.session_timeout;
        if self.deadline < self.timer_at {
            self.timer = next_token();
            self.timer_at = self.deadline;
            cx.start_timer(group.0, group.1, TimerKind::Session, self.timer, self.deadline);
        }
    }

    /// Answers its parked JoinGroup, if any.
    fn answer_join(&mut self, resp: JoinGroupResponse) {
        if let Some(tx) = self.awaiting_join.take() {
            let _ = tx.send(resp);
        }
    }

    /// Answers its parked SyncGroup, if any; whether there was one.
    fn answer_sync(&mut self, resp: SyncGroupResponse) -> bool {
        match self.awaiting_sync.take() {
            Some(tx) => {
                let _ = tx.send(resp);
                true
            }
            None => false,
        }
    }
}

/// The rebalance of a group in PreparingRebalance.
#[derive(Debug)]
pub(super) struct Rebalance {
    /// The token of its timer.
    timer: u64,
    /// When it completes even if members have not rejoined.
    deadline: Instant,
    /// Set while the initial delay of a new group runs: the join does not complete before the
    /// deadline, which moves on while members keep arriving.
    initial: Option<InitialDelay>,
}

#[derive(Debug)]
struct InitialDelay {
    /// How much the deadline may still be pushed back (the rebalance timeout left).
    remaining: Duration,
    /// A member joined since the deadline was last set.
    new_member_added: bool,
}

/// The SyncGroup requests still expected in a generation.
#[derive(Debug)]
pub(super) struct SyncWait {
    /// Members that have not sent their SyncGroup yet.
    pending: HashSet<String>,
    /// The token of the timer that removes them.
    timer: u64,
}

/// A group's state, with the data that only exists in that state.
#[derive(Debug)]
pub(super) enum Phase {
    /// No members.
    Empty,
    /// Waiting for members to (re)join.
    PreparingRebalance(Rebalance),
    /// Joined; waiting for the leader's SyncGroup.
    CompletingRebalance(SyncWait),
    /// Assigned.
    Stable(SyncWait),
}

/// A classic group.
#[derive(Debug)]
pub(super) struct Group {
    /// The group id.
    pub id: String,
    /// Tells this group from an earlier one of the same id (deleted since).
    pub uid: u64,
    /// Its state, which drives every decision.
    pub phase: Phase,
    /// Bumped each time a join completes.
    pub generation: i32,
    /// Set by the first member; kept when the group empties.
    pub protocol_type: Option<String>,
    /// The protocol chosen for the current generation.
    pub protocol: Option<String>,
    /// The leader's member id.
    pub leader: Option<String>,
    /// The members, in join order.
    pub members: Vec<Member>,
    /// Member ids handed out with MEMBER_ID_REQUIRED, with the token of their expiry timer.
    pub pending: BTreeMap<String, u64>,
    /// Committed offsets: topic → partition → offset.
    pub offsets: BTreeMap<String, BTreeMap<i32, Committed>>,
}

impl Group {
    pub fn new(id: &str) -> Self {
        Group {
            id: id.to_string(),
            uid: next_token(),
            phase: Phase::Empty,
            generation: 0,
            protocol_type: None,
            protocol: None,
            leader: None,
            members: Vec::new(),
            pending: BTreeMap::new(),
            offsets: BTreeMap::new(),
        }
    }

    pub fn state(&self) -> GroupState {
        match self.phase {
            Phase::Empty => GroupState::Empty,
            Phase::PreparingRebalance(_) => GroupState::PreparingRebalance,
            Phase::CompletingRebalance(_) => GroupState::CompletingRebalance,
            Phase::Stable(_) => GroupState::Stable,
        }
    }

    pub fn member(&self, id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.member_id == id)
    }

    pub fn member_mut(&mut self, id: &str) -> Option<&mut Member> {
        self.members.iter_mut().find(|m| m.member_id == id)
    }

    fn index_of(&self, id: &str) -> Option<usize> {
        self.members.iter().position(|m| m.member_id == id)
    }

    /// The member id a static member currently has.
    pub fn static_member(&self, instance_id: &str) -> Option<&str> {
        self.members.iter().find(|m| m.group_instance_id.as_deref() == Some(instance_id)).map(|m| m.member_id.as_str())
    }

    fn is_leader(&self, id: &str) -> bool {
        self.leader.as_deref() == Some(id)
    }

    /// The longest rebalance timeout of the members.
    fn rebalance_timeout(&self) -> Duration {
        self.members.iter().map(|m| m.rebalance_timeout).max().unwrap_or_default()
    }

    /// The members and their metadata for the chosen protocol (the leader's JoinGroup answer).
    fn member_metadata(&self) -> Vec<JoinGroupResponseMember> {
        let protocol = self.protocol.as_deref().unwrap_or_default();
        self.members
            .iter()
            .map(|m| JoinGroupResponseMember {
                member_id: m.member_id.clone(),
                group_instance_id: m.group_instance_id.clone(),
                metadata: m.metadata(protocol),
                ..Default::default()
            })
            .collect()
    }

    /// A successful JoinGroup answer for the current generation.
    fn join_answer(&self, member_id: &str, members: bool, leader: Option<String>, skip: bool) -> JoinGroupResponse {
        JoinGroupResponse {
            generation_id: self.generation,
            protocol_type: self.protocol_type.clone(),
            protocol_name: self.protocol.clone(),
            leader: leader.unwrap_or_default(),
            skip_assignment: skip,
            member_id: member_id.to_string(),
            members: if members { self.member_metadata() } else { Vec::new() },
            ..Default::default()
        }
    }

    /// Whether a member of `protocol_type` supporting `protocols` may join (Kafka's
    /// `supportsProtocols`: an empty group takes anything; otherwise the type must match and
    /// one of the protocols must be supported by every current member).
    fn supports_protocols(&self, protocol_type: &str, protocols: &[(String, Bytes)]) -> bool {
        match self.phase {
            Phase::Empty => !protocol_type.is_empty() && !protocols.is_empty(),
            _ => {
                self.protocol_type.as_deref() == Some(protocol_type)
                    && protocols.iter().any(|(p, _)| self.members.iter().all(|m| m.supports(p)))
            }
        }
    }

    /// The protocol every member supports that most members prefer (Kafka's vote); ties go to
    /// the protocol the earliest member votes for.
    fn select_protocol(&self) -> Option<String> {
        let first = self.members.first()?;
        let candidates: Vec<&str> = first
            .protocols
            .iter()
            .map(|(p, _)| p.as_str())
            .filter(|p| self.members.iter().all(|m| m.supports(p)))
            .collect();
        let mut votes: Vec<(&str, usize)> = Vec::new();
        for m in &self.members {
            let Some((vote, _)) = m.protocols.iter().find(|(p, _)| candidates.contains(&p.as_str())) else { continue };
            match votes.iter_mut().find(|(p, _)| p == vote) {
                Some((_, n)) => *n += 1,
                None => votes.push((vote.as_str(), 1)),
            }
        }
        let max = votes.iter().map(|(_, n)| *n).max();
        votes
            .iter()
            .find(|(_, n)| Some(*n) == max)
            .map(|(p, _)| p.to_string())
            // No common protocol cannot happen (every join is checked); keep going regardless.
            .or_else(|| first.protocols.first().map(|(p, _)| p.clone()))
    }

    /// Kafka's `validateCurrentMember`: the static id, if given, must map to this member id;
    /// otherwise the member id must be known.
    pub fn validate_member(&self, member_id: &str, instance_id: Option<&str>) -> Result<(), ErrorCode> {
        match instance_id {
            Some(inst) => match self.static_member(inst) {
                Some(current) if current != member_id => Err(ErrorCode::FENCED_INSTANCE_ID),
                Some(_) => Ok(()),
                None => Err(ErrorCode::UNKNOWN_MEMBER_ID),
            },
            None if self.member(member_id).is_none() => Err(ErrorCode::UNKNOWN_MEMBER_ID),
            None => Ok(()),
        }
    }

    // ---------------------------------------------------------------- JoinGroup

    /// A JoinGroup: answers now or parks the request until the rebalance completes.
    pub fn join(&mut self, cx: &Cx, p: JoinParams) -> Reply<JoinGroupResponse> {
        let reply = if p.member_id.is_empty() { self.join_new_member(cx, p) } else { self.join_known_member(cx, p) };
        self.maybe_complete_join(cx);
        reply
    }

    fn join_new_member(&mut self, cx: &Cx, p: JoinParams) -> Reply<JoinGroupResponse> {
        if !self.supports_protocols(&p.protocol_type, &p.protocols) {
            return Reply::Now(join_error("", ErrorCode::INCONSISTENT_GROUP_PROTOCOL));
        }
        let new_id = new_member_id(p.group_instance_id.as_deref().unwrap_or(&p.client_id));
        if let Some(inst) = p.group_instance_id.clone() {
            if let Some(old_id) = self.static_member(&inst).map(str::to_string) {
                return self.replace_static_member(cx, &old_id, new_id, p);
            }
            return self.add_member(cx, new_id, p);
        }
        if p.require_known_member_id {
            let token = next_token();
            self.pending.insert(new_id.clone(), token);
            self.start_timer(cx, TimerKind::Pending(new_id.clone()), token, Instant::now() + p.session_timeout);
            return Reply::Now(join_error(&new_id, ErrorCode::MEMBER_ID_REQUIRED));
        }
        self.add_member(cx, new_id, p)
    }

    fn join_known_member(&mut self, cx: &Cx, p: JoinParams) -> Reply<JoinGroupResponse> {
        if !self.supports_protocols(&p.protocol_type, &p.protocols) {
            return Reply::Now(join_error(&p.member_id, ErrorCode::INCONSISTENT_GROUP_PROTOCOL));
        }
        if self.pending.contains_key(&p.member_id) && p.group_instance_id.is_none() {
            let id = p.member_id.clone();
            return self.add_member(cx, id, p);
        }
        if let Err(e) = self.validate_member(&p.member_id, p.group_instance_id.as_deref()) {
            return Reply::Now(join_error(&p.member_id, e));
        }
        let Some(member) = self.member(&p.member_id) else {
            return Reply::Now(join_error(&p.member_id, ErrorCode::UNKNOWN_MEMBER_ID));
        };
        let same = member.matches(&p.protocols);
        let is_leader = self.is_leader(&p.member_id);
        match self.phase {
            Phase::PreparingRebalance(_) => self.update_member_and_rebalance(cx, p),
            Phase::CompletingRebalance(_) if same => {
                // It missed its JoinGroup answer: the current generation again.
                Reply::Now(self.join_answer(&p.member_id, is_leader, self.leader.clone(), false))
            }
            Phase::Stable(_) if same && !is_leader => {
                Reply::Now(self.join_answer(&p.member_id, false, self.leader.clone(), false))
            }
            // A changed subscription, or the leader asking for a new assignment.
            Phase::CompletingRebalance(_) | Phase::Stable(_) => self.update_member_and_rebalance(cx, p),
            Phase::Empty => Reply::Now(join_error(&p.member_id, ErrorCode::UNKNOWN_MEMBER_ID)),
        }
    }

    fn add_member(&mut self, cx: &Cx, member_id: String, p: JoinParams) -> Reply<JoinGroupResponse> {
        let (tx, rx) = oneshot::channel();
        let now = Instant::now();
        let token = next_token();
        let member = Member {
            member_id: member_id.clone(),
            group_instance_id: p.group_instance_id,
            client_id: p.client_id,
            session_timeout: p.session_timeout,
            rebalance_timeout: p.rebalance_timeout,
            protocols: p.protocols,
            assignment: Bytes::new(),
            awaiting_join: Some(tx),
            awaiting_sync: None,
            is_new: true,
            deadline: now + NEW_MEMBER_JOIN_TIMEOUT,
            timer: token,
            timer_at: now + NEW_MEMBER_JOIN_TIMEOUT,
        };
        if let Phase::PreparingRebalance(Rebalance { initial: Some(init), .. }) = &mut self.phase {
            init.new_member_added = true;
        }
        if self.members.is_empty() {
            self.protocol_type = Some(p.protocol_type);
        }
        if self.leader.is_none() {
            self.leader = Some(member_id.clone());
        }
        self.pending.remove(&member_id);
        self.start_timer(cx, TimerKind::Session, token, member.deadline);
        self.members.push(member);
        self.maybe_prepare_rebalance(cx);
        Reply::Later(rx)
    }

    /// Records a rejoin (new protocols and timeouts, a parked answer) and rebalances.
    fn update_member_and_rebalance(&mut self, cx: &Cx, p: JoinParams) -> Reply<JoinGroupResponse> {
        let Some(member) = self.member_mut(&p.member_id) else {
            return Reply::Now(join_error(&p.member_id, ErrorCode::UNKNOWN_MEMBER_ID));
        };
        let (tx, rx) = oneshot::channel();
        // A JoinGroup it sent before and abandoned (from another connection) is told to rejoin.
        member.answer_join(join_error(&p.member_id, ErrorCode::REBALANCE_IN_PROGRESS));
        member.protocols = p.protocols;
        member.session_timeout = p.session_timeout;
        member.rebalance_timeout = p.rebalance_timeout;
        member.awaiting_join = Some(tx);
        self.maybe_prepare_rebalance(cx);
        Reply::Later(rx)
    }

    /// A static member joins again with no member id: it takes over the old member's slot
    /// (and assignment) under a new id; the old id is fenced.
    fn replace_static_member(
        &mut self,
        cx: &Cx,
        old_id: &str,
        new_id: String,
        p: JoinParams,
    ) -> Reply<JoinGroupResponse> {
        let previous_leader = self.leader.clone();
        let now = Instant::now();
        let Some(i) = self.index_of(old_id) else {
            return Reply::Now(join_error("", ErrorCode::UNKNOWN_MEMBER_ID));
        };
        let m = &mut self.members[i];
        m.answer_join(join_error(old_id, ErrorCode::FENCED_INSTANCE_ID));
        m.answer_sync(sync_error(ErrorCode::FENCED_INSTANCE_ID));
        m.member_id = new_id.clone();
        m.client_id = p.client_id;
        m.session_timeout = p.session_timeout;
        m.touch(cx, (&self.id, self.uid), now);
        let protocols_changed = !m.matches(&p.protocols);
        m.protocols = p.protocols;
        m.session_timeout = p.session_timeout;
        m.rebalance_timeout = p.rebalance_timeout;
        if self.is_leader(old_id) {
            self.leader = Some(new_id.clone());
        }
        if let Phase::CompletingRebalance(sync) | Phase::Stable(sync) = &mut self.phase {
            if sync.pending.remove(old_id) {
                sync.pending.insert(new_id.clone());
            }
        }
        match self.phase {
            Phase::Stable(_) if !protocols_changed || self.select_protocol() == self.protocol => {
                // Nothing the assignment depends on changed: no rebalance. The member gets its
                // old assignment with SyncGroup.
                let is_leader = self.is_leader(&new_id);
                Reply::Now(if p.supports_skip_assignment {
                    self.join_answer(&new_id, is_leader, self.leader.clone(), is_leader)
                } else {
                    // Before v9, the old leader id, so that a static leader does not assign.
                    self.join_answer(&new_id, false, previous_leader, false)
                })
            }
            _ => {
                let (tx, rx) = oneshot::channel();
                self.members[i].awaiting_join = Some(tx);
                if let Phase::CompletingRebalance(_) = self.phase {
                    // The leader may be assigning to the old id: start over.
                    self.prepare_rebalance(cx);
                } else {
                    self.maybe_prepare_rebalance(cx);
                }
                Reply::Later(rx)
            }
        }
    }

    fn maybe_prepare_rebalance(&mut self, cx: &Cx) {
        if !matches!(self.phase, Phase::PreparingRebalance(_)) {
            self.prepare_rebalance(cx);
        }
    }

    /// Starts a rebalance: members waiting for their assignment are told to rejoin; the join
    /// completes when every member has rejoined or the rebalance timeout passes (for a new
    /// group, after the initial rebalance delay).
    fn prepare_rebalance(&mut self, cx: &Cx) {
        if let Phase::CompletingRebalance(_) = self.phase {
            for m in &mut self.members {
                m.assignment = Bytes::new();
                m.answer_sync(sync_error(ErrorCode::REBALANCE_IN_PROGRESS));
            }
        }
        let now = Instant::now();
        let timeout = self.rebalance_timeout();
        let delay = cx.config.initial_rebalance_delay;
        let (deadline, initial) = if matches!(self.phase, Phase::Empty) && !delay.is_zero() {
            (now + delay, Some(InitialDelay { remaining: timeout.saturating_sub(delay), new_member_added: false }))
        } else {
            (now + timeout, None)
        };
        let timer = next_token();
        self.phase = Phase::PreparingRebalance(Rebalance { timer, deadline, initial });
        self.start_timer(cx, TimerKind::Rebalance, timer, deadline);
        self.maybe_complete_join(cx);
    }

    /// Completes the join if every member (and every member id handed out) has joined, unless
    /// the initial delay of a new group is running.
    fn maybe_complete_join(&mut self, cx: &Cx) {
        let Phase::PreparingRebalance(rebalance) = &self.phase else { return };
        if rebalance.initial.is_none()
            && self.pending.is_empty()
            && self.members.iter().all(|m| m.awaiting_join.is_some())
        {
            self.complete_join(cx);
        }
    }

    /// Ends PreparingRebalance: dynamic members that did not rejoin are removed, a leader is
    /// chosen among those that did, the generation moves on, and every waiting member is
    /// answered (the leader with the members and their metadata).
    fn complete_join(&mut self, cx: &Cx) {
        self.members.retain(|m| m.awaiting_join.is_some() || m.group_instance_id.is_some());
        if self.leader.as_deref().is_some_and(|l| self.member(l).is_none()) {
            self.leader = self.members.first().map(|m| m.member_id.clone());
        }
        let now = Instant::now();
        if !self.members.is_empty() && self.members.iter().all(|m| m.awaiting_join.is_none()) {
            // Only static members that did not rejoin: wait another rebalance timeout (their
            // sessions expire meanwhile).
            let timer = next_token();
            let deadline = now + self.rebalance_timeout();
            self.phase = Phase::PreparingRebalance(Rebalance { timer, deadline, initial: None });
            self.start_timer(cx, TimerKind::Rebalance, timer, deadline);
            return;
        }
        if self.leader.as_deref().and_then(|l| self.member(l)).is_none_or(|l| l.awaiting_join.is_none()) {
            self.leader = self.members.iter().find(|m| m.awaiting_join.is_some()).map(|m| m.member_id.clone());
        }
        self.generation = self.generation.wrapping_add(1);
        if self.members.is_empty() {
            self.protocol = None;
            self.leader = None;
            self.phase = Phase::Empty;
            return;
        }
        self.protocol = self.select_protocol();
        let timer = next_token();
        let pending = self.members.iter().map(|m| m.member_id.clone()).collect();
        let deadline = now + self.rebalance_timeout();
        self.phase = Phase::CompletingRebalance(SyncWait { pending, timer });
        self.start_timer(cx, TimerKind::Sync, timer, deadline);
        let answers: Vec<JoinGroupResponse> = self
            .members
            .iter()
            .map(|m| self.join_answer(&m.member_id, self.is_leader(&m.member_id), self.leader.clone(), false))
            .collect();
        for (m, answer) in self.members.iter_mut().zip(answers) {
            m.answer_join(answer);
            m.touch(cx, (&self.id, self.uid), now);
            m.is_new = false;
        }
    }

    // ---------------------------------------------------------------- SyncGroup

    /// A SyncGroup (already validated by the caller for member and generation).
    pub fn sync(&mut self, cx: &Cx, member_id: &str, assignments: Vec<(String, Bytes)>) -> Reply<SyncGroupResponse> {
        let now = Instant::now();
        let is_leader = self.is_leader(member_id);
        match &mut self.phase {
            Phase::Empty => Reply::Now(sync_error(ErrorCode::UNKNOWN_MEMBER_ID)),
            Phase::PreparingRebalance(_) => Reply::Now(sync_error(ErrorCode::REBALANCE_IN_PROGRESS)),
            Phase::Stable(sync) => {
                sync.pending.remove(member_id);
                let (protocol_type, protocol_name) = (self.protocol_type.clone(), self.protocol.clone());
                let Some(m) = self.members.iter_mut().find(|m| m.member_id == member_id) else {
                    return Reply::Now(sync_error(ErrorCode::UNKNOWN_MEMBER_ID));
                };
                m.touch(cx, (&self.id, self.uid), now);
                Reply::Now(SyncGroupResponse {
                    protocol_type,
                    protocol_name,
                    assignment: m.assignment.clone(),
                    ..Default::default()
                })
            }
            Phase::CompletingRebalance(sync) => {
                sync.pending.remove(member_id);
                let (tx, rx) = oneshot::channel();
                let Some(m) = self.member_mut(member_id) else {
                    return Reply::Now(sync_error(ErrorCode::UNKNOWN_MEMBER_ID));
                };
                // A SyncGroup it sent before and abandoned is told to rejoin.
                m.answer_sync(sync_error(ErrorCode::REBALANCE_IN_PROGRESS));
                m.awaiting_sync = Some(tx);
                if is_leader {
                    self.set_assignment(cx, assignments, now);
                }
                Reply::Later(rx)
            }
        }
    }

    /// The leader's assignment: stored (members it left out get an empty one), every waiting
    /// member answered; the group is Stable.
    fn set_assignment(&mut self, cx: &Cx, assignments: Vec<(String, Bytes)>, now: Instant) {
        let Phase::CompletingRebalance(sync) = std::mem::replace(&mut self.phase, Phase::Empty) else { return };
        for m in &mut self.members {
            m.assignment =
                assignments.iter().find(|(id, _)| *id == m.member_id).map(|(_, a)| a.clone()).unwrap_or_default();
            let answer = SyncGroupResponse {
                protocol_type: self.protocol_type.clone(),
                protocol_name: self.protocol.clone(),
                assignment: m.assignment.clone(),
                ..Default::default()
            };
            if m.answer_sync(answer) {
                m.touch(cx, (&self.id, self.uid), now);
            }
        }
        self.phase = Phase::Stable(sync);
    }

    // ---------------------------------------------------------------- Heartbeat, LeaveGroup

    /// A Heartbeat (already validated for member and generation).
    pub fn heartbeat(&mut self, cx: &Cx, member_id: &str) -> ErrorCode {
        let now = Instant::now();
        let answer = match self.phase {
            Phase::Empty => return ErrorCode::UNKNOWN_MEMBER_ID,
            Phase::PreparingRebalance(_) => ErrorCode::REBALANCE_IN_PROGRESS,
            Phase::CompletingRebalance(_) | Phase::Stable(_) => ErrorCode::NONE,
        };
        match self.members.iter_mut().find(|m| m.member_id == member_id) {
            Some(m) => {
                m.touch(cx, (&self.id, self.uid), now);
                answer
            }
            None => ErrorCode::UNKNOWN_MEMBER_ID,
        }
    }

    /// Refreshes a member's session (an offset commit counts as a heartbeat).
    pub fn touch(&mut self, cx: &Cx, member_id: &str) {
        let now = Instant::now();
        if let Some(m) = self.members.iter_mut().find(|m| m.member_id == member_id) {
            m.touch(cx, (&self.id, self.uid), now);
        }
    }

    /// One member of a LeaveGroup.
    pub fn leave(&mut self, cx: &Cx, member_id: &str, instance_id: Option<&str>) -> ErrorCode {
        if member_id.is_empty() {
            // Removal of a static member by instance id (an admin's, or a static member's own).
            return match instance_id.and_then(|i| self.static_member(i)).map(str::to_string) {
                Some(id) => {
                    self.remove_member(cx, &id);
                    ErrorCode::NONE
                }
                None => ErrorCode::UNKNOWN_MEMBER_ID,
            };
        }
        if self.pending.remove(member_id).is_some() {
            self.maybe_complete_join(cx);
            return ErrorCode::NONE;
        }
        match self.validate_member(member_id, instance_id) {
            Ok(()) => {
                self.remove_member(cx, member_id);
                ErrorCode::NONE
            }
            Err(e) => e,
        }
    }

    /// Removes a member (it left, or its session expired) and rebalances.
    fn remove_member(&mut self, cx: &Cx, member_id: &str) {
        let Some(i) = self.index_of(member_id) else { return };
        let mut m = self.members.remove(i);
        m.answer_join(join_error("", ErrorCode::UNKNOWN_MEMBER_ID));
        m.answer_sync(sync_error(ErrorCode::UNKNOWN_MEMBER_ID));
        if self.is_leader(member_id) {
            self.leader = self.members.first().map(|m| m.member_id.clone());
        }
        match &mut self.phase {
            Phase::Empty => {}
            Phase::PreparingRebalance(_) => self.maybe_complete_join(cx),
            Phase::CompletingRebalance(sync) | Phase::Stable(sync) => {
                sync.pending.remove(member_id);
                self.prepare_rebalance(cx);
            }
        }
    }

    // ---------------------------------------------------------------- timers

    fn start_timer(&self, cx: &Cx, kind: TimerKind, token: u64, at: Instant) {
        cx.start_timer(&self.id, self.uid, kind, token, at);
    }

    /// A timer of this group woke up at `now`: act if it is still current. Returns when to
    /// wake it again, or None when it is done.
    pub fn fire(&mut self, cx: &Cx, kind: &TimerKind, token: u64, now: Instant) -> Option<Instant> {
        match kind {
            TimerKind::Session => {
                let m = self.members.iter_mut().find(|m| m.timer == token)?;
                if now < m.deadline {
                    m.timer_at = m.deadline;
                    return Some(m.deadline);
                }
                if !m.is_new && (m.awaiting_join.is_some() || m.awaiting_sync.is_some()) {
                    // Waiting in a rebalance keeps a member alive.
                    m.deadline = now + m.session_timeout;
                    m.timer_at = m.deadline;
                    return Some(m.deadline);
                }
                let id = m.member_id.clone();
                tracing::debug!(group = %self.id, member = %id, "session expired; removing the member");
                self.remove_member(cx, &id);
                None
            }
            TimerKind::Pending(id) => {
                if self.pending.get(id) == Some(&token) {
                    self.pending.remove(id);
                    self.maybe_complete_join(cx);
                }
                None
            }
            TimerKind::Rebalance => {
                let Phase::PreparingRebalance(r) = &mut self.phase else { return None };
                if r.timer != token {
                    return None;
                }
                if now < r.deadline {
                    return Some(r.deadline);
                }
                if let Some(init) = &mut r.initial {
                    if init.new_member_added && !init.remaining.is_zero() {
                        // Members keep arriving: wait a little more, within the rebalance timeout.
                        let delay = cx.config.initial_rebalance_delay.min(init.remaining);
                        init.remaining = init.remaining.saturating_sub(delay);
                        init.new_member_added = false;
                        r.deadline = now + delay;
                        return Some(r.deadline);
                    }
                }
                self.complete_join(cx);
                None
            }
            TimerKind::Sync => {
                let (Phase::CompletingRebalance(sync) | Phase::Stable(sync)) = &mut self.phase else { return None };
                if sync.timer != token || sync.pending.is_empty() {
                    return None;
                }
                let missing: Vec<String> = sync.pending.drain().collect();
                tracing::debug!(group = %self.id, ?missing, "no SyncGroup in time; removing the members");
                for id in &missing {
                    if let Some(i) = self.index_of(id) {
                        let mut m = self.members.remove(i);
                        m.answer_join(join_error("", ErrorCode::UNKNOWN_MEMBER_ID));
                    }
                }
                if self.leader.as_deref().is_some_and(|l| self.member(l).is_none()) {
                    self.leader = self.members.first().map(|m| m.member_id.clone());
                }
                self.prepare_rebalance(cx);
                None
            }
        }
    }

    /// Its coordinator moved: parked requests are answered NOT_COORDINATOR (the members find
    /// the new coordinator and retry) and sessions restart, as when Kafka loads a group.
    pub fn coordinator_moved(&mut self, cx: &Cx) {
        let now = Instant::now();
        for m in &mut self.members {
            let id = m.member_id.clone();
            m.answer_join(join_error(&id, ErrorCode::NOT_COORDINATOR));
            m.answer_sync(sync_error(ErrorCode::NOT_COORDINATOR));
            m.touch(cx, (&self.id, self.uid), now);
        }
    }

    // ---------------------------------------------------------------- introspection

    pub fn info(&self) -> GroupInfo {
        GroupInfo {
            group_id: self.id.clone(),
            state: self.state(),
            generation_id: self.generation,
            protocol_type: self.protocol_type.clone(),
            protocol: self.protocol.clone(),
            leader: self.leader.clone(),
            members: self
                .members
                .iter()
                .map(|m| MemberInfo {
                    member_id: m.member_id.clone(),
                    group_instance_id: m.group_instance_id.clone(),
                    client_id: m.client_id.clone(),
                    metadata: match &self.protocol {
                        Some(p) => m.metadata(p),
                        None => m.protocols.first().map(|(_, md)| md.clone()).unwrap_or_default(),
                    },
                    assignment: m.assignment.clone(),
                })
                .collect(),
        }
    }
}
