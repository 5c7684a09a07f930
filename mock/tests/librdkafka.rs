//! The mock cluster driven by librdkafka, a client nobody on this project wrote.
//!
//! Each test starts a [`MockCluster`] in-process, runs one of the Python scenario scripts of
//! `tests/librdkafka/` (confluent-kafka, i.e. librdkafka 2.16) against it as a child process, and
//! checks both sides: the script's own checks (it exits non-zero with librdkafka's error when one
//! fails, and prints a JSON summary on its last stdout line) and the cluster's state — the
//! records stored, the requests received, the group and its committed offsets.
//!
//! The Python comes from `KAFKIT_PYTHON` (a python with `confluent_kafka`), else from
//! `scripts/pyenv.sh`, which builds a venv with the pinned confluent-kafka from PyPI once. If
//! neither gives one, the tests are skipped with a message — except when `CI` is set, where they
//! fail: CI must really run them.
//!
//! Run: `cargo test -p kafkit-mock --test librdkafka` (add `-- --nocapture` to see the scripts'
//! progress and librdkafka's log). The scripts also run against any broker by hand, e.g.
//! `$(scripts/pyenv.sh) mock/tests/librdkafka/group.py --bootstrap 127.0.0.1:9092`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafkit_mock::{Fault, GroupState, MockCluster};
use kafkit_protocol::consumer_protocol::ConsumerProtocolAssignment;
use kafkit_protocol::messages::RequestBody;
use kafkit_protocol::record::{Batch, Batches, Compression, Record};
use kafkit_protocol::{ApiKey, ErrorCode};
use serde_json::Value;

/// The deadline each script is given (its watchdog ends it then, with a JSON summary).
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(50);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the mock crate lives in the workspace").to_path_buf()
}

fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("librdkafka")
}

/// The python to run the scenarios with, or why there is none.
fn find_python() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("KAFKIT_PYTHON").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.exists() { Ok(p) } else { Err(format!("KAFKIT_PYTHON={} does not exist", p.display())) };
    }
    let script = repo_root().join("scripts").join("pyenv.sh");
    let out = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not run {}: {e}", script.display()))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("{} failed ({}):\n{stderr}", script.display(), out.status));
    }
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if path.is_empty() || !Path::new(&path).exists() {
        return Err(format!("{} printed no usable python path ({path:?}):\n{stderr}", script.display()));
    }
    Ok(PathBuf::from(path))
}

/// The python, found once for all tests; `None` (after printing why) to skip. Under CI a missing
/// python fails the test instead.
fn python() -> Option<PathBuf> {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(find_python) {
        Ok(p) => Some(p.clone()),
        Err(why) if std::env::var_os("CI").is_some() => {
            panic!("CI must run the librdkafka interop tests, but there is no python with confluent_kafka: {why}")
        }
        Err(why) => {
            eprintln!("skipped: no python with confluent_kafka for the librdkafka tests (run scripts/pyenv.sh, or set KAFKIT_PYTHON): {why}");
            None
        }
    }
}

/// Runs `tests/librdkafka/<script>` against the cluster and returns its JSON summary. Panics with
/// the script's error and log if it fails.
async fn run_script(py: &Path, cluster: &MockCluster, script: &str, args: &[&str]) -> Value {
    run_script_observed(py, cluster, script, args, || {}).await
}

