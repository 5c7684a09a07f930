//! The consumer: [`Consumer`], group-aware (subscribe, rebalance, commit) or assigned by
//! hand, fetching ahead in the background.
//!
//! Inside: `consumer.rs` (the application's handle: positions, poll, seeks, commits),
//! `group.rs` (the group task: the one owner of membership state), `fetcher.rs` (the fetch
//! task: a request in flight per leader, a bounded buffer ahead), `cursor.rs` (lazy,
//! zero-copy decoding of fetched batches), `offsets.rs` (ListOffsets lookups),
//! `assignor*.rs` (range, roundrobin, cooperative-sticky).

mod assignor;
mod config;
#[allow(clippy::module_inception)]
mod consumer;
mod cursor;
mod fetcher;
pub(crate) mod group;
mod listener;
pub(crate) mod offsets;
mod record;
mod types;

pub use assignor::{
    Assignor, AssignorKind, CooperativeStickyAssignor, MemberSubscription, ParseAssignorError, RangeAssignor,
    RebalanceProtocol, RoundRobinAssignor, StickyAssignor,
};
pub use config::ConsumerConfig;
pub use consumer::{CommitFuture, Consumer, RecordStream};
/// `next()` on a [`RecordStream`] (re-exported from `futures-util`).
pub use futures_util::StreamExt;
pub use listener::{Rebalance, RebalanceListener};
pub use record::{ConsumerRecord, ConsumerRecords};
pub use types::{IsolationLevel, OffsetAndMetadata, OffsetAndTimestamp, OffsetReset, TopicPartition};
