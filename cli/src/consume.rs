//! `kafkit consume TOPIC…`: records to standard output, one per line.
//!
//! Without `--group` the consumer assigns itself every partition of the topics; with `--group`
//! it joins the group, which assigns partitions, and commits what it printed (auto-commit every
//! `auto.commit.interval.ms`, and once more on exit).
//!
//! Where reading starts (`--from`):
//!
//! | `--from`              | without `--group`              | with `--group`                                   |
//! |-----------------------|--------------------------------|--------------------------------------------------|
//! | (not given)           | `auto.offset.reset` (latest)   | the committed offset, else `auto.offset.reset`   |
//! | `beginning`, `end`    | each partition's first / end   | sets `auto.offset.reset` (committed offsets win) |
//! | `N`                   | offset N of every partition    | offset N, on each partition's first assignment   |
//! | `-N`                  | N records before the end       | likewise, on the first assignment                |
//! | `@MS` (or kcat `s@MS`)| the first record at or after   | likewise, on the first assignment                |
//! |                       | MS ms since the epoch (the end |                                                  |
//! |                       | if none is that recent)        |                                                  |
//!
//! With a group, an explicit position replaces the committed offset the first time this run is
//! given a partition (a later rebalance keeps the position reached, so nothing is read twice).
//!
//! `--exit-at-end` stops once every assigned partition has reached its end offset as of when it
//! was assigned: the first high watermark a fetch reports for it (the authority, where
//! ListOffsets can lag, as Tansu's does).
//! `--count N` stops after N records. Ctrl-C stops cleanly (a second Ctrl-C exits at once); a closed standard output
//! (`| head`) ends the command quietly with status 0. Either way, with a group, what was
//! printed is committed before leaving.

use std::collections::{HashMap, HashSet};
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use kafkit_client::consumer::{Consumer, ConsumerRecords, Rebalance, RebalanceListener, TopicPartition};
use kafkit_client::protocol::ErrorCode;

use crate::common::{CliError, Global};
use crate::interrupt::Interrupt;
use crate::output::{self, Format};

/// `kafkit consume`'s options.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    kafkit consume quotes --from beginning --exit-at-end\n  \
    kafkit consume quotes --group readers --format json | jq .value\n  \
    kafkit consume quotes --from -10 --count 10\n  \
    kafkit consume quotes --from @1700000000000 -X fetch.max.wait.ms=100")]
pub struct Args {
    /// The topics to read.
    #[arg(required = true, value_name = "TOPIC")]
    pub topics: Vec<String>,
    /// Join this consumer group (partitions assigned by the group, offsets committed);
    /// without it, read every partition of the topics.
    #[arg(short = 'G', long, value_name = "GROUP")]
    pub group: Option<String>,
    /// Where to start: beginning, end, OFFSET, -N (N before the end) or @MS (the first record at
    /// or after MS milliseconds since the epoch). Default: a group's committed offset, else
    /// auto.offset.reset (latest unless set with -X).
    #[arg(short = 'o', long, value_name = "WHERE", value_parser = parse_from, allow_hyphen_values = true)]
    pub from: Option<StartAt>,
    /// Exit after printing this many records.
    #[arg(short = 'c', long, value_name = "N")]
    pub count: Option<u64>,
    /// Exit once every assigned partition is read up to its end offset as of when it was
    /// assigned (like kcat -e).
    #[arg(short = 'e', long)]
    pub exit_at_end: bool,
    /// value: each record's value as a line (raw bytes); json: one JSON object per line with
    /// topic, partition, offset, timestamp, key, value and headers (bytes that are not UTF-8 as
    /// {"base64": "..."}).
    #[arg(long, value_enum, default_value_t = Format::Value)]
    pub format: Format,
}

/// Where reading starts (`--from`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// The first offset still in the log.
    Beginning,
    /// The end: only records produced from now on.
    End,
    /// This offset.
    Offset(i64),
    /// This many records before the end (never before the beginning).
    FromEnd(i64),
    /// The first record whose timestamp is at or after this many ms since the Unix epoch.
    Timestamp(i64),
}

impl StartAt {
    /// Whether it names a position per partition (rather than a reset policy).
    fn is_explicit(self) -> bool {
        matches!(self, StartAt::Offset(_) | StartAt::FromEnd(_) | StartAt::Timestamp(_))
    }
}