/// [`run_script`], calling `observe` about every 20 ms while the script runs (to sample the
/// cluster's state as librdkafka drives it).
async fn run_script_observed(
    py: &Path,
    cluster: &MockCluster,
    script: &str,
    args: &[&str],
    mut observe: impl FnMut(),
) -> Value {
    let path = scripts_dir().join(script);
    let timeout = SCRIPT_TIMEOUT.as_secs().to_string();
    let mut cmd = Command::new(py);
    cmd.arg(&path)
        .args(["--bootstrap", &cluster.bootstrap(), "--timeout", &timeout])
        .args(args)
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let shown = format!("{} {} {}", py.display(), path.display(), args.join(" "));
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("could not start {shown}: {e}"));
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    // The script has its own watchdog; this one is only for a python that hangs anyway.
    let hard_limit = SCRIPT_TIMEOUT + Duration::from_secs(20);
    let status = loop {
        observe();
        if let Some(status) = child.try_wait().expect("wait for the script") {
            break Some(status);
        }
        if started.elapsed() > hard_limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let out = out_reader.join().unwrap();
    let err = err_reader.join().unwrap();
    // The test harness captures this, and shows it when the test fails.
    eprintln!("---- {shown} ({:.1}s) stderr ----\n{err}---- end of stderr ----", started.elapsed().as_secs_f64());
    let Some(status) = status else {
        panic!("{script} was still running after {hard_limit:?} and was killed");
    };
    let last = out.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
    let summary: Value = serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("{script} ({status}) printed no JSON summary ({e}); last stdout line: {last:?}"));
    if !status.success() || summary["ok"] != Value::Bool(true) {
        panic!(
            "{script} failed ({status}): {}\nlibrdkafka errors: {}",
            summary["error"].as_str().unwrap_or("(no error message)"),
            summary["client_errors"]
        );
    }
    summary
}

