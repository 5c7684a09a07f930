//! The fetcher task: one Fetch request in flight per leader broker, covering the assigned,
//! unpaused partitions it leads, fetching ahead of the application into a bounded buffer
//! (at most one undelivered response per partition, as the Java consumer).

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::config::ConsumerConfig;
use super::types::TopicPartition;
use crate::client::Client;
use crate::error::{Error, Result};

/// Where to fetch one partition from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FetchTarget {
    /// The offset to fetch from when `tag` is new to the fetcher.
    pub offset: i64,
    /// The leader epoch of the last record consumed before `offset`, if known (for the
    /// Fetch request's `current_leader_epoch`).
    pub leader_epoch: Option<i32>,
    /// Changes whenever the consumer moves the position itself (assign, seek, reset): the
    /// fetcher keeps fetching ahead from its own offset while the tag stays the same, and
    /// the consumer drops fetched data whose tag is stale.
    pub tag: u64,
}

/// A command to the fetcher.
#[derive(Debug)]
pub(crate) enum FetchCommand {
    /// The complete set of partitions to fetch now (assigned, unpaused, with a position),
    /// replacing the previous set.
    Fetch(HashMap<TopicPartition, FetchTarget>),
}

/// One partition's part of a Fetch response, handed to the consumer. Dropping it lets the
/// fetcher fetch that partition again.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub tp: TopicPartition,
    /// The tag of the target this was fetched for.
    pub tag: u64,
    /// The offset the request asked for: records before it (in a batch that starts earlier)
    /// are not to be returned.
    pub fetch_offset: i64,
    /// The data, or the error the broker answered for this partition that the consumer must
    /// handle (OFFSET_OUT_OF_RANGE: the reset policy; others: returned by `poll`).
    /// Retriable errors (leader moved, ...) are handled by the fetcher and never get here.
    pub result: Result<FetchedData>,
    pub(crate) _slot: BufferSlot,
}

/// Records of one partition as the broker sent them (not yet decoded).
#[derive(Debug, Clone)]
pub(crate) struct FetchedData {
    /// The record batches (v2, or legacy message sets), possibly ending in a partial batch.
    pub records: Bytes,
    pub high_watermark: i64,
    pub last_stable_offset: i64,
    pub log_start_offset: i64,
    /// read_committed: the aborted transactions overlapping these records, as
    /// (producer id, first offset), in first-offset order.
    pub aborted_transactions: Vec<(i64, i64)>,
}

/// Keeps a partition's buffer slot taken while its [`Fetched`] is alive.
#[derive(Debug)]
pub(crate) struct BufferSlot {
    _private: (),
}

/// The consumer's end of the fetcher task. Dropping it stops the task.
#[derive(Debug)]
pub(crate) struct FetcherHandle {
    pub(crate) commands: mpsc::UnboundedSender<FetchCommand>,
    pub(crate) fetched: mpsc::UnboundedReceiver<Fetched>,
}

/// Starts the fetcher task.
pub(crate) fn spawn(client: Client, config: Arc<ConsumerConfig>) -> FetcherHandle {
    let _ = (client, config, Error::Closed);
    todo!("the fetcher task")
}
