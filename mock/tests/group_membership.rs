//! The group coordinator's classic membership protocol over the wire: JoinGroup, SyncGroup,
//! Heartbeat, LeaveGroup, session and rebalance timeouts, static members.

#[path = "group_support/mod.rs"]
mod support;

use std::time::Duration;

use kafkit_protocol::ErrorCode;
use support::*;

#[tokio::test]
async fn member_id_required_handshake() {
    let cluster = cluster(1).await;
    let (_, addr) = coordinator(&cluster, "g").await;
    let mut m = Member::new(addr, "g", "client-1").await;

    let first = m.join_once().await;
    assert_eq!(ErrorCode::from_i16(first.error_code), ErrorCode::MEMBER_ID_REQUIRED);
    assert!(first.member_id.starts_with("client-1-"), "{}", first.member_id);
    assert_eq!(first.generation_id, -1);
    // A pending member is not a member yet.
    assert!(cluster.group("g").unwrap().members.is_empty());

    let second = m.join_once().await;
    assert_eq!(second.error_code, 0, "{second:?}");
    assert_eq!(second.member_id, first.member_id);
    assert_eq!(second.generation_id, 1);
    assert_eq!(second.leader, first.member_id);
    assert_eq!(second.protocol_type.as_deref(), Some("consumer"));
    assert_eq!(second.protocol_name.as_deref(), Some("range"));
    assert_eq!(second.members.len(), 1);
    assert!(!second.skip_assignment);
    assert_eq!(cluster.group("g").unwrap().state, kafkit_mock::GroupState::CompletingRebalance);

    let sync = m.sync().await;
    assert_eq!(sync.error_code, 0);
    assert_eq!(assigned(&sync.assignment, "t"), vec![0]);
    assert_eq!(sync.protocol_name.as_deref(), Some("range"));
    let info = cluster.group("g").unwrap();
    assert_eq!(info.state, kafkit_mock::GroupState::Stable);
    assert_eq!(info.members[0].client_id, "client-1");
    assert_eq!(info.members[0].assignment, assignment("t", &[0]));
}

#[tokio::test]
async fn before_v4_a_new_member_joins_at_once() {
    let cluster = cluster(1).await;
    let (_, addr) = coordinator(&cluster, "g").await;
    let mut m = Member::new(addr, "g", "old").await;
    m.version = 3;
    let resp = m.join_once().await;
    assert_eq!(resp.error_code, 0, "{resp:?}");
    assert!(resp.member_id.starts_with("old-"));
    assert_eq!(resp.generation_id, 1);
    // v0 has no rebalance timeout and a non-nullable protocol name.
    let mut n = Member::new(addr, "g0", "older").await;
    n.version = 0;
    let resp = n.join_once().await;
    assert_eq!(resp.error_code, 0, "{resp:?}");
    assert_eq!(resp.protocol_name.as_deref(), Some("range"));
}

