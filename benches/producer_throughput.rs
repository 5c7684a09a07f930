//! End-to-end producer throughput: the full [`Producer`] (accumulator, linger, sender task,
//! pipelined requests) against a broker, as `shared/reference/performance.md` measures the
//! other clients.
//!
//! ```sh
//! # Against a broker (the sink of shared/tools/sink, Tansu, Kafka):
//! cargo bench --bench producer_throughput -- --brokers 127.0.0.1:29192 --records 1000000 --size 100
//! # Without a broker (no --brokers, no KAFKA_BROKERS): a small run against an in-process mock
//! # cluster, so that a plain `cargo bench` finishes quickly. Its numbers mean little.
//! cargo bench --bench producer_throughput
//! ```
//!
//! Per run (a fresh producer each time, warmed up by one record so that the connection and the
//! topic's metadata are there before the clock starts), the window is from the first `send` to
//! the last acknowledgement: every record is sent as fast as `send` takes it, keeping its
//! [`DeliveryFuture`](kafkit::client::DeliveryFuture), then `flush`, whose return ends the
//! window; then every future must have succeeded. With `--wait callback` each record instead
//! gets a delivery callback that counts its outcome (capturing nothing, so registering it
//! allocates nothing), and the window ends in the last callback. Callbacks cost kafkit more
//! than holding the futures (each is pushed to its batch's list under the batch's lock).
//!
//! Reported per run and as the median of the runs: records/s, MB/s of values (10^6 bytes) and
//! the process's CPU time (user + sys, from `/proc/self/stat`, in 10 ms ticks; and the sum of
//! the threads' on-CPU time from `/proc/self/task/*/schedstat`, in ns) over the window divided
//! by the record count. Values are one fixed buffer shared by every record, so the benchmark
//! measures the producer and not the application's allocations.
//!
//! A line `RESULT key=value ...` per benchmark is meant for scripts (`scripts/bench_producer.sh`).

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafkit::client::producer::{Acks, Producer, ProducerConfig, ProducerRecord};
use kafkit::client::protocol::messages::create_topics_request::CreatableTopic;
use kafkit::client::protocol::messages::CreateTopicsRequest;
use kafkit::client::protocol::record::Compression;
use kafkit::client::protocol::{ApiKey, ErrorCode};
use kafkit::client::{Client, ClientConfig, DeliveryFuture};

