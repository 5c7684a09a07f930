//! FindCoordinator, NOT_COORDINATOR, injected faults, coordinator failover, and the group admin
//! APIs (DescribeGroups, ListGroups, DeleteGroups) over the wire.

#[path = "group_support/mod.rs"]
mod support;

use std::collections::BTreeSet;

use kafkit_mock::{Fault, GroupState};
use kafkit_protocol::messages::*;
use kafkit_protocol::{ApiKey, ErrorCode};
use support::*;

#[tokio::test]
async fn every_broker_names_the_same_coordinator() {
    let cluster = cluster(3).await;
    let groups: Vec<String> = (0..12).map(|i| format!("group-{i}")).collect();
    let mut coordinators = BTreeSet::new();
    for g in &groups {
        let (node, addr) = coordinator(&cluster, g).await;
        assert_eq!(addr, broker_addr(&cluster, node));
        coordinators.insert(node);
        for ask in cluster.broker_ids() {
            assert_eq!(find_coordinator_via(&cluster, ask, g).await.0, node);
        }
        // v0 (no key type) agrees.
        let mut conn = Conn::connect(broker_addr(&cluster, 1), "c").await;
        let v0 = conn.call(0, &FindCoordinatorRequest { key: g.clone(), ..Default::default() }).await;
        assert_eq!((v0.error_code, v0.node_id), (0, node));
    }
    assert!(coordinators.len() > 1, "twelve groups on one broker of three: {coordinators:?}");

    // v4+: a batch of keys.
    let mut conn = Conn::connect(broker_addr(&cluster, 2), "c").await;
    let resp = conn
        .call(4, &FindCoordinatorRequest { key_type: 0, coordinator_keys: groups.clone(), ..Default::default() })
        .await;
    assert_eq!(resp.coordinators.len(), groups.len());
    for (c, g) in resp.coordinators.iter().zip(&groups) {
        assert_eq!(&c.key, g);
        assert_eq!(c.error_code, 0);
        assert_eq!(c.node_id, coordinator(&cluster, g).await.0);
        assert_eq!(
            format!("{}:{}", c.host, c.port).parse::<std::net::SocketAddr>().unwrap(),
            broker_addr(&cluster, c.node_id)
        );
    }
    // Transactional ids have coordinators too; other key types are invalid.
    let txn = conn
        .call(4, &FindCoordinatorRequest { key_type: 1, coordinator_keys: vec!["tx".into()], ..Default::default() })
        .await;
    assert_eq!(txn.coordinators[0].error_code, 0);
    let bad = conn.call(3, &FindCoordinatorRequest { key: "k".into(), key_type: 7, ..Default::default() }).await;
    assert_eq!(ErrorCode::from_i16(bad.error_code), ErrorCode::INVALID_REQUEST);
    assert_eq!(bad.node_id, -1);
}

#[tokio::test]
async fn group_requests_to_another_broker_get_not_coordinator() {
    let cluster = cluster(3).await;
    cluster.create_topic("t", 1).unwrap();
    let (node, _) = coordinator(&cluster, "g").await;
    let other = cluster.broker_ids().into_iter().find(|b| *b != node).unwrap();
    let mut m = Member::new(broker_addr(&cluster, other), "g", "m").await;
    assert_eq!(ErrorCode::from_i16(m.join_once().await.error_code), ErrorCode::NOT_COORDINATOR);
    assert_eq!(m.heartbeat().await, ErrorCode::NOT_COORDINATOR);
    assert_eq!(ErrorCode::from_i16(m.sync().await.error_code), ErrorCode::NOT_COORDINATOR);
    assert_eq!(m.commit(&[(0, 1)]).await, vec![ErrorCode::NOT_COORDINATOR]);
    let leave = m.leave().await;
    assert_eq!(ErrorCode::from_i16(leave.error_code), ErrorCode::NOT_COORDINATOR);
    let fetch = m.conn.call(7, &OffsetFetchRequest { group_id: "g".into(), topics: None, ..Default::default() }).await;
    assert_eq!(ErrorCode::from_i16(fetch.error_code), ErrorCode::NOT_COORDINATOR);
    let described = m.conn.call(5, &DescribeGroupsRequest { groups: vec!["g".into()], ..Default::default() }).await;
    assert_eq!(ErrorCode::from_i16(described.groups[0].error_code), ErrorCode::NOT_COORDINATOR);
    assert!(cluster.group("g").is_none(), "nothing reached the group");
}

