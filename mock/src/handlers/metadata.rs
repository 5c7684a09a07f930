//! Metadata: brokers that are up, topics with their partitions' leaders and epochs; unknown
//! topics are created when the request and the cluster allow it.

use kafkit_protocol::codec::Uuid;
use kafkit_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafkit_protocol::messages::{MetadataRequest, MetadataResponse};
use kafkit_protocol::{ApiKey, ErrorCode};

use crate::broker::RequestCtx;
use crate::cluster::Cluster;
use crate::state::{State, Topic};

pub(crate) fn handle(c: &Cluster, ctx: &RequestCtx, r: MetadataRequest) -> MetadataResponse {
    let injected = c.faults.error(ApiKey::Metadata, ctx.broker, None);
    let mut st = c.state.lock().unwrap();
    let up = st.up_brokers();
    let brokers = st
        .brokers
        .iter()
        .filter(|(_, b)| b.up)
        .map(|(id, b)| MetadataResponseBroker {
            node_id: *id,
            host: b.host.clone(),
            port: i32::from(b.port),
            rack: b.rack.clone(),
            ..Default::default()
        })
        .collect();
    // Before v4 a request always allows auto-creation (the field did not exist).
    let auto_create = c.config.auto_create_topics && (ctx.version < 4 || r.allow_auto_topic_creation);
    let topics = match &r.topics {
        // null (v1+) or an empty list at v0: all topics.
        None => st.topics.iter().map(|(name, t)| topic_entry(name, t, &up, None)).collect(),
        Some(list) if list.is_empty() && ctx.version == 0 => {
            st.topics.iter().map(|(name, t)| topic_entry(name, t, &up, None)).collect()
        }
        Some(list) => list
            .iter()
            .map(|req| match (&req.name, req.topic_id) {
                (Some(name), _) if !name.is_empty() => {
                    if !st.topics.contains_key(name) && auto_create && valid_topic_name(name) {
                        let replication = c.config.default_replication;
                        st.create_topic(name, c.config.default_partitions, replication);
                    }
                    match st.topics.get(name) {
                        Some(t) => topic_entry(name, t, &up, injected),
                        None => missing(Some(name.clone()), Uuid::ZERO, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION),
                    }
                }
                (_, id) => match lookup_id(&st, id) {
                    Some((name, t)) => topic_entry(&name, t, &up, injected),
                    None => missing(None, id, ErrorCode::UNKNOWN_TOPIC_ID),
                },
            })
            .collect(),
    };
    MetadataResponse {
        brokers,
        cluster_id: Some(st.cluster_id.clone()),
        controller_id: up.first().copied().unwrap_or(-1),
        topics,
        ..Default::default()
    }
}

fn lookup_id(st: &State, id: Uuid) -> Option<(String, &Topic)> {
    st.topic_by_id(id).map(|(n, t)| (n.clone(), t))
}

fn missing(name: Option<String>, id: Uuid, error: ErrorCode) -> MetadataResponseTopic {
    MetadataResponseTopic { error_code: error.code(), name, topic_id: id, ..Default::default() }
}

/// Kafka's rule: 1–249 characters of `[a-zA-Z0-9._-]`, not `.` or `..`.
pub(crate) fn valid_topic_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 249
        && name != "."
        && name != ".."
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
}

fn topic_entry(name: &str, t: &Topic, up: &[i32], injected: Option<ErrorCode>) -> MetadataResponseTopic {
    let partitions = t
        .partitions
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let error =
                if p.leader < 0 || !up.contains(&p.leader) { ErrorCode::LEADER_NOT_AVAILABLE } else { ErrorCode::NONE };
            let isr: Vec<i32> = p.replicas.iter().copied().filter(|r| up.contains(r)).collect();
            MetadataResponsePartition {
                error_code: error.code(),
                partition_index: i as i32,
                leader_id: p.leader,
                leader_epoch: p.leader_epoch,
                replica_nodes: p.replicas.clone(),
                offline_replicas: p.replicas.iter().copied().filter(|r| !up.contains(r)).collect(),
                isr_nodes: isr,
                ..Default::default()
            }
        })
        .collect();
    MetadataResponseTopic {
        error_code: injected.unwrap_or(ErrorCode::NONE).code(),
        name: Some(name.to_string()),
        topic_id: t.id,
        is_internal: name.starts_with("__"),
        partitions,
        ..Default::default()
    }
}
