//! `kafkit perf` (to be written).

use std::process::ExitCode;

use crate::common::{CliError, Global};

/// `kafkit perf`'s subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// To be written.
    Todo,
}

/// Runs `kafkit perf`.
pub async fn run(_global: &Global, _cmd: Command) -> Result<ExitCode, CliError> {
    Err(CliError::new("not written yet"))
}
