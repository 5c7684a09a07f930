//! A kafkit consumer and a librdkafka consumer (confluent-kafka 2.16 from PyPI, in the venv of
//! `scripts/pyenv.sh`) in the same group: they must agree on who reads what — the consumer
//! protocol's subscription and assignment bytes, whichever of them leads the group — so the
//! partitions are split without overlap and every record is read exactly once.
//!
//! Against the mock cluster (its group coordinator speaks the classic protocol as Kafka does;
//! `mock/tests/librdkafka.rs` checks it against librdkafka alone). The python side is
//! `tests/interop/librdkafka_member.py`. Without a python with confluent_kafka the test is
//! skipped with a message, except under `CI`, where it fails.

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafkit_client::consumer::{AssignorKind, Consumer, ConsumerConfig, OffsetReset, TopicPartition};
use kafkit_client::producer::{partition_for_key, Producer, ProducerConfig, ProducerRecord};
use kafkit_mock::MockCluster;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(60);
const PARTITIONS: i32 = 6;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The python with confluent_kafka: `KAFKIT_PYTHON`, else what `scripts/pyenv.sh` prints.
fn python() -> Option<PathBuf> {
    let found = match std::env::var_os("KAFKIT_PYTHON").filter(|p| !p.is_empty()) {
        Some(p) => Ok(PathBuf::from(p)),
        None => Command::new("bash")
            .arg(repo_root().join("scripts/pyenv.sh"))
            .stdin(Stdio::null())
            .output()
            .map_err(|e| e.to_string())
            .and_then(|o| {
                let path = String::from_utf8_lossy(&o.stdout).trim().to_string();
                if o.status.success() && !path.is_empty() {
                    Ok(PathBuf::from(path))
                } else {
                    Err(String::from_utf8_lossy(&o.stderr).into_owned())
                }
            }),
    };
    match found {
        Ok(p) => Some(p),
        Err(why) => {
            assert!(std::env::var_os("CI").is_none(), "CI must run the librdkafka interop test: {why}");
            eprintln!("skipped: no python with confluent_kafka (run scripts/pyenv.sh): {why}");
            None
        }
    }
}

/// What the librdkafka member reported.
#[derive(Default)]
struct Reported {
    assignment: Vec<TopicPartition>,
    records: Vec<(i32, i64, String)>,
    closed: bool,
    errors: Vec<String>,
    exit: Option<std::process::ExitStatus>,
}

struct RdMember {
    child: Child,
    reported: Arc<Mutex<Reported>>,
    reader: std::thread::JoinHandle<()>,
}

impl RdMember {
    fn start(py: &Path, cluster: &MockCluster, group: &str, topic: &str, strategy: &str) -> RdMember {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/librdkafka_member.py");
        let mut child = Command::new(py)
            .arg(script)
            .args(["--bootstrap", &cluster.bootstrap(), "--group", group, "--topic", topic])
            .args(["--strategy", strategy, "--session-timeout-ms", "3000"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reported = Arc::new(Mutex::new(Reported::default()));
        let r = reported.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let v: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
                let mut r = r.lock().unwrap();
                if let Some(a) = v.get("assignment") {
                    r.assignment = a
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|tp| TopicPartition::new(tp[0].as_str().unwrap(), tp[1].as_i64().unwrap() as i32))
                        .collect();
                } else if let Some(rec) = v.get("record") {
                    r.records.push((
                        rec[0].as_i64().unwrap() as i32,
                        rec[1].as_i64().unwrap(),
                        rec[2].as_str().unwrap().to_string(),
                    ));
                } else if v.get("closed").is_some() {
                    r.closed = true;
                } else {
                    r.errors.push(line);
                }
            }
        });
        RdMember { child, reported, reader }
    }

    fn stop(mut self) -> Reported {
        let _ = self.child.stdin.as_mut().unwrap().write_all(b"stop\n");
        let exit = self.child.wait().ok();
        self.reader.join().unwrap(); // every line it printed is in `reported`
        let mut r = std::mem::take(&mut *self.reported.lock().unwrap());
        r.exit = exit;
        r
    }
}

