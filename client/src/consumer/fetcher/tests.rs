//! The fetcher task against the mock cluster: fetching ahead over several partitions and
//! brokers, positions and retags, leadership moves, lost connections, errors handed to the
//! consumer, read_committed, and the buffer bound.
//!
//! These live inside the crate (not in `client/tests/`) because the fetcher is crate-internal:
//! the consumer is its only user. Records are decoded with the consumer's own
//! [`PartitionCursor`]. Timing only decides how long a fault lasts; every wait is hang-guarded
//! and nothing asserts a duration.

use std::collections::BTreeMap;
use std::future::Future;

use kafkit_mock::{Fault, MockCluster};
use kafkit_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use kafkit_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafkit_protocol::messages::{
    AddPartitionsToTxnRequest, EndTxnRequest, InitProducerIdRequest, ProduceRequest, RequestBody,
};
use kafkit_protocol::record::{Compression, RecordBatchBuilder};
use kafkit_protocol::ApiKey;

use super::*;
use crate::config::ClientConfig;
use crate::consumer::cursor::PartitionCursor;

/// A guard against hangs only.
async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), f).await.unwrap_or_else(|_| panic!("hung: {what}"))
}

async fn cluster(brokers: usize, topic: &str, partitions: usize) -> (MockCluster, Client) {
    let cluster = MockCluster::start(brokers).await.unwrap();
    cluster.create_topic(topic, partitions).unwrap();
    let client = Client::connect(ClientConfig::new([cluster.bootstrap()])).await.unwrap();
    client.metadata_for(&[topic]).await.unwrap();
    (cluster, client)
}

/// A fetcher with a client of its own (the tests produce with another, whose metadata must not
/// do the fetcher's work).
async fn start(cluster: &MockCluster, config: ConsumerConfig) -> FetcherHandle {
    let client = Client::connect(ClientConfig::new([cluster.bootstrap()])).await.unwrap();
    spawn(client, Arc::new(config))
}

/// Short waits and backoffs, so that faults pass quickly.
fn config(cluster: &MockCluster) -> ConsumerConfig {
    let mut c = ConsumerConfig::new([cluster.bootstrap()]);
    c.fetch_max_wait = Duration::from_millis(100);
    c.retry_backoff = Duration::from_millis(20);
    c
}

/// The value of the record at `offset` of `partition`.
fn value(partition: i32, offset: i64) -> String {
    format!("p{partition}-{offset:05}")
}

/// Produces `n` records to `topic[partition]` in one batch (values from [`value`], starting at
/// the partition's high watermark) and returns the base offset.
async fn produce(
    client: &Client,
    cluster: &MockCluster,
    topic: &str,
    partition: i32,
    n: i64,
    codec: Compression,
) -> i64 {
    let base = cluster.high_watermark(topic, partition).unwrap();
    let mut b = RecordBatchBuilder::new(0).with_compression(codec);
    for o in base..base + n {
        b.append(1_700_000_000_000 + o, None, Some(value(partition, o).as_bytes()), &[]).unwrap();
    }
    produce_batch(client, topic, partition, b.finish().unwrap()).await
}

