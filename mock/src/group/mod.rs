//! The group coordinator: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
//! OffsetCommit, OffsetFetch, DescribeGroups, ListGroups, DeleteGroups, TxnOffsetCommit.
//!
//! (Being written: every handler answers COORDINATOR_NOT_AVAILABLE for now.)

use bytes::Bytes;
use kafkit_protocol::messages::*;
use kafkit_protocol::ErrorCode;

use crate::broker::RequestCtx;
use crate::cluster::{Cluster, Config};

/// The state of a consumer group, as Kafka's classic group coordinator names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupState {
    /// No members (offsets may be stored).
    Empty,
    /// Waiting for members to (re)join.
    PreparingRebalance,
    /// Joined; waiting for the leader's assignment.
    CompletingRebalance,
    /// Assigned and heartbeating.
    Stable,
    /// Deleted.
    Dead,
}

/// A member of a group.
#[derive(Debug, Clone)]
pub struct MemberInfo {
    /// The id the coordinator gave it.
    pub member_id: String,
    /// Its static id, if it uses static membership.
    pub group_instance_id: Option<String>,
    /// The client id of its requests.
    pub client_id: String,
    /// Its metadata (for consumers: the subscription) for the chosen protocol.
    pub metadata: Bytes,
    /// What the leader assigned to it.
    pub assignment: Bytes,
}

/// A snapshot of a group, for tests.
#[derive(Debug, Clone)]
pub struct GroupInfo {
    /// The group id.
    pub group_id: String,
    /// Its state.
    pub state: GroupState,
    /// Its generation.
    pub generation_id: i32,
    /// The protocol type (`"consumer"` for consumer groups).
    pub protocol_type: Option<String>,
    /// The chosen protocol (assignor name).
    pub protocol: Option<String>,
    /// The leader's member id.
    pub leader: Option<String>,
    /// The members.
    pub members: Vec<MemberInfo>,
}

/// Every group and its committed offsets.
pub(crate) struct Groups {}

impl Groups {
    pub fn new(_config: &Config) -> Self {
        Groups {}
    }

    pub fn info(&self, _group_id: &str) -> Option<GroupInfo> {
        None
    }

    pub fn committed(&self, _group_id: &str, _topic: &str, _partition: i32) -> Option<i64> {
        None
    }

    /// A broker went down: groups it coordinated move to another broker.
    pub fn broker_stopped(&self, _broker: i32) {}
}

const NA: i16 = ErrorCode::COORDINATOR_NOT_AVAILABLE.code();

pub(crate) fn find_coordinator(_c: &Cluster, _ctx: &RequestCtx, _r: FindCoordinatorRequest) -> FindCoordinatorResponse {
    FindCoordinatorResponse { error_code: NA, ..Default::default() }
}
pub(crate) async fn join_group(_c: &Cluster, _ctx: &RequestCtx, _r: JoinGroupRequest) -> JoinGroupResponse {
    JoinGroupResponse { error_code: NA, ..Default::default() }
}
pub(crate) async fn sync_group(_c: &Cluster, _ctx: &RequestCtx, _r: SyncGroupRequest) -> SyncGroupResponse {
    SyncGroupResponse { error_code: NA, ..Default::default() }
}
pub(crate) fn heartbeat(_c: &Cluster, _ctx: &RequestCtx, _r: HeartbeatRequest) -> HeartbeatResponse {
    HeartbeatResponse { error_code: NA, ..Default::default() }
}
pub(crate) fn leave_group(_c: &Cluster, _ctx: &RequestCtx, _r: LeaveGroupRequest) -> LeaveGroupResponse {
    LeaveGroupResponse { error_code: NA, ..Default::default() }
}
pub(crate) fn offset_commit(_c: &Cluster, _ctx: &RequestCtx, _r: OffsetCommitRequest) -> OffsetCommitResponse {
    OffsetCommitResponse::default()
}
pub(crate) fn offset_fetch(_c: &Cluster, _ctx: &RequestCtx, _r: OffsetFetchRequest) -> OffsetFetchResponse {
    OffsetFetchResponse { error_code: NA, ..Default::default() }
}
pub(crate) fn describe_groups(_c: &Cluster, _ctx: &RequestCtx, _r: DescribeGroupsRequest) -> DescribeGroupsResponse {
    DescribeGroupsResponse::default()
}
pub(crate) fn list_groups(_c: &Cluster, _ctx: &RequestCtx, _r: ListGroupsRequest) -> ListGroupsResponse {
    ListGroupsResponse { error_code: NA, ..Default::default() }
}
pub(crate) fn delete_groups(_c: &Cluster, _ctx: &RequestCtx, _r: DeleteGroupsRequest) -> DeleteGroupsResponse {
    DeleteGroupsResponse::default()
}
pub(crate) fn txn_offset_commit(
    _c: &Cluster,
    _ctx: &RequestCtx,
    _r: TxnOffsetCommitRequest,
) -> TxnOffsetCommitResponse {
    TxnOffsetCommitResponse::default()
}
