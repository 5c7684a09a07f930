//! The group task against the mock cluster: members driven through their [`GroupHandle`] by a
//! small stand-in for the consumer (it polls, handles Revoke/Assign events, and records them).
//!
//! Timeouts are short (session 3 s, heartbeat 100 ms) so that the suite is quick; every wait is
//! bounded by [`LIMIT`] so that a broken behaviour fails instead of hanging.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kafkit_mock::{Fault, GroupState, MockCluster};
use kafkit_protocol::consumer_protocol::ConsumerProtocolSubscription;
use kafkit_protocol::messages::RequestBody;
use kafkit_protocol::{ApiKey, ErrorCode};
use regex::Regex;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::super::assignor::{Assignor, MemberSubscription, RebalanceProtocol};
use super::super::config::ConsumerConfig;
use super::super::types::{OffsetAndMetadata, TopicPartition};
use super::{spawn, GroupCommand, GroupEvent, PollClock, Subscription};
use crate::client::Client;
use crate::error::{Error, Result};

/// The longest any test waits for something to happen.
const LIMIT: Duration = Duration::from_secs(25);

fn tp(t: &str, p: i32) -> TopicPartition {
    TopicPartition::new(t, p)
}

fn tps(t: &str, ps: &[i32]) -> BTreeSet<TopicPartition> {
    ps.iter().map(|p| tp(t, *p)).collect()
}

// ---------------------------------------------------------------------- test assignors

/// Range, as Java's `RangeAssignor` (per topic, consecutive ranges by member id).
#[derive(Debug)]
struct Range;

impl Assignor for Range {
    fn name(&self) -> &str {
        "range"
    }

    fn assign(
        &self,
        counts: &BTreeMap<String, i32>,
        members: &BTreeMap<String, MemberSubscription>,
    ) -> Result<BTreeMap<String, Vec<TopicPartition>>> {
        let mut out: BTreeMap<String, Vec<TopicPartition>> = members.keys().map(|m| (m.clone(), Vec::new())).collect();
        for (topic, n) in counts {
            let subs: Vec<&String> =
                members.iter().filter(|(_, s)| s.topics.contains(topic)).map(|(id, _)| id).collect();
            if subs.is_empty() {
                continue;
            }
            let (per, extra) = (*n / subs.len() as i32, *n % subs.len() as i32);
            let mut p = 0;
            for (i, m) in subs.iter().enumerate() {
                for _ in 0..per + i32::from((i as i32) < extra) {
                    out.get_mut(*m).unwrap().push(tp(topic, p));
                    p += 1;
                }
            }
        }
        Ok(out)
    }
}

/// A small cooperative assignor: balanced, sticky, and never hands a partition to a member
/// while another member still owns it (that member revokes it first; the next rebalance moves
/// it), as the cooperative-sticky assignor behaves.
#[derive(Debug)]
struct Coop;

impl Assignor for Coop {
    fn name(&self) -> &str {
        "coop"
    }

    fn supported_protocols(&self) -> &[RebalanceProtocol] {
        &[RebalanceProtocol::Eager, RebalanceProtocol::Cooperative]
    }

    fn assign(
        &self,
        counts: &BTreeMap<String, i32>,
        members: &BTreeMap<String, MemberSubscription>,
    ) -> Result<BTreeMap<String, Vec<TopicPartition>>> {
        let all: Vec<TopicPartition> = counts.iter().flat_map(|(t, n)| (0..*n).map(move |p| tp(t, p))).collect();
        let ids: Vec<&String> = members.keys().collect();
        let (per, extra) = (all.len() / ids.len(), all.len() % ids.len());
        let quota = |i: usize| per + usize::from(i < extra);
        let mut owner: HashMap<TopicPartition, (&String, i32)> = HashMap::new();
        for (id, m) in members {
            for p in &m.owned_partitions {
                if owner.get(p).is_none_or(|(_, g)| *g < m.generation_id) {
                    owner.insert(p.clone(), (id, m.generation_id));
                }
            }
        }
        let mut out: BTreeMap<String, Vec<TopicPartition>> = ids.iter().map(|m| ((*m).clone(), Vec::new())).collect();
        let mut taken = BTreeSet::new();
        for (i, id) in ids.iter().enumerate() {
            for p in &all {
                if out[*id].len() < quota(i) && owner.get(p).is_some_and(|(o, _)| o == id) {
                    out.get_mut(*id).unwrap().push(p.clone());
                    taken.insert(p.clone());
                }
            }
        }
        for p in all.iter().filter(|p| !taken.contains(*p)) {
            if let Some((i, _)) = ids.iter().enumerate().find(|(i, id)| out[**id].len() < quota(*i)) {
                out.get_mut(ids[i]).unwrap().push(p.clone());
            }
        }
        for (id, parts) in out.iter_mut() {
            parts.retain(|p| owner.get(p).is_none_or(|(o, _)| *o == id));
        }
        Ok(out)
    }
}

