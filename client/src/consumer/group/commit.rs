//! Committed offsets: the OffsetCommit and OffsetFetch requests and what their answers mean,
//! following the Java `ConsumerCoordinator`'s response handlers.

use std::collections::HashMap;

use kafkit_protocol::messages::offset_commit_request::{OffsetCommitRequestPartition, OffsetCommitRequestTopic};
use kafkit_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
};
use kafkit_protocol::messages::{OffsetCommitRequest, OffsetCommitResponse, OffsetFetchRequest, OffsetFetchResponse};
use kafkit_protocol::ErrorCode;

use super::super::types::{OffsetAndMetadata, TopicPartition};
use super::join::group_by_topic;
use crate::error::Error;

/// Who a commit is made as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum CommitIdentity {
    /// A member of a generation of the group.
    Member { generation: i32, member_id: String, group_instance_id: Option<String> },
    /// Not a member (manual assignment, or after unsubscribing): generation -1, no member id,
    /// as Java commits for a consumer that does not use group management.
    Simple,
}

/// The OffsetCommit request for `offsets`.
pub(super) fn commit_request(
    group_id: &str,
    who: &CommitIdentity,
    offsets: &HashMap<TopicPartition, OffsetAndMetadata>,
) -> OffsetCommitRequest {
    let (generation, member_id, instance) = match who {
        CommitIdentity::Member { generation, member_id, group_instance_id } => {
            (*generation, member_id.clone(), group_instance_id.clone())
        }
        CommitIdentity::Simple => (-1, String::new(), None),
    };
    let mut sorted: Vec<(&TopicPartition, &OffsetAndMetadata)> = offsets.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut topics: Vec<OffsetCommitRequestTopic> = Vec::new();
    for (tp, om) in sorted {
        let partition = OffsetCommitRequestPartition {
            partition_index: tp.partition,
            committed_offset: om.offset,
            committed_leader_epoch: om.leader_epoch.unwrap_or(-1),
            commit_timestamp: -1,
            committed_metadata: Some(om.metadata.clone()),
            ..Default::default()
        };
        match topics.last_mut() {
            Some(t) if t.name == *tp.topic => t.partitions.push(partition),
            _ => topics.push(OffsetCommitRequestTopic {
                name: tp.topic.to_string(),
                partitions: vec![partition],
                ..Default::default()
            }),
        }
    }
    OffsetCommitRequest {
        group_id: group_id.to_string(),
        generation_id_or_member_epoch: generation,
        member_id,
        group_instance_id: instance,
        retention_time_ms: -1,
        topics,
        ..Default::default()
    }
}

/// What a failed commit means for the membership (only when it was made as a member of the
/// current generation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reaction {
    /// Nothing.
    None,
    /// The group is rebalancing: rejoin (keeping the member id and generation).
    Rejoin,
    /// The member's generation (and, if `reset_member`, its member id) is stale: its partitions
    /// are lost; rejoin.
    Lost { reset_member: bool },
    /// Another instance took over this static member: stop.
    Fatal,
}

/// What an OffsetCommit answer means.
#[derive(Debug)]
pub(super) enum CommitOutcome {
    /// Every partition committed.
    Committed,
    /// Try again after a backoff (at the rediscovered coordinator if `coordinator_lost`).
    Retry { error: Error, coordinator_lost: bool },
    /// The commit failed for good.
    Failed { error: Error, reaction: Reaction },
}

/// Whether an error from the coordinator's connection means the coordinator must be found
/// again: the connection was lost or the request timed out (Java disconnects then), or the
/// broker is no longer the coordinator.
pub(super) fn coordinator_lost(e: &Error) -> bool {
    match e {
        Error::Io { .. } | Error::Timeout { .. } | Error::Disconnected { .. } | Error::Closed => true,
        Error::Kafka { code, .. } => code.invalidates_coordinator(),
        _ => false,
    }
}

