//! The mock's data plane, driven over TCP with raw protocol requests: ApiVersions, Metadata,
//! Produce, Fetch, ListOffsets, CreateTopics/DeleteTopics, InitProducerId, transactions, faults,
//! broker failures and leadership moves.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{batch, producer_batch, Conn};
use kafkit_mock::{Fault, MockCluster};
use kafkit_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafkit_protocol::messages::fetch_response::PartitionData;
use kafkit_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafkit_protocol::messages::metadata_request::MetadataRequestTopic;
use kafkit_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafkit_protocol::messages::produce_response::PartitionProduceResponse;
use kafkit_protocol::messages::*;
use kafkit_protocol::record::{Batches, ControlRecord, ControlRecordType};
use kafkit_protocol::{ApiKey, ErrorCode};

const E: fn(i16) -> ErrorCode = ErrorCode::from_i16;

fn produce_req(topic: &str, partition: i32, records: Bytes, acks: i16) -> ProduceRequest {
    ProduceRequest {
        acks,
        timeout_ms: 5000,
        topic_data: vec![TopicProduceData {
            name: topic.into(),
            partition_data: vec![PartitionProduceData {
                index: partition,
                records: Some(records),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

async fn produce(conn: &mut Conn, topic: &str, partition: i32, records: Bytes) -> PartitionProduceResponse {
    let resp = conn.send(9, &produce_req(topic, partition, records, -1)).await;
    resp.responses[0].partition_responses[0].clone()
}

fn fetch_req(
    topic: &str,
    partition: i32,
    offset: i64,
    isolation: i8,
    max_wait_ms: i32,
    min_bytes: i32,
) -> FetchRequest {
    FetchRequest {
        max_wait_ms,
        min_bytes,
        isolation_level: isolation,
        topics: vec![FetchTopic {
            topic: topic.into(),
            partitions: vec![FetchPartition {
                partition,
                fetch_offset: offset,
                partition_max_bytes: 1 << 20,
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

async fn fetch(conn: &mut Conn, topic: &str, partition: i32, offset: i64, isolation: i8) -> PartitionData {
    let resp = conn.send(12, &fetch_req(topic, partition, offset, isolation, 0, 0)).await;
    resp.responses[0].partitions[0].clone()
}

fn values(data: &PartitionData) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for b in Batches::new(data.records.clone().unwrap_or_default()) {
        let b = b.unwrap();
        if b.is_control() {
            continue;
        }
        for r in b.records().unwrap() {
            let r = r.unwrap();
            out.push((r.offset, String::from_utf8(r.value.unwrap().to_vec()).unwrap()));
        }
    }
    out
}

/// A connection to the leader of `topic[partition]`.
async fn leader_conn(cluster: &MockCluster, topic: &str, partition: i32) -> Conn {
    let leader = cluster.leader(topic, partition).unwrap();
    let idx = cluster.broker_ids().iter().position(|b| *b == leader).unwrap();
    Conn::connect(cluster.broker_addrs()[idx]).await
}

async fn follower_conn(cluster: &MockCluster, topic: &str, partition: i32) -> (i32, Conn) {
    let leader = cluster.leader(topic, partition).unwrap();
    let ids = cluster.broker_ids();
    let idx = ids.iter().position(|b| *b != leader).unwrap();
    (ids[idx], Conn::connect(cluster.broker_addrs()[idx]).await)
}

#[tokio::test]
async fn api_versions_lists_what_the_mock_answers() {
    let cluster = MockCluster::start(1).await.unwrap();
    let mut conn = Conn::connect(cluster.broker_addrs()[0]).await;
    let resp = conn.send(3, &ApiVersionsRequest::default()).await;
    assert_eq!(resp.error_code, 0);
    let range =
        |k: ApiKey| resp.api_keys.iter().find(|a| a.api_key == k.as_i16()).map(|a| (a.min_version, a.max_version));
    assert_eq!(range(ApiKey::Produce), Some((3, ProduceRequest::MAX_VERSION)));
    assert_eq!(range(ApiKey::Fetch), Some((4, FetchRequest::MAX_VERSION)));
    assert!(range(ApiKey::JoinGroup).is_some());
    assert_eq!(range(ApiKey::DescribeConfigs), None);
}

#[tokio::test]
async fn api_versions_can_advertise_an_older_broker() {
    let cluster = MockCluster::builder().advertise_versions(ApiKey::Produce, 0, 2).start().await.unwrap();
    let mut conn = Conn::connect(cluster.broker_addrs()[0]).await;
    let resp = conn.send(3, &ApiVersionsRequest::default()).await;
    let range =
        |k: ApiKey| resp.api_keys.iter().find(|a| a.api_key == k.as_i16()).map(|a| (a.min_version, a.max_version));
    assert_eq!(range(ApiKey::Produce), Some((0, 2)));
    assert_eq!(range(ApiKey::Fetch), Some((4, FetchRequest::MAX_VERSION)), "other APIs unchanged");
}

#[tokio::test]
async fn api_versions_at_an_unknown_version_gets_a_v0_unsupported_version_answer() {
    let cluster = MockCluster::start(1).await.unwrap();
    let mut conn = Conn::connect(cluster.broker_addrs()[0]).await;
    // ApiVersions v99, correlation id 7, client id "x", then a body kafkit cannot parse.
    conn.raw(&[0, 0, 0, 13, 0, 18, 0, 99, 0, 0, 0, 7, 0, 1, b'x', 0, 0]).await;
    let frame = conn.read_frame().await.unwrap();
    let mut r = kafkit_protocol::codec::Reader::new(frame);
    assert_eq!(r.i32().unwrap(), 7);
    let body = ApiVersionsResponse::decode(&mut r, 0).unwrap();
    assert_eq!(E(body.error_code), ErrorCode::UNSUPPORTED_VERSION);
    assert!(!body.api_keys.is_empty());
}

#[tokio::test]
async fn metadata_auto_creates_and_spreads_leaders() {
    let cluster = MockCluster::builder().brokers(3).default_partitions(6).start().await.unwrap();
    let mut conn = Conn::connect(cluster.broker_addrs()[0]).await;
    let req = MetadataRequest {
        topics: Some(vec![MetadataRequestTopic { name: Some("auto".into()), ..Default::default() }]),
        ..Default::default()
    };
    let resp = conn.send(12, &req).await;
    assert_eq!(resp.brokers.len(), 3);
    let t = &resp.topics[0];
    assert_eq!((t.error_code, t.partitions.len()), (0, 6));
    let mut leaders: Vec<i32> = t.partitions.iter().map(|p| p.leader_id).collect();
    leaders.sort_unstable();
    leaders.dedup();
    assert_eq!(leaders, vec![1, 2, 3]);
    assert!(t.partitions.iter().all(|p| p.replica_nodes.len() == 3 && p.isr_nodes.len() == 3));
    // By topic id (v10+), and an unknown name without auto-creation.
    let by_id = MetadataRequest {
        topics: Some(vec![MetadataRequestTopic { topic_id: t.topic_id, name: None, ..Default::default() }]),
        ..Default::default()
    };
    assert_eq!(conn.send(12, &by_id).await.topics[0].name.as_deref(), Some("auto"));
    let no_create = MetadataRequest {
        topics: Some(vec![MetadataRequestTopic { name: Some("nope".into()), ..Default::default() }]),
        allow_auto_topic_creation: false,
        ..Default::default()
    };
    assert_eq!(E(conn.send(12, &no_create).await.topics[0].error_code), ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
}

#[tokio::test]
async fn produce_assigns_offsets_and_fetch_returns_the_records() {
    let cluster = MockCluster::start(3).await.unwrap();
    cluster.create_topic("t", 2).unwrap();
    let mut conn = leader_conn(&cluster, "t", 1).await;
    let a = produce(&mut conn, "t", 1, batch(&["a", "b", "c"], 1000)).await;
    assert_eq!((E(a.error_code), a.base_offset), (ErrorCode::NONE, 0));
    let b = produce(&mut conn, "t", 1, batch(&["d"], 2000)).await;
    assert_eq!(b.base_offset, 3);
    let data = fetch(&mut conn, "t", 1, 0, 0).await;
    assert_eq!(data.high_watermark, 4);
    assert_eq!(values(&data), vec![(0, "a".into()), (1, "b".into()), (2, "c".into()), (3, "d".into())]);
    // From the middle of a batch: the whole batch comes back; the client skips what it has.
    assert_eq!(values(&fetch(&mut conn, "t", 1, 2, 0).await)[0].0, 0);
    assert_eq!(cluster.records("t", 1).unwrap().len(), 4);
    assert_eq!(cluster.high_watermark("t", 1), Some(4));
    // Fetch by topic id (v13+).
    let meta = conn.send(12, &MetadataRequest::default()).await;
    let id = meta.topics.iter().find(|t| t.name.as_deref() == Some("t")).unwrap().topic_id;
    let mut req = fetch_req("", 1, 0, 0, 0, 0);
    req.topics[0].topic_id = id;
    let resp = conn.send(16, &req).await;
    assert_eq!(values(&resp.responses[0].partitions[0]).len(), 4);
}

#[tokio::test]
async fn produce_to_a_follower_names_the_leader() {
    let cluster = MockCluster::start(3).await.unwrap();
    cluster.create_topic("t", 1).unwrap();
    let (_, mut conn) = follower_conn(&cluster, "t", 0).await;
    let resp = conn.send(10, &produce_req("t", 0, batch(&["x"], 0), -1)).await;
    let p = &resp.responses[0].partition_responses[0];
    assert_eq!(E(p.error_code), ErrorCode::NOT_LEADER_OR_FOLLOWER);
    assert_eq!(p.current_leader.leader_id, cluster.leader("t", 0).unwrap());
    assert_eq!(resp.node_endpoints.len(), 1);
    assert!(cluster.records("t", 0).unwrap().is_empty());
}

#[tokio::test]
async fn injected_errors_apply_the_given_number_of_times() {
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic("t", 1).unwrap();
    cluster.inject(Fault::error(ApiKey::Produce, ErrorCode::NOT_LEADER_OR_FOLLOWER).times(2).partition("t", 0));
    let mut conn = leader_conn(&cluster, "t", 0).await;
    for _ in 0..2 {
        assert_eq!(E(produce(&mut conn, "t", 0, batch(&["x"], 0)).await.error_code), ErrorCode::NOT_LEADER_OR_FOLLOWER);
    }
    assert_eq!(produce(&mut conn, "t", 0, batch(&["x"], 0)).await.error_code, 0);
    assert_eq!(cluster.records("t", 0).unwrap().len(), 1);
    assert_eq!(cluster.requests_of(ApiKey::Produce).len(), 3);
}

#[tokio::test]
async fn acks_zero_gets_no_answer_and_bad_acks_are_rejected() {
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic("t", 1).unwrap();
    let mut conn = leader_conn(&cluster, "t", 0).await;
    conn.write(9, &produce_req("t", 0, batch(&["fire", "forget"], 0), 0)).await;
    // The next answer on the connection is the Metadata one: the produce got none.
    let meta = conn.send(12, &MetadataRequest::default()).await;
    assert_eq!(meta.topics.len(), 1);
    assert_eq!(cluster.records("t", 0).unwrap().len(), 2);
    let bad = conn.send(9, &produce_req("t", 0, batch(&["x"], 0), 2)).await;
    assert_eq!(E(bad.responses[0].partition_responses[0].error_code), ErrorCode::INVALID_REQUIRED_ACKS);
}

#[tokio::test]
async fn corrupt_and_malformed_batches_are_rejected() {
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic("t", 1).unwrap();
    let mut conn = leader_conn(&cluster, "t", 0).await;
    let mut bad = batch(&["x"], 0).to_vec();
    let n = bad.len();
    bad[n - 1] ^= 0xff; // breaks the CRC
    assert_eq!(E(produce(&mut conn, "t", 0, Bytes::from(bad)).await.error_code), ErrorCode::CORRUPT_MESSAGE);
    let two = [batch(&["a"], 0), batch(&["b"], 0)].concat();
    assert_eq!(E(produce(&mut conn, "t", 0, Bytes::from(two)).await.error_code), ErrorCode::INVALID_RECORD);
    assert_eq!(
        E(produce(&mut conn, "nope", 0, batch(&["x"], 0)).await.error_code),
        ErrorCode::UNKNOWN_TOPIC_OR_PARTITION
    );
    assert!(cluster.records("t", 0).unwrap().is_empty());
}

#[tokio::test]
async fn idempotent_producer_sequences_are_checked_as_kafka_does() {
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic("t", 1).unwrap();
    let mut conn = leader_conn(&cluster, "t", 0).await;
    let init = conn.send(4, &InitProducerIdRequest { transaction_timeout_ms: 60000, ..Default::default() }).await;
    assert_eq!(init.error_code, 0);
    let (pid, epoch) = (init.producer_id, init.producer_epoch);
    let first = producer_batch(&["a", "b"], pid, epoch, 0, false);
    assert_eq!(produce(&mut conn, "t", 0, first.clone()).await.base_offset, 0);
    // A retried batch is answered with its original offset and not stored twice.
    let dup = produce(&mut conn, "t", 0, first).await;
    assert_eq!((E(dup.error_code), dup.base_offset), (ErrorCode::NONE, 0));
    // A gap in the sequence.
    let gap = produce(&mut conn, "t", 0, producer_batch(&["c"], pid, epoch, 5, false)).await;
    assert_eq!(E(gap.error_code), ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert_eq!(produce(&mut conn, "t", 0, producer_batch(&["c"], pid, epoch, 2, false)).await.base_offset, 2);
    // An epoch older than the one issued, and an id never issued.
    let init2 =
        conn.send(4, &InitProducerIdRequest { producer_id: pid, producer_epoch: epoch, ..Default::default() }).await;
    assert_eq!((init2.producer_id, init2.producer_epoch), (pid, epoch + 1));
    let stale = produce(&mut conn, "t", 0, producer_batch(&["d"], pid, epoch, 3, false)).await;
    assert_eq!(E(stale.error_code), ErrorCode::INVALID_PRODUCER_EPOCH);
    let unknown = produce(&mut conn, "t", 0, producer_batch(&["d"], 424242, 0, 0, false)).await;
    assert_eq!(E(unknown.error_code), ErrorCode::UNKNOWN_PRODUCER_ID);
    // The bumped epoch starts over at sequence 0.
    assert_eq!(produce(&mut conn, "t", 0, producer_batch(&["d"], pid, epoch + 1, 0, false)).await.base_offset, 3);
    assert_eq!(cluster.records("t", 0).unwrap().len(), 4);
    // The stored batches keep the producer's id, epoch and sequences, with the log's offsets.
    let stored: Vec<_> = cluster
        .batches("t", 0)
        .unwrap()
        .iter()
        .map(|b| (b.base_offset, b.producer_id, b.producer_epoch, b.base_sequence, b.record_count))
        .collect();
    assert_eq!(stored, vec![(0, pid, epoch, 0, 2), (2, pid, epoch, 2, 1), (3, pid, epoch + 1, 0, 1)]);
    assert!(cluster.batches("t", 9).is_err());
}

#[tokio::test]
async fn duplicate_sequence_error_mode_answers_like_tansu() {
    let cluster = MockCluster::builder().duplicate_sequence_error(true).start().await.unwrap();
    cluster.create_topic("t", 1).unwrap();
    let mut conn = leader_conn(&cluster, "t", 0).await;
    let init = conn.send(4, &InitProducerIdRequest::default()).await;
    let b = producer_batch(&["a"], init.producer_id, init.producer_epoch, 0, false);
    assert_eq!(produce(&mut conn, "t", 0, b.clone()).await.error_code, 0);
    assert_eq!(E(produce(&mut conn, "t", 0, b).await.error_code), ErrorCode::DUPLICATE_SEQUENCE_NUMBER);
}

#[tokio::test]
async fn fetch_long_polls_until_data_arrives() {
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic("t", 1).unwrap();
    let addr = cluster.broker_addrs()[0];
    let waiter = tokio::spawn(async move {
        let mut conn = Conn::connect(addr).await;
        // Waits up to a minute for one byte; only an append can end it sooner.
        conn.send(12, &fetch_req("t", 0, 0, 0, 60_000, 1)).await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut conn = Conn::connect(addr).await;
    produce(&mut conn, "t", 0, batch(&["wake"], 0)).await;
    let resp = tokio::time::timeout(Duration::from_secs(30), waiter).await.expect("the fetch was woken").unwrap();
    assert_eq!(values(&resp.responses[0].partitions[0]), vec![(0, "wake".into())]);
}

#[tokio::test]
async fn fetch_with_nothing_new_returns_empty_after_max_wait() {
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic("t", 1).unwrap();
    let mut conn = Conn::connect(cluster.broker_addrs()[0]).await;
    let resp = conn.send(12, &fetch_req("t", 0, 0, 0, 50, 1)).await;
    let p = &resp.responses[0].partitions[0];
    assert_eq!((p.error_code, p.high_watermark), (0, 0));
    assert!(p.records.as_ref().unwrap().is_empty());
}

#[tokio::test]
async fn fetch_limits_and_out_of_range() {
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic("t", 1).unwrap();
    let mut conn = leader_conn(&cluster, "t", 0).await;
    for i in 0..5 {
        produce(&mut conn, "t", 0, batch(&[&"v".repeat(100), &i.to_string()], 0)).await;
    }
    // A partition limit smaller than one batch still returns one batch (KIP-74) and no more.
    let mut req = fetch_req("t", 0, 0, 0, 0, 0);
    req.topics[0].partitions[0].partition_max_bytes = 10;
    let resp = conn.send(12, &req).await;
    assert_eq!(Batches::new(resp.responses[0].partitions[0].records.clone().unwrap()).count(), 1);
    let p = fetch(&mut conn, "t", 0, 11, 0).await;
    assert_eq!(E(p.error_code), ErrorCode::OFFSET_OUT_OF_RANGE);
    assert_eq!(fetch(&mut conn, "t", 0, 10, 0).await.error_code, 0, "the high watermark itself is in range");
}

#[tokio::test]
async fn list_offsets_earliest_latest_and_by_timestamp() {
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic("t", 1).unwrap();
    let mut conn = leader_conn(&cluster, "t", 0).await;
    produce(&mut conn, "t", 0, batch(&["a", "b"], 1000)).await; // ts 1000, 1001
    produce(&mut conn, "t", 0, batch(&["c"], 5000)).await; // ts 5000
    let query = |ts: i64| ListOffsetsRequest {
        replica_id: -1,
        topics: vec![ListOffsetsTopic {
            name: "t".into(),
            partitions: vec![ListOffsetsPartition { partition_index: 0, timestamp: ts, ..Default::default() }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let mut ask = async |ts| {
        let r = conn.send(7, &query(ts)).await;
        let p = r.topics[0].partitions[0].clone();
        (p.offset, p.timestamp)
    };
    assert_eq!(ask(-2).await.0, 0);
    assert_eq!(ask(-1).await.0, 3);
    assert_eq!(ask(1001).await, (1, 1001));
    assert_eq!(ask(1002).await, (2, 5000));
    assert_eq!(ask(9999).await, (-1, -1));
    assert_eq!(ask(-3).await, (2, 5000));
}

#[tokio::test]
async fn transactions_commit_and_abort_with_read_committed() {
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic("t", 1).unwrap();
    let mut conn = leader_conn(&cluster, "t", 0).await;
    let init = conn
        .send(
            4,
            &InitProducerIdRequest {
                transactional_id: Some("tx".into()),
                transaction_timeout_ms: 60000,
                ..Default::default()
            },
        )
        .await;
    let (pid, epoch) = (init.producer_id, init.producer_epoch);
    let add = AddPartitionsToTxnRequest {
        v3_and_below_transactional_id: "tx".into(),
        v3_and_below_producer_id: pid,
        v3_and_below_producer_epoch: epoch,
        v3_and_below_topics: vec![add_partitions_to_txn_request::AddPartitionsToTxnTopic {
            name: "t".into(),
            partitions: vec![0],
            ..Default::default()
        }],
        ..Default::default()
    };
    let end = |committed| EndTxnRequest {
        transactional_id: "tx".into(),
        producer_id: pid,
        producer_epoch: epoch,
        committed,
        ..Default::default()
    };

    // An aborted transaction.
    assert_eq!(
        conn.send(3, &add).await.results_by_topic_v3_and_below[0].results_by_partition[0].partition_error_code,
        0
    );
    produce(&mut conn, "t", 0, producer_batch(&["aborted"], pid, epoch, 0, true)).await;
    let open = fetch(&mut conn, "t", 0, 0, 1).await;
    assert_eq!(
        (open.last_stable_offset, values(&open).len()),
        (0, 0),
        "read_committed sees nothing of an open transaction"
    );
    assert_eq!(values(&fetch(&mut conn, "t", 0, 0, 0).await).len(), 1, "read_uncommitted sees it");
    assert_eq!(conn.send(3, &end(false)).await.error_code, 0);
    // A committed one.
    conn.send(3, &add).await;
    produce(&mut conn, "t", 0, producer_batch(&["committed"], pid, epoch, 1, true)).await;
    assert_eq!(conn.send(3, &end(true)).await.error_code, 0);

    let done = fetch(&mut conn, "t", 0, 0, 1).await;
    assert_eq!(done.last_stable_offset, 4);
    let aborted = done.aborted_transactions.clone().unwrap();
    assert_eq!((aborted.len(), aborted[0].producer_id, aborted[0].first_offset), (1, pid, 0));
    let markers: Vec<ControlRecordType> = Batches::new(done.records.clone().unwrap())
        .map(|b| b.unwrap())
        .filter(|b| b.is_control())
        .map(|b| ControlRecord::decode(&b.to_records().unwrap()[0]).unwrap().kind)
        .collect();
    assert_eq!(markers, vec![ControlRecordType::Abort, ControlRecordType::Commit]);
    // A fenced producer: a newer InitProducerId for the same transactional id.
    conn.send(4, &InitProducerIdRequest { transactional_id: Some("tx".into()), ..Default::default() }).await;
    assert_eq!(E(conn.send(3, &end(true)).await.error_code), ErrorCode::PRODUCER_FENCED);
}

#[tokio::test]
async fn leadership_moves_and_broker_failover() {
    let cluster = MockCluster::start(3).await.unwrap();
    cluster.create_topic("t", 1).unwrap();
    let old = cluster.leader("t", 0).unwrap();
    let mut old_conn = leader_conn(&cluster, "t", 0).await;
    let to = cluster.broker_ids().into_iter().find(|b| *b != old).unwrap();
    cluster.move_leader("t", 0, to).unwrap();
    assert_eq!(E(produce(&mut old_conn, "t", 0, batch(&["x"], 0)).await.error_code), ErrorCode::NOT_LEADER_OR_FOLLOWER);
    let mut new_conn = leader_conn(&cluster, "t", 0).await;
    assert_eq!(produce(&mut new_conn, "t", 0, batch(&["x"], 0)).await.error_code, 0);
    let meta = new_conn.send(12, &MetadataRequest::default()).await;
    assert_eq!((meta.topics[0].partitions[0].leader_id, meta.topics[0].partitions[0].leader_epoch), (to, 1));

    // The leader goes down: its connection drops, the partition fails over, metadata omits it.
    cluster.stop_broker(to).unwrap();
    assert!(new_conn.read_frame().await.is_none(), "connections to a stopped broker close");
    let survivor = cluster.leader("t", 0).unwrap();
    assert_ne!(survivor, to);
    let mut conn = leader_conn(&cluster, "t", 0).await;
    let meta = conn.send(12, &MetadataRequest::default()).await;
    assert_eq!(meta.brokers.len(), 2);
    assert_eq!(meta.topics[0].partitions[0].offline_replicas, vec![to]);
    assert_eq!(produce(&mut conn, "t", 0, batch(&["y"], 0)).await.base_offset, 1);
    cluster.start_broker(to).await.unwrap();
    let idx = cluster.broker_ids().iter().position(|b| *b == to).unwrap();
    let mut back = Conn::connect(cluster.broker_addrs()[idx]).await;
    assert_eq!(back.send(12, &MetadataRequest::default()).await.brokers.len(), 3);
}

#[tokio::test]
async fn dropped_connections_delays_and_throttles() {
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic("t", 1).unwrap();
    let mut conn = leader_conn(&cluster, "t", 0).await;
    // The broker applies the produce, then drops the connection instead of answering.
    cluster.inject(Fault::drop_connection(ApiKey::Produce));
    conn.send_expect_close(9, &produce_req("t", 0, batch(&["applied"], 0), -1)).await;
    assert_eq!(cluster.records("t", 0).unwrap().len(), 1);
    let mut conn = leader_conn(&cluster, "t", 0).await;
    cluster.inject(Fault::throttle(ApiKey::Metadata, 250));
    assert_eq!(conn.send(12, &MetadataRequest::default()).await.throttle_time_ms, 250);
    cluster.inject(Fault::delay(ApiKey::Metadata, Duration::from_millis(300)));
    let started = std::time::Instant::now();
    conn.send(12, &MetadataRequest::default()).await;
    assert!(started.elapsed() >= Duration::from_millis(300), "the answer was held");
    // drop_connections closes what is open; new connections work.
    cluster.drop_connections(cluster.broker_ids()[0]);
    assert!(conn.read_frame().await.is_none());
    let mut conn = leader_conn(&cluster, "t", 0).await;
    assert_eq!(conn.send(12, &MetadataRequest::default()).await.topics.len(), 1);
}

#[tokio::test]
async fn malformed_requests_close_only_their_connection() {
    let cluster = MockCluster::start(1).await.unwrap();
    let addr = cluster.broker_addrs()[0];
    let mut bad = Conn::connect(addr).await;
    bad.raw(&[0, 0, 0, 6, 0, 3, 0, 12, 0, 0]).await; // Metadata v12 cut short
    assert!(bad.read_frame().await.is_none());
    let mut huge = Conn::connect(addr).await;
    huge.raw(&[0x7f, 0xff, 0xff, 0xff]).await; // a 2 GiB frame is refused before any allocation
    assert!(huge.read_frame().await.is_none());
    let mut good = Conn::connect(addr).await;
    assert_eq!(good.send(3, &ApiVersionsRequest::default()).await.error_code, 0);
}

#[tokio::test]
async fn create_and_delete_topics() {
    let cluster = MockCluster::start(3).await.unwrap();
    let mut conn = Conn::connect(cluster.broker_addrs()[0]).await;
    let create = |name: &str, partitions: i32, rf: i16| CreateTopicsRequest {
        topics: vec![create_topics_request::CreatableTopic {
            name: name.into(),
            num_partitions: partitions,
            replication_factor: rf,
            ..Default::default()
        }],
        ..Default::default()
    };
    let ok = conn.send(7, &create("new", 4, 2)).await;
    assert_eq!((ok.topics[0].error_code, ok.topics[0].num_partitions), (0, 4));
    assert_eq!(E(conn.send(7, &create("new", 4, 2)).await.topics[0].error_code), ErrorCode::TOPIC_ALREADY_EXISTS);
    assert_eq!(
        E(conn.send(7, &create("bad/name", 1, 1)).await.topics[0].error_code),
        ErrorCode::INVALID_TOPIC_EXCEPTION
    );
    assert_eq!(E(conn.send(7, &create("x", 1, 4)).await.topics[0].error_code), ErrorCode::INVALID_REPLICATION_FACTOR);
    let del = DeleteTopicsRequest { topic_names: vec!["new".into(), "missing".into()], ..Default::default() };
    let resp = conn.send(5, &del).await;
    assert_eq!(resp.responses[0].error_code, 0);
    assert_eq!(E(resp.responses[1].error_code), ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
    assert_eq!(cluster.high_watermark("new", 0), None);
}

#[tokio::test]
async fn produce_below_v3_and_fetch_below_v4_are_unsupported_as_in_kafka_4() {
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic("t", 1).unwrap();
    let mut conn = leader_conn(&cluster, "t", 0).await;
    let p = conn.send(2, &produce_req("t", 0, batch(&["x"], 0), -1)).await;
    assert_eq!(E(p.responses[0].partition_responses[0].error_code), ErrorCode::UNSUPPORTED_VERSION);
    let f = conn.send(3, &fetch_req("t", 0, 0, 0, 0, 0)).await;
    assert_eq!(E(f.responses[0].partitions[0].error_code), ErrorCode::UNSUPPORTED_VERSION);
    assert!(cluster.records("t", 0).unwrap().is_empty());
}