fn range() -> Vec<Arc<dyn Assignor>> {
    vec![Arc::new(Range)]
}

fn coop() -> Vec<Arc<dyn Assignor>> {
    vec![Arc::new(Coop)]
}

// ---------------------------------------------------------------------- the stand-in consumer

/// What the stand-in consumer saw.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Revoke(BTreeSet<TopicPartition>, bool),
    Assign(BTreeSet<TopicPartition>),
    Error(Option<ErrorCode>, String),
}

#[derive(Default)]
struct Log {
    seen: Vec<Seen>,
    assigned: BTreeSet<TopicPartition>,
}

/// A group member driven as a consumer would: it polls (every 20 ms while `polling`), and
/// handles events inside "poll" (unless `hold`), answering `done` at once.
struct Member {
    commands: mpsc::UnboundedSender<GroupCommand>,
    log: Arc<Mutex<Log>>,
    polling: Arc<AtomicBool>,
    hold: Arc<AtomicBool>,
    driver: JoinHandle<()>,
}

impl Member {
    async fn start(config: ConsumerConfig, assignors: Vec<Arc<dyn Assignor>>) -> Member {
        let client = Client::connect(config.client.clone()).await.unwrap();
        let handle = spawn(client, Arc::new(config), assignors);
        let log = Arc::new(Mutex::new(Log::default()));
        let polling = Arc::new(AtomicBool::new(true));
        let hold = Arc::new(AtomicBool::new(false));
        let driver =
            tokio::spawn(drive(handle.events, handle.clock.clone(), log.clone(), polling.clone(), hold.clone()));
        Member { commands: handle.commands, log, polling, hold, driver }
    }

    async fn subscribed(config: ConsumerConfig, assignors: Vec<Arc<dyn Assignor>>, topics: &[&str]) -> Member {
        let m = Member::start(config, assignors).await;
        m.subscribe(topics);
        m
    }

    fn subscribe(&self, topics: &[&str]) {
        let topics = topics.iter().map(|t| t.to_string()).collect();
        self.commands.send(GroupCommand::Subscribe(Subscription::Topics(topics))).unwrap();
    }

    fn assigned(&self) -> BTreeSet<TopicPartition> {
        self.log.lock().unwrap().assigned.clone()
    }

    fn seen(&self) -> Vec<Seen> {
        self.log.lock().unwrap().seen.clone()
    }

    fn commit_later(&self, offsets: &[(&str, i32, i64)]) -> oneshot::Receiver<Result<()>> {
        let offsets = offsets.iter().map(|(t, p, o)| (tp(t, *p), OffsetAndMetadata::new(*o))).collect();
        let (reply, rx) = oneshot::channel();
        self.commands.send(GroupCommand::Commit { offsets, reply }).unwrap();
        rx
    }

    async fn commit(&self, offsets: &[(&str, i32, i64)]) -> Result<()> {
        bounded(self.commit_later(offsets)).await
    }

    async fn committed(&self, parts: &[TopicPartition]) -> Result<HashMap<TopicPartition, Option<OffsetAndMetadata>>> {
        let (reply, rx) = oneshot::channel();
        self.commands.send(GroupCommand::FetchCommitted { partitions: parts.to_vec(), reply }).unwrap();
        bounded(rx).await
    }

