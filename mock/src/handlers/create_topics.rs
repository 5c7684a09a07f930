//! CreateTopics (being written).

use kafkit_protocol::messages::{CreateTopicsRequest, CreateTopicsResponse};

use crate::broker::RequestCtx;
use crate::cluster::Cluster;

pub(crate) fn handle(_c: &Cluster, _ctx: &RequestCtx, _r: CreateTopicsRequest) -> CreateTopicsResponse {
    CreateTopicsResponse::default()
}
