//! `kafkit produce TOPIC`: one record per line of standard input.
//!
//! Lines are split on `\n` only (a `\r` before it stays in the value, as with kcat); a last
//! line without a newline is a record too, and an empty line is a record with an empty value.
//! Input is streamed: a reader thread hands lines over a bounded channel, and the records in
//! flight are bounded by the producer's `buffer.memory` and by [`WINDOW`]. Each record that
//! fails is reported on standard error as `line N: <error>` as soon as its outcome is known
//! (outcomes are taken oldest first); at the end a summary line says how many were delivered,
//! and the exit status is 1 if any record failed. Ctrl-C stops reading and delivers what was
//! read (a second Ctrl-C exits at once).

use std::collections::VecDeque;
use std::io::{BufRead, Read};
use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use kafkit_client::producer::{DeliveryFuture, Producer, ProducerRecord};
use kafkit_client::protocol::record::Header;
use tokio::sync::mpsc;

use crate::common::{CliError, Global};
use crate::interrupt::Interrupt;

/// `kafkit produce`'s options.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    echo hello | kafkit produce quotes\n  \
    printf '600000:10.5\\n600036:33.2\\n' | kafkit produce quotes --key-separator : --acks all\n  \
    kafkit produce quotes -H source=feed-1 --compression zstd -X linger.ms=50 < records.txt")]
pub struct Args {
    /// The topic to produce to.
    pub topic: String,
    /// Split each line at the first SEP into key and value (a line without SEP is an error for
    /// that line, as with kcat -K). Without it, records have no key.
    #[arg(short = 'K', long, value_name = "SEP", value_parser = non_empty)]
    pub key_separator: Option<String>,
    /// Send every record to this partition instead of letting the partitioner choose.
    #[arg(short = 'p', long, value_name = "N")]
    pub partition: Option<i32>,
    /// A header for every record, KEY=VALUE (repeatable; order and duplicates are kept).
    #[arg(short = 'H', long = "header", value_name = "KEY=VALUE", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,
    #[command(flatten)]
    pub producer: ProducerFlags,
}

/// The producer settings `produce` and `perf produce` take as flags (they win over `-X`).
#[derive(Debug, Default, clap::Args)]
pub struct ProducerFlags {
    /// Compression codec (compression.type).
    #[arg(short = 'z', long, value_name = "CODEC", value_parser = ["none", "gzip", "snappy", "lz4", "zstd"])]
    pub compression: Option<String>,
    /// Acknowledgements the leader waits for before answering (acks): 0, 1 or all.
    #[arg(long, value_name = "ACKS", value_parser = ["0", "1", "all", "-1"])]
    pub acks: Option<String>,
    /// How long a batch waits for more records before it is sent (linger.ms).
    #[arg(long, value_name = "MS")]
    pub linger: Option<u64>,
}

/// At most this many records are waiting for their outcome; reading stops until the oldest
/// is done.
pub const WINDOW: usize = 100_000;

fn non_empty(s: &str) -> Result<String, String> {
    if s.is_empty() {
        Err("the separator must not be empty".to_string())
    } else {
        Ok(s.to_string())
    }
}

/// Parses `--header KEY=VALUE` (the value may be empty or contain `=`; the key may not be empty).
pub fn parse_header(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("expected KEY=VALUE (e.g. source=feed-1), got `{s}`")),
    }
}

/// Splits `line` into key and value at the first `sep`; `None` if `sep` is not in it.
pub fn split_key(line: &Bytes, sep: &[u8]) -> Option<(Bytes, Bytes)> {
    if sep.is_empty() || line.len() < sep.len() {
        return None;
    }
    let at = line.windows(sep.len()).position(|w| w == sep)?;
    Some((line.slice(..at), line.slice(at + sep.len()..)))
}

impl ProducerFlags {
    /// Applies the flags (and `batch.size`, a `perf` flag) over the `--config` settings: the
    /// flags win.
    pub fn apply(&self, config: &mut kafkit_client::ProducerConfig, batch_size: Option<usize>) -> Result<(), CliError> {
        if let Some(c) = &self.compression {
            config.set("compression.type", c)?;
        }
        if let Some(a) = &self.acks {
            config.set("acks", a)?;
        }
        if let Some(l) = self.linger {
            config.set("linger.ms", &l.to_string())?;
        }
        if let Some(b) = batch_size {
            config.set("batch.size", &b.to_string())?;
        }
        Ok(())
    }
}