    async fn close(&self) -> Result<()> {
        let (reply, rx) = oneshot::channel();
        self.commands.send(GroupCommand::Close { reply }).unwrap();
        bounded(rx).await
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

async fn bounded<T>(rx: oneshot::Receiver<Result<T>>) -> Result<T> {
    tokio::time::timeout(LIMIT, rx).await.expect("no answer in time").expect("the group task dropped the reply")
}

async fn drive(
    mut events: mpsc::UnboundedReceiver<GroupEvent>,
    clock: Arc<PollClock>,
    log: Arc<Mutex<Log>>,
    polling: Arc<AtomicBool>,
    hold: Arc<AtomicBool>,
) {
    let mut pending = VecDeque::new();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    loop {
        tokio::select! {
            ev = events.recv() => match ev {
                Some(ev) => pending.push_back(ev),
                None => return,
            },
            _ = tick.tick() => {}
        }
        if !polling.load(Ordering::SeqCst) {
            continue;
        }
        clock.poll();
        if hold.load(Ordering::SeqCst) {
            continue;
        }
        while let Some(ev) = pending.pop_front() {
            let mut log = log.lock().unwrap();
            match ev {
                GroupEvent::Revoke { partitions, lost, done } => {
                    let parts: BTreeSet<TopicPartition> = partitions.into_iter().collect();
                    for p in &parts {
                        assert!(log.assigned.remove(p), "revoked {p}, which was not assigned");
                    }
                    log.seen.push(Seen::Revoke(parts, lost));
                    let _ = done.send(());
                }
                GroupEvent::Assign { partitions, done } => {
                    let parts: BTreeSet<TopicPartition> = partitions.into_iter().collect();
                    for p in &parts {
                        assert!(log.assigned.insert(p.clone()), "assigned {p} twice");
                    }
                    log.seen.push(Seen::Assign(parts));
                    let _ = done.send(());
                }
                GroupEvent::Error(e) => log.seen.push(Seen::Error(e.code(), e.to_string())),
            }
        }
    }
}

/// Waits until `cond` holds (checking every 20 ms), failing the test with `what` after LIMIT.
async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + LIMIT;
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn cluster(brokers: usize) -> MockCluster {
    MockCluster::builder().brokers(brokers).start().await.unwrap()
}

/// A member's settings for the tests: short session and heartbeat.
fn config(cluster: &MockCluster, group: &str) -> ConsumerConfig {
    let mut c = ConsumerConfig::new([cluster.bootstrap()]);
    c.group_id = Some(group.to_string());
    c.session_timeout = Duration::from_secs(3);
    c.heartbeat_interval = Duration::from_millis(100);
    c.max_poll_interval = Duration::from_secs(10);
    c.retry_backoff = Duration::from_millis(50);
    c.default_api_timeout = Duration::from_secs(15);
    c.client.request_timeout = Duration::from_secs(5);
    c
}

/// The member ids the coordinator knows for `group`.
fn member_ids(cluster: &MockCluster, group: &str) -> Vec<String> {
    cluster.group(group).map(|g| g.members.into_iter().map(|m| m.member_id).collect()).unwrap_or_default()
}

fn generation(cluster: &MockCluster, group: &str) -> i32 {
    cluster.group(group).map_or(-1, |g| g.generation_id)
}

/// The broker that answered the last JoinGroup: the group's coordinator.
fn coordinator_of(cluster: &MockCluster) -> i32 {
    cluster.requests_of(ApiKey::JoinGroup).last().expect("a JoinGroup was sent").broker
}

fn commits(cluster: &MockCluster) -> Vec<(i32, kafkit_protocol::messages::OffsetCommitRequest)> {
    cluster
        .requests_of(ApiKey::OffsetCommit)
        .into_iter()
        .filter_map(|r| match r.body {
            RequestBody::OffsetCommit(c) => Some((r.broker, c)),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------------- tests

#[tokio::test]
async fn a_single_member_joins_and_gets_every_partition() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 3).unwrap();
    let a = Member::subscribed(config(&cluster, "g"), range(), &["t"]).await;
    wait_until("a has every partition", || a.assigned() == tps("t", &[0, 1, 2])).await;
    assert_eq!(a.seen(), [Seen::Assign(tps("t", &[0, 1, 2]))]);

    let group = cluster.group("g").unwrap();
    assert_eq!(group.state, GroupState::Stable);
    assert_eq!(group.generation_id, 1);
    assert_eq!(group.protocol.as_deref(), Some("range"));
    assert_eq!(group.members.len(), 1);

    let joins = cluster.requests_of(ApiKey::JoinGroup);
    let RequestBody::JoinGroup(join) = &joins.last().unwrap().body else { unreachable!() };
    assert_eq!(join.protocol_type, "consumer");
    assert_eq!((join.session_timeout_ms, join.rebalance_timeout_ms), (3000, 10_000));
    assert_eq!(join.protocols.len(), 1);
    assert_eq!(&join.protocols[0].metadata[..2], &[0, 3], "consumer protocol v3");
    let (_, sub) = ConsumerProtocolSubscription::from_bytes(join.protocols[0].metadata.clone()).unwrap();
    assert_eq!(sub.topics, ["t"]);
    assert_eq!(sub.generation_id, -1);
    assert_eq!(joins.len(), 2, "MEMBER_ID_REQUIRED, then the join with the given id");

    let syncs = cluster.requests_of(ApiKey::SyncGroup);
    let RequestBody::SyncGroup(sync) = &syncs[0].body else { unreachable!() };
    assert!(syncs[0].header.api_version >= 5);
    assert_eq!((sync.protocol_type.as_deref(), sync.protocol_name.as_deref()), (Some("consumer"), Some("range")));
    assert_eq!(sync.assignments.len(), 1, "the leader assigns");

    // Heartbeats keep the member in the group without any command.
    let before = cluster.requests_of(ApiKey::Heartbeat).len();
    wait_until("more heartbeats", || cluster.requests_of(ApiKey::Heartbeat).len() >= before + 3).await;
    assert_eq!(generation(&cluster, "g"), 1, "no rebalance");
}

#[tokio::test]
async fn two_eager_members_split_with_revoke_then_assign() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 4).unwrap();
    let a = Member::subscribed(config(&cluster, "g"), range(), &["t"]).await;
    wait_until("a has every partition", || a.assigned().len() == 4).await;
    let b = Member::subscribed(config(&cluster, "g"), range(), &["t"]).await;
    wait_until("the partitions are split", || a.assigned().len() == 2 && b.assigned().len() == 2).await;

    let all = tps("t", &[0, 1, 2, 3]);
    assert_eq!(a.assigned().union(&b.assigned()).cloned().collect::<BTreeSet<_>>(), all);
    assert_eq!(a.seen(), [Seen::Assign(all.clone()), Seen::Revoke(all, false), Seen::Assign(a.assigned())]);
    assert_eq!(b.seen(), [Seen::Assign(b.assigned())]);
    assert_eq!(generation(&cluster, "g"), 2);
}

#[tokio::test]
async fn cooperative_rebalance_revokes_only_what_moves_then_rebalances_again() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 4).unwrap();
    let a = Member::subscribed(config(&cluster, "g"), coop(), &["t"]).await;
    let all = tps("t", &[0, 1, 2, 3]);
    wait_until("a has every partition", || a.assigned() == all).await;
    let b = Member::subscribed(config(&cluster, "g"), coop(), &["t"]).await;
    wait_until("the partitions are split", || a.assigned().len() == 2 && b.assigned().len() == 2).await;

    let kept = a.assigned();
    let moved: BTreeSet<TopicPartition> = all.difference(&kept).cloned().collect();
    assert_eq!(b.assigned(), moved);
    // a kept two partitions throughout: only the two that moved were revoked, and nothing was
    // assigned to b while a still owned it.
    let a_seen = a.seen();
    assert_eq!(a_seen[0], Seen::Assign(all));
    assert_eq!(a_seen[1], Seen::Revoke(moved.clone(), false));
    assert!(a_seen[2..].iter().all(|s| *s == Seen::Assign(BTreeSet::new())), "{a_seen:?}");
    let b_seen = b.seen();
    assert_eq!(b_seen.last(), Some(&Seen::Assign(moved)));
    assert!(b_seen[..b_seen.len() - 1].iter().all(|s| *s == Seen::Assign(BTreeSet::new())), "{b_seen:?}");
    // Two rebalances after the first generation: one to revoke, one to hand the partitions over.
    assert_eq!(generation(&cluster, "g"), 3);
    // In the join of the first of them, a claimed the partitions it still owned.
    let joins = cluster.requests_of(ApiKey::JoinGroup);
    let claims: Vec<usize> = joins
        .iter()
        .filter_map(|r| match &r.body {
            RequestBody::JoinGroup(j) => ConsumerProtocolSubscription::from_bytes(j.protocols[0].metadata.clone()).ok(),
            _ => None,
        })
        .map(|(_, s)| s.owned_partitions.iter().map(|t| t.partitions.len()).sum())
        .collect();
    assert!(claims.contains(&4), "a rejoined owning its 4 partitions: {claims:?}");
}

