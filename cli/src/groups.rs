//! `kafkit groups list|describe|offsets|delete`.

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;

use kafkit_client::admin::{Admin, GroupDescription, OffsetSpec};
use kafkit_client::consumer::{OffsetAndMetadata, TopicPartition};
use kafkit_client::protocol::ErrorCode;
use serde_json::{json, Value};

use crate::common::{self, AdminOptions, CliError, Global};

/// `kafkit groups`'s subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Lists the consumer groups of every broker.
    #[command(after_long_help = LIST_JSON_SHAPE)]
    List {
        /// Print JSON (the shape is below, under --help).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        admin: AdminOptions,
    },
    /// Describes groups: state, protocol, members and the partitions assigned to them.
    #[command(after_long_help = DESCRIBE_JSON_SHAPE)]
    Describe {
        /// The groups to describe.
        #[arg(value_name = "GROUP", required = true)]
        groups: Vec<String>,
        /// Print JSON (the shape is below, under --help).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        admin: AdminOptions,
    },
    /// A group's committed offset, log end offset and lag per partition (like
    /// `kafka-consumer-groups --describe`).
    #[command(after_long_help = OFFSETS_JSON_SHAPE)]
    Offsets {
        /// The group.
        #[arg(value_name = "GROUP")]
        group: String,
        /// Print JSON (the shape is below, under --help).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        admin: AdminOptions,
    },
    /// Deletes groups that have no members, with their committed offsets.
    Delete {
        /// The groups to delete.
        #[arg(value_name = "GROUP", required = true)]
        groups: Vec<String>,
        #[command(flatten)]
        admin: AdminOptions,
    },
}

