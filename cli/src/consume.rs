//! `kafkit consume` (to be written).

use std::process::ExitCode;

use crate::common::{CliError, Global};

/// `kafkit consume`'s options.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `kafkit consume`.
pub async fn run(_global: &Global, _args: Args) -> Result<ExitCode, CliError> {
    Err(CliError::new("not written yet"))
}
