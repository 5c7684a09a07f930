//! `kafkit produce`, `consume` and `perf`, end to end through the built binary.
//!
//! Against the real broker (`KAFKIT_TEST_BROKERS`, Tansu in CI): lines produced and consumed
//! back as JSON with every field compared, `--count` and offsets, a group resuming after its
//! commits, and `perf` with `--json`. Against the in-process mock cluster, what Tansu cannot
//! show: broker-side failures of single records (Tansu accepts everything), `--from -N` and
//! `@timestamp` (Tansu's ListOffsets is wrong for both), a group with an explicit `--from`, a
//! closed standard output and Ctrl-C. Without any broker: `--help`, bad arguments and an
//! unreachable broker.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use common::{brokers, command, create_topic, kafkit, wait_with_limit};
use kafkit_client::producer::{partition_for_key, Producer, ProducerConfig, ProducerRecord};
use kafkit_client::protocol::record::Header;
use kafkit_client::protocol::{ApiKey, ErrorCode};
use kafkit_mock::{Fault, MockCluster};
use serde_json::{json, Value};

const LIMIT: Duration = Duration::from_secs(90);
/// Tansu holds every JoinGroup for half the session timeout: keep it short.
const SESSION: &str = "session.timeout.ms=6000";
/// Tansu's ListOffsets "latest" is the last batch's base offset + 1, not the end; records
/// produced in one batch (as `kafkit produce` does with lines piped at once) make the tests
/// below start and stop inside the last batch, where `--exit-at-end` must rely on the fetched
/// high watermark (it waits for the first one of each partition).
const ONE_BATCH: &str = "linger.ms=100";

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn parse_lines(out: &str) -> Vec<Value> {
    out.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect()
}