/// Checks that `topic` exists (and has partitions) before anything is sent: otherwise every
/// record would wait `max.block.ms` for it.
pub async fn check_topic(producer: &Producer, topic: &str) -> Result<usize, CliError> {
    match producer.partitions_for(topic).await {
        Ok(p) if !p.is_empty() => Ok(p.len()),
        Ok(_) => Err(no_such_topic(topic)),
        Err(e) if e.code() == Some(kafkit_client::protocol::ErrorCode::UNKNOWN_TOPIC_OR_PARTITION) => {
            Err(no_such_topic(topic))
        }
        Err(e) => Err(CliError::new(format!("getting the partitions of topic `{topic}`: {e}"))),
    }
}

fn no_such_topic(topic: &str) -> CliError {
    CliError::new(format!("topic `{topic}` does not exist: create it first (kafkit topics create {topic})"))
}

/// One line of input, numbered from 1.
/// A line too long to be a record is `Err` with its length so far (it is not kept).
type Line = (u64, Result<Bytes, usize>);

/// Reads standard input on its own thread (reads block) and sends the lines, without their
/// `\n`, to `tx`; an I/O error ends the input and is sent last. A line longer than `max_line`
/// bytes (no record could hold it) is skipped to its end without being kept in memory, and sent
/// as `Err`.
fn spawn_reader(tx: mpsc::Sender<Result<Line, String>>, max_line: usize) {
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut input = std::io::BufReader::with_capacity(1 << 16, stdin.lock());
        let mut number = 0u64;
        let read_error = |number: u64, e: std::io::Error| format!("reading standard input after line {number}: {e}");
        loop {
            let mut buf = Vec::new();
            match (&mut input).take(max_line as u64 + 1).read_until(b'\n', &mut buf) {
                Ok(0) => return,
                Ok(_) => {
                    number += 1;
                    let line = if buf.last() == Some(&b'\n') {
                        buf.pop();
                        Ok(Bytes::from(buf))
                    } else if buf.len() > max_line {
                        match skip_line(&mut input) {
                            Ok(rest) => Err(buf.len() + rest),
                            Err(e) => {
                                let _ = tx.blocking_send(Err(read_error(number, e)));
                                return;
                            }
                        }
                    } else {
                        Ok(Bytes::from(buf)) // the last line, without a newline
                    };
                    if tx.blocking_send(Ok((number, line))).is_err() {
                        return; // the producer side stopped
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = tx.blocking_send(Err(read_error(number, e)));
                    return;
                }
            }
        }
    });
}

/// Reads past the end of the current line (its newline included) without keeping it; returns
/// how many bytes it had before the newline.
fn skip_line(input: &mut impl BufRead) -> std::io::Result<usize> {
    let mut skipped = 0;
    loop {
        let chunk = match input.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(skipped);
        }
        match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => {
                input.consume(i + 1);
                return Ok(skipped + i);
            }
            None => {
                let n = chunk.len();
                skipped += n;
                input.consume(n);
            }
        }
    }
}

/// Counts outcomes and reports failures, oldest record first.
#[derive(Debug, Default)]
struct Outcomes {
    delivered: u64,
    failed: u64,
}

impl Outcomes {
    fn fail(&mut self, line: u64, error: impl std::fmt::Display) {
        self.failed += 1;
        eprintln!("line {line}: {error}");
    }

    fn settle(&mut self, line: u64, result: kafkit_client::Result<kafkit_client::RecordMetadata>) {
        match result {
            Ok(_) => self.delivered += 1,
            Err(e) => self.fail(line, e),
        }
    }

    /// Takes the outcomes already known from the front of `pending`.
    fn reap(&mut self, pending: &mut VecDeque<(u64, DeliveryFuture)>) {
        while pending.front().is_some_and(|(_, f)| f.is_done()) {
            if let Some((line, f)) = pending.pop_front() {
                // Done: the future is ready at once.
                let result = f.get(Some(Duration::ZERO));
                self.settle(line, result);
            }
        }
    }
}

