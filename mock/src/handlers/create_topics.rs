//! CreateTopics.

use kafkit_protocol::messages::create_topics_response::CreatableTopicResult;
use kafkit_protocol::messages::{CreateTopicsRequest, CreateTopicsResponse};
use kafkit_protocol::{ApiKey, ErrorCode};

use super::metadata::valid_topic_name;
use crate::broker::RequestCtx;
use crate::cluster::Cluster;

pub(crate) fn handle(c: &Cluster, ctx: &RequestCtx, r: CreateTopicsRequest) -> CreateTopicsResponse {
    let mut st = c.state.lock().unwrap();
    let brokers = st.brokers.len();
    let topics = r
        .topics
        .iter()
        .map(|t| {
            let fail = |e: ErrorCode, msg: String| CreatableTopicResult {
                name: t.name.clone(),
                error_code: e.code(),
                error_message: Some(msg),
                ..Default::default()
            };
            if let Some(e) = c.faults.error(ApiKey::CreateTopics, ctx.broker, None) {
                return fail(e, format!("injected {}", e.name()));
            }
            if !valid_topic_name(&t.name) {
                return fail(ErrorCode::INVALID_TOPIC_EXCEPTION, format!("invalid topic name {:?}", t.name));
            }
            if st.topics.contains_key(&t.name) {
                return fail(ErrorCode::TOPIC_ALREADY_EXISTS, format!("topic {} already exists", t.name));
            }
            let partitions = match (t.num_partitions, t.assignments.len()) {
                (-1, 0) => c.config.default_partitions as i32,
                (_, n) if n > 0 => n as i32,
                (n, _) => n,
            };
            if partitions <= 0 {
                return fail(ErrorCode::INVALID_PARTITIONS, format!("{partitions} partitions"));
            }
            let replication = match t.replication_factor {
                -1 => c.config.default_replication.min(brokers) as i16,
                n => n,
            };
            if replication <= 0 || replication as usize > brokers {
                return fail(
                    ErrorCode::INVALID_REPLICATION_FACTOR,
                    format!("replication factor {replication} with {brokers} brokers"),
                );
            }
            let id = if r.validate_only {
                Default::default()
            } else {
                let topic = st.create_topic(&t.name, partitions as usize, replication as usize);
                topic.id
            };
            if !r.validate_only {
                let topic = st.topics.get_mut(&t.name).unwrap();
                for cfg in &t.configs {
                    if let Some(v) = &cfg.value {
                        topic.configs.insert(cfg.name.clone(), v.clone());
                    }
                }
            }
            CreatableTopicResult {
                name: t.name.clone(),
                topic_id: id,
                num_partitions: partitions,
                replication_factor: replication,
                configs: Some(Vec::new()),
                ..Default::default()
            }
        })
        .collect();
    CreateTopicsResponse { topics, ..Default::default() }
}
