//! Committed offsets over the wire: OffsetCommit, OffsetFetch (v1–v9), TxnOffsetCommit, and their
//! group checks.

#[path = "group_support/mod.rs"]
mod support;

use kafkit_mock::Fault;
use kafkit_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
};
use kafkit_protocol::messages::*;
use kafkit_protocol::{ApiKey, ErrorCode};
use support::*;

/// OffsetFetch of one group at v1–v7: (partition, offset, leader epoch, metadata, error) per
/// topic, and the top-level error.
async fn fetch(
    conn: &mut Conn,
    version: i16,
    group: &str,
    topics: Option<Vec<(&str, Vec<i32>)>>,
) -> (Vec<(String, Vec<(i32, i64, i32, String, i16)>)>, i16) {
    let req = OffsetFetchRequest {
        group_id: group.to_string(),
        topics: topics.map(|ts| {
            ts.into_iter()
                .map(|(t, ps)| OffsetFetchRequestTopic {
                    name: t.to_string(),
                    partition_indexes: ps,
                    ..Default::default()
                })
                .collect()
        }),
        ..Default::default()
    };
    let resp = conn.call(version, &req).await;
    let topics = resp
        .topics
        .into_iter()
        .map(|t| {
            (
                t.name,
                t.partitions
                    .into_iter()
                    .map(|p| {
                        (
                            p.partition_index,
                            p.committed_offset,
                            p.committed_leader_epoch,
                            p.metadata.unwrap_or_default(),
                            p.error_code,
                        )
                    })
                    .collect(),
            )
        })
        .collect();
    (topics, resp.error_code)
}

fn codes(resp: &OffsetCommitResponse) -> Vec<ErrorCode> {
    resp.topics.iter().flat_map(|t| t.partitions.iter().map(|p| ErrorCode::from_i16(p.error_code))).collect()
}

#[tokio::test]
async fn commit_and_fetch_round_trip() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 3).unwrap();
    let (mut a, _b) = stable_pair(&cluster, "g").await;
    assert_eq!(a.commit(&[(0, 10), (1, 20)]).await, vec![ErrorCode::NONE, ErrorCode::NONE]);
    assert_eq!(cluster.committed_offset("g", "t", 0), Some(10));
    assert_eq!(cluster.committed_offset("g", "t", 1), Some(20));
    assert_eq!(cluster.committed_offset("g", "t", 2), None);

    for version in [1, 2, 5, 7] {
        let (topics, error) = fetch(&mut a.conn, version, "g", Some(vec![("t", vec![0, 1, 2])])).await;
        assert_eq!(error, 0);
        let epoch = if version >= 5 { 3 } else { -1 };
        assert_eq!(
            topics,
            vec![(
                "t".to_string(),
                vec![
                    (0, 10, epoch, "m0".to_string(), 0),
                    (1, 20, epoch, "m1".to_string(), 0),
                    (2, -1, -1, String::new(), 0)
                ]
            )],
            "v{version}"
        );
    }
    // null topics: every partition the group has.
    let (topics, _) = fetch(&mut a.conn, 7, "g", None).await;
    assert_eq!(topics, vec![("t".to_string(), vec![(0, 10, 3, "m0".into(), 0), (1, 20, 3, "m1".into(), 0)])]);

    // A later commit wins.
    assert_eq!(a.commit(&[(0, 11)]).await, vec![ErrorCode::NONE]);
    assert_eq!(cluster.committed_offset("g", "t", 0), Some(11));
    // An unknown group has no offsets.
    let (topics, _) = fetch(&mut a.conn, 7, "nobody", Some(vec![("t", vec![0])])).await;
    assert_eq!(topics[0].1, vec![(0, -1, -1, String::new(), 0)]);
}

