//! ApiVersions: the APIs and versions the mock answers.

use kafkit_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse};
use kafkit_protocol::{ApiKey, ErrorCode};

use crate::broker::{supported_apis, RequestCtx};
use crate::cluster::Cluster;

pub(crate) fn handle(c: &Cluster, ctx: &RequestCtx, _r: ApiVersionsRequest) -> ApiVersionsResponse {
    let error = c.faults.error(ApiKey::ApiVersions, ctx.broker, None).unwrap_or(ErrorCode::NONE);
    ApiVersionsResponse { error_code: error.code(), api_keys: supported_apis(c), ..Default::default() }
}
