//! Metadata (being written).

use kafkit_protocol::messages::{MetadataRequest, MetadataResponse};

use crate::broker::RequestCtx;
use crate::cluster::Cluster;

pub(crate) fn handle(_c: &Cluster, _ctx: &RequestCtx, _r: MetadataRequest) -> MetadataResponse {
    MetadataResponse::default()
}
