//! `kafkit topics list|create|delete`.

use std::process::ExitCode;

use kafkit_client::admin::{CreateTopicsOptions, NewTopic};
use serde_json::json;

use crate::common::{self, AdminOptions, CliError, Global};

/// `kafkit topics`'s subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Lists the topics with their partition counts and replication factors.
    #[command(after_long_help = LIST_JSON_SHAPE)]
    List {
        /// Print JSON (the shape is below, under --help).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        admin: AdminOptions,
    },
    /// Creates topics; each failure is reported, and the exit status is 1 if any failed.
    Create(CreateArgs),
    /// Deletes topics; each failure is reported, and the exit status is 1 if any failed.
    Delete {
        /// The topics to delete.
        #[arg(value_name = "NAME", required = true)]
        names: Vec<String>,
        #[command(flatten)]
        admin: AdminOptions,
    },
}

/// `kafkit topics create`'s options.
#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// The topics to create.
    #[arg(value_name = "NAME", required = true)]
    pub names: Vec<String>,
    /// Partitions per topic (default: the broker's num.partitions).
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..))]
    pub partitions: Option<i32>,
    /// Replicas per partition (default: the broker's default.replication.factor).
    #[arg(short, long, value_name = "R", value_parser = clap::value_parser!(i16).range(1..))]
    pub replication_factor: Option<i16>,
    /// A topic configuration entry (`cleanup.policy=compact`, `retention.ms=86400000`, …);
    /// repeatable. (`-X`/`--config` sets the client's own settings.)
    #[arg(long = "topic-config", value_name = "KEY=VALUE", value_parser = parse_entry)]
    pub topic_config: Vec<(String, String)>,
    /// Only check that the topics could be created; create nothing.
    #[arg(long)]
    pub validate_only: bool,
    #[command(flatten)]
    pub admin: AdminOptions,
}

/// The JSON shape of `topics list`, for `--help`.
const LIST_JSON_SHAPE: &str = "\
With --json, one object:
  { \"topics\": [ { \"name\": \"quotes\", \"partitions\": 3, \"replication_factor\": 2, \"internal\": false,
                  \"error\": null | \"LEADER_NOT_AVAILABLE\" } ] }
sorted by name; replication_factor is the largest replica count of its partitions.";

fn parse_entry(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_string(), value.to_string())),
        _ => Err(format!("expected KEY=VALUE (e.g. cleanup.policy=compact), got `{s}`")),
    }
}

/// Runs `kafkit topics`.
pub async fn run(global: &Global, cmd: Command) -> Result<ExitCode, CliError> {
    match cmd {
        Command::List { json, admin } => list(global, json, &admin).await,
        Command::Create(args) => create(global, args).await,
        Command::Delete { names, admin } => delete(global, names, &admin).await,
    }
}

async fn list(global: &Global, json: bool, options: &AdminOptions) -> Result<ExitCode, CliError> {
    let admin = global.admin(options).await?;
    let md = options.run("listing the topics", admin.metadata(None)).await?;
    let mut topics: Vec<_> = md.topics().collect();
    topics.sort_by(|a, b| a.name.cmp(&b.name));
    let replication = |t: &kafkit_client::TopicInfo| t.partitions.iter().map(|p| p.replicas.len()).max().unwrap_or(0);
    if json {
        let list: Vec<_> = topics
            .iter()
            .map(|t| {
                json!({
                    "name": t.name,
                    "partitions": t.partitions.len(),
                    "replication_factor": replication(t),
                    "internal": t.is_internal,
                    "error": (!t.error.is_ok()).then(|| t.error.name()),
                })
            })
            .collect();
        common::print_json(&json!({ "topics": list }))?;
    } else {
        let rows: Vec<Vec<String>> = topics
            .iter()
            .map(|t| {
                let mut notes = Vec::new();
                if t.is_internal {
                    notes.push("internal".to_string());
                }
                if !t.error.is_ok() {
                    notes.push(t.error.name().to_string());
                }
                vec![t.name.clone(), t.partitions.len().to_string(), replication(t).to_string(), notes.join(", ")]
            })
            .collect();
        common::print(&common::table(&["TOPIC", "PARTITIONS", "REPLICATION-FACTOR", ""], &rows))?;
    }
    admin.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn create(global: &Global, args: CreateArgs) -> Result<ExitCode, CliError> {
    let admin = global.admin(&args.admin).await?;
    let topics = args
        .names
        .iter()
        .map(|name| NewTopic {
            name: name.clone(),
            partitions: args.partitions,
            replication_factor: args.replication_factor,
            configs: args.topic_config.clone(),
        })
        .collect();
    let options = CreateTopicsOptions { validate_only: args.validate_only, timeout: Some(args.admin.timeout) };
    let outcomes = args.admin.run("creating topics", admin.create_topics(topics, &options)).await?;
    let verb = if args.validate_only { "would create" } else { "created" };
    let code = common::report(&outcomes, |name, t| {
        let partitions = t.partitions.map(|n| format!("{n} partitions")).unwrap_or("default partitions".into());
        let replication =
            t.replication_factor.map(|n| format!("replication factor {n}")).unwrap_or("default replication".into());
        format!("{verb} topic {name} ({partitions}, {replication})\n")
    })?;
    admin.close().await;
    Ok(code)
}

async fn delete(global: &Global, names: Vec<String>, options: &AdminOptions) -> Result<ExitCode, CliError> {
    let admin = global.admin(options).await?;
    let outcomes = options.run("deleting topics", admin.delete_topics(&names)).await?;
    let code = common::report(&outcomes, |name, ()| format!("deleted topic {name}\n"))?;
    admin.close().await;
    Ok(code)
}
