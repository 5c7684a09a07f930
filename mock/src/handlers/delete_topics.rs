//! DeleteTopics, by name (v0–v5) or by name or id (v6+).

use kafkit_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafkit_protocol::messages::{DeleteTopicsRequest, DeleteTopicsResponse};
use kafkit_protocol::{ApiKey, ErrorCode};

use crate::broker::RequestCtx;
use crate::cluster::Cluster;

pub(crate) fn handle(c: &Cluster, ctx: &RequestCtx, r: DeleteTopicsRequest) -> DeleteTopicsResponse {
    let mut st = c.state.lock().unwrap();
    let wanted: Vec<(Option<String>, kafkit_protocol::codec::Uuid)> = if ctx.version >= 6 {
        r.topics.iter().map(|t| (t.name.clone(), t.topic_id)).collect()
    } else {
        r.topic_names.iter().map(|n| (Some(n.clone()), Default::default())).collect()
    };
    let responses = wanted
        .into_iter()
        .map(|(name, id)| {
            let name = name.filter(|n| !n.is_empty()).or_else(|| st.topic_by_id(id).map(|(n, _)| n.clone()));
            let error = if let Some(e) = c.faults.error(ApiKey::DeleteTopics, ctx.broker, None) {
                e
            } else {
                match name.as_ref().and_then(|n| st.topics.remove(n)) {
                    Some(_) => ErrorCode::NONE,
                    None if id.is_zero() => ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
                    None => ErrorCode::UNKNOWN_TOPIC_ID,
                }
            };
            DeletableTopicResult { name, topic_id: id, error_code: error.code(), ..Default::default() }
        })
        .collect();
    DeleteTopicsResponse { responses, ..Default::default() }
}
