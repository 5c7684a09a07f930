//! ApiVersions (being written).

use kafkit_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse};

use crate::broker::RequestCtx;
use crate::cluster::Cluster;

pub(crate) fn handle(_c: &Cluster, _ctx: &RequestCtx, _r: ApiVersionsRequest) -> ApiVersionsResponse {
    ApiVersionsResponse::default()
}
