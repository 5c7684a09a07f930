//! Committed offsets: OffsetCommit, OffsetFetch (v8+: several groups) and TxnOffsetCommit.
//!
//! Offsets live in their group (a commit to an unknown group with no generation creates an Empty
//! "simple" group, as Kafka does). TxnOffsetCommit stores at once: the transaction's outcome is
//! not awaited, so aborted transactional commits stay committed and `require_stable` is moot.

use std::collections::HashMap;

use kafkit_protocol::messages::offset_commit_response::{OffsetCommitResponsePartition, OffsetCommitResponseTopic};
use kafkit_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions, OffsetFetchResponseTopic,
    OffsetFetchResponseTopics,
};
use kafkit_protocol::messages::txn_offset_commit_response::{
    TxnOffsetCommitResponsePartition, TxnOffsetCommitResponseTopic,
};
use kafkit_protocol::messages::*;
use kafkit_protocol::{ApiKey, ErrorCode};

use super::coordinator::{Brokers, Cx, Inner};
use super::state::{Committed, Group, Phase};
use crate::broker::RequestCtx;
use crate::cluster::Cluster;

/// Kafka's `offset.metadata.max.bytes`.
const MAX_METADATA: usize = 4096;

/// One partition of a commit.
struct CommitPartition {
    topic: String,
    partition: i32,
    offset: i64,
    leader_epoch: i32,
    metadata: Option<String>,
}

/// Who commits: the generation and member of a group member, or -1 and "" for a simple commit.
struct Committer<'a> {
    group_id: &'a str,
    generation: i32,
    member_id: &'a str,
    instance_id: Option<&'a str>,
    transactional: bool,
}

/// Partition counts of the named topics that exist.
fn partition_counts<'a>(c: &Cluster, topics: impl Iterator<Item = &'a str>) -> HashMap<String, usize> {
    let st = c.state.lock().unwrap_or_else(|e| e.into_inner());
    topics.filter_map(|t| st.topics.get(t).map(|topic| (t.to_string(), topic.partitions.len()))).collect()
}

/// Commits partitions; returns each one's error, in order.
fn commit(
    c: &Cluster,
    ctx: &RequestCtx,
    api: ApiKey,
    who: Committer<'_>,
    parts: Vec<CommitPartition>,
) -> Vec<ErrorCode> {
    let injected = c.faults.error(api, ctx.broker, None);
    let counts = partition_counts(c, parts.iter().map(|p| p.topic.as_str()));
    let exists = |t: &str, p: i32| counts.get(t).is_some_and(|n| usize::try_from(p).is_ok_and(|p| p < *n));
    // Errors of single partitions first (as Kafka filters unknown partitions before the group).
    let mut errors: Vec<Option<ErrorCode>> = parts
        .iter()
        .map(|p| {
            injected
                .or_else(|| c.faults.error(api, ctx.broker, Some((&p.topic, p.partition))))
                .or_else(|| (!exists(&p.topic, p.partition)).then_some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION))
                .or_else(|| {
                    (p.metadata.as_ref().is_some_and(|m| m.len() > MAX_METADATA))
                        .then_some(ErrorCode::OFFSET_METADATA_TOO_LARGE)
                })
        })
        .collect();
    if errors.iter().any(Option::is_none) {
        let brokers = Brokers::read(c);
        let core = &c.groups.core;
        let mut inner = core.lock();
        let group_error = match accept_commit(&core.cx, &mut inner, &brokers, ctx.broker, &who) {
            Err(e) => Some(e),
            Ok(group) => {
                for (p, _) in parts.iter().zip(&errors).filter(|(_, e)| e.is_none()) {
                    group.offsets.entry(p.topic.clone()).or_default().insert(
                        p.partition,
                        Committed {
                            offset: p.offset,
                            leader_epoch: p.leader_epoch,
                            metadata: p.metadata.clone().unwrap_or_default(),
                        },
                    );
                }
                None
            }
        };
        for e in errors.iter_mut().filter(|e| e.is_none()) {
            *e = group_error;
        }
    }
    errors.into_iter().map(|e| e.unwrap_or(ErrorCode::NONE)).collect()
}

