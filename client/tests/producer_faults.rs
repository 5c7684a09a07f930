//! The producer under faults: leadership moves, request timeouts, dropped connections, sequence
//! errors and epoch bumps, brokers going down, retries running out, delivery and blocking
//! timeouts, refused records, and closing while the cluster cannot take the records.
//!
//! These run against kafkit-mock, not Tansu: Tansu runs one node (no leader to move to, no
//! broker to stop while another keeps serving), cannot move leadership, and has no fault
//! injection (no injected error codes, delayed answers or dropped connections). The mock speaks
//! the same wire protocol, checks idempotent sequences and answers duplicates as Kafka does, and
//! lets a test look at what the brokers received and stored.
//!
//! Two mock capabilities were added for these tests: `MockCluster::batches` (the stored batches
//! with their producer id, epoch and base sequence) and `MockClusterBuilder::advertise_versions`
//! (a broker advertising older API versions).
//!
//! Each test checks exact outcomes: the records the mock stored (no loss, no duplicate, send
//! order per partition), the offsets the futures report against the stored positions, the error
//! codes, and the requests the brokers saw. Timing only decides how long a fault lasts; nothing
//! asserts a duration, and every wait is hang-guarded.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use kafkit_client::producer::{Acks, DeliveryFuture, Producer, ProducerConfig, ProducerRecord, RecordMetadata};
use kafkit_client::protocol::messages::RequestBody;
use kafkit_client::protocol::record::RecordBatch;
use kafkit_client::protocol::{ApiKey, ErrorCode};
use kafkit_client::Error;
use kafkit_mock::{Fault, MockCluster};

/// A guard against hangs only: no test relies on timing beyond this.
async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), f).await.unwrap_or_else(|_| panic!("hung: {what}"))
}

