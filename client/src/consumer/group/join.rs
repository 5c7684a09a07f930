//! Joining a generation: the consumer-protocol payloads (a member's subscription, the leader's
//! assignments), the JoinGroup and SyncGroup exchanges, and the leader's assignment.
//!
//! The payloads are written at consumer-protocol v3, the highest version, as the Java client
//! writes them (`ConsumerProtocol.serializeSubscription`/`serializeAssignment` at
//! `HIGHEST_SUPPORTED_VERSION`); older members read the layout they know, since newer versions
//! only append fields.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafkit_protocol::consumer_protocol::{
    ConsumerProtocolAssignment, ConsumerProtocolSubscription, TopicPartitions, MAX_VERSION,
};
use kafkit_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafkit_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafkit_protocol::messages::metadata_request::MetadataRequest;
use kafkit_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafkit_protocol::messages::{JoinGroupRequest, JoinGroupResponse, SyncGroupRequest, SyncGroupResponse};
use regex::Regex;

use super::super::assignor::{Assignor, MemberSubscription};
use super::super::types::TopicPartition;
use crate::client::Client;
use crate::connection::Connection;
use crate::error::{Error, ProtocolError, Result};
use crate::metadata::Metadata;

/// The protocol type of consumer groups.
pub(super) const PROTOCOL_TYPE: &str = "consumer";

/// The consumer-protocol version kafkit writes (Java's highest).
pub(super) const CONSUMER_PROTOCOL_VERSION: i16 = MAX_VERSION;

/// How much longer than the rebalance timeout a JoinGroup (or SyncGroup) may wait for its
/// answer: Java's `JOIN_GROUP_TIMEOUT_LAPSE`.
pub(super) const JOIN_TIMEOUT_LAPSE: Duration = Duration::from_secs(5);

/// Why a join or sync step failed, which decides what the group task does next.
#[derive(Debug)]
pub(super) enum StepError {
    /// The request to the coordinator failed (lost connection, timeout, bad answer).
    Request(Error),
    /// Something besides the coordinator failed (a metadata lookup): try the step again after
    /// a backoff.
    Retriable(Error),
    /// The step cannot succeed (an assignor the group chose that this member lacks, a member's
    /// undecodable subscription, an assignor error).
    Fatal(Error),
}

/// The topics and partitions of `parts`, grouped by topic, in topic then partition order.
pub(super) fn group_by_topic<'a>(parts: impl IntoIterator<Item = &'a TopicPartition>) -> Vec<TopicPartitions> {
    let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for tp in parts {
        by_topic.entry(&tp.topic).or_default().push(tp.partition);
    }
    by_topic
        .into_iter()
        .map(|(topic, mut partitions)| {
            partitions.sort_unstable();
            partitions.dedup();
            TopicPartitions { topic: topic.to_string(), partitions, ..Default::default() }
        })
        .collect()
}

/// The partitions of grouped `TopicPartitions`, in order.
pub(super) fn flatten(grouped: &[TopicPartitions]) -> Vec<TopicPartition> {
    let mut out = Vec::new();
    for t in grouped {
        let topic: Arc<str> = Arc::from(t.topic.as_str());
        out.extend(t.partitions.iter().map(|p| TopicPartition { topic: topic.clone(), partition: *p }));
    }
    out
}

/// This member's JoinGroup metadata for one assignor.
pub(super) fn subscription_bytes(
    topics: &[String],
    user_data: Option<Bytes>,
    owned: &[TopicPartition],
    generation: i32,
    rack: Option<&str>,
) -> Result<Bytes> {
    let sub = ConsumerProtocolSubscription {
        topics: topics.to_vec(),
        user_data,
        owned_partitions: group_by_topic(owned),
        generation_id: generation,
        rack_id: rack.map(str::to_string),
        ..Default::default()
    };
    Ok(sub.to_bytes(CONSUMER_PROTOCOL_VERSION)?)
}

