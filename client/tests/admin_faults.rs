//! The admin client against the mock cluster: where each request goes (the controller, each
//! group's coordinator, every broker), what it retries (NOT_CONTROLLER, NOT_COORDINATOR,
//! COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS, lost brokers) and what it does not
//! (TOPIC_ALREADY_EXISTS, UNKNOWN_TOPIC_OR_PARTITION, authorization), per-topic and per-group
//! results, and that every operation ends by its timeout.
//!
//! The waits with a limit only turn a hang into a failure; no assertion depends on timing
//! except the timeout tests, which check an upper bound generous enough for a loaded machine.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use kafkit_client::admin::{Admin, CreateTopicsOptions, NewTopic, OffsetSpec};
use kafkit_client::consumer::{Consumer, ConsumerConfig, OffsetAndMetadata, TopicPartition};
use kafkit_client::protocol::messages::RequestBody;
use kafkit_client::protocol::{ApiKey, ErrorCode};
use kafkit_client::{ClientConfig, Error, Producer, ProducerConfig, ProducerRecord};
use kafkit_mock::{Fault, MockCluster};

async fn within<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), f).await.expect("hung")
}

async fn setup(brokers: usize) -> (MockCluster, Admin) {
    let cluster = MockCluster::builder().brokers(brokers).auto_create_topics(false).start().await.unwrap();
    let admin = Admin::connect(ClientConfig::new([cluster.bootstrap()])).await.unwrap();
    (cluster, admin.with_timeout(Duration::from_secs(20)))
}

/// Commits `offsets` (partition of `topic` → offset) for `group` without joining it.
async fn commit(cluster: &MockCluster, group: &str, topic: &str, offsets: &[(i32, i64)]) {
    let mut consumer = Consumer::new(ConsumerConfig::new([cluster.bootstrap()]).group_id(group)).await.unwrap();
    let offsets: HashMap<TopicPartition, OffsetAndMetadata> =
        offsets.iter().map(|(p, o)| (TopicPartition::new(topic, *p), OffsetAndMetadata::new(*o))).collect();
    within(consumer.commit_offsets(offsets)).await.unwrap();
    consumer.close().await.unwrap();
}

/// The broker the mock names as controller (its first live broker).
async fn controller(admin: &Admin) -> i32 {
    admin.metadata(None).await.unwrap().controller.unwrap()
}

fn opts() -> CreateTopicsOptions {
    CreateTopicsOptions::default()
}

#[tokio::test]
async fn topics_are_created_on_the_controller_with_their_configs() {
    let (cluster, admin) = setup(3).await;
    let topics = vec![
        NewTopic::new("quotes", 4, 2).config("cleanup.policy", "compact").config("retention.ms", "1000"),
        NewTopic::with_broker_defaults("trades"),
    ];
    let created = within(admin.create_topics(topics, &opts())).await.unwrap();
    assert_eq!(created.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(), ["quotes", "trades"]);
    let quotes = created[0].result.as_ref().unwrap();
    assert_eq!((quotes.partitions, quotes.replication_factor), (Some(4), Some(2)));
    assert!(quotes.topic_id.is_some());
    assert!(created[1].result.as_ref().unwrap().partitions.unwrap() > 0, "the broker's default");

    let md = admin.metadata(Some(&["quotes"])).await.unwrap();
    let t = md.topic("quotes").unwrap();
    assert_eq!(t.partitions.len(), 4);
    assert!(t.partitions.iter().all(|p| p.replicas.len() == 2));

    let logged = cluster.requests_of(ApiKey::CreateTopics);
    assert_eq!(logged.len(), 1, "one request for both topics");
    assert_eq!(logged[0].broker, controller(&admin).await);
    let RequestBody::CreateTopics(req) = &logged[0].body else { unreachable!() };
    let configs: Vec<(&str, Option<&str>)> =
        req.topics[0].configs.iter().map(|c| (c.name.as_str(), c.value.as_deref())).collect();
    assert_eq!(configs, [("cleanup.policy", Some("compact")), ("retention.ms", Some("1000"))]);
    assert_eq!((req.topics[1].num_partitions, req.topics[1].replication_factor), (-1, -1));
    assert!(!req.validate_only);
}