#[tokio::test]
async fn offset_fetch_v8_asks_for_several_groups() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 2).unwrap();
    let (_, addr) = coordinator(&cluster, "g1").await;
    let mut conn = Conn::connect(addr, "admin").await;
    for (group, offset) in [("g1", 5), ("g2", 6)] {
        let (_, addr) = coordinator(&cluster, group).await;
        let mut c = Conn::connect(addr, "admin").await;
        let resp = c.call(8, &commit_request(group, -1, "", "t", &[(1, offset)])).await;
        assert_eq!(codes(&resp), vec![ErrorCode::NONE]);
    }
    let req = OffsetFetchRequest {
        groups: vec![
            OffsetFetchRequestGroup { group_id: "g1".into(), topics: None, ..Default::default() },
            OffsetFetchRequestGroup {
                group_id: "g2".into(),
                topics: Some(vec![OffsetFetchRequestTopics {
                    name: "t".into(),
                    partition_indexes: vec![0, 1],
                    ..Default::default()
                }]),
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    // One broker: it coordinates both.
    let resp = conn.call(8, &req).await;
    assert_eq!(resp.groups.len(), 2);
    let g1 = &resp.groups[0];
    assert_eq!((g1.group_id.as_str(), g1.error_code), ("g1", 0));
    assert_eq!(g1.topics.len(), 1);
    assert_eq!(g1.topics[0].partitions.len(), 1);
    assert_eq!((g1.topics[0].partitions[0].partition_index, g1.topics[0].partitions[0].committed_offset), (1, 5));
    let g2 = &resp.groups[1];
    let offsets: Vec<(i32, i64)> =
        g2.topics[0].partitions.iter().map(|p| (p.partition_index, p.committed_offset)).collect();
    assert_eq!(offsets, vec![(0, -1), (1, 6)]);
}

#[tokio::test]
async fn stale_generations_and_strangers_cannot_commit() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 2).unwrap();
    let (mut a, mut b) = stable_pair(&cluster, "g").await;
    let generation = a.generation;

    a.generation = generation - 1;
    assert_eq!(a.commit(&[(0, 1)]).await, vec![ErrorCode::ILLEGAL_GENERATION]);
    a.generation = generation;
    let real = std::mem::replace(&mut a.member_id, "stranger".into());
    assert_eq!(a.commit(&[(0, 1)]).await, vec![ErrorCode::UNKNOWN_MEMBER_ID]);
    a.member_id = real;
    // A simple commit (no generation, no member) to a group with members.
    let resp = a.conn.call(9, &commit_request("g", -1, "", "t", &[(0, 1)])).await;
    assert_eq!(codes(&resp), vec![ErrorCode::UNKNOWN_MEMBER_ID]);
    assert_eq!(cluster.committed_offset("g", "t", 0), None);

    // During CompletingRebalance: REBALANCE_IN_PROGRESS. b leaves; a rejoins (gen + 1) but does
    // not sync yet.
    b.leave().await;
    a.join().await;
    assert_eq!(a.generation, generation + 1);
    assert_eq!(a.commit(&[(0, 1)]).await, vec![ErrorCode::REBALANCE_IN_PROGRESS]);
    a.sync().await;
    assert_eq!(a.commit(&[(0, 1)]).await, vec![ErrorCode::NONE]);
    // The old generation is refused now.
    a.generation = generation;
    assert_eq!(a.commit(&[(0, 2)]).await, vec![ErrorCode::ILLEGAL_GENERATION]);
    assert_eq!(cluster.committed_offset("g", "t", 0), Some(1));
}

#[tokio::test]
async fn simple_commits_and_unknown_partitions() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 2).unwrap();
    let (_, addr) = coordinator(&cluster, "simple").await;
    let mut conn = Conn::connect(addr, "admin").await;

    // v0 has no generation or member: a simple commit; it creates an Empty group.
    let resp = conn.call(0, &commit_request("simple", -1, "", "t", &[(0, 7), (1, 8), (2, 9)])).await;
    assert_eq!(codes(&resp), vec![ErrorCode::NONE, ErrorCode::NONE, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION]);
    assert_eq!(cluster.committed_offset("simple", "t", 0), Some(7));
    assert_eq!(cluster.committed_offset("simple", "t", 2), None);
    assert_eq!(cluster.group("simple").unwrap().state, kafkit_mock::GroupState::Empty);
    let resp = conn.call(9, &commit_request("simple", -1, "", "no-such-topic", &[(0, 1)])).await;
    assert_eq!(codes(&resp), vec![ErrorCode::UNKNOWN_TOPIC_OR_PARTITION]);
    // A generation of a group that does not exist.
    let resp = conn.call(9, &commit_request("ghost", 3, "m", "t", &[(0, 1)])).await;
    assert_eq!(codes(&resp), vec![ErrorCode::ILLEGAL_GENERATION]);
    assert!(cluster.group("ghost").is_none());
    // Metadata too large.
    let mut req = commit_request("simple", -1, "", "t", &[(0, 1)]);
    req.topics[0].partitions[0].committed_metadata = Some("x".repeat(5000));
    assert_eq!(codes(&conn.call(9, &req).await), vec![ErrorCode::OFFSET_METADATA_TOO_LARGE]);
}

