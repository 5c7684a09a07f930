//! FindCoordinator, the group-membership APIs (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) and
//! the group admin APIs (DescribeGroups, ListGroups, DeleteGroups).

use std::collections::hash_map::Entry;
use std::time::Duration;

use bytes::Bytes;
use kafkit_protocol::messages::delete_groups_response::DeletableGroupResult;
use kafkit_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafkit_protocol::messages::find_coordinator_response::Coordinator;
use kafkit_protocol::messages::leave_group_request::MemberIdentity;
use kafkit_protocol::messages::leave_group_response::MemberResponse;
use kafkit_protocol::messages::list_groups_response::ListedGroup;
use kafkit_protocol::messages::*;
use kafkit_protocol::{ApiKey, ErrorCode};

use super::coordinator::{Brokers, KEY_GROUP, KEY_TRANSACTION};
use super::state::{join_error, sync_error, Group, JoinParams, Phase, Reply};
use super::GroupState;
use crate::broker::RequestCtx;
use crate::cluster::Cluster;

/// The client host DescribeGroups reports: every connection is on loopback.
const CLIENT_HOST: &str = "/127.0.0.1";

/// The `authorized_operations` of a group when asked for: READ, DELETE and DESCRIBE (no ACLs).
const GROUP_OPERATIONS: i32 = (1 << 3) | (1 << 6) | (1 << 8);

/// FindCoordinator: the broker coordinating each key (v4+: several keys).
pub(crate) fn find_coordinator(c: &Cluster, ctx: &RequestCtx, r: FindCoordinatorRequest) -> FindCoordinatorResponse {
    let injected = c.faults.error(ApiKey::FindCoordinator, ctx.broker, None);
    let keys = if ctx.version >= 4 { r.coordinator_keys } else { vec![r.key] };
    let brokers = Brokers::read(c);
    let mut found: Vec<Coordinator> = Vec::with_capacity(keys.len());
    {
        let mut inner = c.groups.core.lock();
        for key in keys {
            let node = match injected {
                Some(e) => Err(e),
                None if r.key_type != KEY_GROUP && r.key_type != KEY_TRANSACTION => Err(ErrorCode::INVALID_REQUEST),
                None => inner.coordinator(&brokers, r.key_type, &key).ok_or(ErrorCode::COORDINATOR_NOT_AVAILABLE),
            };
            found.push(
                match node.and_then(|id| brokers.addr(id).map(|a| (id, a)).ok_or(ErrorCode::UNKNOWN_SERVER_ERROR)) {
                    Ok((node_id, (host, port))) => {
                        Coordinator { key, node_id, host: host.clone(), port: i32::from(*port), ..Default::default() }
                    }
                    Err(e) => Coordinator {
                        key,
                        node_id: -1,
                        port: -1,
                        error_code: e.code(),
                        error_message: Some(e.description().to_string()),
                        ..Default::default()
                    },
                },
            );
        }
    }
    if ctx.version >= 4 {
        return FindCoordinatorResponse { coordinators: found, ..Default::default() };
    }
    let one = found.pop().unwrap_or_default();
    FindCoordinatorResponse {
        error_code: one.error_code,
        error_message: one.error_message,
        node_id: one.node_id,
        host: one.host,
        port: one.port,
        ..Default::default()
    }
}

/// A session timeout in the accepted range, or None.
fn session_timeout(c: &Cluster, ms: i32) -> Option<Duration> {
    let t = Duration::from_millis(u64::try_from(ms).ok()?);
    let cfg = &c.groups.core.cx.config;
    (cfg.min_session_timeout..=cfg.max_session_timeout).contains(&t).then_some(t)
}

/// JoinGroup: answered when the rebalance completes (or at once with an error,
/// MEMBER_ID_REQUIRED, or the current generation).
pub(crate) async fn join_group(c: &Cluster, ctx: &RequestCtx, r: JoinGroupRequest) -> JoinGroupResponse {
    let member_id = r.member_id.clone();
    let mut resp = match join_reply(c, ctx, r) {
        Reply::Now(resp) => resp,
        Reply::Later(rx) => rx.await.unwrap_or_else(|_| join_error(&member_id, ErrorCode::COORDINATOR_NOT_AVAILABLE)),
    };
    if ctx.version < 7 && resp.protocol_name.is_none() {
        // Not nullable before v7.
        resp.protocol_name = Some(String::new());
    }
    resp
}