/// Runs `kafkit produce`.
pub async fn run(global: &Global, args: Args) -> Result<ExitCode, CliError> {
    let mut config = global.producer_config()?;
    args.producer.apply(&mut config, None)?;
    let producer = Producer::new(config).await?;
    check_topic(&producer, &args.topic).await?;

    let headers: Vec<Header> =
        args.headers.iter().map(|(k, v)| Header::new(k.as_str(), Some(Bytes::from(v.clone())))).collect();
    let separator = args.key_separator.as_deref().map(str::as_bytes);

    let (tx, mut rx) = mpsc::channel(1024);
    let max_line = producer.config().max_request_size;
    spawn_reader(tx, max_line);
    let mut interrupt = Interrupt::install();
    let mut pending: VecDeque<(u64, DeliveryFuture)> = VecDeque::new();
    let mut outcomes = Outcomes::default();
    let mut input_error = None;
    loop {
        if pending.len() >= WINDOW {
            if let Some((line, f)) = pending.pop_front() {
                outcomes.settle(line, f.await);
            }
            continue;
        }
        // The next line, or the oldest outcome (reported as soon as it is known when the input
        // is slow), or Ctrl-C (stop reading, deliver what was read).
        let next = tokio::select! {
            biased;
            _ = interrupt.wait() => break,
            line = rx.recv() => line,
            result = front_outcome(&mut pending) => {
                if let Some((line, _)) = pending.pop_front() {
                    outcomes.settle(line, result);
                }
                continue;
            }
        };
        let (number, line) = match next {
            None => break,
            Some(Err(e)) => {
                input_error = Some(e);
                break;
            }
            Some(Ok((number, Err(length)))) => {
                outcomes.fail(
                    number,
                    format!(
                        "the line has {length} bytes, more than max.request.size ({max_line}) allows in a record: \
                         not sent"
                    ),
                );
                continue;
            }
            Some(Ok((number, Ok(line)))) => (number, line),
        };
        let mut record = ProducerRecord::new(&args.topic);
        match separator {
            None => record.value = Some(line),
            Some(sep) => match split_key(&line, sep) {
                Some((key, value)) => {
                    record.key = Some(key);
                    record.value = Some(value);
                }
                None => {
                    let sep = String::from_utf8_lossy(sep);
                    outcomes.fail(number, format!("no key separator `{sep}` in the line: not sent"));
                    continue;
                }
            },
        }
        record.partition = args.partition;
        record.headers.clone_from(&headers);
        let future = producer.send(record).await;
        pending.push_back((number, future));
        outcomes.reap(&mut pending);
    }
    drop(rx);

    producer.flush().await;
    for (line, f) in pending.drain(..) {
        outcomes.settle(line, f.await);
    }
    producer.close(None).await?;

    let Outcomes { delivered, failed } = outcomes;
    if failed == 0 {
        eprintln!("kafkit: {delivered} record(s) delivered to {}", args.topic);
    } else {
        eprintln!("kafkit: {delivered} record(s) delivered to {}, {failed} failed", args.topic);
    }
    if let Some(e) = input_error {
        return Err(CliError::new(e));
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The outcome of the oldest record in flight (never ready while there is none); the future
/// stays in the queue.
async fn front_outcome(
    pending: &mut VecDeque<(u64, DeliveryFuture)>,
) -> kafkit_client::Result<kafkit_client::RecordMetadata> {
    match pending.front_mut() {
        Some((_, future)) => future.await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_separator_splits_at_the_first() {
        let line = Bytes::from_static(b"k1::v::x");
        let (k, v) = split_key(&line, b"::").unwrap();
        assert_eq!((&k[..], &v[..]), (&b"k1"[..], &b"v::x"[..]));
        let (k, v) = split_key(&Bytes::from_static(b":v"), b":").unwrap();
        assert_eq!((&k[..], &v[..]), (&b""[..], &b"v"[..]));
        let (k, v) = split_key(&Bytes::from_static(b"k:"), b":").unwrap();
        assert_eq!((&k[..], &v[..]), (&b"k"[..], &b""[..]));
        assert_eq!(split_key(&Bytes::from_static(b"no separator"), b":"), None);
        assert_eq!(split_key(&Bytes::from_static(b""), b":"), None);
        assert_eq!(split_key(&Bytes::from_static(b":"), b"::"), None);
    }

    #[test]
    fn headers_parse() {
        assert_eq!(parse_header("a=b=c").unwrap(), ("a".to_string(), "b=c".to_string()));
        assert_eq!(parse_header("a=").unwrap(), ("a".to_string(), String::new()));
        assert!(parse_header("=b").unwrap_err().contains("KEY=VALUE"));
        assert!(parse_header("novalue").is_err());
    }

    #[test]
    fn flags_win_over_config() {
        let mut config = kafkit_client::ProducerConfig::new(["h:1"]);
        config.set("acks", "0").unwrap();
        config.set("linger.ms", "500").unwrap();
        config.set("compression.type", "gzip").unwrap();
        let flags = ProducerFlags { compression: Some("zstd".into()), acks: Some("all".into()), linger: Some(7) };
        flags.apply(&mut config, Some(1000)).unwrap();
        assert_eq!(config.acks, kafkit_client::producer::Acks::All);
        assert_eq!(config.linger, Duration::from_millis(7));
        assert_eq!(config.batch_size, 1000);
        assert_eq!(format!("{:?}", config.compression).to_lowercase(), "zstd");
        // No flag: the --config setting stays.
        let mut config = kafkit_client::ProducerConfig::new(["h:1"]);
        config.set("linger.ms", "500").unwrap();
        ProducerFlags::default().apply(&mut config, None).unwrap();
        assert_eq!(config.linger, Duration::from_millis(500));
    }
}