/// Polls `check` until it holds (hang-guarded).
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    within(what, async {
        while !check() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
}

/// The settings every test starts from: short backoffs so that retries happen quickly.
fn config(cluster: &MockCluster) -> ProducerConfig {
    ProducerConfig::new([cluster.bootstrap()])
        .client_id("producer-faults")
        .retry_backoff(Duration::from_millis(20))
        .retry_backoff_max(Duration::from_millis(200))
}

/// The value (and key) of record `i` of `partition`: tells every record apart.
fn value(partition: i32, i: usize) -> String {
    format!("p{partition}-{i:05}")
}

/// Records sent and not awaited yet: (value, future), in send order.
type Pending = Vec<(String, DeliveryFuture)>;

/// Records delivered: (value, metadata), in send order.
type Delivered = Vec<(String, RecordMetadata)>;

/// Sends records `range` of `partition`, one after the other.
async fn send_range(producer: &Producer, topic: &str, partition: i32, range: std::ops::Range<usize>) -> Pending {
    let mut out = Vec::new();
    for i in range {
        let v = value(partition, i);
        let f = producer.send(ProducerRecord::new(topic).partition(partition).key(v.clone()).value(v.clone())).await;
        out.push((v, f));
    }
    out
}

/// Sends records `range` to each of `partitions`, interleaved (record i to every partition, then
/// i + 1), so that the partitions' batches share requests.
async fn send_interleaved(
    producer: &Producer,
    topic: &str,
    partitions: &[i32],
    range: std::ops::Range<usize>,
) -> HashMap<i32, Pending> {
    let mut out: HashMap<i32, Pending> = partitions.iter().map(|&p| (p, Vec::new())).collect();
    for i in range {
        for &p in partitions {
            let v = value(p, i);
            let f = producer.send(ProducerRecord::new(topic).partition(p).key(v.clone()).value(v.clone())).await;
            out.get_mut(&p).unwrap().push((v, f));
        }
    }
    out
}

/// Awaits every future; any failure fails the test, naming the record.
async fn delivered(what: &str, pending: Pending) -> Delivered {
    within(what, async {
        let mut out = Vec::with_capacity(pending.len());
        for (v, f) in pending {
            match f.await {
                Ok(m) => out.push((v, m)),
                Err(e) => panic!("{what}: record {v} was not delivered: {e}"),
            }
        }
        out
    })
    .await
}

/// Awaits every future and returns the outcomes.
async fn outcomes(what: &str, pending: Pending) -> Vec<(String, Result<RecordMetadata, Error>)> {
    within(what, async {
        let mut out = Vec::with_capacity(pending.len());
        for (v, f) in pending {
            out.push((v, f.await));
        }
        out
    })
    .await
}

fn text(b: &Option<bytes::Bytes>) -> String {
    String::from_utf8(b.as_ref().expect("records carry a value").to_vec()).expect("values are UTF-8")
}

/// The values stored in a partition, with their offsets, in log order.
fn stored(cluster: &MockCluster, topic: &str, partition: i32) -> Vec<(i64, String)> {
    cluster.records(topic, partition).unwrap().iter().map(|r| (r.offset, text(&r.value))).collect()
}

/// A short account of how `stored` differs from `sent`: duplicates, losses, first divergence.
fn mismatch(stored: &[String], sent: &[String]) -> String {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for s in stored {
        *counts.entry(s.as_str()).or_default() += 1;
    }
    let duplicated: Vec<&str> = {
        let mut d: Vec<&str> = counts.iter().filter(|(_, &n)| n > 1).map(|(v, _)| *v).collect();
        d.sort_unstable();
        d
    };
    let missing: Vec<&str> = sent.iter().map(String::as_str).filter(|v| !counts.contains_key(v)).collect();
    let first_diff = stored.iter().zip(sent).position(|(a, b)| a != b);
    format!(
        "{} stored vs {} sent; duplicated ({}): {:?}; missing ({}): {:?}; first divergence at index {:?}",
        stored.len(),
        sent.len(),
        duplicated.len(),
        &duplicated[..duplicated.len().min(10)],
        missing.len(),
        &missing[..missing.len().min(10)],
        first_diff.map(|i| (i, stored.get(i), sent.get(i)))
    )
}

/// Checks that `topic`-`partition` holds exactly the records of `delivered` (every record sent to
/// that partition), each once, in send order, and that each future's metadata points at the
/// record's stored position.
fn assert_exactly_once_in_order(
    cluster: &MockCluster,
    topic: &str,
    partition: i32,
    delivered: &[(String, RecordMetadata)],
) {
    let stored = stored(cluster, topic, partition);
    let stored_values: Vec<String> = stored.iter().map(|(_, v)| v.clone()).collect();
    let sent: Vec<String> = delivered.iter().map(|(v, _)| v.clone()).collect();
    assert!(stored_values == sent, "{topic}-{partition}: {}", mismatch(&stored_values, &sent));
    for ((v, m), (offset, _)) in delivered.iter().zip(&stored) {
        assert_eq!((&*m.topic, m.partition), (topic, partition), "{v}: metadata names another partition");
        assert_eq!(m.offset, *offset, "{v}: the future's offset is not where the record was stored");
    }
    assert_eq!(cluster.high_watermark(topic, partition), Some(delivered.len() as i64));
}

/// The batches of `topic`-`partition` in the Produce requests the brokers received, in arrival
/// order, with the broker that received each.
fn produce_attempts(cluster: &MockCluster, topic: &str, partition: i32) -> Vec<(i32, RecordBatch)> {
    let mut out = Vec::new();
    for r in cluster.requests_of(ApiKey::Produce) {
        let RequestBody::Produce(req) = &r.body else { unreachable!("requests_of(Produce)") };
        for t in req.topic_data.iter().filter(|t| t.name == topic) {
            for p in t.partition_data.iter().filter(|p| p.index == partition) {
                let bytes = p.records.clone().expect("a produced partition has records");
                out.push((r.broker, RecordBatch::decode(bytes).expect("one valid batch")));
            }
        }
    }
    out
}

/// The (producer id, epoch) of every InitProducerId request, in arrival order.
fn init_producer_id_requests(cluster: &MockCluster) -> Vec<(i64, i16)> {
    cluster
        .requests_of(ApiKey::InitProducerId)
        .iter()
        .map(|r| match &r.body {
            RequestBody::InitProducerId(r) => (r.producer_id, r.producer_epoch),
            _ => unreachable!("requests_of(InitProducerId)"),
        })
        .collect()
}

/// Some broker other than `not`.
fn other_broker(cluster: &MockCluster, not: i32) -> i32 {
    cluster.broker_ids().into_iter().find(|&b| b != not).expect("more than one broker")
}

/// A partition of `topic` led by `broker` (the mock spreads leaders round-robin).
fn partition_led_by(cluster: &MockCluster, topic: &str, partitions: i32, broker: i32) -> i32 {
    (0..partitions).find(|&p| cluster.leader(topic, p) == Some(broker)).expect("a partition led by the broker")
}

/// Every batch completed gives its `buffer.memory` back (polled: a batch's memory is returned
/// just after its futures complete).
async fn assert_memory_returned(producer: &Producer) {
    let total = producer.config().buffer_memory;
    eventually("buffer.memory given back", || producer.available_memory() == total).await;
}

async fn close(producer: Producer) {
    within("closing the producer", producer.close(Some(Duration::from_secs(30)))).await.unwrap();
}

/// The end of a test whose records are all complete: no memory kept, a clean close.
async fn finish(producer: Producer) {
    assert_memory_returned(&producer).await;
    close(producer).await;
}

// ---------------------------------------------------------------------------------------------
// 1. NOT_LEADER_OR_FOLLOWER and a leadership move.
// ---------------------------------------------------------------------------------------------

/// Partition 0's leadership moves while records stream to three partitions. With `idle_target`,
/// it moves to a fourth broker that led nothing, which the producer has to connect to first.
async fn not_leader_with_a_leadership_move(idle_target: bool) {
    let topic = "moves";
    let cluster = MockCluster::start(if idle_target { 4 } else { 3 }).await.unwrap();
    cluster.create_topic(topic, 3).unwrap();
    // Small batches: several of each partition are in flight when the leader moves.
    let producer = Producer::new(config(&cluster).batch_size(512)).await.unwrap();
    let partitions = [0, 1, 2];

    // The producer learns the leaders.
    let mut done: HashMap<i32, Delivered> = HashMap::new();
    for (p, pending) in send_interleaved(&producer, topic, &partitions, 0..30).await {
        done.insert(p, delivered("before the move", pending).await);
    }

    let old = cluster.leader(topic, 0).unwrap();
    let leaders: Vec<i32> = partitions.iter().map(|&p| cluster.leader(topic, p).unwrap()).collect();
    let new = if idle_target {
        cluster.broker_ids().into_iter().find(|b| !leaders.contains(b)).unwrap()
    } else {
        other_broker(&cluster, old)
    };
    let metadata_before = cluster.requests_of(ApiKey::Metadata).len();
    let attempts_before = produce_attempts(&cluster, topic, 0).len();
    let batches_before = cluster.batches(topic, 0).unwrap().len();
    // The old leader refuses partition 0 (as it would after the move anyway), and the new one
    // is not quite ready: it answers NOT_LEADER_OR_FOLLOWER twice before taking the records.
    cluster.inject(
        Fault::error(ApiKey::Produce, ErrorCode::NOT_LEADER_OR_FOLLOWER).broker(old).partition(topic, 0).times(3),
    );
    cluster.inject(
        Fault::error(ApiKey::Produce, ErrorCode::NOT_LEADER_OR_FOLLOWER).broker(new).partition(topic, 0).times(2),
    );
    cluster.move_leader(topic, 0, new).unwrap();

    for (p, pending) in send_interleaved(&producer, topic, &partitions, 30..330).await {
        let d = delivered("after the move", pending).await;
        done.get_mut(&p).unwrap().extend(d);
    }
    for p in partitions {
        assert_exactly_once_in_order(&cluster, topic, p, &done[&p]);
    }

    // Partition 0's batches went to the old leader (refused), then to the new one, which the
    // producer can only have learnt from fresh metadata.
    let attempts = &produce_attempts(&cluster, topic, 0)[attempts_before..];
    assert_eq!(attempts.first().map(|a| a.0), Some(old), "the first attempt after the move went to the old leader");
    assert!(cluster.requests_of(ApiKey::Metadata).len() > metadata_before, "no metadata refresh after NOT_LEADER");
    // Every batch stored after the move was stored under the new leader's epoch; that leader
    // also refused two attempts first, which were retried.
    let epochs: Vec<i32> = cluster.batches(topic, 0).unwrap().iter().map(|b| b.partition_leader_epoch).collect();
    assert!(epochs[..batches_before].iter().all(|&e| e == 0), "{epochs:?}");
    assert!(epochs[batches_before..].iter().all(|&e| e == 1), "a batch stored by the old leader: {epochs:?}");
    let stored_after = epochs.len() - batches_before;
    let at_new = attempts.iter().filter(|a| a.0 == new).count();
    assert!(at_new >= stored_after + 2, "{at_new} attempts at the new leader for {stored_after} stored batches");
    finish(producer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn not_leader_with_a_leadership_move_delivers_each_record_once_in_order() {
    not_leader_with_a_leadership_move(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn not_leader_with_a_move_to_a_new_broker_delivers_each_record_once_in_order() {
    not_leader_with_a_leadership_move(true).await;
}

// ---------------------------------------------------------------------------------------------
// 2. Request timeouts.
// ---------------------------------------------------------------------------------------------

/// Produce answers held past the request timeout: the producer retries batches the broker has
/// already stored. `duplicate_sequence_error`: the broker answers such a copy with
/// DUPLICATE_SEQUENCE_NUMBER (as Tansu does) rather than with the original offset (as Kafka does).
async fn request_timeouts_are_retried_without_duplicates(duplicate_sequence_error: bool) {
    let topic = "slow";
    let cluster = MockCluster::builder().duplicate_sequence_error(duplicate_sequence_error).start().await.unwrap();
    cluster.create_topic(topic, 2).unwrap();
    let mut cfg = config(&cluster).batch_size(512).delivery_timeout(Duration::from_secs(30));
    cfg.client.request_timeout = Duration::from_millis(500);
    assert!(cfg.idempotence_enabled());
    let producer = Producer::new(cfg).await.unwrap();
    let partitions = [0, 1];

    let mut done: HashMap<i32, Delivered> = HashMap::new();
    for (p, pending) in send_interleaved(&producer, topic, &partitions, 0..20).await {
        done.insert(p, delivered("before the delay", pending).await);
    }
    let attempts_before: HashMap<i32, usize> =
        partitions.iter().map(|&p| (p, produce_attempts(&cluster, topic, p).len())).collect();

    // The next Produce is stored at once but answered after 1.5 s, three times the request
    // timeout (the requests behind it on the connection wait too): the producer gives up on
    // them and sends the batches again.
    cluster.inject(Fault::delay(ApiKey::Produce, Duration::from_millis(1500)));
    for (p, pending) in send_interleaved(&producer, topic, &partitions, 20..220).await {
        let d = delivered("through the delay", pending).await;
        done.get_mut(&p).unwrap().extend(d);
    }

    let mut resent = 0;
    let mut unknown_offsets = 0;
    for p in partitions {
        if duplicate_sequence_error {
            // The copies' records report offset -1 (stored, position unknown), as in Java.
            let stored = stored(&cluster, topic, p);
            let values: Vec<String> = stored.iter().map(|(_, v)| v.clone()).collect();
            let sent: Vec<String> = done[&p].iter().map(|(v, _)| v.clone()).collect();
            assert!(values == sent, "{topic}-{p}: {}", mismatch(&values, &sent));
            for ((v, m), (offset, _)) in done[&p].iter().zip(&stored) {
                assert!(m.offset == *offset || m.offset == -1, "{v}: offset {} but stored at {offset}", m.offset);
                unknown_offsets += usize::from(m.offset == -1);
            }
        } else {
            assert_exactly_once_in_order(&cluster, topic, p, &done[&p]);
        }
        // Some batch reached the broker more than once (with the same producer id, epoch and
        // sequence): the broker dropped the copy.
        let attempts = &produce_attempts(&cluster, topic, p)[attempts_before[&p]..];
        let mut seen = std::collections::HashSet::new();
        resent +=
            attempts.iter().filter(|(_, b)| !seen.insert((b.producer_id, b.producer_epoch, b.base_sequence))).count();
    }
    assert!(resent > 0, "no batch was sent twice: the timeout did not cause a retry");
    if duplicate_sequence_error {
        assert!(unknown_offsets > 0, "no copy was answered DUPLICATE_SEQUENCE_NUMBER");
    }
    finish(producer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn request_timeouts_are_retried_without_duplicates_when_idempotent() {
    request_timeouts_are_retried_without_duplicates(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn request_timeouts_are_retried_without_duplicates_with_duplicate_sequence_answers() {
    request_timeouts_are_retried_without_duplicates(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_request_timeout_abandons_the_hung_connection_and_retries_on_a_new_one() {
    let topic = "hung";
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic(topic, 1).unwrap();
    let mut cfg = config(&cluster).delivery_timeout(Duration::from_secs(8));
    cfg.client.request_timeout = Duration::from_millis(500);
    let producer = Producer::new(cfg).await.unwrap();
    let mut done = delivered("before the hang", send_range(&producer, topic, 0, 0..5).await).await;

    // One Produce is stored but its answer never comes in time (a hung broker thread, a
    // half-open connection): a broker answers a connection's requests in order, so nothing
    // more comes back on that connection either. As the Java client and librdkafka do, the
    // producer must give up on the connection when the request times out and retry on a new
    // one, well within delivery.timeout.
    cluster.inject(Fault::delay(ApiKey::Produce, Duration::from_secs(30)));
    done.extend(delivered("past a hung connection", send_range(&producer, topic, 0, 5..25).await).await);
    assert_exactly_once_in_order(&cluster, topic, 0, &done);
    let _ = within("closing", producer.close(Some(Duration::from_secs(1)))).await;
}

// ---------------------------------------------------------------------------------------------
// 3. Dropped connections.
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dropped_connections_lose_and_duplicate_nothing_when_idempotent() {
    let topic = "drops";
    let cluster = MockCluster::start(2).await.unwrap();
    cluster.create_topic(topic, 4).unwrap();
    let producer = Producer::new(config(&cluster).batch_size(512)).await.unwrap();
    assert!(producer.config().idempotence_enabled());
    let partitions = [0, 1, 2, 3];

    let mut done: HashMap<i32, Delivered> = HashMap::new();
    for (p, pending) in send_interleaved(&producer, topic, &partitions, 0..20).await {
        done.insert(p, delivered("before the drops", pending).await);
    }
    // Three Produce requests are stored and then their connection closes before the answer.
    cluster.inject(Fault::drop_connection(ApiKey::Produce).times(3));
    for (p, pending) in send_interleaved(&producer, topic, &partitions, 20..220).await {
        let d = delivered("through the drops", pending).await;
        done.get_mut(&p).unwrap().extend(d);
    }
    let mut resent = 0;
    for p in partitions {
        assert_exactly_once_in_order(&cluster, topic, p, &done[&p]);
        // The dropped requests were stored: sending their batches again made copies, which the
        // brokers recognised by producer id, epoch and sequence.
        let mut seen = std::collections::HashSet::new();
        resent += produce_attempts(&cluster, topic, p)
            .iter()
            .filter(|(_, b)| !seen.insert((b.producer_id, b.producer_epoch, b.base_sequence)))
            .count();
    }
    assert!(resent > 0, "no stored batch was sent again: the drops did not happen");
    finish(producer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dropped_connections_without_idempotence_deliver_at_least_once_in_order() {
    let topic = "drops-plain";
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic(topic, 2).unwrap();
    let cfg = config(&cluster)
        .acks(Acks::Leader)
        .enable_idempotence(false)
        .max_in_flight_requests_per_connection(1)
        .batch_size(512);
    let producer = Producer::new(cfg).await.unwrap();
    assert!(!producer.config().idempotence_enabled());
    let partitions = [0, 1];

    let mut sent: HashMap<i32, Delivered> = HashMap::new();
    for (p, pending) in send_interleaved(&producer, topic, &partitions, 0..20).await {
        sent.insert(p, delivered("before the drops", pending).await);
    }
    let requests_before = cluster.requests_of(ApiKey::Produce).len();
    // Three Produce requests in a row are stored, then their connection closes before the
    // answer: without idempotence the producer cannot know, and sends those batches again.
    cluster.inject(Fault::drop_connection(ApiKey::Produce).times(3));
    for (p, pending) in send_interleaved(&producer, topic, &partitions, 20..220).await {
        let d = delivered("through the drops", pending).await;
        sent.get_mut(&p).unwrap().extend(d);
    }

    // With one request in flight, the first three Produce requests after the injection are the
    // dropped ones; each was stored, so its records are stored twice.
    let dropped = &cluster.requests_of(ApiKey::Produce)[requests_before..requests_before + 3];
    for p in partitions {
        let mut duplicates = 0usize;
        for r in dropped {
            let RequestBody::Produce(req) = &r.body else { unreachable!() };
            for t in req.topic_data.iter().filter(|t| t.name == topic) {
                for d in t.partition_data.iter().filter(|d| d.index == p) {
                    let batch = RecordBatch::decode(d.records.clone().unwrap()).unwrap();
                    duplicates += batch.record_count as usize;
                }
            }
        }
        let stored = stored(&cluster, topic, p);
        let values: Vec<String> = sent[&p].iter().map(|(v, _)| v.clone()).collect();
        // At least once: every record, plus one more copy of each record in a dropped request.
        assert_eq!(stored.len(), values.len() + duplicates, "{topic}-{p}: {}", {
            let s: Vec<String> = stored.iter().map(|(_, v)| v.clone()).collect();
            mismatch(&s, &values)
        });
        // In order: the first copies, in log order, are the records in send order.
        let mut seen = std::collections::HashSet::new();
        let firsts: Vec<String> =
            stored.iter().filter(|(_, v)| seen.insert(v.clone())).map(|(_, v)| v.clone()).collect();
        assert!(firsts == values, "{topic}-{p}: {}", mismatch(&firsts, &values));
        // Each future names a stored copy of its record (the copy its acknowledged attempt wrote).
        let by_offset: HashMap<i64, &str> = stored.iter().map(|(o, v)| (*o, v.as_str())).collect();
        for (v, m) in &sent[&p] {
            assert_eq!(
                by_offset.get(&m.offset).copied(),
                Some(v.as_str()),
                "{v}: offset {} holds another record",
                m.offset
            );
        }
    }
    let total_duplicates: usize = partitions.iter().map(|&p| stored(&cluster, topic, p).len() - sent[&p].len()).sum();
    assert!(total_duplicates > 0, "the dropped requests were stored, so some records must be stored twice");
    finish(producer).await;
}

// ---------------------------------------------------------------------------------------------
// 4. Sequence errors: OUT_OF_ORDER_SEQUENCE_NUMBER and UNKNOWN_PRODUCER_ID bump the epoch.
// ---------------------------------------------------------------------------------------------

/// One partition gets `code` for its next batch (alone in flight); the producer must bump its
/// epoch (KIP-360: InitProducerId with its current id and epoch), restart the sequences at 0 and
/// send the batch again.
async fn sequence_error_bumps_the_epoch(code: ErrorCode) {
    let topic = "sequences";
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic(topic, 2).unwrap();
    // A long linger: batches go out at flush, one per partition, so exactly one batch of
    // partition 0 is in flight when the error comes.
    let producer = Producer::new(config(&cluster).linger(Duration::from_secs(10))).await.unwrap();
    let mut done: HashMap<i32, Delivered> = HashMap::new();

    let mut pending = send_interleaved(&producer, topic, &[0, 1], 0..10).await;
    within("flush", producer.flush()).await;
    for p in [0, 1] {
        done.insert(p, delivered("before the error", pending.remove(&p).unwrap()).await);
    }
    let first = cluster.batches(topic, 0).unwrap();
    assert_eq!(first.len(), 1);
    let (pid, epoch) = (first[0].producer_id, first[0].producer_epoch);
    assert!(pid >= 0, "the producer is idempotent");
    assert_eq!((epoch, first[0].base_sequence), (0, 0));
    assert_eq!(init_producer_id_requests(&cluster), vec![(-1, -1)]);

    cluster.inject(Fault::error(ApiKey::Produce, code).partition(topic, 0));
    let mut pending = send_interleaved(&producer, topic, &[0, 1], 10..20).await;
    within("flush", producer.flush()).await;
    for p in [0, 1] {
        let d = delivered("through the error", pending.remove(&p).unwrap()).await;
        done.get_mut(&p).unwrap().extend(d);
    }
    // And more afterwards, under the new epoch.
    let mut pending = send_interleaved(&producer, topic, &[0, 1], 20..30).await;
    within("flush", producer.flush()).await;
    for p in [0, 1] {
        let d = delivered("after the bump", pending.remove(&p).unwrap()).await;
        done.get_mut(&p).unwrap().extend(d);
    }

    for p in [0, 1] {
        assert_exactly_once_in_order(&cluster, topic, p, &done[&p]);
    }
    // KIP-360: the second InitProducerId asked to bump the producer's own epoch.
    assert_eq!(init_producer_id_requests(&cluster), vec![(-1, -1), (pid, epoch)], "{code}: no epoch bump");
    // Partition 0: the batch before the error under epoch 0 from sequence 0; the re-sent batch
    // and the next under epoch 1, sequences starting over at 0.
    let batches: Vec<(i64, i16, i32, i32)> = cluster
        .batches(topic, 0)
        .unwrap()
        .iter()
        .map(|b| (b.producer_id, b.producer_epoch, b.base_sequence, b.record_count))
        .collect();
    assert_eq!(batches, vec![(pid, 0, 0, 10), (pid, 1, 0, 10), (pid, 1, 10, 10)], "{code}");
    // The refused attempt carried epoch 0 and sequence 10; the batch was then sent under epoch 1.
    let attempts: Vec<(i16, i32)> =
        produce_attempts(&cluster, topic, 0).iter().map(|(_, b)| (b.producer_epoch, b.base_sequence)).collect();
    assert_eq!(attempts, vec![(0, 0), (0, 10), (1, 0), (1, 10)], "{code}");
    // Partition 1's second batch shared the refused request and was stored under epoch 0; after
    // the bump its sequences start over at 0 too.
    let batches: Vec<(i64, i16, i32, i32)> = cluster
        .batches(topic, 1)
        .unwrap()
        .iter()
        .map(|b| (b.producer_id, b.producer_epoch, b.base_sequence, b.record_count))
        .collect();
    assert_eq!(batches, vec![(pid, 0, 0, 10), (pid, 0, 10, 10), (pid, 1, 0, 10)], "{code}");
    finish(producer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn out_of_order_sequence_bumps_the_epoch_and_resends_once() {
    sequence_error_bumps_the_epoch(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_producer_id_bumps_the_epoch_and_resends_once() {
    sequence_error_bumps_the_epoch(ErrorCode::UNKNOWN_PRODUCER_ID).await;
}

/// `code` for one batch while several batches of its partition are in flight (the ones behind
/// it then meet a sequence gap at the broker): each record is still stored once, in order.
async fn sequence_error_mid_stream(code: ErrorCode) {
    let topic = "sequences-stream";
    let cluster = MockCluster::start(2).await.unwrap();
    cluster.create_topic(topic, 2).unwrap();
    let producer = Producer::new(config(&cluster).batch_size(512)).await.unwrap();
    let mut done: HashMap<i32, Delivered> = HashMap::new();
    for (p, pending) in send_interleaved(&producer, topic, &[0, 1], 0..20).await {
        done.insert(p, delivered("before the error", pending).await);
    }
    cluster.inject(Fault::error(ApiKey::Produce, code).partition(topic, 0));
    for (p, pending) in send_interleaved(&producer, topic, &[0, 1], 20..420).await {
        let d = delivered("through the error", pending).await;
        done.get_mut(&p).unwrap().extend(d);
    }
    for p in [0, 1] {
        assert_exactly_once_in_order(&cluster, topic, p, &done[&p]);
    }
    // Every stored batch of a partition continues the sequence of the one before it, or starts
    // a new epoch at 0.
    for p in [0, 1] {
        let batches = cluster.batches(topic, p).unwrap();
        for w in batches.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            let continues = b.producer_epoch == a.producer_epoch && b.base_sequence == a.base_sequence + a.record_count;
            let restarts = b.producer_epoch > a.producer_epoch && b.base_sequence == 0;
            assert!(
                continues || restarts,
                "{code}: {topic}-{p}: batch (epoch {}, seq {}) after (epoch {}, seq {}, {} records)",
                b.producer_epoch,
                b.base_sequence,
                a.producer_epoch,
                a.base_sequence,
                a.record_count
            );
        }
    }
    finish(producer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn out_of_order_sequence_mid_stream_delivers_each_record_once_in_order() {
    sequence_error_mid_stream(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_producer_id_mid_stream_delivers_each_record_once_in_order() {
    sequence_error_mid_stream(ErrorCode::UNKNOWN_PRODUCER_ID).await;
}

// ---------------------------------------------------------------------------------------------
// 5. A broker going down.
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn records_for_a_stopped_leader_wait_and_are_delivered_once_it_is_back() {
    let topic = "outage";
    // One replica per partition: while its broker is down, a partition has no leader at all.
    let cluster = MockCluster::builder().brokers(2).default_replication(1).start().await.unwrap();
    cluster.create_topic(topic, 2).unwrap();
    let producer = Producer::new(config(&cluster).batch_size(512)).await.unwrap();
    let down = cluster.leader(topic, 0).unwrap();
    let (p_down, p_up) = (0, partition_led_by(&cluster, topic, 2, other_broker(&cluster, down)));

    let mut done: HashMap<i32, Delivered> = HashMap::new();
    for (p, pending) in send_interleaved(&producer, topic, &[p_down, p_up], 0..20).await {
        done.insert(p, delivered("before the outage", pending).await);
    }
    // Records in flight when the broker goes: sent, then the broker stops at once.
    let mut pending = send_interleaved(&producer, topic, &[p_down, p_up], 20..120).await;
    cluster.stop_broker(down).unwrap();
    pending.get_mut(&p_down).unwrap().extend(send_range(&producer, topic, p_down, 120..200).await);
    pending.get_mut(&p_up).unwrap().extend(send_range(&producer, topic, p_up, 120..200).await);

    // The other broker's partition is not held up.
    let up = delivered("the partition whose leader is up", pending.remove(&p_up).unwrap()).await;
    done.get_mut(&p_up).unwrap().extend(up);
    // Nothing can store partition p_down now: its records wait (they do not fail).
    let metadata_before = cluster.requests_of(ApiKey::Metadata).len();
    eventually("the producer looks for the missing leader", || {
        cluster.requests_of(ApiKey::Metadata).len() >= metadata_before + 3
    })
    .await;
    let waiting = pending.remove(&p_down).unwrap();
    // (Records stored just before the stop may be waiting for their answer: they are stored.)
    let stored_during: std::collections::HashSet<String> =
        stored(&cluster, topic, p_down).into_iter().map(|(_, v)| v).collect();
    for (v, f) in &waiting {
        assert!(stored_during.contains(v) || !f.is_done(), "{v} completed while its partition had no leader: {f:?}");
    }
    cluster.start_broker(down).await.unwrap();
    done.get_mut(&p_down).unwrap().extend(delivered("after the broker came back", waiting).await);
    for p in [p_down, p_up] {
        assert_exactly_once_in_order(&cluster, topic, p, &done[&p]);
    }
    finish(producer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn records_follow_the_leader_when_its_broker_fails_over() {
    let topic = "failover";
    let cluster = MockCluster::start(3).await.unwrap(); // three replicas per partition
    cluster.create_topic(topic, 3).unwrap();
    let producer = Producer::new(config(&cluster).batch_size(512)).await.unwrap();
    let partitions = [0, 1, 2];
    let old = cluster.leader(topic, 0).unwrap();

    let mut done: HashMap<i32, Delivered> = HashMap::new();
    let mut pending = send_interleaved(&producer, topic, &partitions, 0..100).await;
    cluster.stop_broker(old).unwrap();
    let new = cluster.leader(topic, 0).unwrap();
    assert!(new >= 0 && new != old);
    for (p, more) in send_interleaved(&producer, topic, &partitions, 100..200).await {
        pending.get_mut(&p).unwrap().extend(more);
    }
    for (p, pending) in pending {
        done.insert(p, delivered("with a broker down", pending).await);
    }
    for p in partitions {
        assert_exactly_once_in_order(&cluster, topic, p, &done[&p]);
    }
    assert!(produce_attempts(&cluster, topic, 0).iter().any(|(b, _)| *b == new), "the new leader got nothing");

    // The broker comes back (as a follower); the producer goes on.
    cluster.start_broker(old).await.unwrap();
    for (p, pending) in send_interleaved(&producer, topic, &partitions, 200..250).await {
        let d = delivered("after the broker came back", pending).await;
        done.get_mut(&p).unwrap().extend(d);
    }
    for p in partitions {
        assert_exactly_once_in_order(&cluster, topic, p, &done[&p]);
    }
    finish(producer).await;
}

// ---------------------------------------------------------------------------------------------
// 6. Non-retriable errors, and retries running out.
// ---------------------------------------------------------------------------------------------

async fn non_retriable_error_fails_that_batch_only(code: ErrorCode) {
    let topic = "refusing";
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic(topic, 2).unwrap();
    // Batches go out at flush: one per partition.
    let producer = Producer::new(config(&cluster).linger(Duration::from_secs(10))).await.unwrap();

    cluster.inject(Fault::error(ApiKey::Produce, code).partition(topic, 0));
    let mut pending = send_interleaved(&producer, topic, &[0, 1], 0..10).await;
    within("flush", producer.flush()).await;
    for (v, r) in outcomes("the refused batch", pending.remove(&0).unwrap()).await {
        match r {
            Err(e) => assert_eq!(e.code(), Some(code), "{v}: {e}"),
            Ok(m) => panic!("{v} was delivered at {m:?} despite {code}"),
        }
    }
    let mut p1 = delivered("the other partition", pending.remove(&1).unwrap()).await;
    // Not retried: one attempt.
    assert_eq!(produce_attempts(&cluster, topic, 0).len(), 1, "{code} is not retriable");
    assert!(cluster.records(topic, 0).unwrap().is_empty());

    // The partition takes later records (the producer's sequences recover from the gap).
    let mut pending = send_interleaved(&producer, topic, &[0, 1], 10..20).await;
    within("flush", producer.flush()).await;
    let p0 = delivered("after the refusal", pending.remove(&0).unwrap()).await;
    p1.extend(delivered("after the refusal", pending.remove(&1).unwrap()).await);
    assert_exactly_once_in_order(&cluster, topic, 0, &p0);
    assert_exactly_once_in_order(&cluster, topic, 1, &p1);
    finish(producer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn topic_authorization_failed_fails_that_batch_only() {
    non_retriable_error_fails_that_batch_only(ErrorCode::TOPIC_AUTHORIZATION_FAILED).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn invalid_record_fails_that_batch_only() {
    non_retriable_error_fails_that_batch_only(ErrorCode::INVALID_RECORD).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retries_run_out_after_retries_plus_one_attempts() {
    let topic = "retries";
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic(topic, 2).unwrap();
    let retries = 2;
    let producer = Producer::new(config(&cluster).retries(retries).linger(Duration::from_secs(10))).await.unwrap();
    assert!(producer.config().idempotence_enabled());

    // More failures than the producer will try.
    cluster.inject(Fault::error(ApiKey::Produce, ErrorCode::NOT_ENOUGH_REPLICAS).partition(topic, 0).times(10));
    let mut pending = send_interleaved(&producer, topic, &[0, 1], 0..10).await;
    within("flush", producer.flush()).await;
    for (v, r) in outcomes("the batch that keeps failing", pending.remove(&0).unwrap()).await {
        match r {
            Err(e) => assert_eq!(e.code(), Some(ErrorCode::NOT_ENOUGH_REPLICAS), "{v}: {e}"),
            Ok(m) => panic!("{v} was delivered at {m:?}"),
        }
    }
    let mut p1 = delivered("the other partition", pending.remove(&1).unwrap()).await;
    assert_eq!(produce_attempts(&cluster, topic, 0).len(), retries as usize + 1, "attempts = retries + 1");
    assert!(cluster.records(topic, 0).unwrap().is_empty());

    cluster.clear_faults();
    let mut pending = send_interleaved(&producer, topic, &[0, 1], 10..20).await;
    within("flush", producer.flush()).await;
    let p0 = delivered("once the errors stopped", pending.remove(&0).unwrap()).await;
    p1.extend(delivered("once the errors stopped", pending.remove(&1).unwrap()).await);
    assert_exactly_once_in_order(&cluster, topic, 0, &p0);
    assert_exactly_once_in_order(&cluster, topic, 1, &p1);
    finish(producer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_refused_mid_stream_fails_alone_and_later_batches_are_delivered_in_order() {
    let topic = "refusing-stream";
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic(topic, 2).unwrap();
    // Small batches: when the refused batch's answer comes, later batches of its partition are
    // in flight with sequences after it, which the broker then refuses as out of order.
    let producer = Producer::new(config(&cluster).batch_size(512)).await.unwrap();
    let mut p1: Delivered = Vec::new();
    let mut p0: Delivered = Vec::new();
    for (p, pending) in send_interleaved(&producer, topic, &[0, 1], 0..20).await {
        let d = delivered("before the refusal", pending).await;
        if p == 0 {
            p0 = d
        } else {
            p1 = d
        }
    }
    let attempts_before = produce_attempts(&cluster, topic, 0).len();

    cluster.inject(Fault::error(ApiKey::Produce, ErrorCode::TOPIC_AUTHORIZATION_FAILED).partition(topic, 0));
    let mut pending = send_interleaved(&producer, topic, &[0, 1], 20..320).await;
    let mut failed = Vec::new();
    for (i, (v, r)) in outcomes("partition 0", pending.remove(&0).unwrap()).await.into_iter().enumerate() {
        match r {
            Ok(m) => p0.push((v, m)),
            Err(e) => {
                assert_eq!(e.code(), Some(ErrorCode::TOPIC_AUTHORIZATION_FAILED), "{v}: {e}");
                failed.push((i, v));
            }
        }
    }
    p1.extend(delivered("partition 1", pending.remove(&1).unwrap()).await);

    // Exactly the records of the refused batch failed: the first attempt after the injection.
    let refused = &produce_attempts(&cluster, topic, 0)[attempts_before].1;
    let refused_values: Vec<String> = refused.to_records().unwrap().iter().map(|r| text(&r.value)).collect();
    let failed_values: Vec<String> = failed.iter().map(|(_, v)| v.clone()).collect();
    assert_eq!(failed_values, refused_values, "the failed records are not those of the refused batch");
    assert!(failed.windows(2).all(|w| w[1].0 == w[0].0 + 1), "the failed records are not one contiguous batch");
    // Everything else is stored once, in send order.
    assert_exactly_once_in_order(&cluster, topic, 0, &p0);
    assert_exactly_once_in_order(&cluster, topic, 1, &p1);
    finish(producer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn init_producer_id_errors_are_retried_or_fail_the_waiting_records() {
    let topic = "pid";
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic(topic, 1).unwrap();

    // Retriable: the producer keeps asking, then delivers.
    cluster.inject(Fault::error(ApiKey::InitProducerId, ErrorCode::COORDINATOR_NOT_AVAILABLE).times(3));
    let producer = Producer::new(config(&cluster)).await.unwrap();
    let done = delivered("after retried InitProducerId", send_range(&producer, topic, 0, 0..20).await).await;
    assert_exactly_once_in_order(&cluster, topic, 0, &done);
    assert_eq!(init_producer_id_requests(&cluster).len(), 4, "three refusals, then an id");
    finish(producer).await;

    // Not retriable: the records waiting for an id fail with the error; later records get an id.
    let topic = "pid-refused";
    cluster.create_topic(topic, 1).unwrap();
    cluster.inject(Fault::error(ApiKey::InitProducerId, ErrorCode::CLUSTER_AUTHORIZATION_FAILED));
    let producer = Producer::new(config(&cluster)).await.unwrap();
    for (v, r) in outcomes("without a producer id", send_range(&producer, topic, 0, 0..10).await).await {
        match r {
            Err(e) => assert_eq!(e.code(), Some(ErrorCode::CLUSTER_AUTHORIZATION_FAILED), "{v}: {e}"),
            Ok(m) => panic!("{v} was delivered at {m:?} without a producer id"),
        }
    }
    let done = delivered("once an id is granted", send_range(&producer, topic, 0, 10..20).await).await;
    assert_exactly_once_in_order(&cluster, topic, 0, &done);
    finish(producer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_broker_too_old_for_produce_fails_every_record_with_that_error() {
    let topic = "old-broker";
    // The broker advertises Produce v0–v2 only (before record batches v2: Kafka 0.10).
    let cluster = MockCluster::builder().advertise_versions(ApiKey::Produce, 0, 2).start().await.unwrap();
    cluster.create_topic(topic, 2).unwrap();
    // Small batches: many more batches per partition than max.in.flight.
    let mut cfg = config(&cluster).batch_size(256).delivery_timeout(Duration::from_secs(10));
    cfg.client.request_timeout = Duration::from_secs(2);
    let producer = Producer::new(cfg).await.unwrap();
    let mut pending = send_interleaved(&producer, topic, &[0, 1], 0..200).await;
    for p in [0, 1] {
        for (v, r) in outcomes("records for a broker too old", pending.remove(&p).unwrap()).await {
            match &r {
                Err(Error::Kafka { code: ErrorCode::UNSUPPORTED_VERSION, .. }) | Err(Error::Version(_)) => {}
                other => panic!("{v}: expected the unsupported Produce version as the error, got {other:?}"),
            }
        }
    }
    assert!(cluster.requests_of(ApiKey::Produce).is_empty(), "nothing can be sent to this broker");
    finish(producer).await;
}

// ---------------------------------------------------------------------------------------------
// 7. delivery.timeout.
// ---------------------------------------------------------------------------------------------

fn short_delivery_timeout(cluster: &MockCluster) -> ProducerConfig {
    let mut cfg = config(cluster).delivery_timeout(Duration::from_millis(1500));
    cfg.client.request_timeout = Duration::from_millis(500);
    cfg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn delivery_timeout_fails_records_whose_leader_stays_down() {
    let topic = "expiring";
    let cluster = MockCluster::builder().brokers(2).default_replication(1).start().await.unwrap();
    cluster.create_topic(topic, 2).unwrap();
    let producer = Producer::new(short_delivery_timeout(&cluster)).await.unwrap();
    let down = cluster.leader(topic, 0).unwrap();
    let p_up = partition_led_by(&cluster, topic, 2, other_broker(&cluster, down));

    let mut done: HashMap<i32, Delivered> = HashMap::new();
    for (p, pending) in send_interleaved(&producer, topic, &[0, p_up], 0..5).await {
        done.insert(p, delivered("before the outage", pending).await);
    }
    cluster.stop_broker(down).unwrap();
    let mut pending = send_interleaved(&producer, topic, &[0, p_up], 5..15).await;
    for (v, r) in outcomes("records for the stopped broker", pending.remove(&0).unwrap()).await {
        match r {
            Err(Error::TimedOut { .. }) => {}
            other => panic!("{v}: expected Error::TimedOut, got {other:?}"),
        }
    }
    let up = delivered("the other partition", pending.remove(&p_up).unwrap()).await;
    done.get_mut(&p_up).unwrap().extend(up);

    // Back up: later records go through, and the expired ones were never stored.
    cluster.start_broker(down).await.unwrap();
    let later = send_range(&producer, topic, 0, 15..20).await;
    done.get_mut(&0).unwrap().extend(delivered("after the broker came back", later).await);
    assert_exactly_once_in_order(&cluster, topic, 0, &done[&0]);
    assert_exactly_once_in_order(&cluster, topic, p_up, &done[&p_up]);
    finish(producer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn delivery_timeout_fails_records_whose_leader_never_answers() {
    let topic = "unanswered";
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic(topic, 1).unwrap();
    let producer = Producer::new(short_delivery_timeout(&cluster)).await.unwrap();
    let before = delivered("before the silence", send_range(&producer, topic, 0, 0..5).await).await;

    // The broker keeps its connections but holds every Produce answer far beyond the delivery
    // timeout: the producer's requests time out and are retried until the delivery timeout,
    // and the records then fail as every record not delivered within delivery.timeout does
    // (Error::TimedOut; the Java client's TimeoutException), not with the last attempt's
    // request timeout.
    cluster.inject(Fault::delay(ApiKey::Produce, Duration::from_secs(5)).times(20));
    for (v, r) in outcomes("records nobody answers", send_range(&producer, topic, 0, 5..10).await).await {
        match r {
            Err(Error::TimedOut { .. }) => {}
            other => panic!("{v}: expected Error::TimedOut (delivery.timeout passed), got {other:?}"),
        }
    }
    cluster.clear_faults();
    // The broker may still store the delayed requests (the answer is what is held): no check
    // of the log here beyond the first records.
    let stored = stored(&cluster, topic, 0);
    assert_eq!(
        stored.iter().take(5).map(|(_, v)| v.clone()).collect::<Vec<_>>(),
        before.iter().map(|(v, _)| v.clone()).collect::<Vec<_>>()
    );
    let _ = within("closing", producer.close(Some(Duration::from_secs(1)))).await;
}

// ---------------------------------------------------------------------------------------------
// 8. Records refused at send, on their own future only.
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_topic_is_refused_on_that_record_only() {
    let cluster = MockCluster::builder().auto_create_topics(false).start().await.unwrap();
    cluster.create_topic("known", 1).unwrap();
    let producer = Producer::new(config(&cluster).max_block(Duration::from_millis(300))).await.unwrap();

    let before = send_range(&producer, "known", 0, 0..5).await;
    let refused = producer.send(ProducerRecord::new("unknown").value("lost")).await;
    assert!(refused.is_done(), "a refused record's future is complete at once");
    match refused.refused() {
        Some(e) => assert_eq!(e.code(), Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION), "{e}"),
        None => panic!("the record for an unknown topic was buffered"),
    }
    let err = refused.await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION), "{err}");
    // A partition the topic does not have, likewise.
    let bad_partition = producer.send(ProducerRecord::new("known").partition(7).value("lost")).await;
    assert_eq!(bad_partition.await.unwrap_err().code(), Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION));

    let mut done = delivered("records before", before).await;
    done.extend(delivered("records after", send_range(&producer, "known", 0, 5..10).await).await);
    assert_exactly_once_in_order(&cluster, "known", 0, &done);
    assert!(cluster.records("unknown", 0).is_err(), "the topic was not created");
    finish(producer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_record_larger_than_max_request_size_is_refused_at_once() {
    let topic = "sizes";
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic(topic, 1).unwrap();
    let producer = Producer::new(config(&cluster).max_request_size(10_000)).await.unwrap();

    let before = send_range(&producer, topic, 0, 0..5).await;
    let huge = producer.send(ProducerRecord::new(topic).partition(0).value(vec![b'x'; 20_000])).await;
    assert!(huge.is_done());
    match huge.refused() {
        Some(e) => assert_eq!(e.code(), Some(ErrorCode::MESSAGE_TOO_LARGE), "{e}"),
        None => panic!("a record above max.request.size was buffered"),
    }
    assert_eq!(huge.await.unwrap_err().code(), Some(ErrorCode::MESSAGE_TOO_LARGE));
    let after = send_range(&producer, topic, 0, 5..10).await;

    let mut done = delivered("records around the big one", before).await;
    done.extend(delivered("records around the big one", after).await);
    assert_exactly_once_in_order(&cluster, topic, 0, &done);
    assert_eq!(produce_attempts(&cluster, topic, 0).iter().map(|(_, b)| b.record_count).sum::<i32>(), 10);
    finish(producer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn send_after_close_is_refused_with_closed() {
    let topic = "closed";
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic(topic, 1).unwrap();
    let producer = Producer::new(config(&cluster)).await.unwrap();
    let before = send_range(&producer, topic, 0, 0..5).await;
    let handle = producer.clone();
    close(producer).await;
    // close sent and awaited what was buffered.
    assert!(before.iter().all(|(_, f)| f.is_done()), "close returned with records pending");
    let done = delivered("records sent before close", before).await;
    assert_exactly_once_in_order(&cluster, topic, 0, &done);

    let late = handle.send(ProducerRecord::new(topic).partition(0).value("late")).await;
    assert!(matches!(late.refused(), Some(Error::Closed)), "{late:?}");
    assert!(matches!(late.await, Err(Error::Closed)));
    assert_eq!(cluster.records(topic, 0).unwrap().len(), 5);
    // Closing again returns at once.
    within("closing twice", handle.close(Some(Duration::from_secs(1)))).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_buffer_times_out_the_waiting_record_then_the_buffered_ones_are_delivered() {
    let topic = "memory";
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic(topic, 1).unwrap();
    // Room for three 16 KiB batches; every batch reserves 16 KiB however few records it holds.
    // A long linger: batches are sent when full (or flushed), so each holds about 15 records.
    let cfg = config(&cluster)
        .buffer_memory(48 * 1024)
        .batch_size(16 * 1024)
        .max_request_size(32 * 1024)
        .linger(Duration::from_secs(10))
        .max_block(Duration::from_millis(250));
    let producer = Producer::new(cfg).await.unwrap();
    let first = send_range(&producer, topic, 0, 0..1).await;
    within("flush", producer.flush()).await;
    let first = delivered("a first record", first).await;

    // The broker stores the next Produce but answers it only after 5 s (and the ones behind it
    // on the connection wait too): memory is not given back meanwhile.
    cluster.inject(Fault::delay(ApiKey::Produce, Duration::from_secs(5)));
    let payload = "y".repeat(1000);
    let mut buffered: Pending = Vec::new();
    let mut refused = None;
    for i in 1..200 {
        let v = format!("{}-{payload}", value(0, i));
        let f = producer.send(ProducerRecord::new(topic).partition(0).value(v.clone())).await;
        if f.refused().is_some() {
            refused = Some((i, f));
            break;
        }
        buffered.push((v, f));
    }
    let (i, refused) = refused.expect("the buffer never filled up");
    assert!(i > 30, "refused after only {i} records: the buffer holds three batches of about 15");
    match refused.await {
        Err(Error::TimedOut { .. }) => {}
        other => panic!("the record waiting for memory: expected Error::TimedOut, got {other:?}"),
    }
    assert!(buffered.iter().any(|(_, f)| !f.is_done()), "nothing was waiting for the broker");

    // Once the delay ends, everything buffered is delivered; the refused record is not stored.
    let mut done = first;
    done.extend(delivered("the buffered records", buffered).await);
    let later = producer.send(ProducerRecord::new(topic).partition(0).value(value(0, 1000))).await;
    within("flush", producer.flush()).await;
    done.push((value(0, 1000), within("a record after the delay", later).await.unwrap()));
    let stored = stored(&cluster, topic, 0);
    let values: Vec<String> = done.iter().map(|(v, _)| v.clone()).collect();
    let stored_values: Vec<String> = stored.iter().map(|(_, v)| v.clone()).collect();
    assert!(stored_values == values, "{}", mismatch(&stored_values, &values));
    for ((v, m), (offset, _)) in done.iter().zip(&stored) {
        assert_eq!(m.offset, *offset, "{}", &v[..8]);
    }
    finish(producer).await;
}

// ---------------------------------------------------------------------------------------------
// 9. close with a timeout while a broker is down; flush across many partitions and brokers.
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn close_with_a_timeout_while_the_leader_is_down_fails_pending_records_with_closed() {
    let topic = "closing";
    let cluster = MockCluster::builder().brokers(2).default_replication(1).start().await.unwrap();
    cluster.create_topic(topic, 2).unwrap();
    let producer = Producer::new(config(&cluster)).await.unwrap();
    let down = cluster.leader(topic, 0).unwrap();
    let p_up = partition_led_by(&cluster, topic, 2, other_broker(&cluster, down));
    let before = delivered("before the outage", send_range(&producer, topic, 0, 0..5).await).await;

    cluster.stop_broker(down).unwrap();
    let stuck = send_range(&producer, topic, 0, 5..25).await;
    let fine = delivered("the other partition", send_range(&producer, topic, p_up, 0..10).await).await;

    let result = within("close with a timeout", producer.close(Some(Duration::from_millis(500)))).await;
    assert!(matches!(result, Err(Error::TimedOut { .. })), "close: {result:?}");
    for (v, r) in outcomes("records close gave up on", stuck).await {
        assert!(matches!(r, Err(Error::Closed)), "{v}: expected Error::Closed, got {r:?}");
    }
    assert_exactly_once_in_order(&cluster, topic, 0, &before);
    assert_exactly_once_in_order(&cluster, topic, p_up, &fine);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn close_with_a_timeout_while_requests_are_unanswered_fails_them_with_closed() {
    let topic = "closing-slow";
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic(topic, 1).unwrap();
    let producer = Producer::new(config(&cluster)).await.unwrap();
    let before = delivered("before the delay", send_range(&producer, topic, 0, 0..5).await).await;

    // The broker holds its next answer far longer than close waits.
    cluster.inject(Fault::delay(ApiKey::Produce, Duration::from_secs(5)));
    let stuck = send_range(&producer, topic, 0, 5..25).await;
    let attempts = produce_attempts(&cluster, topic, 0).len();
    eventually("the request reaches the broker", || produce_attempts(&cluster, topic, 0).len() > attempts).await;
    let result = within("close with a timeout", producer.close(Some(Duration::from_millis(300)))).await;
    assert!(matches!(result, Err(Error::TimedOut { .. })), "close: {result:?}");
    // Failed with Closed although the broker may store them: the producer gave up on them.
    for (v, r) in outcomes("records in flight at close", stuck).await {
        assert!(matches!(r, Err(Error::Closed)), "{v}: expected Error::Closed, got {r:?}");
    }
    let values: Vec<String> = stored(&cluster, topic, 0).into_iter().map(|(_, v)| v).take(5).collect();
    assert_eq!(values, before.iter().map(|(v, _)| v.clone()).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn flush_completes_every_record_across_many_partitions_and_brokers() {
    let topic = "wide";
    let partitions: Vec<i32> = (0..12).collect();
    let cluster = MockCluster::start(3).await.unwrap();
    cluster.create_topic(topic, partitions.len()).unwrap();
    // A long linger: only flush sends these.
    let producer = Producer::new(config(&cluster).linger(Duration::from_secs(30)).batch_size(2048)).await.unwrap();
    for round in 0..3 {
        let range = round * 100..(round + 1) * 100;
        let pending = send_interleaved(&producer, topic, &partitions, range).await;
        within("flush", producer.flush()).await;
        for (p, pending) in pending {
            assert!(pending.iter().all(|(_, f)| f.is_done()), "flush returned with records of partition {p} pending");
            let d = delivered("flushed records", pending).await;
            assert_eq!(d.len(), 100);
        }
    }
    let mut brokers = std::collections::HashSet::new();
    for &p in &partitions {
        let stored = stored(&cluster, topic, p);
        let expected: Vec<String> = (0..300).map(|i| value(p, i)).collect();
        let values: Vec<String> = stored.iter().map(|(_, v)| v.clone()).collect();
        assert!(values == expected, "{topic}-{p}: {}", mismatch(&values, &expected));
        brokers.extend(produce_attempts(&cluster, topic, p).iter().map(|(b, _)| *b));
    }
    assert_eq!(brokers.len(), 3, "every broker led some partition");
    finish(producer).await;
}

/// `partitions_for` waits out a retriable answer for the topic (LEADER_NOT_AVAILABLE while a
/// broker auto-creates it), as Java's `partitionsFor` does, and fails at once for a topic the
/// cluster does not know.
#[tokio::test]
async fn partitions_for_waits_for_a_leader_and_fails_fast_on_an_unknown_topic() {
    let cluster = MockCluster::builder().auto_create_topics(false).start().await.unwrap();
    cluster.create_topic("p4", 4).unwrap();
    let producer = Producer::new(ProducerConfig::new([cluster.bootstrap()]).retry_backoff(Duration::from_millis(10)))
        .await
        .unwrap();
    cluster.inject(Fault::error(ApiKey::Metadata, ErrorCode::LEADER_NOT_AVAILABLE).times(3));
    let partitions = producer.partitions_for("p4").await.unwrap();
    assert_eq!(partitions.len(), 4);
    assert!(cluster.requests_of(ApiKey::Metadata).len() >= 4, "asked again after each LEADER_NOT_AVAILABLE");
    let start = std::time::Instant::now();
    match producer.partitions_for("nope").await {
        Err(Error::Kafka { code: ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert!(start.elapsed() < Duration::from_secs(30), "no wait of max.block for an unknown topic");
    producer.close(None).await.unwrap();
}
