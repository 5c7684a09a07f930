//! `kafkit`: the command-line tool — cluster metadata, produce from stdin, consume to stdout,
//! topic and group administration, and the end-to-end performance test. Built on
//! `kafkit-client`; it has no protocol code of its own.
#![forbid(unsafe_code)]

mod common;
mod consume;
mod groups;
mod interrupt;
mod metadata;
mod output;
mod perf;
mod produce;
mod progress;
mod topics;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A Kafka client on the command line, in pure Rust.
#[derive(Debug, Parser)]
#[command(name = "kafkit", version, about, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: common::Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Brokers, topics, partitions, leaders and replicas (like `kcat -L`).
    Metadata(metadata::Args),
    /// Produces one record per line of standard input.
    Produce(produce::Args),
    /// Consumes records and prints them, one per line.
    Consume(consume::Args),
    /// Lists, creates and deletes topics.
    #[command(subcommand)]
    Topics(topics::Command),
    /// Lists, describes and deletes consumer groups, and shows their offsets and lag.
    #[command(subcommand)]
    Groups(groups::Command),
    /// The end-to-end performance test: produce or consume N records and report the rates.
    #[command(subcommand)]
    Perf(perf::Command),
}

fn main() -> ExitCode {
    // A panic is a bug; still, the user gets one line, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("kafkit: internal error: {info}; please report this bug");
    }));
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return common::fail(&common::CliError::new(format!("cannot start the async runtime: {e}"))),
    };
    let result = runtime.block_on(async move {
        let global = cli.global;
        match cli.command {
            Command::Metadata(args) => metadata::run(&global, args).await,
            Command::Produce(args) => produce::run(&global, args).await,
            Command::Consume(args) => consume::run(&global, args).await,
            Command::Topics(cmd) => topics::run(&global, cmd).await,
            Command::Groups(cmd) => groups::run(&global, cmd).await,
            Command::Perf(cmd) => perf::run(&global, cmd).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => common::fail(&e),
    }
}