#[tokio::test]
async fn per_topic_errors_keep_their_codes_and_do_not_fail_the_others() {
    let (cluster, admin) = setup(1).await;
    cluster.create_topic("exists", 1).unwrap();
    let created = within(admin.create_topics(
        vec![NewTopic::new("exists", 1, 1), NewTopic::new("fresh", 2, 1), NewTopic::new("two-replicas", 1, 2)],
        &opts(),
    ))
    .await
    .unwrap();
    assert_eq!(created[0].error_code(), Some(ErrorCode::TOPIC_ALREADY_EXISTS));
    let message = created[0].result.as_ref().unwrap_err().to_string();
    assert!(message.contains("exists") && message.contains("TOPIC_ALREADY_EXISTS"), "{message}");
    assert!(created[1].is_ok());
    assert_eq!(created[2].error_code(), Some(ErrorCode::INVALID_REPLICATION_FACTOR));
    assert_eq!(cluster.requests_of(ApiKey::CreateTopics).len(), 1, "final errors are not retried");

    let deleted = within(admin.delete_topics(&["fresh", "nope", "fresh"])).await.unwrap();
    assert_eq!(deleted.len(), 2, "a name given twice is asked once");
    assert!(deleted[0].is_ok());
    assert_eq!(deleted[1].error_code(), Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION));
    assert!(deleted[1].result.as_ref().unwrap_err().to_string().contains("nope"));
    let md = admin.metadata(None).await.unwrap();
    assert!(md.topic("fresh").is_none() && md.topic("exists").is_some());
}

#[tokio::test]
async fn validate_only_creates_nothing() {
    let (cluster, admin) = setup(1).await;
    let check = CreateTopicsOptions { validate_only: true, ..Default::default() };
    let checked = within(admin.create_topics(vec![NewTopic::new("quotes", 3, 1)], &check)).await.unwrap();
    assert_eq!(checked[0].result.as_ref().unwrap().partitions, Some(3));
    let RequestBody::CreateTopics(req) = &cluster.requests_of(ApiKey::CreateTopics)[0].body else { unreachable!() };
    assert!(req.validate_only);
    assert!(admin.metadata(None).await.unwrap().topic("quotes").is_none());
}

#[tokio::test]
async fn not_controller_is_retried_after_a_metadata_refresh() {
    let (cluster, admin) = setup(3).await;
    let first = controller(&admin).await;
    cluster.inject(Fault::error(ApiKey::CreateTopics, ErrorCode::NOT_CONTROLLER).times(2));
    cluster.inject(Fault::error(ApiKey::DeleteTopics, ErrorCode::NOT_CONTROLLER));
    let metadata_before = cluster.requests_of(ApiKey::Metadata).len();
    let created = within(admin.create_topics(vec![NewTopic::new("quotes", 1, 1)], &opts())).await.unwrap();
    assert!(created[0].is_ok(), "{:?}", created[0].result);
    assert_eq!(cluster.requests_of(ApiKey::CreateTopics).len(), 3);
    assert!(cluster.requests_of(ApiKey::Metadata).len() >= metadata_before + 2, "refreshed before each retry");
    let deleted = within(admin.delete_topics(&["quotes"])).await.unwrap();
    assert!(deleted[0].is_ok(), "{:?}", deleted[0].result);
    assert_eq!(cluster.requests_of(ApiKey::DeleteTopics).len(), 2);
    assert!(cluster.requests().iter().filter(|r| r.api() == ApiKey::CreateTopics).all(|r| r.broker == first));
}

#[tokio::test]
async fn a_controller_that_goes_away_is_followed() {
    let (cluster, admin) = setup(3).await;
    let old = controller(&admin).await;
    cluster.stop_broker(old).unwrap(); // the admin's metadata still names it
    let created = within(admin.create_topics(vec![NewTopic::new("quotes", 2, 2)], &opts())).await.unwrap();
    assert!(created[0].is_ok(), "{:?}", created[0].result);
    let new = controller(&admin).await;
    assert_ne!(new, old);
    let logged = cluster.requests_of(ApiKey::CreateTopics);
    assert_eq!(logged.iter().map(|r| r.broker).collect::<Vec<_>>(), [new]);
}