/// A member's subscription as the leader reads it from the JoinGroup answer.
pub(super) fn member_subscription(member: &JoinGroupResponseMember, group_id: &str) -> Result<MemberSubscription> {
    let (_, sub) = ConsumerProtocolSubscription::from_bytes(member.metadata.clone()).map_err(|e| {
        Error::Protocol(ProtocolError::Framing(format!(
            "the subscription of member {} of group {group_id} cannot be decoded ({e}); every member of a group \
             must speak the consumer protocol: check the clients that share the group id",
            member.member_id
        )))
    })?;
    Ok(MemberSubscription {
        member_id: member.member_id.clone(),
        group_instance_id: member.group_instance_id.clone(),
        topics: sub.topics,
        user_data: sub.user_data,
        owned_partitions: flatten(&sub.owned_partitions),
        generation_id: sub.generation_id,
        rack_id: sub.rack_id,
    })
}

/// The SyncGroup assignment for one member.
pub(super) fn assignment_bytes(parts: &[TopicPartition]) -> Result<Bytes> {
    let a = ConsumerProtocolAssignment {
        assigned_partitions: group_by_topic(parts),
        user_data: None,
        ..Default::default()
    };
    Ok(a.to_bytes(CONSUMER_PROTOCOL_VERSION)?)
}

/// This member's assignment from the SyncGroup answer: its partitions (in order) and the
/// leader's user data.
pub(super) fn decode_assignment(bytes: Bytes, group_id: &str) -> Result<(Vec<TopicPartition>, Option<Bytes>)> {
    let (_, a) = ConsumerProtocolAssignment::from_bytes(bytes).map_err(|e| {
        Error::Protocol(ProtocolError::Framing(format!(
            "the assignment the leader of group {group_id} sent cannot be decoded ({e}); the leader is not a \
             consumer-protocol client: check the clients that share the group id"
        )))
    })?;
    let mut parts = flatten(&a.assigned_partitions);
    parts.sort();
    parts.dedup();
    Ok((parts, a.user_data))
}

/// The partition counts of those of `topics` that exist in `md` without error (what the leader
/// assigns from and then watches).
pub(super) fn partition_counts<'a>(
    md: &Metadata,
    topics: impl IntoIterator<Item = &'a String>,
) -> BTreeMap<String, i32> {
    topics
        .into_iter()
        .filter_map(|t| {
            let info = md.topic(t)?;
            (info.error.is_ok() && !info.partitions.is_empty())
                .then(|| (t.clone(), i32::try_from(info.partitions.len()).unwrap_or(i32::MAX)))
        })
        .collect()
}

/// `pattern` anchored at both ends, so that it must match a topic's whole name (as Java's
/// `Pattern.matcher(topic).matches()`).
pub(super) fn anchored(pattern: &Regex) -> Regex {
    // Wrapping a valid pattern in a group keeps it valid.
    Regex::new(&format!("^(?:{})$", pattern.as_str())).unwrap_or_else(|_| pattern.clone())
}

/// The topics of `md` whose whole name matches `anchored` (internal topics left out when
/// `exclude_internal`).
pub(super) fn pattern_matches(md: &Metadata, anchored: &Regex, exclude_internal: bool) -> BTreeSet<String> {
    md.topics()
        .filter(|t| !(exclude_internal && t.is_internal) && anchored.is_match(&t.name))
        .map(|t| t.name.clone())
        .collect()
}

/// The metadata of every topic of the cluster (for pattern subscriptions), from any broker.
pub(super) async fn all_topics(client: &Client) -> Result<Arc<Metadata>> {
    let mut ids: Vec<i32> = client.metadata().brokers().map(|b| b.id).collect();
    fastrand::shuffle(&mut ids);
    let request = MetadataRequest { topics: None, allow_auto_topic_creation: false, ..Default::default() };
    let mut failures = Vec::new();
    for id in ids {
        let result = match client.connection(id).await {
            Ok(conn) => conn.send(&request).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(resp) => return Ok(Arc::new(Metadata::from_response(&resp))),
            Err(e) => failures.push((format!("broker {id}"), e)),
        }
    }
    Err(Error::NoBrokerAvailable(failures))
}

/// What a member subscribes to when it joins.
#[derive(Debug, Clone)]
pub(super) enum JoinTopics {
    /// These topics.
    Topics(BTreeSet<String>),
    /// The topics matching this (anchored) pattern in fresh metadata.
    Pattern { anchored: Regex, exclude_internal: bool },
}