fn join_reply(c: &Cluster, ctx: &RequestCtx, r: JoinGroupRequest) -> Reply<JoinGroupResponse> {
    if let Some(e) = c.faults.error(ApiKey::JoinGroup, ctx.broker, None) {
        return Reply::Now(join_error(&r.member_id, e));
    }
    if r.group_id.is_empty() {
        return Reply::Now(join_error(&r.member_id, ErrorCode::INVALID_GROUP_ID));
    }
    let brokers = Brokers::read(c);
    let core = &c.groups.core;
    let mut inner = core.lock();
    if let Err(e) = inner.check_coordinator(&brokers, ctx.broker, &r.group_id) {
        return Reply::Now(join_error(&r.member_id, e));
    }
    let Some(session) = session_timeout(c, r.session_timeout_ms) else {
        return Reply::Now(join_error(&r.member_id, ErrorCode::INVALID_SESSION_TIMEOUT));
    };
    // v0 has no rebalance timeout: the session timeout is used.
    let rebalance = u64::try_from(r.rebalance_timeout_ms).map_or(session, Duration::from_millis);
    let group = match inner.groups.entry(r.group_id) {
        Entry::Occupied(e) => e.into_mut(),
        Entry::Vacant(e) if r.member_id.is_empty() => {
            let g = Group::new(e.key());
            e.insert(g)
        }
        Entry::Vacant(_) => return Reply::Now(join_error(&r.member_id, ErrorCode::UNKNOWN_MEMBER_ID)),
    };
    group.join(
        &core.cx,
        JoinParams {
            member_id: r.member_id,
            group_instance_id: r.group_instance_id,
            client_id: ctx.client_id.clone(),
            session_timeout: session,
            rebalance_timeout: rebalance,
            protocol_type: r.protocol_type,
            protocols: r.protocols.into_iter().map(|p| (p.name, p.metadata)).collect(),
            require_known_member_id: ctx.version >= 4,
            supports_skip_assignment: ctx.version >= 9,
        },
    )
}

/// SyncGroup: the leader's carries the assignment; followers wait for it.
pub(crate) async fn sync_group(c: &Cluster, ctx: &RequestCtx, r: SyncGroupRequest) -> SyncGroupResponse {
    match sync_reply(c, ctx, r) {
        Reply::Now(resp) => resp,
        Reply::Later(rx) => rx.await.unwrap_or_else(|_| sync_error(ErrorCode::REBALANCE_IN_PROGRESS)),
    }
}

fn sync_reply(c: &Cluster, ctx: &RequestCtx, r: SyncGroupRequest) -> Reply<SyncGroupResponse> {
    if let Some(e) = c.faults.error(ApiKey::SyncGroup, ctx.broker, None) {
        return Reply::Now(sync_error(e));
    }
    if r.group_id.is_empty() {
        return Reply::Now(sync_error(ErrorCode::INVALID_GROUP_ID));
    }
    let brokers = Brokers::read(c);
    let core = &c.groups.core;
    let mut inner = core.lock();
    if let Err(e) = inner.check_coordinator(&brokers, ctx.broker, &r.group_id) {
        return Reply::Now(sync_error(e));
    }
    let Some(group) = inner.groups.get_mut(&r.group_id) else {
        return Reply::Now(sync_error(ErrorCode::UNKNOWN_MEMBER_ID));
    };
    if let Err(e) = group.validate_member(&r.member_id, r.group_instance_id.as_deref()) {
        return Reply::Now(sync_error(e));
    }
    if r.generation_id != group.generation {
        return Reply::Now(sync_error(ErrorCode::ILLEGAL_GENERATION));
    }
    let type_differs = r.protocol_type.is_some() && r.protocol_type != group.protocol_type;
    let name_differs = r.protocol_name.is_some() && r.protocol_name != group.protocol;
    if type_differs || name_differs {
        return Reply::Now(sync_error(ErrorCode::INCONSISTENT_GROUP_PROTOCOL));
    }
    let assignments: Vec<(String, Bytes)> = r.assignments.into_iter().map(|a| (a.member_id, a.assignment)).collect();
    group.sync(&core.cx, &r.member_id, assignments)
}

