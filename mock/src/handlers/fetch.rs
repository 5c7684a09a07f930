//! Fetch (being written).

use kafkit_protocol::messages::{FetchRequest, FetchResponse};

use crate::broker::RequestCtx;
use crate::cluster::Cluster;

pub(crate) async fn handle(_c: &Cluster, _ctx: &RequestCtx, _r: FetchRequest) -> FetchResponse {
    FetchResponse::default()
}
