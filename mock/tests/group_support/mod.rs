//! Helpers for the group coordinator tests (`group_*.rs` include this file as a module): a raw
//! protocol connection, and a group member that speaks JoinGroup/SyncGroup/Heartbeat by hand.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafkit_mock::MockCluster;
use kafkit_protocol::consumer_protocol::{ConsumerProtocolAssignment, ConsumerProtocolSubscription, TopicPartitions};
use kafkit_protocol::header::{read_response, write_request};
use kafkit_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafkit_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafkit_protocol::messages::*;
use kafkit_protocol::ErrorCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Fails a test that waits too long instead of hanging it.
pub const LIMIT: Duration = Duration::from_secs(20);

/// A cluster whose groups accept session timeouts from 10 ms.
pub async fn cluster(brokers: usize) -> MockCluster {
    MockCluster::builder()
        .brokers(brokers)
        .group_session_timeouts(Duration::from_millis(10), Duration::from_secs(60))
        .start()
        .await
        .unwrap()
}

/// A cluster whose new groups wait `delay` for more members before their first rebalance.
pub async fn cluster_with_delay(brokers: usize, delay: Duration) -> MockCluster {
    MockCluster::builder()
        .brokers(brokers)
        .group_session_timeouts(Duration::from_millis(10), Duration::from_secs(60))
        .group_initial_rebalance_delay(delay)
        .start()
        .await
        .unwrap()
}

/// One connection to one broker, sending one request at a time.
pub struct Conn {
    stream: TcpStream,
    correlation_id: i32,
    client_id: String,
}

impl Conn {
    pub async fn connect(addr: SocketAddr, client_id: &str) -> Conn {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Conn { stream, correlation_id: 0, client_id: client_id.to_string() }
    }

    /// Sends `req` at `version` and reads its response.
    pub async fn call<R: Request>(&mut self, version: i16, req: &R) -> R::Response {
        tokio::time::timeout(LIMIT, self.call_unbounded(version, req)).await.expect("no response in time")
    }

    async fn call_unbounded<R: Request>(&mut self, version: i16, req: &R) -> R::Response {
        self.correlation_id += 1;
        let mut buf = BytesMut::new();
        write_request(&mut buf, self.correlation_id, Some(&self.client_id), version, req).unwrap();
        self.stream.write_all(&buf).await.unwrap();
        let mut size = [0u8; 4];
        self.stream.read_exact(&mut size).await.unwrap();
        let mut frame = vec![0u8; i32::from_be_bytes(size) as usize];
        self.stream.read_exact(&mut frame).await.unwrap();
        let (header, body) = read_response::<R>(Bytes::from(frame), version).unwrap();
        assert_eq!(header.correlation_id, self.correlation_id);
        body
    }
}

/// The address of broker `id` (ids start at 1).
pub fn broker_addr(cluster: &MockCluster, id: i32) -> SocketAddr {
    let i = cluster.broker_ids().iter().position(|b| *b == id).unwrap();
    cluster.broker_addrs()[i]
}

/// The coordinator of `group`, asked of broker `ask` (FindCoordinator v3): (node id, address).
pub async fn find_coordinator_via(cluster: &MockCluster, ask: i32, group: &str) -> (i32, SocketAddr) {
    let mut conn = Conn::connect(broker_addr(cluster, ask), "finder").await;
    let resp =
        conn.call(3, &FindCoordinatorRequest { key: group.to_string(), key_type: 0, ..Default::default() }).await;
    assert_eq!(resp.error_code, 0, "FindCoordinator: {resp:?}");
    (resp.node_id, format!("{}:{}", resp.host, resp.port).parse().unwrap())
}

/// The coordinator of `group`.
pub async fn coordinator(cluster: &MockCluster, group: &str) -> (i32, SocketAddr) {
    let first = cluster.broker_ids()[0];
    find_coordinator_via(cluster, first, group).await
}

/// Consumer subscription metadata for `topics`.
pub fn subscription(topics: &[&str]) -> Bytes {
    ConsumerProtocolSubscription { topics: topics.iter().map(|t| t.to_string()).collect(), ..Default::default() }
        .to_bytes(0)
        .unwrap()
}

