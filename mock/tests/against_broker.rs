//! The mock against a real broker: the same requests go to both, and their answers must agree
//! (error codes, offsets, watermarks, the records fetched back). Where they may not — Tansu's
//! known deviations from Kafka, listed in `shared/reference/broker.md` — the check says so.
//!
//! The real broker's address comes from `KAFKIT_TEST_BROKERS` (`scripts/test.sh` starts Tansu
//! and sets it; point it at Apache Kafka from `docker-compose.yml` to check against Kafka). Without
//! it the test is skipped with a message — except under CI, where it must run.

mod common;

use std::net::SocketAddr;

use bytes::Bytes;
use common::{batch, producer_batch, Conn};
use kafkit_mock::MockCluster;
use kafkit_protocol::messages::create_topics_request::CreatableTopic;
use kafkit_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafkit_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafkit_protocol::messages::metadata_request::MetadataRequestTopic;
use kafkit_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafkit_protocol::messages::*;
use kafkit_protocol::record::Batches;

fn broker_addr() -> Option<SocketAddr> {
    match std::env::var("KAFKIT_TEST_BROKERS") {
        Ok(b) if !b.is_empty() => {
            let first = b.split(',').next().unwrap();
            Some(std::net::ToSocketAddrs::to_socket_addrs(first).expect("KAFKIT_TEST_BROKERS resolves").next().unwrap())
        }
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI must run this test: set KAFKIT_TEST_BROKERS (scripts/test.sh does)")
        }
        _ => None,
    }
}

/// What a scenario observed, in a form comparable across brokers.
#[derive(Debug, PartialEq)]
struct Observed {
    create_error: i16,
    partitions: usize,
    produce: Vec<(i16, i64)>,
    fetched: Vec<(i64, Option<Bytes>, Option<Bytes>, i64)>,
    high_watermark: i64,
    earliest: i64,
    idempotent: Vec<(i16, i64)>,
    out_of_order: i16,
}

async fn scenario(addr: SocketAddr, topic: &str) -> Observed {
    let mut conn = Conn::connect(addr).await;
    let create = CreateTopicsRequest {
        topics: vec![CreatableTopic {
            name: topic.into(),
            num_partitions: 2,
            replication_factor: 1,
            ..Default::default()
        }],
        timeout_ms: 10_000,
        ..Default::default()
    };
    let created = conn.send(5, &create).await;
    let meta = MetadataRequest {
        topics: Some(vec![MetadataRequestTopic { name: Some(topic.into()), ..Default::default() }]),
        allow_auto_topic_creation: false,
        ..Default::default()
    };
    let meta = conn.send(12, &meta).await;
    let t = &meta.topics[0];
    let leader = t.partitions.iter().find(|p| p.partition_index == 0).unwrap().leader_id;
    let b = meta.brokers.iter().find(|b| b.node_id == leader).unwrap();
    let mut conn = Conn::connect(format!("{}:{}", b.host, b.port).parse().unwrap()).await;

    let produce = |records: Bytes| ProduceRequest {
        acks: -1,
        timeout_ms: 10_000,
        topic_data: vec![TopicProduceData {
            name: topic.into(),
            partition_data: vec![PartitionProduceData { index: 0, records: Some(records), ..Default::default() }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let mut produced = Vec::new();
    for records in [batch(&["a", "b", "c"], 1_700_000_000_000), batch(&["d"], 1_700_000_001_000)] {
        let r = conn.send(9, &produce(records)).await;
        let p = &r.responses[0].partition_responses[0];
        produced.push((p.error_code, p.base_offset));
    }

    let fetch = FetchRequest {
        max_wait_ms: 100,
        min_bytes: 1,
        max_bytes: 1 << 20,
        topics: vec![FetchTopic {
            topic: topic.into(),
            partitions: vec![FetchPartition {
                partition: 0,
                fetch_offset: 0,
                partition_max_bytes: 1 << 20,
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let f = conn.send(11, &fetch).await;
    let p = &f.responses[0].partitions[0];
    let mut fetched = Vec::new();
    for b in Batches::new(p.records.clone().unwrap_or_default()) {
        for r in b.unwrap().records().unwrap() {
            let r = r.unwrap();
            fetched.push((r.offset, r.key, r.value, r.timestamp));
        }
    }

    let earliest = ListOffsetsRequest {
        replica_id: -1,
        topics: vec![ListOffsetsTopic {
            name: topic.into(),
            partitions: vec![ListOffsetsPartition { partition_index: 0, timestamp: -2, ..Default::default() }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let earliest = conn.send(7, &earliest).await.topics[0].partitions[0].offset;

    // Idempotent producer (InitProducerId v4: Tansu issues no id before v3).
    let init = conn.send(4, &InitProducerIdRequest { transaction_timeout_ms: 60_000, ..Default::default() }).await;
    let (pid, epoch) = (init.producer_id, init.producer_epoch);
    let mut idempotent = Vec::new();
    for (values, seq) in [(vec!["i0", "i1"], 0), (vec!["i2"], 2)] {
        let r = conn.send(9, &produce(producer_batch(&values, pid, epoch, seq, false))).await;
        let p = &r.responses[0].partition_responses[0];
        idempotent.push((p.error_code, p.base_offset));
    }
    let gap = conn.send(9, &produce(producer_batch(&["x"], pid, epoch, 7, false))).await;
    let out_of_order = gap.responses[0].partition_responses[0].error_code;

    Observed {
        create_error: created.topics[0].error_code,
        partitions: t.partitions.len(),
        produce: produced,
        fetched,
        high_watermark: p.high_watermark,
        earliest,
        idempotent,
        out_of_order,
    }
}

#[tokio::test]
async fn the_mock_answers_like_the_real_broker() {
    let Some(real) = broker_addr() else {
        eprintln!("skipped: no real broker (set KAFKIT_TEST_BROKERS, or run scripts/test.sh)");
        return;
    };
    let topic = format!("kafkit-mock-vs-broker-{}", std::process::id());
    let mock = MockCluster::start(1).await.unwrap();
    let from_mock = scenario(mock.broker_addrs()[0], &topic).await;
    let from_broker = scenario(real, &topic).await;
    assert_eq!(from_mock, from_broker, "the mock and the broker disagree (the broker is right)");
    // And the scenario saw what it should, so that agreement means something.
    assert_eq!(from_mock.produce, vec![(0, 0), (0, 3)]);
    assert_eq!(from_mock.fetched.len(), 4);
    assert_eq!(from_mock.idempotent, vec![(0, 4), (0, 6)]);
    assert_eq!(from_mock.out_of_order, kafkit_protocol::ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER.code());
}
