//! Produce (being written).

use kafkit_protocol::messages::{ProduceRequest, ProduceResponse};

use crate::broker::RequestCtx;
use crate::cluster::Cluster;

pub(crate) fn handle(_c: &Cluster, _ctx: &RequestCtx, _r: ProduceRequest) -> Option<ProduceResponse> {
    Some(ProduceResponse::default())
}