/// A consumer assignment of `partitions` of `topic`.
pub fn assignment(topic: &str, partitions: &[i32]) -> Bytes {
    ConsumerProtocolAssignment {
        assigned_partitions: vec![TopicPartitions {
            topic: topic.to_string(),
            partitions: partitions.to_vec(),
            ..Default::default()
        }],
        ..Default::default()
    }
    .to_bytes(0)
    .unwrap()
}

/// The partitions of `topic` in an assignment.
pub fn assigned(bytes: &Bytes, topic: &str) -> Vec<i32> {
    let (_, a) = ConsumerProtocolAssignment::from_bytes(bytes.clone()).unwrap();
    a.assigned_partitions.into_iter().filter(|tp| tp.topic == topic).flat_map(|tp| tp.partitions).collect()
}

/// A group member speaking the classic protocol by hand.
pub struct Member {
    pub conn: Conn,
    pub group: String,
    pub client_id: String,
    pub instance_id: Option<String>,
    pub member_id: String,
    pub generation: i32,
    pub leader: String,
    /// The members the last JoinGroup answer listed (the leader's only).
    pub members: Vec<String>,
    pub session_ms: i32,
    pub rebalance_ms: i32,
    pub protocols: Vec<(String, Bytes)>,
    pub version: i16,
}

impl Member {
    /// A consumer of `topics` with the "range" assignor, connected to `addr`.
    pub async fn new(addr: SocketAddr, group: &str, client_id: &str) -> Member {
        Member {
            conn: Conn::connect(addr, client_id).await,
            group: group.to_string(),
            client_id: client_id.to_string(),
            instance_id: None,
            member_id: String::new(),
            generation: -1,
            leader: String::new(),
            members: Vec::new(),
            session_ms: 10_000,
            rebalance_ms: 10_000,
            protocols: vec![("range".to_string(), subscription(&["t"]))],
            version: 9,
        }
    }

    pub fn is_leader(&self) -> bool {
        !self.member_id.is_empty() && self.leader == self.member_id
    }