#[tokio::test]
async fn two_members_one_leader_and_their_assignments() {
    let cluster = cluster_with_delay(1, Duration::from_millis(300)).await;
    let (_, addr) = coordinator(&cluster, "g").await;
    let mut a = Member::new(addr, "g", "a").await;
    let mut b = Member::new(addr, "g", "b").await;
    let (ra, rb) = tokio::join!(a.join(), b.join());
    // The initial delay let both into the first generation.
    assert_eq!(ra.generation_id, 1);
    assert_eq!(rb.generation_id, 1);
    assert_eq!(ra.leader, rb.leader);
    assert!(a.is_leader() ^ b.is_leader());
    let (mut leader, mut follower) = if a.is_leader() { (a, b) } else { (b, a) };
    assert_eq!(leader.members.len(), 2);
    assert!(follower.members.is_empty());

    // The follower's SyncGroup waits for the leader's.
    let follower_sync = tokio::spawn(async move {
        let resp = follower.sync().await;
        (follower, resp)
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!follower_sync.is_finished());
    assert_eq!(cluster.group("g").unwrap().state, kafkit_mock::GroupState::CompletingRebalance);
    let leader_resp = leader.sync().await;
    let (follower, follower_resp) = follower_sync.await.unwrap();
    assert_eq!(leader_resp.error_code, 0);
    assert_eq!(follower_resp.error_code, 0);
    let mine = |m: &Member| leader.members.iter().position(|id| *id == m.member_id).unwrap() as i32;
    assert_eq!(assigned(&leader_resp.assignment, "t"), vec![mine(&leader)]);
    assert_eq!(assigned(&follower_resp.assignment, "t"), vec![mine(&follower)]);
    let info = cluster.group("g").unwrap();
    assert_eq!(info.state, kafkit_mock::GroupState::Stable);
    assert_eq!(info.generation_id, 1);
    assert_eq!(info.leader.as_deref(), Some(leader.member_id.as_str()));
    assert_eq!(info.members.len(), 2);
}

#[tokio::test]
async fn a_third_member_triggers_a_rebalance() {
    let cluster = cluster(1).await;
    let (mut a, mut b) = stable_pair(&cluster, "g").await;
    let generation = a.generation;
    assert_eq!(a.heartbeat().await, ErrorCode::NONE);

    let (_, addr) = coordinator(&cluster, "g").await;
    let mut c = Member::new(addr, "g", "c").await;
    let c_join = tokio::spawn(async move {
        c.join().await;
        c
    });
    let (ea, eb) = tokio::join!(a.heartbeat_until_told(), b.heartbeat_until_told());
    assert_eq!(ea, ErrorCode::REBALANCE_IN_PROGRESS);
    assert_eq!(eb, ErrorCode::REBALANCE_IN_PROGRESS);
    assert_eq!(cluster.group("g").unwrap().state, kafkit_mock::GroupState::PreparingRebalance);
    // A SyncGroup now is told to rejoin too.
    assert_eq!(ErrorCode::from_i16(a.sync().await.error_code), ErrorCode::REBALANCE_IN_PROGRESS);

    let (ra, rb) = tokio::join!(a.join(), b.join());
    let c = c_join.await.unwrap();
    assert_eq!(ra.generation_id, generation + 1);
    assert_eq!(rb.generation_id, generation + 1);
    assert_eq!(c.generation, generation + 1);
    // The leader stays the leader and sees all three.
    let leaders: Vec<&Member> = [&a, &b, &c].into_iter().filter(|m| m.is_leader()).collect();
    assert_eq!(leaders.len(), 1);
    assert_eq!(leaders[0].members.len(), 3);
    assert_eq!(cluster.group("g").unwrap().members.len(), 3);
    // The old generation is gone.
    a.generation = generation;
    assert_eq!(a.heartbeat().await, ErrorCode::ILLEGAL_GENERATION);
}

#[tokio::test]
async fn a_silent_member_is_removed_after_its_session_timeout() {
    let cluster = cluster(1).await;
    // A Stable pair with short sessions.
    let (mut a, mut b) = stable_pair_with(&cluster, "g", |m| m.session_ms = 400).await;
    let generation = a.generation;
    assert_eq!(cluster.group("g").unwrap().members.len(), 2);

    // b goes silent; a keeps heartbeating until told to rejoin.
    let started = std::time::Instant::now();
    loop {
        match a.heartbeat().await {
            ErrorCode::NONE => tokio::time::sleep(Duration::from_millis(50)).await,
            ErrorCode::REBALANCE_IN_PROGRESS => break,
            e => panic!("{e:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(10), "b was never removed");
    }
    assert!(started.elapsed() >= Duration::from_millis(350), "removed too early: {:?}", started.elapsed());
    a.join().await;
    assert_eq!(a.generation, generation + 1);
    assert_eq!(a.members, vec![a.member_id.clone()]);
    let info = cluster.group("g").unwrap();
    assert_eq!(info.members.len(), 1);
    assert_eq!(b.heartbeat().await, ErrorCode::UNKNOWN_MEMBER_ID);
}

#[tokio::test]
async fn leave_group_rebalances() {
    let cluster = cluster(1).await;
    let (mut a, mut b) = stable_pair(&cluster, "g").await;
    let generation = a.generation;
    let resp = b.leave().await;
    assert_eq!(resp.error_code, 0);
    assert_eq!(resp.members.len(), 1);
    assert_eq!(resp.members[0].error_code, 0);
    assert_eq!(resp.members[0].member_id, b.member_id);
    assert_eq!(a.heartbeat().await, ErrorCode::REBALANCE_IN_PROGRESS);
    a.join().await;
    assert_eq!(a.generation, generation + 1);
    assert_eq!(a.members.len(), 1);
    // Leaving again: unknown.
    let again = b.leave().await;
    assert_eq!(ErrorCode::from_i16(again.members[0].error_code), ErrorCode::UNKNOWN_MEMBER_ID);
    // v0 LeaveGroup carries the error at the top.
    let req = kafkit_protocol::messages::LeaveGroupRequest {
        group_id: "g".into(),
        member_id: b.member_id.clone(),
        ..Default::default()
    };
    let v0 = b.conn.call(0, &req).await;
    assert_eq!(ErrorCode::from_i16(v0.error_code), ErrorCode::UNKNOWN_MEMBER_ID);
    // The last member leaves with v0: the group ends up Empty.
    a.sync().await;
    let req = kafkit_protocol::messages::LeaveGroupRequest {
        group_id: "g".into(),
        member_id: a.member_id.clone(),
        ..Default::default()
    };
    assert_eq!(a.conn.call(0, &req).await.error_code, 0);
    let info = cluster.group("g").unwrap();
    assert_eq!(info.state, kafkit_mock::GroupState::Empty);
    assert_eq!(info.generation_id, generation + 2);
    assert!(info.members.is_empty());
}

#[tokio::test]
async fn members_that_do_not_rejoin_in_time_are_removed() {
    let cluster = cluster(1).await;
    let (_, addr) = coordinator(&cluster, "g").await;
    let mut a = Member::new(addr, "g", "a").await;
    a.rebalance_ms = 300;
    a.join().await;
    a.sync().await;
    // b joins; a never rejoins (its session is long, its rebalance timeout short).
    let mut b = Member::new(addr, "g", "b").await;
    b.rebalance_ms = 300;
    let started = std::time::Instant::now();
    let resp = b.join().await;
    assert!(started.elapsed() >= Duration::from_millis(250), "{:?}", started.elapsed());
    assert_eq!(resp.generation_id, 2);
    assert_eq!(resp.leader, b.member_id, "a did not rejoin: b leads");
    assert_eq!(b.members, vec![b.member_id.clone()]);
    assert_eq!(a.heartbeat().await, ErrorCode::UNKNOWN_MEMBER_ID);
}

#[tokio::test]
async fn a_member_that_never_syncs_is_removed() {
    let cluster = cluster(1).await;
    let (_, addr) = coordinator(&cluster, "g").await;
    let mut a = Member::new(addr, "g", "a").await;
    a.rebalance_ms = 300;
    a.join().await;
    // No SyncGroup: after the rebalance timeout a is removed and the group rebalances to Empty.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let info = cluster.group("g").unwrap();
    assert_eq!(info.state, kafkit_mock::GroupState::Empty);
    assert_eq!(info.generation_id, 2);
    assert_eq!(ErrorCode::from_i16(a.sync().await.error_code), ErrorCode::UNKNOWN_MEMBER_ID);
}

#[tokio::test]
async fn a_static_member_restarting_keeps_its_assignment_and_fences_its_old_id() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 2).unwrap();
    let (_, addr) = coordinator(&cluster, "g").await;
    let mut a = Member::new(addr, "g", "a").await;
    a.instance_id = Some("instance-a".into());
    let mut b = Member::new(addr, "g", "b").await;
    let first = a.join().await;
    assert!(first.member_id.starts_with("instance-a-"), "static ids start with the instance id");
    a.sync().await;
    let b_join = tokio::spawn(async move {
        b.join().await;
        b
    });
    assert_eq!(a.heartbeat_until_told().await, ErrorCode::REBALANCE_IN_PROGRESS);
    a.join().await;
    let mut b = b_join.await.unwrap();
    assert!(a.is_leader());
    let (ra, rb) = tokio::join!(a.sync(), b.sync());
    let a_assignment = ra.assignment.clone();
    assert_eq!(assigned(&a_assignment, "t").len(), 1);
    assert_eq!(rb.error_code, 0);
    let generation = a.generation;

    // a restarts: same instance id, no member id. No rebalance; a new id; same generation.
    let mut a2 = Member::new(addr, "g", "a").await;
    a2.instance_id = Some("instance-a".into());
    let resp = a2.join_once().await;
    assert_eq!(resp.error_code, 0, "{resp:?}");
    assert_ne!(resp.member_id, a.member_id);
    assert_eq!(resp.generation_id, generation);
    // v9: the static leader is told it leads but must skip the assignment.
    assert_eq!(resp.leader, resp.member_id);
    assert!(resp.skip_assignment);
    let sync = a2.sync_with(Vec::new()).await;
    assert_eq!(sync.error_code, 0);
    assert_eq!(sync.assignment, a_assignment, "the static member keeps its assignment");
    assert_eq!(b.heartbeat().await, ErrorCode::NONE, "no rebalance for the others");
    let info = cluster.group("g").unwrap();
    assert_eq!(info.state, kafkit_mock::GroupState::Stable);
    assert_eq!(info.generation_id, generation);
    assert_eq!(info.leader.as_deref(), Some(a2.member_id.as_str()));

    // The old incarnation is fenced.
    assert_eq!(a.heartbeat().await, ErrorCode::FENCED_INSTANCE_ID);
    assert_eq!(ErrorCode::from_i16(a.join_once().await.error_code), ErrorCode::FENCED_INSTANCE_ID);
    assert_eq!(ErrorCode::from_i16(a.sync().await.error_code), ErrorCode::FENCED_INSTANCE_ID);
    assert_eq!(a.commit(&[(0, 1)]).await, vec![ErrorCode::FENCED_INSTANCE_ID]);

    // Before v9, a static member rejoining gets the old leader id (so it does not assign).
    let mut a3 = Member::new(addr, "g", "a").await;
    a3.instance_id = Some("instance-a".into());
    a3.version = 8;
    let resp = a3.join_once().await;
    assert_eq!(resp.error_code, 0);
    assert_eq!(resp.leader, a2.member_id);
    assert!(resp.members.is_empty());
    assert_eq!(a2.heartbeat().await, ErrorCode::FENCED_INSTANCE_ID);

    // A static member leaves by instance id alone: now there is a rebalance.
    let req = kafkit_protocol::messages::LeaveGroupRequest {
        group_id: "g".into(),
        members: vec![kafkit_protocol::messages::leave_group_request::MemberIdentity {
            group_instance_id: Some("instance-a".into()),
            ..Default::default()
        }],
        ..Default::default()
    };
    let resp = b.conn.call(4, &req).await;
    assert_eq!(resp.members[0].error_code, 0);
    assert_eq!(b.heartbeat().await, ErrorCode::REBALANCE_IN_PROGRESS);
}

#[tokio::test]
async fn join_validation() {
    let cluster = cluster(1).await;
    let (_, addr) = coordinator(&cluster, "g").await;
    let mut m = Member::new(addr, "g", "m").await;

    m.session_ms = 5; // below the minimum of 10 ms
    assert_eq!(ErrorCode::from_i16(m.join_once().await.error_code), ErrorCode::INVALID_SESSION_TIMEOUT);
    m.session_ms = 61_000; // above the maximum of 60 s
    assert_eq!(ErrorCode::from_i16(m.join_once().await.error_code), ErrorCode::INVALID_SESSION_TIMEOUT);
    m.session_ms = 10_000;

    // A member id the group never gave.
    m.member_id = "m-bogus".into();
    m.group = "nowhere".into();
    assert_eq!(ErrorCode::from_i16(m.join_once().await.error_code), ErrorCode::UNKNOWN_MEMBER_ID);
    m.member_id.clear();
    m.group = String::new();
    assert_eq!(ErrorCode::from_i16(m.join_once().await.error_code), ErrorCode::INVALID_GROUP_ID);
    m.group = "g".into();

    m.join().await;
    m.sync().await;
    // Another member with no protocol in common, or of another protocol type.
    let mut other = Member::new(addr, "g", "other").await;
    other.protocols = vec![("roundrobin".into(), subscription(&["t"]))];
    assert_eq!(ErrorCode::from_i16(other.join_once().await.error_code), ErrorCode::INCONSISTENT_GROUP_PROTOCOL);
    let mut req = other.join_request();
    req.protocol_type = "connect".into();
    req.protocols[0].name = "range".into();
    let resp = other.conn.call(9, &req).await;
    assert_eq!(ErrorCode::from_i16(resp.error_code), ErrorCode::INCONSISTENT_GROUP_PROTOCOL);
    // An empty group takes no empty protocol list.
    let mut empty = Member::new(addr, "g2", "empty").await;
    empty.protocols.clear();
    assert_eq!(ErrorCode::from_i16(empty.join_once().await.error_code), ErrorCode::INCONSISTENT_GROUP_PROTOCOL);
}

#[tokio::test]
async fn the_protocol_is_chosen_by_vote_among_common_ones() {
    let cluster = cluster_with_delay(1, Duration::from_millis(300)).await;
    let (_, addr) = coordinator(&cluster, "g").await;
    let md = subscription(&["t"]);
    let mut ms = Vec::new();
    for (name, prefs) in [("a", vec!["x", "y", "z"]), ("b", vec!["y", "x"]), ("c", vec!["y", "x", "w"])] {
        let mut m = Member::new(addr, "g", name).await;
        m.protocols = prefs.iter().map(|p| (p.to_string(), md.clone())).collect();
        ms.push(m);
    }
    let [mut a, mut b, mut c]: [Member; 3] = ms.try_into().ok().unwrap();
    let (ra, rb, rc) = tokio::join!(a.join(), b.join(), c.join());
    for r in [&ra, &rb, &rc] {
        assert_eq!(r.protocol_name.as_deref(), Some("y"), "x and y are common; y has two votes");
    }
    assert_eq!(cluster.group("g").unwrap().protocol.as_deref(), Some("y"));
}

#[tokio::test]
async fn sync_and_heartbeat_validation() {
    let cluster = cluster(1).await;
    let (mut leader, mut follower) = stable_pair(&cluster, "g").await;
    let generation = leader.generation;

    leader.generation = generation + 5;
    assert_eq!(ErrorCode::from_i16(leader.sync().await.error_code), ErrorCode::ILLEGAL_GENERATION);
    assert_eq!(leader.heartbeat().await, ErrorCode::ILLEGAL_GENERATION);
    leader.generation = generation;

    let real = std::mem::replace(&mut follower.member_id, "b-unknown".into());
    assert_eq!(ErrorCode::from_i16(follower.sync().await.error_code), ErrorCode::UNKNOWN_MEMBER_ID);
    assert_eq!(follower.heartbeat().await, ErrorCode::UNKNOWN_MEMBER_ID);
    follower.member_id = real;

    // v5 checks the protocol name and type.
    follower.protocols[0].0 = "roundrobin".into();
    assert_eq!(ErrorCode::from_i16(follower.sync().await.error_code), ErrorCode::INCONSISTENT_GROUP_PROTOCOL);
    follower.protocols[0].0 = "range".into();

    // Stable: a SyncGroup again returns the member's assignment at once.
    let again = follower.sync().await;
    assert_eq!(again.error_code, 0);
    assert_eq!(assigned(&again.assignment, "t").len(), 1);
    // A follower rejoining with the same metadata in Stable gets the same generation back.
    let rejoin = follower.join_once().await;
    assert_eq!(rejoin.error_code, 0);
    assert_eq!(rejoin.generation_id, generation);
    assert!(rejoin.members.is_empty());
    // Unknown group.
    follower.group = "other".into();
    assert_eq!(follower.heartbeat().await, ErrorCode::UNKNOWN_MEMBER_ID);
    assert_eq!(ErrorCode::from_i16(follower.sync().await.error_code), ErrorCode::UNKNOWN_MEMBER_ID);
}

#[tokio::test]
async fn the_initial_delay_waits_for_more_members() {
    let cluster = cluster_with_delay(1, Duration::from_millis(200)).await;
    let (_, addr) = coordinator(&cluster, "g").await;
    let mut a = Member::new(addr, "g", "a").await;
    a.rebalance_ms = 5_000;
    let started = std::time::Instant::now();
    let a_join = tokio::spawn(async move {
        a.join().await;
        a
    });
    // b arrives during the delay, which moves on by another delay.
    tokio::time::sleep(Duration::from_millis(120)).await;
    let mut b = Member::new(addr, "g", "b").await;
    b.join().await;
    let a = a_join.await.unwrap();
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(a.generation, 1);
    assert_eq!(b.generation, 1);
}
