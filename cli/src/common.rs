//! What every command shares: the broker list, `--config key=value` settings, and the one
//! error type, printed as one line.

use std::fmt;
use std::process::ExitCode;

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
    pub fn consumer_config(&self) -> Result<ConsumerConfig, CliError> {
        let mut config = ConsumerConfig::new(self.bootstrap());
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

/// Prints `error` as one line on standard error; the exit status for a failed command.
pub fn fail(error: &CliError) -> ExitCode {
    eprintln!("kafkit: error: {error}");
    ExitCode::from(1)
}