/// Kafka's commit checks (`validateOffsetCommit` and the state checks): the group to store in.
fn accept_commit<'a>(
    cx: &Cx,
    inner: &'a mut Inner,
    brokers: &Brokers,
    broker: i32,
    who: &Committer<'_>,
) -> Result<&'a mut Group, ErrorCode> {
    inner.check_coordinator(brokers, broker, who.group_id)?;
    if !inner.groups.contains_key(who.group_id) {
        if who.generation >= 0 && !who.transactional {
            // A member of a generation of a group that does not exist (any more).
            return Err(ErrorCode::ILLEGAL_GENERATION);
        }
        inner.groups.insert(who.group_id.to_string(), Group::new(who.group_id));
    }
    let group = inner.groups.get_mut(who.group_id).ok_or(ErrorCode::UNKNOWN_SERVER_ERROR)?;
    let empty = matches!(group.phase, Phase::Empty);
    if who.generation < 0 && empty {
        // Not using group management (or an admin): allowed on an Empty group.
    } else if who.generation >= 0 || !who.member_id.is_empty() || who.instance_id.is_some() {
        group.validate_member(who.member_id, who.instance_id)?;
        if who.generation != group.generation {
            return Err(ErrorCode::ILLEGAL_GENERATION);
        }
    } else if !who.transactional && !empty {
        // Only members commit to a group with members.
        return Err(ErrorCode::UNKNOWN_MEMBER_ID);
    }
    if !who.transactional {
        match group.phase {
            Phase::CompletingRebalance(_) => return Err(ErrorCode::REBALANCE_IN_PROGRESS),
            // A commit is as good as a heartbeat.
            Phase::PreparingRebalance(_) | Phase::Stable(_) => group.touch(cx, who.member_id),
            Phase::Empty => {}
        }
    }
    Ok(group)
}