#[tokio::test]
async fn commit_and_fetch_committed_round_trip() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 3).unwrap();
    let a = Member::subscribed(config(&cluster, "g"), range(), &["t"]).await;
    wait_until("a is assigned", || a.assigned().len() == 3).await;

    let (reply, rx) = oneshot::channel();
    let mut offsets = HashMap::new();
    offsets.insert(tp("t", 0), OffsetAndMetadata { offset: 42, metadata: "m".into(), leader_epoch: Some(3) });
    offsets.insert(tp("t", 1), OffsetAndMetadata::new(7));
    a.commands.send(GroupCommand::Commit { offsets, reply }).unwrap();
    bounded(rx).await.unwrap();
    assert_eq!(cluster.committed_offset("g", "t", 0), Some(42));

    let (_, sent) = commits(&cluster).pop().unwrap();
    assert_eq!(sent.generation_id_or_member_epoch, 1);
    assert_eq!(vec![sent.member_id.clone()], member_ids(&cluster, "g"));
    let p0 = sent.topics[0].partitions.iter().find(|p| p.partition_index == 0).unwrap();
    assert_eq!((p0.committed_leader_epoch, p0.committed_metadata.as_deref()), (3, Some("m")));

    let got = a.committed(&[tp("t", 0), tp("t", 1), tp("t", 2)]).await.unwrap();
    assert_eq!(got[&tp("t", 0)], Some(OffsetAndMetadata { offset: 42, metadata: "m".into(), leader_epoch: Some(3) }));
    assert_eq!(got[&tp("t", 1)].as_ref().map(|o| o.offset), Some(7));
    assert_eq!(got[&tp("t", 2)], None);
}