/// Reads an OffsetCommit answer (Java's `OffsetCommitResponseHandler`): errors that concern the
/// membership first, then retriable ones (the whole commit is retried: recommitting a partition
/// that made it is harmless), then the partitions that failed for good, by name.
pub(super) fn commit_outcome(group_id: &str, resp: &OffsetCommitResponse) -> CommitOutcome {
    let mut failed: Vec<(TopicPartition, ErrorCode)> = Vec::new();
    for t in &resp.topics {
        for p in &t.partitions {
            let code = ErrorCode::from_i16(p.error_code);
            if !code.is_ok() {
                failed.push((TopicPartition::new(t.name.as_str(), p.partition_index), code));
            }
        }
    }
    if failed.is_empty() {
        return CommitOutcome::Committed;
    }
    let has = |c: ErrorCode| failed.iter().any(|(_, code)| *code == c);
    let rebalanced = |code: ErrorCode| {
        Error::kafka(
            code,
            format!(
                "committing offsets for group {group_id}: the group rebalanced and this member is no longer part of \
                 the generation it committed with, so its partitions may have been reassigned to another member; \
                 poll to rejoin, then commit the positions of the partitions assigned after the rebalance \
                 (raise max.poll.interval.ms or lower max.poll.records if the consumer spends too long between polls)"
            ),
        )
    };
    if has(ErrorCode::FENCED_INSTANCE_ID) {
        return CommitOutcome::Failed {
            error: Error::kafka(
                ErrorCode::FENCED_INSTANCE_ID,
                format!(
                    "committing offsets for group {group_id}: another consumer with the same group.instance.id \
                     joined the group and took over this member; give every consumer its own group.instance.id"
                ),
            ),
            reaction: Reaction::Fatal,
        };
    }
    if has(ErrorCode::UNKNOWN_MEMBER_ID) {
        return CommitOutcome::Failed {
            error: rebalanced(ErrorCode::UNKNOWN_MEMBER_ID),
            reaction: Reaction::Lost { reset_member: true },
        };
    }
    if has(ErrorCode::ILLEGAL_GENERATION) {
        return CommitOutcome::Failed {
            error: rebalanced(ErrorCode::ILLEGAL_GENERATION),
            reaction: Reaction::Lost { reset_member: false },
        };
    }
    if has(ErrorCode::REBALANCE_IN_PROGRESS) {
        return CommitOutcome::Failed {
            error: Error::kafka(
                ErrorCode::REBALANCE_IN_PROGRESS,
                format!(
                    "committing offsets for group {group_id}: the group is rebalancing; commit again after the \
                     rebalance (poll), with the positions of the partitions assigned then"
                ),
            ),
            reaction: Reaction::Rejoin,
        };
    }
    if has(ErrorCode::GROUP_AUTHORIZATION_FAILED) {
        return CommitOutcome::Failed {
            error: Error::kafka(
                ErrorCode::GROUP_AUTHORIZATION_FAILED,
                format!("committing offsets for group {group_id}: grant this principal READ on the group"),
            ),
            reaction: Reaction::None,
        };
    }
    let lost = failed
        .iter()
        .find(|(_, c)| c.invalidates_coordinator() || *c == ErrorCode::REQUEST_TIMED_OUT)
        .or_else(|| failed.iter().find(|(_, c)| c.is_retriable()));
    if let Some((tp, code)) = lost {
        let coordinator_lost = code.invalidates_coordinator() || *code == ErrorCode::REQUEST_TIMED_OUT;
        return CommitOutcome::Retry {
            error: Error::kafka(*code, format!("committing the offset of {tp} for group {group_id}")),
            coordinator_lost,
        };
    }
    let names: Vec<String> = failed.iter().map(|(tp, c)| format!("{tp}: {}", c.name())).collect();
    let (_, first) = &failed[0];
    let hint = match *first {
        ErrorCode::OFFSET_METADATA_TOO_LARGE => "shorten the commit metadata (offset.metadata.max.bytes)",
        ErrorCode::TOPIC_AUTHORIZATION_FAILED => "grant this principal READ on the topics",
        ErrorCode::INVALID_COMMIT_OFFSET_SIZE => {
            "the commit is too large for the offsets topic; commit fewer partitions"
        }
        _ => "check the partitions and the broker log",
    };
    CommitOutcome::Failed {
        error: Error::kafka(
            *first,
            format!("committing offsets for group {group_id} failed for {}; {hint}", names.join(", ")),
        ),
        reaction: Reaction::None,
    }
}