async fn interop(strategy: AssignorKind) {
    let Some(py) = python() else { return };
    let cluster = MockCluster::start(1).await.unwrap();
    let topic = format!("interop-{}", strategy.name());
    cluster.create_topic(&topic, PARTITIONS as usize).unwrap();
    let group = format!("g-{}", strategy.name());

    // The kafkit member first (it leads), then librdkafka joins.
    let config = ConsumerConfig::new([cluster.bootstrap()])
        .group_id(group.as_str())
        .partition_assignment_strategy(vec![strategy.clone()])
        .session_timeout(Duration::from_secs(3))
        .heartbeat_interval(Duration::from_millis(300))
        .auto_offset_reset(OffsetReset::Earliest)
        .enable_auto_commit(false);
    let mut consumer = Consumer::new(config).await.unwrap();
    consumer.subscribe([topic.as_str()]).unwrap();
    let got = Arc::new(Mutex::new(Vec::<(i32, i64, String)>::new()));
    let assignment = Arc::new(Mutex::new(Vec::<TopicPartition>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let (got2, assignment2, stop2) = (got.clone(), assignment.clone(), stop.clone());
    let task = tokio::spawn(async move {
        while !stop2.load(Ordering::Relaxed) {
            let records = consumer.poll(Duration::from_millis(100)).await.unwrap();
            for r in records.records_iter() {
                let key = String::from_utf8(r.key.clone().unwrap().to_vec()).unwrap();
                got2.lock().unwrap().push((r.partition, r.offset, key));
            }
            *assignment2.lock().unwrap() = consumer.assignment();
            if !records.is_empty() {
                consumer.commit().await.unwrap();
            }
        }
        consumer.close().await.unwrap();
    });
    let start = Instant::now();
    while assignment.lock().unwrap().len() != PARTITIONS as usize {
        assert!(start.elapsed() < WAIT, "the kafkit member never got the partitions");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rd = RdMember::start(&py, &cluster, &group, &topic, strategy.name());

    // Both hold disjoint, non-empty assignments covering the topic.
    let all: BTreeSet<TopicPartition> = (0..PARTITIONS).map(|p| TopicPartition::new(topic.as_str(), p)).collect();
    let start = Instant::now();
    let (ours, theirs) = loop {
        let ours: BTreeSet<TopicPartition> = assignment.lock().unwrap().iter().cloned().collect();
        let theirs: BTreeSet<TopicPartition> = rd.reported.lock().unwrap().assignment.iter().cloned().collect();
        if !ours.is_empty() && !theirs.is_empty() && ours.is_disjoint(&theirs) && ours.union(&theirs).eq(all.iter()) {
            break (ours, theirs);
        }
        assert!(start.elapsed() < WAIT, "no split: kafkit {ours:?}, librdkafka {theirs:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(ours.len().abs_diff(theirs.len()) <= 1, "unbalanced: {ours:?} / {theirs:?}");

    let keys: Vec<String> = (0..300).map(|i| format!("key-{i}")).collect();
    let producer = Producer::new(ProducerConfig::new([cluster.bootstrap()])).await.unwrap();
    for k in &keys {
        producer.send(ProducerRecord::new(&topic).key(Bytes::from(k.clone())).value(Bytes::from("v"))).await;
    }
    producer.close(None).await.unwrap();
    let start = Instant::now();
    while got.lock().unwrap().len() + rd.reported.lock().unwrap().records.len() < keys.len() {
        assert!(start.elapsed() < WAIT, "not everything consumed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await; // duplicates would show up now
    let theirs_now: BTreeSet<TopicPartition> = rd.reported.lock().unwrap().assignment.iter().cloned().collect();
    assert_eq!(theirs_now, theirs, "the split changed while consuming");
    let reported = rd.stop();
    stop.store(true, Ordering::Relaxed);
    task.await.unwrap();
    assert!(reported.errors.is_empty(), "librdkafka reported {:?}", reported.errors);
    assert!(reported.closed, "the librdkafka member did not close (exit: {:?})", reported.exit);

    let mut count: HashMap<String, usize> = HashMap::new();
    for (who, records, owned) in
        [("kafkit", got.lock().unwrap().clone(), &ours), ("librdkafka", reported.records, &theirs)]
    {
        for (p, _, key) in records {
            assert!(owned.contains(&TopicPartition::new(topic.as_str(), p)), "{who} read partition {p}");
            assert_eq!(p, partition_for_key(key.as_bytes(), PARTITIONS), "{key}");
            *count.entry(key).or_default() += 1;
        }
    }
    assert_eq!(count.len(), keys.len(), "some records never consumed");
    assert!(count.values().all(|n| *n == 1), "records consumed twice");
    for p in 0..PARTITIONS {
        let end = keys.iter().filter(|k| partition_for_key(k.as_bytes(), PARTITIONS) == p).count() as i64;
        assert_eq!(cluster.committed_offset(&group, &topic, p), Some(end), "partition {p}'s commit");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafkit_and_librdkafka_split_a_group_range() {
    interop(AssignorKind::Range).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafkit_and_librdkafka_split_a_group_cooperative_sticky() {
    interop(AssignorKind::CooperativeSticky).await;
}
