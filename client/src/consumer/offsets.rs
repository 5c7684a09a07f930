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
                if !backoff.sleep_before(deadline).await {
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
        if !backoff.sleep_before(deadline).await {
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

#[cfg(test)]
mod tests {
    use kafkit_mock::{Fault, MockCluster};
    use kafkit_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
    use kafkit_protocol::messages::{InitProducerIdRequest, ProduceRequest, RequestBody};
    use kafkit_protocol::record::RecordBatchBuilder;
    use kafkit_protocol::ApiKey;

    use super::*;
    use crate::config::ClientConfig;

    const TS: i64 = 1_700_000_000_000;

    async fn within<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::time::timeout(Duration::from_secs(30), f).await.expect("hung")
    }

    async fn setup(brokers: usize, partitions: usize) -> (MockCluster, Client) {
        let cluster = MockCluster::builder().brokers(brokers).auto_create_topics(false).start().await.unwrap();
        cluster.create_topic("t", partitions).unwrap();
        let client = Client::connect(ClientConfig::new([cluster.bootstrap()])).await.unwrap();
        (cluster, client)
    }

    /// Produces `n` records to t[partition], record `o` with timestamp `TS + 10 * o`.
    async fn produce(client: &Client, cluster: &MockCluster, partition: i32, n: i64, pid: Option<(i64, i16)>) {
        let base = cluster.high_watermark("t", partition).unwrap();
        let mut b = RecordBatchBuilder::new(0).with_transactional(pid.is_some());
        if let Some((id, epoch)) = pid {
            b.set_producer_state(id, epoch, 0); // the producer's first batch
        }
        for o in base..base + n {
            b.append(TS + 10 * o, None, Some(b"v"), &[]).unwrap();
        }
        let conn = client.leader_for("t", partition).await.unwrap();
        let request = ProduceRequest {
            acks: -1,
            timeout_ms: 5000,
            topic_data: vec![TopicProduceData {
                name: "t".into(),
                partition_data: vec![PartitionProduceData {
                    index: partition,
                    records: Some(b.finish().unwrap()),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(conn.send(&request).await.unwrap().responses[0].partition_responses[0].error_code, 0);
    }

    fn tp(p: i32) -> TopicPartition {
        TopicPartition::new("t", p)
    }

    fn at(offset: i64, timestamp: i64) -> Option<(i64, i64)> {
        Some((offset, timestamp))
    }

    fn short(found: &HashMap<TopicPartition, OffsetAndTimestamp>, p: i32) -> Option<(i64, i64)> {
        found.get(&tp(p)).map(|o| (o.offset, o.timestamp))
    }

    #[tokio::test]
    async fn earliest_latest_and_by_timestamp_one_request_per_leader() {
        let (cluster, client) = setup(2, 4).await;
        for p in 0..4 {
            produce(&client, &cluster, p, 5 + i64::from(p), None).await;
        }
        let requests = HashMap::from([
            (tp(0), EARLIEST_TIMESTAMP),
            (tp(1), LATEST_TIMESTAMP),
            (tp(2), TS + 25), // between offsets 2 and 3: the first at or after it is 3
            (tp(3), TS + 1_000_000),
        ]);
        let found = within(list_offsets(&client, &requests, IsolationLevel::ReadUncommitted, Duration::from_secs(5)))
            .await
            .unwrap();
        assert_eq!(short(&found, 0), at(0, -1));
        assert_eq!(short(&found, 1), at(6, -1), "the high watermark");
        assert_eq!(short(&found, 2), at(3, TS + 30));
        assert_eq!(short(&found, 3), None, "no record that late: left out, as Java's null");
        assert_eq!(found.len(), 3);
        assert_eq!(found[&tp(2)].leader_epoch, Some(0));
        let logged = cluster.requests_of(ApiKey::ListOffsets);
        let mut brokers: Vec<i32> = logged.iter().map(|r| r.broker).collect();
        brokers.sort_unstable();
        assert_eq!(brokers, [1, 2], "one request per leader");
        for r in &logged {
            let RequestBody::ListOffsets(req) = &r.body else { unreachable!() };
            assert_eq!(r.header.api_version, 10, "the highest common version");
            for p in req.topics.iter().flat_map(|t| &t.partitions) {
                assert_eq!(cluster.leader("t", p.partition_index), Some(r.broker));
            }
        }
    }

    #[tokio::test]
    async fn read_committed_latest_is_the_last_stable_offset() {
        let (cluster, client) = setup(1, 1).await;
        produce(&client, &cluster, 0, 3, None).await;
        let conn = client.leader_for("t", 0).await.unwrap();
        let init = conn
            .send(&InitProducerIdRequest {
                transactional_id: Some("tx".into()),
                transaction_timeout_ms: 60_000,
                ..Default::default()
            })
            .await
            .unwrap();
        let add = kafkit_protocol::messages::AddPartitionsToTxnRequest {
            v3_and_below_transactional_id: "tx".into(),
            v3_and_below_producer_id: init.producer_id,
            v3_and_below_producer_epoch: init.producer_epoch,
            v3_and_below_topics: vec![
                kafkit_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic {
                    name: "t".into(),
                    partitions: vec![0],
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        conn.send_version(&add, 3).await.unwrap();
        produce(&client, &cluster, 0, 2, Some((init.producer_id, init.producer_epoch))).await;
        let requests = HashMap::from([(tp(0), LATEST_TIMESTAMP)]);
        let committed = list_offsets(&client, &requests, IsolationLevel::ReadCommitted, Duration::from_secs(5)).await;
        assert_eq!(short(&committed.unwrap(), 0), at(3, -1), "stops before the open transaction");
        let all = list_offsets(&client, &requests, IsolationLevel::ReadUncommitted, Duration::from_secs(5)).await;
        assert_eq!(short(&all.unwrap(), 0), at(5, -1));
    }

    #[tokio::test]
    async fn retries_retriable_errors_and_follows_a_moved_leader() {
        let (cluster, client) = setup(2, 2).await;
        produce(&client, &cluster, 0, 4, None).await;
        produce(&client, &cluster, 1, 2, None).await;
        cluster.inject(Fault::error(ApiKey::ListOffsets, ErrorCode::NOT_LEADER_OR_FOLLOWER).partition("t", 0).times(2));
        cluster.inject(Fault::error(ApiKey::ListOffsets, ErrorCode::UNKNOWN_LEADER_EPOCH).partition("t", 1));
        let old = cluster.leader("t", 0).unwrap();
        let new = cluster.broker_ids().into_iter().find(|b| *b != old).unwrap();
        cluster.move_leader("t", 0, new).unwrap(); // the client's metadata still names the old one
        let requests = HashMap::from([(tp(0), LATEST_TIMESTAMP), (tp(1), LATEST_TIMESTAMP)]);
        let found = within(list_offsets(&client, &requests, IsolationLevel::ReadUncommitted, Duration::from_secs(10)))
            .await
            .unwrap();
        assert_eq!((short(&found, 0), short(&found, 1)), (at(4, -1), at(2, -1)));
        let logged = cluster.requests_of(ApiKey::ListOffsets);
        assert!(logged.len() >= 4, "{} requests", logged.len());
        let last_for_0 = logged
            .iter()
            .rev()
            .find(|r| match &r.body {
                RequestBody::ListOffsets(q) => {
                    q.topics.iter().flat_map(|t| &t.partitions).any(|p| p.partition_index == 0)
                }
                _ => false,
            })
            .map(|r| r.broker);
        assert_eq!(last_for_0, Some(new), "answered by the new leader");
    }

    #[tokio::test]
    async fn an_unknown_topic_or_partition_is_an_error_naming_it() {
        let (_cluster, client) = setup(1, 2).await;
        let requests = HashMap::from([(TopicPartition::new("nope", 0), LATEST_TIMESTAMP), (tp(0), LATEST_TIMESTAMP)]);
        let e = list_offsets(&client, &requests, IsolationLevel::ReadUncommitted, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION));
        assert!(e.to_string().contains("nope"), "{e}");
        let requests = HashMap::from([(tp(7), EARLIEST_TIMESTAMP)]);
        let e = list_offsets(&client, &requests, IsolationLevel::ReadUncommitted, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION));
        assert!(e.to_string().contains("t[7]") && e.to_string().contains("2 partitions"), "{e}");
    }

    #[tokio::test]
    async fn non_retriable_errors_are_returned_at_once() {
        let (cluster, client) = setup(1, 1).await;
        cluster.inject(Fault::error(ApiKey::ListOffsets, ErrorCode::TOPIC_AUTHORIZATION_FAILED).partition("t", 0));
        let requests = HashMap::from([(tp(0), EARLIEST_TIMESTAMP)]);
        let e = within(list_offsets(&client, &requests, IsolationLevel::ReadUncommitted, Duration::from_secs(30)))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::TOPIC_AUTHORIZATION_FAILED));
        assert!(e.to_string().contains("t[0]"), "{e}");
    }

    #[tokio::test]
    async fn times_out_naming_the_partitions_left_and_the_last_error() {
        let (cluster, client) = setup(1, 2).await;
        cluster.inject(
            Fault::error(ApiKey::ListOffsets, ErrorCode::LEADER_NOT_AVAILABLE).partition("t", 1).times(100_000),
        );
        let requests = HashMap::from([(tp(0), EARLIEST_TIMESTAMP), (tp(1), EARLIEST_TIMESTAMP)]);
        let timeout = Duration::from_millis(400);
        let e = within(list_offsets(&client, &requests, IsolationLevel::ReadUncommitted, timeout)).await.unwrap_err();
        let Error::TimedOut { what, after, .. } = &e else { panic!("{e:?}") };
        assert_eq!(*after, timeout);
        assert!(what.contains("t[1]") && !what.contains("t[0]"), "{what}");
        assert!(what.contains("LEADER_NOT_AVAILABLE"), "{what}");
        assert!(cluster.requests_of(ApiKey::ListOffsets).len() >= 2, "retried until the timeout");
    }
}
