//! ListOffsets lookups: the earliest or latest offset of partitions, or the first offset at or
//! after a timestamp (`beginning_offsets`, `end_offsets`, `offsets_for_times`, and
//! `auto.offset.reset`).
//!
//! Partitions are grouped by leader and each leader gets one request, all at once; retriable
//! errors (a leader that moved, an epoch the broker does not know yet, a lost connection)
//! refresh the metadata and ask again after a backoff, until the timeout.

use std::collections::HashMap;
use std::time::Duration;

use kafkit_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafkit_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};
use kafkit_protocol::ErrorCode;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::debug;

use super::types::{IsolationLevel, OffsetAndTimestamp, TopicPartition};
use crate::backoff::Backoff;
use crate::client::Client;
use crate::error::{Error, Result};

/// The `timestamp` asking for the offset after the last record (the high watermark, or the
/// last stable offset under read_committed).
pub(crate) const LATEST_TIMESTAMP: i64 = -1;
/// The `timestamp` asking for the first offset still in the log.
pub(crate) const EARLIEST_TIMESTAMP: i64 = -2;

/// The backoff between rounds (Java's `retry.backoff.ms` and `retry.backoff.max.ms` defaults).
const RETRY_BACKOFF: Duration = Duration::from_millis(100);
const RETRY_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// The first ListOffsets version with a timestamp in the answer (v0 has only offsets).
const FIRST_TIMESTAMP_VERSION: i16 = 1;
/// The first ListOffsets version with an isolation level.
const FIRST_ISOLATION_VERSION: i16 = 2;

/// One partition's answer.
enum Answer {
    /// Found (a timestamp lookup with no record at or after it finds nothing: `None`).
    Found(Option<OffsetAndTimestamp>),
    /// Ask again after refreshing the metadata if `invalidate`.
    Retry { invalidate: bool, error: Error },
    /// A non-retriable error: the lookup fails with it.
    Fail(Error),
}