#[tokio::test]
async fn not_controller_until_the_timeout_fails_each_topic_naming_it() {
    let (cluster, admin) = setup(2).await;
    cluster.inject(Fault::error(ApiKey::CreateTopics, ErrorCode::NOT_CONTROLLER).times(100_000));
    let options = CreateTopicsOptions { timeout: Some(Duration::from_millis(600)), ..Default::default() };
    let started = std::time::Instant::now();
    let created =
        within(admin.create_topics(vec![NewTopic::new("a", 1, 1), NewTopic::new("b", 1, 1)], &options)).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    for outcome in &created {
        let e = outcome.result.as_ref().unwrap_err();
        let Error::TimedOut { what, after, .. } = e else { panic!("{e:?}") };
        assert_eq!(*after, Duration::from_millis(600));
        assert!(what.contains(&outcome.name) && what.contains("NOT_CONTROLLER"), "{what}");
    }
    assert!(cluster.requests_of(ApiKey::CreateTopics).len() >= 2, "retried until the timeout");
}

#[tokio::test]
async fn metadata_of_all_topics_or_some_never_creates_topics() {
    let cluster = MockCluster::builder().brokers(2).auto_create_topics(true).start().await.unwrap();
    cluster.create_topic("quotes", 3).unwrap();
    let admin = Admin::connect(ClientConfig::new([cluster.bootstrap()])).await.unwrap();
    let some = within(admin.metadata(Some(&["quotes", "nope"]))).await.unwrap();
    assert_eq!(some.topic("nope").unwrap().error, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, "not auto-created");
    let all = within(admin.metadata(None)).await.unwrap();
    let names: Vec<&str> = all.topics().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["quotes"]);
    assert_eq!(all.brokers().count(), 2);
    let partition = all.partition("quotes", 1).unwrap();
    assert_eq!(partition.leader, cluster.leader("quotes", 1));
    assert!(!partition.replicas.is_empty() && !partition.isr.is_empty());
}

#[tokio::test]
async fn metadata_is_asked_of_another_broker_when_one_is_down() {
    let (cluster, admin) = setup(3).await;
    cluster.create_topic("quotes", 1).unwrap();
    let down = cluster.broker_ids()[0];
    cluster.stop_broker(down).unwrap();
    for _ in 0..5 {
        let md = within(admin.metadata(None)).await.unwrap();
        assert!(md.broker(down).is_none());
        assert_eq!(md.topic("quotes").unwrap().partitions.len(), 1);
    }
}

#[tokio::test]
async fn groups_are_listed_from_every_broker() {
    let (cluster, admin) = setup(3).await;
    cluster.create_topic("quotes", 1).unwrap();
    let groups: Vec<String> = (0..8).map(|i| format!("group-{i}")).collect();
    for g in &groups {
        commit(&cluster, g, "quotes", &[(0, 1)]).await;
    }
    // One broker is still loading its groups twice.
    cluster.inject(
        Fault::error(ApiKey::ListGroups, ErrorCode::COORDINATOR_LOAD_IN_PROGRESS)
            .broker(cluster.broker_ids()[1])
            .times(2),
    );
    let listed = within(admin.list_groups()).await.unwrap();
    assert_eq!(listed.iter().map(|g| g.group_id.clone()).collect::<Vec<_>>(), groups);
    // Groups that only ever committed have no protocol type, as in Kafka.
    assert!(listed.iter().all(|g| g.state.as_deref() == Some("Empty") && g.protocol_type.is_empty()), "{listed:?}");
    let coordinators: std::collections::BTreeSet<i32> = listed.iter().map(|g| g.coordinator).collect();
    assert!(coordinators.len() > 1, "8 groups over 3 brokers: {coordinators:?}");
    let logged = cluster.requests_of(ApiKey::ListGroups);
    assert_eq!(logged.len(), 3 + 2, "every broker once, the loading one twice more");
}

#[tokio::test]
async fn a_broker_that_fails_listing_fails_the_list() {
    let (cluster, admin) = setup(2).await;
    cluster.inject(
        Fault::error(ApiKey::ListGroups, ErrorCode::CLUSTER_AUTHORIZATION_FAILED).broker(cluster.broker_ids()[0]),
    );
    let e = within(admin.list_groups()).await.unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::CLUSTER_AUTHORIZATION_FAILED), "{e}");
}

/// A consumer in `group` subscribed to `topic`, polled until it has its assignment.
async fn member(cluster: &MockCluster, group: &str, client_id: &str, topic: &str) -> Consumer {
    let config = ConsumerConfig::new([cluster.bootstrap()]).group_id(group).client_id(client_id);
    let mut consumer = Consumer::new(config).await.unwrap();
    consumer.subscribe([topic]).unwrap();
    within(async {
        while consumer.assignment().is_empty() {
            consumer.poll(Duration::from_millis(50)).await.unwrap();
        }
    })
    .await;
    consumer
}

