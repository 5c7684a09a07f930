//! The consumer against the mock cluster (`kafkit-mock`), for what a real single-node Tansu
//! cannot show: OFFSET_OUT_OF_RANGE and the reset policies (Tansu never answers it), leader
//! moves and broker failover mid-fetch, dropped fetch connections, read_committed filtering
//! (Tansu never fills `aborted_transactions`), a coordinator that moves, heartbeat and commit
//! errors (REBALANCE_IN_PROGRESS, UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION), a rebalance while a
//! fetch is in flight, and a member that stops polling.
//!
//! Every test checks the records the application got: each produced record exactly once, in
//! order per partition (or, where the semantics allow redelivery, at least once and nothing
//! lost). No assertion depends on timing; the limited waits only turn a hang into a failure.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafkit_client::consumer::{
    AssignorKind, Consumer, ConsumerConfig, IsolationLevel, OffsetReset, Rebalance, RebalanceListener, StreamExt,
    TopicPartition,
};
use kafkit_client::producer::{Acks, Producer, ProducerConfig, ProducerRecord};
use kafkit_client::protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use kafkit_client::protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafkit_client::protocol::messages::{
    AddPartitionsToTxnRequest, EndTxnRequest, FindCoordinatorRequest, InitProducerIdRequest, ProduceRequest,
};
use kafkit_client::protocol::record::RecordBatchBuilder;
use kafkit_client::protocol::{ApiKey, ErrorCode};
use kafkit_client::{Client, ClientConfig, Error};
use kafkit_mock::{Fault, MockCluster};

const WAIT: Duration = Duration::from_secs(60);

fn config(cluster: &MockCluster, group: Option<&str>) -> ConsumerConfig {
    let mut c = ConsumerConfig::new([cluster.bootstrap()])
        .auto_offset_reset(OffsetReset::Earliest)
        .enable_auto_commit(false)
        .session_timeout(Duration::from_secs(3))
        .heartbeat_interval(Duration::from_millis(100))
        .fetch_max_wait(Duration::from_millis(100))
        .retry_backoff(Duration::from_millis(20));
    if let Some(g) = group {
        c = c.group_id(g);
    }
    c
}

/// Produces `values` to `topic`/`partition` (acks=all, in order).
async fn produce(cluster: &MockCluster, topic: &str, partition: i32, values: &[String]) {
    let producer = Producer::new(ProducerConfig::new([cluster.bootstrap()]).acks(Acks::All)).await.unwrap();
    for v in values {
        producer.send(ProducerRecord::new(topic).partition(partition).value(Bytes::from(v.clone()))).await;
    }
    producer.close(Some(WAIT)).await.unwrap();
}

fn values(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i:04}")).collect()
}

/// Polls until `n` records came (committing after each poll if `commit`).
async fn read(consumer: &mut Consumer, n: usize, commit: bool) -> Vec<(i32, i64, String)> {
    let mut out = Vec::new();
    let start = Instant::now();
    while out.len() < n {
        assert!(start.elapsed() < WAIT, "read {} of {n}: {out:?}", out.len());
        let records = consumer.poll(Duration::from_millis(100)).await.unwrap();
        for r in records.records_iter() {
            out.push((r.partition, r.offset, String::from_utf8(r.value.clone().unwrap().to_vec()).unwrap()));
        }
        if commit && !records.is_empty() {
            consumer.commit().await.unwrap();
        }
    }
    out
}

fn by_partition(records: &[(i32, i64, String)]) -> BTreeMap<i32, Vec<String>> {
    let mut m: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    for (p, _, v) in records {
        m.entry(*p).or_default().push(v.clone());
    }
    m
}