/// OffsetCommit.
pub(crate) fn offset_commit(c: &Cluster, ctx: &RequestCtx, r: OffsetCommitRequest) -> OffsetCommitResponse {
    let parts: Vec<CommitPartition> = r
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions.iter().map(|p| CommitPartition {
                topic: t.name.clone(),
                partition: p.partition_index,
                offset: p.committed_offset,
                leader_epoch: p.committed_leader_epoch,
                metadata: p.committed_metadata.clone(),
            })
        })
        .collect();
    let who = Committer {
        group_id: &r.group_id,
        generation: r.generation_id_or_member_epoch,
        member_id: &r.member_id,
        instance_id: r.group_instance_id.as_deref(),
        transactional: false,
    };
    let mut errors = commit(c, ctx, ApiKey::OffsetCommit, who, parts).into_iter();
    let topics = r
        .topics
        .iter()
        .map(|t| OffsetCommitResponseTopic {
            name: t.name.clone(),
            partitions: t
                .partitions
                .iter()
                .map(|p| OffsetCommitResponsePartition {
                    partition_index: p.partition_index,
                    error_code: errors.next().unwrap_or_default().code(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    OffsetCommitResponse { topics, ..Default::default() }
}

/// TxnOffsetCommit: stored at once, like a commit (the transaction's end is not awaited). The
/// producer id and epoch are not checked.
pub(crate) fn txn_offset_commit(c: &Cluster, ctx: &RequestCtx, r: TxnOffsetCommitRequest) -> TxnOffsetCommitResponse {
    let parts: Vec<CommitPartition> = r
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions.iter().map(|p| CommitPartition {
                topic: t.name.clone(),
                partition: p.partition_index,
                offset: p.committed_offset,
                leader_epoch: p.committed_leader_epoch,
                metadata: p.committed_metadata.clone(),
            })
        })
        .collect();
    let who = Committer {
        group_id: &r.group_id,
        generation: r.generation_id,
        member_id: &r.member_id,
        instance_id: r.group_instance_id.as_deref(),
        transactional: true,
    };
    let mut errors = commit(c, ctx, ApiKey::TxnOffsetCommit, who, parts).into_iter();
    let topics = r
        .topics
        .iter()
        .map(|t| TxnOffsetCommitResponseTopic {
            name: t.name.clone(),
            partitions: t
                .partitions
                .iter()
                .map(|p| TxnOffsetCommitResponsePartition {
                    partition_index: p.partition_index,
                    error_code: errors.next().unwrap_or_default().code(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    TxnOffsetCommitResponse { topics, ..Default::default() }
}

/// One fetched partition.
struct Fetched {
    partition: i32,
    offset: i64,
    leader_epoch: i32,
    metadata: String,
    error: ErrorCode,
}

impl Fetched {
    fn none(partition: i32, error: ErrorCode) -> Self {
        Fetched { partition, offset: -1, leader_epoch: -1, metadata: String::new(), error }
    }
}

/// The offsets of one group: the listed partitions, or (`None`) every partition it has.
fn fetch_group(
    c: &Cluster,
    ctx: &RequestCtx,
    brokers: &Brokers,
    injected: Option<ErrorCode>,
    group_id: &str,
    topics: Option<Vec<(String, Vec<i32>)>>,
) -> Result<Vec<(String, Vec<Fetched>)>, ErrorCode> {
    if let Some(e) = injected {
        return Err(e);
    }
    let mut inner = c.groups.core.lock();
    inner.check_coordinator(brokers, ctx.broker, group_id)?;
    let group = inner.groups.get(group_id);
    let topics = topics.unwrap_or_else(|| {
        group
            .map(|g| g.offsets.iter().map(|(t, ps)| (t.clone(), ps.keys().copied().collect())).collect())
            .unwrap_or_default()
    });
    Ok(topics
        .into_iter()
        .map(|(topic, partitions)| {
            let fetched = partitions
                .into_iter()
                .map(|p| {
                    if let Some(e) = c.faults.error(ApiKey::OffsetFetch, ctx.broker, Some((&topic, p))) {
                        return Fetched::none(p, e);
                    }
                    match group.and_then(|g| g.offsets.get(&topic)).and_then(|ps| ps.get(&p)) {
                        Some(o) => Fetched {
                            partition: p,
                            offset: o.offset,
                            leader_epoch: o.leader_epoch,
                            metadata: o.metadata.clone(),
                            error: ErrorCode::NONE,
                        },
                        None => Fetched::none(p, ErrorCode::NONE),
                    }
                })
                .collect();
            (topic, fetched)
        })
        .collect())
}

/// OffsetFetch: v0–7 one group, v8+ several; -1 for partitions with no committed offset.
pub(crate) fn offset_fetch(c: &Cluster, ctx: &RequestCtx, r: OffsetFetchRequest) -> OffsetFetchResponse {
    let injected = c.faults.error(ApiKey::OffsetFetch, ctx.broker, None);
    let brokers = Brokers::read(c);
    if ctx.version >= 8 {
        let groups = r
            .groups
            .into_iter()
            .map(|g| {
                let topics = g.topics.map(|ts| ts.into_iter().map(|t| (t.name, t.partition_indexes)).collect());
                let (error, topics) = match fetch_group(c, ctx, &brokers, injected, &g.group_id, topics) {
                    Ok(t) => (ErrorCode::NONE, t),
                    Err(e) => (e, Vec::new()),
                };
                OffsetFetchResponseGroup {
                    group_id: g.group_id,
                    topics: topics
                        .into_iter()
                        .map(|(name, ps)| OffsetFetchResponseTopics {
                            name,
                            partitions: ps
                                .into_iter()
                                .map(|f| OffsetFetchResponsePartitions {
                                    partition_index: f.partition,
                                    committed_offset: f.offset,
                                    committed_leader_epoch: f.leader_epoch,
                                    metadata: Some(f.metadata),
                                    error_code: f.error.code(),
                                    ..Default::default()
                                })
                                .collect(),
                            ..Default::default()
                        })
                        .collect(),
                    error_code: error.code(),
                    ..Default::default()
                }
            })
            .collect();
        return OffsetFetchResponse { groups, ..Default::default() };
    }
    let requested: Option<Vec<(String, Vec<i32>)>> =
        r.topics.map(|ts| ts.into_iter().map(|t| (t.name, t.partition_indexes)).collect());
    let (error, topics) = match fetch_group(c, ctx, &brokers, injected, &r.group_id, requested.clone()) {
        Ok(t) => (ErrorCode::NONE, t),
        // v0–1 have no group-level error: each requested partition carries it.
        Err(e) if ctx.version < 2 => (
            ErrorCode::NONE,
            requested
                .unwrap_or_default()
                .into_iter()
                .map(|(t, ps)| (t, ps.into_iter().map(|p| Fetched::none(p, e)).collect()))
                .collect(),
        ),
        Err(e) => (e, Vec::new()),
    };
    let topics = topics
        .into_iter()
        .map(|(name, ps)| OffsetFetchResponseTopic {
            name,
            partitions: ps
                .into_iter()
                .map(|f| OffsetFetchResponsePartition {
                    partition_index: f.partition,
                    committed_offset: f.offset,
                    committed_leader_epoch: f.leader_epoch,
                    metadata: Some(f.metadata),
                    error_code: f.error.code(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    OffsetFetchResponse { topics, error_code: error.code(), ..Default::default() }
}