#[tokio::test]
async fn an_injected_fault_is_returned_once() {
    let cluster = cluster(1).await;
    let (mut a, _b) = stable_pair(&cluster, "g").await;
    cluster.inject(Fault::error(ApiKey::Heartbeat, ErrorCode::NOT_COORDINATOR));
    assert_eq!(a.heartbeat().await, ErrorCode::NOT_COORDINATOR);
    assert_eq!(a.heartbeat().await, ErrorCode::NONE);

    cluster.inject(Fault::error(ApiKey::JoinGroup, ErrorCode::COORDINATOR_LOAD_IN_PROGRESS).times(2));
    let mut c = Member::new(coordinator(&cluster, "g").await.1, "g", "c").await;
    assert_eq!(ErrorCode::from_i16(c.join_once().await.error_code), ErrorCode::COORDINATOR_LOAD_IN_PROGRESS);
    assert_eq!(ErrorCode::from_i16(c.join_once().await.error_code), ErrorCode::COORDINATOR_LOAD_IN_PROGRESS);
    assert_eq!(cluster.group("g").unwrap().members.len(), 2, "the faulted joins did nothing");
    assert_eq!(a.heartbeat().await, ErrorCode::NONE);

    cluster.inject(Fault::error(ApiKey::FindCoordinator, ErrorCode::COORDINATOR_NOT_AVAILABLE));
    let mut conn = Conn::connect(broker_addr(&cluster, 1), "c").await;
    let resp = conn.call(3, &FindCoordinatorRequest { key: "g".into(), ..Default::default() }).await;
    assert_eq!(ErrorCode::from_i16(resp.error_code), ErrorCode::COORDINATOR_NOT_AVAILABLE);

    // On another broker only: the coordinator (broker 1) is unaffected.
    cluster.inject(Fault::error(ApiKey::Heartbeat, ErrorCode::UNKNOWN_SERVER_ERROR).broker(2));
    assert_eq!(a.heartbeat().await, ErrorCode::NONE);
}

#[tokio::test]
async fn describe_and_list_groups() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 1).unwrap();
    let (leader, follower) = stable_pair(&cluster, "g").await;
    let (_, addr) = coordinator(&cluster, "g").await;
    let mut conn = Conn::connect(addr, "admin").await;
    // An Empty group (offsets only).
    let resp = conn.call(9, &commit_request("offsets-only", -1, "", "t", &[(0, 1)])).await;
    assert_eq!(resp.topics[0].partitions[0].error_code, 0);

    let req = DescribeGroupsRequest {
        groups: vec!["g".into(), "offsets-only".into(), "missing".into()],
        include_authorized_operations: true,
        ..Default::default()
    };
    let resp = conn.call(5, &req).await;
    let g = &resp.groups[0];
    assert_eq!((g.error_code, g.group_id.as_str(), g.group_state.as_str()), (0, "g", "Stable"));
    assert_eq!((g.protocol_type.as_str(), g.protocol_data.as_str()), ("consumer", "range"));
    assert_ne!(g.authorized_operations, i32::MIN);
    let ids: BTreeSet<&str> = g.members.iter().map(|m| m.member_id.as_str()).collect();
    assert_eq!(ids, BTreeSet::from([leader.member_id.as_str(), follower.member_id.as_str()]));
    for m in &g.members {
        let client = if m.member_id == leader.member_id { &leader.client_id } else { &follower.client_id };
        assert_eq!(&m.client_id, client);
        assert_eq!(m.client_host, "/127.0.0.1");
        assert_eq!(m.member_metadata, subscription(&["t"]));
        assert_eq!(assigned(&m.member_assignment, "t").len(), 1);
    }
    assert_eq!(resp.groups[1].group_state, "Empty");
    assert!(resp.groups[1].members.is_empty());
    assert_eq!((resp.groups[2].error_code, resp.groups[2].group_state.as_str()), (0, "Dead"));

    let list = |states: Vec<&str>, types: Vec<&str>| ListGroupsRequest {
        states_filter: states.into_iter().map(String::from).collect(),
        types_filter: types.into_iter().map(String::from).collect(),
        ..Default::default()
    };
    let names = |r: &ListGroupsResponse| r.groups.iter().map(|g| g.group_id.clone()).collect::<Vec<_>>();
    let all = conn.call(5, &list(vec![], vec![])).await;
    assert_eq!(all.error_code, 0);
    assert_eq!(names(&all), vec!["g", "offsets-only"]);
    assert_eq!(all.groups[0].protocol_type, "consumer");
    assert_eq!(all.groups[0].group_state, "Stable");
    assert_eq!(all.groups[0].group_type, "classic");
    assert_eq!(all.groups[1].protocol_type, "");
    assert_eq!(names(&conn.call(4, &list(vec!["stable"], vec![])).await), vec!["g"]);
    assert_eq!(names(&conn.call(4, &list(vec!["Empty", "Dead"], vec![])).await), vec!["offsets-only"]);
    assert_eq!(names(&conn.call(5, &list(vec![], vec!["Classic"])).await), vec!["g", "offsets-only"]);
    assert!(names(&conn.call(5, &list(vec![], vec!["consumer"])).await).is_empty());
    assert_eq!(names(&conn.call(0, &list(vec![], vec![])).await), vec!["g", "offsets-only"]);

    cluster.inject(Fault::error(ApiKey::ListGroups, ErrorCode::COORDINATOR_LOAD_IN_PROGRESS));
    let faulted = conn.call(5, &list(vec![], vec![])).await;
    assert_eq!(ErrorCode::from_i16(faulted.error_code), ErrorCode::COORDINATOR_LOAD_IN_PROGRESS);
}