#[tokio::test]
async fn commits_in_flight_are_answered_in_order_and_a_retried_one_does_not_overtake() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 1).unwrap();
    let a = Member::subscribed(config(&cluster, "g"), range(), &["t"]).await;
    wait_until("a is assigned", || a.assigned().len() == 1).await;

    // The first commit fails retriably; the two after it were already sent and succeed, but
    // the last commit must still be the one that counts.
    cluster.inject(Fault::error(ApiKey::OffsetCommit, ErrorCode::COORDINATOR_LOAD_IN_PROGRESS));
    let first = a.commit_later(&[("t", 0, 1)]);
    let second = a.commit_later(&[("t", 0, 2)]);
    let third = a.commit_later(&[("t", 0, 3)]);
    let mut third = std::pin::pin!(third);
    // Not answered before the first.
    assert!(tokio::time::timeout(Duration::from_millis(20), &mut third).await.is_err());
    bounded(first).await.unwrap();
    bounded(second).await.unwrap();
    tokio::time::timeout(LIMIT, third).await.unwrap().unwrap().unwrap();
    assert_eq!(cluster.committed_offset("g", "t", 0), Some(3));
    let sent: Vec<i64> = commits(&cluster).iter().map(|(_, c)| c.topics[0].partitions[0].committed_offset).collect();
    assert_eq!(sent.last(), Some(&3), "{sent:?}");
    assert!(sent.len() >= 4, "the failed commit was retried: {sent:?}");
}

#[tokio::test]
async fn commits_during_a_rebalance() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 2).unwrap();
    let a = Member::subscribed(config(&cluster, "g"), range(), &["t"]).await;
    wait_until("a is assigned", || a.assigned().len() == 2).await;
    let a_id = member_ids(&cluster, "g").pop().unwrap();

    // b joins; a is told to revoke, and commits its positions before answering (as a
    // rebalance listener does): the generation is still valid.
    a.hold.store(true, Ordering::SeqCst);
    let b = Member::subscribed(config(&cluster, "g"), range(), &["t"]).await;
    wait_until("the group is rebalancing", || {
        cluster.group("g").is_some_and(|g| g.state == GroupState::PreparingRebalance)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await; // a's heartbeat learns of it
    a.commit(&[("t", 0, 10)]).await.unwrap();
    assert_eq!(cluster.committed_offset("g", "t", 0), Some(10));

    // While a's JoinGroup is in flight, a commit is refused: commit after the rebalance.
    cluster.inject(Fault::delay(ApiKey::JoinGroup, Duration::from_millis(1500)));
    let joins_of_a = || {
        cluster
            .requests_of(ApiKey::JoinGroup)
            .iter()
            .filter(|r| matches!(&r.body, RequestBody::JoinGroup(j) if j.member_id == a_id))
            .count()
    };
    let before = joins_of_a();
    a.hold.store(false, Ordering::SeqCst);
    wait_until("a rejoins", || joins_of_a() > before).await;
    let err = a.commit(&[("t", 0, 11)]).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::REBALANCE_IN_PROGRESS), "{err}");
    assert!(err.to_string().contains("commit again after the rebalance (poll)"), "{err}");

    wait_until("the partitions are split", || a.assigned().len() == 1 && b.assigned().len() == 1).await;
    let mine = a.assigned().into_iter().next().unwrap();
    a.commit(&[(&mine.topic, mine.partition, 12)]).await.unwrap();
    assert_eq!(cluster.committed_offset("g", &mine.topic, mine.partition), Some(12));
}

#[tokio::test]
async fn illegal_generation_on_commit_fails_it_and_the_member_rejoins() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 2).unwrap();
    let a = Member::subscribed(config(&cluster, "g"), range(), &["t"]).await;
    let all = tps("t", &[0, 1]);
    wait_until("a is assigned", || a.assigned() == all).await;

    cluster.inject(Fault::error(ApiKey::OffsetCommit, ErrorCode::ILLEGAL_GENERATION));
    let err = a.commit(&[("t", 0, 5)]).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::ILLEGAL_GENERATION));
    assert!(err.to_string().contains("rebalanced"), "{err}");
    assert_eq!(cluster.committed_offset("g", "t", 0), None);

    wait_until("a lost its partitions and got them back", || a.seen().len() == 3 && a.assigned() == all).await;
    assert_eq!(a.seen(), [Seen::Assign(all.clone()), Seen::Revoke(all.clone(), true), Seen::Assign(all)]);
    assert_eq!(generation(&cluster, "g"), 2);
    a.commit(&[("t", 0, 5)]).await.unwrap();
    assert_eq!(cluster.committed_offset("g", "t", 0), Some(5));
}