/// Everything a JoinGroup needs.
pub(super) struct JoinParams {
    pub conn: Connection,
    pub client: Client,
    pub group_id: String,
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub session_timeout: Duration,
    pub rebalance_timeout: Duration,
    pub request_timeout: Duration,
    pub topics: JoinTopics,
    pub assignors: Vec<Arc<dyn Assignor>>,
    pub owned: Vec<TopicPartition>,
    pub generation: i32,
    pub rack: Option<String>,
    pub reason: String,
}

/// A JoinGroup answer, with the topics this member joined with.
#[derive(Debug)]
pub(super) struct Joined {
    pub response: JoinGroupResponse,
    pub topics: BTreeSet<String>,
}

fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

/// How long a JoinGroup or SyncGroup may wait: the rebalance timeout and a margin, and never
/// less than the request timeout (Java's `joinGroupTimeoutMs`).
pub(super) fn join_timeout(request_timeout: Duration, rebalance_timeout: Duration) -> Duration {
    request_timeout.max(rebalance_timeout.saturating_add(JOIN_TIMEOUT_LAPSE))
}

/// Sends a JoinGroup (after matching a pattern subscription against fresh metadata, as Java
/// does before each join) and returns the coordinator's answer, whatever its error code.
pub(super) async fn join(p: JoinParams) -> std::result::Result<Joined, StepError> {
    let topics = match &p.topics {
        JoinTopics::Topics(t) => t.clone(),
        JoinTopics::Pattern { anchored, exclude_internal } => {
            let md = all_topics(&p.client).await.map_err(StepError::Retriable)?;
            pattern_matches(&md, anchored, *exclude_internal)
        }
    };
    let list: Vec<String> = topics.iter().cloned().collect();
    let mut protocols = Vec::with_capacity(p.assignors.len());
    for a in &p.assignors {
        let user_data = a.subscription_user_data(&list, &p.owned, p.generation);
        let metadata = subscription_bytes(&list, user_data, &p.owned, p.generation, p.rack.as_deref())
            .map_err(StepError::Fatal)?;
        protocols.push(JoinGroupRequestProtocol { name: a.name().to_string(), metadata, ..Default::default() });
    }
    let request = JoinGroupRequest {
        group_id: p.group_id.clone(),
        session_timeout_ms: millis(p.session_timeout),
        rebalance_timeout_ms: millis(p.rebalance_timeout),
        member_id: p.member_id.clone(),
        group_instance_id: p.group_instance_id.clone(),
        protocol_type: PROTOCOL_TYPE.to_string(),
        protocols,
        reason: Some(p.reason.clone()),
        ..Default::default()
    };
    let version = p.conn.version_of::<JoinGroupRequest>().map_err(StepError::Fatal)?;
    let timeout = join_timeout(p.request_timeout, p.rebalance_timeout);
    let response = p.conn.send_with(&request, version, timeout).await.map_err(StepError::Request)?;
    Ok(Joined { response, topics })
}

/// What the leader assigned from, for watching: the group's topics and their partition counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LeaderWatch {
    /// Every topic some member subscribes to.
    pub topics: Vec<String>,
    /// The partition counts of those that existed.
    pub counts: BTreeMap<String, i32>,
}

/// Everything a SyncGroup needs.
pub(super) struct SyncParams {
    pub conn: Connection,
    pub client: Client,
    pub group_id: String,
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub generation: i32,
    pub protocol_name: String,
    /// This member leads the generation: it assigns.
    pub leader: bool,
    /// The coordinator told the (static) leader to keep the current assignment (JoinGroup v9+).
    pub skip_assignment: bool,
    pub members: Vec<JoinGroupResponseMember>,
    pub assignors: Vec<Arc<dyn Assignor>>,
    pub timeout: Duration,
}

/// A SyncGroup answer, with what the leader assigned from.
#[derive(Debug)]
pub(super) struct Synced {
    pub response: SyncGroupResponse,
    pub leader: Option<LeaderWatch>,
}

