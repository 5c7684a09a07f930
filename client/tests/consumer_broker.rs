//! The consumer against a real broker (Tansu in CI, Apache Kafka from docker-compose.yml
//! locally): groups of 1, 2 and 3 members splitting a topic and reading every record exactly
//! once (with commits), reassignment when a member leaves and when one joins, resuming from
//! committed offsets after a restart, `auto.offset.reset` earliest / latest, manual
//! assignment with seeks, positions, pause / resume and offset lookups, the record stream
//! with JSON values.
//!
//! The broker's `host:port` list comes from `KAFKIT_TEST_BROKERS` (start one with
//! `scripts/tansu.sh start`); without it the tests are skipped with a message, unless `CI` is
//! set, where a missing broker is a failure.
//!
//! Tansu's quirks (see `shared/reference/broker.md`) shape two things here: every JoinGroup
//! is held for half the session timeout, so the session timeout is 6 s; and ListOffsets
//! "latest" answers the last batch's base offset + 1, so the tests that look up the end of a
//! partition produce one record per batch, where that answer is right. Paths Tansu cannot
//! exercise (out-of-range resets, read_committed, leader moves) are covered against the mock
//! cluster in `consumer_faults.rs`.
//!
//! No assertion depends on timing; the waits with a limit only turn a hang into a failure.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use kafkit_client::consumer::{AssignorKind, Consumer, ConsumerConfig, OffsetReset, TopicPartition};
use kafkit_client::producer::{partition_for_key, Acks, Producer, ProducerConfig, ProducerRecord};
use kafkit_client::serializer::Json;

mod common;

use common::{brokers, create_topic, unique};

/// The longest any wait may take before the test fails (a hang is a bug).
const WAIT: Duration = Duration::from_secs(90);

/// A consumer of `group` with test-friendly timeouts (Tansu holds each JoinGroup for half the
/// session timeout).
fn consumer_config(brokers: &str, group: &str) -> ConsumerConfig {
    ConsumerConfig::new([brokers])
        .client_id("kafkit-consumer-broker-test")
        .group_id(group)
        .session_timeout(Duration::from_secs(6))
        .heartbeat_interval(Duration::from_millis(500))
        .auto_offset_reset(OffsetReset::Earliest)
        .enable_auto_commit(false)
}

/// Produces `keys` (record i has key `keys[i]` and value `value-<key>`), each record in its
/// own batch when `one_per_batch` (so Tansu's ListOffsets "latest" is right).
async fn produce(brokers: &str, topic: &str, keys: &[String], one_per_batch: bool) {
    let mut config = ProducerConfig::new([brokers]).acks(Acks::All);
    if one_per_batch {
        config = config.linger(Duration::ZERO).max_in_flight_requests_per_connection(1);
    }
    let producer = Producer::new(config).await.unwrap();
    for key in keys {
        let record =
            ProducerRecord::new(topic).key(Bytes::from(key.clone())).value(Bytes::from(format!("value-{key}")));
        let delivery = producer.send(record).await;
        if one_per_batch {
            delivery.await.unwrap();
        }
    }
    producer.close(Some(WAIT)).await.unwrap();
}

fn keys(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i:05}")).collect()
}

/// What one group member saw.
#[derive(Debug, Default)]
struct Seen {
    /// (partition, offset, key) of every record returned.
    records: Vec<(i32, i64, String)>,
    /// The assignment after the latest poll.
    assignment: Vec<TopicPartition>,
}