const USAGE: &str = "\
usage: producer_throughput [options]
  --brokers HOST:PORT[,..]  the cluster (default: $KAFKA_BROKERS, else an in-process mock cluster
                            with a small run: --records 20000 --runs 1 unless given)
  --records N               records per run (default 1000000)
  --size BYTES              value size (default 100)
  --partitions N            partitions of the topic it creates (default 3)
  --acks 0|1|all            (default 1)
  --linger-ms MS            (default 5)
  --batch-size BYTES        (default 1048576)
  --buffer-memory BYTES     (default: the producer's, 32 MiB)
  --max-in-flight N         max.in.flight.requests.per.connection (default: the producer's, 5)
  --max-request-size BYTES  (default: the producer's, 1 MiB; batch size + 64 KiB if that is more)
  --compression CODEC       none|gzip|snappy|lz4|zstd (default none)
  --idempotence true|false  (default: the config's rule, off with acks=1)
  --key                     keyed records (1000 distinct keys, cycled) instead of keyless
  --runs N                  (default 3)
  --topic NAME              (default: a new name per invocation)
  --threads N               tokio worker threads (default 2)
  --wait futures|callback   how outcomes are collected: keep every delivery future and check
                            them after the flush (default), or count them in a callback per
                            record (the window then ends in the last callback)
  --label TEXT              a label for the RESULT line (default: the broker kind)";

#[derive(Debug, Clone)]
struct Options {
    brokers: Option<String>,
    records: Option<u64>,
    size: usize,
    partitions: i32,
    acks: Acks,
    linger_ms: u64,
    batch_size: usize,
    buffer_memory: Option<usize>,
    max_in_flight: Option<usize>,
    max_request_size: Option<usize>,
    compression: Compression,
    idempotence: Option<bool>,
    key: bool,
    runs: Option<usize>,
    topic: Option<String>,
    threads: usize,
    futures: bool,
    label: Option<String>,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        brokers: None,
        records: None,
        size: 100,
        partitions: 3,
        acks: Acks::Leader,
        linger_ms: 5,
        batch_size: 1 << 20,
        buffer_memory: None,
        max_in_flight: None,
        max_request_size: None,
        compression: Compression::None,
        idempotence: None,
        key: false,
        runs: None,
        topic: None,
        threads: 2,
        futures: true,
        label: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        fn num<T: std::str::FromStr>(name: &str, v: String) -> Result<T, String> {
            v.trim().replace('_', "").parse().map_err(|_| format!("{name}: not a number: `{v}`"))
        }
        match arg.as_str() {
            // What `cargo bench` passes to every bench target.
            "--bench" => {}
            "--brokers" => o.brokers = Some(value("--brokers")?),
            "--records" => o.records = Some(num("--records", value("--records")?)?),
            "--size" => o.size = num("--size", value("--size")?)?,
            "--partitions" => o.partitions = num("--partitions", value("--partitions")?)?,
            "--acks" => {
                o.acks = match value("--acks")?.as_str() {
                    "0" => Acks::None,
                    "1" => Acks::Leader,
                    "all" | "-1" => Acks::All,
                    v => return Err(format!("--acks: expected 0, 1 or all, got `{v}`")),
                }
            }
            "--linger-ms" => o.linger_ms = num("--linger-ms", value("--linger-ms")?)?,
            "--batch-size" => o.batch_size = num("--batch-size", value("--batch-size")?)?,
            "--buffer-memory" => o.buffer_memory = Some(num("--buffer-memory", value("--buffer-memory")?)?),
            "--max-in-flight" => o.max_in_flight = Some(num("--max-in-flight", value("--max-in-flight")?)?),
            "--max-request-size" => o.max_request_size = Some(num("--max-request-size", value("--max-request-size")?)?),
            "--compression" => {
                let v = value("--compression")?;
                o.compression = v.parse().map_err(|e| format!("--compression: {e}"))?;
            }
            "--idempotence" => {
                o.idempotence = match value("--idempotence")?.as_str() {
                    "true" => Some(true),
                    "false" => Some(false),
                    v => return Err(format!("--idempotence: expected true or false, got `{v}`")),
                }
            }
            "--key" => o.key = true,
            "--runs" => o.runs = Some(num("--runs", value("--runs")?)?),
            "--topic" => o.topic = Some(value("--topic")?),
            "--threads" => o.threads = num("--threads", value("--threads")?)?,
            "--wait" => {
                o.futures = match value("--wait")?.as_str() {
                    "callback" => false,
                    "futures" => true,
                    v => return Err(format!("--wait: expected callback or futures, got `{v}`")),
                }
            }
            "--label" => o.label = Some(value("--label")?),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            // A benchmark name filter from `cargo bench NAME`: there is one benchmark here.
            a if !a.starts_with('-') => {}
            a => return Err(format!("unknown option `{a}`")),
        }
    }
    if o.brokers.is_none() {
        o.brokers = std::env::var("KAFKA_BROKERS").ok().filter(|b| !b.trim().is_empty());
    }
    if o.threads == 0 || o.runs == Some(0) || o.records == Some(0) {
        return Err("--threads, --runs and --records must be at least 1".into());
    }
    Ok(o)
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

#[derive(Debug, Clone, Copy)]
struct Cpu {
    process: Duration,
    threads: Duration,
}

fn cpu_now() -> Cpu {
    Cpu { process: process_cpu(), threads: threads_cpu() }
}

// ---------------------------------------------------------------- outcomes

/// Outcomes of the current run, counted by callbacks that capture nothing (so registering one
/// allocates nothing).
static DELIVERED: AtomicU64 = AtomicU64::new(0);
static FAILED: AtomicU64 = AtomicU64::new(0);
static DONE: AtomicU64 = AtomicU64::new(0);
static EXPECTED: AtomicU64 = AtomicU64::new(u64::MAX);
/// When the last outcome came, and the CPU time then.
static LAST: Mutex<Option<(Instant, Cpu)>> = Mutex::new(None);
static FIRST_ERROR: Mutex<Option<String>> = Mutex::new(None);

fn reset_counters(expected: u64) {
    DELIVERED.store(0, Ordering::SeqCst);
    FAILED.store(0, Ordering::SeqCst);
    DONE.store(0, Ordering::SeqCst);
    EXPECTED.store(expected, Ordering::SeqCst);
    *LAST.lock().unwrap() = None;
    *FIRST_ERROR.lock().unwrap() = None;
}

fn count_outcome(result: kafkit::client::Result<kafkit::client::RecordMetadata>) {
    match result {
        Ok(_) => DELIVERED.fetch_add(1, Ordering::Relaxed),
        Err(e) => {
            FIRST_ERROR.lock().unwrap().get_or_insert_with(|| e.to_string());
            FAILED.fetch_add(1, Ordering::Relaxed)
        }
    };
    if DONE.fetch_add(1, Ordering::AcqRel) + 1 == EXPECTED.load(Ordering::Relaxed) {
        let now = Instant::now();
        *LAST.lock().unwrap() = Some((now, cpu_now()));
    }
}

// ---------------------------------------------------------------- the benchmark

struct RunResult {
    seconds: f64,
    records_per_s: f64,
    mb_per_s: f64,
    cpu_us_per_record: f64,
    threads_cpu_us_per_record: f64,
}

fn config(o: &Options, brokers: &str) -> ProducerConfig {
    let mut c = ProducerConfig::new([brokers])
        .client_id("kafkit-bench")
        .acks(o.acks)
        .linger(Duration::from_millis(o.linger_ms))
        .batch_size(o.batch_size)
        .compression(o.compression);
    if let Some(m) = o.buffer_memory {
        c = c.buffer_memory(m);
    }
    if let Some(n) = o.max_in_flight {
        c = c.max_in_flight_requests_per_connection(n);
    }
    if let Some(n) = o.max_request_size {
        c = c.max_request_size(n);
    } else if c.batch_size > c.max_request_size {
        // A full batch must fit in a request.
        let max = c.batch_size + 64 * 1024;
        c = c.max_request_size(max);
    }
    if let Some(i) = o.idempotence {
        c = c.enable_idempotence(i);
    }
    c
}

/// Creates the topic with CreateTopics if the broker offers it (the sink does not: it takes
/// any topic), then waits until its metadata lists every partition with a leader.
async fn create_topic(brokers: &str, topic: &str, partitions: i32) -> Result<(), String> {
    let client = Client::connect(ClientConfig::new([brokers])).await.map_err(|e| format!("connecting: {e}"))?;
    let md = client.metadata();
    let broker = md.controller.or_else(|| md.brokers().next().map(|b| b.id)).ok_or("no broker in the metadata")?;
    let conn = client.connection(broker).await.map_err(|e| format!("connecting to broker {broker}: {e}"))?;
    if conn.api_versions().broker_range(ApiKey::CreateTopics).is_some() {
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
    Ok(())
}

async fn run_once(
    o: &Options,
    brokers: &str,
    topic: &str,
    records: u64,
    value: &Bytes,
    keys: &[Bytes],
) -> Result<RunResult, String> {
    let producer = Producer::new(config(o, brokers)).await.map_err(|e| format!("starting the producer: {e}"))?;
    // Warm-up, outside the window: the connection to the leader and the topic's metadata.
    producer.partitions_for(topic).await.map_err(|e| format!("metadata of `{topic}`: {e}"))?;
    producer
        .send(ProducerRecord::new(topic).value(value.clone()))
        .await
        .await
        .map_err(|e| format!("warm-up record: {e}"))?;

    reset_counters(records);
    let mut futures: Vec<DeliveryFuture> = if o.futures { Vec::with_capacity(records as usize) } else { Vec::new() };
    let cpu0 = cpu_now();
    let t0 = Instant::now();
    for i in 0..records {
        let mut record = ProducerRecord::new(topic).value(value.clone());
        if !keys.is_empty() {
            record = record.key(keys[(i % keys.len() as u64) as usize].clone());
        }
        let f = producer.send(record).await;
        if o.futures {
            futures.push(f);
        } else {
            // Returns the future, which is dropped: the callback still runs.
            drop(f.on_delivery(count_outcome));
        }
    }
    let sent = t0.elapsed();
    producer.flush().await;
    let (end, cpu1) = if o.futures {
        (Instant::now(), cpu_now())
    } else {
        // The last callback notes the time. flush() can return while the callbacks of the last
        // batches are still running (Accumulator::complete marks the batches complete before it
        // runs their callbacks), so wait for them.
        let at_flush = DONE.load(Ordering::SeqCst);
        if at_flush < records {
            println!("  (flush returned with {at_flush} of {records} outcomes: waiting for the rest)");
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(last) = *LAST.lock().unwrap() {
                break last;
            }
            if Instant::now() > deadline {
                return Err(format!("10 s after flush, {} of {records} outcomes", DONE.load(Ordering::SeqCst)));
            }
            tokio::task::yield_now().await;
        }
    };
    if o.futures {
        for f in futures.drain(..) {
            count_outcome(f.await);
        }
    }
    let (ok, failed) = (DELIVERED.load(Ordering::SeqCst), FAILED.load(Ordering::SeqCst));
    producer.close(Some(Duration::from_secs(30))).await.map_err(|e| format!("closing: {e}"))?;
    if failed > 0 || ok != records {
        return Err(format!(
            "{ok} of {records} records delivered, {failed} failed; first error: {}",
            FIRST_ERROR.lock().unwrap().clone().unwrap_or_default()
        ));
    }
    let seconds = end.duration_since(t0).as_secs_f64();
    let cpu = cpu1.process.saturating_sub(cpu0.process).as_secs_f64();
    let tcpu = cpu1.threads.saturating_sub(cpu0.threads).as_secs_f64();
    let result = RunResult {
        seconds,
        records_per_s: records as f64 / seconds,
        mb_per_s: (records as f64 * o.size as f64) / seconds / 1e6,
        cpu_us_per_record: cpu * 1e6 / records as f64,
        threads_cpu_us_per_record: tcpu * 1e6 / records as f64,
    };
    println!(
        "  {records} records in {seconds:.3} s (all sent after {:.3} s): {:.3} M records/s, {:.1} MB/s, \
         CPU {:.3} us/record ({cpu:.2} s; threads {:.3} us/record)",
        sent.as_secs_f64(),
        result.records_per_s / 1e6,
        result.mb_per_s,
        result.cpu_us_per_record,
        result.threads_cpu_us_per_record,
    );
    Ok(result)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

async fn bench(o: Options) -> Result<(), String> {
    // No broker: a small run against an in-process mock cluster (keeps `cargo bench` quick).
    let mut mock = None;
    let (brokers, kind) = match &o.brokers {
        Some(b) => (b.clone(), "broker"),
        None => {
            let cluster = kafkit_mock::MockCluster::start(1).await.map_err(|e| format!("mock cluster: {e}"))?;
            let b = cluster.bootstrap();
            mock = Some(cluster);
            (b, "mock")
        }
    };
    let records = o.records.unwrap_or(if mock.is_some() { 20_000 } else { 1_000_000 });
    let runs = o.runs.unwrap_or(if mock.is_some() { 1 } else { 3 });
    let topic = o.topic.clone().unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        format!("kafkit-bench-{}-{nanos}", std::process::id())
    });
    let label = o.label.clone().unwrap_or_else(|| kind.to_string());
    let idempotent = config(&o, &brokers).idempotence_enabled();
    println!(
        "kafkit producer -> {brokers} ({kind}), topic {topic}: {runs} run(s) of {records} records of {} B, \
         {} partitions, acks={}, linger={} ms, batch.size={}, compression={}, idempotence={idempotent}, {}, \
         {} worker thread(s), outcomes by {}",
        o.size,
        o.partitions,
        o.acks.as_i16(),
        o.linger_ms,
        o.batch_size,
        o.compression,
        if o.key { "keyed" } else { "keyless" },
        o.threads,
        if o.futures { "futures" } else { "callbacks" },
    );
    if mock.is_some() {
        println!("  (no --brokers or KAFKA_BROKERS: an in-process mock cluster; its numbers are not meaningful)");
    }
    create_topic(&brokers, &topic, o.partitions).await?;

    // One value shared by every record; clones of a static Bytes cost nothing.
    let value = Bytes::from_static(Box::leak(vec![b'x'; o.size].into_boxed_slice()));
    let keys: Vec<Bytes> =
        if o.key { (0..1000).map(|i| Bytes::from(format!("key-{i:06}"))).collect() } else { Vec::new() };

    let mut results = Vec::new();
    for run in 1..=runs {
        println!("run {run}/{runs}:");
        results.push(run_once(&o, &brokers, &topic, records, &value, &keys).await?);
    }
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
    println!(
        "RESULT client=kafkit label={label} size={} records={records} runs={runs} records_per_s={rps:.0} \
         mb_per_s={mbps:.1} cpu_us_per_record={cpu:.3} threads_cpu_us_per_record={tcpu:.3} seconds={secs:.3}",
        o.size
    );
    if let Some(cluster) = mock {
        cluster.shutdown();
    }
    Ok(())
}

fn main() -> ExitCode {
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("producer_throughput: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(o.threads)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(bench(o)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("producer_throughput: {e}");
            ExitCode::FAILURE
        }
    }
}