#[tokio::test]
async fn list_groups_lists_only_the_brokers_own_groups() {
    let cluster = cluster(3).await;
    let mut by_broker = std::collections::BTreeMap::<i32, Vec<String>>::new();
    for i in 0..9 {
        let group = format!("g{i}");
        let (node, addr) = coordinator(&cluster, &group).await;
        let mut m = Member::new(addr, &group, "m").await;
        m.join().await;
        by_broker.entry(node).or_default().push(group);
    }
    for id in cluster.broker_ids() {
        let mut conn = Conn::connect(broker_addr(&cluster, id), "admin").await;
        let resp = conn.call(3, &ListGroupsRequest::default()).await;
        let listed: Vec<String> = resp.groups.iter().map(|g| g.group_id.clone()).collect();
        assert_eq!(listed, by_broker.get(&id).cloned().unwrap_or_default(), "broker {id}");
    }
}

#[tokio::test]
async fn delete_groups() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 1).unwrap();
    let (mut a, mut b) = stable_pair(&cluster, "g").await;
    assert_eq!(a.commit(&[(0, 3)]).await, vec![ErrorCode::NONE]);
    let req = DeleteGroupsRequest { groups_names: vec!["g".into(), "missing".into()], ..Default::default() };
    let resp = a.conn.call(2, &req).await;
    let results: Vec<(&str, ErrorCode)> =
        resp.results.iter().map(|r| (r.group_id.as_str(), ErrorCode::from_i16(r.error_code))).collect();
    assert_eq!(results, vec![("g", ErrorCode::NON_EMPTY_GROUP), ("missing", ErrorCode::GROUP_ID_NOT_FOUND)]);

    b.leave().await;
    a.leave().await;
    assert_eq!(cluster.group("g").unwrap().state, GroupState::Empty);
    let resp = a.conn.call(0, &DeleteGroupsRequest { groups_names: vec!["g".into()], ..Default::default() }).await;
    assert_eq!(resp.results[0].error_code, 0);
    assert!(cluster.group("g").is_none());
    assert_eq!(cluster.committed_offset("g", "t", 0), None, "offsets go with the group");
    let described = a.conn.call(0, &DescribeGroupsRequest { groups: vec!["g".into()], ..Default::default() }).await;
    assert_eq!(described.groups[0].group_state, "Dead");
    // A group of the same name starts over.
    let mut c = Member::new(coordinator(&cluster, "g").await.1, "g", "c").await;
    assert_eq!(c.join().await.generation_id, 1);
}

#[tokio::test]
async fn the_coordinator_moves_when_its_broker_stops() {
    let cluster = cluster(3).await;
    cluster.create_topic("t", 2).unwrap();
    let (old, _) = coordinator(&cluster, "g").await;
    let (mut a, mut b) = stable_pair(&cluster, "g").await;
    assert_eq!(a.commit(&[(0, 9)]).await, vec![ErrorCode::NONE]);
    let generation = a.generation;

    cluster.stop_broker(old).unwrap();
    let asker = cluster.broker_ids().into_iter().find(|id| *id != old).unwrap();
    let (new, addr) = find_coordinator_via(&cluster, asker, "g").await;
    assert_ne!(new, old);
    for id in cluster.broker_ids().into_iter().filter(|id| *id != old) {
        assert_eq!(find_coordinator_via(&cluster, id, "g").await.0, new);
    }
    // The members reconnect to the new coordinator: the group's state survived.
    a.conn = Conn::connect(addr, "a").await;
    b.conn = Conn::connect(addr, "b").await;
    assert_eq!(a.heartbeat().await, ErrorCode::NONE);
    assert_eq!(b.heartbeat().await, ErrorCode::NONE);
    let info = cluster.group("g").unwrap();
    assert_eq!((info.state, info.generation_id), (GroupState::Stable, generation));
    let resp = a.conn.call(7, &OffsetFetchRequest { group_id: "g".into(), topics: None, ..Default::default() }).await;
    assert_eq!(resp.topics[0].partitions[0].committed_offset, 9);

    // The coordinator does not move back when the broker returns.
    cluster.start_broker(old).await.unwrap();
    assert_eq!(find_coordinator_via(&cluster, old, "g").await.0, new);
    assert_eq!(a.heartbeat().await, ErrorCode::NONE);
}

#[tokio::test]
async fn a_join_parked_on_a_stopping_coordinator_is_told_to_look_again() {
    let cluster = cluster_with_delay(2, std::time::Duration::from_secs(30)).await;
    let (node, addr) = coordinator(&cluster, "g").await;
    let mut m = Member::new(addr, "g", "m").await;
    // v3: no MEMBER_ID_REQUIRED round trip; the join waits out the 30 s initial delay.
    m.version = 3;
    let join = tokio::spawn(async move { m.join_once().await });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(cluster.group("g").unwrap().state, GroupState::PreparingRebalance);
    cluster.stop_broker(node).unwrap();
    // The parked request ends at once (not after the 30 s delay), with NOT_COORDINATOR if the
    // answer still makes it through the closing connection.
    let done = tokio::time::timeout(std::time::Duration::from_secs(5), join).await.expect("the join stayed parked");
    if let Ok(resp) = done {
        assert_eq!(ErrorCode::from_i16(resp.error_code), ErrorCode::NOT_COORDINATOR);
    }
}