/// The offsets of `requests` (partition → timestamp in ms, or [`LATEST_TIMESTAMP`] /
/// [`EARLIEST_TIMESTAMP`]), from their leaders, as Java's `OffsetFetcher`:
///
/// - one ListOffsets request per leader, sent concurrently, at the highest version both speak
///   (v2+ for read_committed, v1+ for a timestamp lookup);
/// - retriable errors are retried (refreshing the metadata where the error says it is stale)
///   until `timeout`, then [`Error::TimedOut`] names the partitions still unanswered and the
///   last error;
/// - a timestamp with no record at or after it leaves the partition out of the map (Java's
///   `null`);
/// - a topic the cluster does not know, or a partition beyond its partition count, is an
///   UNKNOWN_TOPIC_OR_PARTITION error naming it; other non-retriable errors (authorization,
///   ...) are returned as they come.
pub(crate) async fn list_offsets(
    client: &Client,
    requests: &HashMap<TopicPartition, i64>,
    isolation: IsolationLevel,
    timeout: Duration,
) -> Result<HashMap<TopicPartition, OffsetAndTimestamp>> {
    let deadline = Instant::now() + timeout;
    let mut found: HashMap<TopicPartition, OffsetAndTimestamp> = HashMap::new();
    let mut pending: HashMap<TopicPartition, i64> = requests.clone();
    let mut backoff = Backoff::new(RETRY_BACKOFF, RETRY_BACKOFF_MAX);
    let mut last_error: Option<Error> = None;
    let mut topics: Vec<&str> = requests.keys().map(|tp| &*tp.topic).collect();
    topics.sort_unstable();
    topics.dedup();
    while !pending.is_empty() {
        let metadata = match tokio::time::timeout_at(deadline, client.metadata_for(&topics)).await {
            Ok(Ok(md)) => md,
            Ok(Err(e)) if e.is_retriable() => {
                last_error = Some(e);
                if !wait(&mut backoff, deadline).await {
                    break;
                }
                continue;
            }
            Ok(Err(e)) => return Err(e),
            Err(_) => break,
        };
        // Group by leader; partitions without one wait for the next round.
        let mut by_leader: HashMap<i32, Vec<(TopicPartition, i64, i32)>> = HashMap::new();
        let mut leaderless = false;
        for (tp, &timestamp) in &pending {
            let context = || format!("listing the offsets of {tp}");
            let Some(topic) = metadata.topic(&tp.topic) else {
                leaderless = true;
                continue;
            };
            if topic.error == ErrorCode::UNKNOWN_TOPIC_OR_PARTITION {
                return Err(Error::kafka(topic.error, format!("{}: topic {} does not exist", context(), tp.topic)));
            }
            if !topic.error.is_ok() {
                if topic.error.is_retriable() {
                    last_error = Some(Error::kafka(topic.error, context()));
                    leaderless = true;
                    continue;
                }
                return Err(Error::kafka(topic.error, context()));
            }
            let Some(partition) = topic.partition(tp.partition) else {
                return Err(Error::kafka(
                    ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
                    format!("{}: topic {} has {} partitions", context(), tp.topic, topic.partitions.len()),
                ));
            };
            match partition.leader.filter(|l| metadata.broker(*l).is_some()) {
                Some(leader) => {
                    by_leader.entry(leader).or_default().push((tp.clone(), timestamp, partition.leader_epoch))
                }
                None => {
                    last_error = Some(Error::kafka(ErrorCode::LEADER_NOT_AVAILABLE, context()));
                    leaderless = true;
                }
            }
        }
        let mut invalidate = leaderless;
        let mut tasks = JoinSet::new();
        for (broker, partitions) in by_leader {
            let client = client.clone();
            tasks.spawn(async move {
                // Past the deadline the partitions simply stay unanswered.
                let result = tokio::time::timeout_at(deadline, ask(&client, broker, &partitions, isolation, deadline))
                    .await
                    .ok();
                (partitions, result)
            });
        }
        while let Some(done) = tasks.join_next().await {
            let Ok((partitions, result)) = done else {
                continue; // a task cannot panic; if one did, its partitions are asked again
            };
            match result {
                None => {}
                Some(Ok(answers)) => {
                    for (tp, answer) in answers {
                        match answer {
                            Answer::Found(Some(o)) => {
                                pending.remove(&tp);
                                found.insert(tp, o);
                            }
                            Answer::Found(None) => {
                                pending.remove(&tp);
                            }
                            Answer::Retry { invalidate: i, error } => {
                                invalidate |= i;
                                last_error = Some(error);
                            }
                            Answer::Fail(e) => return Err(e),
                        }
                    }
                }
                Some(Err(e)) if e.is_retriable() || e.code() == Some(ErrorCode::BROKER_NOT_AVAILABLE) => {
                    debug!(error = %e, partitions = partitions.len(), "ListOffsets request failed; retrying");
                    invalidate |= e.invalidates_metadata()
                        || matches!(e, Error::Timeout { .. })
                        || e.code() == Some(ErrorCode::BROKER_NOT_AVAILABLE);
                    last_error = Some(e);
                }
                Some(Err(e)) => return Err(e),
            }
        }
        if pending.is_empty() {
            break;
        }
        if invalidate {
            client.invalidate();
        }
        if !wait(&mut backoff, deadline).await {
            break;
        }
    }
    if pending.is_empty() {
        return Ok(found);
    }
    let mut names: Vec<String> = pending.keys().map(ToString::to_string).collect();
    names.sort();
    let last = last_error.map(|e| format!(" (last error: {e})")).unwrap_or_default();
    Err(Error::TimedOut {
        what: format!("listing the offsets of {}{last}", names.join(", ")),
        after: timeout,
        hint: "check that the partitions have leaders and their brokers are reachable, or allow more time \
               (default.api.timeout.ms)",
    })
}

/// Sleeps for the next backoff; `false` if the deadline comes first.
async fn wait(backoff: &mut Backoff, deadline: Instant) -> bool {
    let until = Instant::now() + backoff.next_delay();
    if until >= deadline {
        return false;
    }
    tokio::time::sleep_until(until).await;
    true
}

