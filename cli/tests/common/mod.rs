//! What the CLI's end-to-end tests share: the broker's address, fresh names, topic creation
//! (a raw CreateTopics, as in client/tests/common), and running the built `kafkit` binary.
#![allow(dead_code)] // each test file uses some of it

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use kafkit_client::protocol::messages::create_topics_request::CreatableTopic;
use kafkit_client::protocol::messages::CreateTopicsRequest;
use kafkit_client::{Connection, ConnectionConfig};

/// The broker's `host:port` list from `KAFKIT_TEST_BROKERS`; `None` (after saying so) to skip
/// the test, except under `CI`, where a missing broker is a failure.
pub fn brokers() -> Option<String> {
    match std::env::var("KAFKIT_TEST_BROKERS") {
        Ok(b) if !b.trim().is_empty() => Some(b),
        _ => {
            assert!(std::env::var_os("CI").is_none(), "CI is set but KAFKIT_TEST_BROKERS is not: start a broker");
            eprintln!("skipped: set KAFKIT_TEST_BROKERS=host:port (e.g. from scripts/tansu.sh start) to run");
            None
        }
    }
}

/// A name no earlier run used.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// Creates a fresh topic with `partitions` partitions and returns its name.
pub async fn create_topic(brokers: &str, prefix: &str, partitions: i32) -> String {
    let topic = unique(prefix);
    let addr = brokers.split(',').next().unwrap().trim();
    let conn = Connection::connect(addr, &ConnectionConfig::default()).await.unwrap();
    let created = conn
        .send(&CreateTopicsRequest {
            topics: vec![CreatableTopic {
                name: topic.clone(),
                num_partitions: partitions,
                replication_factor: 1,
                ..Default::default()
            }],
            timeout_ms: 10_000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(created.topics[0].error_code, 0, "creating {topic}: {created:?}");
    conn.close();
    topic
}

/// What a run of `kafkit` gave.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub took: Duration,
}

impl Run {
    /// Standard output as text.
    pub fn out(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8")
    }

    /// Standard output's lines.
    pub fn lines(&self) -> Vec<String> {
        self.out().lines().map(String::from).collect()
    }

    /// Panics, showing everything, unless the exit status is `code`.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "exit status {:?}\n--- stderr\n{}\n--- stdout\n{}",
            self.code,
            self.stderr,
            String::from_utf8_lossy(&self.stdout)
        );
        self
    }
}

/// The `kafkit` command with `KAFKA_BROKERS=brokers`, no inherited `-X`-like environment.
pub fn command(brokers: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kafkit"));
    cmd.args(args).env("KAFKA_BROKERS", brokers).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

/// Runs `kafkit args…` against `brokers` with `input` on standard input, on a blocking thread
/// (so that a mock cluster on this test's runtime keeps serving), and at most `limit`.
pub async fn kafkit(brokers: &str, args: &[&str], input: &[u8], limit: Duration) -> Run {
    let mut cmd = command(brokers, args);
    cmd.stdin(Stdio::piped());
    let input = input.to_vec();
    let shown = format!("kafkit {}", args.join(" "));
    tokio::task::spawn_blocking(move || {
        let start = Instant::now();
        let mut child = cmd.spawn().expect("the kafkit binary runs");
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let out = wait_with_limit(child, limit, &shown);
        writer.join().unwrap();
        Run {
            code: out.status.code(),
            stdout: out.stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            took: start.elapsed(),
        }
    })
    .await
    .unwrap()
}

/// Waits for `child`, killing it (and failing the test) after `limit`.
pub fn wait_with_limit(child: std::process::Child, limit: Duration, shown: &str) -> Output {
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.expect("waiting for kafkit"),
        Err(_) => {
            let _ = Command::new("kill").arg("-KILL").arg(id.to_string()).status();
            panic!("`{shown}` did not finish within {limit:?}");
        }
    }
}
