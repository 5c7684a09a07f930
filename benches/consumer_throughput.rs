//! End-to-end consumer throughput: the full [`Consumer`] (group membership with the default
//! assignors, auto-commit, the background fetcher, lazy decoding) against a broker, as
//! `shared/reference/performance.md` measures the other clients.
//!
//! ```sh
//! # Against the sink of shared/tools/sink (it answers every fetch with prebuilt batches, so
//! # nothing is produced first; the values' size is its --fetch-size):
//! cargo bench --bench consumer_throughput -- --brokers 127.0.0.1:29192 --records 5000000
//! # Against a real broker (Tansu, Kafka): a fresh topic is first filled with --records records
//! # of --size bytes by kafkit's producer, outside the window:
//! cargo bench --bench consumer_throughput -- --brokers 127.0.0.1:9092 --records 1000000 --size 100
//! # Without a broker (no --brokers, no KAFKA_BROKERS): a small run against an in-process mock
//! # cluster, so that a plain `cargo bench` finishes quickly. Its numbers mean little.
//! cargo bench --bench consumer_throughput
//! ```
//!
//! Each run is a fresh consumer in a fresh group (`group.id` unique to the run, `subscribe`,
//! `enable.auto.commit` on, `auto.offset.reset=earliest`, the default assignors), or with
//! `--no-group` a consumer without a group that `assign`s every partition of the topic. The
//! window runs from the first record returned to the application to the N-th: the records of
//! the first `poll` (or the first record of the stream) start the clock and are not counted;
//! every later record is, until N in all have come. Each record is counted and its value's
//! length added up, so nothing is optimised away. With `--api poll` records come from a
//! `poll` loop over [`ConsumerRecords`](kafkit::client::consumer::ConsumerRecords) (at most
//! `max.poll.records` each), with `--api stream` one by one from
//! [`Consumer::stream`]. Joining the group, the first fetches and closing the consumer (which
//! commits) are outside the window.
//!
//! Reported per run and as the median of the runs: records/s, MB/s of values (10^6 bytes) and
//! the process's CPU time (user + sys, from `/proc/self/stat`, in 10 ms ticks; and the sum of
//! the threads' on-CPU time from `/proc/self/task/*/schedstat`, in ns) over the window divided
//! by the records counted. A line `RESULT key=value ...` is meant for scripts
//! (`scripts/bench_consumer.sh`).

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafkit::client::consumer::{Consumer, ConsumerConfig, ConsumerRecord, OffsetReset, StreamExt, TopicPartition};
use kafkit::client::producer::{Acks, Producer, ProducerConfig, ProducerRecord};

mod common;
use common::{cpu_now, create_topic, Base, Cluster, Cpu, RunResult};