async fn produce_with_library(brokers: &str, records: Vec<ProducerRecord<'_>>) {
    let producer = Producer::new(ProducerConfig::new([brokers])).await.unwrap();
    let mut futures = Vec::new();
    for r in records {
        futures.push(producer.send(r).await);
    }
    for f in futures {
        f.await.unwrap();
    }
    producer.close(Some(Duration::from_secs(30))).await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Against the real broker.
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_lines_then_consume_them_back_as_json() {
    let Some(b) = brokers() else { return };
    let topic = create_topic(&b, "cli-json", 2).await;
    let before = now_ms();
    let input = "k1:v1\nk2:价格 \"10.5\"\nk3:\nk4:a:b\n";
    let run = kafkit(
        &b,
        &["produce", &topic, "--key-separator", ":", "-H", "h1=x", "--header", "h1=y", "-H", "h2=", "--acks", "all"],
        input.as_bytes(),
        LIMIT,
    )
    .await;
    run.expect_code(0);
    let after = now_ms();
    assert!(run.stderr.contains(&format!("4 record(s) delivered to {topic}")), "{}", run.stderr);
    // One record the command line cannot write: bytes that are not UTF-8, a null value, a
    // header without value, a set timestamp.
    let odd_key = [0xffu8, 0x00, 0xfe];
    let mut odd = ProducerRecord::new(&topic)
        .partition(0)
        .key(Bytes::copy_from_slice(&odd_key))
        .timestamp(1_600_000_000_000)
        .header("bin", Bytes::from_static(&[0x80, 0x81]))
        .header("h1", "again");
    odd.headers.push(Header::new("nul", None));
    produce_with_library(&b, vec![odd]).await;

    let run =
        kafkit(&b, &["consume", &topic, "--format", "json", "--from", "beginning", "--exit-at-end"], b"", LIMIT).await;
    run.expect_code(0);
    let records = parse_lines(&run.out());
    assert_eq!(records.len(), 5, "{}", run.out());

    let expected_values = ["v1", "价格 \"10.5\"", "", "a:b"];
    let mut by_partition: BTreeMap<i64, Vec<&Value>> = BTreeMap::new();
    for r in &records {
        assert_eq!(r["topic"], json!(topic), "{r}");
        by_partition.entry(r["partition"].as_i64().unwrap()).or_default().push(r);
    }
    for (i, value) in expected_values.iter().enumerate() {
        let key = format!("k{}", i + 1);
        let r = records.iter().find(|r| r["key"] == json!(key)).unwrap_or_else(|| panic!("no {key}"));
        assert_eq!(r["value"], json!(value), "{r}");
        assert_eq!(r["partition"], json!(partition_for_key(key.as_bytes(), 2)), "{r}");
        assert_eq!(r["headers"], json!([["h1", "x"], ["h1", "y"], ["h2", ""]]), "{r}");
        assert_eq!(r["timestamp_type"], json!("CreateTime"), "{r}");
        let ts = r["timestamp"].as_i64().unwrap();
        assert!((before..=after).contains(&ts), "{ts} not in {before}..={after}");
    }
    let r = records.iter().find(|r| r["key"].is_object()).expect("the record with a binary key");
    assert_eq!(r["key"], json!({"base64": b64(&odd_key)}));
    assert_eq!(r["value"], Value::Null);
    assert_eq!(r["partition"], json!(0));
    assert_eq!(r["timestamp"], json!(1_600_000_000_000i64));
    assert_eq!(r["headers"], json!([["bin", {"base64": b64(&[0x80, 0x81])}], ["h1", "again"], ["nul", null]]));
    // Offsets: 0, 1, … in each partition, lines in input order, the library's record last.
    for list in by_partition.values_mut() {
        list.sort_by_key(|r| r["offset"].as_i64());
        let offsets: Vec<i64> = list.iter().map(|r| r["offset"].as_i64().unwrap()).collect();
        assert_eq!(offsets, (0..list.len() as i64).collect::<Vec<_>>());
        let keys: Vec<String> = list.iter().filter_map(|r| r["key"].as_str().map(String::from)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "lines keep their order within a partition");
    }

    // The same records as values: raw bytes, one line each (the null value an empty line).
    let run = kafkit(&b, &["consume", &topic, "--from", "beginning", "-e"], b"", LIMIT).await;
    run.expect_code(0);
    let got: BTreeSet<String> = run.lines().into_iter().collect();
    let want: BTreeSet<String> = expected_values.iter().map(|v| v.to_string()).chain([String::new()]).collect();
    assert_eq!(got, want);
    assert_eq!(run.lines().len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn count_offsets_and_end() {
    let Some(b) = brokers() else { return };
    let topic = create_topic(&b, "cli-count", 1).await;
    let input: String = (0..10).map(|i| format!("{i}\n")).collect();
    kafkit(&b, &["produce", &topic, "-X", ONE_BATCH], input.as_bytes(), LIMIT).await.expect_code(0);

    let lines = |run: &common::Run| run.lines();
    let run = kafkit(&b, &["consume", &topic, "--from", "beginning", "--count", "3"], b"", LIMIT).await;
    assert_eq!(lines(run.expect_code(0)), ["0", "1", "2"]);
    let run = kafkit(&b, &["consume", &topic, "-o", "5", "-c", "2"], b"", LIMIT).await;
    assert_eq!(lines(run.expect_code(0)), ["5", "6"]);
    let run = kafkit(&b, &["consume", &topic, "--from", "8", "--exit-at-end"], b"", LIMIT).await;
    assert_eq!(lines(run.expect_code(0)), ["8", "9"]);
    // --count and --exit-at-end: whichever comes first.
    let run = kafkit(&b, &["consume", &topic, "--from", "beginning", "-e", "-c", "100"], b"", LIMIT).await;
    assert_eq!(lines(run.expect_code(0)).len(), 10);
    // `end` is ListOffsets' answer: on Tansu only right when the last batch holds one record.
    kafkit(&b, &["produce", &topic], b"10\n", LIMIT).await.expect_code(0);
    let run = kafkit(&b, &["consume", &topic, "--from", "end", "--exit-at-end"], b"", LIMIT).await;
    assert!(lines(run.expect_code(0)).is_empty(), "{}", run.out());
    let run = kafkit(&b, &["consume", &topic, "--from", "9", "--exit-at-end"], b"", LIMIT).await;
    assert_eq!(lines(run.expect_code(0)), ["9", "10"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_resumes_after_its_commits() {
    let Some(b) = brokers() else { return };
    let topic = create_topic(&b, "cli-group", 1).await;
    let group = common::unique("cli-group");
    let input: String = (0..10).map(|i| format!("r{i}\n")).collect();
    kafkit(&b, &["produce", &topic, "-X", ONE_BATCH], input.as_bytes(), LIMIT).await.expect_code(0);

    let args = ["consume", &topic, "--group", &group, "-X", SESSION];
    let first = kafkit(&b, &[&args[..], &["--from", "beginning", "--count", "4"]].concat(), b"", LIMIT).await;
    assert_eq!(first.expect_code(0).lines(), ["r0", "r1", "r2", "r3"]);
    // `beginning` only applies without a committed offset: the group goes on from r4.
    let second = kafkit(&b, &[&args[..], &["--from", "beginning", "--exit-at-end"]].concat(), b"", LIMIT).await;
    assert_eq!(second.expect_code(0).lines(), (4..10).map(|i| format!("r{i}")).collect::<Vec<_>>());
    let third = kafkit(&b, &[&args[..], &["--exit-at-end"]].concat(), b"", LIMIT).await;
    assert!(third.expect_code(0).lines().is_empty(), "{}", third.out());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn perf_produce_then_perf_consume_json() {
    let Some(b) = brokers() else { return };
    let topic = create_topic(&b, "cli-perf", 2).await;
    let run = kafkit(
        &b,
        &["perf", "produce", &topic, "--records", "3000", "--size", "100", "--keys", "--linger", "5", "--json"],
        b"",
        LIMIT,
    )
    .await;
    run.expect_code(0);
    let p: Value = serde_json::from_str(run.out().trim()).unwrap_or_else(|e| panic!("{e}: {}", run.out()));
    assert_eq!(
        (&p["test"], &p["records"], &p["delivered"], &p["failed"]),
        (&json!("produce"), &json!(3000), &json!(3000), &json!(0))
    );
    assert_eq!((&p["record_size"], &p["key_size"], &p["bytes"]), (&json!(100), &json!(10), &json!(3000 * 110)));
    let f = |v: &Value| v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    for key in ["elapsed_s", "records_per_s", "mb_per_s"] {
        assert!(f(&p[key]) > 0.0, "{key}: {p}");
    }
    let l = &p["latency_ms"];
    assert!(f(&l["p50"]) > 0.0 && f(&l["p50"]) <= f(&l["p99"]), "{l}");
    assert!(f(&l["p99"]) <= f(&l["p99_9"]) && f(&l["p99_9"]) <= f(&l["max"]), "{l}");
    let rate = f(&p["records_per_s"]);
    assert!((rate * f(&p["elapsed_s"]) - 3000.0).abs() < 30.0, "rate × time = records: {p}");

    let run = kafkit(&b, &["perf", "consume", &topic, "--records", "3000", "--json"], b"", LIMIT).await;
    run.expect_code(0);
    let c: Value = serde_json::from_str(run.out().trim()).unwrap_or_else(|e| panic!("{e}: {}", run.out()));
    assert_eq!((&c["test"], &c["records"], &c["bytes"]), (&json!("consume"), &json!(3000), &json!(3000 * 110)));
    for key in ["elapsed_s", "records_per_s", "mb_per_s", "first_record_ms"] {
        assert!(f(&c[key]) > 0.0, "{key}: {c}");
    }
    assert!(f(&c["first_record_ms"]) <= f(&c["elapsed_s"]) * 1000.0, "{c}");

    // Text output, and a topic that runs dry.
    let run = kafkit(&b, &["perf", "consume", &topic, "-n", "3001", "--timeout", "500ms"], b"", LIMIT).await;
    run.expect_code(1);
    assert!(run.stderr.contains("ran dry: 3000 of 3001 records"), "{}", run.stderr);
    let run = kafkit(&b, &["perf", "produce", &topic, "-n", "10", "-s", "1000"], b"", LIMIT).await;
    let text = run.expect_code(0).out();
    assert!(text.contains("produced 10 of 10 records of 1000 B") && text.contains("records/s"), "{text}");
    assert!(text.contains("delivery latency: p50 ") && text.contains("p99.9 "), "{text}");
}

// ---------------------------------------------------------------------------------------------
// Against the mock cluster.
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_records_are_reported_per_line() {
    let mock = MockCluster::start(1).await.unwrap();
    mock.create_topic("t", 2).unwrap();
    // Partition 1 refuses every batch with a non-retriable error; partition 0 takes them.
    mock.inject(Fault::error(ApiKey::Produce, ErrorCode::INVALID_RECORD).partition("t", 1).times(10_000));
    let mut input = String::new();
    for i in 1..=20 {
        input.push_str(&format!("key{i}:value{i}\n"));
    }
    input.push_str("no separator here\n");
    let run = kafkit(&mock.bootstrap(), &["produce", "t", "-K", ":"], input.as_bytes(), LIMIT).await;
    run.expect_code(1);

    let failing: BTreeSet<u64> =
        (1..=20u64).filter(|i| partition_for_key(format!("key{i}").as_bytes(), 2) == 1).chain([21]).collect();
    assert!(failing.len() > 1 && failing.len() < 21, "both partitions are used: {failing:?}");
    let reported: BTreeSet<u64> = run
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("line "))
        .map(|l| l.split(':').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(reported, failing, "{}", run.stderr);
    assert!(run.stderr.contains("line 21: no key separator `:`"), "{}", run.stderr);
    assert!(run.stderr.contains("INVALID_RECORD"), "{}", run.stderr);
    let delivered = 21 - failing.len();
    assert!(
        run.stderr.contains(&format!("{delivered} record(s) delivered to t, {} failed", failing.len())),
        "{}",
        run.stderr
    );
    let stored: Vec<Bytes> = mock.records("t", 0).unwrap().into_iter().filter_map(|r| r.value).collect();
    let want: Vec<Bytes> =
        (1..=20).filter(|i| !failing.contains(i)).map(|i| Bytes::from(format!("value{i}"))).collect();
    assert_eq!(stored, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_too_long_for_a_record_fails_alone_without_being_kept() {
    let mock = MockCluster::start(1).await.unwrap();
    mock.create_topic("long", 1).unwrap();
    let mut input = b"short one\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', 300_000));
    input.extend(b"\nshort two\n");
    input.extend(std::iter::repeat_n(b'y', 200_000)); // the last line, without a newline
    let run = kafkit(&mock.bootstrap(), &["produce", "long", "-X", "max.request.size=100000"], &input, LIMIT).await;
    run.expect_code(1);
    assert!(run.stderr.contains("line 2: the line has 300000 bytes, more than max.request.size"), "{}", run.stderr);
    assert!(run.stderr.contains("line 4: the line has 200000 bytes"), "{}", run.stderr);
    assert!(run.stderr.contains("2 record(s) delivered to long, 2 failed"), "{}", run.stderr);
    let stored: Vec<Bytes> = mock.records("long", 0).unwrap().into_iter().filter_map(|r| r.value).collect();
    assert_eq!(stored, [Bytes::from("short one"), Bytes::from("short two")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_that_does_not_exist_fails_every_line() {
    let mock = MockCluster::start(1).await.unwrap();
    mock.create_topic("one", 1).unwrap();
    let run = kafkit(&mock.bootstrap(), &["produce", "one", "--partition", "99"], b"a\nb\n", LIMIT).await;
    run.expect_code(1);
    for line in [1, 2] {
        assert!(
            run.stderr.contains(&format!("line {line}: partition 99 of topic `one` does not exist")),
            "{}",
            run.stderr
        );
    }
    assert!(run.stderr.contains("0 record(s) delivered to one, 2 failed"), "{}", run.stderr);
    assert!(mock.records("one", 0).unwrap().is_empty());
    // A topic that does not exist: one error, at once.
    let mock2 = MockCluster::builder().auto_create_topics(false).start().await.unwrap();
    let run = kafkit(&mock2.bootstrap(), &["produce", "nope"], b"a\n", LIMIT).await;
    run.expect_code(1);
    assert!(run.stderr.starts_with("kafkit: error: topic `nope` does not exist"), "{}", run.stderr);
    let run = kafkit(&mock2.bootstrap(), &["consume", "nope", "-e"], b"", LIMIT).await;
    run.expect_code(1);
    assert!(run.stderr.starts_with("kafkit: error: topic `nope` does not exist"), "{}", run.stderr);
}

/// Ten records at offsets 0..10 of `topic`'s one partition, timestamped 10 s apart.
async fn ten_timestamped(mock: &MockCluster, topic: &str) -> Vec<i64> {
    mock.create_topic(topic, 1).unwrap();
    let stamps: Vec<i64> = (0..10).map(|i| 1_700_000_000_000 + i * 10_000).collect();
    let records = stamps
        .iter()
        .enumerate()
        .map(|(i, &ts)| ProducerRecord::new(topic).value(format!("m{i}")).timestamp(ts))
        .collect();
    produce_with_library(&mock.bootstrap(), records).await;
    stamps
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_the_end_and_from_a_time() {
    let mock = MockCluster::start(1).await.unwrap();
    let stamps = ten_timestamped(&mock, "ts").await;
    let b = mock.bootstrap();
    let run = kafkit(&b, &["consume", "ts", "--from", "-3", "-e"], b"", LIMIT).await;
    assert_eq!(run.expect_code(0).lines(), ["m7", "m8", "m9"]);
    let run = kafkit(&b, &["consume", "ts", "--from", "-30", "-e", "-c", "2"], b"", LIMIT).await;
    assert_eq!(run.expect_code(0).lines(), ["m0", "m1"], "never before the beginning");
    let at = format!("@{}", stamps[6] - 1);
    let run = kafkit(&b, &["consume", "ts", "--from", &at, "-e", "--format", "json"], b"", LIMIT).await;
    let got = parse_lines(&run.expect_code(0).out());
    let offsets: Vec<i64> = got.iter().map(|r| r["offset"].as_i64().unwrap()).collect();
    assert_eq!(offsets, [6, 7, 8, 9]);
    assert_eq!(got[0]["timestamp"], json!(stamps[6]));
    let after_all = format!("s@{}", stamps[9] + 1);
    let run = kafkit(&b, &["consume", "ts", "--from", &after_all, "-e"], b"", LIMIT).await;
    assert!(run.expect_code(0).lines().is_empty(), "nothing that recent: the end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_with_an_explicit_start() {
    let mock = MockCluster::start(1).await.unwrap();
    ten_timestamped(&mock, "g").await;
    let b = mock.bootstrap();
    let run = kafkit(&b, &["consume", "g", "-G", "readers", "--from", "7", "-e"], b"", LIMIT).await;
    assert_eq!(run.expect_code(0).lines(), ["m7", "m8", "m9"]);
    assert_eq!(mock.committed_offset("readers", "g", 0), Some(10));
    let run = kafkit(&b, &["consume", "g", "-G", "readers", "-e"], b"", LIMIT).await;
    assert!(run.expect_code(0).lines().is_empty());
    // An explicit position wins over the committed offset.
    let run = kafkit(&b, &["consume", "g", "-G", "readers", "--from", "-2", "-e"], b"", LIMIT).await;
    assert_eq!(run.expect_code(0).lines(), ["m8", "m9"]);
    // --count: what was printed is committed, not what was fetched.
    let run = kafkit(&b, &["consume", "g", "-G", "other", "--from", "beginning", "-c", "4"], b"", LIMIT).await;
    assert_eq!(run.expect_code(0).lines().len(), 4);
    assert_eq!(mock.committed_offset("other", "g", 0), Some(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stdout_ends_the_consumer_quietly() {
    let mock = MockCluster::start(1).await.unwrap();
    ten_timestamped(&mock, "pipe").await;
    let mut cmd = command(&mock.bootstrap(), &["consume", "pipe", "-G", "p", "--from", "beginning"]);
    let (code, stderr, took) = tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        assert_eq!(first, "m0\n");
        // Like `| head -1`: the reader goes away while the consumer waits for more records.
        std::thread::sleep(Duration::from_millis(500));
        let closed = Instant::now();
        drop(out);
        let status = wait_with_limit(child, Duration::from_secs(30), "consume | head -1");
        (status.status.code(), String::from_utf8_lossy(&status.stderr).into_owned(), closed.elapsed())
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.is_empty(), "quietly: {stderr}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    // All ten were written before the reader left (it read one line, the rest sat in the pipe).
    assert_eq!(mock.committed_offset("p", "pipe", 0), Some(10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_and_commits_what_was_printed() {
    let mock = MockCluster::start(1).await.unwrap();
    ten_timestamped(&mock, "int").await;
    let mut cmd = command(&mock.bootstrap(), &["consume", "int", "-G", "c", "--from", "beginning"]);
    let (code, lines, stderr) = tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().unwrap();
        let id = child.id();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut lines = Vec::new();
        while lines.len() < 10 {
            let mut line = String::new();
            assert!(out.read_line(&mut line).unwrap() > 0, "stdout ended early");
            lines.push(line.trim_end().to_string());
        }
        let sent = std::process::Command::new("kill").args(["-INT", &id.to_string()]).status().unwrap();
        assert!(sent.success());
        let done = wait_with_limit(child, Duration::from_secs(30), "consume, then Ctrl-C");
        (done.status.code(), lines, String::from_utf8_lossy(&done.stderr).into_owned())
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(lines, (0..10).map(|i| format!("m{i}")).collect::<Vec<_>>());
    assert_eq!(mock.committed_offset("c", "int", 0), Some(10));
    assert!(mock.group("c").is_some());
}

// ---------------------------------------------------------------------------------------------
// Without a broker.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn help_for_every_command() {
    for (args, flags) in [
        (
            &["produce", "--help"][..],
            &["--key-separator", "--partition", "--header", "--compression", "--acks", "--linger"][..],
        ),
        (&["consume", "--help"], &["--group", "--from", "--count", "--exit-at-end", "--format"]),
        (&["perf", "--help"], &["produce", "consume"]),
        (&["perf", "produce", "--help"], &["--records", "--size", "--keys", "--batch-size", "--json"]),
        (&["perf", "consume", "--help"], &["--records", "--group", "--timeout", "--json"]),
    ] {
        let run = kafkit("127.0.0.1:1", args, b"", LIMIT).await;
        run.expect_code(0);
        for flag in flags {
            assert!(run.out().contains(flag), "{args:?} --help lacks {flag}:\n{}", run.out());
        }
    }
}

#[tokio::test]
async fn bad_arguments_are_refused() {
    let run = kafkit("127.0.0.1:1", &["consume", "t", "--from", "soon"], b"", LIMIT).await;
    run.expect_code(2);
    assert!(run.stderr.contains("`soon` is not a start position"), "{}", run.stderr);
    let run = kafkit("127.0.0.1:1", &["produce", "t", "--header", "novalue"], b"", LIMIT).await;
    run.expect_code(2);
    assert!(run.stderr.contains("expected KEY=VALUE"), "{}", run.stderr);
    let run = kafkit("127.0.0.1:1", &["perf", "produce", "t", "--records", "0"], b"", LIMIT).await;
    run.expect_code(2);
    let run = kafkit("127.0.0.1:1", &["produce", "t", "--compression", "brotli"], b"", LIMIT).await;
    run.expect_code(2);
    // A record size no request could carry: refused before anything is allocated or sent.
    let run = kafkit("127.0.0.1:1", &["perf", "produce", "t", "--size", "1000000000000"], b"", LIMIT).await;
    run.expect_code(1);
    assert!(run.stderr.contains("larger than max.request.size"), "{}", run.stderr);
}

#[tokio::test]
async fn an_unreachable_broker_is_one_line_in_bounded_time() {
    for args in [
        &["produce", "t"][..],
        &["consume", "t", "-e"],
        &["consume", "t", "-G", "g"],
        &["perf", "produce", "t", "-n", "10"],
        &["perf", "consume", "t", "-n", "10"],
    ] {
        let all = [&["-X", "socket.connection.setup.timeout.ms=2000"][..], args].concat();
        let run = kafkit("127.0.0.1:1", &all, b"x\n", LIMIT).await;
        run.expect_code(1);
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: {}", run.stderr);
        assert!(lines[0].starts_with("kafkit: error: ") && lines[0].contains("127.0.0.1:1"), "{}", lines[0]);
        assert!(run.took < Duration::from_secs(20), "{args:?} took {:?}", run.took);
        assert!(run.stdout.is_empty());
    }
}

#[test]
fn stdin_is_streamed_not_slurped() {
    // The reader hands lines on as they come: a producer fed slowly reports each failure
    // before the input ends. (Against an unreachable broker nothing gets that far, so this
    // uses the mock.)
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let mock = MockCluster::start(1).await.unwrap();
        mock.create_topic("s", 1).unwrap();
        let mut cmd = command(&mock.bootstrap(), &["produce", "s", "-K", ":"]);
        cmd.stdin(Stdio::piped());
        let stderr_first = tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let mut child = cmd.spawn().unwrap();
            let mut stdin = child.stdin.take().unwrap();
            let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
            stdin.write_all(b"no separator\n").unwrap();
            stdin.flush().unwrap();
            // The report comes while standard input is still open.
            let mut first = String::new();
            err.read_line(&mut first).unwrap();
            stdin.write_all(b"k:v\n").unwrap();
            drop(stdin);
            let mut rest = String::new();
            std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
            let status = child.wait().unwrap();
            (first, rest, status.code())
        })
        .await
        .unwrap();
        let (first, rest, code) = stderr_first;
        assert_eq!(first, "line 1: no key separator `:` in the line: not sent\n");
        assert!(rest.contains("1 record(s) delivered to s, 1 failed"), "{rest}");
        assert_eq!(code, Some(1));
        assert_eq!(mock.records("s", 0).unwrap().len(), 1);
    });
}