#[tokio::test]
async fn heartbeat_rebalance_in_progress_makes_the_member_rejoin() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 2).unwrap();
    let a = Member::subscribed(config(&cluster, "g"), range(), &["t"]).await;
    let all = tps("t", &[0, 1]);
    wait_until("a is assigned", || a.assigned() == all).await;
    let id = member_ids(&cluster, "g");

    cluster.inject(Fault::error(ApiKey::Heartbeat, ErrorCode::REBALANCE_IN_PROGRESS));
    wait_until("a rejoined", || a.seen().len() == 3).await;
    // Eager: everything revoked (not lost), then assigned again, same member.
    assert_eq!(a.seen(), [Seen::Assign(all.clone()), Seen::Revoke(all.clone(), false), Seen::Assign(all)]);
    assert_eq!(member_ids(&cluster, "g"), id);
    wait_until("a new generation", || generation(&cluster, "g") == 2).await;
}

#[tokio::test]
async fn heartbeat_unknown_member_id_loses_the_partitions() {
    let cluster = MockCluster::builder().start().await.unwrap();
    cluster.create_topic("t", 2).unwrap();
    let a = Member::subscribed(config(&cluster, "g"), range(), &["t"]).await;
    let all = tps("t", &[0, 1]);
    wait_until("a is assigned", || a.assigned() == all).await;
    let old_id = member_ids(&cluster, "g").pop().unwrap();

    cluster.inject(Fault::error(ApiKey::Heartbeat, ErrorCode::UNKNOWN_MEMBER_ID));
    // The coordinator still holds the old id until its session expires; then the new one gets
    // the partitions.
    wait_until("a rejoined", || a.seen().len() == 3).await;
    assert_eq!(a.seen(), [Seen::Assign(all.clone()), Seen::Revoke(all.clone(), true), Seen::Assign(all)]);
    let ids = member_ids(&cluster, "g");
    assert_eq!(ids.len(), 1);
    assert_ne!(ids[0], old_id, "a joined again as a new member");
}

#[tokio::test]
async fn the_coordinator_moves_and_a_commit_in_flight_lands_at_the_new_one() {
    let cluster = cluster(3).await;
    cluster.create_topic("t", 2).unwrap();
    let a = Member::subscribed(config(&cluster, "g"), range(), &["t"]).await;
    wait_until("a is assigned", || a.assigned().len() == 2).await;
    let old = coordinator_of(&cluster);

    // A commit reaches the coordinator, which drops the connection instead of answering (and
    // keeps doing so) until it is stopped: the commit is retried until it lands at the new
    // coordinator.
    cluster.inject(Fault::drop_connection(ApiKey::OffsetCommit).broker(old).times(1000));
    let pending = a.commit_later(&[("t", 0, 21)]);
    wait_until("the commit reached the coordinator", || commits(&cluster).iter().any(|(b, _)| *b == old)).await;
    cluster.stop_broker(old).unwrap();
    bounded(pending).await.unwrap();
    assert_eq!(cluster.committed_offset("g", "t", 0), Some(21));
    let landed: Vec<i32> = commits(&cluster).iter().map(|(b, _)| *b).collect();
    assert!(landed.iter().any(|b| *b != old), "retried at the new coordinator: {landed:?}");

    // The member kept its generation and partitions, and heartbeats at the new coordinator.
    let hb_elsewhere = || cluster.requests_of(ApiKey::Heartbeat).iter().filter(|r| r.broker != old).count();
    let n = hb_elsewhere();
    wait_until("heartbeats at the new coordinator", || hb_elsewhere() >= n + 2).await;
    a.commit(&[("t", 1, 22)]).await.unwrap();
    assert_eq!(cluster.committed_offset("g", "t", 1), Some(22));
    assert_eq!(a.seen(), [Seen::Assign(tps("t", &[0, 1]))]);
    assert_eq!(generation(&cluster, "g"), 1);
}

#[tokio::test]
async fn a_member_that_stops_polling_leaves_and_rejoins_when_it_polls() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 2).unwrap();
    let mut slow = config(&cluster, "g");
    slow.max_poll_interval = Duration::from_millis(1500);
    let a = Member::subscribed(slow, range(), &["t"]).await;
    wait_until("a is assigned", || a.assigned().len() == 2).await;
    let b = Member::subscribed(config(&cluster, "g"), range(), &["t"]).await;
    wait_until("the partitions are split", || a.assigned().len() == 1 && b.assigned().len() == 1).await;
    let a_had = a.assigned();

    // a stops polling: after max.poll.interval it leaves, and b gets everything.
    a.polling.store(false, Ordering::SeqCst);
    wait_until("b has every partition", || b.assigned().len() == 2).await;
    let leaves = cluster.requests_of(ApiKey::LeaveGroup);
    assert_eq!(leaves.len(), 1, "a sent LeaveGroup");
    assert_eq!(member_ids(&cluster, "g").len(), 1);
    // Its events wait for its next poll.
    assert_eq!(a.assigned(), a_had);

    // a polls again: it learns its partitions were lost, and rejoins.
    a.polling.store(true, Ordering::SeqCst);
    wait_until("the partitions are split again", || a.assigned().len() == 1 && b.assigned().len() == 1).await;
    let seen = a.seen();
    assert!(seen.contains(&Seen::Revoke(a_had, true)), "{seen:?}");
    assert_eq!(member_ids(&cluster, "g").len(), 2);
}

