//! The producer against a real broker (Tansu, node id 111): every codec with every `acks`,
//! partitioning, per-partition order, flush / close / drop, `buffer.memory` backpressure, the
//! idempotent producer's batch headers, callbacks, the blocking producer and the reference
//! usage's JSON quotes with Chinese field names.
//!
//! The broker's `host:port` list comes from `KAFKIT_TEST_BROKERS` (start one with
//! `scripts/tansu.sh start`). Without it the tests are skipped with a message, unless `CI` is
//! set, where a missing broker is a failure. Every test creates its own topics (CreateTopics:
//! Tansu "accepts" produce requests for topics that do not exist) with names no earlier run
//! used.
//!
//! Records are read back with plain Fetch requests (v4–v12, by topic name) from offset 0 up to
//! the partition's high watermark (Tansu's ListOffsets "latest" is wrong; the Fetch response's
//! high watermark is right), batch by batch, so the tests see the batch headers the producer
//! wrote: codec, producer id and epoch, base sequence.
//!
//! No assertion depends on timing. The only waits with a limit are there so that a bug fails a
//! test instead of hanging it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafkit_client::producer::{
    partition_for_key, Acks, BlockingProducer, DeliveryFuture, PartitionerKind, Producer, ProducerConfig,
    ProducerRecord, RecordMetadata,
};
use kafkit_client::protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafkit_client::protocol::messages::FetchRequest;
use kafkit_client::protocol::record::{Batch, Compression, Header, Record};
use kafkit_client::protocol::{ApiKey, ErrorCode};
use kafkit_client::serializer::{Deserializer, Json};
use kafkit_client::{Connection, Error};

mod common;

use common::{brokers, connect, create_topic};

/// Tansu's fixed node id.
const TANSU_NODE_ID: i32 = 111;

/// The longest any single wait may take before the test fails (a hang is a bug).
const WAIT: Duration = Duration::from_secs(60);

/// A create timestamp far from "now", so a record stamped at send time cannot pass for it.
const BASE_TS: i64 = 1_600_000_000_000;

fn config(brokers: &str) -> ProducerConfig {
    ProducerConfig::new([brokers]).client_id("kafkit-producer-broker-test")
}

/// One batch as the broker stores it.
#[derive(Debug)]
struct StoredBatch {
    base_offset: i64,
    compression: Compression,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    record_count: i32,
    records: Vec<Record>,
}

/// Everything one partition holds.
#[derive(Debug)]
struct Stored {
    high_watermark: i64,
    batches: Vec<StoredBatch>,
}

impl Stored {
    fn records(&self) -> impl Iterator<Item = &Record> {
        self.batches.iter().flat_map(|b| b.records.iter())
    }

    fn record_count(&self) -> usize {
        self.records().count()
    }
}

