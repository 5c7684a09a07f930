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
//!   InitProducerId, the transaction APIs (AddPartitionsToTxn, AddOffsetsToTxn, EndTxn writing
//!   commit/abort markers, TxnOffsetCommit), and a group coordinator (FindCoordinator, JoinGroup,
//!   SyncGroup, Heartbeat, LeaveGroup with generations, leader election, session and rebalance
//!   timeouts, static members; OffsetCommit, OffsetFetch, DescribeGroups, ListGroups,
//!   DeleteGroups).
//! - Faults armed from the test ([`Fault`]): errors for the next N requests of an API (optionally
//!   one broker or partition), delayed responses, dropped connections, throttling; brokers taken
//!   down and up; leadership moved; older API versions advertised
//!   ([`MockClusterBuilder::advertise_versions`]).
//! - Inspection: every request received, a partition's records and stored batches (with the
//!   producer id, epoch and sequences), a group's members and offsets.
//!
//! Requests are decoded with `kafkit-protocol`; a malformed request closes its connection with a
//! logged reason and never takes the cluster down.
//!
//! A client's retry path, tested: the first produce to a partition is answered
//! NOT_LEADER_OR_FOLLOWER, the retry lands, and the cluster saw exactly two attempts. (With
//! kafkit's producer, the retry is the client's job; here a raw request stands in for it.)
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use bytes::{Bytes, BytesMut};
//! use kafkit_mock::{Fault, MockCluster};
//! use kafkit_protocol::header::{read_response, write_request};
//! use kafkit_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
//! use kafkit_protocol::messages::ProduceRequest;
//! use kafkit_protocol::record::RecordBatchBuilder;
//! use kafkit_protocol::{ApiKey, ErrorCode};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! let cluster = MockCluster::start(1).await?;
//! cluster.create_topic("quotes", 1)?;
//! cluster.inject(Fault::error(ApiKey::Produce, ErrorCode::NOT_LEADER_OR_FOLLOWER).partition("quotes", 0));
//!
//! let mut conn = tokio::net::TcpStream::connect(cluster.broker_addrs()[0]).await?;
//! let mut batch = RecordBatchBuilder::new(0);
//! batch.append(0, None, Some(b"600000 10.31"), &[])?;
//! let request = ProduceRequest {
//!     acks: -1,
//!     timeout_ms: 1000,
//!     topic_data: vec![TopicProduceData {
//!         name: "quotes".into(),
//!         partition_data: vec![PartitionProduceData { index: 0, records: Some(batch.finish()?), ..Default::default() }],
//!         ..Default::default()
//!     }],
//!     ..Default::default()
//! };
//! let mut attempt = 0;
//! let offset = loop {
//!     attempt += 1;
//!     let mut buf = BytesMut::new();
//!     write_request(&mut buf, attempt, None, 9, &request)?;
//!     conn.write_all(&buf).await?;
//!     let mut len = [0u8; 4];
//!     conn.read_exact(&mut len).await?;
//!     let mut frame = vec![0u8; u32::from_be_bytes(len) as usize];
//!     conn.read_exact(&mut frame).await?;
//!     let (_, resp) = read_response::<ProduceRequest>(Bytes::from(frame), 9)?;
//!     let p = &resp.responses[0].partition_responses[0];
//!     match ErrorCode::from_i16(p.error_code) {
//!         ErrorCode::NONE => break p.base_offset,
//!         e if e.is_retriable() => continue, // refresh metadata, back off, retry
//!         e => return Err(e.into()),
//!     }
//! };
//! assert_eq!(offset, 0);
//! assert_eq!(cluster.requests_of(ApiKey::Produce).len(), 2, "one failure, one retry");
//! assert_eq!(cluster.records("quotes", 0)?.len(), 1, "stored once");
//! # Ok(())
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