/// The OffsetFetch request for `partitions` at `version` (v8+: the groups array), with
/// `require_stable` (v7+) as Java sets it, so that offsets of transactions still open are not
/// returned (the broker answers UNSTABLE_OFFSET_COMMIT, retried).
pub(super) fn fetch_request(group_id: &str, partitions: &[TopicPartition], version: i16) -> OffsetFetchRequest {
    let grouped = group_by_topic(partitions);
    if version >= 8 {
        OffsetFetchRequest {
            groups: vec![OffsetFetchRequestGroup {
                group_id: group_id.to_string(),
                member_id: None,
                member_epoch: -1,
                topics: Some(
                    grouped
                        .into_iter()
                        .map(|t| OffsetFetchRequestTopics {
                            name: t.topic,
                            partition_indexes: t.partitions,
                            ..Default::default()
                        })
                        .collect(),
                ),
                ..Default::default()
            }],
            require_stable: true,
            ..Default::default()
        }
    } else {
        OffsetFetchRequest {
            group_id: group_id.to_string(),
            topics: Some(
                grouped
                    .into_iter()
                    .map(|t| OffsetFetchRequestTopic {
                        name: t.topic,
                        partition_indexes: t.partitions,
                        ..Default::default()
                    })
                    .collect(),
            ),
            require_stable: true,
            ..Default::default()
        }
    }
}

/// The committed offsets of some partitions (`None`: nothing committed).
pub(super) type Committed = HashMap<TopicPartition, Option<OffsetAndMetadata>>;

/// What an OffsetFetch answer means.
#[derive(Debug)]
pub(super) enum FetchOutcome {
    /// The committed offsets of every partition asked for.
    Fetched(Committed),
    /// Try again after a backoff (at the rediscovered coordinator if `coordinator_lost`).
    Retry { error: Error, coordinator_lost: bool },
    /// Failed for good.
    Failed(Error),
}

/// One partition of an OffsetFetch answer, whatever the version.
pub(crate) struct FetchedPartition<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
    pub leader_epoch: i32,
    pub metadata: Option<&'a String>,
    pub error: ErrorCode,
}

/// The [`FetchedPartition`]s of an OffsetFetch answer's topics: the answer's top level
/// (v0–v7) and its groups (v8+) hold twin generated types with the same fields.
macro_rules! fetched_partitions {
    ($topics:expr) => {
        $topics
            .iter()
            .flat_map(|t| {
                t.partitions.iter().map(move |p| FetchedPartition {
                    topic: &t.name,
                    partition: p.partition_index,
                    offset: p.committed_offset,
                    leader_epoch: p.committed_leader_epoch,
                    metadata: p.metadata.as_ref(),
                    error: ErrorCode::from_i16(p.error_code),
                })
            })
            .collect()
    };
}
pub(crate) use fetched_partitions;