/// The assignor of the group's chosen protocol.
pub(super) fn chosen_assignor(
    assignors: &[Arc<dyn Assignor>],
    name: &str,
    group_id: &str,
) -> Result<Arc<dyn Assignor>> {
    assignors.iter().find(|a| a.name() == name).cloned().ok_or_else(|| {
        let ours: Vec<&str> = assignors.iter().map(|a| a.name()).collect();
        Error::config(
            "partition.assignment.strategy",
            format!(
                "group {group_id} chose the assignor `{name}`, which this consumer does not have (it has {}); \
                 give every member of the group a common assignor",
                ours.join(", ")
            ),
        )
    })
}

/// The leader's assignment: every member's partitions, encoded.
pub(super) fn leader_assignments(
    assignor: &dyn Assignor,
    counts: &BTreeMap<String, i32>,
    members: &BTreeMap<String, MemberSubscription>,
) -> Result<Vec<SyncGroupRequestAssignment>> {
    let assigned = assignor.assign(counts, members)?;
    let empty = Vec::new();
    members
        .keys()
        .map(|id| {
            let parts = assigned.get(id).unwrap_or(&empty);
            Ok(SyncGroupRequestAssignment {
                member_id: id.clone(),
                assignment: assignment_bytes(parts)?,
                ..Default::default()
            })
        })
        .collect()
}