fn unhex(v: &Value) -> Option<Bytes> {
    let s = v.as_str()?;
    assert!(s.len() % 2 == 0, "odd hex string {s}");
    Some(Bytes::from(
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect::<Vec<_>>(),
    ))
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

/// The records a summary lists, grouped by partition, in offset order.
fn summary_records(records: &Value) -> BTreeMap<i32, Vec<&Value>> {
    let mut out: BTreeMap<i32, Vec<&Value>> = BTreeMap::new();
    for r in records.as_array().expect("records") {
        out.entry(int(&r["partition"]) as i32).or_default().push(r);
    }
    for v in out.values_mut() {
        v.sort_by_key(|r| int(&r["offset"]));
    }
    out
}

/// The batches of every Produce request the cluster received for `topic`, by partition, in
/// arrival order (retries included).
fn produced_batches(cluster: &MockCluster, topic: &str) -> BTreeMap<i32, Vec<Batch>> {
    let mut out: BTreeMap<i32, Vec<Batch>> = BTreeMap::new();
    for req in cluster.requests_of(ApiKey::Produce) {
        let RequestBody::Produce(p) = &req.body else { unreachable!() };
        for t in p.topic_data.iter().filter(|t| t.name == topic) {
            for pd in &t.partition_data {
                let Some(bytes) = &pd.records else { continue };
                for b in Batches::new(bytes.clone()) {
                    out.entry(pd.index).or_default().push(b.expect("librdkafka's batch decodes"));
                }
            }
        }
    }
    out
}

fn compression_of(codec: &str) -> Compression {
    match codec {
        "none" => Compression::None,
        "gzip" => Compression::Gzip,
        "snappy" => Compression::Snappy,
        "lz4" => Compression::Lz4,
        "zstd" => Compression::Zstd,
        other => panic!("unknown codec {other}"),
    }
}

fn header_pairs(r: &Record) -> Vec<(String, Option<Bytes>)> {
    r.headers.iter().map(|h| (h.key_str().to_string(), h.value().cloned())).collect()
}

/// The cluster's log of `topic` holds exactly the records the summary lists (offset, timestamp,
/// key, value, headers when listed), and each partition ends there.
fn assert_stored_exactly(cluster: &MockCluster, topic: &str, partitions: i32, records: &Value) {
    let want = summary_records(records);
    for p in 0..partitions {
        let stored = cluster.records(topic, p).unwrap_or_else(|e| panic!("{topic}[{p}]: {e}"));
        let empty = Vec::new();
        let expected = want.get(&p).unwrap_or(&empty);
        assert_eq!(
            stored.len(),
            expected.len(),
            "{topic}[{p}]: the cluster stores {} records, librdkafka delivered {}",
            stored.len(),
            expected.len()
        );
        for (s, e) in stored.iter().zip(expected) {
            let at = format!("{topic}[{p}] offset {}", s.offset);
            assert_eq!(s.offset, int(&e["offset"]), "{at}: offset");
            assert_eq!(s.key, unhex(&e["key"]), "{at}: key");
            assert_eq!(s.value, unhex(&e["value"]), "{at}: value");
            if !e["timestamp"].is_null() {
                assert_eq!(s.timestamp, int(&e["timestamp"]), "{at}: timestamp");
            }
            if let Some(hs) = e["headers"].as_array() {
                let want_h: Vec<(String, Option<Bytes>)> =
                    hs.iter().map(|h| (h[0].as_str().unwrap().to_string(), unhex(&h[1]))).collect();
                assert_eq!(header_pairs(s), want_h, "{at}: headers");
            }
        }
        let end = expected.last().map(|r| int(&r["offset"]) + 1).unwrap_or(0);
        assert_eq!(cluster.high_watermark(topic, p), Some(end), "{topic}[{p}]: high watermark");
    }
}

/// Every record is in the log once: no (key, value) appears twice in a partition.
fn assert_no_duplicates(cluster: &MockCluster, topic: &str, partitions: i32) {
    for p in 0..partitions {
        let mut seen = HashSet::new();
        for r in cluster.records(topic, p).unwrap() {
            assert!(seen.insert((r.key.clone(), r.value.clone())), "{topic}[{p}]: record stored twice: {r:?}");
        }
    }
}

/// The Produce requests for `topic` came from one idempotent producer (`pid`), with per-partition
/// sequences that start at 0 and run on without gaps (retries resend a sequence, never skip one).
/// Returns how many batches were sent more than once.
fn assert_idempotent_batches(cluster: &MockCluster, topic: &str, pid: i64) -> usize {
    let mut resent = 0;
    for (p, batches) in produced_batches(cluster, topic) {
        let mut by_seq: BTreeMap<i32, i32> = BTreeMap::new();
        for b in &batches {
            let Batch::V2(b) = b else { panic!("{topic}[{p}]: librdkafka sent a legacy message set") };
            assert_eq!(b.producer_id, pid, "{topic}[{p}]: batch from producer id {}", b.producer_id);
            assert!(b.producer_epoch >= 0, "{topic}[{p}]: producer epoch {}", b.producer_epoch);
            assert!(b.base_sequence >= 0, "{topic}[{p}]: batch without a sequence");
            if let Some(n) = by_seq.insert(b.base_sequence, b.record_count) {
                assert_eq!(n, b.record_count, "{topic}[{p}]: sequence {} resent with other records", b.base_sequence);
                resent += 1;
            }
        }
        let mut next = 0;
        for (seq, n) in by_seq {
            assert_eq!(seq, next, "{topic}[{p}]: sequence gap");
            next = seq + n;
        }
    }
    resent
}

// ---- produce / consume, every codec ------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_consume_every_codec() {
    let Some(py) = python() else { return };
    let cluster = MockCluster::start(3).await.unwrap();
    // The script creates the topics itself (CreateTopics).
    let summary = run_script(&py, &cluster, "produce_consume.py", &["--topic-prefix", "pc", "--partitions", "3"]).await;

    assert!(!cluster.requests_of(ApiKey::CreateTopics).is_empty(), "the topics were made with CreateTopics");
    assert!(!cluster.requests_of(ApiKey::ListOffsets).is_empty(), "the consumer asked ListOffsets");
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
        let s = &summary["codecs"][codec];
        let topic = s["topic"].as_str().unwrap();
        assert_eq!(topic, format!("pc-{codec}"));
        assert_stored_exactly(&cluster, topic, 3, &s["records"]);

        // librdkafka really compressed with this codec, in batches of many records.
        let batches = produced_batches(&cluster, topic);
        let all: Vec<&Batch> = batches.values().flatten().collect();
        assert!(!all.is_empty(), "{topic}: no Produce requests logged");
        let table: Vec<String> = batches
            .iter()
            .flat_map(|(p, bs)| {
                bs.iter().map(move |b| {
                    let n = b.to_records().unwrap().len();
                    format!("[{p}] {:?} {n} records, {} bytes", b.compression(), b.size_in_bytes())
                })
            })
            .collect();
        for b in &all {
            assert_eq!(b.magic(), 2, "{topic}: magic");
            assert_eq!(
                b.compression(),
                compression_of(codec),
                "{topic}: codec of a produced batch; batches: {table:#?}"
            );
        }
        let most = all.iter().map(|b| b.to_records().unwrap().len()).max().unwrap();
        assert!(most > 10, "{topic}: batches of at most {most} records: compression barely exercised");
    }
}

// ---- idempotent producer ---------------------------------------------------------------------