/// Heartbeat: keeps a member's session; REBALANCE_IN_PROGRESS tells it to rejoin.
pub(crate) fn heartbeat(c: &Cluster, ctx: &RequestCtx, r: HeartbeatRequest) -> HeartbeatResponse {
    let error = heartbeat_error(c, ctx, r);
    HeartbeatResponse { error_code: error.code(), ..Default::default() }
}

fn heartbeat_error(c: &Cluster, ctx: &RequestCtx, r: HeartbeatRequest) -> ErrorCode {
    if let Some(e) = c.faults.error(ApiKey::Heartbeat, ctx.broker, None) {
        return e;
    }
    if r.group_id.is_empty() {
        return ErrorCode::INVALID_GROUP_ID;
    }
    let brokers = Brokers::read(c);
    let core = &c.groups.core;
    let mut inner = core.lock();
    if let Err(e) = inner.check_coordinator(&brokers, ctx.broker, &r.group_id) {
        return e;
    }
    let Some(group) = inner.groups.get_mut(&r.group_id) else { return ErrorCode::UNKNOWN_MEMBER_ID };
    if let Err(e) = group.validate_member(&r.member_id, r.group_instance_id.as_deref()) {
        return e;
    }
    if r.generation_id != group.generation {
        return ErrorCode::ILLEGAL_GENERATION;
    }
    group.heartbeat(&core.cx, &r.member_id)
}

/// LeaveGroup: v0–2 one member by id; v3+ a batch, static members possibly by instance id only.
pub(crate) fn leave_group(c: &Cluster, ctx: &RequestCtx, r: LeaveGroupRequest) -> LeaveGroupResponse {
    let leaving = if ctx.version >= 3 {
        r.members
    } else {
        vec![MemberIdentity { member_id: r.member_id, ..Default::default() }]
    };
    let result = leave_results(c, ctx, &r.group_id, &leaving);
    let (error, members) = match result {
        Err(e) => (e, Vec::new()),
        Ok(members) => (ErrorCode::NONE, members),
    };
    if ctx.version >= 3 {
        return LeaveGroupResponse { error_code: error.code(), members, ..Default::default() };
    }
    // Before v3 the one member's error is the answer's.
    let error = members.first().map_or(error.code(), |m| m.error_code);
    LeaveGroupResponse { error_code: error, ..Default::default() }
}

fn leave_results(
    c: &Cluster,
    ctx: &RequestCtx,
    group_id: &str,
    leaving: &[MemberIdentity],
) -> Result<Vec<MemberResponse>, ErrorCode> {
    if let Some(e) = c.faults.error(ApiKey::LeaveGroup, ctx.broker, None) {
        return Err(e);
    }
    if group_id.is_empty() {
        return Err(ErrorCode::INVALID_GROUP_ID);
    }
    let brokers = Brokers::read(c);
    let core = &c.groups.core;
    let mut inner = core.lock();
    inner.check_coordinator(&brokers, ctx.broker, group_id)?;
    let mut group = inner.groups.get_mut(group_id);
    Ok(leaving
        .iter()
        .map(|m| {
            let error = match group.as_deref_mut() {
                Some(g) => g.leave(&core.cx, &m.member_id, m.group_instance_id.as_deref()),
                None => ErrorCode::UNKNOWN_MEMBER_ID,
            };
            MemberResponse {
                member_id: m.member_id.clone(),
                group_instance_id: m.group_instance_id.clone(),
                error_code: error.code(),
                ..Default::default()
            }
        })
        .collect())
}