#[tokio::test]
async fn describe_decodes_members_and_retries_the_coordinator_errors() {
    let (cluster, admin) = setup(3).await;
    cluster.create_topic("quotes", 3).unwrap();
    let consumer = member(&cluster, "readers", "reader-1", "quotes").await;

    cluster.inject(Fault::error(ApiKey::FindCoordinator, ErrorCode::COORDINATOR_NOT_AVAILABLE).times(2));
    cluster.inject(Fault::error(ApiKey::DescribeGroups, ErrorCode::NOT_COORDINATOR));
    cluster.inject(Fault::error(ApiKey::DescribeGroups, ErrorCode::COORDINATOR_LOAD_IN_PROGRESS));
    let find_before = cluster.requests_of(ApiKey::FindCoordinator).len();
    let described = within(admin.describe_groups(&["readers"])).await.unwrap();
    let g = described[0].result.as_ref().unwrap();
    assert_eq!((g.state.as_str(), g.protocol_type.as_str(), g.protocol.as_str()), ("Stable", "consumer", "range"));
    assert_eq!(g.members.len(), 1);
    let m = &g.members[0];
    assert_eq!(m.client_id, "reader-1");
    assert!(!m.member_id.is_empty() && !m.client_host.is_empty());
    assert_eq!(m.subscription.as_deref(), Some(&["quotes".to_string()][..]));
    let all: Vec<TopicPartition> = (0..3).map(|p| TopicPartition::new("quotes", p)).collect();
    assert_eq!(m.assignment.as_deref(), Some(&all[..]));

    let coordinator = g.coordinator.unwrap();
    let describes = cluster.requests_of(ApiKey::DescribeGroups);
    assert_eq!(describes.len(), 3);
    assert!(describes.iter().all(|r| r.broker == coordinator), "only the coordinator is asked");
    // Two lookups fail; one succeeds; NOT_COORDINATOR makes a fourth, LOAD_IN_PROGRESS none.
    assert_eq!(cluster.requests_of(ApiKey::FindCoordinator).len() - find_before, 4);
    consumer.close().await.unwrap();
}

#[tokio::test]
async fn describe_reports_each_group_on_its_own() {
    let (cluster, admin) = setup(2).await;
    cluster.create_topic("quotes", 1).unwrap();
    commit(&cluster, "empty", "quotes", &[(0, 4)]).await;
    let described = within(admin.describe_groups(&["empty", "nobody"])).await.unwrap();
    let empty = described[0].result.as_ref().unwrap();
    assert_eq!(empty.state, "Empty");
    assert!(empty.members.is_empty());
    assert_eq!(described[1].name, "nobody");
    assert_eq!(described[1].error_code(), Some(ErrorCode::GROUP_ID_NOT_FOUND));

    cluster.inject(Fault::error(ApiKey::DescribeGroups, ErrorCode::GROUP_AUTHORIZATION_FAILED));
    let before = cluster.requests_of(ApiKey::DescribeGroups).len();
    let denied = within(admin.describe_groups(&["empty"])).await.unwrap();
    assert_eq!(denied[0].error_code(), Some(ErrorCode::GROUP_AUTHORIZATION_FAILED));
    assert!(denied[0].result.as_ref().unwrap_err().to_string().contains("DESCRIBE"));
    assert_eq!(cluster.requests_of(ApiKey::DescribeGroups).len(), before + 1, "not retried");
}

#[tokio::test]
async fn group_offsets_come_from_the_coordinator_through_its_errors() {
    let (cluster, admin) = setup(3).await;
    cluster.create_topic("quotes", 4).unwrap();
    cluster.create_topic("trades", 1).unwrap();
    commit(&cluster, "readers", "quotes", &[(0, 10), (2, 30)]).await;
    commit(&cluster, "readers", "trades", &[(0, 5)]).await;

    cluster.inject(Fault::error(ApiKey::OffsetFetch, ErrorCode::COORDINATOR_LOAD_IN_PROGRESS).times(2));
    cluster.inject(Fault::error(ApiKey::OffsetFetch, ErrorCode::NOT_COORDINATOR));
    let find_before = cluster.requests_of(ApiKey::FindCoordinator).len();
    let offsets = within(admin.list_group_offsets("readers")).await.unwrap();
    let got: Vec<(String, i32, i64)> =
        offsets.iter().map(|(tp, o)| (tp.topic.to_string(), tp.partition, o.offset)).collect();
    assert_eq!(got, [("quotes".into(), 0, 10), ("quotes".into(), 2, 30), ("trades".into(), 0, 5)]);
    assert_eq!(cluster.requests_of(ApiKey::OffsetFetch).len(), 4);
    assert_eq!(cluster.requests_of(ApiKey::FindCoordinator).len() - find_before, 2, "looked up again once");

    // The coordinator's broker goes away: the group moves, its offsets with it.
    let described = admin.describe_groups(&["readers"]).await.unwrap();
    let old = described[0].result.as_ref().unwrap().coordinator.unwrap();
    cluster.stop_broker(old).unwrap();
    let after = within(admin.list_group_offsets("readers")).await.unwrap();
    assert_eq!(after, offsets);
    assert!(cluster.requests_of(ApiKey::OffsetFetch).last().unwrap().broker != old);
}

