//! The admin client against a real broker (Tansu in CI, Apache Kafka from docker-compose.yml
//! locally): topics created, described, refused when they exist and deleted; a consumer
//! group's committed offsets, listing and description after members consumed and committed;
//! the offsets of partitions.
//!
//! The broker's `host:port` list comes from `KAFKIT_TEST_BROKERS` (start one with
//! `scripts/tansu.sh start`); without it the tests are skipped with a message, unless `CI` is
//! set, where a missing broker is a failure.
//!
//! Tansu's quirks (see `shared/reference/broker.md`) shape what is checked: its DescribeGroups
//! details are wrong, so only what it gets right is asserted; ListGroups lists only groups
//! with committed offsets (so the group commits before it is listed); ListOffsets "latest"
//! answers the last batch's base offset + 1, so the records are produced one per batch, where
//! that answer is right. The retry paths (NOT_CONTROLLER, coordinator errors) are covered
//! against the mock cluster in `admin_faults.rs`.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use kafkit_client::admin::{Admin, CreateTopicsOptions, NewTopic, OffsetSpec};
use kafkit_client::consumer::{Consumer, ConsumerConfig, OffsetReset, TopicPartition};
use kafkit_client::producer::{Acks, Producer, ProducerConfig, ProducerRecord};
use kafkit_client::protocol::ErrorCode;
use kafkit_client::ClientConfig;

mod common;

use common::{brokers, unique};

/// The longest any wait may take before the test fails (a hang is a bug).
const WAIT: Duration = Duration::from_secs(90);

async fn admin(brokers: &str) -> Admin {
    Admin::connect(ClientConfig::new([brokers])).await.unwrap().with_timeout(Duration::from_secs(30))
}

/// Produces `per_partition[p]` records to each partition `p`, one record per batch.
async fn produce(brokers: &str, topic: &str, per_partition: &[i64]) {
    let config =
        ProducerConfig::new([brokers]).acks(Acks::All).linger(Duration::ZERO).max_in_flight_requests_per_connection(1);
    let producer = Producer::new(config).await.unwrap();
    for (p, n) in per_partition.iter().enumerate() {
        for i in 0..*n {
            let record = ProducerRecord::new(topic).partition(p as i32).value(Bytes::from(format!("v{i}")));
            tokio::time::timeout(WAIT, producer.send(record).await).await.unwrap().unwrap();
        }
    }
    producer.close(Some(WAIT)).await.unwrap();
}

#[tokio::test]
async fn topics_are_created_described_refused_and_deleted() {
    let Some(brokers) = brokers() else { return };
    let admin = admin(&brokers).await;
    let name = unique("admin-topic");
    let created = admin.create_topics(vec![NewTopic::new(&name, 3, 1)], &CreateTopicsOptions::default()).await.unwrap();
    assert!(created[0].is_ok(), "{:?}", created[0].result);

    let md = admin.metadata(None).await.unwrap();
    let topic = md.topic(&name).unwrap_or_else(|| panic!("{name} not among all topics"));
    assert_eq!(topic.partitions.len(), 3);
    assert!(md.brokers().count() >= 1);
    for p in &topic.partitions {
        let leader = p.leader.unwrap();
        assert!(md.broker(leader).is_some(), "the leader {leader} is a broker of the metadata");
        assert!(p.replicas.contains(&leader), "{p:?}");
    }
    let some = admin.metadata(Some(&[name.as_str()])).await.unwrap();
    assert_eq!(some.topics().count(), 1);

    let again = admin.create_topics(vec![NewTopic::new(&name, 3, 1)], &CreateTopicsOptions::default()).await.unwrap();
    assert_eq!(again[0].error_code(), Some(ErrorCode::TOPIC_ALREADY_EXISTS), "{:?}", again[0].result);

    let deleted = admin.delete_topics(&[name.as_str()]).await.unwrap();
    assert!(deleted[0].is_ok(), "{:?}", deleted[0].result);
    let md = admin.metadata(None).await.unwrap();
    assert!(md.topic(&name).is_none(), "{name} still listed after deletion");
    let gone = admin.delete_topics(&[name.as_str()]).await.unwrap();
    assert_eq!(gone[0].error_code(), Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION), "{:?}", gone[0].result);
}

#[tokio::test]
async fn a_groups_committed_offsets_listing_and_description() {
    let Some(brokers) = brokers() else { return };
    let admin = admin(&brokers).await;
    let topic = unique("admin-group-topic");
    let created =
        admin.create_topics(vec![NewTopic::new(&topic, 2, 1)], &CreateTopicsOptions::default()).await.unwrap();
    assert!(created[0].is_ok(), "{:?}", created[0].result);
    produce(&brokers, &topic, &[3, 5]).await;

    let group = unique("admin-group");
    let config = ConsumerConfig::new([brokers.as_str()])
        .group_id(&group)
        .client_id("admin-broker-test")
        .session_timeout(Duration::from_secs(6))
        .heartbeat_interval(Duration::from_millis(500))
        .auto_offset_reset(OffsetReset::Earliest)
        .enable_auto_commit(false);
    let mut consumer = Consumer::new(config).await.unwrap();
    consumer.subscribe([topic.as_str()]).unwrap();
    let mut seen = 0;
    tokio::time::timeout(WAIT, async {
        while seen < 8 {
            seen += consumer.poll(Duration::from_millis(200)).await.unwrap().len();
        }
    })
    .await
    .expect("consumed every record");
    consumer.commit().await.unwrap();

    let committed = admin.list_group_offsets(&group).await.unwrap();
    let got: BTreeMap<i32, i64> =
        committed.iter().filter(|(tp, _)| *tp.topic == *topic).map(|(tp, o)| (tp.partition, o.offset)).collect();
    assert_eq!(got, BTreeMap::from([(0, 3), (1, 5)]));

    let listed = admin.list_groups().await.unwrap();
    assert!(listed.iter().any(|g| g.group_id == group), "{group} not among {listed:?}");

    let described = admin.describe_groups(&[group.as_str()]).await.unwrap();
    assert_eq!(described[0].name, group);
    // What Tansu gets right (its client ids, hosts and assignments are empty).
    let description = described[0].result.as_ref().unwrap();
    assert_eq!((description.state.as_str(), description.protocol_type.as_str()), ("Stable", "consumer"));
    assert_eq!(description.members.len(), 1, "{description:?}");
    assert!(!description.members[0].member_id.is_empty());

    let partitions = [TopicPartition::new(topic.as_str(), 0), TopicPartition::new(topic.as_str(), 1)];
    let latest = admin.list_offsets(&partitions, OffsetSpec::Latest).await.unwrap();
    assert_eq!(latest.iter().map(|(tp, o)| (tp.partition, o.offset)).collect::<Vec<_>>(), [(0, 3), (1, 5)]);
    let earliest = admin.list_offsets(&partitions, OffsetSpec::Earliest).await.unwrap();
    assert_eq!(earliest.iter().map(|(tp, o)| (tp.partition, o.offset)).collect::<Vec<_>>(), [(0, 0), (1, 0)]);
    consumer.close().await.unwrap();

    assert!(admin.list_group_offsets(&unique("admin-nobody")).await.unwrap().is_empty());
    admin.delete_topics(&[topic.as_str()]).await.unwrap();
}
