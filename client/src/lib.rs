//! # kafkit-client
//!
//! kafkit's connections and cluster metadata, built on [`kafkit_protocol`]; the producer and
//! consumer will be built on these.
//!
//! - [`Connection`]: one multiplexed connection to one broker — many requests in flight,
//!   responses routed by correlation id, a timeout per request, versions negotiated with
//!   ApiVersions when it opens.
//! - [`Client`]: bootstraps from [`ClientConfig::bootstrap_servers`], keeps one connection per
//!   broker (reconnecting with exponential backoff and jitter), and keeps an immutable
//!   [`Metadata`] snapshot fresh in a background task; readers never lock.
//! - [`ClientConfig`]: the settings, also from Java/librdkafka property names.
//! - [`Error`]: the one error type, with [`Error::is_retriable`].
//! - [`producer`]: the producer's configuration ([`ProducerConfig`]) and partitioners.
//! - [`serializer`]: keys and values to bytes and back, raw or as JSON.
//! - [`admin`]: cluster administration ([`Admin`](admin::Admin)): metadata, topics, groups, offsets.
//!
//! Library code logs through [`tracing`] and never prints.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use kafkit_client::{Client, ClientConfig, Error};
//! use kafkit_client::protocol::ErrorCode;
//!
//! let cluster = kafkit_mock::MockCluster::builder().auto_create_topics(false).start().await?;
//! let config = ClientConfig::from_properties([("bootstrap.servers", cluster.bootstrap().as_str())])?;
//! let client = Client::connect(config).await?;
//! match client.leader_for("no-such-topic", 0).await {
//!     Err(Error::Kafka { code: ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, .. }) => {}
//!     other => panic!("{other:?}"),
//! }
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod admin;
mod backoff;
mod client;
mod config;
pub mod connection;
pub mod consumer;
mod error;
pub mod metadata;
pub mod producer;
pub mod serializer;

pub use backoff::Backoff;
pub use client::Client;
pub use config::{ClientConfig, ConnectionConfig};
pub use connection::Connection;
pub use error::{Error, ProtocolError, Result};
pub use kafkit_protocol as protocol;
pub use metadata::{BrokerInfo, Metadata, PartitionInfo, TopicInfo};
pub use producer::{BlockingProducer, DeliveryFuture, Producer, ProducerConfig, ProducerRecord, RecordMetadata};
