//! What the CLI's end-to-end tests share: the broker's address, fresh names and topic creation
//! (`client/tests/common`'s), and running the built `kafkit` binary.
#![allow(dead_code)] // each test file uses some of it

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

// The broker's address, fresh names and topic creation: the client's broker tests' helpers.
#[path = "../../../client/tests/common/mod.rs"]
mod client_common;
#[allow(unused_imports)] // each test file uses some of it
pub use client_common::{brokers, create_topic, unique};

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