/// Fetches every batch of `topic[partition]` from offset 0 to the high watermark, waiting
/// (at most [`WAIT`]) until the high watermark is at least `at_least` (records produced with
/// `acks = 0` may not be stored yet when their futures complete).
async fn fetch_partition(conn: &Connection, topic: &str, partition: i32, at_least: i64) -> Stored {
    // v13+ name topics by id; v4 is the first with the high watermark and isolation level.
    let version = conn.api_versions().version_within(ApiKey::Fetch, 4, 12).unwrap();
    let deadline = Instant::now() + WAIT;
    let mut next = 0i64;
    let mut batches = Vec::new();
    loop {
        let request = FetchRequest {
            max_wait_ms: 100,
            min_bytes: 1,
            max_bytes: 8 << 20,
            topics: vec![FetchTopic {
                topic: topic.to_string(),
                partitions: vec![FetchPartition {
                    partition,
                    fetch_offset: next,
                    partition_max_bytes: 4 << 20,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        let response = conn.send_with(&request, version, Duration::from_secs(30)).await.unwrap();
        assert_eq!(response.error_code, 0, "fetching {topic}[{partition}]: {response:?}");
        let data = response
            .responses
            .iter()
            .filter(|t| t.topic == topic)
            .flat_map(|t| t.partitions.iter())
            .find(|p| p.partition_index == partition);
        // Tansu answers an empty responses array when nothing arrived in max_wait.
        let high_watermark = data.map_or(-1, |d| d.high_watermark);
        if let Some(data) = data {
            assert_eq!(data.error_code, 0, "fetching {topic}[{partition}] at {next}: {data:?}");
            for batch in data.batches(topic) {
                let batch = batch.unwrap_or_else(|e| panic!("decoding {topic}[{partition}] at {next}: {e}"));
                let Batch::V2(b) = batch else { panic!("{topic}[{partition}]: a legacy batch: {batch:?}") };
                if b.last_offset() < next {
                    continue;
                }
                assert_eq!(b.base_offset, next, "{topic}[{partition}]: a batch does not start where the last ended");
                next = b.next_offset();
                batches.push(StoredBatch {
                    base_offset: b.base_offset,
                    compression: b.compression(),
                    producer_id: b.producer_id,
                    producer_epoch: b.producer_epoch,
                    base_sequence: b.base_sequence,
                    record_count: b.record_count,
                    records: b.to_records().unwrap(),
                });
            }
        }
        if high_watermark >= at_least && next >= high_watermark {
            return Stored { high_watermark, batches };
        }
        assert!(
            Instant::now() < deadline,
            "{topic}[{partition}]: fetched up to offset {next}, high watermark {high_watermark}, expected at least \
             {at_least} records"
        );
    }
}

/// [`fetch_partition`] for every partition, `at_least[p]` records each.
async fn fetch_topic(brokers: &str, topic: &str, at_least: &[i64]) -> Vec<Stored> {
    let conn = connect(brokers).await;
    let mut out = Vec::new();
    for (p, n) in at_least.iter().enumerate() {
        out.push(fetch_partition(&conn, topic, p as i32, *n).await);
    }
    conn.close();
    out
}

/// Awaits every future (at most [`WAIT`] in all) and returns the metadata.
async fn delivered(futures: Vec<DeliveryFuture>) -> Vec<RecordMetadata> {
    let all = async {
        let mut out = Vec::with_capacity(futures.len());
        for (i, f) in futures.into_iter().enumerate() {
            out.push(f.await.unwrap_or_else(|e| panic!("record {i} was not delivered: {e}")));
        }
        out
    };
    tokio::time::timeout(WAIT, all).await.expect("the delivery futures did not complete in time")
}

/// Flushes, failing the test if that takes longer than [`WAIT`].
async fn flush(producer: &Producer) {
    producer.flush_timeout(WAIT).await.expect("flush");
}

/// How many of `metadata` went to each of `partitions` partitions.
fn per_partition(metadata: &[RecordMetadata], partitions: usize) -> Vec<i64> {
    let mut n = vec![0i64; partitions];
    for m in metadata {
        n[m.partition as usize] += 1;
    }
    n
}

/// The `i`-th record of the round-trip tests: a key, a value of varying length (null for some),
/// headers (none for some; a repeated key, a null value and a non-ASCII one for others), and an
/// explicit timestamp.
fn sample_record(topic: &str, i: usize) -> ProducerRecord<'_> {
    let mut r = ProducerRecord::new(topic).key(format!("key-{i:05}")).timestamp(BASE_TS + i as i64 * 1000 + 7);
    if i % 41 != 5 {
        let filler = "浦发银行 10.31 ".repeat(i % 13);
        r = r.value(format!("value {i}: {filler}{}", "x".repeat(i % 97)));
    }
    match i % 4 {
        0 => {}
        1 => r = r.header("idx", i.to_string()),
        2 => r = r.header("来源", "上海证券交易所").header("idx", i.to_string()).header("idx", "again"),
        _ => {
            r = r.header("trace", Bytes::from(vec![0u8, 1, 2, 255]));
            r.headers.push(Header::new("null-valued", None));
        }
    }
    r
}

/// Whether the stored `record` is `sent`, byte for byte, with its timestamp.
fn assert_same(record: &Record, sent: &ProducerRecord<'_>, what: &str) {
    assert_eq!(record.key, sent.key, "{what}: key");
    assert_eq!(record.value, sent.value, "{what}: value");
    assert_eq!(record.headers, sent.headers, "{what}: headers");
    assert_eq!(Some(record.timestamp), sent.timestamp, "{what}: timestamp");
}

// ---------------------------------------------------------------------------------------------
// 1. Every codec with every acks.
// ---------------------------------------------------------------------------------------------

/// Produces keyed records with values, headers and timestamps to a 3-partition topic with
/// `codec` and `acks`, and checks that the broker holds exactly them, in send order per
/// partition, at the offsets the futures reported, in batches of that codec.
async fn round_trip(codec: Compression, acks: Acks) {
    let Some(brokers) = brokers() else { return };
    const N: usize = 400;
    const PARTITIONS: i32 = 3;
    let topic = create_topic(&brokers, &format!("kafkit-producer-{}-acks{}", codec.name(), acks.as_i16()), 3).await;
    let config = config(&brokers).compression(codec).acks(acks).batch_size(4096).linger(Duration::from_millis(20));
    // acks 0 and 1 quietly turn the default idempotence off (as in Java); acks=all keeps it.
    assert_eq!(config.enable_idempotence, None);
    assert_eq!(config.idempotence_enabled(), acks == Acks::All, "{acks:?}");
    let producer = Producer::new(config).await.unwrap();

    let sent: Vec<ProducerRecord<'_>> = (0..N).map(|i| sample_record(&topic, i)).collect();
    let mut futures = Vec::with_capacity(N);
    for r in &sent {
        futures.push(producer.send(r.clone()).await);
    }
    let flushed = producer.flush_timeout(WAIT).await;
    let done = futures.iter().filter(|f| f.is_done()).count();
    assert!(flushed.is_ok(), "flush did not return within {WAIT:?}: {done} of {N} records complete");
    assert_eq!(done, N, "flush returned before every record completed");
    let metadata = delivered(futures).await;

    for (i, (m, r)) in metadata.iter().zip(&sent).enumerate() {
        assert_eq!(&*m.topic, topic);
        assert_eq!(m.partition, partition_for_key(r.key.as_deref().unwrap(), PARTITIONS), "record {i}");
        assert_eq!(Some(m.timestamp), r.timestamp, "record {i}: the create time is the one given");
        if acks == Acks::None {
            assert_eq!(m.offset, -1, "record {i}: acks=0 knows no offset");
        } else {
            assert!(m.offset >= 0, "record {i}: {m:?}");
        }
    }

    let counts = per_partition(&metadata, PARTITIONS as usize);
    assert!(counts.iter().all(|&n| n > 0), "every partition gets keys: {counts:?}");
    let stored = fetch_topic(&brokers, &topic, &counts).await;
    let mut batches = 0;
    for (p, s) in stored.iter().enumerate() {
        assert_eq!(s.high_watermark, counts[p], "{topic}[{p}] holds exactly the records sent to it");
        // In send order.
        let expected: Vec<(usize, &RecordMetadata)> =
            metadata.iter().enumerate().filter(|(_, m)| m.partition == p as i32).collect();
        let records: Vec<&Record> = s.records().collect();
        assert_eq!(records.len(), expected.len(), "{topic}[{p}]");
        for (record, (i, m)) in records.iter().zip(&expected) {
            assert_same(record, &sent[*i], &format!("{topic}[{p}]@{} (record {i})", record.offset));
            if acks != Acks::None {
                assert_eq!(record.offset, m.offset, "record {i}: stored where its future said");
            }
        }
        for b in &s.batches {
            assert_eq!(b.compression, codec, "{topic}[{p}] batch at {}", b.base_offset);
            if acks == Acks::All {
                assert!(b.producer_id >= 0, "idempotent batches carry a producer id: {b:?}");
            } else {
                assert_eq!((b.producer_id, b.producer_epoch, b.base_sequence), (-1, -1, -1), "{b:?}");
            }
        }
        batches += s.batches.len();
    }
    // 400 records of about 100–250 bytes with batch.size 4 KiB cannot fit one batch per partition.
    assert!(batches > stored.len(), "only {batches} batches: batch.size was not applied");
    producer.close(Some(WAIT)).await.unwrap();
}

macro_rules! round_trips {
    ($($name:ident: $codec:ident, $acks:ident;)*) => {$(
        #[tokio::test]
        async fn $name() {
            round_trip(Compression::$codec, Acks::$acks).await;
        }
    )*};
}

round_trips! {
    round_trip_none_acks_0: None, None;
    round_trip_none_acks_1: None, Leader;
    round_trip_none_acks_all: None, All;
    round_trip_gzip_acks_0: Gzip, None;
    round_trip_gzip_acks_1: Gzip, Leader;
    round_trip_gzip_acks_all: Gzip, All;
    round_trip_snappy_acks_0: Snappy, None;
    round_trip_snappy_acks_1: Snappy, Leader;
    round_trip_snappy_acks_all: Snappy, All;
    round_trip_lz4_acks_0: Lz4, None;
    round_trip_lz4_acks_1: Lz4, Leader;
    round_trip_lz4_acks_all: Lz4, All;
    round_trip_zstd_acks_0: Zstd, None;
    round_trip_zstd_acks_1: Zstd, Leader;
    round_trip_zstd_acks_all: Zstd, All;
}

// ---------------------------------------------------------------------------------------------
// 2. Partitioning.
// ---------------------------------------------------------------------------------------------

/// Keyed records go to `toPositive(murmur2(key)) % n` (as every Kafka client computes it), the
/// futures say so, and the broker has each key in that partition.
#[tokio::test]
async fn keyed_records_land_on_the_murmur2_partition() {
    let Some(brokers) = brokers() else { return };
    const PARTITIONS: i32 = 6;
    let topic = create_topic(&brokers, "kafkit-producer-keyed", PARTITIONS).await;
    let producer = Producer::new(config(&brokers)).await.unwrap();
    let keys: Vec<String> = (0..600).map(|i| format!("股票代码-{}", 600000 + i)).collect();
    let mut futures = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        futures.push(producer.send(ProducerRecord::new(&topic).key(key.clone()).value(format!("quote {i}"))).await);
    }
    flush(&producer).await;
    let metadata = delivered(futures).await;
    for (key, m) in keys.iter().zip(&metadata) {
        assert_eq!(m.partition, partition_for_key(key.as_bytes(), PARTITIONS), "key {key}");
    }
    let counts = per_partition(&metadata, PARTITIONS as usize);
    assert!(counts.iter().all(|&n| n > 0), "600 keys use every partition: {counts:?}");
    let stored = fetch_topic(&brokers, &topic, &counts).await;
    for (p, s) in stored.iter().enumerate() {
        assert_eq!(s.high_watermark, counts[p]);
        for r in s.records() {
            let key = std::str::from_utf8(r.key.as_deref().unwrap()).unwrap();
            assert_eq!(partition_for_key(key.as_bytes(), PARTITIONS), p as i32, "{key} stored in partition {p}");
            let i = keys.iter().position(|k| k == key).unwrap();
            assert_eq!((metadata[i].partition, metadata[i].offset), (p as i32, r.offset), "{key}");
        }
    }
    producer.close(Some(WAIT)).await.unwrap();
}

/// Records without key stick to one partition per batch and move to another when the batch
/// is complete (KIP-480), so over many batches they spread over the partitions.
#[tokio::test]
async fn keyless_records_are_sticky_per_batch_and_spread_over_partitions() {
    let Some(brokers) = brokers() else { return };
    const PARTITIONS: i32 = 6;
    const N: usize = 3000;
    let topic = create_topic(&brokers, "kafkit-producer-sticky", PARTITIONS).await;
    let config = config(&brokers).batch_size(1024);
    assert_eq!(config.partitioner, PartitionerKind::Default);
    let producer = Producer::new(config).await.unwrap();
    let values: Vec<String> = (0..N).map(|i| format!("keyless {i:05} {}", "y".repeat(80))).collect();
    let mut futures = Vec::new();
    for v in &values {
        futures.push(producer.send(ProducerRecord::new(&topic).value(v.clone())).await);
    }
    flush(&producer).await;
    let metadata = delivered(futures).await;
    let counts = per_partition(&metadata, PARTITIONS as usize);
    // About 300 batches, each switch uniform over the 5 other partitions: missing one would
    // take odds of about (4/5)^250.
    assert!(counts.iter().all(|&n| n > 0), "keyless records reach every partition: {counts:?}");

    let stored = fetch_topic(&brokers, &topic, &counts).await;
    let batches: usize = stored.iter().map(|s| s.batches.len()).sum();
    // Sticky: the partition changes only when a batch is complete, so the runs of consecutive
    // records on one partition are at most as many as the batches.
    let runs = 1 + metadata.windows(2).filter(|w| w[0].partition != w[1].partition).count();
    assert!(runs <= batches, "{runs} runs of one partition for {batches} batches: not sticky");
    assert!(runs > 1, "all {N} records went to one partition");
    // And batches are filled: a 1 KiB batch takes about 10 of these 100-byte records.
    assert!(batches * 2 <= N, "{batches} batches for {N} records: the sticky partitioner does not fill batches");
    // The futures and the broker agree record by record.
    for (p, s) in stored.iter().enumerate() {
        assert_eq!(s.high_watermark, counts[p]);
        let expected: Vec<usize> = (0..N).filter(|&i| metadata[i].partition == p as i32).collect();
        let records: Vec<&Record> = s.records().collect();
        assert_eq!(records.len(), expected.len());
        for (r, &i) in records.iter().zip(&expected) {
            assert_eq!(r.key, None);
            assert_eq!(r.value.as_deref(), Some(values[i].as_bytes()), "{topic}[{p}]@{}", r.offset);
            assert_eq!(r.offset, metadata[i].offset);
        }
    }
    producer.close(Some(WAIT)).await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// 3. Per-partition order with many small batches in flight.
// ---------------------------------------------------------------------------------------------

/// Sends many records in tiny batches (so that many requests are pipelined) to two partitions
/// and checks that each partition stores them in send order, at strictly increasing offsets
/// that are the ones the futures reported.
async fn ordering(config: ProducerConfig, prefix: &str) {
    let Some(brokers) = brokers() else { return };
    const N: usize = 10_000;
    let topic = create_topic(&brokers, prefix, 2).await;
    let config = ProducerConfig { client: kafkit_client::ClientConfig::new([brokers.as_str()]), ..config };
    assert_eq!(config.max_in_flight_requests_per_connection, 5);
    let producer = Producer::new(config).await.unwrap();

    // How many requests were in flight at once, for the log only (timing-dependent).
    let most_in_flight = Arc::new(AtomicUsize::new(0));
    let sampler = {
        let (client, most) = (producer.client().clone(), most_in_flight.clone());
        tokio::spawn(async move {
            loop {
                if let Some(c) = client.live_connection(TANSU_NODE_ID) {
                    most.fetch_max(c.in_flight(), Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
        })
    };

    let mut futures = Vec::with_capacity(N);
    for i in 0..N {
        let r = ProducerRecord::new(&topic).partition((i % 2) as i32).value(format!("ordered {i:06}"));
        futures.push(producer.send(r).await);
    }
    flush(&producer).await;
    sampler.abort();
    let metadata = delivered(futures).await;
    eprintln!("{prefix}: at most {} requests in flight", most_in_flight.load(Ordering::Relaxed));

    let counts = per_partition(&metadata, 2);
    assert_eq!(counts, [N as i64 / 2, N as i64 / 2]);
    for p in 0..2 {
        let offsets: Vec<i64> = metadata.iter().filter(|m| m.partition == p).map(|m| m.offset).collect();
        assert!(offsets.windows(2).all(|w| w[0] < w[1]), "partition {p}: offsets not increasing in send order");
        // A fresh topic and no retries: exactly 0, 1, 2, ...
        assert!(offsets.iter().enumerate().all(|(i, &o)| o == i as i64), "partition {p}: offsets not contiguous");
    }
    let stored = fetch_topic(&brokers, &topic, &counts).await;
    for (p, s) in stored.iter().enumerate() {
        assert_eq!(s.high_watermark, counts[p]);
        // batch.size 512 and ~21-byte records: about 20 records per batch, 250 batches.
        assert!(s.batches.len() >= 100, "{topic}[{p}]: only {} batches", s.batches.len());
        for (j, r) in s.records().enumerate() {
            let i = 2 * j + p;
            assert_eq!(r.value.as_deref(), Some(format!("ordered {i:06}").as_bytes()), "{topic}[{p}]@{}", r.offset);
            assert_eq!(r.offset, metadata[i].offset);
        }
    }
    producer.close(Some(WAIT)).await.unwrap();
}

#[tokio::test]
async fn idempotent_producer_keeps_partition_order_with_requests_in_flight() {
    let config = ProducerConfig::default().batch_size(512).linger(Duration::from_millis(1));
    assert!(config.idempotence_enabled());
    ordering(config, "kafkit-producer-order-idem").await;
}

#[tokio::test]
async fn plain_producer_keeps_partition_order_with_requests_in_flight() {
    let config = ProducerConfig::default()
        .acks(Acks::Leader)
        .enable_idempotence(false)
        .batch_size(512)
        .linger(Duration::from_millis(1));
    ordering(config, "kafkit-producer-order-plain").await;
}

// ---------------------------------------------------------------------------------------------
// 4. flush, close, drop.
// ---------------------------------------------------------------------------------------------

/// A linger no test waits out: only flush, close or drop can send these batches.
const LONG_LINGER: Duration = Duration::from_secs(600);

/// Sends `n` records numbered from `from` to partition 0 of `topic`.
async fn send_numbered(producer: &Producer, topic: &str, from: usize, n: usize) -> Vec<DeliveryFuture> {
    let mut futures = Vec::with_capacity(n);
    for i in from..from + n {
        let r = ProducerRecord::new(topic).partition(0).key(format!("k{i}")).value(format!("numbered {i}"));
        futures.push(producer.send(r).await);
    }
    futures
}

/// Checks that `stored` is records `0..n` of [`send_numbered`] at offsets `0..n`.
fn assert_numbered(stored: &Stored, n: usize) {
    assert_eq!(stored.high_watermark, n as i64);
    let records: Vec<&Record> = stored.records().collect();
    assert_eq!(records.len(), n);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.offset, i as i64);
        assert_eq!(r.value.as_deref(), Some(format!("numbered {i}").as_bytes()));
    }
}

#[tokio::test]
async fn flush_sends_lingering_batches_and_waits_for_them() {
    let Some(brokers) = brokers() else { return };
    let topic = create_topic(&brokers, "kafkit-producer-flush", 1).await;
    let producer = Producer::new(config(&brokers).linger(LONG_LINGER)).await.unwrap();
    let futures = send_numbered(&producer, &topic, 0, 100).await;
    // 100 small records do not fill a 16 KiB batch: nothing is sent before the linger.
    assert!(futures.iter().all(|f| !f.is_done()), "a record completed before flush with a 10-minute linger");
    tokio::time::timeout(WAIT, producer.flush()).await.expect("flush did not complete in time");
    assert!(futures.iter().all(DeliveryFuture::is_done), "flush returned before every record completed");
    let first = delivered(futures).await;
    assert_eq!(first.iter().map(|m| m.offset).collect::<Vec<_>>(), (0..100).collect::<Vec<_>>());

    // Again, with flush_timeout; and a flush with nothing buffered returns.
    let futures = send_numbered(&producer, &topic, 100, 50).await;
    producer.flush_timeout(WAIT).await.unwrap();
    assert!(futures.iter().all(DeliveryFuture::is_done));
    let second = delivered(futures).await;
    assert_eq!(second.iter().map(|m| m.offset).collect::<Vec<_>>(), (100..150).collect::<Vec<_>>());
    producer.flush_timeout(WAIT).await.unwrap();

    let stored = fetch_topic(&brokers, &topic, &[150]).await;
    assert_numbered(&stored[0], 150);
    producer.close(Some(WAIT)).await.unwrap();
}

#[tokio::test]
async fn close_delivers_what_was_sent_and_refuses_what_comes_after() {
    let Some(brokers) = brokers() else { return };
    let topic = create_topic(&brokers, "kafkit-producer-close", 1).await;
    let producer = Producer::new(config(&brokers).linger(LONG_LINGER)).await.unwrap();
    let other_handle = producer.clone();
    let futures = send_numbered(&producer, &topic, 0, 200).await;
    assert!(futures.iter().all(|f| !f.is_done()), "a record completed before close with a 10-minute linger");
    producer.close(Some(WAIT)).await.unwrap();
    assert!(futures.iter().all(DeliveryFuture::is_done), "close returned before every record completed");
    let metadata = delivered(futures).await;
    assert_eq!(metadata.iter().map(|m| m.offset).collect::<Vec<_>>(), (0..200).collect::<Vec<_>>());

    // After close, from any handle: refused at once with Error::Closed.
    for p in [&producer, &other_handle] {
        let f = p.send(ProducerRecord::new(&topic).partition(0).value("too late")).await;
        assert!(matches!(f.refused(), Some(Error::Closed)), "{f:?}");
        assert!(matches!(f.await, Err(Error::Closed)));
    }
    // Closing again is fine.
    producer.close(Some(WAIT)).await.unwrap();
    other_handle.close(None).await.unwrap();

    let stored = fetch_topic(&brokers, &topic, &[200]).await;
    assert_numbered(&stored[0], 200);
}

/// `acks = 0` with several batches of one partition waiting when close is called: close
/// sends them all. (Nothing answers an acks=0 request, so the producer must not wait for a
/// response to send the partition's next batch.)
#[tokio::test]
async fn close_with_acks_0_sends_every_waiting_batch() {
    let Some(brokers) = brokers() else { return };
    let topic = create_topic(&brokers, "kafkit-producer-close-acks0", 1).await;
    let config = config(&brokers).acks(Acks::None).batch_size(1024).linger(LONG_LINGER);
    let producer = Producer::new(config).await.unwrap();
    let futures = send_numbered(&producer, &topic, 0, 200).await;
    let closed = producer.close(Some(WAIT)).await;
    if let Err(e) = closed {
        // Close gave up and failed what was left: say how much.
        let mut failed = 0;
        for f in futures {
            failed += usize::from(f.await.is_err());
        }
        panic!("close: {e}; {failed} of 200 records failed");
    }
    let metadata = delivered(futures).await;
    assert!(metadata.iter().all(|m| (m.partition, m.offset) == (0, -1)), "acks=0: no offsets");
    let stored = fetch_topic(&brokers, &topic, &[200]).await;
    assert!(stored[0].batches.len() > 1, "200 records in one 1 KiB batch?");
    assert_numbered(&stored[0], 200);
}

#[tokio::test]
async fn dropping_the_producer_without_close_still_delivers() {
    let Some(brokers) = brokers() else { return };
    let topic = create_topic(&brokers, "kafkit-producer-drop", 1).await;
    let producer = Producer::new(config(&brokers).linger(LONG_LINGER)).await.unwrap();
    let futures = send_numbered(&producer, &topic, 0, 120).await;
    assert!(futures.iter().all(|f| !f.is_done()));
    drop(producer);
    let metadata = delivered(futures).await;
    assert_eq!(metadata.iter().map(|m| m.offset).collect::<Vec<_>>(), (0..120).collect::<Vec<_>>());
    let stored = fetch_topic(&brokers, &topic, &[120]).await;
    assert_numbered(&stored[0], 120);
}

// ---------------------------------------------------------------------------------------------
// 5. buffer.memory backpressure.
// ---------------------------------------------------------------------------------------------

/// With a 64 KiB buffer and 1 MiB of records, `send` has to wait for room again and again;
/// every record is still delivered, intact, and the whole buffer is free again afterwards.
#[tokio::test]
async fn a_full_buffer_makes_send_wait_and_everything_is_delivered() {
    let Some(brokers) = brokers() else { return };
    const BUFFER: usize = 64 * 1024;
    const N: usize = 1024;
    let topic = create_topic(&brokers, "kafkit-producer-buffer", 2).await;
    let config = config(&brokers).buffer_memory(BUFFER).max_request_size(BUFFER).batch_size(16 * 1024);
    let producer = Producer::new(config).await.unwrap();
    assert_eq!(producer.available_memory(), BUFFER);

    let value = |i: usize| Bytes::from(format!("{i:06}{}", "z".repeat(1018)));
    let mut futures = Vec::with_capacity(N);
    let mut least_free = BUFFER;
    for i in 0..N {
        let r = ProducerRecord::new(&topic).partition((i % 2) as i32).value(value(i));
        futures.push(producer.send(r).await);
        let free = producer.available_memory();
        assert!(free <= BUFFER, "more than buffer.memory free: {free}");
        least_free = least_free.min(free);
    }
    assert!(futures.iter().all(|f| f.refused().is_none()), "a record was refused instead of waited for");
    flush(&producer).await;
    let metadata = delivered(futures).await;
    eprintln!("buffer: {N} KiB through {} KiB, least free {least_free} bytes", BUFFER / 1024);
    assert_eq!(producer.available_memory(), BUFFER, "the batches' memory is returned");

    let counts = per_partition(&metadata, 2);
    assert_eq!(counts, [N as i64 / 2, N as i64 / 2]);
    let stored = fetch_topic(&brokers, &topic, &counts).await;
    for (p, s) in stored.iter().enumerate() {
        for (j, r) in s.records().enumerate() {
            let i = 2 * j + p;
            assert_eq!(r.value.as_ref(), Some(&value(i)), "{topic}[{p}]@{}", r.offset);
            assert_eq!(r.offset, metadata[i].offset);
        }
        assert_eq!(s.record_count(), N / 2);
    }
    producer.close(Some(WAIT)).await.unwrap();
    assert_eq!(producer.available_memory(), BUFFER);
}

// ---------------------------------------------------------------------------------------------
// 6. The idempotent producer's batches.
// ---------------------------------------------------------------------------------------------

/// With the default config (idempotence on, acks=all), every batch on the broker carries the
/// producer's id and epoch, and per partition the base sequences start at 0 and follow the
/// record counts with no gap (here equal to the offsets: one producer, fresh topic, no
/// retries). A second producer gets another id and starts its sequences at 0 again.
#[tokio::test]
async fn idempotent_batches_carry_producer_id_and_gapless_sequences() {
    let Some(brokers) = brokers() else { return };
    const PARTITIONS: usize = 3;
    const N: usize = 3000;
    let topic = create_topic(&brokers, "kafkit-producer-idempotent", PARTITIONS as i32).await;
    let config = config(&brokers).batch_size(1024);
    assert!(config.idempotence_enabled() && config.acks == Acks::All);
    let producer = Producer::new(config.clone()).await.unwrap();
    let mut futures = Vec::with_capacity(N);
    for i in 0..N {
        let r = ProducerRecord::new(&topic).partition((i % PARTITIONS) as i32).value(format!("idempotent {i:05}"));
        futures.push(producer.send(r).await);
    }
    flush(&producer).await;
    let metadata = delivered(futures).await;
    producer.close(Some(WAIT)).await.unwrap();
    for p in 0..PARTITIONS {
        let offsets: Vec<i64> = metadata.iter().filter(|m| m.partition == p as i32).map(|m| m.offset).collect();
        assert_eq!(offsets, (0..(N / PARTITIONS) as i64).collect::<Vec<_>>(), "partition {p}");
    }

    let counts = per_partition(&metadata, PARTITIONS);
    let stored = fetch_topic(&brokers, &topic, &counts).await;
    let (pid, epoch) = (stored[0].batches[0].producer_id, stored[0].batches[0].producer_epoch);
    assert!(pid >= 0 && epoch >= 0, "producer id {pid}, epoch {epoch}");
    for (p, s) in stored.iter().enumerate() {
        assert_eq!(s.high_watermark, counts[p]);
        assert!(s.batches.len() > 1, "{topic}[{p}]: one batch only");
        let mut next_sequence = 0;
        for b in &s.batches {
            assert_eq!((b.producer_id, b.producer_epoch), (pid, epoch), "{topic}[{p}]: {b:?}");
            assert_eq!(b.base_sequence, next_sequence, "{topic}[{p}] batch at {}: sequence gap", b.base_offset);
            assert_eq!(i64::from(b.base_sequence), b.base_offset, "{topic}[{p}]");
            assert_eq!(b.record_count as usize, b.records.len());
            next_sequence += b.record_count;
        }
        assert_eq!(i64::from(next_sequence), counts[p]);
        for (j, r) in s.records().enumerate() {
            let i = PARTITIONS * j + p;
            assert_eq!(r.value.as_deref(), Some(format!("idempotent {i:05}").as_bytes()));
        }
    }

    // A second producer: a new producer id, sequences from 0, offsets after the first's.
    let producer = Producer::new(config).await.unwrap();
    let futures = send_numbered(&producer, &topic, 0, 10).await;
    flush(&producer).await;
    let metadata = delivered(futures).await;
    let first = counts[0];
    assert_eq!(metadata.iter().map(|m| m.offset).collect::<Vec<_>>(), (first..first + 10).collect::<Vec<_>>());
    producer.close(Some(WAIT)).await.unwrap();
    let stored = fetch_topic(&brokers, &topic, &[first + 10]).await;
    let new: Vec<&StoredBatch> = stored[0].batches.iter().filter(|b| b.base_offset >= first).collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(new[0].producer_id >= 0 && new[0].producer_id != pid, "second producer id {}", new[0].producer_id);
    assert_eq!((new[0].base_sequence, new[0].record_count), (0, 10));
}

// ---------------------------------------------------------------------------------------------
// 7. Callbacks.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn callbacks_and_errbacks_run_once_per_record() {
    let Some(brokers) = brokers() else { return };
    const N: usize = 300;
    let topic = create_topic(&brokers, "kafkit-producer-callbacks", 3).await;
    let producer = Producer::new(config(&brokers).batch_size(2048)).await.unwrap();

    let successes: Arc<Mutex<Vec<(usize, RecordMetadata)>>> = Arc::default();
    let failures = Arc::new(AtomicUsize::new(0));
    let outcomes = Arc::new(AtomicUsize::new(0));
    let mut futures = Vec::with_capacity(N);
    for i in 0..N {
        let (s, f, o) = (successes.clone(), failures.clone(), outcomes.clone());
        let future = producer
            .send(ProducerRecord::new(&topic).key(format!("cb-{i}")).value(format!("callback {i}")))
            .await
            .add_callback(move |m| s.lock().unwrap().push((i, m.clone())))
            .add_errback(move |_| {
                f.fetch_add(1, Ordering::SeqCst);
            })
            .on_delivery(move |r| {
                // Counted, not asserted: a panic here would be on the producer's task.
                o.fetch_add(if r.is_ok() { 1 } else { 1000 }, Ordering::SeqCst);
            });
        futures.push(future);
    }
    flush(&producer).await;
    // Callbacks run before the batch's futures resolve, so after flush they have all run.
    assert_eq!(outcomes.load(Ordering::SeqCst), N, "on_delivery: once per record, all successes");
    assert_eq!(failures.load(Ordering::SeqCst), 0);
    // A callback added to a completed future runs at once, on this thread.
    let late = Arc::new(AtomicUsize::new(0));
    let l = late.clone();
    let last = futures.pop().unwrap().add_callback(move |m| {
        assert_eq!(m.partition, partition_for_key(format!("cb-{}", N - 1).as_bytes(), 3));
        l.fetch_add(1, Ordering::SeqCst);
    });
    assert_eq!(late.load(Ordering::SeqCst), 1);
    futures.push(last);
    let metadata = delivered(futures).await;

    let mut seen = successes.lock().unwrap().clone();
    assert_eq!(seen.len(), N, "one callback per record");
    seen.sort_by_key(|(i, _)| *i);
    for (expected, (i, m)) in seen.iter().enumerate() {
        assert_eq!(
            *i,
            expected,
            "record {expected}'s callback ran {} times",
            seen.iter().filter(|s| s.0 == *i).count()
        );
        assert_eq!(m, &metadata[*i], "the callback saw what the future resolved to");
        assert_eq!(m.partition, partition_for_key(format!("cb-{i}").as_bytes(), 3));
    }
    // The metadata is the broker's: check a few against the log.
    let counts = per_partition(&metadata, 3);
    let stored = fetch_topic(&brokers, &topic, &counts).await;
    for (i, m) in metadata.iter().enumerate() {
        let r = stored[m.partition as usize].records().find(|r| r.offset == m.offset).unwrap();
        assert_eq!(r.value.as_deref(), Some(format!("callback {i}").as_bytes()));
    }

    // Refused records: the errback runs once with the reason, the callback never.
    let called = Arc::new(AtomicUsize::new(0));
    let errors: Arc<Mutex<Vec<Option<ErrorCode>>>> = Arc::default();
    let big = Bytes::from(vec![b'x'; 2 << 20]);
    for record in
        [ProducerRecord::new(&topic).partition(99).value("no such partition"), ProducerRecord::new(&topic).value(big)]
    {
        let (c, e) = (called.clone(), errors.clone());
        let f = producer
            .send(record)
            .await
            .add_callback(move |_| {
                c.fetch_add(1, Ordering::SeqCst);
            })
            .add_errback(move |err| e.lock().unwrap().push(err.code()));
        assert!(f.refused().is_some(), "{f:?}");
        assert!(f.await.is_err());
    }
    assert_eq!(called.load(Ordering::SeqCst), 0);
    assert_eq!(
        *errors.lock().unwrap(),
        [Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION), Some(ErrorCode::MESSAGE_TOO_LARGE)]
    );
    producer.close(Some(WAIT)).await.unwrap();
    // The refused records left no trace on the broker.
    let stored = fetch_topic(&brokers, &topic, &counts).await;
    assert_eq!(stored.iter().map(|s| s.high_watermark).collect::<Vec<_>>(), counts);
}

// ---------------------------------------------------------------------------------------------
// 8. The blocking producer, from plain synchronous code.
// ---------------------------------------------------------------------------------------------

#[test]
fn blocking_producer_sends_gets_and_closes_outside_any_runtime() {
    let Some(brokers) = brokers() else { return };
    // A runtime for the test's own helpers only; the producer runs its own.
    let helpers = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let topic = helpers.block_on(create_topic(&brokers, "kafkit-producer-blocking", 1));

    let producer = BlockingProducer::new(config(&brokers)).unwrap();
    let record = |i: usize| ProducerRecord::new(&topic).key(format!("k{i}")).value(format!("numbered {i}"));
    // One at a time, as the reference usage does: send(...).get(timeout).
    for i in 0..20 {
        let m = producer.send(record(i)).get(Some(WAIT)).unwrap();
        assert_eq!((&*m.topic, m.partition, m.offset), (topic.as_str(), 0, i as i64));
    }
    // Many, then flush, then get (already done: a zero timeout is enough).
    let futures: Vec<DeliveryFuture> = (20..60).map(|i| producer.send(record(i))).collect();
    producer.flush(Some(WAIT)).unwrap();
    for (i, f) in (20..).zip(futures) {
        assert!(f.is_done());
        assert_eq!(f.get(Some(Duration::ZERO)).unwrap().offset, i);
    }
    // Sent just before close: close delivers it.
    let last = producer.send(record(60));
    producer.close(Some(WAIT)).unwrap();
    assert_eq!(last.get(Some(Duration::ZERO)).unwrap().offset, 60);
    assert!(matches!(producer.send(record(61)).get(None), Err(Error::Closed)));
    drop(producer);

    let stored = helpers.block_on(fetch_topic(&brokers, &topic, &[61]));
    assert_numbered(&stored[0], 61);
}

// ---------------------------------------------------------------------------------------------
// 9. The reference usage's JSON quotes.
// ---------------------------------------------------------------------------------------------

/// The seed's stock quotes as JSON with Chinese field names, through `serialize_value(&Json, …)`:
/// stored as UTF-8 (not `\u` escapes) and read back as the same JSON.
#[tokio::test]
async fn json_quotes_with_chinese_keys_survive_the_round_trip() {
    let Some(brokers) = brokers() else { return };
    let topic = create_topic(&brokers, "kafkit-producer-json", 1).await;
    let producer = Producer::new(config(&brokers).compression(Compression::Lz4)).await.unwrap();
    let quotes: Vec<serde_json::Value> = (0..10)
        .map(|i| {
            serde_json::json!({
                "股票代码": (600000 + i).to_string(),
                "股票名称": "浦发银行",
                "昨日收盘价": 10.25 + f64::from(i) / 100.0,
                "今日开盘价": 10.27,
                "当前价格": 10.31 + f64::from(i) / 100.0,
                "成交量": 123456 + i,
            })
        })
        .collect();
    let mut futures = Vec::new();
    for q in &quotes {
        let record = ProducerRecord::new(&topic)
            .key(format!("股票代码-{}", q["股票代码"].as_str().unwrap()))
            .serialize_value(&Json, q)
            .unwrap()
            .header("来源", "上海证券交易所");
        futures.push(producer.send(record).await);
    }
    flush(&producer).await;
    let metadata = delivered(futures).await;
    assert_eq!(metadata.iter().map(|m| m.offset).collect::<Vec<_>>(), (0..10).collect::<Vec<_>>());
    producer.close(Some(WAIT)).await.unwrap();

    let stored = fetch_topic(&brokers, &topic, &[10]).await;
    assert!(stored[0].batches.iter().all(|b| b.compression == Compression::Lz4));
    let records: Vec<&Record> = stored[0].records().collect();
    assert_eq!(records.len(), quotes.len());
    for (r, q) in records.iter().zip(&quotes) {
        let value = r.value.clone().unwrap();
        // The bytes are exactly what the serializer made, with the field names as UTF-8.
        assert_eq!(&value[..], serde_json::to_vec(q).unwrap());
        let text = std::str::from_utf8(&value).unwrap();
        assert!(text.contains("\"股票代码\"") && text.contains("\"昨日收盘价\""), "{text}");
        let back: serde_json::Value = Json.deserialize(&topic, &value).unwrap();
        assert_eq!(back["股票代码"], q["股票代码"]);
        assert_eq!(back["股票名称"], "浦发银行");
        assert_eq!(back["成交量"], q["成交量"]);
        let close = back["昨日收盘价"].as_f64().unwrap();
        assert!((close - q["昨日收盘价"].as_f64().unwrap()).abs() < 1e-9, "{close}");
        assert_eq!(back.as_object().unwrap().len(), 6);
        assert_eq!(r.key.as_deref(), Some(format!("股票代码-{}", q["股票代码"].as_str().unwrap()).as_bytes()));
        assert_eq!(r.headers, [Header::new("来源", Some(Bytes::from("上海证券交易所")))]);
    }
}
