//! `kafkit perf produce|consume`: the end-to-end benchmark, like librdkafka's
//! `rdkafka_performance` and Kafka's `kafka-producer-perf-test` / `kafka-consumer-perf-test`.
//!
//! `perf produce` sends N records of S bytes (one fixed payload, shared: no copy per record;
//! with `--keys`, keys cycle through [`KEYS`] distinct 10-byte keys) as fast as the producer
//! takes them, and measures each record's delivery latency — from just before `send` to the
//! moment its acknowledgement is seen — into an HDR histogram (3 significant digits, no
//! allocation per record). Outcomes are collected from the oldest record in flight on, so a
//! record whose batch completed while an older one was still out is seen (and timed) when the
//! older one completes. `perf consume` reads N records (without a group: every partition from
//! the beginning) and reports the time to the first record.
//!
//! Rates are over the whole run: from the first `send` to the last acknowledgement, or from
//! the start of consuming (after the assignment or subscription) to the N-th record. MB are
//! 10^6 bytes of keys and values. Times come from the monotonic clock. A progress bar is drawn
//! on standard error while it runs if standard output is a terminal; the figures go to
//! standard output, as text or, with `--json`, as one JSON object.

use std::collections::VecDeque;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use kafkit_client::consumer::Consumer;
use kafkit_client::producer::{DeliveryFuture, Producer, ProducerRecord};
use serde_json::json;

use crate::common::{parse_duration, print, CliError, Global};
use crate::consume::{partitions_of, seek_to, StartAt};
use crate::interrupt::Interrupt;
use crate::produce::{check_topic, ProducerFlags};
use crate::progress::Progress;

/// `kafkit perf`'s subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Produce N records of S bytes as fast as possible; prints records/s, MB/s and the
    /// delivery latency percentiles (p50, p99, p99.9, max).
    Produce(ProduceArgs),
    /// Consume N records; prints records/s, MB/s and the time to the first record.
    Consume(ConsumeArgs),
}

/// `kafkit perf produce`'s options.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  kafkit perf produce perf --records 1000000 --size 100 --acks 1 --linger 5")]
pub struct ProduceArgs {
    /// The topic to produce to (it must exist).
    pub topic: String,
    /// How many records.
    #[arg(short = 'n', long, value_name = "N", default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub records: u64,
    /// Each record's value size in bytes.
    #[arg(short = 's', long, value_name = "BYTES", default_value_t = 100)]
    pub size: usize,
    /// Give records keys (10 bytes, cycling through 10,000 distinct ones), so that the
    /// default partitioner spreads them by key hash.
    #[arg(long)]
    pub keys: bool,
    #[command(flatten)]
    pub producer: ProducerFlags,
    /// The largest batch per partition in bytes (batch.size).
    #[arg(long, value_name = "BYTES")]
    pub batch_size: Option<usize>,
    /// Print the figures as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `kafkit perf consume`'s options.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  kafkit perf consume perf --records 1000000")]
pub struct ConsumeArgs {
    /// The topic to consume.
    pub topic: String,
    /// How many records to read before stopping.
    #[arg(short = 'n', long, value_name = "N", default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub records: u64,
    /// Read as a member of this group (from its committed offsets, else from the earliest
    /// unless auto.offset.reset is set); without it, every partition from the beginning.
    #[arg(short = 'G', long, value_name = "GROUP")]
    pub group: Option<String>,
    /// Fail if no record arrives for this long (the topic has fewer records than asked for),
    /// e.g. 500ms, 10s, 1m.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Print the figures as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// How many distinct keys `--keys` cycles through.
pub const KEYS: usize = 10_000;

/// At most this many records wait for their outcome (besides `buffer.memory`'s own bound).
const WINDOW: usize = 1 << 20;

/// Runs `kafkit perf`.
pub async fn run(global: &Global, cmd: Command) -> Result<ExitCode, CliError> {
    match cmd {
        Command::Produce(args) => produce(global, args).await,
        Command::Consume(args) => consume(global, args).await,
    }
}

/// Delivery latencies, in microseconds.
struct Latencies(Histogram<u64>);

impl Latencies {
    fn new() -> Result<Self, CliError> {
        // 1 µs to 1 hour at 3 significant digits, allocated once; longer values are clamped.
        Histogram::new_with_bounds(1, 3_600_000_000, 3)
            .map(Latencies)
            .map_err(|e| CliError::new(format!("cannot make the latency histogram: {e}")))
    }

    fn record(&mut self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX).max(1);
        self.0.saturating_record(us);
    }

    /// The latency at `quantile`, in milliseconds.
    fn ms(&self, quantile: f64) -> f64 {
        self.0.value_at_quantile(quantile) as f64 / 1000.0
    }