/// Parses `--from`: `beginning` (or `earliest`), `end` (or `latest`), `N`, `-N`, `@MS` or `s@MS`.
pub fn parse_from(s: &str) -> Result<StartAt, String> {
    let bad = || {
        format!(
            "`{s}` is not a start position: give beginning, end, an offset (42), a count before the end (-10) \
             or a timestamp in ms since the epoch (@1700000000000)"
        )
    };
    let t = s.trim();
    match t {
        "beginning" | "earliest" => return Ok(StartAt::Beginning),
        "end" | "latest" => return Ok(StartAt::End),
        _ => {}
    }
    if let Some(ms) = t.strip_prefix("s@").or_else(|| t.strip_prefix('@')) {
        let ms: i64 = ms.parse().map_err(|_| bad())?;
        return if ms < 0 { Err(bad()) } else { Ok(StartAt::Timestamp(ms)) };
    }
    if let Some(n) = t.strip_prefix('-') {
        let n: i64 = n.parse().map_err(|_| bad())?;
        return if n <= 0 { Err(bad()) } else { Ok(StartAt::FromEnd(n)) };
    }
    if t.starts_with('+') {
        return Err(bad());
    }
    t.parse::<i64>().map(StartAt::Offset).map_err(|_| bad())
}

/// The partitions of `topics`, in order; an error naming a topic that does not exist.
pub async fn partitions_of(consumer: &Consumer, topics: &[String]) -> Result<Vec<TopicPartition>, CliError> {
    let mut all = Vec::new();
    for topic in topics {
        let missing =
            || CliError::new(format!("topic `{topic}` does not exist: check the name (kafkit metadata lists topics)"));
        match consumer.partitions_for(topic).await {
            Ok(p) if p.is_empty() => return Err(missing()),
            Ok(p) => {
                let mut ids: Vec<i32> = p.iter().map(|p| p.partition).collect();
                ids.sort_unstable();
                all.extend(ids.into_iter().map(|p| TopicPartition::new(topic.as_str(), p)));
            }
            Err(e) if e.code() == Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION) => return Err(missing()),
            Err(e) => return Err(CliError::new(format!("getting the partitions of topic `{topic}`: {e}"))),
        }
    }
    Ok(all)
}

/// Moves `partitions` to `at`.
pub async fn seek_to(consumer: &mut Consumer, partitions: &[TopicPartition], at: StartAt) -> Result<(), CliError> {
    if partitions.is_empty() {
        return Ok(());
    }
    let looking = |e: kafkit_client::Error| CliError::new(format!("looking up the start offsets: {e}"));
    match at {
        StartAt::Beginning => consumer.seek_to_beginning(partitions)?,
        StartAt::End => consumer.seek_to_end(partitions)?,
        StartAt::Offset(n) => {
            for tp in partitions {
                consumer.seek(tp, n)?;
            }
        }
        StartAt::FromEnd(n) => {
            let begin = consumer.beginning_offsets(partitions).await.map_err(looking)?;
            let end = consumer.end_offsets(partitions).await.map_err(looking)?;
            for tp in partitions {
                let (Some(&b), Some(&e)) = (begin.get(tp), end.get(tp)) else {
                    return Err(CliError::new(format!("the broker gave no offsets for {tp}")));
                };
                consumer.seek(tp, e.saturating_sub(n).max(b))?;
            }
        }
        StartAt::Timestamp(ms) => {
            let found =
                consumer.offsets_for_times(partitions.iter().map(|tp| (tp.clone(), ms))).await.map_err(looking)?;
            for tp in partitions {
                match found.get(tp).copied().flatten() {
                    Some(o) => consumer.seek(tp, o.offset)?,
                    None => consumer.seek_to_end(std::slice::from_ref(tp))?,
                }
            }
        }
    }
    Ok(())
}

/// The partitions the group assigned, as the rebalance listener saw them.
#[derive(Debug, Clone, Default)]
struct Assigned(Arc<Mutex<Vec<TopicPartition>>>);

