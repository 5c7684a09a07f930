//! `kafkit metadata`, `topics` and `groups`, end to end through the built binary.
//!
//! Against the real broker (`KAFKIT_TEST_BROKERS`, e.g. from `scripts/tansu.sh start`; the
//! tests are skipped without it unless `CI` is set, where a missing broker is a failure): a
//! topic created, listed, described and deleted; creating it twice; a group's committed
//! offsets after a consumer group committed. Against the mock cluster, started here: what
//! Tansu cannot show — exact lag (its ListOffsets "latest" is wrong, see
//! `shared/reference/broker.md`), partitions assigned but not committed, several brokers and
//! the controller, per-topic failures — and a broker that never answers. Without any broker:
//! an unreachable one, and `--help` everywhere.
//!
//! The binary runs as a child process with a limit; the limits only turn a hang into a
//! failure, except where a test checks that an error comes within a bound.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kafkit_client::consumer::{Consumer, ConsumerConfig, OffsetAndMetadata, OffsetReset, TopicPartition};
use kafkit_client::producer::{Acks, Producer, ProducerConfig, ProducerRecord};
use kafkit_client::protocol::{ApiKey, ErrorCode};
use kafkit_mock::{Fault, MockCluster};
use serde_json::Value;

mod common;

use common::{brokers as test_brokers, unique};

/// The longest a command may run before the test fails.
const LIMIT: Duration = Duration::from_secs(60);

/// What a run of the binary did.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Run {
    fn ok(&self) -> &Self {
        assert_eq!(self.code, Some(0), "{self:#?}");
        self
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {self:#?}"))
    }

    /// Failed with exactly one line on standard error, the error's.
    fn failed_with_one_line(&self) -> &str {
        assert!(self.code.is_some_and(|c| c != 0), "{self:#?}");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{self:#?}");
        assert!(lines[0].starts_with("kafkit: error: "), "{self:#?}");
        lines[0]
    }
}

/// Runs `kafkit args…` with `KAFKA_BROKERS=brokers`, killing it after `LIMIT`.
fn kafkit_blocking(brokers: &str, args: &[&str]) -> Run {
    let started = Instant::now();
    let mut command = common::command(brokers, args);
    command.env_remove("RUST_BACKTRACE");
    let child = command.spawn().expect("the kafkit binary runs");
    let out = common::wait_with_limit(child, LIMIT, &format!("kafkit {}", args.join(" ")));
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: started.elapsed(),
    }
}

/// [`kafkit_blocking`] off the async runtime (the mock cluster runs on it meanwhile).
async fn kafkit(brokers: &str, args: &[&str]) -> Run {
    let brokers = brokers.to_string();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        kafkit_blocking(&brokers, &args)
    })
    .await
    .unwrap()
}

/// The topic named `name` in `topics list --json` or `metadata --json`.
fn find_topic<'a>(doc: &'a Value, name: &str) -> Option<&'a Value> {
    doc["topics"].as_array().unwrap().iter().find(|t| t["name"] == name)
}

/// Produces `counts[p]` records to each partition `p`, one record per batch (so that Tansu's
/// ListOffsets "latest" is right).
async fn produce(brokers: &str, topic: &str, counts: &[i64]) {
    let config = ProducerConfig::new([brokers]).acks(Acks::All).linger(Duration::ZERO);
    let producer = Producer::new(config.max_in_flight_requests_per_connection(1)).await.unwrap();
    for (p, n) in counts.iter().enumerate() {
        for i in 0..*n {
            let record = ProducerRecord::new(topic).partition(p as i32).value(format!("record-{i}"));
            tokio::time::timeout(LIMIT, producer.send(record).await).await.unwrap().unwrap();
        }
    }
    producer.close(Some(LIMIT)).await.unwrap();
}

