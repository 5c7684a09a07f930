//! What the end-to-end benchmarks (`producer_throughput`, `consumer_throughput`) share: the
//! command line, CPU time from `/proc`, the measurement window, medians and the report lines,
//! the in-process mock cluster of a run without a broker, and topic creation.
#![allow(dead_code)] // each benchmark uses its own part

use std::time::{Duration, Instant};

use kafkit::client::protocol::messages::create_topics_request::CreatableTopic;
use kafkit::client::protocol::messages::CreateTopicsRequest;
use kafkit::client::protocol::{ApiKey, ErrorCode};
use kafkit::client::{Client, ClientConfig};

// ---------------------------------------------------------------- the command line

/// The command line after the program's name, option by option.
pub struct Args(std::iter::Skip<std::env::Args>);

impl Args {
    pub fn new() -> Self {
        Args(std::env::args().skip(1))
    }

    /// The value of option `name` (the next argument).
    pub fn value(&mut self, name: &str) -> Result<String, String> {
        self.0.next().ok_or_else(|| format!("{name} needs a value"))
    }

    /// The value of option `name` as a number (`_` allowed between digits: `1_000_000`).
    pub fn num<T: std::str::FromStr>(&mut self, name: &str) -> Result<T, String> {
        let v = self.value(name)?;
        v.trim().replace('_', "").parse().map_err(|_| format!("{name}: not a number: `{v}`"))
    }
}

impl Iterator for Args {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        self.0.next()
    }
}

/// The usage lines of the options every benchmark takes ([`Base`]).
pub const BASE_USAGE: &str = "\
  --brokers HOST:PORT[,..]  the cluster (default: $KAFKA_BROKERS, else an in-process mock cluster
                            with a small run: --records 20000 --runs 1 unless given)
  --records N               records per run (default 1000000)
  --size BYTES              value size (default 100)
  --partitions N            partitions of the topic it creates (default 3)
  --runs N                  (default 3)
  --topic NAME              (default: a new name per invocation)
  --threads N               tokio worker threads (default 2)
  --label TEXT              a label for the RESULT line (default: the broker kind)";

/// The options every benchmark takes.
#[derive(Debug, Clone)]
pub struct Base {
    pub brokers: Option<String>,
    pub records: Option<u64>,
    pub size: usize,
    pub partitions: i32,
    pub runs: Option<usize>,
    pub topic: Option<String>,
    pub threads: usize,
    pub label: Option<String>,
}

impl Default for Base {
    fn default() -> Self {
        Base {
            brokers: None,
            records: None,
            size: 100,
            partitions: 3,
            runs: None,
            topic: None,
            threads: 2,
            label: None,
        }
    }
}