const USAGE: &str = "\
usage: consumer_throughput [options]
  --api poll|stream         a poll loop over ConsumerRecords (default), or the record stream
  --no-group                no group: assign every partition (no commits) instead of subscribing
                            in a fresh group with auto-commit
  --fill auto|yes|no        produce --records records of --size bytes into the topic first,
                            outside the window: auto (default) = when the topic is new and the
                            broker has CreateTopics (a real broker; the sink has not, and serves
                            records of its own --fetch-size for any offset)
  --max-poll-records N      (default: the consumer's, 500)
  --fetch-max-bytes BYTES   (default: the consumer's, 50 MiB)
  --max-partition-fetch-bytes BYTES  (default: the consumer's, 1 MiB)
  --fetch-max-wait-ms MS    fetch.max.wait.ms (default: the consumer's, 500)
  --session-timeout-ms MS   session.timeout.ms (default: the consumer's, 45 s; a new group on Tansu
                            waits half of it before the first assignment)
  --stall-secs S            fail when no record comes for this long (default 60)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    Poll,
    Stream,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fill {
    Auto,
    Yes,
    No,
}

#[derive(Debug, Clone)]
struct Options {
    base: Base,
    api: Api,
    group: bool,
    fill: Fill,
    max_poll_records: Option<usize>,
    fetch_max_bytes: Option<i32>,
    max_partition_fetch_bytes: Option<i32>,
    fetch_max_wait: Option<Duration>,
    session_timeout: Option<Duration>,
    stall: Duration,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        base: Base::default(),
        api: Api::Poll,
        group: true,
        fill: Fill::Auto,
        max_poll_records: None,
        fetch_max_bytes: None,
        max_partition_fetch_bytes: None,
        fetch_max_wait: None,
        session_timeout: None,
        stall: Duration::from_secs(60),
    };
    common::parse_args(USAGE, &mut o.base, |arg, args| {
        match arg {
            "--api" => {
                o.api = match args.value(arg)?.as_str() {
                    "poll" => Api::Poll,
                    "stream" => Api::Stream,
                    v => return Err(format!("--api: expected poll or stream, got `{v}`")),
                }
            }
            "--no-group" => o.group = false,
            "--fill" => {
                o.fill = match args.value(arg)?.as_str() {
                    "auto" => Fill::Auto,
                    "yes" => Fill::Yes,
                    "no" => Fill::No,
                    v => return Err(format!("--fill: expected auto, yes or no, got `{v}`")),
                }
            }
            "--max-poll-records" => o.max_poll_records = Some(args.num(arg)?),
            "--fetch-max-bytes" => o.fetch_max_bytes = Some(args.num(arg)?),
            "--max-partition-fetch-bytes" => o.max_partition_fetch_bytes = Some(args.num(arg)?),
            "--fetch-max-wait-ms" => o.fetch_max_wait = Some(Duration::from_millis(args.num(arg)?)),
            "--session-timeout-ms" => o.session_timeout = Some(Duration::from_millis(args.num(arg)?)),
            "--stall-secs" => o.stall = Duration::from_secs(args.num(arg)?),
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    if o.base.records == Some(1) || o.max_poll_records == Some(0) {
        return Err("--records must be at least 2 (the first call's records are not counted), \
                    --max-poll-records at least 1"
            .into());
    }
    Ok(o)
}

// ---------------------------------------------------------------- the watchdog

/// Records returned so far (all runs; updated now and then), and whether a run is consuming.
static PROGRESS: AtomicU64 = AtomicU64::new(0);
static CONSUMING: AtomicBool = AtomicBool::new(false);

/// A thread that ends the process when a run gets no record for `stall` (a broker that has
/// fewer records than asked for, a group that never forms): the loops themselves have no
/// timeout, which would cost a timer per record in the stream.
fn start_watchdog(stall: Duration) {
    std::thread::spawn(move || {
        let (mut last, mut since) = (u64::MAX, Instant::now());
        loop {
            std::thread::sleep(Duration::from_millis(250));
            let now = PROGRESS.load(Ordering::Relaxed);
            if !CONSUMING.load(Ordering::Relaxed) || now != last {
                (last, since) = (now, Instant::now());
            } else if since.elapsed() > stall {
                eprintln!(
                    "consumer_throughput: no record for {} s (see --stall-secs): does the topic have as many \
                     records as --records? Is the group coordinator answering?",
                    stall.as_secs()
                );
                std::process::exit(1);
            }
        }
    });
}

// ---------------------------------------------------------------- the benchmark

/// Produces `records` records of `size` bytes into `topic` with kafkit's producer, outside
/// any window.
async fn fill(brokers: &str, topic: &str, records: u64, size: usize) -> Result<(), String> {
    let config = ProducerConfig::new([brokers])
        .client_id("kafkit-bench-fill")
        .acks(Acks::Leader)
        .linger(Duration::from_millis(5))
        .batch_size(1 << 20)
        .max_request_size((1 << 20) + (64 << 10));
    let producer = Producer::new(config).await.map_err(|e| format!("starting the producer: {e}"))?;
    let value = Bytes::from(vec![b'x'; size]);
    let t0 = Instant::now();
    let mut futures = Vec::with_capacity(records as usize);
    for _ in 0..records {
        futures.push(producer.send(ProducerRecord::new(topic).value(value.clone())).await);
    }
    producer.flush().await;
    let (mut failed, mut first_error) = (0u64, None);
    for f in futures {
        if let Err(e) = f.await {
            failed += 1;
            first_error.get_or_insert(e);
        }
    }
    producer.close(Some(Duration::from_secs(30))).await.map_err(|e| format!("closing the producer: {e}"))?;
    if let Some(e) = first_error {
        return Err(format!("filling `{topic}`: {failed} of {records} records failed; the first: {e}"));
    }
    println!("  (filled `{topic}` with {records} records of {size} B in {:.3} s)", t0.elapsed().as_secs_f64());
    Ok(())
}

fn consumer_config(o: &Options, brokers: &str) -> ConsumerConfig {
    let mut c = ConsumerConfig::new([brokers]).client_id("kafkit-bench").auto_offset_reset(OffsetReset::Earliest);
    if o.group {
        c = c.group_id(common::unique_name("kafkit-bench-group")).enable_auto_commit(true);
    }
    if let Some(n) = o.max_poll_records {
        c = c.max_poll_records(n);
    }
    if let Some(n) = o.fetch_max_bytes {
        c = c.fetch_max_bytes(n);
    }
    if let Some(n) = o.max_partition_fetch_bytes {
        c = c.max_partition_fetch_bytes(n);
    }
    if let Some(t) = o.fetch_max_wait {
        c = c.fetch_max_wait(t);
    }
    if let Some(t) = o.session_timeout {
        c = c.session_timeout(t);
    }
    c
}

/// What a run's loop saw: records and value bytes, in all and before the window.
#[derive(Debug, Default)]
struct Tally {
    records: u64,
    bytes: u64,
    /// When the first record came, with the records and bytes of that first call.
    start: Option<(Instant, Cpu, u64, u64)>,
}

impl Tally {
    #[inline]
    fn record(&mut self, r: &ConsumerRecord) {
        self.records += 1;
        self.bytes += r.value.as_ref().map_or(0, Bytes::len) as u64;
    }

    /// Starts the window (once), after the first call's records were counted.
    fn start_window(&mut self, at: Instant) {
        if self.start.is_none() {
            self.start = Some((at, cpu_now(), self.records, self.bytes));
        }
    }
}

/// A `poll` loop until `n` records came.
async fn consume_poll(consumer: &mut Consumer, n: u64) -> Result<Tally, String> {
    let mut t = Tally::default();
    while t.records < n {
        let records = consumer.poll(Duration::from_millis(100)).await.map_err(|e| format!("poll: {e}"))?;
        if records.is_empty() {
            continue;
        }
        let at = Instant::now();
        for r in records.records_iter() {
            t.record(r);
        }
        t.start_window(at);
        PROGRESS.store(t.records, Ordering::Relaxed);
    }
    Ok(t)
}

/// The record stream until `n` records came.
async fn consume_stream(consumer: &mut Consumer, n: u64) -> Result<Tally, String> {
    let mut t = Tally::default();
    let mut stream = consumer.stream();
    while t.records < n {
        match stream.next().await {
            Some(Ok(r)) => t.record(&r),
            Some(Err(e)) => return Err(format!("the record stream: {e}")),
            None => return Err(format!("the record stream ended after {} records", t.records)),
        }
        if t.start.is_none() {
            t.start_window(Instant::now());
        }
        if t.records & 0xFFF == 0 {
            PROGRESS.store(t.records, Ordering::Relaxed);
        }
    }
    Ok(t)
}

/// One run: returns its figures and the mean value size seen.
async fn run_once(o: &Options, brokers: &str, topic: &str, n: u64) -> Result<(RunResult, f64), String> {
    let began = Instant::now();
    let mut consumer =
        Consumer::new(consumer_config(o, brokers)).await.map_err(|e| format!("starting the consumer: {e}"))?;
    if o.group {
        consumer.subscribe([topic]).map_err(|e| format!("subscribe: {e}"))?;
    } else {
        let partitions = consumer.partitions_for(topic).await.map_err(|e| format!("partitions of `{topic}`: {e}"))?;
        consumer
            .assign(partitions.iter().map(|p| TopicPartition::new(topic, p.partition)))
            .map_err(|e| format!("assign: {e}"))?;
    }
    CONSUMING.store(true, Ordering::Relaxed);
    let tally = match o.api {
        Api::Poll => consume_poll(&mut consumer, n).await,
        Api::Stream => consume_stream(&mut consumer, n).await,
    };
    let end = (Instant::now(), cpu_now());
    CONSUMING.store(false, Ordering::Relaxed);
    let t = tally?;
    consumer.close().await.map_err(|e| format!("closing the consumer: {e}"))?;

    let Some((t0, cpu0, before, bytes_before)) = t.start else {
        return Err("no record came".into());
    };
    let (records, bytes) = (t.records - before, t.bytes - bytes_before);
    if records == 0 {
        return Err(format!("all {} records came in the first call: ask for more --records", t.records));
    }
    let result = RunResult::new(records, bytes, (t0, cpu0), end);
    result.print(
        records,
        &format!(
            "the first {before} of {} outside the window, which began {:.3} s after the consumer was created",
            t.records,
            t0.duration_since(began).as_secs_f64()
        ),
    );
    Ok((result, t.bytes as f64 / t.records as f64))
}

async fn bench(o: Options) -> Result<(), String> {
    // No broker: a small run against an in-process mock cluster (keeps `cargo bench` quick).
    let cluster = Cluster::new(o.base.brokers.as_deref()).await?;
    let (brokers, kind) = (cluster.brokers.clone(), cluster.kind);
    let (records, runs, topic, label) =
        (o.base.records(&cluster), o.base.runs(&cluster), o.base.topic(), o.base.label(&cluster));
    let defaults = ConsumerConfig::new([brokers.as_str()]);
    println!(
        "kafkit consumer <- {brokers} ({kind}), topic {topic}: {runs} run(s) of {records} records, {} partitions, \
         api={}, {}, max.poll.records={}, fetch.max.bytes={}, max.partition.fetch.bytes={}, {} worker thread(s)",
        o.base.partitions,
        if o.api == Api::Poll { "poll" } else { "stream" },
        if o.group { "a fresh group per run (subscribe, auto-commit)" } else { "no group (assign)" },
        o.max_poll_records.unwrap_or(defaults.max_poll_records),
        o.fetch_max_bytes.unwrap_or(defaults.fetch_max_bytes),
        o.max_partition_fetch_bytes.unwrap_or(defaults.max_partition_fetch_bytes),
        o.base.threads,
    );
    if cluster.is_mock() {
        println!("  (no --brokers or KAFKA_BROKERS: an in-process mock cluster; its numbers are not meaningful)");
    }
    let real = create_topic(&brokers, &topic, o.base.partitions).await?;
    let filled = match o.fill {
        Fill::Auto => real && o.base.topic.is_none(),
        Fill::Yes => true,
        Fill::No => false,
    };
    if filled {
        fill(&brokers, &topic, records, o.base.size).await?;
    } else if !real {
        println!("  (a broker without CreateTopics, such as the sink: consuming what it serves, nothing produced)");
    }

    start_watchdog(o.stall);
    let mut results = Vec::new();
    let mut value_size = 0.0;
    for run in 1..=runs {
        println!("run {run}/{runs}:");
        let (result, mean) = run_once(&o, &brokers, &topic, records).await?;
        if filled && mean != o.base.size as f64 {
            return Err(format!("values of {mean:.1} B on average, but the topic was filled with {} B", o.base.size));
        }
        results.push(result);
        value_size = mean;
    }
    let extra = format!("api={} group={}", if o.api == Api::Poll { "poll" } else { "stream" }, o.group);
    common::report(&results, &label, value_size.round() as usize, records, &extra);
    cluster.shutdown();
    Ok(())
}

fn main() -> ExitCode {
    common::run_main("consumer_throughput", USAGE, parse_args(), |o| o.base.threads, bench)
}
