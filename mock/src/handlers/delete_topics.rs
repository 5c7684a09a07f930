//! DeleteTopics (being written).

use kafkit_protocol::messages::{DeleteTopicsRequest, DeleteTopicsResponse};

use crate::broker::RequestCtx;
use crate::cluster::Cluster;

pub(crate) fn handle(_c: &Cluster, _ctx: &RequestCtx, _r: DeleteTopicsRequest) -> DeleteTopicsResponse {
    DeleteTopicsResponse::default()
}