#[tokio::test]
async fn coordinator_errors_until_the_timeout_end_in_a_timeout_naming_them() {
    let (cluster, admin) = setup(1).await;
    let admin = admin.with_timeout(Duration::from_millis(500));
    cluster.inject(Fault::error(ApiKey::FindCoordinator, ErrorCode::COORDINATOR_NOT_AVAILABLE).times(100_000));
    let started = std::time::Instant::now();
    let e = within(admin.list_group_offsets("readers")).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    let Error::TimedOut { what, .. } = &e else { panic!("{e:?}") };
    assert!(what.contains("readers") && what.contains("COORDINATOR_NOT_AVAILABLE"), "{what}");
    assert!(cluster.requests_of(ApiKey::FindCoordinator).len() >= 2, "retried with a backoff");
}

#[tokio::test]
async fn groups_are_deleted_at_their_coordinator() {
    let (cluster, admin) = setup(3).await;
    cluster.create_topic("quotes", 1).unwrap();
    commit(&cluster, "old", "quotes", &[(0, 3)]).await;
    let busy = member(&cluster, "busy", "busy-1", "quotes").await;
    cluster.inject(Fault::error(ApiKey::DeleteGroups, ErrorCode::NOT_COORDINATOR));
    let deleted = within(admin.delete_groups(&["old", "busy", "nobody"])).await.unwrap();
    assert!(deleted[0].is_ok(), "{:?}", deleted[0].result);
    assert_eq!(deleted[1].error_code(), Some(ErrorCode::NON_EMPTY_GROUP));
    assert_eq!(deleted[2].error_code(), Some(ErrorCode::GROUP_ID_NOT_FOUND));
    assert!(within(admin.list_group_offsets("old")).await.unwrap().is_empty());
    let listed: Vec<String> = within(admin.list_groups()).await.unwrap().into_iter().map(|g| g.group_id).collect();
    assert_eq!(listed, ["busy"]);
    busy.close().await.unwrap();
}

#[tokio::test]
async fn offsets_of_partitions_from_their_leaders() {
    let (cluster, admin) = setup(2).await;
    cluster.create_topic("quotes", 2).unwrap();
    let producer = Producer::new(ProducerConfig::new([cluster.bootstrap()])).await.unwrap();
    for (partition, n) in [(0, 2), (1, 5)] {
        for i in 0..n {
            let record = ProducerRecord::new("quotes").partition(partition).value(format!("v{i}"));
            within(producer.send(record).await).await.unwrap();
        }
    }
    producer.close(Some(Duration::from_secs(10))).await.unwrap();
    let partitions = [TopicPartition::new("quotes", 0), TopicPartition::new("quotes", 1)];
    cluster.inject(Fault::error(ApiKey::ListOffsets, ErrorCode::NOT_LEADER_OR_FOLLOWER).partition("quotes", 1));
    let latest = within(admin.list_offsets(&partitions, OffsetSpec::Latest)).await.unwrap();
    assert_eq!(latest.iter().map(|(tp, o)| (tp.partition, o.offset)).collect::<Vec<_>>(), [(0, 2), (1, 5)]);
    let earliest = within(admin.list_offsets(&partitions, OffsetSpec::Earliest)).await.unwrap();
    assert!(earliest.values().all(|o| o.offset == 0));
    let future = within(admin.list_offsets(&partitions, OffsetSpec::Timestamp(i64::MAX / 2))).await.unwrap();
    assert!(future.is_empty(), "no record that late");
    let e = within(admin.list_offsets(&[TopicPartition::new("nope", 0)], OffsetSpec::Latest)).await.unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION));
}