#[tokio::test]
async fn a_static_member_keeps_its_assignment_and_the_instance_it_replaced_is_fenced() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 2).unwrap();
    let mut s = config(&cluster, "g");
    s.group_instance_id = Some("instance-1".into());
    let s1 = Member::subscribed(s.clone(), range(), &["t"]).await;
    wait_until("s1 is assigned", || s1.assigned().len() == 2).await;
    let b = Member::subscribed(config(&cluster, "g"), range(), &["t"]).await;
    wait_until("the partitions are split", || s1.assigned().len() == 1 && b.assigned().len() == 1).await;
    let generation_before = generation(&cluster, "g");
    let b_seen = b.seen();

    // The same instance comes back (a restart while the old process hangs): it takes over the
    // static member's slot and assignment, without a rebalance.
    let s2 = Member::subscribed(s, range(), &["t"]).await;
    wait_until("s2 is assigned", || !s2.assigned().is_empty()).await;
    assert_eq!(s2.assigned(), s1.assigned());
    assert_eq!(generation(&cluster, "g"), generation_before);
    assert_eq!(b.seen(), b_seen, "no rebalance for b");

    // The old instance is fenced: a fatal error, and its commits fail with it.
    wait_until("s1 is fenced", || s1.seen().iter().any(|e| matches!(e, Seen::Error(..)))).await;
    let Some(Seen::Error(code, msg)) = s1.seen().into_iter().find(|e| matches!(e, Seen::Error(..))) else {
        unreachable!()
    };
    assert_eq!(code, Some(ErrorCode::FENCED_INSTANCE_ID));
    assert!(msg.contains("group.instance.id"), "{msg}");
    let err = s1.commit(&[("t", 0, 1)]).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::FENCED_INSTANCE_ID));

    // A static member does not send LeaveGroup when it closes.
    s2.close().await.unwrap();
    assert!(cluster.requests_of(ApiKey::LeaveGroup).is_empty());
    assert_eq!(member_ids(&cluster, "g").len(), 2);
}

#[tokio::test]
async fn a_pattern_subscription_picks_up_a_topic_created_later() {
    let cluster = cluster(1).await;
    cluster.create_topic("p-a", 1).unwrap();
    cluster.create_topic("xp-b", 1).unwrap();
    cluster.create_topic("other", 1).unwrap();
    let mut c = config(&cluster, "g");
    c.client.metadata_max_age = Duration::from_millis(300);
    let a = Member::start(c, range()).await;
    a.commands.send(GroupCommand::Subscribe(Subscription::Pattern(Regex::new("p-.*").unwrap()))).unwrap();
    wait_until("a has p-a", || a.assigned() == tps("p-a", &[0])).await;

    cluster.create_topic("p-b", 2).unwrap();
    let want: BTreeSet<TopicPartition> = tps("p-a", &[0]).union(&tps("p-b", &[0, 1])).cloned().collect();
    wait_until("a has p-b too", || a.assigned() == want).await;
    let everything: BTreeSet<TopicPartition> =
        a.seen().iter().flat_map(|s| if let Seen::Assign(p) = s { p.clone() } else { BTreeSet::new() }).collect();
    assert_eq!(everything, want, "xp-b and other never matched");
}

#[tokio::test]
async fn the_leader_rejoins_when_a_subscribed_topic_appears() {
    let cluster = MockCluster::builder().auto_create_topics(false).start().await.unwrap();
    let mut c = config(&cluster, "g");
    c.client.metadata_max_age = Duration::from_millis(300);
    let a = Member::subscribed(c, range(), &["late"]).await;
    wait_until("a is in the group", || a.seen() == [Seen::Assign(BTreeSet::new())]).await;
    cluster.create_topic("late", 2).unwrap();
    wait_until("a has the new topic", || a.assigned() == tps("late", &[0, 1])).await;
    assert_eq!(generation(&cluster, "g"), 2);
}