/// DescribeGroups: each group's state, protocol and members (metadata and assignments only
/// for a Stable group, as Kafka). An unknown group is reported Dead.
pub(crate) fn describe_groups(c: &Cluster, ctx: &RequestCtx, r: DescribeGroupsRequest) -> DescribeGroupsResponse {
    let injected = c.faults.error(ApiKey::DescribeGroups, ctx.broker, None);
    let brokers = Brokers::read(c);
    let operations = if r.include_authorized_operations { GROUP_OPERATIONS } else { i32::MIN };
    let mut inner = c.groups.core.lock();
    let groups = r
        .groups
        .into_iter()
        .map(|group_id| {
            let error = injected.map_or_else(|| inner.check_coordinator(&brokers, ctx.broker, &group_id), Err);
            if let Err(e) = error {
                return DescribedGroup {
                    error_code: e.code(),
                    group_id,
                    authorized_operations: operations,
                    ..Default::default()
                };
            }
            let Some(g) = inner.groups.get(&group_id) else {
                return DescribedGroup {
                    group_id,
                    group_state: GroupState::Dead.name().to_string(),
                    authorized_operations: operations,
                    ..Default::default()
                };
            };
            let stable = matches!(g.phase, Phase::Stable(_));
            let protocol = g.protocol.clone().unwrap_or_default();
            DescribedGroup {
                error_code: 0,
                group_id,
                group_state: g.state().name().to_string(),
                protocol_type: g.protocol_type.clone().unwrap_or_default(),
                protocol_data: if stable { protocol.clone() } else { String::new() },
                members: g
                    .members
                    .iter()
                    .map(|m| DescribedGroupMember {
                        member_id: m.member_id.clone(),
                        group_instance_id: m.group_instance_id.clone(),
                        client_id: m.client_id.clone(),
                        client_host: CLIENT_HOST.to_string(),
                        member_metadata: if stable {
                            m.protocols
                                .iter()
                                .find(|(p, _)| *p == protocol)
                                .map(|(_, md)| md.clone())
                                .unwrap_or_default()
                        } else {
                            Bytes::new()
                        },
                        member_assignment: if stable { m.assignment.clone() } else { Bytes::new() },
                        ..Default::default()
                    })
                    .collect(),
                authorized_operations: operations,
                ..Default::default()
            }
        })
        .collect();
    DescribeGroupsResponse { groups, ..Default::default() }
}

/// ListGroups: the groups this broker coordinates (v4+ filtered by state, v5+ by type; every
/// group here is a classic group).
pub(crate) fn list_groups(c: &Cluster, ctx: &RequestCtx, r: ListGroupsRequest) -> ListGroupsResponse {
    if let Some(e) = c.faults.error(ApiKey::ListGroups, ctx.broker, None) {
        return ListGroupsResponse { error_code: e.code(), ..Default::default() };
    }
    let brokers = Brokers::read(c);
    let want_state =
        |s: GroupState| r.states_filter.is_empty() || r.states_filter.iter().any(|f| f.eq_ignore_ascii_case(s.name()));
    let classic = r.types_filter.is_empty() || r.types_filter.iter().any(|t| t.eq_ignore_ascii_case("classic"));
    let mut inner = c.groups.core.lock();
    let mut ids: Vec<String> = inner.groups.keys().cloned().collect();
    ids.sort();
    let mut groups = Vec::new();
    for id in ids {
        if !classic || inner.check_coordinator(&brokers, ctx.broker, &id).is_err() {
            continue;
        }
        let Some(g) = inner.groups.get(&id) else { continue };
        if want_state(g.state()) {
            groups.push(ListedGroup {
                group_id: id,
                protocol_type: g.protocol_type.clone().unwrap_or_default(),
                group_state: g.state().name().to_string(),
                group_type: "classic".to_string(),
                ..Default::default()
            });
        }
    }
    ListGroupsResponse { groups, ..Default::default() }
}

/// DeleteGroups: an Empty group is deleted with its offsets; NON_EMPTY_GROUP otherwise.
pub(crate) fn delete_groups(c: &Cluster, ctx: &RequestCtx, r: DeleteGroupsRequest) -> DeleteGroupsResponse {
    let injected = c.faults.error(ApiKey::DeleteGroups, ctx.broker, None);
    let brokers = Brokers::read(c);
    let mut inner = c.groups.core.lock();
    let results = r
        .groups_names
        .into_iter()
        .map(|group_id| {
            let error = match injected.map_or_else(|| inner.check_coordinator(&brokers, ctx.broker, &group_id), Err) {
                Err(e) => e,
                Ok(()) => match inner.groups.get(&group_id).map(|g| g.state()) {
                    None => ErrorCode::GROUP_ID_NOT_FOUND,
                    Some(GroupState::Empty) => {
                        inner.groups.remove(&group_id);
                        ErrorCode::NONE
                    }
                    Some(_) => ErrorCode::NON_EMPTY_GROUP,
                },
            };
            DeletableGroupResult { group_id, error_code: error.code(), ..Default::default() }
        })
        .collect();
    DeleteGroupsResponse { results, ..Default::default() }
}
