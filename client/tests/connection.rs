//! Connections, the pool and metadata against the mock cluster.

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use kafkit_client::protocol::messages::metadata_request::MetadataRequestTopic;
use kafkit_client::protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafkit_client::protocol::messages::{
    ApiVersionsRequest, FetchRequest, Message, MetadataRequest, ProduceRequest, RequestBody,
};
use kafkit_client::protocol::record::RecordBatchBuilder;
use kafkit_client::protocol::{ApiKey, ErrorCode};
use kafkit_client::{Client, ClientConfig, Connection, ConnectionConfig, Error};
use kafkit_mock::{Fault, MockCluster};

/// A guard against hangs only: no test relies on timing beyond this.
async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), f).await.unwrap_or_else(|_| panic!("hung: {what}"))
}

/// Polls `check` until it holds (hang-guarded).
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    within(what, async {
        while !check().await {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

fn metadata_request(topics: &[&str]) -> MetadataRequest {
    MetadataRequest {
        topics: Some(
            topics.iter().map(|t| MetadataRequestTopic { name: Some(t.to_string()), ..Default::default() }).collect(),
        ),
        ..Default::default()
    }
}

async fn connect(cluster: &MockCluster) -> Connection {
    Connection::connect(&cluster.broker_addrs()[0].to_string(), &ConnectionConfig::default()).await.unwrap()
}

fn config(cluster: &MockCluster) -> ClientConfig {
    ClientConfig::new([cluster.bootstrap()])
}

/// An address nothing listens on.
fn dead_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    drop(l);
    addr
}

#[tokio::test]
async fn pipelined_requests_are_all_answered_and_matched() {
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic("quotes", 3).unwrap();
    let conn = connect(&cluster).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..100 {
        let conn = conn.clone();
        tasks.spawn(async move {
            if i % 2 == 0 {
                let md = conn.send(&metadata_request(&["quotes"])).await.unwrap();
                assert_eq!(md.topics[0].partitions.len(), 3);
                "metadata"
            } else {
                let av = conn.send(&ApiVersionsRequest::default()).await.unwrap();
                assert_eq!(av.error_code, 0);
                "api_versions"
            }
        });
    }
    let kinds = within("100 requests", tasks.join_all()).await;
    assert_eq!(kinds.iter().filter(|k| **k == "metadata").count(), 50);
    assert_eq!(conn.in_flight(), 0);
    assert!(!conn.is_dead());
    let logged = cluster.requests();
    assert_eq!(logged.len(), 101, "the handshake and the 100 requests");
    let ids: HashSet<i32> = logged.iter().map(|r| r.header.correlation_id).collect();
    assert_eq!(ids.len(), 101, "every request had its own correlation id");
    assert!(logged.iter().all(|r| r.header.client_id.as_deref() == Some("kafkit")));
}

#[tokio::test]
async fn a_timed_out_request_leaves_the_connection_usable() {
    let cluster = MockCluster::start(1).await.unwrap();
    let conn = connect(&cluster).await;
    cluster.inject(Fault::delay(ApiKey::Metadata, Duration::from_millis(800)));
    let version = conn.version_of::<MetadataRequest>().unwrap();
    let err = conn.send_with(&metadata_request(&[]), version, Duration::from_millis(100)).await.unwrap_err();
    match &err {
        Error::Timeout { api, broker, after } => {
            assert_eq!(*api, ApiKey::Metadata);
            assert_eq!(broker, conn.addr());
            assert_eq!(*after, Duration::from_millis(100));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(err.is_retriable());
    assert_eq!(conn.in_flight(), 0, "the timed-out slot is gone");
    // Answered after the late Metadata response, which is discarded.
    let av = within("second request", conn.send(&ApiVersionsRequest::default())).await.unwrap();
    assert_eq!(av.error_code, 0);
    let md = within("third request", conn.send(&metadata_request(&[]))).await.unwrap();
    assert_eq!(md.brokers.len(), 1);
    assert!(!conn.is_dead());
}

#[tokio::test]
async fn a_dropped_connection_fails_in_flight_requests_and_the_pool_reconnects() {
    let cluster = MockCluster::start(1).await.unwrap();
    let client = Client::connect(config(&cluster)).await.unwrap();
    let id = cluster.broker_ids()[0];
    let conn = client.connection(id).await.unwrap();
    assert_eq!(conn.broker_id(), Some(id));
    cluster.inject(Fault::drop_connection(ApiKey::Metadata));
    let err = within("dropped", conn.send(&metadata_request(&[]))).await.unwrap_err();
    match &err {
        Error::Disconnected { maybe_applied, .. } => assert!(maybe_applied, "the request had been written"),
        other => panic!("expected Disconnected, got {other:?}"),
    }
    assert!(err.is_retriable() && err.invalidates_metadata());
    assert!(conn.is_dead());
    // A dead connection fails new requests at once, saying they were never sent.
    match conn.send(&metadata_request(&[])).await {
        Err(Error::Disconnected { maybe_applied: false, .. }) => {}
        other => panic!("expected Disconnected, got {other:?}"),
    }
    let again = client.connection(id).await.unwrap();
    assert!(!again.is_dead());
    assert_eq!(again.send(&metadata_request(&[])).await.unwrap().brokers.len(), 1);
    // The pool keeps the new connection.
    assert_eq!(client.connection(id).await.unwrap().in_flight(), 0);
    client.shutdown().await;
}

#[tokio::test]
async fn broker_stop_and_start_reconnects() {
    let cluster = MockCluster::start(2).await.unwrap();
    let mut cfg = config(&cluster);
    cfg.reconnect_backoff = Duration::from_millis(10);
    cfg.reconnect_backoff_max = Duration::from_millis(100);
    let client = Client::connect(cfg).await.unwrap();
    let id = cluster.broker_ids()[0];
    let conn = client.connection(id).await.unwrap();
    cluster.stop_broker(id).unwrap();
    eventually("connection seen dead", async || conn.is_dead()).await;
    for _ in 0..3 {
        match client.connection(id).await {
            Err(Error::Io { broker, .. }) => assert!(broker.ends_with(&cluster.broker_addrs()[0].port().to_string())),
            other => panic!("expected a connect failure, got {other:?}"),
        }
    }
    // The other broker still serves metadata, which no longer lists the stopped one.
    let md = client.refresh_metadata().await.unwrap();
    assert!(md.broker(id).is_none());
    cluster.start_broker(id).await.unwrap();
    eventually("broker back in the metadata", async || {
        client.refresh_metadata().await.map(|m| m.broker(id).is_some()).unwrap_or(false)
    })
    .await;
    let back = within("reconnect", client.connection(id)).await.unwrap();
    assert_eq!(back.send(&metadata_request(&[])).await.unwrap().brokers.len(), 2);
    client.shutdown().await;
}

#[tokio::test]
async fn api_versions_are_negotiated() {
    let cluster = MockCluster::start(1).await.unwrap();
    let conn = connect(&cluster).await;
    let produce = conn.api_versions().broker_range(ApiKey::Produce).unwrap();
    assert_eq!(produce.0, 3, "the mock starts Produce at v3");
    assert_eq!(
        conn.version_of::<FetchRequest>().unwrap(),
        FetchRequest::MAX_VERSION.min(conn.api_versions().broker_range(ApiKey::Fetch).unwrap().1)
    );
    let hs = &cluster.requests_of(ApiKey::ApiVersions)[0];
    assert_eq!(hs.header.api_version, 3);
    match &hs.body {
        RequestBody::ApiVersions(r) => {
            assert_eq!(r.client_software_name, "kafkit");
            assert_eq!(r.client_software_version, env!("CARGO_PKG_VERSION"));
        }
        other => panic!("{other:?}"),
    }
    // An API the broker does not list is a Version error naming it.
    assert!(conn.api_versions().broker_range(ApiKey::Vote).is_none());
}

#[tokio::test]
async fn api_versions_falls_back_to_v0_on_unsupported_version() {
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.inject(Fault::error(ApiKey::ApiVersions, ErrorCode::UNSUPPORTED_VERSION));
    let conn = connect(&cluster).await;
    let versions: Vec<i16> = cluster.requests_of(ApiKey::ApiVersions).iter().map(|r| r.header.api_version).collect();
    assert_eq!(versions, [3, 0]);
    assert!(conn.version_of::<MetadataRequest>().unwrap() >= 1);
    assert_eq!(conn.send(&metadata_request(&[])).await.unwrap().brokers.len(), 1);
}

#[tokio::test]
async fn bootstrap_skips_a_dead_address() {
    let cluster = MockCluster::start(1).await.unwrap();
    let dead = dead_addr();
    for _ in 0..4 {
        // Random order: whichever comes first, the live one answers.
        let client = Client::connect(ClientConfig::new([dead.clone(), cluster.bootstrap()])).await.unwrap();
        assert_eq!(client.metadata().brokers().count(), 1);
        client.shutdown().await;
    }
}

#[tokio::test]
async fn bootstrap_with_every_address_dead_lists_each_failure() {
    let (a, b) = (dead_addr(), dead_addr());
    let err = Client::connect(ClientConfig::new([a.clone(), b.clone()])).await.unwrap_err();
    match &err {
        Error::NoBrokerAvailable(errors) => {
            let mut addrs: Vec<_> = errors.iter().map(|(addr, _)| addr.clone()).collect();
            addrs.sort();
            let mut want = vec![a.clone(), b.clone()];
            want.sort();
            assert_eq!(addrs, want);
            assert!(errors.iter().all(|(_, e)| matches!(e, Error::Io { .. })));
        }
        other => panic!("expected NoBrokerAvailable, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(&a) && msg.contains(&b), "{msg}");
}

#[tokio::test]
async fn invalidate_after_a_leader_move_finds_the_new_leader() {
    let cluster = MockCluster::start(3).await.unwrap();
    cluster.create_topic("quotes", 1).unwrap();
    let client = Client::connect(config(&cluster)).await.unwrap();
    let old = cluster.leader("quotes", 0).unwrap();
    assert_eq!(client.leader_for("quotes", 0).await.unwrap().broker_id(), Some(old));
    let epoch = client.metadata().partition("quotes", 0).unwrap().leader_epoch;
    let new = cluster.broker_ids().into_iter().find(|b| *b != old).unwrap();
    cluster.move_leader("quotes", 0, new).unwrap();
    // Until told, the client keeps its snapshot.
    assert_eq!(client.metadata().partition("quotes", 0).unwrap().leader, Some(old));
    client.invalidate();
    eventually("new leader seen", async || client.metadata().partition("quotes", 0).unwrap().leader == Some(new)).await;
    assert!(client.metadata().partition("quotes", 0).unwrap().leader_epoch > epoch);
    assert_eq!(client.leader_for("quotes", 0).await.unwrap().broker_id(), Some(new));
    client.shutdown().await;
}

#[tokio::test]
async fn metadata_is_refreshed_in_the_background_by_age() {
    let cluster = MockCluster::start(1).await.unwrap();
    let mut cfg = config(&cluster);
    cfg.metadata_max_age = Duration::from_millis(100);
    let client = Client::connect(cfg).await.unwrap();
    let first = client.metadata();
    let before = cluster.requests_of(ApiKey::Metadata).len();
    eventually("two background refreshes", async || cluster.requests_of(ApiKey::Metadata).len() >= before + 2).await;
    eventually("a newer snapshot", async || client.metadata().fetched_at > first.fetched_at).await;
    client.shutdown().await;
    // Stopped: no more refreshes.
    let after = cluster.requests_of(ApiKey::Metadata).len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(cluster.requests_of(ApiKey::Metadata).len(), after);
}

#[tokio::test]
async fn concurrent_refreshes_coalesce() {
    let cluster = MockCluster::start(1).await.unwrap();
    let client = Client::connect(config(&cluster)).await.unwrap();
    // Hold the first refresh so that every caller arrives while it runs.
    cluster.inject(Fault::delay(ApiKey::Metadata, Duration::from_millis(300)));
    let before = cluster.requests_of(ApiKey::Metadata).len();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let client = client.clone();
        tasks.spawn(async move { client.refresh_metadata().await.map(|m| m.brokers().count()) });
    }
    let results = within("50 refreshes", tasks.join_all()).await;
    assert!(results.iter().all(|r| matches!(r, Ok(1))), "{results:?}");
    let sent = cluster.requests_of(ApiKey::Metadata).len() - before;
    assert!((1..=2).contains(&sent), "50 callers caused {sent} Metadata requests");
    client.shutdown().await;
}

#[tokio::test]
async fn close_fails_requests_in_flight() {
    let cluster = MockCluster::start(1).await.unwrap();
    let conn = connect(&cluster).await;
    cluster.inject(Fault::delay(ApiKey::Metadata, Duration::from_secs(5)));
    let pending = tokio::spawn({
        let conn = conn.clone();
        async move { conn.send(&metadata_request(&[])).await }
    });
    eventually("request in flight", async || conn.in_flight() == 1).await;
    conn.close();
    assert!(matches!(within("closed", pending).await.unwrap(), Err(Error::Closed)));
    assert!(conn.is_dead());
    assert!(matches!(conn.send(&metadata_request(&[])).await, Err(Error::Closed)));
}

#[tokio::test]
async fn an_oversized_response_closes_the_connection() {
    let cluster = MockCluster::start(1).await.unwrap();
    let names: Vec<String> = (0..40).map(|i| format!("a-topic-with-a-long-name-{i}")).collect();
    for n in &names {
        cluster.create_topic(n, 4).unwrap();
    }
    let cfg = ConnectionConfig { max_response_size: 1024, ..Default::default() };
    let conn = Connection::connect(&cluster.broker_addrs()[0].to_string(), &cfg).await.unwrap();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    match within("oversized", conn.send(&metadata_request(&refs))).await {
        Err(Error::Disconnected { reason, .. }) => assert!(reason.contains("over the limit of 1024"), "{reason}"),
        other => panic!("expected Disconnected, got {other:?}"),
    }
    assert!(conn.is_dead());
}

#[tokio::test]
async fn fire_and_forget_produce() {
    let cluster = MockCluster::start(1).await.unwrap();
    cluster.create_topic("quotes", 1).unwrap();
    let conn = connect(&cluster).await;
    let mut batch = RecordBatchBuilder::new(0);
    batch.append(0, None, Some(b"600000 10.31"), &[]).unwrap();
    let request = ProduceRequest {
        acks: 0,
        timeout_ms: 1000,
        topic_data: vec![TopicProduceData {
            name: "quotes".into(),
            partition_data: vec![PartitionProduceData {
                index: 0,
                records: Some(batch.finish().unwrap()),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let version = conn.version_of::<ProduceRequest>().unwrap();
    conn.send_no_response(&request, version).await.unwrap();
    // The next request is answered (the broker handles requests in order), so the produce
    // was handled first.
    conn.send(&metadata_request(&[])).await.unwrap();
    assert_eq!(cluster.records("quotes", 0).unwrap().len(), 1);
    assert_eq!(conn.in_flight(), 0);
}

#[tokio::test]
async fn shutdown_stops_the_client() {
    let cluster = MockCluster::start(1).await.unwrap();
    let client = Client::connect(config(&cluster)).await.unwrap();
    let conn = client.connection(cluster.broker_ids()[0]).await.unwrap();
    client.shutdown().await;
    assert!(matches!(client.refresh_metadata().await, Err(Error::Closed)));
    assert!(conn.is_dead());
    assert!(matches!(client.connection(cluster.broker_ids()[0]).await, Err(Error::Closed)));
}