impl Assigned {
    fn take(&self) -> Vec<TopicPartition> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl RebalanceListener for Assigned {
    fn on_partitions_assigned(&mut self, _: &mut Rebalance<'_>, partitions: &[TopicPartition]) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(partitions);
    }
}

/// `--exit-at-end`: each partition's end offset as of when it was first assigned — the first
/// high watermark a fetch reports for it (every fetch answer reports one, with records or not;
/// it is the authority: ListOffsets can be behind it, as Tansu's is).
#[derive(Debug, Default)]
pub struct EndWatch {
    targets: HashMap<TopicPartition, i64>,
}

impl EndWatch {
    /// Whether every assigned partition's position has reached its target (false while
    /// nothing is assigned, or a partition's first fetch has not answered).
    pub async fn reached(&mut self, consumer: &mut Consumer) -> Result<bool, CliError> {
        let assigned = consumer.assignment();
        if assigned.is_empty() {
            return Ok(false);
        }
        for tp in &assigned {
            let target = match self.targets.get(tp) {
                Some(&target) => target,
                None => {
                    let Some(hw) = consumer.highwater(tp) else { return Ok(false) };
                    self.targets.insert(tp.clone(), hw);
                    hw
                }
            };
            if consumer.position(tp).await? < target {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// A flag set when standard output's reader goes away (a pipe whose reader exited, e.g.
/// `| head`), so that a consumer waiting for records notices before it next writes. Only for
/// pipes and sockets (the kernel does not watch regular files; writing to one never fails so).
fn watch_stdout() -> Arc<AtomicBool> {
    let closed = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use tokio::io::unix::AsyncFd;
        use tokio::io::Interest;
        // A duplicate of fd 1 that this watch owns: it stays open (and the same file) as long
        // as the `AsyncFd` lives, which is what the deprecation of `with_interest` (a safe
        // function that cannot check that for any `AsRawFd`) is about; an `OwnedFd` is exactly
        // the case that is sound.
        #[allow(deprecated)]
        let registered = io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .ok()
            .and_then(|fd| AsyncFd::with_interest(fd, Interest::ERROR).ok());
        if let Some(fd) = registered {
            let flag = closed.clone();
            tokio::spawn(async move {
                while let Ok(mut guard) = fd.ready(Interest::ERROR).await {
                    if guard.ready().is_error() {
                        flag.store(true, Ordering::Relaxed);
                        return;
                    }
                    guard.clear_ready();
                }
            });
        }
    }
    closed
}

/// How the loop ended.
enum Ended {
    /// Count reached, end reached, Ctrl-C, or standard output closed.
    Done,
    /// Writing to standard output failed otherwise.
    Output(io::Error),
    /// The consumer failed.
    Consumer(CliError),
}

/// Runs `kafkit consume`.
pub async fn run(global: &Global, args: Args) -> Result<ExitCode, CliError> {
    let mut config = global.consumer_config()?;
    if let Some(group) = &args.group {
        config.set("group.id", group)?;
        match args.from {
            Some(StartAt::Beginning) => config.set("auto.offset.reset", "earliest")?,
            Some(StartAt::End) => config.set("auto.offset.reset", "latest")?,
            _ => {}
        }
    }
    let max_poll = config.max_poll_records.max(1) as u64;
    let mut consumer = Consumer::new(config).await?;
    let partitions = partitions_of(&consumer, &args.topics).await?;
    let assigned = Assigned::default();
    if args.group.is_some() {
        consumer.subscribe_with(&args.topics, assigned.clone())?;
    } else {
        consumer.assign(partitions.iter().cloned())?;
        if let Some(at) = args.from {
            seek_to(&mut consumer, &partitions, at).await?;
        }
    }

    let interrupt = Interrupt::install();
    let closed = watch_stdout();
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut end_watch = args.exit_at_end.then(EndWatch::default);
    let mut positioned: HashSet<TopicPartition> = HashSet::new();
    let mut printed = 0u64;
    let ended = loop {
        if interrupt.is_set() || closed.load(Ordering::Relaxed) || args.count.is_some_and(|c| printed >= c) {
            break Ended::Done;
        }
        if let Some(watch) = &mut end_watch {
            match watch.reached(&mut consumer).await {
                Ok(true) => break Ended::Done,
                Ok(false) => {}
                Err(e) => break Ended::Consumer(e),
            }
        }
        let want = args.count.map_or(max_poll, |c| (c - printed).min(max_poll));
        let records = match consumer.poll_records(Duration::from_millis(200), want as usize).await {
            Ok(r) => r,
            Err(e) => break Ended::Consumer(e.into()),
        };
        // With a group and an explicit --from: position newly assigned partitions, and drop
        // what this poll read of them from their committed offsets.
        let mut skip = Vec::new();
        if args.group.is_some() && args.from.is_some_and(StartAt::is_explicit) {
            let fresh: Vec<TopicPartition> = {
                let now = consumer.assignment();
                let mut v: Vec<TopicPartition> =
                    assigned.take().into_iter().filter(|tp| now.contains(tp) && !positioned.contains(tp)).collect();
                v.sort();
                v.dedup();
                v
            };
            if !fresh.is_empty() {
                if let Err(e) = seek_to(&mut consumer, &fresh, args.from.unwrap_or(StartAt::End)).await {
                    break Ended::Consumer(e);
                }
                positioned.extend(fresh.iter().cloned());
                skip = fresh;
            }
        }
        if records.is_empty() {
            continue;
        }
        match print(&mut out, args.format, &records, &skip) {
            Ok(n) => printed += n,
            Err(e) => {
                // Nothing of this poll counts as printed: move back to its first records, so
                // that the commit on exit stores only what reached the reader.
                for (tp, list) in records.iter().filter(|(tp, _)| !skip.contains(tp)) {
                    if let Some(first) = list.first() {
                        let _ = consumer.seek(tp, first.offset);
                    }
                }
                break if e.kind() == io::ErrorKind::BrokenPipe { Ended::Done } else { Ended::Output(e) };
            }
        }
    };
    let _ = out.flush();
    drop(out);

    let finished = finish(consumer, args.group.is_some()).await;
    match ended {
        Ended::Done => finished.map(|()| ExitCode::SUCCESS),
        Ended::Output(e) => Err(CliError::new(format!("writing to standard output: {e}"))),
        Ended::Consumer(e) => Err(e),
    }
}

/// Writes every record of one poll but those of `skip`, and flushes; the number written.
fn print(out: &mut impl Write, format: Format, records: &ConsumerRecords, skip: &[TopicPartition]) -> io::Result<u64> {
    let mut n = 0;
    for (_, list) in records.iter().filter(|(tp, _)| !skip.contains(tp)) {
        for record in list {
            output::write_record(out, format, record)?;
            n += 1;
        }
    }
    out.flush()?;
    Ok(n)
}

/// With a group: commits what was printed (when auto-commit is on, the default), then leaves.
async fn finish(mut consumer: Consumer, group: bool) -> Result<(), CliError> {
    let mut result = Ok(());
    if group && consumer.config().enable_auto_commit {
        if let Err(e) = consumer.commit().await {
            result = Err(CliError::new(format!("committing the offsets of what was printed: {e}")));
        }
    }
    let closed = consumer.close().await;
    result?;
    closed.map_err(|e| CliError::new(format!("leaving the group: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_positions_parse() {
        assert_eq!(parse_from("beginning"), Ok(StartAt::Beginning));
        assert_eq!(parse_from("earliest"), Ok(StartAt::Beginning));
        assert_eq!(parse_from("end"), Ok(StartAt::End));
        assert_eq!(parse_from("latest"), Ok(StartAt::End));
        assert_eq!(parse_from("0"), Ok(StartAt::Offset(0)));
        assert_eq!(parse_from("42"), Ok(StartAt::Offset(42)));
        assert_eq!(parse_from("-10"), Ok(StartAt::FromEnd(10)));
        assert_eq!(parse_from("@1700000000000"), Ok(StartAt::Timestamp(1_700_000_000_000)));
        assert_eq!(parse_from("s@5"), Ok(StartAt::Timestamp(5)));
        for bad in ["", "-0", "--1", "+3", "@", "@-5", "s@x", "begin", "1.5", "99999999999999999999"] {
            let e = parse_from(bad).unwrap_err();
            assert!(e.contains("not a start position"), "{bad}: {e}");
        }
        assert!(StartAt::FromEnd(1).is_explicit() && !StartAt::Beginning.is_explicit());
    }
}
