//! ListOffsets (being written).

use kafkit_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};

use crate::broker::RequestCtx;
use crate::cluster::Cluster;

pub(crate) fn handle(_c: &Cluster, _ctx: &RequestCtx, _r: ListOffsetsRequest) -> ListOffsetsResponse {
    ListOffsetsResponse::default()
}