impl Base {
    /// Takes option `arg` (and its value) if it is one of these; `Ok(false)` if not.
    fn take(&mut self, arg: &str, args: &mut Args) -> Result<bool, String> {
        match arg {
            "--brokers" => self.brokers = Some(args.value(arg)?),
            "--records" => self.records = Some(args.num(arg)?),
            "--size" => self.size = args.num(arg)?,
            "--partitions" => self.partitions = args.num(arg)?,
            "--runs" => self.runs = Some(args.num(arg)?),
            "--topic" => self.topic = Some(args.value(arg)?),
            "--threads" => self.threads = args.num(arg)?,
            "--label" => self.label = Some(args.value(arg)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Records per run: `--records`, else 20,000 against the mock and 1,000,000 otherwise.
    pub fn records(&self, cluster: &Cluster) -> u64 {
        self.records.unwrap_or(if cluster.is_mock() { 20_000 } else { 1_000_000 })
    }

    /// Runs: `--runs`, else 1 against the mock and 3 otherwise.
    pub fn runs(&self, cluster: &Cluster) -> usize {
        self.runs.unwrap_or(if cluster.is_mock() { 1 } else { 3 })
    }

    /// `--topic`, else a new name.
    pub fn topic(&self) -> String {
        self.topic.clone().unwrap_or_else(|| unique_name("kafkit-bench"))
    }

    /// `--label`, else the broker kind.
    pub fn label(&self, cluster: &Cluster) -> String {
        self.label.clone().unwrap_or_else(|| cluster.kind.to_string())
    }
}

/// Parses the command line: each argument goes to `own` (a benchmark's own options: it returns
/// whether it took the argument), else to `base`. `--bench` (which `cargo bench` passes to
/// every bench target) and a benchmark name filter (`cargo bench NAME`; each benchmark has
/// one) are ignored; `-h`/`--help` prints `usage` and [`BASE_USAGE`] and exits. Then
/// `--brokers` defaults to `$KAFKA_BROKERS` (when set and not blank).
pub fn parse_args(
    usage: &str,
    base: &mut Base,
    mut own: impl FnMut(&str, &mut Args) -> Result<bool, String>,
) -> Result<(), String> {
    let mut args = Args::new();
    while let Some(arg) = args.next() {
        if own(&arg, &mut args)? || base.take(&arg, &mut args)? {
            continue;
        }
        match arg.as_str() {
            "--bench" => {}
            "-h" | "--help" => {
                println!("{usage}\n{BASE_USAGE}");
                std::process::exit(0);
            }
            a if !a.starts_with('-') => {}
            a => return Err(format!("unknown option `{a}`")),
        }
    }
    if base.brokers.is_none() {
        base.brokers = std::env::var("KAFKA_BROKERS").ok().filter(|b| !b.trim().is_empty());
    }
    if base.threads == 0 || base.runs == Some(0) || base.records == Some(0) {
        return Err("--threads, --runs and --records must be at least 1".into());
    }
    Ok(())
}

/// A topic name unique to this invocation.
pub fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// Runs `bench` on a multi-threaded tokio runtime of `threads` workers; its error (or a bad
/// command line, `parsed`) is printed under the benchmark's `name` and fails the process.
pub fn run_main<O, F>(
    name: &str,
    usage: &str,
    parsed: Result<O, String>,
    threads: impl FnOnce(&O) -> usize,
    bench: impl FnOnce(O) -> F,
) -> std::process::ExitCode
where
    F: std::future::Future<Output = Result<(), String>>,
{
    let o = match parsed {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{name}: {e}\n{usage}\n{BASE_USAGE}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads(&o))
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(bench(o)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------- CPU time

/// User + system CPU time of the whole process (every thread, living or gone), from
/// `/proc/self/stat` (utime and stime, fields 14 and 15, in clock ticks of 1/100 s).
fn process_cpu() -> Duration {
    const TICKS_PER_SECOND: u64 = 100; // USER_HZ on Linux
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return Duration::ZERO };
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    // fields[0] is field 3 (state): utime (14) is fields[11], stime (15) fields[12].
    Duration::from_millis((tick(11) + tick(12)) * 1000 / TICKS_PER_SECOND)
}

/// The sum of the living threads' on-CPU time, in ns (`/proc/self/task/*/schedstat`, first
/// field): precise, but threads that ended are not counted.
fn threads_cpu() -> Duration {
    let mut ns = 0u64;
    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
        for task in dir.flatten() {
            if let Ok(s) = std::fs::read_to_string(task.path().join("schedstat")) {
                ns += s.split_whitespace().next().and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
            }
        }
    }
    Duration::from_nanos(ns)
}

/// The process's CPU time so far, two ways.
#[derive(Debug, Clone, Copy)]
pub struct Cpu {
    /// `/proc/self/stat`: every thread, 10 ms ticks.
    pub process: Duration,
    /// `/proc/self/task/*/schedstat`: living threads, ns.
    pub threads: Duration,
}

pub fn cpu_now() -> Cpu {
    Cpu { process: process_cpu(), threads: threads_cpu() }
}

// ---------------------------------------------------------------- one run's figures

/// One run's figures.
#[derive(Debug, Clone, Copy)]
pub struct RunResult {
    pub seconds: f64,
    pub records_per_s: f64,
    pub mb_per_s: f64,
    pub cpu_us_per_record: f64,
    pub threads_cpu_us_per_record: f64,
}

impl RunResult {
    /// `records` records with `bytes` bytes of values in the window from `(t0, cpu0)` to
    /// `(t1, cpu1)`.
    pub fn new(records: u64, bytes: u64, (t0, cpu0): (Instant, Cpu), (t1, cpu1): (Instant, Cpu)) -> Self {
        let seconds = t1.duration_since(t0).as_secs_f64().max(1e-9);
        let n = records.max(1) as f64;
        RunResult {
            seconds,
            records_per_s: records as f64 / seconds,
            mb_per_s: bytes as f64 / seconds / 1e6,
            cpu_us_per_record: cpu1.process.saturating_sub(cpu0.process).as_secs_f64() * 1e6 / n,
            threads_cpu_us_per_record: cpu1.threads.saturating_sub(cpu0.threads).as_secs_f64() * 1e6 / n,
        }
    }

    /// The line of a run: `  {records} records in {seconds} s ({note}): ...`.
    pub fn print(&self, records: u64, note: &str) {
        let cpu_s = self.cpu_us_per_record * records as f64 / 1e6;
        println!(
            "  {records} records in {:.3} s ({note}): {:.3} M records/s, {:.1} MB/s, CPU {:.3} us/record \
             ({cpu_s:.2} s; threads {:.3} us/record)",
            self.seconds,
            self.records_per_s / 1e6,
            self.mb_per_s,
            self.cpu_us_per_record,
            self.threads_cpu_us_per_record,
        );
    }
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Prints the medians of `results` and the `RESULT` line for the scripts:
/// `RESULT client=kafkit label=.. size=.. records=.. runs=.. {extra} records_per_s=.. ...`.
pub fn report(results: &[RunResult], label: &str, size: usize, records: u64, extra: &str) {
    let runs = results.len();
    let m = |f: fn(&RunResult) -> f64| median(results.iter().map(f).collect());
    let (rps, mbps, cpu, tcpu, secs) = (
        m(|r| r.records_per_s),
        m(|r| r.mb_per_s),
        m(|r| r.cpu_us_per_record),
        m(|r| r.threads_cpu_us_per_record),
        m(|r| r.seconds),
    );
    println!(
        "median of {runs}: {:.3} M records/s, {mbps:.1} MB/s, CPU {cpu:.3} us/record (threads {tcpu:.3} us/record)",
        rps / 1e6
    );
    let extra = if extra.is_empty() { String::new() } else { format!(" {extra}") };
    println!(
        "RESULT client=kafkit label={label} size={size} records={records} runs={runs}{extra} records_per_s={rps:.0} \
         mb_per_s={mbps:.1} cpu_us_per_record={cpu:.3} threads_cpu_us_per_record={tcpu:.3} seconds={secs:.3}"
    );
}

// ---------------------------------------------------------------- the cluster

/// The cluster a benchmark runs against: `brokers`, or without them an in-process mock
/// cluster (a small run, so that a plain `cargo bench` finishes quickly).
pub struct Cluster {
    pub brokers: String,
    /// `"broker"` or `"mock"`.
    pub kind: &'static str,
    mock: Option<kafkit_mock::MockCluster>,
}

impl Cluster {
    pub async fn new(brokers: Option<&str>) -> Result<Self, String> {
        Ok(match brokers {
            Some(b) => Cluster { brokers: b.to_string(), kind: "broker", mock: None },
            None => {
                let cluster = kafkit_mock::MockCluster::start(1).await.map_err(|e| format!("mock cluster: {e}"))?;
                Cluster { brokers: cluster.bootstrap(), kind: "mock", mock: Some(cluster) }
            }
        })
    }

    pub fn is_mock(&self) -> bool {
        self.mock.is_some()
    }

    pub fn shutdown(self) {
        if let Some(cluster) = self.mock {
            cluster.shutdown();
        }
    }
}

/// Creates the topic with CreateTopics if the broker offers it (the sink does not: it takes
/// any topic), then waits until its metadata lists every partition with a leader. Returns
/// whether the broker has CreateTopics (a real broker, not the sink).
pub async fn create_topic(brokers: &str, topic: &str, partitions: i32) -> Result<bool, String> {
    let client = Client::connect(ClientConfig::new([brokers])).await.map_err(|e| format!("connecting: {e}"))?;
    let md = client.metadata();
    let broker = md.controller.or_else(|| md.brokers().next().map(|b| b.id)).ok_or("no broker in the metadata")?;
    let conn = client.connection(broker).await.map_err(|e| format!("connecting to broker {broker}: {e}"))?;
    let real = conn.api_versions().broker_range(ApiKey::CreateTopics).is_some();
    if real {
        let request = CreateTopicsRequest {
            topics: vec![CreatableTopic {
                name: topic.to_string(),
                num_partitions: partitions,
                replication_factor: 1,
                ..Default::default()
            }],
            timeout_ms: 30_000,
            ..Default::default()
        };
        let resp = conn.send(&request).await.map_err(|e| format!("CreateTopics: {e}"))?;
        for t in &resp.topics {
            let code = ErrorCode::from_i16(t.error_code);
            if !code.is_ok() && code != ErrorCode::TOPIC_ALREADY_EXISTS {
                return Err(format!("CreateTopics `{topic}`: {code:?} {:?}", t.error_message));
            }
        }
    } else {
        eprintln!("(the broker has no CreateTopics: assuming it takes topic `{topic}` as it is)");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    // Every later refresh covers the topic.
    client.metadata_for(&[topic]).await.map_err(|e| format!("metadata: {e}"))?;
    loop {
        let md = client.refresh_metadata().await.map_err(|e| format!("metadata: {e}"))?;
        let ready = md.topic(topic).is_some_and(|t| {
            t.error.is_ok() && !t.partitions.is_empty() && t.partitions.iter().all(|p| p.leader.is_some())
        });
        if ready {
            let n = md.topic(topic).map_or(0, |t| t.partitions.len());
            if n as i32 != partitions {
                eprintln!("(topic `{topic}` has {n} partitions, not {partitions})");
            }
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("topic `{topic}` has no leaders after 30 s"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client.shutdown().await;
    Ok(real)
}
