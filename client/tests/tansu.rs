//! Connect, ApiVersions and metadata against a real broker (Tansu, node id 111).
//!
//! The broker's `host:port` list comes from `KAFKIT_TEST_BROKERS` (start one with
//! `scripts/tansu.sh start`). Without it the tests are skipped with a message, unless `CI` is
//! set, where a missing broker is a failure.

use std::time::Duration;

use kafkit_client::protocol::messages::MetadataRequest;
use kafkit_client::protocol::ApiKey;
use kafkit_client::{Client, ClientConfig, Connection, ConnectionConfig};

mod common;

use common::{brokers, create_topic};

/// Tansu's fixed node id.
const TANSU_NODE_ID: i32 = 111;

#[tokio::test]
async fn connect_and_negotiate_versions() {
    let Some(brokers) = brokers() else { return };
    let addr = brokers.split(',').next().unwrap().trim().to_string();
    let conn = Connection::connect(&addr, &ConnectionConfig::default()).await.unwrap();
    for api in [ApiKey::Produce, ApiKey::Fetch, ApiKey::Metadata, ApiKey::ApiVersions] {
        assert!(conn.api_versions().broker_range(api).is_some(), "{api:?} not announced");
    }
    let v = conn.version_of::<MetadataRequest>().unwrap();
    assert!(v >= 1, "Metadata v{v}");
    let md = conn.send(&MetadataRequest { topics: Some(vec![]), ..Default::default() }).await.unwrap();
    assert!(md.brokers.iter().any(|b| b.node_id == TANSU_NODE_ID), "{:?}", md.brokers);
    // Pipelined requests on the real broker too.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let conn = conn.clone();
        tasks.spawn(async move { conn.send(&MetadataRequest { topics: Some(vec![]), ..Default::default() }).await });
    }
    for r in tasks.join_all().await {
        assert!(!r.unwrap().brokers.is_empty());
    }
    conn.close();
}

#[tokio::test]
async fn client_metadata_and_leader() {
    let Some(brokers) = brokers() else { return };
    let client = Client::connect(ClientConfig::new([brokers.as_str()])).await.unwrap();
    assert!(client.metadata().broker(TANSU_NODE_ID).is_some());
    let topic = create_topic(&brokers, "kafkit-client-md", 3).await;
    let md = client.metadata_for(&[topic.as_str()]).await.unwrap();
    let t = md.topic(&topic).unwrap();
    assert!(t.error.is_ok(), "{t:?}");
    assert_eq!(t.partitions.len(), 3);
    for p in 0..3 {
        let leader =
            tokio::time::timeout(Duration::from_secs(20), client.leader_for(&topic, p)).await.unwrap().unwrap();
        assert_eq!(leader.broker_id(), Some(TANSU_NODE_ID));
    }
    // A refresh keeps the topic.
    let md = client.refresh_metadata().await.unwrap();
    assert_eq!(md.topic(&topic).unwrap().partitions.len(), 3);
    client.shutdown().await;
}