#[tokio::test]
async fn offset_out_of_range_resets_by_policy() {
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic("oor", 1).unwrap();
    produce(&cluster, "oor", 0, &values("v", 5)).await;
    let tp = TopicPartition::new("oor", 0);

    for (policy, expect_first) in [(OffsetReset::Earliest, Some(0)), (OffsetReset::Latest, None)] {
        let mut consumer = Consumer::new(config(&cluster, None).auto_offset_reset(policy)).await.unwrap();
        consumer.assign([tp.clone()]).unwrap();
        consumer.seek(&tp, 1000).unwrap();
        match expect_first {
            Some(first) => {
                let got = read(&mut consumer, 5, false).await;
                assert_eq!(got[0].1, first, "{policy:?}");
            }
            None => {
                // Latest: reset to the end (5): nothing until something new arrives.
                let start = Instant::now();
                loop {
                    assert!(consumer.poll(Duration::from_millis(100)).await.unwrap().is_empty());
                    if consumer.position(&tp).await.unwrap() == 5 {
                        break;
                    }
                    assert!(start.elapsed() < WAIT, "never reset to the end");
                }
                produce(&cluster, "oor", 0, &["new".to_string()]).await;
                let got = read(&mut consumer, 1, false).await;
                assert_eq!((got[0].1, got[0].2.as_str()), (5, "new"));
            }
        }
        consumer.close().await.unwrap();
    }

    // none: an error naming the partition, and the position stays where it was.
    let mut consumer = Consumer::new(config(&cluster, None).auto_offset_reset(OffsetReset::None)).await.unwrap();
    consumer.assign([tp.clone()]).unwrap();
    consumer.seek(&tp, 1000).unwrap();
    let start = Instant::now();
    let err = loop {
        match consumer.poll(Duration::from_millis(100)).await {
            Ok(r) => assert!(r.is_empty()),
            Err(e) => break e,
        }
        assert!(start.elapsed() < WAIT, "no error");
    };
    assert!(matches!(&err, Error::NoOffset { partition, .. } if partition == "oor[0]"), "{err:?}");
    consumer.seek(&tp, 3).unwrap();
    assert_eq!(read(&mut consumer, 2, false).await[0].1, 3);
    consumer.close().await.unwrap();
}

#[tokio::test]
async fn a_leader_move_and_a_broker_stop_mid_fetch_are_followed() {
    let cluster = MockCluster::builder().brokers(3).start().await.unwrap();
    cluster.create_topic("moves", 2).unwrap();
    let first = values("a", 50);
    produce(&cluster, "moves", 0, &first).await;
    produce(&cluster, "moves", 1, &first).await;
    let mut consumer = Consumer::new(config(&cluster, None)).await.unwrap();
    consumer.assign([TopicPartition::new("moves", 0), TopicPartition::new("moves", 1)]).unwrap();
    let mut got = read(&mut consumer, 100, false).await;

    let leader = cluster.leader("moves", 0).unwrap();
    let other = cluster.broker_ids().into_iter().find(|b| *b != leader).unwrap();
    cluster.move_leader("moves", 0, other).unwrap();
    let second = values("b", 30);
    produce(&cluster, "moves", 0, &second).await;
    got.extend(read(&mut consumer, 30, false).await);

    // The leader of partition 1 goes down: its replica takes over.
    let leader1 = cluster.leader("moves", 1).unwrap();
    cluster.stop_broker(leader1).unwrap();
    let third = values("c", 30);
    produce(&cluster, "moves", 1, &third).await;
    got.extend(read(&mut consumer, 30, false).await);

    let parts = by_partition(&got);
    assert_eq!(parts[&0], first.iter().chain(&second).cloned().collect::<Vec<_>>());
    assert_eq!(parts[&1], first.iter().chain(&third).cloned().collect::<Vec<_>>());
    assert!(consumer.poll(Duration::from_millis(200)).await.unwrap().is_empty(), "no duplicates");
    consumer.close().await.unwrap();
}

