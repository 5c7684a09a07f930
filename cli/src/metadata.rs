//! `kafkit metadata`: the cluster's brokers (the controller marked), topics and partitions with
//! their leaders, replicas, in-sync replicas and offline replicas, like `kcat -L`.

use std::process::ExitCode;

use kafkit_client::{Metadata, PartitionInfo, TopicInfo};
use serde_json::{json, Value};

use crate::common::{self, AdminOptions, CliError, Global};

/// `kafkit metadata`'s options.
#[derive(Debug, clap::Args)]
#[command(after_long_help = JSON_SHAPE)]
pub struct Args {
    /// Only these topics (default: every topic). A topic named here that the cluster does not
    /// know is shown with its error, and the exit status is 1.
    #[arg(value_name = "TOPIC")]
    pub topics: Vec<String>,
    /// Print JSON (the shape is below, under --help).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub admin: AdminOptions,
}

/// The JSON shape, for `--help`.
const JSON_SHAPE: &str = "\
With --json, one object:
  {
    \"cluster_id\": \"...\" | null,
    \"controller_id\": 1 | null,
    \"brokers\": [ { \"id\": 1, \"host\": \"127.0.0.1\", \"port\": 9092, \"rack\": null, \"controller\": true } ],
    \"topics\": [ {
      \"name\": \"quotes\", \"topic_id\": \"base64\" | null, \"internal\": false, \"error\": null | \"UNKNOWN_TOPIC_OR_PARTITION\",
      \"partitions\": [ { \"partition\": 0, \"leader\": 1 | null, \"leader_epoch\": 0, \"replicas\": [1],
                        \"isr\": [1], \"offline_replicas\": [], \"error\": null | \"LEADER_NOT_AVAILABLE\" } ]
    } ]
  }
Brokers are sorted by id, topics by name, partitions by index.";

/// Runs `kafkit metadata`.
pub async fn run(global: &Global, args: Args) -> Result<ExitCode, CliError> {
    let admin = global.admin(&args.admin).await?;
    let names: Vec<&str> = args.topics.iter().map(String::as_str).collect();
    let wanted = (!names.is_empty()).then_some(&names[..]);
    let md = args.admin.run("fetching the metadata", admin.metadata(wanted)).await?;
    let topics = sorted_topics(&md);
    let failed = !names.is_empty() && topics.iter().any(|t| !t.error.is_ok());
    if args.json {
        common::print_json(&to_json(&md, &topics))?;
    } else {
        common::print(&to_text(&md, &topics, names.is_empty()))?;
    }
    admin.close().await;
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn sorted_topics(md: &Metadata) -> Vec<&TopicInfo> {
    let mut topics: Vec<&TopicInfo> = md.topics().collect();
    topics.sort_by(|a, b| a.name.cmp(&b.name));
    topics
}

/// The error's name, or `null`.
fn error_json(code: kafkit_client::protocol::ErrorCode) -> Value {
    if code.is_ok() {
        Value::Null
    } else {
        Value::from(code.name())
    }
}

fn partition_json(p: &PartitionInfo) -> Value {
    json!({
        "partition": p.partition,
        "leader": p.leader,
        "leader_epoch": p.leader_epoch,
        "replicas": p.replicas,
        "isr": p.isr,
        "offline_replicas": p.offline_replicas,
        "error": error_json(p.error),
    })
}

/// The document `--json` prints (its shape is [`JSON_SHAPE`]).
pub fn to_json(md: &Metadata, topics: &[&TopicInfo]) -> Value {
    json!({
        "cluster_id": md.cluster_id,
        "controller_id": md.controller,
        "brokers": md.brokers().map(|b| json!({
            "id": b.id,
            "host": b.host,
            "port": b.port,
            "rack": b.rack,
            "controller": md.controller == Some(b.id),
        })).collect::<Vec<_>>(),
        "topics": topics.iter().map(|t| json!({
            "name": t.name,
            "topic_id": (!t.topic_id.is_zero()).then(|| t.topic_id.to_string()),
            "internal": t.is_internal,
            "error": error_json(t.error),
            "partitions": t.partitions.iter().map(partition_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

fn ids(ids: &[i32]) -> String {
    ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The text `kafkit metadata` prints, in the manner of `kcat -L`.
fn to_text(md: &Metadata, topics: &[&TopicInfo], all: bool) -> String {
    let mut out = String::new();
    let cluster = md.cluster_id.as_deref().map(|c| format!(" of cluster {c}")).unwrap_or_default();
    out.push_str(&format!("Metadata{cluster} for {}:\n", if all { "all topics" } else { "the topics named" }));
    let brokers: Vec<_> = md.brokers().collect();
    out.push_str(&format!(" {}:\n", plural(brokers.len(), "broker", "brokers")));
    for b in brokers {
        let rack = b.rack.as_deref().map(|r| format!(" rack {r}")).unwrap_or_default();
        let controller = if md.controller == Some(b.id) { " (controller)" } else { "" };
        out.push_str(&format!("  broker {} at {}{rack}{controller}\n", b.id, b.addr()));
    }
    out.push_str(&format!(" {}:\n", plural(topics.len(), "topic", "topics")));
    for t in topics {
        let internal = if t.is_internal { " (internal)" } else { "" };
        if !t.error.is_ok() && t.partitions.is_empty() {
            out.push_str(&format!("  topic \"{}\"{internal}: error: {}\n", t.name, t.error));
            continue;
        }
        let error = if t.error.is_ok() { String::new() } else { format!(", error: {}", t.error) };
        out.push_str(&format!(
            "  topic \"{}\"{internal} with {}{error}:\n",
            t.name,
            plural(t.partitions.len(), "partition", "partitions")
        ));
        for p in &t.partitions {
            let leader = common::or_dash(p.leader);
            let offline = if p.offline_replicas.is_empty() {
                String::new()
            } else {
                format!(", offline: {}", ids(&p.offline_replicas))
            };
            let error = if p.error.is_ok() { String::new() } else { format!(", error: {}", p.error.name()) };
            out.push_str(&format!(
                "    partition {}, leader {leader}, replicas: {}, isrs: {}{offline}{error}\n",
                p.partition,
                ids(&p.replicas),
                ids(&p.isr)
            ));
        }
    }
    out
}
