//! What the tests against a real broker share: the broker's address, fresh names, topics.
#![allow(dead_code)] // each test file uses some of it

use kafkit_client::protocol::messages::create_topics_request::CreatableTopic;
use kafkit_client::protocol::messages::CreateTopicsRequest;
use kafkit_client::{Connection, ConnectionConfig};

/// The broker's `host:port` list from `KAFKIT_TEST_BROKERS`; `None` (after saying so) to skip
/// the test, except under `CI`, where a missing broker is a failure.
pub fn brokers() -> Option<String> {
    match std::env::var("KAFKIT_TEST_BROKERS") {
        Ok(b) if !b.trim().is_empty() => Some(b),
        _ => {
            assert!(std::env::var_os("CI").is_none(), "CI is set but KAFKIT_TEST_BROKERS is not: start a broker");
            eprintln!("skipped: set KAFKIT_TEST_BROKERS=host:port (e.g. from scripts/tansu.sh start) to run");
            None
        }
    }
}

/// A name no earlier run used.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// A connection to the first broker of `brokers`.
pub async fn connect(brokers: &str) -> Connection {
    let addr = brokers.split(',').next().unwrap().trim();
    Connection::connect(addr, &ConnectionConfig::default()).await.unwrap()
}

/// Creates a fresh topic with `partitions` partitions and returns its name.
pub async fn create_topic(brokers: &str, prefix: &str, partitions: i32) -> String {
    let topic = unique(prefix);
    let conn = connect(brokers).await;
    let created = conn
        .send(&CreateTopicsRequest {
            topics: vec![CreatableTopic {
                name: topic.clone(),
                num_partitions: partitions,
                replication_factor: 1,
                ..Default::default()
            }],
            timeout_ms: 10_000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(created.topics[0].error_code, 0, "creating {topic}: {created:?}");
    conn.close();
    topic
}