/// Sends the SyncGroup (the leader first assigns: it decodes every member's subscription,
/// fetches metadata for all their topics and runs the chosen assignor) and returns the
/// coordinator's answer, whatever its error code.
pub(super) async fn sync(p: SyncParams) -> std::result::Result<Synced, StepError> {
    let assignor = chosen_assignor(&p.assignors, &p.protocol_name, &p.group_id).map_err(StepError::Fatal)?;
    let (assignments, watch) = if p.leader {
        let mut members = BTreeMap::new();
        for m in &p.members {
            let sub = member_subscription(m, &p.group_id).map_err(StepError::Fatal)?;
            members.insert(m.member_id.clone(), sub);
        }
        let topics: BTreeSet<String> = members.values().flat_map(|m| m.topics.iter().cloned()).collect();
        let refs: Vec<&str> = topics.iter().map(String::as_str).collect();
        let md = p.client.metadata_for(&refs).await.map_err(StepError::Retriable)?;
        let counts = partition_counts(&md, &topics);
        let assignments = if p.skip_assignment {
            Vec::new()
        } else {
            leader_assignments(assignor.as_ref(), &counts, &members).map_err(StepError::Fatal)?
        };
        (assignments, Some(LeaderWatch { topics: topics.into_iter().collect(), counts }))
    } else {
        (Vec::new(), None)
    };
    let request = SyncGroupRequest {
        group_id: p.group_id.clone(),
        generation_id: p.generation,
        member_id: p.member_id.clone(),
        group_instance_id: p.group_instance_id.clone(),
        protocol_type: Some(PROTOCOL_TYPE.to_string()),
        protocol_name: Some(p.protocol_name.clone()),
        assignments,
        ..Default::default()
    };
    let version = p.conn.version_of::<SyncGroupRequest>().map_err(StepError::Fatal)?;
    let response = p.conn.send_with(&request, version, p.timeout).await.map_err(StepError::Request)?;
    Ok(Synced { response, leader: watch })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafkit_protocol::messages::metadata_response::{
        MetadataResponse, MetadataResponsePartition, MetadataResponseTopic,
    };
    use kafkit_protocol::ErrorCode;

    fn tp(t: &str, p: i32) -> TopicPartition {
        TopicPartition::new(t, p)
    }

    #[test]
    fn subscription_round_trips_at_v3() {
        let owned = [tp("b", 2), tp("a", 1), tp("a", 0)];
        let bytes =
            subscription_bytes(&["a".into(), "b".into()], Some(Bytes::from_static(b"ud")), &owned, 7, Some("r1"))
                .unwrap();
        assert_eq!(&bytes[..2], &[0, 3], "written at consumer-protocol v3");
        let member = JoinGroupResponseMember {
            member_id: "m1".into(),
            group_instance_id: Some("i1".into()),
            metadata: bytes,
            ..Default::default()
        };
        let sub = member_subscription(&member, "g").unwrap();
        assert_eq!(sub.member_id, "m1");
        assert_eq!(sub.group_instance_id.as_deref(), Some("i1"));
        assert_eq!(sub.topics, ["a", "b"]);
        assert_eq!(sub.user_data.as_deref(), Some(&b"ud"[..]));
        assert_eq!(sub.owned_partitions, [tp("a", 0), tp("a", 1), tp("b", 2)]);
        assert_eq!(sub.generation_id, 7);
        assert_eq!(sub.rack_id.as_deref(), Some("r1"));
    }

    #[test]
    fn an_undecodable_subscription_names_the_member() {
        let member = JoinGroupResponseMember {
            member_id: "m9".into(),
            metadata: Bytes::from_static(&[0, 1, 0]),
            ..Default::default()
        };
        let err = member_subscription(&member, "g").unwrap_err().to_string();
        assert!(err.contains("m9") && err.contains("group g"), "{err}");
    }

    #[test]
    fn assignment_round_trips_and_empty_is_nothing() {
        let parts = [tp("t", 3), tp("t", 1), tp("u", 0)];
        let bytes = assignment_bytes(&parts).unwrap();
        let (back, ud) = decode_assignment(bytes, "g").unwrap();
        assert_eq!(back, [tp("t", 1), tp("t", 3), tp("u", 0)]);
        assert_eq!(ud, None);
        assert_eq!(decode_assignment(Bytes::new(), "g").unwrap().0, []);
        let err = decode_assignment(Bytes::from_static(&[0, 0, 0, 0, 0, 9]), "g").unwrap_err().to_string();
        assert!(err.contains("leader of group g"), "{err}");
    }

    #[test]
    fn a_v0_assignment_from_an_old_leader_is_read() {
        let a = ConsumerProtocolAssignment {
            assigned_partitions: vec![TopicPartitions {
                topic: "t".into(),
                partitions: vec![0, 2],
                ..Default::default()
            }],
            user_data: Some(Bytes::from_static(b"x")),
            ..Default::default()
        };
        let (parts, ud) = decode_assignment(a.to_bytes(0).unwrap(), "g").unwrap();
        assert_eq!(parts, [tp("t", 0), tp("t", 2)]);
        assert_eq!(ud.as_deref(), Some(&b"x"[..]));
    }

    fn metadata() -> Metadata {
        let topic = |name: &str, n: i32, internal: bool, error: ErrorCode| MetadataResponseTopic {
            name: Some(name.into()),
            is_internal: internal,
            error_code: error.code(),
            partitions: (0..n)
                .map(|i| MetadataResponsePartition { partition_index: i, leader_id: 1, ..Default::default() })
                .collect(),
            ..Default::default()
        };
        Metadata::from_response(&MetadataResponse {
            topics: vec![
                topic("orders", 3, false, ErrorCode::NONE),
                topic("orders-eu", 2, false, ErrorCode::NONE),
                topic("xorders", 1, false, ErrorCode::NONE),
                topic("__consumer_offsets", 50, true, ErrorCode::NONE),
                topic("missing", 0, false, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION),
            ],
            ..Default::default()
        })
    }

    #[test]
    fn patterns_match_whole_names_and_skip_internal_topics() {
        let md = metadata();
        let re = anchored(&Regex::new("orders.*|__.*").unwrap());
        let got: Vec<String> = pattern_matches(&md, &re, true).into_iter().collect();
        assert_eq!(got, ["orders", "orders-eu"], "xorders does not match as a whole");
        let got: Vec<String> = pattern_matches(&md, &re, false).into_iter().collect();
        assert_eq!(got, ["__consumer_offsets", "orders", "orders-eu"]);
        // An alternation whose first branch matches a prefix still matches the whole name.
        let re = anchored(&Regex::new("orders|orders-eu").unwrap());
        assert_eq!(pattern_matches(&md, &re, true).len(), 2);
    }

    #[test]
    fn partition_counts_leave_out_missing_topics() {
        let md = metadata();
        let topics = ["orders".to_string(), "missing".to_string(), "nope".to_string()];
        let counts = partition_counts(&md, &topics);
        assert_eq!(counts.into_iter().collect::<Vec<_>>(), [("orders".to_string(), 3)]);
    }

    #[test]
    fn join_timeout_covers_the_rebalance() {
        let s = Duration::from_secs;
        assert_eq!(join_timeout(s(30), s(300)), s(305));
        assert_eq!(join_timeout(s(30), s(10)), s(30));
    }
}