/// A group member polling in its own task, committing after each poll.
struct Member {
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Member {
    async fn start(config: ConsumerConfig, topic: &str) -> Member {
        let mut consumer = Consumer::new(config).await.unwrap();
        consumer.subscribe([topic]).unwrap();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (seen.clone(), stop.clone());
        let task = tokio::spawn(async move {
            while !stop2.load(Ordering::Relaxed) {
                let records = consumer.poll(Duration::from_millis(200)).await.unwrap();
                {
                    let mut seen = seen2.lock().unwrap();
                    for r in records.records_iter() {
                        let key = String::from_utf8(r.key.clone().unwrap().to_vec()).unwrap();
                        assert_eq!(r.value.as_deref(), Some(format!("value-{key}").as_bytes()), "value of {key}");
                        seen.records.push((r.partition, r.offset, key));
                    }
                    seen.assignment = consumer.assignment();
                }
                if !records.is_empty() {
                    consumer.commit().await.unwrap();
                }
            }
            consumer.close().await.unwrap();
        });
        Member { seen, stop, task }
    }

    fn assignment(&self) -> Vec<TopicPartition> {
        self.seen.lock().unwrap().assignment.clone()
    }

    fn count(&self) -> usize {
        self.seen.lock().unwrap().records.len()
    }

    async fn stop(self) -> Seen {
        self.stop.store(true, Ordering::Relaxed);
        tokio::time::timeout(WAIT, self.task).await.expect("member did not stop").unwrap();
        Arc::try_unwrap(self.seen).unwrap().into_inner().unwrap()
    }
}

/// Waits until the members' assignments are non-empty, disjoint and cover all `partitions`.
async fn wait_for_split(members: &[&Member], topic: &str, partitions: i32) -> Vec<Vec<TopicPartition>> {
    let all: BTreeSet<TopicPartition> = (0..partitions).map(|p| TopicPartition::new(topic, p)).collect();
    let start = Instant::now();
    loop {
        let assignments: Vec<Vec<TopicPartition>> = members.iter().map(|m| m.assignment()).collect();
        let union: BTreeSet<TopicPartition> = assignments.iter().flatten().cloned().collect();
        let total: usize = assignments.iter().map(Vec::len).sum();
        if assignments.iter().all(|a| !a.is_empty()) && union == all && total == all.len() {
            return assignments;
        }
        assert!(start.elapsed() < WAIT, "no stable split of {partitions} partitions: {assignments:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the members together have seen `n` records.
async fn wait_for_records(members: &[&Member], n: usize) {
    let start = Instant::now();
    loop {
        let total: usize = members.iter().map(|m| m.count()).sum();
        if total >= n {
            return;
        }
        assert!(start.elapsed() < WAIT, "only {total} of {n} records consumed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every produced key exactly once, at the partition murmur2 picks for it, and offsets
/// increasing per partition within each member.
fn assert_exactly_once(seen: &[&Seen], keys: &[String], partitions: i32) {
    let mut by_key: HashMap<&str, usize> = HashMap::new();
    for s in seen {
        let mut last: BTreeMap<i32, i64> = BTreeMap::new();
        for (p, offset, key) in &s.records {
            *by_key.entry(key.as_str()).or_default() += 1;
            assert_eq!(*p, partition_for_key(key.as_bytes(), partitions), "{key} on the wrong partition");
            if let Some(prev) = last.insert(*p, *offset) {
                assert!(*offset > prev, "partition {p}: offset {offset} after {prev}");
            }
        }
    }
    let dups: Vec<_> = by_key.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dups.is_empty(), "records consumed more than once: {dups:?}");
    let missing: Vec<_> = keys.iter().filter(|k| !by_key.contains_key(k.as_str())).collect();
    assert!(missing.is_empty(), "{} records never consumed, e.g. {:?}", missing.len(), missing.first());
    assert_eq!(by_key.len(), keys.len(), "records nobody produced");
}

async fn group_of(n_members: usize, strategy: AssignorKind) {
    let Some(brokers) = brokers() else { return };
    const PARTITIONS: i32 = 6;
    let topic = create_topic(&brokers, &format!("kafkit-consumer-group{n_members}"), PARTITIONS).await;
    let group = unique("kafkit-group");
    let mut members = Vec::new();
    for _ in 0..n_members {
        let config = consumer_config(&brokers, &group).partition_assignment_strategy(vec![strategy.clone()]);
        members.push(Member::start(config, &topic).await);
    }
    let refs: Vec<&Member> = members.iter().collect();
    let split = wait_for_split(&refs, &topic, PARTITIONS).await;
    let sizes: Vec<usize> = split.iter().map(Vec::len).collect();
    assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1, "unbalanced split {split:?}");

    let keys = keys("k", 600);
    produce(&brokers, &topic, &keys, false).await;
    wait_for_records(&refs, keys.len()).await;
    let mut seen = Vec::new();
    for m in members {
        seen.push(m.stop().await);
    }
    // Each member read only its own partitions (the split stayed stable).
    for (s, assigned) in seen.iter().zip(&split) {
        for (p, _, _) in &s.records {
            assert!(assigned.contains(&TopicPartition::new(topic.as_str(), *p)), "read {p} outside {assigned:?}");
        }
    }
    assert_exactly_once(&seen.iter().collect::<Vec<_>>(), &keys, PARTITIONS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_member_reads_every_partition_exactly_once() {
    group_of(1, AssignorKind::Range).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_members_split_the_partitions_range() {
    group_of(2, AssignorKind::Range).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_members_split_the_partitions_roundrobin() {
    group_of(3, AssignorKind::RoundRobin).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_members_split_the_partitions_cooperative_sticky() {
    group_of(3, AssignorKind::CooperativeSticky).await;
}

/// A member leaves: the other takes its partitions over from the committed offsets; a member
/// joins: the partitions are split again. Every record exactly once throughout.
async fn leave_and_join(strategy: AssignorKind) {
    let Some(brokers) = brokers() else { return };
    const PARTITIONS: i32 = 4;
    let topic = create_topic(&brokers, "kafkit-consumer-leave-join", PARTITIONS).await;
    let group = unique("kafkit-group");
    let config = || consumer_config(&brokers, &group).partition_assignment_strategy(vec![strategy.clone()]);
    let a = Member::start(config(), &topic).await;
    let b = Member::start(config(), &topic).await;
    wait_for_split(&[&a, &b], &topic, PARTITIONS).await;
    let first = keys("first", 200);
    produce(&brokers, &topic, &first, false).await;
    wait_for_records(&[&a, &b], first.len()).await;

    // b leaves: a gets everything.
    let seen_b = b.stop().await;
    wait_for_split(&[&a], &topic, PARTITIONS).await;
    let second = keys("second", 200);
    produce(&brokers, &topic, &second, false).await;
    wait_for_records(&[&a], first.len() - seen_b.records.len() + second.len()).await;

    // c joins: split again.
    let c = Member::start(config(), &topic).await;
    wait_for_split(&[&a, &c], &topic, PARTITIONS).await;
    let third = keys("third", 200);
    produce(&brokers, &topic, &third, false).await;
    let before = a.count() + seen_b.records.len();
    wait_for_records(&[&a, &c], before - seen_b.records.len() + third.len()).await;
    let seen_a = a.stop().await;
    let seen_c = c.stop().await;
    assert!(!seen_c.records.is_empty(), "the member that joined read nothing");
    let all: Vec<String> = first.iter().chain(&second).chain(&third).cloned().collect();
    assert_exactly_once(&[&seen_a, &seen_b, &seen_c], &all, PARTITIONS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_leaving_and_one_joining_reassign_partitions_range() {
    leave_and_join(AssignorKind::Range).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_leaving_and_one_joining_reassign_partitions_cooperative_sticky() {
    leave_and_join(AssignorKind::CooperativeSticky).await;
}

/// Reads up to `n` records with `consumer`, committing after each poll.
async fn read(consumer: &mut Consumer, n: usize) -> Vec<(i32, i64, String)> {
    let mut out = Vec::new();
    let start = Instant::now();
    while out.len() < n {
        assert!(start.elapsed() < WAIT, "read {} of {n} records", out.len());
        let records = consumer.poll_records(Duration::from_millis(200), n - out.len()).await.unwrap();
        for r in records.records_iter() {
            out.push((r.partition, r.offset, String::from_utf8(r.key.clone().unwrap().to_vec()).unwrap()));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_consumer_resumes_from_the_committed_offsets() {
    let Some(brokers) = brokers() else { return };
    let topic = create_topic(&brokers, "kafkit-consumer-restart", 3).await;
    let group = unique("kafkit-group");
    let keys = keys("r", 300);
    produce(&brokers, &topic, &keys, false).await;

    let mut first = Consumer::new(consumer_config(&brokers, &group)).await.unwrap();
    first.subscribe([topic.as_str()]).unwrap();
    let read1 = read(&mut first, 120).await;
    first.commit().await.unwrap();
    let committed = first.committed(first.assignment()).await.unwrap();
    for tp in first.assignment() {
        let position = first.position(&tp).await.unwrap();
        assert_eq!(committed[&tp].as_ref().map(|c| c.offset), Some(position), "{tp}: committed = position");
    }
    first.close().await.unwrap();

    // A new consumer of the group (auto-commit on, the default) starts where the first stopped.
    let config = consumer_config(&brokers, &group).enable_auto_commit(true);
    let mut second = Consumer::new(config).await.unwrap();
    second.subscribe([topic.as_str()]).unwrap();
    let read2 = read(&mut second, 180).await;
    second.close().await.unwrap(); // commits on close
    let s1 = Seen { records: read1, assignment: vec![] };
    let s2 = Seen { records: read2, assignment: vec![] };
    assert_exactly_once(&[&s1, &s2], &keys, 3);

    // Everything is committed now: a third member gets nothing more.
    let mut third = Consumer::new(consumer_config(&brokers, &group)).await.unwrap();
    third.subscribe([topic.as_str()]).unwrap();
    let start = Instant::now();
    while third.assignment().len() < 3 {
        assert!(third.poll(Duration::from_millis(200)).await.unwrap().is_empty(), "read past the commits");
        assert!(start.elapsed() < WAIT, "never assigned");
    }
    for tp in third.assignment() {
        assert_eq!(third.position(&tp).await.unwrap(), records_on(&keys, &tp), "{tp}");
    }
    assert!(third.poll(Duration::from_millis(500)).await.unwrap().is_empty(), "read past the commits");
    third.close().await.unwrap();
}

/// How many of `keys` land on `tp` of a 3-partition topic (= its end offset after producing
/// only them).
fn records_on(keys: &[String], tp: &TopicPartition) -> i64 {
    keys.iter().filter(|k| partition_for_key(k.as_bytes(), 3) == tp.partition).count() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn earliest_reads_the_past_and_latest_only_the_future() {
    let Some(brokers) = brokers() else { return };
    let topic = create_topic(&brokers, "kafkit-consumer-reset", 1).await;
    let old = keys("old", 5);
    produce(&brokers, &topic, &old, true).await;

    let mut earliest = Consumer::new(consumer_config(&brokers, &unique("g-earliest"))).await.unwrap();
    earliest.subscribe([topic.as_str()]).unwrap();
    let mut latest =
        Consumer::new(consumer_config(&brokers, &unique("g-latest")).auto_offset_reset(OffsetReset::Latest))
            .await
            .unwrap();
    latest.subscribe([topic.as_str()]).unwrap();
    let tp = TopicPartition::new(topic.as_str(), 0);
    // Let the latest consumer join and find its position before producing more.
    let start = Instant::now();
    while latest.assignment().is_empty() {
        assert!(latest.poll(Duration::from_millis(200)).await.unwrap().is_empty());
        assert!(start.elapsed() < WAIT, "never assigned");
    }
    assert_eq!(latest.position(&tp).await.unwrap(), 5, "latest starts at the end");

    let new = keys("new", 3);
    produce(&brokers, &topic, &new, true).await;
    let from_latest: Vec<String> = read(&mut latest, 3).await.into_iter().map(|r| r.2).collect();
    assert_eq!(from_latest, new);
    let from_earliest: Vec<String> = read(&mut earliest, 8).await.into_iter().map(|r| r.2).collect();
    assert_eq!(from_earliest, old.iter().chain(&new).cloned().collect::<Vec<_>>());
    latest.close().await.unwrap();
    earliest.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_offset_reset_none_is_an_error_naming_the_partition() {
    let Some(brokers) = brokers() else { return };
    let topic = create_topic(&brokers, "kafkit-consumer-reset-none", 1).await;
    produce(&brokers, &topic, &keys("x", 2), true).await;
    let config = consumer_config(&brokers, &unique("g-none")).auto_offset_reset(OffsetReset::None);
    let mut consumer = Consumer::new(config).await.unwrap();
    consumer.assign([TopicPartition::new(topic.as_str(), 0)]).unwrap();
    let err = consumer.poll(Duration::from_millis(500)).await.unwrap_err();
    assert!(matches!(err, kafkit_client::Error::NoOffset { .. }), "{err:?}");
    assert!(err.to_string().contains(&format!("{topic}[0]")), "{err}");
    // A seek gives it a position: then it reads.
    consumer.seek(&TopicPartition::new(topic.as_str(), 0), 1).unwrap();
    let got = read(&mut consumer, 1).await;
    assert_eq!(got[0].1, 1);
    consumer.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_assignment_seeks_positions_pause_and_offset_lookups() {
    let Some(brokers) = brokers() else { return };
    let topic = create_topic(&brokers, "kafkit-consumer-assign", 2).await;
    let keys = keys("a", 20);
    produce(&brokers, &topic, &keys, true).await;
    let p0 = TopicPartition::new(topic.as_str(), 0);
    let p1 = TopicPartition::new(topic.as_str(), 1);
    let expected: HashMap<i32, Vec<String>> = (0..2)
        .map(|p| (p, keys.iter().filter(|k| partition_for_key(k.as_bytes(), 2) == p).cloned().collect()))
        .collect();

    // No group: no commits, positions from auto.offset.reset.
    let config = ConsumerConfig::new([brokers.as_str()]).auto_offset_reset(OffsetReset::Earliest);
    let mut consumer = Consumer::new(config).await.unwrap();
    assert!(consumer.subscribe([topic.as_str()]).is_err(), "subscribe without group.id");
    consumer.assign([p0.clone(), p1.clone()]).unwrap();
    assert_eq!(consumer.assignment(), vec![p0.clone(), p1.clone()]);
    assert!(consumer.commit().await.is_err(), "commit without group.id");

    let begin = consumer.beginning_offsets(&[p0.clone(), p1.clone()]).await.unwrap();
    let end = consumer.end_offsets(&[p0.clone(), p1.clone()]).await.unwrap();
    assert_eq!((begin[&p0], begin[&p1]), (0, 0));
    assert_eq!(end[&p0] as usize, expected[&0].len());
    assert_eq!(end[&p1] as usize, expected[&1].len());
    assert_eq!(consumer.position(&p0).await.unwrap(), 0);

    // Pause p1: only p0's records come.
    consumer.pause(std::slice::from_ref(&p1)).unwrap();
    assert_eq!(consumer.paused(), vec![p1.clone()]);
    let got = read(&mut consumer, expected[&0].len()).await;
    assert!(got.iter().all(|r| r.0 == 0));
    assert_eq!(got.iter().map(|r| r.2.clone()).collect::<Vec<_>>(), expected[&0]);
    assert!(consumer.poll(Duration::from_millis(300)).await.unwrap().is_empty(), "p1 is paused");
    consumer.resume(std::slice::from_ref(&p1)).unwrap();
    let got = read(&mut consumer, expected[&1].len()).await;
    assert_eq!(got.iter().map(|r| r.2.clone()).collect::<Vec<_>>(), expected[&1]);
    assert_eq!(consumer.position(&p1).await.unwrap(), end[&p1]);

    // Seek back into the middle, and to the beginning / end.
    consumer.seek(&p0, 2).unwrap();
    let got = read(&mut consumer, expected[&0].len() - 2).await;
    assert_eq!(got[0].1, 2);
    assert_eq!(got.iter().map(|r| r.2.clone()).collect::<Vec<_>>(), expected[&0][2..]);
    consumer.seek_to_beginning(std::slice::from_ref(&p1)).unwrap();
    assert_eq!(consumer.position(&p1).await.unwrap(), 0);
    consumer.seek_to_end(&[]).unwrap();
    assert_eq!(consumer.position(&p0).await.unwrap(), end[&p0]);
    assert!(consumer.poll(Duration::from_millis(300)).await.unwrap().is_empty());
    let outside = TopicPartition::new(topic.as_str(), 7);
    assert!(consumer.seek(&outside, 0).is_err(), "seek of a partition not assigned");
    consumer.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_record_stream_yields_json_quotes_and_commits_per_record() {
    let Some(brokers) = brokers() else { return };
    let topic = create_topic(&brokers, "kafkit-consumer-stream", 1).await;
    let producer = Producer::new(ProducerConfig::new([brokers.as_str()])).await.unwrap();
    for i in 0..10 {
        let quote = serde_json::json!({"股票代码": format!("60000{i}"), "昨日收盘价": 10.0 + i as f64});
        let record = ProducerRecord::new(&topic).serialize_value(&Json, &quote).unwrap();
        producer.send(record).await.await.unwrap();
    }
    producer.close(None).await.unwrap();

    let group = unique("g-stream");
    let mut consumer = Consumer::new(consumer_config(&brokers, &group)).await.unwrap();
    consumer.subscribe([topic.as_str()]).unwrap();
    let mut got = Vec::new();
    {
        // The reference's `for record in consumer: ...; consumer.commit()`.
        let mut stream = consumer.stream();
        while got.len() < 4 {
            let record = tokio::time::timeout(WAIT, stream.next()).await.unwrap().unwrap().unwrap();
            let quote: serde_json::Value = record.value_as(&Json).unwrap();
            got.push(quote["股票代码"].as_str().unwrap().to_string());
            stream.commit().await.unwrap(); // exactly the records the stream yielded so far
            let tp = record.topic_partition();
            let committed = stream.consumer().unwrap().committed([tp.clone()]).await.unwrap();
            assert_eq!(committed[&tp].as_ref().map(|o| o.offset), Some(record.offset + 1));
        }
    }
    consumer.close().await.unwrap();
    assert_eq!(got, ["600000", "600001", "600002", "600003"]);

    let mut again = Consumer::new(consumer_config(&brokers, &group)).await.unwrap();
    again.subscribe([topic.as_str()]).unwrap();
    let record = tokio::time::timeout(WAIT, again.next_record()).await.unwrap().unwrap();
    assert_eq!(record.offset, 4, "resumes after the last record the stream yielded");
    let quote: serde_json::Value = record.value_as(&Json).unwrap();
    assert_eq!(quote["股票代码"], "600004");
    assert_eq!(quote["昨日收盘价"], 14.0);
    again.close().await.unwrap();
}