#[tokio::test]
async fn close_sends_leave_group_and_so_does_dropping_the_handle() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 2).unwrap();
    let a = Member::subscribed(config(&cluster, "g"), range(), &["t"]).await;
    wait_until("a is assigned", || a.assigned().len() == 2).await;
    let id = member_ids(&cluster, "g").pop().unwrap();
    a.close().await.unwrap();
    let leaves = cluster.requests_of(ApiKey::LeaveGroup);
    assert_eq!(leaves.len(), 1);
    let RequestBody::LeaveGroup(leave) = &leaves[0].body else { unreachable!() };
    assert_eq!(leave.members[0].member_id, id);
    assert_eq!(cluster.group("g").unwrap().state, GroupState::Empty);
    assert!(a.commands.send(GroupCommand::Unsubscribe).is_err() || a.commands.is_closed());

    let b = Member::subscribed(config(&cluster, "g2"), range(), &["t"]).await;
    wait_until("b is assigned", || b.assigned().len() == 2).await;
    drop(b);
    wait_until("b left", || cluster.group("g2").is_some_and(|g| g.state == GroupState::Empty)).await;
    assert_eq!(cluster.requests_of(ApiKey::LeaveGroup).len(), 2);
}

#[tokio::test]
async fn unsubscribe_revokes_and_leaves_then_commits_as_a_non_member() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 2).unwrap();
    let a = Member::subscribed(config(&cluster, "g"), range(), &["t"]).await;
    let all = tps("t", &[0, 1]);
    wait_until("a is assigned", || a.assigned() == all).await;
    a.commands.send(GroupCommand::Unsubscribe).unwrap();
    wait_until("a left", || cluster.group("g").is_some_and(|g| g.state == GroupState::Empty)).await;
    assert_eq!(a.seen(), [Seen::Assign(all.clone()), Seen::Revoke(all, false)]);
    assert_eq!(cluster.requests_of(ApiKey::LeaveGroup).len(), 1);

    a.commit(&[("t", 0, 3)]).await.unwrap();
    let (_, sent) = commits(&cluster).pop().unwrap();
    assert_eq!((sent.generation_id_or_member_epoch, sent.member_id.as_str()), (-1, ""));
    assert_eq!(cluster.committed_offset("g", "t", 0), Some(3));

    // And it can subscribe again.
    a.subscribe(&["t"]);
    wait_until("a is assigned again", || a.assigned().len() == 2).await;
}

#[tokio::test]
async fn a_consumer_that_never_subscribes_commits_and_fetches_offsets() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 1).unwrap();
    let a = Member::start(config(&cluster, "manual"), range()).await;
    a.commit(&[("t", 0, 9)]).await.unwrap();
    let (_, sent) = commits(&cluster).pop().unwrap();
    assert_eq!((sent.generation_id_or_member_epoch, sent.member_id.as_str()), (-1, ""));
    let got = a.committed(&[tp("t", 0)]).await.unwrap();
    assert_eq!(got[&tp("t", 0)].as_ref().map(|o| o.offset), Some(9));
    assert!(cluster.requests_of(ApiKey::JoinGroup).is_empty());
}

#[tokio::test]
async fn fatal_join_errors_are_reported_and_fail_later_commands() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 1).unwrap();
    // Below the coordinator's group.min.session.timeout.ms (1 s).
    let mut c = config(&cluster, "g");
    c.session_timeout = Duration::from_millis(500);
    c.heartbeat_interval = Duration::from_millis(100);
    let a = Member::subscribed(c, range(), &["t"]).await;
    wait_until("a failed", || !a.seen().is_empty()).await;
    match &a.seen()[0] {
        Seen::Error(code, msg) => {
            assert_eq!(*code, Some(ErrorCode::INVALID_SESSION_TIMEOUT));
            assert!(msg.contains("session.timeout.ms"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
    let err = a.commit(&[("t", 0, 1)]).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::INVALID_SESSION_TIMEOUT));
    a.close().await.unwrap();

    cluster.inject(Fault::error(ApiKey::JoinGroup, ErrorCode::GROUP_AUTHORIZATION_FAILED));
    let b = Member::subscribed(config(&cluster, "g2"), range(), &["t"]).await;
    wait_until("b failed", || !b.seen().is_empty()).await;
    assert!(
        matches!(&b.seen()[0], Seen::Error(Some(ErrorCode::GROUP_AUTHORIZATION_FAILED), m) if m.contains("READ")),
        "{:?}",
        b.seen()
    );
}

#[tokio::test]
async fn a_commit_waits_for_the_coordinator_and_times_out_with_the_last_error() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 1).unwrap();
    let mut c = config(&cluster, "manual");
    c.default_api_timeout = Duration::from_secs(2);
    let a = Member::start(c, range()).await;
    cluster.inject(Fault::error(ApiKey::FindCoordinator, ErrorCode::COORDINATOR_NOT_AVAILABLE).times(1000));
    let err = a.commit(&[("t", 0, 1)]).await.unwrap_err();
    assert!(matches!(err, Error::TimedOut { .. }), "{err}");
    assert!(err.to_string().contains("COORDINATOR_NOT_AVAILABLE"), "names the last error: {err}");
    cluster.clear_faults();
    a.commit(&[("t", 0, 2)]).await.unwrap();
    assert_eq!(cluster.committed_offset("manual", "t", 0), Some(2));
}