const LIST_JSON_SHAPE: &str = "\
With --json, one object:
  { \"groups\": [ { \"group_id\": \"readers\", \"protocol_type\": \"consumer\", \"state\": \"Stable\" | null,
                  \"coordinator\": 1 } ] }
sorted by group id; state is null when the broker does not report it (ListGroups before v4).";

const DESCRIBE_JSON_SHAPE: &str = "\
With --json, one object:
  { \"groups\": [ { \"group_id\": \"readers\", \"error\": null | \"GROUP_ID_NOT_FOUND\", \"error_message\": null | \"...\",
                  \"state\": \"Stable\", \"protocol_type\": \"consumer\", \"protocol\": \"range\", \"coordinator\": 1 | null,
                  \"members\": [ { \"member_id\": \"...\", \"group_instance_id\": null, \"client_id\": \"...\", \"host\": \"...\",
                                 \"subscription\": [\"quotes\"] | null,
                                 \"assignment\": [ { \"topic\": \"quotes\", \"partition\": 0 } ] | null } ] } ] }
in the order given; a group that failed has its error and no other field. subscription and assignment are null
unless the protocol type is \"consumer\" and the group is Stable.";

const OFFSETS_JSON_SHAPE: &str = "\
With --json, one object:
  { \"group_id\": \"readers\", \"state\": \"Stable\" | null,
    \"partitions\": [ { \"topic\": \"quotes\", \"partition\": 0, \"committed_offset\": 40 | null, \"metadata\": \"\" | null,
                      \"log_end_offset\": 42 | null, \"lag\": 2 | null,
                      \"member_id\": \"...\" | null, \"client_id\": \"...\" | null, \"host\": \"...\" | null } ] }
Partitions are those with a committed offset and those assigned to a member, sorted. committed_offset is null for a
partition assigned but never committed; log_end_offset is null for a partition that no longer exists; lag is
log_end_offset - committed_offset when both are known.";

/// Runs `kafkit groups`.
pub async fn run(global: &Global, cmd: Command) -> Result<ExitCode, CliError> {
    match cmd {
        Command::List { json, admin } => list(global, json, &admin).await,
        Command::Describe { groups, json, admin } => describe(global, &groups, json, &admin).await,
        Command::Offsets { group, json, admin } => offsets(global, &group, json, &admin).await,
        Command::Delete { groups, admin } => delete(global, &groups, &admin).await,
    }
}

async fn list(global: &Global, json: bool, options: &AdminOptions) -> Result<ExitCode, CliError> {
    let admin = global.admin(options).await?;
    let groups = options.run("listing the groups", admin.list_groups()).await?;
    if json {
        let list: Vec<Value> = groups
            .iter()
            .map(|g| {
                json!({
                    "group_id": g.group_id,
                    "protocol_type": g.protocol_type,
                    "state": g.state,
                    "coordinator": g.coordinator,
                })
            })
            .collect();
        common::print_json(&json!({ "groups": list }))?;
    } else {
        let rows: Vec<Vec<String>> = groups
            .iter()
            .map(|g| {
                vec![
                    g.group_id.clone(),
                    common::or_dash(g.state.as_ref()),
                    common::or_dash((!g.protocol_type.is_empty()).then_some(&g.protocol_type)),
                    g.coordinator.to_string(),
                ]
            })
            .collect();
        common::print(&common::table(&["GROUP", "STATE", "PROTOCOL-TYPE", "COORDINATOR"], &rows))?;
    }
    admin.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `quotes[0,1] trades[3]`.
fn show_partitions(partitions: &[TopicPartition]) -> String {
    let mut by_topic: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for tp in partitions {
        by_topic.entry(&tp.topic).or_default().push(tp.partition.to_string());
    }
    by_topic.into_iter().map(|(t, ps)| format!("{t}[{}]", ps.join(","))).collect::<Vec<_>>().join(" ")
}

fn description_json(g: &GroupDescription) -> Value {
    json!({
        "group_id": g.group_id,
        "error": null,
        "error_message": null,
        "state": g.state,
        "protocol_type": g.protocol_type,
        "protocol": g.protocol,
        "coordinator": g.coordinator,
        "members": g.members.iter().map(|m| json!({
            "member_id": m.member_id,
            "group_instance_id": m.group_instance_id,
            "client_id": m.client_id,
            "host": m.client_host,
            "subscription": m.subscription,
            "assignment": m.assignment.as_ref().map(|a| a.iter()
                .map(|tp| json!({ "topic": &*tp.topic, "partition": tp.partition }))
                .collect::<Vec<_>>()),
        })).collect::<Vec<_>>(),
    })
}

fn description_text(g: &GroupDescription) -> String {
    let protocol = match (g.protocol_type.is_empty(), g.protocol.is_empty()) {
        (true, _) => String::new(),
        (false, true) => format!(", protocol type {}", g.protocol_type),
        (false, false) => format!(", protocol {}/{}", g.protocol_type, g.protocol),
    };
    let coordinator = g.coordinator.map(|c| format!(", coordinator {c}")).unwrap_or_default();
    let members = match g.members.len() {
        1 => "1 member".to_string(),
        n => format!("{n} members"),
    };
    let mut out = format!("group {}: {}{protocol}{coordinator}, {members}\n", g.group_id, g.state);
    if !g.members.is_empty() {
        let rows: Vec<Vec<String>> = g
            .members
            .iter()
            .map(|m| {
                vec![
                    m.member_id.clone(),
                    common::or_dash(m.group_instance_id.as_ref()),
                    common::or_dash((!m.client_id.is_empty()).then_some(&m.client_id)),
                    common::or_dash((!m.client_host.is_empty()).then_some(&m.client_host)),
                    m.assignment.as_deref().map_or_else(|| "-".to_string(), show_partitions),
                ]
            })
            .collect();
        for line in common::table(&["MEMBER-ID", "INSTANCE-ID", "CLIENT-ID", "HOST", "ASSIGNMENT"], &rows).lines() {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

async fn describe(
    global: &Global,
    groups: &[String],
    json: bool,
    options: &AdminOptions,
) -> Result<ExitCode, CliError> {
    let admin = global.admin(options).await?;
    let described = options.run("describing the groups", admin.describe_groups(groups)).await?;
    let mut failed = false;
    if json {
        let list: Vec<Value> = described
            .iter()
            .map(|o| match &o.result {
                Ok(g) => description_json(g),
                Err(e) => {
                    failed = true;
                    json!({
                        "group_id": o.name,
                        "error": e.code().map_or("ERROR", ErrorCode::name),
                        "error_message": e.to_string(),
                    })
                }
            })
            .collect();
        common::print_json(&json!({ "groups": list }))?;
        admin.close().await;
        Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
    } else {
        let code = common::report(&described, |_, g| description_text(g))?;
        admin.close().await;
        Ok(code)
    }
}

/// One line of `groups offsets`.
struct Row {
    partition: TopicPartition,
    committed: Option<OffsetAndMetadata>,
    log_end: Option<i64>,
    member: Option<(String, String, String)>,
}

impl Row {
    fn lag(&self) -> Option<i64> {
        Some(self.log_end?.saturating_sub(self.committed.as_ref()?.offset))
    }
}

/// The log end offsets of `partitions` that still exist (one lookup for those; a deleted
/// topic's partitions have none).
async fn log_end_offsets(
    admin: &Admin,
    options: &AdminOptions,
    partitions: &BTreeSet<TopicPartition>,
) -> Result<BTreeMap<TopicPartition, i64>, CliError> {
    let topics: BTreeSet<&str> = partitions.iter().map(|tp| &*tp.topic).collect();
    if topics.is_empty() {
        return Ok(BTreeMap::new());
    }
    let names: Vec<&str> = topics.into_iter().collect();
    let md = options.run("fetching the group's topics", admin.metadata(Some(&names))).await?;
    let existing: Vec<TopicPartition> = partitions
        .iter()
        .filter(|tp| md.topic(&tp.topic).is_some_and(|t| t.error.is_ok() && t.partition(tp.partition).is_some()))
        .cloned()
        .collect();
    let found = options.run("listing the log end offsets", admin.list_offsets(&existing, OffsetSpec::Latest)).await?;
    Ok(found.into_iter().map(|(tp, o)| (tp, o.offset)).collect())
}

async fn offsets(global: &Global, group: &str, json: bool, options: &AdminOptions) -> Result<ExitCode, CliError> {
    let admin = global.admin(options).await?;
    let committed = options.run("fetching the committed offsets", admin.list_group_offsets(group)).await?;
    let described = options.run("describing the group", admin.describe_groups(&[group])).await?;
    let description = match described.into_iter().next().map(|o| o.result) {
        Some(Ok(d)) => Some(d),
        Some(Err(e)) if e.code() == Some(ErrorCode::GROUP_ID_NOT_FOUND) => {
            if committed.is_empty() {
                return Err(CliError::new(format!(
                    "group {group} does not exist (no members and no committed offsets); `kafkit groups list` \
                     lists the groups"
                )));
            }
            None
        }
        Some(Err(e)) => return Err(e.into()),
        None => None,
    };
    let mut members: BTreeMap<TopicPartition, (String, String, String)> = BTreeMap::new();
    for m in description.iter().flat_map(|d| &d.members) {
        for tp in m.assignment.iter().flatten() {
            members.insert(tp.clone(), (m.member_id.clone(), m.client_id.clone(), m.client_host.clone()));
        }
    }
    let partitions: BTreeSet<TopicPartition> = committed.keys().chain(members.keys()).cloned().collect();
    let log_end = log_end_offsets(&admin, options, &partitions).await?;
    let rows: Vec<Row> = partitions
        .into_iter()
        .map(|tp| Row {
            committed: committed.get(&tp).cloned(),
            log_end: log_end.get(&tp).copied(),
            member: members.get(&tp).cloned(),
            partition: tp,
        })
        .collect();
    let state = description.as_ref().map(|d| d.state.clone());
    if json {
        let list: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({
                    "topic": &*r.partition.topic,
                    "partition": r.partition.partition,
                    "committed_offset": r.committed.as_ref().map(|c| c.offset),
                    "metadata": r.committed.as_ref().map(|c| c.metadata.clone()),
                    "log_end_offset": r.log_end,
                    "lag": r.lag(),
                    "member_id": r.member.as_ref().map(|m| m.0.clone()),
                    "client_id": r.member.as_ref().map(|m| m.1.clone()),
                    "host": r.member.as_ref().map(|m| m.2.clone()),
                })
            })
            .collect();
        common::print_json(&json!({ "group_id": group, "state": state, "partitions": list }))?;
    } else {
        let mut text = format!("group {group}: {}\n", state.as_deref().unwrap_or("no members"));
        if rows.is_empty() {
            text.push_str("no committed offsets and no assigned partitions\n");
        } else {
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    let dash = |s: &String| common::or_dash((!s.is_empty()).then_some(s));
                    vec![
                        r.partition.topic.to_string(),
                        r.partition.partition.to_string(),
                        common::or_dash(r.committed.as_ref().map(|c| c.offset)),
                        common::or_dash(r.log_end),
                        common::or_dash(r.lag()),
                        r.member.as_ref().map_or_else(|| "-".to_string(), |m| dash(&m.0)),
                        r.member.as_ref().map_or_else(|| "-".to_string(), |m| dash(&m.2)),
                        r.member.as_ref().map_or_else(|| "-".to_string(), |m| dash(&m.1)),
                    ]
                })
                .collect();
            text.push_str(&common::table(
                &["TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"],
                &cells,
            ));
        }
        common::print(&text)?;
    }
    admin.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn delete(global: &Global, groups: &[String], options: &AdminOptions) -> Result<ExitCode, CliError> {
    let admin = global.admin(options).await?;
    let outcomes = options.run("deleting the groups", admin.delete_groups(groups)).await?;
    let code = common::report(&outcomes, |name, ()| format!("deleted group {name}\n"))?;
    admin.close().await;
    Ok(code)
}
