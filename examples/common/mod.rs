//! What the examples share: which Kafka to talk to, making sure their topic exists, and the
//! stock quote they send and read.
//!
//! Not an example itself (Cargo runs only `examples/*.rs`); each example includes it with
//! `mod common;`.
#![allow(dead_code)] // each example uses part of it

use std::error::Error;
use std::fmt;
use std::time::{Duration, Instant};

use kafkit::client::admin::{Admin, CreateTopicsOptions, NewTopic};
use kafkit::client::protocol::ErrorCode;
use kafkit::client::serializer::Json;
use kafkit::client::{ClientConfig, Producer, ProducerConfig, ProducerRecord};
use kafkit_mock::MockCluster;
use serde::{Deserialize, Serialize};

/// An error of any kind, for the examples' `main`.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// The Kafka cluster an example runs against: the one `KAFKA_BROKERS` names, else an
/// in-process mock cluster that lives as long as this value.
pub struct Kafka {
    /// The `host:port` list to bootstrap from (`bootstrap_servers`).
    pub bootstrap: String,
    mock: Option<MockCluster>,
}

impl Kafka {
    /// `KAFKA_BROKERS` (e.g. `localhost:9092`, or a comma-separated list) if it is set and not
    /// empty; otherwise starts a one-broker mock cluster on a free loopback port.
    pub async fn from_env() -> Result<Kafka, BoxError> {
        match std::env::var("KAFKA_BROKERS") {
            Ok(brokers) if !brokers.trim().is_empty() => {
                Ok(Kafka { bootstrap: brokers.trim().to_string(), mock: None })
            }
            _ => {
                let mock = MockCluster::start(1).await?;
                Ok(Kafka { bootstrap: mock.bootstrap(), mock: Some(mock) })
            }
        }
    }

    /// Whether this is the in-process mock cluster (which starts empty).
    pub fn is_mock(&self) -> bool {
        self.mock.is_some()
    }

    /// Creates `topic` with `partitions` partitions (and the broker's default replication
    /// factor) unless it exists, then waits until the cluster's metadata shows a leader for each
    /// of its partitions.
    ///
    /// kafka-python's examples rely on the broker creating topics on first use
    /// (`auto.create.topics.enable`); not every broker does (Tansu does not, and it is off in many
    /// production clusters), so the examples ask for the topic explicitly.
    pub async fn create_topic(&self, topic: &str, partitions: i32) -> Result<(), BoxError> {
        let admin = Admin::connect(ClientConfig::new([&self.bootstrap])).await?;
        let result = async {
            let topic_spec = NewTopic { partitions: Some(partitions), ..NewTopic::with_broker_defaults(topic) };
            let created = admin.create_topics(vec![topic_spec], &CreateTopicsOptions::default()).await?;
            for outcome in created {
                if !outcome.is_ok() && outcome.error_code() != Some(ErrorCode::TOPIC_ALREADY_EXISTS) {
                    return Err(outcome.result.unwrap_err().into());
                }
            }
            // The new topic reaches every broker's metadata shortly after it is created.
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let metadata = admin.metadata(Some(&[topic])).await?;
                let ready = metadata.topic(topic).is_some_and(|t| {
                    t.error.is_ok() && !t.partitions.is_empty() && t.partitions.iter().all(|p| p.leader.is_some())
                });
                if ready {
                    return Ok(());
                }
                if Instant::now() > deadline {
                    return Err(format!("topic `{topic}` has no leader 30 s after it was created").into());
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        .await;
        admin.close().await;
        result
    }
}

impl fmt::Display for Kafka {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_mock() {
            write!(f, "{} (an in-process mock cluster; set KAFKA_BROKERS=host:port for a real one)", self.bootstrap)
        } else {
            write!(f, "{}", self.bootstrap)
        }
    }
}

/// The stock quote of the reference usage, with its field names (Chinese, as there): the
/// producer sends it as JSON, the consumers read it back into this type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    /// Who sent it.
    #[serde(rename = "Publisher")]
    pub publisher: String,
    /// The stock code.
    #[serde(rename = "股票代码")]
    pub code: u32,
    /// Yesterday's closing price.
    #[serde(rename = "昨日收盘价")]
    pub yesterday_close: f64,
    /// Today's opening price.
    #[serde(rename = "今日开盘价")]
    pub today_open: f64,
    /// Today's closing price.
    #[serde(rename = "今日收盘价")]
    pub today_close: f64,
}

impl Quote {
    /// The `i`-th quote `producer.rs` sends: stock 60000 + i.
    pub fn new(i: u32) -> Quote {
        Quote {
            publisher: "Producer01".into(),
            code: 60000 + i,
            yesterday_close: f64::from(1 + (i * 37 + 11) % 500),
            today_open: 0.0,
            today_close: 0.0,
        }
    }
}

/// Sends quotes 0..`n` to `topic` as `producer.rs` does. Only the consumer examples on the mock
/// cluster need this: a mock cluster starts empty, while a real one has what `producer.rs` sent.
pub async fn send_quotes(kafka: &Kafka, topic: &str, n: u32) -> Result<(), BoxError> {
    let producer = Producer::new(ProducerConfig::new([&kafka.bootstrap])).await?;
    let mut deliveries = Vec::new();
    for i in 0..n {
        let record = ProducerRecord::new(topic).serialize_value(&Json, &Quote::new(i))?;
        deliveries.push(producer.send(record).await);
    }
    producer.flush().await;
    for delivery in deliveries {
        delivery.await?;
    }
    producer.close(None).await?;
    Ok(())
}