/// `partition → committed_offset` (or null) from `groups offsets --json`, for `topic`.
fn committed_of(doc: &Value, topic: &str) -> Vec<(i64, Value)> {
    doc["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["topic"] == topic)
        .map(|p| (p["partition"].as_i64().unwrap(), p["committed_offset"].clone()))
        .collect()
}

// ------------------------------------------------------------------ against the real broker

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_is_created_listed_described_refused_twice_and_deleted() {
    let Some(brokers) = test_brokers() else { return };
    let topic = unique("cli-topic");
    let created =
        kafkit(&brokers, &["topics", "create", &topic, "--partitions", "3", "--replication-factor", "1"]).await;
    assert!(created.ok().stdout.contains(&format!("created topic {topic}")), "{created:#?}");

    let listed = kafkit(&brokers, &["topics", "list"]).await;
    assert!(listed.ok().stdout.lines().any(|l| l.split_whitespace().next() == Some(topic.as_str())), "{listed:#?}");
    let listed = kafkit(&brokers, &["topics", "list", "--json"]).await.ok().json();
    assert_eq!(find_topic(&listed, &topic).unwrap()["partitions"], 3);

    let md = kafkit(&brokers, &["metadata", "--json"]).await.ok().json();
    let t = find_topic(&md, &topic).unwrap_or_else(|| panic!("{topic} not in {md:#}"));
    let partitions = t["partitions"].as_array().unwrap();
    assert_eq!(partitions.len(), 3);
    let broker_ids: Vec<&Value> = md["brokers"].as_array().unwrap().iter().map(|b| &b["id"]).collect();
    assert!(partitions.iter().all(|p| broker_ids.contains(&&p["leader"])), "{t:#}");
    let md_one = kafkit(&brokers, &["metadata", &topic]).await;
    assert!(md_one.ok().stdout.contains(&format!("topic \"{topic}\" with 3 partitions")), "{md_one:#?}");

    let twice = kafkit(&brokers, &["topics", "create", &topic, "--partitions", "3"]).await;
    let line = twice.failed_with_one_line();
    assert!(line.contains("TOPIC_ALREADY_EXISTS") && line.contains(&topic), "{line}");

    kafkit(&brokers, &["topics", "delete", &topic]).await.ok();
    let listed = kafkit(&brokers, &["topics", "list", "--json"]).await.ok().json();
    assert!(find_topic(&listed, &topic).is_none(), "{topic} still listed: {listed:#}");
    let gone = kafkit(&brokers, &["metadata", "--json", &topic]).await;
    assert_eq!(gone.code, Some(1), "{gone:#?}");
    assert_eq!(find_topic(&gone.json(), &topic).unwrap()["error"], "UNKNOWN_TOPIC_OR_PARTITION");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_offsets_after_a_consumer_group_committed() {
    let Some(brokers) = test_brokers() else { return };
    let topic = unique("cli-group-topic");
    kafkit(&brokers, &["topics", "create", &topic, "-p", "2", "-r", "1"]).await.ok();
    produce(&brokers, &topic, &[4, 6]).await;
    let group = unique("cli-group");
    let config = ConsumerConfig::new([brokers.as_str()])
        .group_id(&group)
        .client_id("cli-admin-test")
        .session_timeout(Duration::from_secs(6))
        .heartbeat_interval(Duration::from_millis(500))
        .auto_offset_reset(OffsetReset::Earliest)
        .enable_auto_commit(false);
    let mut consumer = Consumer::new(config).await.unwrap();
    consumer.subscribe([topic.as_str()]).unwrap();
    let mut seen = 0;
    tokio::time::timeout(LIMIT, async {
        while seen < 10 {
            seen += consumer.poll(Duration::from_millis(200)).await.unwrap().len();
        }
    })
    .await
    .expect("consumed every record");
    consumer.commit().await.unwrap();

    let offsets = kafkit(&brokers, &["groups", "offsets", &group, "--json"]).await.ok().json();
    assert_eq!(offsets["group_id"], group.as_str());
    assert_eq!(committed_of(&offsets, &topic), [(0, Value::from(4)), (1, Value::from(6))], "{offsets:#}");
    let text = kafkit(&brokers, &["groups", "offsets", &group]).await;
    assert!(text.ok().stdout.contains("CURRENT-OFFSET"), "{text:#?}");

    let listed = kafkit(&brokers, &["groups", "list", "--json"]).await.ok().json();
    assert!(listed["groups"].as_array().unwrap().iter().any(|g| g["group_id"] == group.as_str()), "{listed:#}");
    let described = kafkit(&brokers, &["groups", "describe", &group, "--json"]).await.ok().json();
    assert_eq!(described["groups"][0]["group_id"], group.as_str());
    assert_eq!(described["groups"][0]["state"], "Stable", "{described:#}");
    consumer.close().await.unwrap();
    kafkit(&brokers, &["topics", "delete", &topic]).await.ok();
}

// ------------------------------------------------------------------ against the mock cluster

async fn mock(brokers: usize) -> MockCluster {
    MockCluster::builder().brokers(brokers).auto_create_topics(false).start().await.unwrap()
}

/// A member of `group` subscribed to `topic`, polled until it has its assignment.
async fn member(cluster: &MockCluster, group: &str, topic: &str) -> Consumer {
    let config = ConsumerConfig::new([cluster.bootstrap()]).group_id(group).client_id("lag-reader");
    let mut consumer = Consumer::new(config).await.unwrap();
    consumer.subscribe([topic]).unwrap();
    tokio::time::timeout(LIMIT, async {
        while consumer.assignment().is_empty() {
            consumer.poll(Duration::from_millis(50)).await.unwrap();
        }
    })
    .await
    .expect("the member got its partitions");
    consumer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lag_is_exact_and_partitions_without_a_commit_are_shown_as_such() {
    let cluster = mock(2).await;
    let brokers = cluster.bootstrap();
    cluster.create_topic("quotes", 3).unwrap();
    produce(&brokers, "quotes", &[10, 20, 5]).await;
    let mut consumer = member(&cluster, "readers", "quotes").await;
    let commits = HashMap::from([
        (TopicPartition::new("quotes", 0), OffsetAndMetadata::with_metadata(7, "checkpoint")),
        (TopicPartition::new("quotes", 1), OffsetAndMetadata::new(20)),
    ]);
    consumer.commit_offsets(commits).await.unwrap();

    let doc = kafkit(&brokers, &["groups", "offsets", "readers", "--json"]).await.ok().json();
    assert_eq!(doc["state"], "Stable");
    let rows: Vec<(i64, Value, Value, Value, Value)> = doc["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["partition"].as_i64().unwrap(),
                p["committed_offset"].clone(),
                p["log_end_offset"].clone(),
                p["lag"].clone(),
                p["metadata"].clone(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (0, 7.into(), 10.into(), 3.into(), "checkpoint".into()),
            (1, 20.into(), 20.into(), 0.into(), "".into()),
            (2, Value::Null, 5.into(), Value::Null, Value::Null),
        ],
        "{doc:#}"
    );
    assert!(doc["partitions"].as_array().unwrap().iter().all(|p| p["client_id"] == "lag-reader"), "{doc:#}");

    let text = kafkit(&brokers, &["groups", "offsets", "readers"]).await;
    let lines: Vec<Vec<&str>> = text.ok().stdout.lines().skip(2).map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(lines[0][..5], ["quotes", "0", "7", "10", "3"], "{text:#?}");
    assert_eq!(lines[2][..5], ["quotes", "2", "-", "5", "-"], "{text:#?}");

    let described = kafkit(&brokers, &["groups", "describe", "readers", "--json"]).await.ok().json();
    let member = &described["groups"][0]["members"][0];
    assert_eq!(member["client_id"], "lag-reader");
    assert_eq!(member["assignment"].as_array().unwrap().len(), 3, "{described:#}");
    assert_eq!(described["groups"][0]["protocol"], "range");
    let described = kafkit(&brokers, &["groups", "describe", "readers"]).await;
    assert!(described.ok().stdout.contains("quotes[0,1,2]"), "{described:#?}");
    consumer.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_groups_fail_with_one_line_each() {
    let cluster = mock(1).await;
    let brokers = cluster.bootstrap();
    let offsets = kafkit(&brokers, &["groups", "offsets", "nobody"]).await;
    assert!(offsets.failed_with_one_line().contains("nobody"), "{offsets:#?}");
    let described = kafkit(&brokers, &["groups", "describe", "nobody", "--json"]).await;
    assert_eq!(described.code, Some(1));
    assert_eq!(described.json()["groups"][0]["error"], "GROUP_ID_NOT_FOUND");
    let listed = kafkit(&brokers, &["groups", "list", "--json"]).await.ok().json();
    assert_eq!(listed["groups"].as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_brokers_the_controller_and_per_topic_failures() {
    let cluster = mock(3).await;
    let brokers = cluster.bootstrap();
    cluster.create_topic("exists", 1).unwrap();
    cluster.inject(Fault::error(ApiKey::CreateTopics, ErrorCode::NOT_CONTROLLER));
    let run = kafkit(
        &brokers,
        &[
            "topics",
            "create",
            "fresh",
            "exists",
            "--partitions",
            "2",
            "--replication-factor",
            "3",
            "--topic-config",
            "cleanup.policy=compact",
        ],
    )
    .await;
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert_eq!(run.stdout.trim(), "created topic fresh (2 partitions, replication factor 3)");
    assert_eq!(run.stderr.lines().count(), 1, "{run:#?}");
    assert!(run.stderr.contains("exists") && run.stderr.contains("TOPIC_ALREADY_EXISTS"), "{run:#?}");
    let requests = cluster.requests_of(ApiKey::CreateTopics);
    assert_eq!(requests.len(), 2, "NOT_CONTROLLER retried once");
    let kafkit_client::protocol::messages::RequestBody::CreateTopics(req) = &requests[1].body else { unreachable!() };
    assert_eq!(req.topics[0].configs[0].name, "cleanup.policy");

    let md = kafkit(&brokers, &["metadata", "--json"]).await.ok().json();
    let controller = md["controller_id"].clone();
    let marked: Vec<&Value> =
        md["brokers"].as_array().unwrap().iter().filter(|b| b["controller"] == true).map(|b| &b["id"]).collect();
    assert_eq!(marked, [&controller]);
    assert_eq!(md["brokers"].as_array().unwrap().len(), 3);
    let fresh = find_topic(&md, "fresh").unwrap();
    assert!(fresh["partitions"].as_array().unwrap().iter().all(|p| p["replicas"].as_array().unwrap().len() == 3));
    let text = kafkit(&brokers, &["metadata"]).await;
    assert_eq!(text.ok().stdout.matches("(controller)").count(), 1, "{text:#?}");

    let deleted = kafkit(&brokers, &["topics", "delete", "fresh", "nope"]).await;
    assert_eq!(deleted.code, Some(1));
    assert_eq!(deleted.stdout.trim(), "deleted topic fresh");
    assert!(deleted.failed_with_one_line().contains("UNKNOWN_TOPIC_OR_PARTITION"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_that_never_answers_is_an_error_within_the_timeout() {
    let cluster = mock(1).await;
    cluster.inject(Fault::delay(ApiKey::Metadata, Duration::from_secs(120)).times(100));
    let run = kafkit(&cluster.bootstrap(), &["metadata", "--timeout", "1s"]).await;
    let line = run.failed_with_one_line();
    assert!(run.took < Duration::from_secs(10), "{run:#?}");
    assert!(line.contains("1s"), "{line}");
}

// ------------------------------------------------------------------ without a broker

/// An address nothing listens on.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr.to_string()
}

#[test]
fn an_unreachable_broker_is_one_line_and_a_failure() {
    let brokers = closed_port();
    for args in [
        &["metadata"][..],
        &["topics", "list"],
        &["topics", "create", "t", "-p", "1"],
        &["topics", "delete", "t"],
        &["groups", "list"],
        &["groups", "describe", "g"],
        &["groups", "offsets", "g", "--json"],
    ] {
        let run = kafkit_blocking(&brokers, args);
        let line = run.failed_with_one_line();
        assert!(line.contains(&brokers), "{args:?}: {line}");
        assert!(run.stdout.is_empty(), "{run:#?}");
        assert!(run.took < Duration::from_secs(15), "{args:?} took {:?}", run.took);
    }
    // --brokers wins over KAFKA_BROKERS.
    let run = kafkit_blocking("127.0.0.1:9", &["--brokers", &brokers, "metadata"]);
    assert!(run.failed_with_one_line().contains(&brokers));
}

#[test]
fn every_command_has_help() {
    for args in [
        &["--help"][..],
        &["metadata", "--help"],
        &["topics", "--help"],
        &["topics", "list", "--help"],
        &["topics", "create", "--help"],
        &["topics", "delete", "--help"],
        &["groups", "--help"],
        &["groups", "list", "--help"],
        &["groups", "describe", "--help"],
        &["groups", "offsets", "--help"],
        &["groups", "delete", "--help"],
    ] {
        let run = kafkit_blocking("127.0.0.1:9", args);
        assert!(run.ok().stdout.contains("Usage:"), "{args:?}: {run:#?}");
    }
    let md = kafkit_blocking("127.0.0.1:9", &["metadata", "--help"]);
    assert!(md.stdout.contains("\"controller_id\""), "the JSON shape is documented: {md:#?}");
    let create = kafkit_blocking("127.0.0.1:9", &["topics", "create", "--help"]);
    assert!(create.stdout.contains("--topic-config") && create.stdout.contains("--replication-factor"));
}

#[test]
fn bad_arguments_are_refused_without_contacting_a_broker() {
    let run = kafkit_blocking("127.0.0.1:9", &["topics", "create", "t", "--partitions", "0"]);
    assert_eq!(run.code, Some(2), "{run:#?}");
    let run = kafkit_blocking("127.0.0.1:9", &["topics", "create", "t", "--topic-config", "nonsense"]);
    assert!(run.stderr.contains("KEY=VALUE"), "{run:#?}");
    let run = kafkit_blocking("127.0.0.1:9", &["metadata", "--timeout", "soon"]);
    assert!(run.stderr.contains("soon"), "{run:#?}");
}
