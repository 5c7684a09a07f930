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
use kafkit::client::protocol::record::Compression;
use kafkit::client::DeliveryFuture;

mod common;
use common::{cpu_now, create_topic, Base, Cluster, Cpu, RunResult};

const USAGE: &str = "\
usage: producer_throughput [options]
  --acks 0|1|all            (default 1)
  --linger-ms MS            (default 5)
  --batch-size BYTES        (default 1048576)
  --buffer-memory BYTES     (default: the producer's, 32 MiB)
  --max-in-flight N         max.in.flight.requests.per.connection (default: the producer's, 5)
  --max-request-size BYTES  (default: the producer's, 1 MiB; batch size + 64 KiB if that is more)
  --compression CODEC       none|gzip|snappy|lz4|zstd (default none)
  --idempotence true|false  (default: the config's rule, off with acks=1)
  --key                     keyed records (1000 distinct keys, cycled) instead of keyless
  --wait futures|callback   how outcomes are collected: keep every delivery future and check
                            them after the flush (default), or count them in a callback per
                            record (the window then ends in the last callback)";

#[derive(Debug, Clone)]
struct Options {
    base: Base,
    acks: Acks,
    linger_ms: u64,
    batch_size: usize,
    buffer_memory: Option<usize>,
    max_in_flight: Option<usize>,
    max_request_size: Option<usize>,
    compression: Compression,
    idempotence: Option<bool>,
    key: bool,
    futures: bool,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        base: Base::default(),
        acks: Acks::Leader,
        linger_ms: 5,
        batch_size: 1 << 20,
        buffer_memory: None,
        max_in_flight: None,
        max_request_size: None,
        compression: Compression::None,
        idempotence: None,
        key: false,
        futures: true,
    };
    common::parse_args(USAGE, &mut o.base, |arg, args| {
        match arg {
            "--acks" => {
                o.acks = match args.value(arg)?.as_str() {
                    "0" => Acks::None,
                    "1" => Acks::Leader,
                    "all" | "-1" => Acks::All,
                    v => return Err(format!("--acks: expected 0, 1 or all, got `{v}`")),
                }
            }
            "--linger-ms" => o.linger_ms = args.num(arg)?,
            "--batch-size" => o.batch_size = args.num(arg)?,
            "--buffer-memory" => o.buffer_memory = Some(args.num(arg)?),
            "--max-in-flight" => o.max_in_flight = Some(args.num(arg)?),
            "--max-request-size" => o.max_request_size = Some(args.num(arg)?),
            "--compression" => {
                let v = args.value(arg)?;
                o.compression = v.parse().map_err(|e| format!("--compression: {e}"))?;
            }
            "--idempotence" => {
                o.idempotence = match args.value(arg)?.as_str() {
                    "true" => Some(true),
                    "false" => Some(false),
                    v => return Err(format!("--idempotence: expected true or false, got `{v}`")),
                }
            }
            "--key" => o.key = true,
            "--wait" => {
                o.futures = match args.value(arg)?.as_str() {
                    "callback" => false,
                    "futures" => true,
                    v => return Err(format!("--wait: expected callback or futures, got `{v}`")),
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(o)
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
    let result = RunResult::new(records, records * o.base.size as u64, (t0, cpu0), (end, cpu1));
    result.print(records, &format!("all sent after {:.3} s", sent.as_secs_f64()));
    Ok(result)
}

async fn bench(o: Options) -> Result<(), String> {
    // No broker: a small run against an in-process mock cluster (keeps `cargo bench` quick).
    let cluster = Cluster::new(o.base.brokers.as_deref()).await?;
    let (brokers, kind) = (cluster.brokers.clone(), cluster.kind);
    let (records, runs, topic, label) =
        (o.base.records(&cluster), o.base.runs(&cluster), o.base.topic(), o.base.label(&cluster));
    let idempotent = config(&o, &brokers).idempotence_enabled();
    println!(
        "kafkit producer -> {brokers} ({kind}), topic {topic}: {runs} run(s) of {records} records of {} B, \
         {} partitions, acks={}, linger={} ms, batch.size={}, compression={}, idempotence={idempotent}, {}, \
         {} worker thread(s), outcomes by {}",
        o.base.size,
        o.base.partitions,
        o.acks.as_i16(),
        o.linger_ms,
        o.batch_size,
        o.compression,
        if o.key { "keyed" } else { "keyless" },
        o.base.threads,
        if o.futures { "futures" } else { "callbacks" },
    );
    if cluster.is_mock() {
        println!("  (no --brokers or KAFKA_BROKERS: an in-process mock cluster; its numbers are not meaningful)");
    }
    create_topic(&brokers, &topic, o.base.partitions).await?;

    // One value shared by every record; clones of a static Bytes cost nothing.
    let value = Bytes::from_static(Box::leak(vec![b'x'; o.base.size].into_boxed_slice()));
    let keys: Vec<Bytes> =
        if o.key { (0..1000).map(|i| Bytes::from(format!("key-{i:06}"))).collect() } else { Vec::new() };

    let mut results = Vec::new();
    for run in 1..=runs {
        println!("run {run}/{runs}:");
        results.push(run_once(&o, &brokers, &topic, records, &value, &keys).await?);
    }
    common::report(&results, &label, o.base.size, records, "");
    cluster.shutdown();
    Ok(())
}

fn main() -> ExitCode {
    common::run_main("producer_throughput", USAGE, parse_args(), |o| o.base.threads, bench)
}
