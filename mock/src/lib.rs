//! # kafkit-mock
//!
//! An in-process Kafka cluster for tests, with fault injection — what librdkafka's
//! `rdkafka_mock` and franz-go's `kfake` are to their clients, for any Kafka client: it speaks the
//! real wire protocol on loopback ports.
//!
//! - [`MockCluster::start`] binds N brokers on free `127.0.0.1` ports; [`MockCluster::bootstrap`]
//!   is the `bootstrap.servers` string. The cluster lives until dropped.
//! - Topics and partitions live in memory, leaders spread over the brokers; topics are created on
//!   first use (Metadata with auto-create), by CreateTopics, or by [`MockCluster::create_topic`].
//! - The broker side of ApiVersions, Metadata, Produce (acks 0/1/all, idempotent sequence checks),
//!   Fetch (long polling, size limits, isolation level), ListOffsets, CreateTopics, DeleteTopics,
//!   InitProducerId, the transaction APIs, and a group coordinator (FindCoordinator, JoinGroup,
//!   SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups, ListGroups).
//! - Faults armed from the test ([`Fault`]): errors for the next N requests of an API (optionally
//!   one broker or partition), delayed responses, dropped connections, throttling; brokers taken
//!   down and up; leadership moved.
//! - Inspection: every request received, a partition's records, a group's members and offsets.
//!
//! Requests are decoded with `kafkit-protocol`; a malformed request closes its connection with a
//! logged reason and never takes the cluster down.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use kafkit_mock::{Fault, MockCluster};
//! use kafkit_protocol::{ApiKey, ErrorCode};
//!
//! let cluster = MockCluster::start(3).await.unwrap();
//! cluster.create_topic("quotes", 3).unwrap();
//! cluster.inject(Fault::error(ApiKey::Produce, ErrorCode::NOT_LEADER_OR_FOLLOWER).partition("quotes", 0));
//! // ... point a client at cluster.bootstrap(), produce, and check that it retried:
//! // assert_eq!(cluster.records("quotes", 0).unwrap().len(), expected);
//! # }
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod broker;
mod cluster;
mod faults;
mod group;
mod handlers;
mod state;

pub use cluster::{LoggedRequest, MockCluster, MockClusterBuilder, MockError};
pub use faults::Fault;
pub use group::{GroupInfo, GroupState, MemberInfo};
