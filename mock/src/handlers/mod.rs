//! The broker side of each API: one file per API (or family), dispatched from here.

mod api_versions;
mod create_topics;
mod delete_topics;
mod fetch;
mod init_producer_id;
mod list_offsets;
mod metadata;
mod produce;
mod txn;

use kafkit_protocol::messages::{RequestBody, ResponseBody};
use kafkit_protocol::ApiKey;

use crate::broker::RequestCtx;
use crate::cluster::Cluster;
use crate::group;

/// The APIs the mock answers (listed in its ApiVersions response).
pub(crate) const HANDLED: &[ApiKey] = &[
    ApiKey::Produce,
    ApiKey::Fetch,
    ApiKey::ListOffsets,
    ApiKey::Metadata,
    ApiKey::OffsetCommit,
    ApiKey::OffsetFetch,
    ApiKey::FindCoordinator,
    ApiKey::JoinGroup,
    ApiKey::Heartbeat,
    ApiKey::LeaveGroup,
    ApiKey::SyncGroup,
    ApiKey::DescribeGroups,
    ApiKey::ListGroups,
    ApiKey::ApiVersions,
    ApiKey::CreateTopics,
    ApiKey::DeleteTopics,
    ApiKey::InitProducerId,
    ApiKey::AddPartitionsToTxn,
    ApiKey::AddOffsetsToTxn,
    ApiKey::EndTxn,
    ApiKey::TxnOffsetCommit,
    ApiKey::DeleteGroups,
];

/// Answers one request; `None` for requests that get no answer (acks=0 produce).
pub(crate) async fn handle(cluster: &Cluster, ctx: &RequestCtx, body: RequestBody) -> Option<ResponseBody> {
    Some(match body {
        RequestBody::ApiVersions(r) => ResponseBody::ApiVersions(api_versions::handle(cluster, ctx, r)),
        RequestBody::Metadata(r) => ResponseBody::Metadata(metadata::handle(cluster, ctx, r)),
        RequestBody::Produce(r) => ResponseBody::Produce(produce::handle(cluster, ctx, r)?),
        RequestBody::Fetch(r) => ResponseBody::Fetch(fetch::handle(cluster, ctx, r).await),
        RequestBody::ListOffsets(r) => ResponseBody::ListOffsets(list_offsets::handle(cluster, ctx, r)),
        RequestBody::CreateTopics(r) => ResponseBody::CreateTopics(create_topics::handle(cluster, ctx, r)),
        RequestBody::DeleteTopics(r) => ResponseBody::DeleteTopics(delete_topics::handle(cluster, ctx, r)),
        RequestBody::InitProducerId(r) => ResponseBody::InitProducerId(init_producer_id::handle(cluster, ctx, r)),
        RequestBody::AddPartitionsToTxn(r) => ResponseBody::AddPartitionsToTxn(txn::add_partitions(cluster, ctx, r)),
        RequestBody::AddOffsetsToTxn(r) => ResponseBody::AddOffsetsToTxn(txn::add_offsets(cluster, ctx, r)),
        RequestBody::EndTxn(r) => ResponseBody::EndTxn(txn::end_txn(cluster, ctx, r)),
        RequestBody::TxnOffsetCommit(r) => ResponseBody::TxnOffsetCommit(group::txn_offset_commit(cluster, ctx, r)),
        RequestBody::FindCoordinator(r) => ResponseBody::FindCoordinator(group::find_coordinator(cluster, ctx, r)),
        RequestBody::JoinGroup(r) => ResponseBody::JoinGroup(group::join_group(cluster, ctx, r).await),
        RequestBody::SyncGroup(r) => ResponseBody::SyncGroup(group::sync_group(cluster, ctx, r).await),
        RequestBody::Heartbeat(r) => ResponseBody::Heartbeat(group::heartbeat(cluster, ctx, r)),
        RequestBody::LeaveGroup(r) => ResponseBody::LeaveGroup(group::leave_group(cluster, ctx, r)),
        RequestBody::OffsetCommit(r) => ResponseBody::OffsetCommit(group::offset_commit(cluster, ctx, r)),
        RequestBody::OffsetFetch(r) => ResponseBody::OffsetFetch(group::offset_fetch(cluster, ctx, r)),
        RequestBody::DescribeGroups(r) => ResponseBody::DescribeGroups(group::describe_groups(cluster, ctx, r)),
        RequestBody::ListGroups(r) => ResponseBody::ListGroups(group::list_groups(cluster, ctx, r)),
        RequestBody::DeleteGroups(r) => ResponseBody::DeleteGroups(group::delete_groups(cluster, ctx, r)),
        other => {
            tracing::warn!(api = ?other.api_key(), "the mock does not implement this API");
            return None;
        }
    })
}

/// Sets `throttle_time_ms` on responses that have it.
pub(crate) fn set_throttle(resp: &mut ResponseBody, ms: i32) {
    match resp {
        ResponseBody::Produce(r) => r.throttle_time_ms = ms,
        ResponseBody::Fetch(r) => r.throttle_time_ms = ms,
        ResponseBody::ListOffsets(r) => r.throttle_time_ms = ms,
        ResponseBody::Metadata(r) => r.throttle_time_ms = ms,
        ResponseBody::ApiVersions(r) => r.throttle_time_ms = ms,
        ResponseBody::FindCoordinator(r) => r.throttle_time_ms = ms,
        ResponseBody::JoinGroup(r) => r.throttle_time_ms = ms,
        ResponseBody::SyncGroup(r) => r.throttle_time_ms = ms,
        ResponseBody::Heartbeat(r) => r.throttle_time_ms = ms,
        ResponseBody::LeaveGroup(r) => r.throttle_time_ms = ms,
        ResponseBody::OffsetCommit(r) => r.throttle_time_ms = ms,
        ResponseBody::OffsetFetch(r) => r.throttle_time_ms = ms,
        ResponseBody::InitProducerId(r) => r.throttle_time_ms = ms,
        ResponseBody::CreateTopics(r) => r.throttle_time_ms = ms,
        ResponseBody::DeleteTopics(r) => r.throttle_time_ms = ms,
        _ => {}
    }
}