    fn max_ms(&self) -> f64 {
        self.0.max() as f64 / 1000.0
    }
}

/// What `perf produce` counts.
struct ProduceStats {
    latencies: Latencies,
    delivered: u64,
    failed: u64,
    first_error: Option<String>,
    last_ack: Instant,
}

impl ProduceStats {
    fn settle(&mut self, sent: Instant, result: kafkit_client::Result<kafkit_client::RecordMetadata>) {
        let now = Instant::now();
        self.last_ack = now;
        match result {
            Ok(_) => {
                self.delivered += 1;
                self.latencies.record(now.saturating_duration_since(sent));
            }
            Err(e) => {
                self.failed += 1;
                if self.first_error.is_none() {
                    self.first_error = Some(e.to_string());
                }
            }
        }
    }

    fn done(&self) -> u64 {
        self.delivered + self.failed
    }

    /// Takes the known outcomes from the front of `pending`.
    fn reap(&mut self, pending: &mut VecDeque<(Instant, DeliveryFuture)>) {
        while pending.front().is_some_and(|(_, f)| f.is_done()) {
            if let Some((sent, f)) = pending.pop_front() {
                self.settle(sent, f.get(Some(Duration::ZERO)));
            }
        }
    }
}

async fn produce(global: &Global, args: ProduceArgs) -> Result<ExitCode, CliError> {
    let mut config = global.producer_config()?;
    args.producer.apply(&mut config, args.batch_size)?;
    if args.size > config.max_request_size {
        // Every record would be refused; and the payload is allocated from this number.
        return Err(CliError::new(format!(
            "--size {} is larger than max.request.size ({} bytes): every record would be refused; send smaller \
             records or raise it with -X max.request.size=…",
            args.size, config.max_request_size
        )));
    }
    let producer = Producer::new(config).await?;
    check_topic(&producer, &args.topic).await?;

    let payload = Bytes::from(payload(args.size));
    let keys: Vec<Bytes> =
        if args.keys { (0..KEYS).map(|i| Bytes::from(format!("key-{i:06}"))).collect() } else { Vec::new() };
    let key_len = keys.first().map_or(0, Bytes::len);
    let interrupt = Interrupt::install();
    let mut progress = Progress::new(args.records, "produced");
    let mut pending: VecDeque<(Instant, DeliveryFuture)> =
        VecDeque::with_capacity(usize::try_from(args.records).unwrap_or(WINDOW).min(WINDOW));
    let start = Instant::now();
    let mut stats =
        ProduceStats { latencies: Latencies::new()?, delivered: 0, failed: 0, first_error: None, last_ack: start };
    let mut sent = 0u64;
    while sent < args.records && !interrupt.is_set() {
        let mut record = ProducerRecord::new(&args.topic);
        record.value = Some(payload.clone());
        if !keys.is_empty() {
            record.key = Some(keys[(sent % KEYS as u64) as usize].clone());
        }
        let at = Instant::now();
        let future = producer.send(record).await;
        pending.push_back((at, future));
        sent += 1;
        stats.reap(&mut pending);
        if pending.len() >= WINDOW {
            if let Some((at, f)) = pending.pop_front() {
                stats.settle(at, f.await);
            }
        }
        progress.set(stats.done());
    }
    // Send what is left at once (ignoring linger) while collecting the outcomes as they come.
    let drain = async {
        while let Some((at, f)) = pending.pop_front() {
            stats.settle(at, f.await);
            stats.reap(&mut pending);
            progress.set(stats.done());
        }
    };
    tokio::join!(producer.flush(), drain);
    let elapsed = stats.last_ack.saturating_duration_since(start);
    progress.finish(stats.done());
    producer.close(None).await?;

    let bytes = stats.delivered * (args.size + key_len) as u64;
    let secs = elapsed.as_secs_f64().max(1e-9);
    let (rps, mbps) = (stats.delivered as f64 / secs, bytes as f64 / 1e6 / secs);
    let l = &stats.latencies;
    if args.json {
        let figures = json!({
            "test": "produce",
            "topic": args.topic,
            "records": sent,
            "delivered": stats.delivered,
            "failed": stats.failed,
            "record_size": args.size,
            "key_size": key_len,
            "bytes": bytes,
            "elapsed_s": round(elapsed.as_secs_f64(), 6),
            "records_per_s": round(rps, 1),
            "mb_per_s": round(mbps, 3),
            "latency_ms": {
                "p50": round(l.ms(0.5), 3),
                "p99": round(l.ms(0.99), 3),
                "p99_9": round(l.ms(0.999), 3),
                "max": round(l.max_ms(), 3),
            },
        });
        print(&format!("{figures}\n"))?;
    } else {
        print(&format!(
            "produced {} of {sent} records of {} B to {} in {:.3} s\n{rps:.0} records/s, {mbps:.2} MB/s\n\
             delivery latency: p50 {:.3} ms, p99 {:.3} ms, p99.9 {:.3} ms, max {:.3} ms\n",
            stats.delivered,
            args.size,
            args.topic,
            elapsed.as_secs_f64(),
            l.ms(0.5),
            l.ms(0.99),
            l.ms(0.999),
            l.max_ms()
        ))?;
    }
    if stats.failed > 0 {
        return Err(CliError::new(format!(
            "{} of {sent} records failed; the first: {}",
            stats.failed,
            stats.first_error.unwrap_or_default()
        )));
    }
    if sent < args.records {
        return Err(CliError::new(format!("interrupted after {sent} of {} records", args.records)));
    }
    Ok(ExitCode::SUCCESS)
}

/// `size` bytes of printable text (a repeating alphabet), the same for every record.
fn payload(size: usize) -> Vec<u8> {
    (0..size).map(|i| b'a' + (i % 26) as u8).collect()
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

async fn consume(global: &Global, args: ConsumeArgs) -> Result<ExitCode, CliError> {
    let mut config = global.consumer_config()?;
    if let Some(group) = &args.group {
        config.set("group.id", group)?;
        if !global.config.iter().any(|(k, _)| k == "auto.offset.reset") {
            config.set("auto.offset.reset", "earliest")?;
        }
    }
    let max_poll = config.max_poll_records.max(1) as u64;
    let mut consumer = Consumer::new(config).await?;
    let partitions = partitions_of(&consumer, std::slice::from_ref(&args.topic)).await?;
    if args.group.is_some() {
        consumer.subscribe([&args.topic])?;
    } else {
        consumer.assign(partitions.iter().cloned())?;
        seek_to(&mut consumer, &partitions, StartAt::Beginning).await?;
    }

    let interrupt = Interrupt::install();
    let mut progress = Progress::new(args.records, "consumed");
    let timeout = args.timeout;
    let start = Instant::now();
    let mut first: Option<Instant> = None;
    let mut last = start;
    let (mut got, mut bytes) = (0u64, 0u64);
    let mut failure = None;
    while got < args.records {
        if interrupt.is_set() {
            failure = Some(CliError::new(format!("interrupted after {got} of {} records", args.records)));
            break;
        }
        let want = (args.records - got).min(max_poll) as usize;
        let records = match consumer.poll_records(Duration::from_millis(100), want).await {
            Ok(r) => r,
            Err(e) => {
                failure = Some(e.into());
                break;
            }
        };
        let now = Instant::now();
        if records.is_empty() {
            if now.saturating_duration_since(last) >= timeout {
                failure = Some(CliError::new(format!(
                    "the topic ran dry: {got} of {} records read, then nothing for {:?} (produce more, or raise \
                     --timeout)",
                    args.records, args.timeout
                )));
                break;
            }
            continue;
        }
        first.get_or_insert(now);
        last = now;
        for record in records.records_iter() {
            bytes += (record.key.as_ref().map_or(0, Bytes::len) + record.value.as_ref().map_or(0, Bytes::len)) as u64;
        }
        got += records.len() as u64;
        progress.set(got);
    }
    progress.finish(got);
    let closed = consumer.close().await;
    if let Some(e) = failure {
        return Err(e);
    }
    closed?;

    let elapsed = last.saturating_duration_since(start);
    let to_first = first.map_or(Duration::ZERO, |f| f.saturating_duration_since(start));
    let secs = elapsed.as_secs_f64().max(1e-9);
    let (rps, mbps) = (got as f64 / secs, bytes as f64 / 1e6 / secs);
    if args.json {
        let figures = json!({
            "test": "consume",
            "topic": args.topic,
            "records": got,
            "bytes": bytes,
            "elapsed_s": round(elapsed.as_secs_f64(), 6),
            "records_per_s": round(rps, 1),
            "mb_per_s": round(mbps, 3),
            "first_record_ms": round(to_first.as_secs_f64() * 1000.0, 3),
        });
        print(&format!("{figures}\n"))?;
    } else {
        print(&format!(
            "consumed {got} records ({bytes} bytes) from {} in {:.3} s\n{rps:.0} records/s, {mbps:.2} MB/s\n\
             first record after {:.3} ms\n",
            args.topic,
            elapsed.as_secs_f64(),
            to_first.as_secs_f64() * 1000.0
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_in_ms() {
        let mut l = Latencies::new().unwrap();
        for ms in 1..=1000u64 {
            l.record(Duration::from_millis(ms));
        }
        l.record(Duration::from_nanos(10)); // below 1 µs: counted as 1 µs
        assert!((l.ms(0.5) - 500.0).abs() < 1.0, "{}", l.ms(0.5));
        assert!((l.ms(0.99) - 990.0).abs() < 1.5, "{}", l.ms(0.99));
        assert!((l.max_ms() - 1000.0).abs() < 1.0, "{}", l.max_ms());
        assert_eq!(l.0.len(), 1001);
        // Beyond the histogram's range: clamped, not an error.
        l.record(Duration::from_secs(10 * 3600));
        assert!(l.max_ms() >= 3_599_000.0);
    }

    #[test]
    fn payload_and_rounding() {
        assert_eq!(payload(3), b"abc");
        assert_eq!(payload(28)[26..], *b"ab");
        assert!(payload(0).is_empty());
        assert_eq!(round(1.23456, 2), 1.23);
    }
}
