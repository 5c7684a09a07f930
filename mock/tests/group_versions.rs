//! Every version of every group API gets an answer the client can decode (a field the mock
//! cannot encode at some version would close the connection instead), and odd inputs get
//! errors, not a dead connection.

#[path = "group_support/mod.rs"]
mod support;

use bytes::Bytes;
use kafkit_protocol::messages::*;
use kafkit_protocol::ErrorCode;
use support::*;

#[tokio::test]
async fn every_version_answers() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 2).unwrap();
    let (_, addr) = coordinator(&cluster, "g").await;
    let mut conn = Conn::connect(addr, "versions").await;

    for v in 0..=6 {
        let req = FindCoordinatorRequest { key: "g".into(), coordinator_keys: vec!["g".into()], ..Default::default() };
        let resp = conn.call(v, &req).await;
        let node = if v >= 4 { resp.coordinators[0].node_id } else { resp.node_id };
        assert_eq!(node, 1, "FindCoordinator v{v}");
    }

    for v in 0..=9 {
        let mut m = Member::new(addr, &format!("join-v{v}"), "m").await;
        m.version = v;
        let resp = m.join().await;
        assert_eq!(resp.generation_id, 1, "JoinGroup v{v}");
        assert_eq!(resp.members.len(), 1, "JoinGroup v{v}");
        assert_eq!(resp.protocol_name.as_deref(), Some("range"));
    }

    let mut m = Member::new(addr, "g", "m").await;
    m.join().await;
    for v in 0..=5 {
        let req = SyncGroupRequest {
            group_id: "g".into(),
            generation_id: m.generation,
            member_id: m.member_id.clone(),
            assignments: vec![sync_group_request::SyncGroupRequestAssignment {
                member_id: m.member_id.clone(),
                assignment: assignment("t", &[0, 1]),
                ..Default::default()
            }],
            ..Default::default()
        };
        let resp = conn.call(v, &req).await;
        assert_eq!(resp.error_code, 0, "SyncGroup v{v}");
        assert_eq!(assigned(&resp.assignment, "t"), vec![0, 1], "SyncGroup v{v}");
    }
    for v in 0..=4 {
        let req = HeartbeatRequest {
            group_id: "g".into(),
            generation_id: m.generation,
            member_id: m.member_id.clone(),
            ..Default::default()
        };
        assert_eq!(conn.call(v, &req).await.error_code, 0, "Heartbeat v{v}");
    }
    for v in 0..=9 {
        let mut req = commit_request("g", m.generation, &m.member_id, "t", &[(0, i64::from(v)), (7, 1)]);
        req.retention_time_ms = -1;
        let resp = conn.call(v, &req).await;
        let codes: Vec<i16> = resp.topics[0].partitions.iter().map(|p| p.error_code).collect();
        // v0 has no generation: a simple commit, refused while the group has members.
        let first = if v == 0 { ErrorCode::UNKNOWN_MEMBER_ID } else { ErrorCode::NONE };
        assert_eq!(codes, vec![first.code(), ErrorCode::UNKNOWN_TOPIC_OR_PARTITION.code()], "OffsetCommit v{v}");
    }
    assert_eq!(cluster.committed_offset("g", "t", 0), Some(9));
    for v in 0..=9 {
        let req = OffsetFetchRequest {
            group_id: "g".into(),
            topics: Some(vec![offset_fetch_request::OffsetFetchRequestTopic {
                name: "t".into(),
                partition_indexes: vec![0],
                ..Default::default()
            }]),
            groups: vec![offset_fetch_request::OffsetFetchRequestGroup {
                group_id: "g".into(),
                member_id: Some(m.member_id.clone()),
                member_epoch: m.generation,
                topics: None,
                ..Default::default()
            }],
            ..Default::default()
        };
        let resp = conn.call(v, &req).await;
        let offset = if v >= 8 {
            resp.groups[0].topics[0].partitions[0].committed_offset
        } else {
            resp.topics[0].partitions[0].committed_offset
        };
        assert_eq!(offset, 9, "OffsetFetch v{v}");
    }
    for v in 0..=4 {
        let req = TxnOffsetCommitRequest {
            transactional_id: "tx".into(),
            group_id: "txn-group".into(),
            producer_id: 1,
            generation_id: -1,
            topics: vec![txn_offset_commit_request::TxnOffsetCommitRequestTopic {
                name: "t".into(),
                partitions: vec![txn_offset_commit_request::TxnOffsetCommitRequestPartition {
                    partition_index: 1,
                    committed_offset: i64::from(v),
                    committed_metadata: None,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(conn.call(v, &req).await.topics[0].partitions[0].error_code, 0, "TxnOffsetCommit v{v}");
    }
    for v in 0..=5 {
        let req = DescribeGroupsRequest { groups: vec!["g".into(), "join-v0".into()], ..Default::default() };
        let resp = conn.call(v, &req).await;
        assert_eq!(resp.groups[0].group_state, "Stable", "DescribeGroups v{v}");
        assert_eq!(resp.groups[1].group_state, "CompletingRebalance", "DescribeGroups v{v}");
    }
    for v in 0..=5 {
        let resp = conn.call(v, &ListGroupsRequest::default()).await;
        assert_eq!(resp.groups.len(), 12, "ListGroups v{v}");
    }
    for v in 0..=2 {
        let req = DeleteGroupsRequest { groups_names: vec![format!("nothing-{v}")], ..Default::default() };
        let resp = conn.call(v, &req).await;
        assert_eq!(ErrorCode::from_i16(resp.results[0].error_code), ErrorCode::GROUP_ID_NOT_FOUND);
    }
    for v in 0..=5 {
        let mut j = Member::new(addr, &format!("leave-v{v}"), "m").await;
        j.join().await;
        let req = LeaveGroupRequest {
            group_id: j.group.clone(),
            member_id: j.member_id.clone(),
            members: vec![leave_group_request::MemberIdentity { member_id: j.member_id.clone(), ..Default::default() }],
            ..Default::default()
        };
        assert_eq!(conn.call(v, &req).await.error_code, 0, "LeaveGroup v{v}");
        assert!(cluster.group(&j.group).unwrap().members.is_empty());
    }
}

#[tokio::test]
async fn odd_inputs_get_errors() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 1).unwrap();
    let (_, addr) = coordinator(&cluster, "g").await;
    let mut conn = Conn::connect(addr, "odd").await;

    let mut m = Member::new(addr, "g", "m").await;
    m.session_ms = -1;
    assert_eq!(ErrorCode::from_i16(m.join_once().await.error_code), ErrorCode::INVALID_SESSION_TIMEOUT);
    m.session_ms = 10_000;
    m.rebalance_ms = i32::MAX;
    m.join().await;
    m.rebalance_ms = -5;
    // The leader rejoins with a negative rebalance timeout (taken as the session timeout); in
    // CompletingRebalance with the same metadata it just gets the current generation again.
    let rejoin = m.join_once().await;
    assert_eq!((rejoin.error_code, rejoin.generation_id, rejoin.members.len()), (0, 1, 1));

    // Assignments for strangers, duplicated, and none for the leader itself.
    let resp = m
        .sync_with(vec![("stranger".into(), Bytes::from_static(b"x")), ("stranger".into(), Bytes::from_static(b"y"))])
        .await;
    assert_eq!(resp.error_code, 0);
    assert!(resp.assignment.is_empty());

    let bad_key = FindCoordinatorRequest { key: "k".into(), key_type: -1, ..Default::default() };
    assert_eq!(ErrorCode::from_i16(conn.call(2, &bad_key).await.error_code), ErrorCode::INVALID_REQUEST);
    let empty = FindCoordinatorRequest::default();
    assert_eq!(conn.call(4, &empty).await.coordinators.len(), 0);

    let resp = conn.call(9, &commit_request("g", -1, "", "t", &[(-1, 5), (i32::MAX, 5)])).await;
    let codes: Vec<i16> = resp.topics[0].partitions.iter().map(|p| p.error_code).collect();
    assert_eq!(codes, vec![ErrorCode::UNKNOWN_TOPIC_OR_PARTITION.code(); 2]);
    let fetch = OffsetFetchRequest {
        group_id: String::new(),
        topics: Some(vec![offset_fetch_request::OffsetFetchRequestTopic {
            name: String::new(),
            partition_indexes: vec![-7],
            ..Default::default()
        }]),
        ..Default::default()
    };
    let resp = conn.call(7, &fetch).await;
    assert_eq!(resp.topics[0].partitions[0].committed_offset, -1);

    let leave = LeaveGroupRequest { group_id: "g".into(), ..Default::default() };
    assert_eq!(conn.call(5, &leave).await.members.len(), 0);
    let leave = LeaveGroupRequest { group_id: String::new(), ..Default::default() };
    assert_eq!(ErrorCode::from_i16(conn.call(5, &leave).await.error_code), ErrorCode::INVALID_GROUP_ID);
    assert_eq!(conn.call(5, &DescribeGroupsRequest::default()).await.groups.len(), 0);
    assert_eq!(conn.call(2, &DeleteGroupsRequest::default()).await.results.len(), 0);
    let hb = HeartbeatRequest { group_id: String::new(), ..Default::default() };
    assert_eq!(ErrorCode::from_i16(conn.call(4, &hb).await.error_code), ErrorCode::INVALID_GROUP_ID);
    // The group still works.
    assert_eq!(m.heartbeat().await, ErrorCode::NONE);
}
