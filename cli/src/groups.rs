//! `kafkit groups` (to be written).

use std::process::ExitCode;

use crate::common::{CliError, Global};

/// `kafkit groups`'s subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// To be written.
    Todo,
}

/// Runs `kafkit groups`.
pub async fn run(_global: &Global, _cmd: Command) -> Result<ExitCode, CliError> {
    Err(CliError::new("not written yet"))
}