async fn produce_batch(client: &Client, topic: &str, partition: i32, records: Bytes) -> i64 {
    let conn = client.leader_for(topic, partition).await.unwrap();
    let request = ProduceRequest {
        acks: -1,
        timeout_ms: 5000,
        topic_data: vec![TopicProduceData {
            name: topic.into(),
            partition_data: vec![PartitionProduceData {
                index: partition,
                records: Some(records),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let resp = conn.send(&request).await.unwrap();
    let p = &resp.responses[0].partition_responses[0];
    assert_eq!(p.error_code, 0, "produce to {topic}[{partition}]");
    p.base_offset
}

fn target(offset: i64, tag: u64) -> FetchTarget {
    FetchTarget { offset, leader_epoch: None, tag }
}

fn fetch_all(handle: &FetcherHandle, topic: &str, partitions: std::ops::Range<i32>, offset: i64, tag: u64) {
    let set = partitions.map(|p| (TopicPartition::new(topic, p), target(offset, tag))).collect();
    handle.commands.send(FetchCommand::Fetch(set)).unwrap();
}

/// What the consumer side saw of one partition.
#[derive(Debug, Default)]
struct Seen {
    /// (offset, value) of every record, in the order received.
    records: Vec<(i64, String)>,
    /// The fetch offset and the cursor's end position of every `Fetched`.
    fetches: Vec<(i64, i64)>,
}

/// Receives and decodes `Fetched` items (dropping each at once, as a consumer that keeps up)
/// until `done` holds.
async fn consume(
    handle: &mut FetcherHandle,
    isolation: IsolationLevel,
    seen: &mut BTreeMap<TopicPartition, Seen>,
    mut done: impl FnMut(&BTreeMap<TopicPartition, Seen>) -> bool,
) {
    within("consuming", async {
        while !done(seen) {
            let f = handle.fetched.recv().await.expect("the fetcher stopped");
            if has_no_records(&f) {
                continue; // news of the high watermark only
            }
            let tp = f.tp.clone();
            let fetch_offset = f.fetch_offset;
            let mut cursor = PartitionCursor::new(f, isolation, true);
            let s = seen.entry(tp).or_default();
            while let Some(r) = cursor.next_record() {
                let r = r.unwrap_or_else(|e| panic!("unexpected error: {e}"));
                s.records.push((r.offset, String::from_utf8(r.value.unwrap().to_vec()).unwrap()));
            }
            s.fetches.push((fetch_offset, cursor.position()));
        }
    })
    .await
}

/// Whether `f` carries no records (it tells the consumer the high watermark only).
fn has_no_records(f: &Fetched) -> bool {
    matches!(&f.result, Ok(d) if d.records.is_empty())
}

fn counts(n: usize) -> impl FnMut(&BTreeMap<TopicPartition, Seen>) -> bool {
    move |seen| seen.values().map(|s| s.records.len()).sum::<usize>() >= n
}

/// The Fetch requests the cluster received, as (broker, partitions of `topic` with their
/// fetch offsets). Topics are named (v12-) or by id (v13+): with one topic, both are it.
fn fetch_requests(cluster: &MockCluster) -> Vec<(i32, Vec<(i32, i64)>)> {
    cluster
        .requests_of(ApiKey::Fetch)
        .into_iter()
        .map(|r| {
            let RequestBody::Fetch(req) = &r.body else { unreachable!("requests_of(Fetch)") };
            let parts = req.topics.iter().flat_map(|t| &t.partitions).map(|p| (p.partition, p.fetch_offset)).collect();
            (r.broker, parts)
        })
        .collect()
}

#[tokio::test]
async fn fetches_ahead_across_partitions_and_brokers_exactly_the_records_in_order() {
    for max_version in [17, 12] {
        let cluster =
            MockCluster::builder().brokers(2).advertise_versions(ApiKey::Fetch, 4, max_version).start().await.unwrap();
        cluster.create_topic("t", 4).unwrap();
        let client = Client::connect(ClientConfig::new([cluster.bootstrap()])).await.unwrap();
        client.metadata_for(&["t"]).await.unwrap();
        let leaders: HashSet<i32> = (0..4).map(|p| cluster.leader("t", p).unwrap()).collect();
        assert_eq!(leaders.len(), 2, "the partitions are led by both brokers");
        let codecs = [Compression::None, Compression::Gzip, Compression::Lz4];
        for p in 0..4 {
            for codec in codecs {
                produce(&client, &cluster, "t", p, 10, codec).await;
            }
        }
        let mut config = config(&cluster);
        // One batch per response, so that the partitions are fetched ahead several times.
        config.max_partition_fetch_bytes = 64;
        let mut handle = start(&cluster, config).await;
        fetch_all(&handle, "t", 0..4, 0, 1);
        let mut seen = BTreeMap::new();
        consume(&mut handle, IsolationLevel::ReadUncommitted, &mut seen, counts(4 * 30)).await;
        // More records while it long-polls.
        for p in 0..4 {
            produce(&client, &cluster, "t", p, 5, Compression::Snappy).await;
        }
        consume(&mut handle, IsolationLevel::ReadUncommitted, &mut seen, counts(4 * 35)).await;
        for p in 0..4 {
            let s = &seen[&TopicPartition::new("t", p)];
            let expected: Vec<(i64, String)> = (0..35).map(|o| (o, value(p, o))).collect();
            assert_eq!(s.records, expected, "v{max_version}: partition {p}: exactly the records, in order");
            assert!(s.fetches.len() >= 4, "v{max_version}: fetched in several steps: {:?}", s.fetches);
            for w in s.fetches.windows(2) {
                assert_eq!(w[0].1, w[1].0, "v{max_version}: each fetch starts where the previous ended");
            }
        }
        let requests = fetch_requests(&cluster);
        let brokers: HashSet<i32> = requests.iter().map(|(b, _)| *b).collect();
        assert_eq!(brokers, leaders, "v{max_version}: fetched from both leaders");
        for (broker, parts) in &requests {
            for (p, _) in parts {
                assert_eq!(cluster.leader("t", *p), Some(*broker), "v{max_version}: each partition from its leader");
            }
        }
        let versions: HashSet<i16> = cluster.requests_of(ApiKey::Fetch).iter().map(|r| r.header.api_version).collect();
        assert_eq!(versions, HashSet::from([max_version]), "the highest common version");
        drop(handle);
    }
}

#[tokio::test]
async fn fetches_from_an_offset_inside_a_compressed_batch() {
    let (cluster, client) = cluster(1, "t", 1).await;
    produce(&client, &cluster, "t", 0, 10, Compression::Zstd).await;
    produce(&client, &cluster, "t", 0, 3, Compression::None).await;
    let mut handle = start(&cluster, config(&cluster)).await;
    fetch_all(&handle, "t", 0..1, 4, 1);
    let mut seen = BTreeMap::new();
    consume(&mut handle, IsolationLevel::ReadUncommitted, &mut seen, counts(9)).await;
    let s = &seen[&TopicPartition::new("t", 0)];
    assert_eq!(s.records, (4..13).map(|o| (o, value(0, o))).collect::<Vec<_>>());
    assert_eq!(s.fetches[0].0, 4, "the first fetch asks for offset 4");
}

#[tokio::test]
async fn a_new_tag_restarts_at_its_offset_and_the_same_tag_keeps_fetching_ahead() {
    let (cluster, client) = cluster(1, "t", 1).await;
    for _ in 0..4 {
        produce(&client, &cluster, "t", 0, 5, Compression::None).await;
    }
    let mut config = config(&cluster);
    config.max_partition_fetch_bytes = 64; // one batch of 5 per response
    let mut handle = start(&cluster, config).await;
    let tp = TopicPartition::new("t", 0);
    fetch_all(&handle, "t", 0..1, 0, 1);
    let first = within("first", handle.fetched.recv()).await.unwrap();
    assert_eq!((first.tag, first.fetch_offset), (1, 0));
    drop(first);
    let second = within("second", handle.fetched.recv()).await.unwrap();
    assert_eq!((second.tag, second.fetch_offset), (1, 5), "fetched ahead");
    // The same set again (e.g. another partition was paused): the fetcher keeps its offset.
    fetch_all(&handle, "t", 0..1, 0, 1);
    drop(second);
    let third = within("third", handle.fetched.recv()).await.unwrap();
    assert_eq!((third.tag, third.fetch_offset), (1, 10), "the same tag keeps the fetcher's own offset");
    // A seek: new tag, new offset.
    fetch_all(&handle, "t", 0..1, 2, 2);
    drop(third);
    let mut moved = within("after the seek", handle.fetched.recv()).await.unwrap();
    while moved.tag == 1 {
        moved = within("after the seek", handle.fetched.recv()).await.unwrap();
    }
    assert_eq!((moved.tag, moved.fetch_offset), (2, 2));
    let mut cursor = PartitionCursor::new(moved, IsolationLevel::ReadUncommitted, true);
    let r = cursor.next_record().unwrap().unwrap();
    assert_eq!((r.offset, r.value.as_deref()), (2, Some(value(0, 2).as_bytes())));
    assert_eq!(cursor.position(), 3);
    drop(cursor);
    let mut seen = BTreeMap::new();
    consume(&mut handle, IsolationLevel::ReadUncommitted, &mut seen, |s| {
        s.get(&tp).is_some_and(|s| s.records.last().is_some_and(|r| r.0 == 19))
    })
    .await;
    assert_eq!(seen[&tp].records.first().map(|r| r.0), Some(5), "then on from the end of that batch");
}

#[tokio::test]
async fn follows_a_leader_that_moves_mid_fetch() {
    let (cluster, client) = cluster(2, "t", 1).await;
    produce(&client, &cluster, "t", 0, 5, Compression::None).await;
    let mut handle = start(&cluster, config(&cluster)).await;
    let tp = TopicPartition::new("t", 0);
    // The first answer is NOT_LEADER_OR_FOLLOWER: refetched from the same offset.
    cluster.inject(Fault::error(ApiKey::Fetch, ErrorCode::NOT_LEADER_OR_FOLLOWER).partition("t", 0));
    fetch_all(&handle, "t", 0..1, 0, 1);
    let mut seen = BTreeMap::new();
    consume(&mut handle, IsolationLevel::ReadUncommitted, &mut seen, counts(5)).await;
    // Leadership moves while the fetcher long-polls the old leader.
    let old = cluster.leader("t", 0).unwrap();
    let new = cluster.broker_ids().into_iter().find(|b| *b != old).unwrap();
    cluster.move_leader("t", 0, new).unwrap();
    client.refresh_metadata().await.unwrap(); // the producing client's, not the fetcher's
    produce(&client, &cluster, "t", 0, 5, Compression::None).await;
    consume(&mut handle, IsolationLevel::ReadUncommitted, &mut seen, counts(10)).await;
    assert_eq!(seen[&tp].records, (0..10).map(|o| (o, value(0, o))).collect::<Vec<_>>());
    let requests = fetch_requests(&cluster);
    let at_zero = requests.iter().filter(|(_, parts)| parts.contains(&(0, 0))).count();
    assert!(at_zero >= 2, "the failed fetch was repeated at the same offset: {requests:?}");
    assert!(requests.iter().any(|(b, parts)| *b == new && parts.contains(&(0, 5))), "offset 5 from the new leader");
}

#[tokio::test]
async fn recovers_from_dropped_connections_and_retriable_errors() {
    let (cluster, client) = cluster(1, "t", 2).await;
    for p in 0..2 {
        produce(&client, &cluster, "t", p, 5, Compression::None).await;
    }
    cluster.inject(Fault::drop_connection(ApiKey::Fetch).times(2));
    cluster.inject(Fault::error(ApiKey::Fetch, ErrorCode::KAFKA_STORAGE_ERROR).partition("t", 1).times(2));
    cluster.inject(Fault::error(ApiKey::Fetch, ErrorCode::UNKNOWN_LEADER_EPOCH).partition("t", 0));
    let mut handle = start(&cluster, config(&cluster)).await;
    fetch_all(&handle, "t", 0..2, 0, 1);
    let mut seen = BTreeMap::new();
    consume(&mut handle, IsolationLevel::ReadUncommitted, &mut seen, counts(10)).await;
    for p in 0..2 {
        assert_eq!(seen[&TopicPartition::new("t", p)].records, (0..5).map(|o| (o, value(p, o))).collect::<Vec<_>>());
    }
    // Nothing more, nothing twice.
    produce(&client, &cluster, "t", 0, 1, Compression::None).await;
    consume(&mut handle, IsolationLevel::ReadUncommitted, &mut seen, counts(11)).await;
    assert_eq!(seen[&TopicPartition::new("t", 0)].records.len(), 6);
    // Each injected error took a request asking for the partition at offset 0 (a fault is used
    // up whether its request is answered or dropped), and one more got the records.
    let asked = |p: i32| fetch_requests(&cluster).iter().filter(|(_, parts)| parts.contains(&(p, 0))).count();
    assert!(asked(1) >= 3, "two KAFKA_STORAGE_ERRORs, then the records: {}", asked(1));
    assert!(asked(0) >= 2, "UNKNOWN_LEADER_EPOCH, then the records: {}", asked(0));
}

#[tokio::test]
async fn offset_out_of_range_is_handed_over_and_stops_the_partition_until_retagged() {
    let (cluster, client) = cluster(1, "t", 2).await;
    for p in 0..2 {
        produce(&client, &cluster, "t", p, 3, Compression::None).await;
    }
    let mut handle = start(&cluster, config(&cluster)).await;
    let set =
        HashMap::from([(TopicPartition::new("t", 0), target(50, 1)), (TopicPartition::new("t", 1), target(0, 1))]);
    handle.commands.send(FetchCommand::Fetch(set)).unwrap();
    let mut error = None;
    let mut good = 0;
    within("the error and partition 1's records", async {
        while error.is_none() || good == 0 {
            let f = handle.fetched.recv().await.unwrap();
            match f.result {
                Err(e) => error = Some((f.tp.clone(), f.fetch_offset, e)),
                Ok(_) => good += 1,
            }
        }
    })
    .await;
    let (tp, offset, e) = error.unwrap();
    assert_eq!((tp, offset), (TopicPartition::new("t", 0), 50));
    assert_eq!(e.code(), Some(ErrorCode::OFFSET_OUT_OF_RANGE));
    assert!(e.to_string().contains("t[0]") && e.to_string().contains("offset 50"), "{e}");
    // Partition 1 goes on being fetched (long polls); partition 0 is not asked for again.
    let before = fetch_requests(&cluster).len();
    within("more fetches of partition 1", async {
        while fetch_requests(&cluster).len() < before + 3 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let asked_0 = fetch_requests(&cluster).iter().filter(|(_, parts)| parts.iter().any(|(p, _)| *p == 0)).count();
    assert_eq!(asked_0, 1, "the partition is stopped after its error");
    // The consumer resets it: a new tag.
    let set = HashMap::from([(TopicPartition::new("t", 0), target(1, 2)), (TopicPartition::new("t", 1), target(0, 1))]);
    handle.commands.send(FetchCommand::Fetch(set)).unwrap();
    let mut seen = BTreeMap::new();
    consume(&mut handle, IsolationLevel::ReadUncommitted, &mut seen, counts(2)).await;
    assert_eq!(seen[&TopicPartition::new("t", 0)].records, vec![(1, value(0, 1)), (2, value(0, 2))]);
}

#[tokio::test]
async fn non_retriable_errors_are_handed_over() {
    let (cluster, client) = cluster(1, "t", 1).await;
    produce(&client, &cluster, "t", 0, 3, Compression::None).await;
    cluster.inject(Fault::error(ApiKey::Fetch, ErrorCode::TOPIC_AUTHORIZATION_FAILED).partition("t", 0));
    let mut handle = start(&cluster, config(&cluster)).await;
    fetch_all(&handle, "t", 0..1, 0, 1);
    let f = within("the error", handle.fetched.recv()).await.unwrap();
    let e = f.result.as_ref().unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::TOPIC_AUTHORIZATION_FAILED));
    assert!(e.to_string().contains("t[0]"), "{e}");
}

/// Starts a transaction of `txn_id` on `topic[0]` and returns (producer id, epoch).
async fn begin(client: &Client, txn_id: &str, topic: &str) -> (i64, i16) {
    let conn = client.leader_for(topic, 0).await.unwrap();
    let init = conn
        .send(&InitProducerIdRequest {
            transactional_id: Some(txn_id.into()),
            transaction_timeout_ms: 60_000,
            ..Default::default()
        })
        .await
        .unwrap();
    (init.producer_id, init.producer_epoch)
}

async fn add_partition(client: &Client, txn_id: &str, (pid, epoch): (i64, i16), topic: &str) {
    let conn = client.leader_for(topic, 0).await.unwrap();
    let add = AddPartitionsToTxnRequest {
        v3_and_below_transactional_id: txn_id.into(),
        v3_and_below_producer_id: pid,
        v3_and_below_producer_epoch: epoch,
        v3_and_below_topics: vec![AddPartitionsToTxnTopic {
            name: topic.into(),
            partitions: vec![0],
            ..Default::default()
        }],
        ..Default::default()
    };
    let resp = conn.send_version(&add, 3).await.unwrap();
    assert_eq!(resp.results_by_topic_v3_and_below[0].results_by_partition[0].partition_error_code, 0);
}

async fn end(client: &Client, txn_id: &str, (pid, epoch): (i64, i16), topic: &str, commit: bool) {
    let conn = client.leader_for(topic, 0).await.unwrap();
    let req = EndTxnRequest {
        transactional_id: txn_id.into(),
        producer_id: pid,
        producer_epoch: epoch,
        committed: commit,
        ..Default::default()
    };
    assert_eq!(conn.send_version(&req, 3).await.unwrap().error_code, 0);
}

fn txn_batch(values: &[String], (pid, epoch): (i64, i16), seq: i32) -> Bytes {
    let mut b = RecordBatchBuilder::new(0).with_transactional(true);
    b.set_producer_state(pid, epoch, seq);
    for v in values {
        b.append(1_700_000_000_000, None, Some(v.as_bytes()), &[]).unwrap();
    }
    b.finish().unwrap()
}

#[tokio::test]
async fn read_committed_hides_aborted_records_and_markers() {
    let (cluster, client) = cluster(1, "t", 1).await;
    let a = begin(&client, "tx-a", "t").await;
    let b = begin(&client, "tx-b", "t").await;
    let v = |o: i64| value(0, o);
    // 0-1: a (aborted), 2: b (committed), 3: plain, 4: a's ABORT, 5: b's COMMIT,
    // 6-7: a (committed), 8: a's COMMIT, 9: plain.
    add_partition(&client, "tx-a", a, "t").await;
    add_partition(&client, "tx-b", b, "t").await;
    produce_batch(&client, "t", 0, txn_batch(&[v(0), v(1)], a, 0)).await;
    produce_batch(&client, "t", 0, txn_batch(&[v(2)], b, 0)).await;
    produce(&client, &cluster, "t", 0, 1, Compression::None).await;
    end(&client, "tx-a", a, "t", false).await;
    end(&client, "tx-b", b, "t", true).await;
    add_partition(&client, "tx-a", a, "t").await;
    produce_batch(&client, "t", 0, txn_batch(&[v(6), v(7)], a, 2)).await;
    end(&client, "tx-a", a, "t", true).await;
    produce(&client, &cluster, "t", 0, 1, Compression::None).await;
    assert_eq!(cluster.high_watermark("t", 0), Some(10));

    let mut config = config(&cluster);
    config.isolation_level = IsolationLevel::ReadCommitted;
    let mut handle = start(&cluster, config).await;
    fetch_all(&handle, "t", 0..1, 0, 1);
    let mut seen = BTreeMap::new();
    let tp = TopicPartition::new("t", 0);
    consume(&mut handle, IsolationLevel::ReadCommitted, &mut seen, |s| {
        s.get(&tp).is_some_and(|s| s.fetches.last().is_some_and(|f| f.1 == 10))
    })
    .await;
    let offsets: Vec<i64> = seen[&tp].records.iter().map(|r| r.0).collect();
    assert_eq!(offsets, [2, 3, 6, 7, 9], "no aborted record, no marker");
    for (o, val) in &seen[&tp].records {
        assert_eq!(*val, v(*o));
    }
    let isolation: HashSet<i8> = cluster
        .requests_of(ApiKey::Fetch)
        .iter()
        .map(|r| match &r.body {
            RequestBody::Fetch(f) => f.isolation_level,
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(isolation, HashSet::from([1]));

    // read_uncommitted sees the aborted records too, never the markers.
    let mut handle = start(&cluster, self::config(&cluster)).await;
    fetch_all(&handle, "t", 0..1, 0, 1);
    let mut seen = BTreeMap::new();
    consume(&mut handle, IsolationLevel::ReadUncommitted, &mut seen, counts(7)).await;
    let offsets: Vec<i64> = seen[&tp].records.iter().map(|r| r.0).collect();
    assert_eq!(offsets, [0, 1, 2, 3, 6, 7, 9]);
}

#[tokio::test]
async fn an_undelivered_response_holds_its_partition_back() {
    let (cluster, client) = cluster(1, "t", 2).await;
    for _ in 0..3 {
        produce(&client, &cluster, "t", 0, 5, Compression::None).await;
    }
    let mut config = config(&cluster);
    config.max_partition_fetch_bytes = 64; // one batch per response
    let mut handle = start(&cluster, config).await;
    fetch_all(&handle, "t", 0..2, 0, 1);
    let held = within("the first response", handle.fetched.recv()).await.unwrap();
    assert_eq!((held.tp.partition, held.fetch_offset), (0, 0));
    // Partition 1 goes on being fetched while the consumer keeps partition 0's data.
    let asked_p0 = |cluster: &MockCluster| {
        fetch_requests(cluster).iter().filter(|(_, parts)| parts.iter().any(|(p, _)| *p == 0)).count()
    };
    let before = fetch_requests(&cluster).len();
    produce(&client, &cluster, "t", 1, 1, Compression::None).await;
    within("partition 1's record", async {
        loop {
            let p1 = handle.fetched.recv().await.unwrap();
            assert_eq!(p1.tp.partition, 1);
            if !has_no_records(&p1) {
                break;
            }
        }
    })
    .await;
    within("more fetches", async {
        while fetch_requests(&cluster).len() < before + 3 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert_eq!(asked_p0(&cluster), 1, "no request for a partition whose data is not consumed");
    assert!(handle.fetched.try_recv().is_err(), "nothing more buffered");
    // Consumed: the next batch is fetched.
    drop(held);
    let next = within("the second response", handle.fetched.recv()).await.unwrap();
    assert_eq!((next.tp.partition, next.fetch_offset), (0, 5));
    assert_eq!(asked_p0(&cluster), 2);
}

#[tokio::test]
async fn the_task_ends_when_the_command_sender_is_dropped() {
    let (cluster, _client) = cluster(1, "t", 1).await;
    let handle = start(&cluster, config(&cluster)).await;
    fetch_all(&handle, "t", 0..1, 0, 1);
    let FetcherHandle { commands, mut fetched } = handle;
    drop(commands);
    assert!(within("the task to end", fetched.recv()).await.is_none());
}

#[tokio::test]
async fn waits_for_a_topic_created_later() {
    let cluster = MockCluster::builder().auto_create_topics(false).start().await.unwrap();
    let client = Client::connect(ClientConfig::new([cluster.bootstrap()])).await.unwrap();
    let mut handle = start(&cluster, config(&cluster)).await;
    fetch_all(&handle, "later", 0..1, 0, 1);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(handle.fetched.try_recv().is_err(), "an unknown topic is not an error handed over");
    cluster.create_topic("later", 1).unwrap();
    produce(&client, &cluster, "later", 0, 2, Compression::None).await;
    let mut seen = BTreeMap::new();
    consume(&mut handle, IsolationLevel::ReadUncommitted, &mut seen, counts(2)).await;
    assert_eq!(seen[&TopicPartition::new("later", 0)].records.len(), 2);
}

#[tokio::test]
async fn partitions_take_turns_when_fetch_max_bytes_runs_out() {
    let (cluster, client) = cluster(1, "t", 3).await;
    for p in 0..3 {
        for _ in 0..4 {
            produce(&client, &cluster, "t", p, 3, Compression::None).await;
        }
    }
    let mut config = config(&cluster);
    // Less than one batch: each response holds one whole batch (KIP-74) and cut-off parts of
    // the others, which are not handed over.
    config.fetch_max_bytes = 60;
    let mut handle = start(&cluster, config).await;
    fetch_all(&handle, "t", 0..3, 0, 1);
    let mut seen = BTreeMap::new();
    consume(&mut handle, IsolationLevel::ReadUncommitted, &mut seen, counts(36)).await;
    for p in 0..3 {
        let s = &seen[&TopicPartition::new("t", p)];
        assert_eq!(s.records, (0..12).map(|o| (o, value(p, o))).collect::<Vec<_>>(), "partition {p}");
        assert_eq!(s.fetches.len(), 4, "one whole batch per response: {:?}", s.fetches);
    }
    let requests = fetch_requests(&cluster);
    let firsts: HashSet<i32> = requests.iter().filter_map(|(_, parts)| parts.first().map(|(p, _)| *p)).collect();
    assert_eq!(firsts.len(), 3, "each partition came first in some request: {requests:?}");
}

#[tokio::test]
async fn a_caught_up_partition_does_not_hold_a_lagging_one_back_for_a_long_poll() {
    let (cluster, client) = cluster(1, "t", 2).await;
    for _ in 0..3 {
        produce(&client, &cluster, "t", 0, 5, Compression::None).await;
    }
    produce(&client, &cluster, "t", 1, 1, Compression::None).await;
    let mut config = config(&cluster);
    config.max_partition_fetch_bytes = 64; // one batch per response
                                           // A long poll far longer than the hang guard: if a request of partition 1 alone (caught up)
                                           // went out while partition 0's data is held, partition 0 would wait for it and the test
                                           // would hang.
    config.fetch_max_wait = Duration::from_secs(120);
    let mut handle = start(&cluster, config).await;
    fetch_all(&handle, "t", 0..2, 0, 1);
    let mut held = None;
    let mut p1_seen = false;
    while held.is_none() || !p1_seen {
        let f = within("the first responses", handle.fetched.recv()).await.unwrap();
        match f.tp.partition {
            0 => held = Some(f),
            _ => p1_seen |= !has_no_records(&f), // dropped: partition 1 is caught up and fetchable again
        }
    }
    let held = held.unwrap();
    assert_eq!(held.fetch_offset, 0);
    // Give the fetcher time to (wrongly) send partition 1 alone; nothing asserts the time.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let requests = fetch_requests(&cluster);
    // (Partition 1's single batch may come in a request of its own, when it did not fit
    // after partition 0's in the first: it was not caught up then.)
    assert!(
        !requests.iter().any(|(_, parts)| parts == &[(1, 1)]),
        "no long poll of the caught-up partition alone while the lagging one waits: {requests:?}"
    );
    drop(held);
    let next = within("partition 0's next batch", handle.fetched.recv()).await.unwrap();
    assert_eq!((next.tp.partition, next.fetch_offset), (0, 5));
    let requests = fetch_requests(&cluster);
    let last = &requests.last().unwrap().1;
    assert!(last.contains(&(0, 5)) && last.contains(&(1, 1)), "one request for both: {requests:?}");
}

#[tokio::test]
async fn an_answer_without_records_tells_a_new_high_watermark_once() {
    let (cluster, client) = cluster(1, "t", 1).await;
    produce(&client, &cluster, "t", 0, 3, Compression::None).await;
    let mut handle = start(&cluster, config(&cluster)).await;
    // Fetching from the end: nothing to return, but the consumer learns where the end is.
    fetch_all(&handle, "t", 0..1, 3, 1);
    let f = within("the high watermark", handle.fetched.recv()).await.unwrap();
    assert!(has_no_records(&f));
    assert_eq!((f.fetch_offset, f.result.as_ref().unwrap().high_watermark), (3, 3));
    drop(f);
    // Long polls that find nothing new say nothing more.
    let before = fetch_requests(&cluster).len();
    within("more fetches", async {
        while fetch_requests(&cluster).len() < before + 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(handle.fetched.try_recv().is_err(), "an unchanged high watermark is not handed over again");
    // New records come with their high watermark as usual.
    produce(&client, &cluster, "t", 0, 2, Compression::None).await;
    let f = within("the new records", handle.fetched.recv()).await.unwrap();
    assert!(!has_no_records(&f));
    assert_eq!((f.fetch_offset, f.result.as_ref().unwrap().high_watermark), (3, 5));
}