/// Runs idempotent.py against `topic` (4 partitions, created here) and checks the cluster side.
/// Returns the summary and the number of batches librdkafka resent.
async fn idempotent_run(py: &Path, cluster: &MockCluster, topic: &str) -> (Value, usize) {
    idempotent_run_observed(py, cluster, topic, &[], || {}).await
}

/// [`idempotent_run`] with extra script arguments and an observer (see [`run_script_observed`]).
async fn idempotent_run_observed(
    py: &Path,
    cluster: &MockCluster,
    topic: &str,
    extra: &[&str],
    observe: impl FnMut(),
) -> (Value, usize) {
    let mut args = vec!["--topic", topic, "--partitions", "4", "--count", "2000"];
    args.extend_from_slice(extra);
    let summary = run_script_observed(py, cluster, "idempotent.py", &args, observe).await;
    assert_eq!(int(&summary["consumed"]), 2000);
    let inits = cluster.requests_of(ApiKey::InitProducerId);
    assert!(!inits.is_empty(), "the idempotent producer never sent InitProducerId");
    for r in &inits {
        let RequestBody::InitProducerId(req) = &r.body else { unreachable!() };
        assert_eq!(req.transactional_id, None, "an idempotent (not transactional) producer");
    }
    let pid = int(&summary["stats"]["producer_id"]);
    assert!(pid >= 0, "librdkafka has no producer id: {}", summary["stats"]);
    assert_eq!(summary["stats"]["idemp_state"], "Assigned");
    assert_stored_exactly(cluster, topic, 4, &summary["records"]);
    assert_no_duplicates(cluster, topic, 4);
    let resent = assert_idempotent_batches(cluster, topic, pid);
    (summary, resent)
}