#[tokio::test]
async fn dropped_fetch_connections_and_fetch_errors_are_recovered() {
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic("drops", 1).unwrap();
    let vals = values("d", 200);
    produce(&cluster, "drops", 0, &vals[..100]).await;
    let mut consumer = Consumer::new(config(&cluster, None).max_partition_fetch_bytes(2048)).await.unwrap();
    consumer.assign([TopicPartition::new("drops", 0)]).unwrap();
    cluster.inject(Fault::drop_connection(ApiKey::Fetch).times(2));
    cluster.inject(Fault::error(ApiKey::Fetch, ErrorCode::NOT_LEADER_OR_FOLLOWER).times(2));
    let mut got = read(&mut consumer, 100, false).await;
    produce(&cluster, "drops", 0, &vals[100..]).await;
    cluster.inject(Fault::error(ApiKey::Fetch, ErrorCode::UNKNOWN_LEADER_EPOCH).times(1));
    got.extend(read(&mut consumer, 100, false).await);
    assert_eq!(by_partition(&got)[&0], vals);
    assert!(consumer.poll(Duration::from_millis(200)).await.unwrap().is_empty(), "no duplicates");
    consumer.close().await.unwrap();
}

/// Writes one transaction of `values` to `topic`[0] and commits or aborts it, with raw
/// requests (kafkit's producer has no transactions yet).
async fn transaction(client: &Client, txn_id: &str, values: &[&str], seq: i32, commit: bool) {
    let conn = client.connection(1).await.unwrap();
    let init = conn
        .send(&InitProducerIdRequest {
            transactional_id: Some(txn_id.into()),
            transaction_timeout_ms: 60_000,
            ..Default::default()
        })
        .await
        .unwrap();
    let (pid, epoch) = (init.producer_id, init.producer_epoch);
    let add = AddPartitionsToTxnRequest {
        v3_and_below_transactional_id: txn_id.into(),
        v3_and_below_producer_id: pid,
        v3_and_below_producer_epoch: epoch,
        v3_and_below_topics: vec![AddPartitionsToTxnTopic {
            name: "txn".into(),
            partitions: vec![0],
            ..Default::default()
        }],
        ..Default::default()
    };
    // v3: the single-transaction form (v4+ is the broker-to-broker batched form).
    let added = conn.send_with(&add, 3, Duration::from_secs(5)).await.unwrap();
    assert_eq!(added.results_by_topic_v3_and_below[0].results_by_partition[0].partition_error_code, 0);
    let mut b = RecordBatchBuilder::new(0).with_transactional(true);
    b.set_producer_state(pid, epoch, seq);
    for v in values {
        b.append(1_700_000_000_000, None, Some(v.as_bytes()), &[]).unwrap();
    }
    let produce = ProduceRequest {
        acks: -1,
        timeout_ms: 5000,
        transactional_id: Some(txn_id.into()),
        topic_data: vec![TopicProduceData {
            name: "txn".into(),
            partition_data: vec![PartitionProduceData {
                index: 0,
                records: Some(b.finish().unwrap()),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let resp = conn.send(&produce).await.unwrap();
    assert_eq!(resp.responses[0].partition_responses[0].error_code, 0);
    let end = EndTxnRequest {
        transactional_id: txn_id.into(),
        producer_id: pid,
        producer_epoch: epoch,
        committed: commit,
        ..Default::default()
    };
    assert_eq!(conn.send(&end).await.unwrap().error_code, 0);
}

#[tokio::test]
async fn read_committed_returns_no_aborted_and_no_control_records() {
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic("txn", 1).unwrap();
    let client = Client::connect(ClientConfig::new([cluster.bootstrap()])).await.unwrap();
    produce(&cluster, "txn", 0, &["plain-0".to_string()]).await;
    transaction(&client, "t1", &["aborted-0", "aborted-1"], 0, false).await;
    transaction(&client, "t2", &["committed-0", "committed-1"], 0, true).await;
    produce(&cluster, "txn", 0, &["plain-1".to_string()]).await;
    let hw = cluster.high_watermark("txn", 0).unwrap();
    let tp = TopicPartition::new("txn", 0);

    let committed = config(&cluster, None).isolation_level(IsolationLevel::ReadCommitted);
    let mut consumer = Consumer::new(committed).await.unwrap();
    consumer.assign([tp.clone()]).unwrap();
    let got: Vec<String> = read(&mut consumer, 4, false).await.into_iter().map(|r| r.2).collect();
    assert_eq!(got, ["plain-0", "committed-0", "committed-1", "plain-1"]);
    assert_eq!(consumer.position(&tp).await.unwrap(), hw, "the position moves past the markers");
    assert!(consumer.poll(Duration::from_millis(200)).await.unwrap().is_empty());
    consumer.close().await.unwrap();

    // read_uncommitted sees the aborted records too, but never the control records.
    let mut consumer = Consumer::new(config(&cluster, None)).await.unwrap();
    consumer.assign([tp.clone()]).unwrap();
    let got: Vec<String> = read(&mut consumer, 6, false).await.into_iter().map(|r| r.2).collect();
    assert_eq!(got, ["plain-0", "aborted-0", "aborted-1", "committed-0", "committed-1", "plain-1"]);
    assert!(consumer.poll(Duration::from_millis(200)).await.unwrap().is_empty());
    consumer.close().await.unwrap();
    client.shutdown().await;
}

/// A group member in its own task that polls and commits after each poll.
struct Member {
    got: Arc<Mutex<Vec<(i32, i64, String)>>>,
    assignment: Arc<Mutex<Vec<TopicPartition>>>,
    stop: Arc<AtomicBool>,
    errors: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Member {
    async fn start(config: ConsumerConfig, topic: &str) -> Member {
        let mut consumer = Consumer::new(config).await.unwrap();
        consumer.subscribe([topic]).unwrap();
        let got = Arc::new(Mutex::new(Vec::new()));
        let assignment = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let errors = Arc::new(Mutex::new(Vec::new()));
        let (got2, assignment2, stop2, errors2) = (got.clone(), assignment.clone(), stop.clone(), errors.clone());
        let task = tokio::spawn(async move {
            while !stop2.load(Ordering::Relaxed) {
                let records = match consumer.poll(Duration::from_millis(100)).await {
                    Ok(r) => r,
                    Err(e) => {
                        errors2.lock().unwrap().push(e.to_string());
                        continue;
                    }
                };
                for r in records.records_iter() {
                    got2.lock().unwrap().push((
                        r.partition,
                        r.offset,
                        String::from_utf8(r.value.clone().unwrap().to_vec()).unwrap(),
                    ));
                }
                *assignment2.lock().unwrap() = consumer.assignment();
                if !records.is_empty() {
                    if let Err(e) = consumer.commit().await {
                        errors2.lock().unwrap().push(e.to_string());
                    }
                }
            }
            consumer.close().await.unwrap();
        });
        Member { got, assignment, stop, errors, task }
    }

    fn count(&self) -> usize {
        self.got.lock().unwrap().len()
    }

    /// The distinct (partition, offset) pairs read, added to `into`.
    fn distinct(&self, into: &mut std::collections::HashSet<(i32, i64)>) {
        into.extend(self.got.lock().unwrap().iter().map(|r| (r.0, r.1)));
    }

    async fn stop(self) -> (Vec<(i32, i64, String)>, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        tokio::time::timeout(WAIT, self.task).await.unwrap().unwrap();
        let got = self.got.lock().unwrap().clone();
        let errors = self.errors.lock().unwrap().clone();
        (got, errors)
    }
}

/// The broker coordinating `group` (FindCoordinator with the old single-key form, v3).
async fn find_coordinator(cluster: &MockCluster, group: &str) -> i32 {
    let client = Client::connect(ClientConfig::new([cluster.bootstrap()])).await.unwrap();
    let conn = client.connection(cluster.broker_ids()[0]).await.unwrap();
    let request = FindCoordinatorRequest { key: group.into(), key_type: 0, ..Default::default() };
    let resp = conn.send_with(&request, 3, Duration::from_secs(5)).await.unwrap();
    assert_eq!(resp.error_code, 0, "{resp:?}");
    client.shutdown().await;
    resp.node_id
}

async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every value of `expected` exactly once over `got`, in order per partition.
fn assert_exactly_once(got: &[(i32, i64, String)], expected: &BTreeMap<i32, Vec<String>>) {
    let mut sorted = got.to_vec();
    sorted.sort_by_key(|r| (r.0, r.1));
    let mut seen = HashMap::new();
    for r in &sorted {
        *seen.entry((r.0, r.1)).or_insert(0) += 1;
    }
    let dups: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dups.is_empty(), "records delivered twice: {dups:?}");
    assert_eq!(&by_partition(&sorted), expected);
}

/// Two members split a topic while a Fetch is held by the broker, heartbeats get
/// REBALANCE_IN_PROGRESS and UNKNOWN_MEMBER_ID, a commit gets ILLEGAL_GENERATION, and the
/// coordinator's broker stops: every record exactly once, commits still land.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_faults_lose_and_duplicate_nothing() {
    let cluster = MockCluster::builder().brokers(3).start().await.unwrap();
    cluster.create_topic("grp", 4).unwrap();
    let mut expected: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    for p in 0..4 {
        let v = values(&format!("p{p}"), 25);
        produce(&cluster, "grp", p, &v).await;
        expected.insert(p, v);
    }
    let a = Member::start(config(&cluster, Some("g")), "grp").await;
    wait_until("a reads", || a.count() >= 20).await;
    // A rebalance while a's next fetch is held by the broker.
    cluster.inject(Fault::delay(ApiKey::Fetch, Duration::from_millis(500)).times(1));
    let b = Member::start(config(&cluster, Some("g")), "grp").await;
    wait_until("a split", || {
        let (x, y) = (a.assignment.lock().unwrap().len(), b.assignment.lock().unwrap().len());
        x == 2 && y == 2
    })
    .await;
    cluster.inject(Fault::error(ApiKey::Heartbeat, ErrorCode::REBALANCE_IN_PROGRESS).times(1));
    cluster.inject(Fault::error(ApiKey::OffsetCommit, ErrorCode::ILLEGAL_GENERATION).times(1));
    let more = |p: i32, tag: &str| values(&format!("p{p}-{tag}"), 10);
    for p in 0..4 {
        let v = more(p, "x");
        produce(&cluster, "grp", p, &v).await;
        expected.get_mut(&p).unwrap().extend(v);
    }
    // Distinct records: a failed commit makes some come twice, which must not count.
    let distinct = |a: &Member, b: &Member| {
        let mut set = std::collections::HashSet::new();
        a.distinct(&mut set);
        b.distinct(&mut set);
        set.len()
    };
    wait_until("all of round two", || distinct(&a, &b) >= 140).await;
    cluster.inject(Fault::error(ApiKey::Heartbeat, ErrorCode::UNKNOWN_MEMBER_ID).times(1));
    // The coordinator's broker stops: the group moves to another broker.
    let coordinator = find_coordinator(&cluster, "g").await;
    cluster.stop_broker(coordinator).unwrap();
    for p in 0..4 {
        let v = more(p, "y");
        produce(&cluster, "grp", p, &v).await;
        expected.get_mut(&p).unwrap().extend(v);
    }
    wait_until("all of round three", || distinct(&a, &b) >= 180).await;
    tokio::time::sleep(Duration::from_millis(300)).await; // duplicates would show up now
    let (got_a, errors_a) = a.stop().await;
    let (got_b, errors_b) = b.stop().await;
    let all: Vec<_> = got_a.iter().chain(&got_b).cloned().collect();
    // An ILLEGAL_GENERATION commit means a rebalance: records after the last good commit may
    // come again (Java's semantics too). They must be whole: at-least-once, in order.
    let errors: Vec<String> = errors_a.into_iter().chain(errors_b).collect();
    assert!(errors.iter().any(|e| e.contains("ILLEGAL_GENERATION")), "the failed commit was reported: {errors:?}");
    let mut dedup = all.clone();
    dedup.sort_by_key(|r| (r.0, r.1));
    dedup.dedup();
    assert_exactly_once(&dedup, &expected);
    for p in 0..4 {
        assert_eq!(cluster.committed_offset("g", "grp", p), Some(45), "partition {p}'s commit");
    }
}

/// A member that stops polling for longer than max.poll.interval leaves the group: the other
/// member takes its partitions (from the committed offsets); when it polls again, it rejoins,
/// and its listener hears that its partitions were lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_that_stops_polling_leaves_and_rejoins() {
    struct Lost(Arc<Mutex<Vec<TopicPartition>>>);
    impl RebalanceListener for Lost {
        fn on_partitions_lost(&mut self, _: &mut Rebalance<'_>, partitions: &[TopicPartition]) {
            self.0.lock().unwrap().extend_from_slice(partitions);
        }
    }
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic("slow", 2).unwrap();
    let cfg = |g| config(&cluster, Some(g)).max_poll_interval(Duration::from_millis(1500));
    let a = Member::start(cfg("s"), "slow").await;
    let lost = Arc::new(Mutex::new(Vec::new()));
    let mut b = Consumer::new(cfg("s")).await.unwrap();
    b.subscribe_with(["slow"], Lost(lost.clone())).unwrap();
    let start = Instant::now();
    while b.assignment().len() != 1 {
        b.poll(Duration::from_millis(100)).await.unwrap();
        assert!(start.elapsed() < WAIT, "b never got a partition");
    }
    // b stops polling: a ends up with both partitions.
    wait_until("a takes over", || a.assignment.lock().unwrap().len() == 2).await;
    let mut expected = BTreeMap::new();
    for p in 0..2 {
        let v = values(&format!("s{p}"), 10);
        produce(&cluster, "slow", p, &v).await;
        expected.insert(p, v);
    }
    wait_until("a reads all", || a.count() >= 20).await;
    // b polls again: it learns its partition was lost, and rejoins.
    let start = Instant::now();
    while lost.lock().unwrap().is_empty() || b.assignment().is_empty() {
        assert!(b.poll(Duration::from_millis(100)).await.unwrap().is_empty(), "b read what a committed");
        assert!(start.elapsed() < WAIT, "b never rejoined");
    }
    b.close().await.unwrap();
    let (got, errors) = a.stop().await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_exactly_once(&got, &expected);
}

/// `RecordStream::consumer`/`commit` between items, and after a `next()` cancelled by a
/// timeout: the unfinished `next()` keeps the consumer until it completes, and its record is
/// not lost.
#[tokio::test]
async fn the_stream_gives_the_consumer_back_between_items_and_loses_nothing_on_cancel() {
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic("s", 1).unwrap();
    produce(&cluster, "s", 0, &values("a", 2)).await;
    let mut consumer = Consumer::new(config(&cluster, Some("g-stream"))).await.unwrap();
    consumer.subscribe(["s"]).unwrap();
    let tp = TopicPartition::new("s", 0);
    {
        let mut stream = consumer.stream();
        for expected in 0..2 {
            let record = tokio::time::timeout(WAIT, stream.next()).await.unwrap().unwrap().unwrap();
            assert_eq!(record.offset, expected);
            stream.commit().await.unwrap();
            let committed = stream.consumer().unwrap().committed([tp.clone()]).await.unwrap();
            assert_eq!(committed[&tp].as_ref().map(|o| o.offset), Some(expected + 1));
        }
        // Nothing more: the next() is cancelled by the timeout and holds the consumer.
        assert!(tokio::time::timeout(Duration::from_millis(300), stream.next()).await.is_err());
        assert!(stream.consumer().is_none());
        assert!(matches!(stream.commit().await, Err(Error::IllegalState(_))));
        // Polled again, it finishes with the next record; the consumer is back.
        produce(&cluster, "s", 0, &values("b", 1)).await;
        let record = tokio::time::timeout(WAIT, stream.next()).await.unwrap().unwrap().unwrap();
        assert_eq!((record.offset, record.value.as_deref()), (2, Some(&b"b-0000"[..])));
        stream.commit().await.unwrap();
    }
    let committed = consumer.committed([tp.clone()]).await.unwrap();
    assert_eq!(committed[&tp].as_ref().map(|o| o.offset), Some(3));
    consumer.close().await.unwrap();
}

/// `highwater` is known for a partition whose fetches return no records (as Java learns it from
/// every fetch response), so "reached the end" checks work on empty partitions too.
#[tokio::test]
async fn highwater_is_known_for_partitions_without_records() {
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic("hw", 2).unwrap();
    produce(&cluster, "hw", 0, &values("v", 3)).await;
    let mut consumer = Consumer::new(config(&cluster, None)).await.unwrap();
    let (p0, p1) = (TopicPartition::new("hw", 0), TopicPartition::new("hw", 1));
    consumer.assign([p0.clone(), p1.clone()]).unwrap();
    let got = read(&mut consumer, 3, false).await;
    assert_eq!(got.len(), 3);
    let start = Instant::now();
    while consumer.highwater(&p1).is_none() {
        assert!(start.elapsed() < WAIT, "no high watermark for the empty partition");
        assert!(consumer.poll(Duration::from_millis(100)).await.unwrap().is_empty());
    }
    assert_eq!((consumer.highwater(&p0), consumer.highwater(&p1)), (Some(3), Some(0)));
    consumer.close().await.unwrap();
}

/// A poll cancelled (by a timeout) while the commit before a revocation is in flight has
/// already given the partitions up: the consumer never goes on reading partitions the group is
/// moving to another member.
#[tokio::test]
async fn a_poll_cancelled_during_a_revocation_has_given_the_partitions_up() {
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic("cancel", 2).unwrap();
    for p in 0..2 {
        produce(&cluster, "cancel", p, &values(&format!("c{p}"), 3)).await;
    }
    // Eager (range): a join revokes everything; auto-commit commits before revoking (and not
    // on its timer during the test).
    let cfg = config(&cluster, Some("cancel"))
        .enable_auto_commit(true)
        .auto_commit_interval(Duration::from_secs(3600))
        .partition_assignment_strategy([AssignorKind::Range]);
    let mut a = Consumer::new(cfg.clone()).await.unwrap();
    a.subscribe(["cancel"]).unwrap();
    assert_eq!(read(&mut a, 6, false).await.len(), 6);
    assert_eq!(a.assignment().len(), 2);
    let commits_before = cluster.requests_of(ApiKey::OffsetCommit).len();
    cluster.inject(Fault::delay(ApiKey::OffsetCommit, Duration::from_secs(3)).times(1));
    let b = Member::start(cfg, "cancel").await;
    let start = Instant::now();
    loop {
        let _ = tokio::time::timeout(Duration::from_millis(100), a.next_record()).await;
        if cluster.requests_of(ApiKey::OffsetCommit).len() > commits_before {
            break; // the revocation's commit is held at the broker; the poll was cancelled
        }
        assert!(start.elapsed() < WAIT, "no revocation");
    }
    assert!(a.assignment().is_empty(), "still holds {:?} after the cancelled revocation", a.assignment());
    // The group settles: each member ends with one partition.
    let start = Instant::now();
    while a.assignment().len() != 1 {
        assert!(a.poll(Duration::from_millis(100)).await.unwrap().is_empty(), "a re-read committed records");
        assert!(start.elapsed() < WAIT, "a never got a partition back");
    }
    wait_until("b gets the other partition", || b.assignment.lock().unwrap().len() == 1).await;
    assert_ne!(a.assignment(), *b.assignment.lock().unwrap());
    a.close().await.unwrap();
    let (_, errors) = b.stop().await;
    assert!(errors.is_empty(), "{errors:?}");
}

/// `allow.auto.create.topics`: a consumer that may not create topics does not, through its
/// metadata lookups, on a broker that would (Java's consumer and librdkafka's default).
#[tokio::test]
async fn allow_auto_create_topics_false_creates_nothing() {
    let cluster = MockCluster::start(1).await.unwrap(); // auto-creates topics when asked
    let mut config = config(&cluster, None);
    config.allow_auto_create_topics = false;
    let consumer = Consumer::new(config.clone()).await.unwrap();
    let e = consumer.partitions_for("typo").await;
    assert!(e.as_ref().map_or(true, |p| p.is_empty()), "{e:?}");
    assert!(cluster.records("typo", 0).is_err(), "the topic was created");
    consumer.close().await.unwrap();
    // Allowed (the default), the same lookup creates it.
    config.allow_auto_create_topics = true;
    let consumer = Consumer::new(config).await.unwrap();
    let partitions = consumer.partitions_for("typo").await.unwrap();
    assert!(!partitions.is_empty());
    consumer.close().await.unwrap();
}
