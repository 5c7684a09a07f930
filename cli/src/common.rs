//! What every command shares: the broker list, `--config key=value` settings, and the one
//! error type, printed as one line.

use std::fmt;
use std::future::Future;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use kafkit_client::admin::{Admin, Outcome};
use kafkit_client::consumer::ConsumerConfig;
use kafkit_client::{ClientConfig, ProducerConfig};

/// Options every command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct Global {
    /// Bootstrap brokers, comma-separated host:port.
    #[arg(short = 'b', long, env = "KAFKA_BROKERS", default_value = "localhost:9092", global = true)]
    pub brokers: String,
    /// Any client setting by its Java/librdkafka property name (`linger.ms=5`,
    /// `session.timeout.ms=6000`, `auto.offset.reset=earliest`, …); repeatable.
    /// A command's own flags win over these.
    #[arg(short = 'X', long = "config", value_name = "KEY=VALUE", value_parser = parse_key_value, global = true)]
    pub config: Vec<(String, String)>,
}

impl Global {
    /// The bootstrap brokers as a list.
    pub fn bootstrap(&self) -> Vec<String> {
        self.brokers.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
    }

    /// Client settings (connections, metadata): the brokers, then every `--config`.
    pub fn client_config(&self) -> Result<ClientConfig, CliError> {
        let mut config = ClientConfig::new(self.bootstrap());
        for (key, value) in &self.config {
            config.set(key, value)?;
        }
        Ok(config)
    }

    /// Producer settings: the brokers, then every `--config`; not yet validated, so that the
    /// command can apply its own flags before calling `validate`.
    pub fn producer_config(&self) -> Result<ProducerConfig, CliError> {
        let mut config = ProducerConfig::new(self.bootstrap());
        for (key, value) in &self.config {
            config.set(key, value)?;
        }
        Ok(config)
    }

    /// Consumer settings: the brokers, then every `--config`; not yet validated.
    /// Unlike a library consumer's, `allow.auto.create.topics` defaults to false (librdkafka's
    /// and kcat's default): reading a mistyped topic must not create it.
    pub fn consumer_config(&self) -> Result<ConsumerConfig, CliError> {
        let mut config = ConsumerConfig::new(self.bootstrap()).allow_auto_create_topics(false);
        for (key, value) in &self.config {
            config.set(key, value)?;
        }
        Ok(config)
    }
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_string(), value.to_string())),
        _ => Err(format!("expected KEY=VALUE (e.g. linger.ms=5), got `{s}`")),
    }
}

/// A command's failure: one line for the user, and the exit status.
#[derive(Debug)]
pub struct CliError {
    message: String,
}

impl CliError {
    /// A failure described by `message`.
    pub fn new(message: impl Into<String>) -> Self {
        CliError { message: message.into() }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<kafkit_client::Error> for CliError {
    fn from(e: kafkit_client::Error) -> Self {
        CliError::new(e.to_string())
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::new(format!("I/O error: {e}"))
    }
}

/// Prints what `done` says of each success (text ending in a newline) on standard output and
/// each failure as one line on standard error; the exit status: 1 if anything failed.
pub fn report<T>(outcomes: &[Outcome<T>], mut done: impl FnMut(&str, &T) -> String) -> Result<ExitCode, CliError> {
    let mut text = String::new();
    let mut failed = false;
    for o in outcomes {
        match &o.result {
            Ok(v) => text.push_str(&done(&o.name, v)),
            Err(e) => {
                failed = true;
                warn(e);
            }
        }
    }
    print(&text)?;
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Prints `error` as one line on standard error; the exit status for a failed command.
pub fn fail(error: &CliError) -> ExitCode {
    eprintln!("kafkit: error: {error}");
    ExitCode::from(1)
}

/// The options of the administration commands (`metadata`, `topics`, `groups`).
#[derive(Debug, Clone, clap::Args)]
pub struct AdminOptions {
    /// How long to wait for the cluster: to connect, and for each step of the command, its
    /// retries of retriable broker errors included (`500ms`, `30s`, `2m`; a bare number is
    /// seconds).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,
}

impl AdminOptions {
    /// Runs an admin operation, bounded: the admin client gives up at `--timeout` with an
    /// error naming what it was waiting for; this is the backstop a little after that.
    pub async fn run<T>(
        &self,
        what: &str,
        operation: impl Future<Output = kafkit_client::Result<T>>,
    ) -> Result<T, CliError> {
        Ok(bounded(self.timeout + Duration::from_secs(2), what, operation).await??)
    }
}

impl Global {
    /// An admin client connected to the brokers, with `options.timeout` as the limit of
    /// connecting and of each operation. An unreachable cluster is a one-line error within
    /// that time.
    pub async fn admin(&self, options: &AdminOptions) -> Result<Admin, CliError> {
        let mut config = self.client_config()?;
        config.connect_timeout = config.connect_timeout.min(options.timeout);
        config.request_timeout = config.request_timeout.min(options.timeout);
        let admin =
            bounded(options.timeout, &format!("connecting to {}", self.brokers), Admin::connect(config)).await??;
        Ok(admin.with_timeout(options.timeout))
    }
}

/// `future`, or a one-line error saying that `what` took longer than `limit`.
pub async fn bounded<T>(limit: Duration, what: &str, future: impl Future<Output = T>) -> Result<T, CliError> {
    tokio::time::timeout(limit, future).await.map_err(|_| {
        CliError::new(format!(
            "{what}: no answer within {}; check --brokers (or KAFKA_BROKERS) and that the cluster is up, or \
             raise --timeout",
            show_duration(limit)
        ))
    })
}

/// Parses `500ms`, `30s`, `2m`, `1h` or a bare number of seconds (`1.5`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let value: f64 = number.parse().map_err(|_| format!("expected a duration such as 500ms, 30s or 2m, got `{s}`"))?;
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("unknown unit `{other}` in `{s}`: use ms, s, m or h")),
    };
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("`{s}` is not a positive duration"))
}

/// A duration as a person writes it (`500ms`, `30s`, `1.5s`).
pub fn show_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}s", d.as_secs_f64())
    }
}

/// Writes `text` to standard output. A closed pipe (`kafkit topics list | head -1`) is not an
/// error: the reader has what it wanted.
pub fn print(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Writes `value` to standard output as pretty-printed JSON, with a final newline.
pub fn print_json(value: &serde_json::Value) -> Result<(), CliError> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| CliError::new(format!("writing JSON: {e}")))?;
    text.push('\n');
    print(&text)
}

/// Prints `error` as one line on standard error (for a failure that does not stop the
/// command, such as one topic of several).
pub fn warn(error: &dyn fmt::Display) {
    eprintln!("kafkit: error: {error}");
}

/// `rows` under `headers`, columns left-aligned to their widest cell, two spaces apart.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let header: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let pad = widths.get(i).copied().unwrap_or(0).saturating_sub(cell.chars().count());
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `-` for a value that is not known.
pub fn or_dash<T: fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_string(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").unwrap_err().contains("soon"));
        assert!(parse_duration("3 weeks").unwrap_err().contains("weeks"));
        assert!(parse_duration("1e309").is_err());
        assert_eq!(show_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(show_duration(Duration::from_secs(30)), "30s");
    }

    #[test]
    fn tables_align_columns() {
        let rows = vec![vec!["quotes".to_string(), "3".to_string()], vec!["t".to_string(), "12".to_string()]];
        assert_eq!(table(&["TOPIC", "PARTITIONS"], &rows), "TOPIC   PARTITIONS\nquotes  3\nt       12\n");
    }
}