/// The brokers that received Produce requests for `topic[partition]`.
fn produce_brokers(cluster: &MockCluster, topic: &str, partition: i32) -> BTreeSet<i32> {
    cluster
        .requests_of(ApiKey::Produce)
        .into_iter()
        .filter(|r| {
            let RequestBody::Produce(p) = &r.body else { unreachable!() };
            p.topic_data.iter().any(|t| t.name == topic && t.partition_data.iter().any(|d| d.index == partition))
        })
        .map(|r| r.broker)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_producer_exactly_once() {
    let Some(py) = python() else { return };
    let cluster = MockCluster::start(3).await.unwrap();
    cluster.create_topic("idem", 4).unwrap();
    let (summary, resent) = idempotent_run(&py, &cluster, "idem").await;
    assert_eq!(resent, 0, "no faults, yet librdkafka resent batches: {}", summary["stats"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_producer_retries_not_leader() {
    let Some(py) = python() else { return };
    let cluster = MockCluster::start(3).await.unwrap();
    cluster.create_topic("idem-nl", 4).unwrap();
    // The first three produces to partitions 0 and 2 fail as if leadership had moved.
    for p in [0, 2] {
        cluster
            .inject(Fault::error(ApiKey::Produce, ErrorCode::NOT_LEADER_OR_FOLLOWER).times(3).partition("idem-nl", p));
    }
    let (summary, resent) = idempotent_run(&py, &cluster, "idem-nl").await;
    assert!(resent >= 6, "the faults should make librdkafka resend at least 6 batches, it resent {resent}");
    eprintln!("librdkafka: {} (resent {resent} batches)", summary["stats"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_producer_dedups_after_dropped_connections() {
    let Some(py) = python() else { return };
    let cluster = MockCluster::start(3).await.unwrap();
    cluster.create_topic("idem-drop", 4).unwrap();
    // Two Produce requests are applied, then their connections close before the answer: librdkafka
    // must resend them with the same sequences, and the broker must not store them twice.
    cluster.inject(Fault::drop_connection(ApiKey::Produce).times(2));
    let (summary, resent) = idempotent_run(&py, &cluster, "idem-drop").await;
    assert!(resent >= 2, "librdkafka should resend the unanswered batches, it resent {resent}");
    assert!(int(&summary["stats"]["disconnects"]) >= 2, "librdkafka saw no disconnect: {}", summary["stats"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_producer_follows_leader_moves() {
    let Some(py) = python() else { return };
    let cluster = MockCluster::start(3).await.unwrap();
    let topic = "idem-move";
    cluster.create_topic(topic, 4).unwrap();
    let old: Vec<i32> = (0..4).map(|p| cluster.leader(topic, p).unwrap()).collect();
    let new = |p: usize| old[p] % 3 + 1;
    // As soon as the first batch arrives, partitions 0 and 1 get new leaders: librdkafka must find
    // them (NOT_LEADER_OR_FOLLOWER from the old ones, then Metadata) and go on with its sequences.
    let mut moved = false;
    let (summary, resent) =
        idempotent_run_observed(&py, &cluster, topic, &["--chunk", "100", "--pause-ms", "50"], || {
            if !moved && !cluster.requests_of(ApiKey::Produce).is_empty() {
                for p in [0, 1] {
                    cluster.move_leader(topic, p as i32, new(p)).unwrap();
                }
                moved = true;
            }
        })
        .await;
    assert!(moved);
    for p in [0, 1] {
        let brokers = produce_brokers(&cluster, topic, p as i32);
        assert!(
            brokers.contains(&old[p]) && brokers.contains(&new(p)),
            "{topic}[{p}]: produced to brokers {brokers:?}; the leader moved from {} to {}",
            old[p],
            new(p)
        );
    }
    eprintln!("librdkafka: {} (resent {resent} batches)", summary["stats"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_producer_survives_broker_stop() {
    let Some(py) = python() else { return };
    let cluster = MockCluster::start(3).await.unwrap();
    let topic = "idem-stop";
    cluster.create_topic(topic, 4).unwrap();
    let victim = cluster.leader(topic, 2).unwrap();
    // Once production has begun, the leader of partition 2 goes down (its connections drop,
    // possibly with requests in flight); the partition fails over to another replica.
    let mut stopped = false;
    let (summary, resent) =
        idempotent_run_observed(&py, &cluster, topic, &["--chunk", "100", "--pause-ms", "50"], || {
            if !stopped && produce_brokers(&cluster, topic, 2).contains(&victim) {
                cluster.stop_broker(victim).unwrap();
                stopped = true;
            }
        })
        .await;
    assert!(stopped);
    let successor = cluster.leader(topic, 2).unwrap();
    assert_ne!(successor, victim);
    let brokers = produce_brokers(&cluster, topic, 2);
    assert!(
        brokers.contains(&successor),
        "{topic}[2]: produced to brokers {brokers:?}, never to the new leader {successor}"
    );
    // (No check of librdkafka's disconnect count here: it drops a broker that left the metadata
    // from its statistics, counters included.)
    eprintln!("librdkafka: {} (resent {resent} batches)", summary["stats"]);
}

// ---- consumer group ------------------------------------------------------------------------

/// A sample of the group's state taken while librdkafka drives it.
#[derive(Debug, Clone, PartialEq)]
struct GroupSample {
    state: GroupState,
    generation: i32,
    protocol: Option<String>,
    /// Each member's assigned partitions of the topic (from the leader's SyncGroup), sorted.
    assignments: Vec<Vec<i32>>,
}

fn sample_group(cluster: &MockCluster, group: &str, topic: &str) -> Option<GroupSample> {
    let info = cluster.group(group)?;
    let mut assignments: Vec<Vec<i32>> = info
        .members
        .iter()
        .map(|m| {
            let (_, a) = ConsumerProtocolAssignment::from_bytes(m.assignment.clone())
                .unwrap_or_else(|e| panic!("{group}: member {}'s assignment does not decode: {e}", m.member_id));
            let mut ps: Vec<i32> =
                a.assigned_partitions.iter().filter(|t| t.topic == topic).flat_map(|t| t.partitions.clone()).collect();
            ps.sort_unstable();
            ps
        })
        .collect();
    assignments.sort();
    Some(GroupSample { state: info.state, generation: info.generation_id, protocol: info.protocol, assignments })
}

async fn group_run(strategy: &str) {
    let Some(py) = python() else { return };
    let cluster = MockCluster::start(3).await.unwrap();
    let topic = format!("grp-{strategy}");
    let group = format!("{topic}-group");
    cluster.create_topic(&topic, 6).unwrap();
    let mut samples: Vec<GroupSample> = Vec::new();
    let summary = run_script_observed(
        &py,
        &cluster,
        "group.py",
        &[
            "--topic",
            &topic,
            "--group",
            &group,
            "--partitions",
            "6",
            "--strategy",
            strategy,
            "--session-timeout-ms",
            "6000",
        ],
        || {
            if let Some(s) = sample_group(&cluster, &group, &topic) {
                if samples.last() != Some(&s) {
                    samples.push(s);
                }
            }
        },
    )
    .await;
    eprintln!("{group} as the coordinator saw it:\n{samples:#?}");

    // What librdkafka saw: both members consumed, each its own half.
    let split = |who: &str| -> Vec<i32> {
        let mut v: Vec<i32> = summary["assignment"][who].as_array().unwrap().iter().map(|p| int(p) as i32).collect();
        v.sort_unstable();
        v
    };
    let (a, b) = (split("A"), split("B"));
    assert!(!a.is_empty() && !b.is_empty() && a.len() + b.len() == 6, "assignment {}", summary["assignment"]);
    assert_eq!(int(&summary["consumed"]["A"]) + int(&summary["consumed"]["B"]), 600);

    // What the coordinator held meanwhile: a stable generation of both members with the chosen
    // assignor and the split librdkafka reported, then one of A alone with every partition.
    let mut pair = vec![a.clone(), b.clone()];
    pair.sort();
    // (Cooperative rebalancing passes through a Stable generation where the newcomer has nothing
    // yet: the split is the one that matters.)
    let both = samples.iter().find(|s| s.state == GroupState::Stable && s.assignments == pair);
    let both = both.unwrap_or_else(|| panic!("the group was never Stable with the split {pair:?}: {samples:#?}"));
    assert_eq!(both.protocol.as_deref(), Some(strategy), "the protocol chosen for the group");
    let both_gen = both.generation;
    let alone = samples.iter().find(|s| s.state == GroupState::Stable && s.generation > both_gen);
    let alone = alone.unwrap_or_else(|| panic!("no Stable generation after B left: {samples:#?}"));
    assert_eq!(alone.assignments, vec![(0..6).collect::<Vec<i32>>()], "A alone should own every partition");
    assert_eq!(alone.protocol.as_deref(), Some(strategy));

    // At the end the group outlives its members: Empty, its protocol cleared as Kafka's
    // GroupMetadata.initNextGeneration does when no member is left, the protocol type kept.
    let info = cluster.group(&group).unwrap_or_else(|| panic!("the cluster knows no group {group}"));
    assert_eq!(info.state, GroupState::Empty, "both members left: {info:?}");
    assert!(info.members.is_empty(), "members left behind: {:?}", info.members);
    assert_eq!(info.protocol_type.as_deref(), Some("consumer"));
    assert_eq!(info.protocol, None, "an Empty group has no protocol");
    assert!(info.generation_id > alone.generation, "the group emptied without a new generation: {info:?}");

    // Its committed offsets are what librdkafka committed and read back.
    for p in 0..6 {
        let want = int(&summary["committed"][p.to_string()]);
        assert_eq!(cluster.committed_offset(&group, &topic, p), Some(want), "{group} committed offset of {topic}[{p}]");
        assert_eq!(cluster.high_watermark(&topic, p), Some(want), "{topic}[{p}]: everything was consumed");
    }

    // The requests librdkafka's group protocol took.
    let count = |api| cluster.requests_of(api).len();
    for api in
        [ApiKey::FindCoordinator, ApiKey::JoinGroup, ApiKey::SyncGroup, ApiKey::OffsetCommit, ApiKey::OffsetFetch]
    {
        assert!(count(api) > 0, "no {api:?} request");
    }
    assert!(count(ApiKey::LeaveGroup) >= 2, "both members should leave, saw {} LeaveGroup", count(ApiKey::LeaveGroup));
    for r in cluster.requests_of(ApiKey::JoinGroup) {
        let RequestBody::JoinGroup(j) = &r.body else { unreachable!() };
        assert_eq!(j.group_id, group);
        assert_eq!(j.protocol_type, "consumer");
        let names: Vec<&str> = j.protocols.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, [strategy], "JoinGroup protocols");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_group_range() {
    group_run("range").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_group_cooperative_sticky() {
    group_run("cooperative-sticky").await;
}
