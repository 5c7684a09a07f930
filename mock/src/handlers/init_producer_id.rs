//! InitProducerId (being written).

use kafkit_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse};

use crate::broker::RequestCtx;
use crate::cluster::Cluster;

pub(crate) fn handle(_c: &Cluster, _ctx: &RequestCtx, _r: InitProducerIdRequest) -> InitProducerIdResponse {
    InitProducerIdResponse::default()
}