/// One ListOffsets request to `broker` for `partitions` (partition, timestamp, leader epoch of
/// the metadata).
async fn ask(
    client: &Client,
    broker: i32,
    partitions: &[(TopicPartition, i64, i32)],
    isolation: IsolationLevel,
    deadline: Instant,
) -> Result<Vec<(TopicPartition, Answer)>> {
    let conn = client.connection(broker).await?;
    let version = conn.version_of::<ListOffsetsRequest>()?;
    let needs_timestamps = partitions.iter().any(|(_, ts, _)| *ts >= 0);
    if needs_timestamps && version < FIRST_TIMESTAMP_VERSION {
        return Err(Error::kafka(
            ErrorCode::UNSUPPORTED_VERSION,
            format!("looking offsets up by timestamp on broker {broker}, which speaks ListOffsets v0 only"),
        ));
    }
    if isolation == IsolationLevel::ReadCommitted && version < FIRST_ISOLATION_VERSION {
        return Err(Error::kafka(
            ErrorCode::UNSUPPORTED_VERSION,
            format!(
                "listing offsets with isolation.level=read_committed on broker {broker}, which speaks ListOffsets up to \
                 v{version}"
            ),
        ));
    }
    let remaining = deadline.saturating_duration_since(Instant::now());
    let mut topics: Vec<ListOffsetsTopic> = Vec::new();
    for (tp, timestamp, epoch) in partitions {
        let p = ListOffsetsPartition {
            partition_index: tp.partition,
            current_leader_epoch: (*epoch).max(-1),
            timestamp: *timestamp,
            max_num_offsets: 1,
            ..Default::default()
        };
        match topics.iter_mut().find(|t| t.name == *tp.topic) {
            Some(t) => t.partitions.push(p),
            None => {
                topics.push(ListOffsetsTopic { name: tp.topic.to_string(), partitions: vec![p], ..Default::default() })
            }
        }
    }
    let request = ListOffsetsRequest {
        replica_id: -1,
        isolation_level: isolation.as_i8(),
        topics,
        timeout_ms: i32::try_from(remaining.as_millis()).unwrap_or(i32::MAX),
        ..Default::default()
    };
    let timeout = client.config().request_timeout.min(remaining).max(Duration::from_millis(1));
    let response = conn.send_with(&request, version, timeout).await?;
    Ok(answers(partitions, &response, version))
}

/// Each partition's answer in `response` (a partition left out is asked again).
fn answers(
    partitions: &[(TopicPartition, i64, i32)],
    response: &ListOffsetsResponse,
    version: i16,
) -> Vec<(TopicPartition, Answer)> {
    partitions
        .iter()
        .map(|(tp, timestamp, _)| {
            let context = || format!("listing the offsets of {tp}");
            let p = response
                .topics
                .iter()
                .filter(|t| t.name == *tp.topic)
                .flat_map(|t| &t.partitions)
                .find(|p| p.partition_index == tp.partition);
            let Some(p) = p else {
                let error =
                    Error::kafka(ErrorCode::UNKNOWN_SERVER_ERROR, format!("{}: left out of the answer", context()));
                return (tp.clone(), Answer::Retry { invalidate: false, error });
            };
            let code = ErrorCode::from_i16(p.error_code);
            let answer = if code.is_ok() {
                let (offset, ts) = if version == 0 {
                    (p.old_style_offsets.first().copied().unwrap_or(-1), -1)
                } else {
                    (p.offset, p.timestamp)
                };
                if offset < 0 {
                    // No record at or after the timestamp (for latest and earliest, a broker
                    // always has an answer).
                    Answer::Found(None)
                } else {
                    let leader_epoch = (p.leader_epoch >= 0).then_some(p.leader_epoch);
                    let timestamp = if *timestamp >= 0 { ts } else { -1 };
                    Answer::Found(Some(OffsetAndTimestamp { offset, timestamp, leader_epoch }))
                }
            } else if code == ErrorCode::UNSUPPORTED_FOR_MESSAGE_FORMAT && *timestamp >= 0 {
                // Java: the partition's messages have no timestamps, so nothing is found.
                Answer::Found(None)
            } else if code.is_retriable() {
                Answer::Retry { invalidate: code.invalidates_metadata(), error: Error::kafka(code, context()) }
            } else {
                Answer::Fail(Error::kafka(code, context()))
            };
            (tp.clone(), answer)
        })
        .collect()
}
