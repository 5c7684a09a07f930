//! `kafkit produce` (to be written).

use std::process::ExitCode;

use crate::common::{CliError, Global};

/// `kafkit produce`'s options.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `kafkit produce`.
pub async fn run(_global: &Global, _args: Args) -> Result<ExitCode, CliError> {
    Err(CliError::new("not written yet"))
}