/// Reads an OffsetFetch answer (Java's `OffsetFetchResponseHandler`).
pub(super) fn fetch_outcome(
    group_id: &str,
    partitions: &[TopicPartition],
    version: i16,
    resp: &OffsetFetchResponse,
) -> FetchOutcome {
    let (top, parts): (ErrorCode, Vec<FetchedPartition<'_>>) = if version >= 8 {
        let Some(g) = resp.groups.iter().find(|g| g.group_id == group_id).or(resp.groups.first()) else {
            return FetchOutcome::Retry {
                error: Error::kafka(
                    ErrorCode::UNKNOWN_SERVER_ERROR,
                    format!("fetching committed offsets for group {group_id}: the answer has no group"),
                ),
                coordinator_lost: false,
            };
        };
        let parts = fetched_partitions!(g.topics);
        (ErrorCode::from_i16(g.error_code), parts)
    } else {
        let parts = fetched_partitions!(resp.topics);
        (ErrorCode::from_i16(resp.error_code), parts)
    };
    let context = || format!("fetching committed offsets for group {group_id}");
    if !top.is_ok() {
        if top.is_retriable() {
            return FetchOutcome::Retry {
                error: Error::kafka(top, context()),
                coordinator_lost: top.invalidates_coordinator(),
            };
        }
        let hint = if top == ErrorCode::GROUP_AUTHORIZATION_FAILED {
            "; grant this principal DESCRIBE on the group"
        } else {
            ""
        };
        return FetchOutcome::Failed(Error::kafka(top, format!("{}{hint}", context())));
    }
    let mut out: Committed = partitions.iter().map(|tp| (tp.clone(), None)).collect();
    for p in parts {
        let tp = TopicPartition::new(p.topic, p.partition);
        if !p.error.is_ok() {
            // As Java: only an open transaction's offsets (and, from v0-1 brokers that report
            // group errors per partition, a coordinator that moved or is loading) are retried.
            let retry = p.error == ErrorCode::UNSTABLE_OFFSET_COMMIT
                || p.error == ErrorCode::COORDINATOR_LOAD_IN_PROGRESS
                || p.error.invalidates_coordinator();
            if retry {
                return FetchOutcome::Retry {
                    error: Error::kafka(p.error, format!("{} (partition {tp})", context())),
                    coordinator_lost: p.error.invalidates_coordinator(),
                };
            }
            return FetchOutcome::Failed(Error::kafka(p.error, format!("{} (partition {tp})", context())));
        }
        if let Some(slot) = out.get_mut(&tp) {
            *slot = (p.offset >= 0).then(|| OffsetAndMetadata {
                offset: p.offset,
                metadata: p.metadata.cloned().unwrap_or_default(),
                leader_epoch: (p.leader_epoch >= 0).then_some(p.leader_epoch),
            });
        }
    }
    FetchOutcome::Fetched(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafkit_protocol::messages::offset_commit_response::{OffsetCommitResponsePartition, OffsetCommitResponseTopic};
    use kafkit_protocol::messages::offset_fetch_response::*;

    fn tp(t: &str, p: i32) -> TopicPartition {
        TopicPartition::new(t, p)
    }

    #[test]
    fn commit_requests_group_partitions_by_topic() {
        let mut offsets = HashMap::new();
        offsets.insert(tp("b", 0), OffsetAndMetadata::new(5));
        offsets.insert(tp("a", 1), OffsetAndMetadata { offset: 7, metadata: "m".into(), leader_epoch: Some(3) });
        offsets.insert(tp("a", 0), OffsetAndMetadata::new(6));
        let who =
            CommitIdentity::Member { generation: 4, member_id: "m-1".into(), group_instance_id: Some("i".into()) };
        let r = commit_request("g", &who, &offsets);
        assert_eq!((r.generation_id_or_member_epoch, r.member_id.as_str()), (4, "m-1"));
        assert_eq!(r.group_instance_id.as_deref(), Some("i"));
        type Shape = Vec<(String, Vec<(i32, i64, i32)>)>;
        let shape: Shape = r
            .topics
            .iter()
            .map(|t| {
                (
                    t.name.clone(),
                    t.partitions
                        .iter()
                        .map(|p| (p.partition_index, p.committed_offset, p.committed_leader_epoch))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(shape, [("a".into(), vec![(0, 6, -1), (1, 7, 3)]), ("b".into(), vec![(0, 5, -1)])]);
        assert_eq!(r.topics[0].partitions[1].committed_metadata.as_deref(), Some("m"));
        let simple = commit_request("g", &CommitIdentity::Simple, &offsets);
        assert_eq!((simple.generation_id_or_member_epoch, simple.member_id.as_str()), (-1, ""));
        assert_eq!(simple.group_instance_id, None);
    }

    fn commit_response(codes: &[(&str, i32, ErrorCode)]) -> OffsetCommitResponse {
        OffsetCommitResponse {
            topics: codes
                .iter()
                .map(|(t, p, c)| OffsetCommitResponseTopic {
                    name: t.to_string(),
                    partitions: vec![OffsetCommitResponsePartition {
                        partition_index: *p,
                        error_code: c.code(),
                        ..Default::default()
                    }],
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn commit_outcomes_follow_java() {
        use ErrorCode as E;
        assert!(matches!(commit_outcome("g", &commit_response(&[("t", 0, E::NONE)])), CommitOutcome::Committed));
        match commit_outcome("g", &commit_response(&[("t", 0, E::NONE), ("t", 1, E::ILLEGAL_GENERATION)])) {
            CommitOutcome::Failed { error, reaction: Reaction::Lost { reset_member: false } } => {
                assert_eq!(error.code(), Some(E::ILLEGAL_GENERATION));
                assert!(error.to_string().contains("rebalanced"), "{error}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            commit_outcome("g", &commit_response(&[("t", 0, E::UNKNOWN_MEMBER_ID)])),
            CommitOutcome::Failed { reaction: Reaction::Lost { reset_member: true }, .. }
        ));
        match commit_outcome("g", &commit_response(&[("t", 0, E::REBALANCE_IN_PROGRESS)])) {
            CommitOutcome::Failed { error, reaction: Reaction::Rejoin } => {
                assert!(error.to_string().contains("commit again after the rebalance (poll)"), "{error}")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            commit_outcome("g", &commit_response(&[("t", 0, E::FENCED_INSTANCE_ID)])),
            CommitOutcome::Failed { reaction: Reaction::Fatal, .. }
        ));
        for (code, lost) in [
            (E::NOT_COORDINATOR, true),
            (E::COORDINATOR_NOT_AVAILABLE, true),
            (E::REQUEST_TIMED_OUT, true),
            (E::COORDINATOR_LOAD_IN_PROGRESS, false),
            (E::UNKNOWN_TOPIC_OR_PARTITION, false),
        ] {
            match commit_outcome("g", &commit_response(&[("t", 0, code)])) {
                CommitOutcome::Retry { coordinator_lost, error } => {
                    assert_eq!(coordinator_lost, lost, "{code}");
                    assert_eq!(error.code(), Some(code));
                }
                other => panic!("{code}: {other:?}"),
            }
        }
        match commit_outcome("g", &commit_response(&[("t", 0, E::NONE), ("u", 2, E::OFFSET_METADATA_TOO_LARGE)])) {
            CommitOutcome::Failed { error, reaction: Reaction::None } => {
                let msg = error.to_string();
                assert!(msg.contains("u[2]") && msg.contains("metadata"), "{msg}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn fetch_requests_by_version() {
        let parts = [tp("a", 1), tp("a", 0), tp("b", 2)];
        let v8 = fetch_request("g", &parts, 8);
        assert!(v8.require_stable);
        assert_eq!(v8.groups.len(), 1);
        let topics = v8.groups[0].topics.as_ref().unwrap();
        assert_eq!((topics[0].name.as_str(), topics[0].partition_indexes.clone()), ("a", vec![0, 1]));
        let v7 = fetch_request("g", &parts, 7);
        assert_eq!(v7.group_id, "g");
        assert!(v7.require_stable);
        assert_eq!(v7.topics.as_ref().unwrap().len(), 2);
    }

    fn fetch_response_v8(error: ErrorCode, parts: &[(&str, i32, i64, ErrorCode)]) -> OffsetFetchResponse {
        OffsetFetchResponse {
            groups: vec![OffsetFetchResponseGroup {
                group_id: "g".into(),
                error_code: error.code(),
                topics: parts
                    .iter()
                    .map(|(t, p, o, e)| OffsetFetchResponseTopics {
                        name: t.to_string(),
                        partitions: vec![OffsetFetchResponsePartitions {
                            partition_index: *p,
                            committed_offset: *o,
                            committed_leader_epoch: 2,
                            metadata: Some("md".into()),
                            error_code: e.code(),
                            ..Default::default()
                        }],
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn fetch_outcomes() {
        use ErrorCode as E;
        let parts = [tp("a", 0), tp("a", 1), tp("b", 0)];
        let resp = fetch_response_v8(E::NONE, &[("a", 0, 10, E::NONE), ("a", 1, -1, E::NONE)]);
        match fetch_outcome("g", &parts, 8, &resp) {
            FetchOutcome::Fetched(m) => {
                assert_eq!(m.len(), 3);
                let a0 = m[&tp("a", 0)].clone().unwrap();
                assert_eq!((a0.offset, a0.metadata.as_str(), a0.leader_epoch), (10, "md", Some(2)));
                assert_eq!(m[&tp("a", 1)], None);
                assert_eq!(m[&tp("b", 0)], None, "not in the answer: nothing committed");
            }
            other => panic!("{other:?}"),
        }
        let unstable = fetch_response_v8(E::NONE, &[("a", 0, 10, E::UNSTABLE_OFFSET_COMMIT)]);
        assert!(matches!(
            fetch_outcome("g", &parts, 8, &unstable),
            FetchOutcome::Retry { coordinator_lost: false, .. }
        ));
        let moved = fetch_response_v8(E::NOT_COORDINATOR, &[]);
        assert!(matches!(fetch_outcome("g", &parts, 8, &moved), FetchOutcome::Retry { coordinator_lost: true, .. }));
        let denied = fetch_response_v8(E::GROUP_AUTHORIZATION_FAILED, &[]);
        match fetch_outcome("g", &parts, 8, &denied) {
            FetchOutcome::Failed(e) => assert!(e.to_string().contains("DESCRIBE"), "{e}"),
            other => panic!("{other:?}"),
        }
        // v1-7: the top-level error and topics.
        let old = OffsetFetchResponse {
            error_code: E::NONE.code(),
            topics: vec![OffsetFetchResponseTopic {
                name: "a".into(),
                partitions: vec![OffsetFetchResponsePartition {
                    partition_index: 0,
                    committed_offset: 3,
                    committed_leader_epoch: -1,
                    metadata: None,
                    error_code: E::UNKNOWN_TOPIC_OR_PARTITION.code(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        match fetch_outcome("g", &parts, 7, &old) {
            FetchOutcome::Failed(e) => assert!(e.to_string().contains("a[0]"), "{e}"),
            other => panic!("an unknown partition fails, as in Java: {other:?}"),
        }
        let mut ok = old.clone();
        ok.topics[0].partitions[0].error_code = 0;
        match fetch_outcome("g", &parts, 7, &ok) {
            FetchOutcome::Fetched(m) => {
                assert_eq!(
                    m[&tp("a", 0)],
                    Some(OffsetAndMetadata { offset: 3, metadata: String::new(), leader_epoch: None })
                )
            }
            other => panic!("{other:?}"),
        }
        let mut bad = old;
        bad.topics[0].partitions[0].error_code = E::TOPIC_AUTHORIZATION_FAILED.code();
        match fetch_outcome("g", &parts, 7, &bad) {
            FetchOutcome::Failed(e) => assert!(e.to_string().contains("a[0]"), "{e}"),
            other => panic!("{other:?}"),
        }
    }
}