#[tokio::test]
async fn txn_offset_commit_stores_offsets() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 1).unwrap();
    let (_, addr) = coordinator(&cluster, "tg").await;
    let mut conn = Conn::connect(addr, "producer").await;
    let req = TxnOffsetCommitRequest {
        transactional_id: "tx".into(),
        group_id: "tg".into(),
        producer_id: 1000,
        producer_epoch: 0,
        generation_id: -1,
        topics: vec![txn_offset_commit_request::TxnOffsetCommitRequestTopic {
            name: "t".into(),
            partitions: vec![
                txn_offset_commit_request::TxnOffsetCommitRequestPartition {
                    partition_index: 0,
                    committed_offset: 42,
                    committed_metadata: Some("txn".into()),
                    ..Default::default()
                },
                txn_offset_commit_request::TxnOffsetCommitRequestPartition {
                    partition_index: 5,
                    committed_offset: 1,
                    ..Default::default()
                },
            ],
            ..Default::default()
        }],
        ..Default::default()
    };
    for version in [0, 3] {
        let resp = conn.call(version, &req).await;
        let errors: Vec<i16> = resp.topics[0].partitions.iter().map(|p| p.error_code).collect();
        assert_eq!(errors, vec![0, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION.code()], "v{version}");
    }
    assert_eq!(cluster.committed_offset("tg", "t", 0), Some(42));
    let (topics, _) = fetch(&mut conn, 7, "tg", None).await;
    assert_eq!(topics, vec![("t".to_string(), vec![(0, 42, -1, "txn".to_string(), 0)])]);
}

#[tokio::test]
async fn injected_partition_faults_fail_only_their_partition() {
    let cluster = cluster(1).await;
    cluster.create_topic("t", 3).unwrap();
    let (mut a, _b) = stable_pair(&cluster, "g").await;
    cluster.inject(Fault::error(ApiKey::OffsetCommit, ErrorCode::UNKNOWN_SERVER_ERROR).partition("t", 1));
    assert_eq!(
        a.commit(&[(0, 5), (1, 5), (2, 5)]).await,
        vec![ErrorCode::NONE, ErrorCode::UNKNOWN_SERVER_ERROR, ErrorCode::NONE]
    );
    assert_eq!(cluster.committed_offset("g", "t", 1), None);
    assert_eq!(cluster.committed_offset("g", "t", 2), Some(5));
    // Without a partition the fault fails the whole request, once.
    cluster.inject(Fault::error(ApiKey::OffsetCommit, ErrorCode::COORDINATOR_LOAD_IN_PROGRESS));
    assert_eq!(a.commit(&[(0, 6), (1, 6)]).await, vec![ErrorCode::COORDINATOR_LOAD_IN_PROGRESS; 2]);
    assert_eq!(a.commit(&[(0, 6), (1, 6)]).await, vec![ErrorCode::NONE; 2]);

    cluster.inject(Fault::error(ApiKey::OffsetFetch, ErrorCode::UNSTABLE_OFFSET_COMMIT).partition("t", 0));
    let (topics, error) = fetch(&mut a.conn, 7, "g", Some(vec![("t", vec![0, 1])])).await;
    assert_eq!(error, 0);
    assert_eq!(topics[0].1[0].4, ErrorCode::UNSTABLE_OFFSET_COMMIT.code());
    assert_eq!(topics[0].1[1], (1, 6, 3, "m1".to_string(), 0));
    cluster.inject(Fault::error(ApiKey::OffsetFetch, ErrorCode::NOT_COORDINATOR));
    let (topics, error) = fetch(&mut a.conn, 7, "g", None).await;
    assert_eq!((topics.len(), ErrorCode::from_i16(error)), (0, ErrorCode::NOT_COORDINATOR));
    // v1 has no top-level error: each partition carries it.
    cluster.inject(Fault::error(ApiKey::OffsetFetch, ErrorCode::NOT_COORDINATOR));
    let (topics, _) = fetch(&mut a.conn, 1, "g", Some(vec![("t", vec![0])])).await;
    assert_eq!(topics[0].1, vec![(0, -1, -1, String::new(), ErrorCode::NOT_COORDINATOR.code())]);
}