    pub fn join_request(&self) -> JoinGroupRequest {
        JoinGroupRequest {
            group_id: self.group.clone(),
            session_timeout_ms: self.session_ms,
            rebalance_timeout_ms: self.rebalance_ms,
            member_id: self.member_id.clone(),
            group_instance_id: self.instance_id.clone(),
            protocol_type: "consumer".to_string(),
            protocols: self
                .protocols
                .iter()
                .map(|(name, metadata)| JoinGroupRequestProtocol {
                    name: name.clone(),
                    metadata: metadata.clone(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    /// One JoinGroup; remembers the member id, generation and leader it is given.
    pub async fn join_once(&mut self) -> JoinGroupResponse {
        let req = self.join_request();
        let resp = self.conn.call(self.version, &req).await;
        if resp.error_code == 0 || resp.error_code == ErrorCode::MEMBER_ID_REQUIRED.code() {
            self.member_id = resp.member_id.clone();
        }
        if resp.error_code == 0 {
            self.generation = resp.generation_id;
            self.leader = resp.leader.clone();
            self.members = resp.members.iter().map(|m| m.member_id.clone()).collect();
        }
        resp
    }

    /// JoinGroup, going through MEMBER_ID_REQUIRED if asked; must succeed.
    pub async fn join(&mut self) -> JoinGroupResponse {
        let mut resp = self.join_once().await;
        if resp.error_code == ErrorCode::MEMBER_ID_REQUIRED.code() {
            resp = self.join_once().await;
        }
        assert_eq!(ErrorCode::from_i16(resp.error_code), ErrorCode::NONE, "join of {}: {resp:?}", self.client_id);
        resp
    }

    /// SyncGroup with `assignments` (for the leader) at the member's generation.
    pub async fn sync_with(&mut self, assignments: Vec<(String, Bytes)>) -> SyncGroupResponse {
        let req = SyncGroupRequest {
            group_id: self.group.clone(),
            generation_id: self.generation,
            member_id: self.member_id.clone(),
            group_instance_id: self.instance_id.clone(),
            protocol_type: Some("consumer".to_string()),
            protocol_name: Some(self.protocols[0].0.clone()),
            assignments: assignments
                .into_iter()
                .map(|(member_id, assignment)| SyncGroupRequestAssignment {
                    member_id,
                    assignment,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        self.conn.call(5, &req).await
    }

    /// SyncGroup: the leader gives member i partition i of topic "t"; followers send nothing.
    pub async fn sync(&mut self) -> SyncGroupResponse {
        let assignments = if self.is_leader() {
            self.members.iter().enumerate().map(|(i, m)| (m.clone(), assignment("t", &[i as i32]))).collect()
        } else {
            Vec::new()
        };
        self.sync_with(assignments).await
    }

    pub async fn heartbeat(&mut self) -> ErrorCode {
        let req = HeartbeatRequest {
            group_id: self.group.clone(),
            generation_id: self.generation,
            member_id: self.member_id.clone(),
            group_instance_id: self.instance_id.clone(),
            ..Default::default()
        };
        ErrorCode::from_i16(self.conn.call(4, &req).await.error_code)
    }

    /// Heartbeats (every 5 ms) until the answer is not NONE, and returns it; panics after
    /// [`LIMIT`].
    pub async fn heartbeat_until_told(&mut self) -> ErrorCode {
        let started = std::time::Instant::now();
        loop {
            match self.heartbeat().await {
                ErrorCode::NONE => tokio::time::sleep(Duration::from_millis(5)).await,
                e => return e,
            }
            assert!(started.elapsed() < LIMIT, "{} was never told to rejoin", self.client_id);
        }
    }

    pub async fn leave(&mut self) -> LeaveGroupResponse {
        let req = LeaveGroupRequest {
            group_id: self.group.clone(),
            members: vec![leave_group_request::MemberIdentity {
                member_id: self.member_id.clone(),
                group_instance_id: self.instance_id.clone(),
                ..Default::default()
            }],
            ..Default::default()
        };
        self.conn.call(5, &req).await
    }

    /// Commits `offset` for partitions of topic "t" at the member's generation.
    pub async fn commit(&mut self, partitions: &[(i32, i64)]) -> Vec<ErrorCode> {
        let mut req = commit_request(&self.group, self.generation, &self.member_id, "t", partitions);
        req.group_instance_id = self.instance_id.clone();
        let resp = self.conn.call(9, &req).await;
        resp.topics.iter().flat_map(|t| t.partitions.iter().map(|p| ErrorCode::from_i16(p.error_code))).collect()
    }
}

/// An OffsetCommit request for partitions of one topic.
pub fn commit_request(
    group: &str,
    generation: i32,
    member_id: &str,
    topic: &str,
    partitions: &[(i32, i64)],
) -> OffsetCommitRequest {
    OffsetCommitRequest {
        group_id: group.to_string(),
        generation_id_or_member_epoch: generation,
        member_id: member_id.to_string(),
        topics: vec![offset_commit_request::OffsetCommitRequestTopic {
            name: topic.to_string(),
            partitions: partitions
                .iter()
                .map(|(p, o)| offset_commit_request::OffsetCommitRequestPartition {
                    partition_index: *p,
                    committed_offset: *o,
                    committed_leader_epoch: 3,
                    committed_metadata: Some(format!("m{p}")),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// Two members of `group` on the coordinator, joined and synced: (leader, follower), Stable.
pub async fn stable_pair(cluster: &MockCluster, group: &str) -> (Member, Member) {
    stable_pair_with(cluster, group, |_| {}).await
}

/// Like [`stable_pair`], with `configure` applied to both members before they join.
pub async fn stable_pair_with(cluster: &MockCluster, group: &str, configure: impl Fn(&mut Member)) -> (Member, Member) {
    let (_, addr) = coordinator(cluster, group).await;
    let mut a = Member::new(addr, group, "a").await;
    let mut b = Member::new(addr, group, "b").await;
    configure(&mut a);
    configure(&mut b);
    a.join().await;
    a.sync().await;
    // b joins: a learns of the rebalance from its heartbeat and rejoins.
    let b_join = tokio::spawn(async move {
        b.join().await;
        b
    });
    assert_eq!(a.heartbeat_until_told().await, ErrorCode::REBALANCE_IN_PROGRESS);
    a.join().await;
    let b = b_join.await.unwrap();
    assert_eq!(a.generation, b.generation);
    let (mut leader, mut follower) = if a.is_leader() { (a, b) } else { (b, a) };
    let (l, f) = tokio::join!(leader.sync(), follower.sync());
    assert_eq!(l.error_code, 0);
    assert_eq!(f.error_code, 0);
    (leader, follower)
}
