//! PLACEHOLDER (replaced by the fetcher branch).
#![allow(dead_code, missing_docs)]
use super::fetcher::Fetched;
use super::record::ConsumerRecord;
use super::types::{IsolationLevel, TopicPartition};
use crate::error::Result;

pub(crate) struct PartitionCursor {
    f: Fetched,
}

impl PartitionCursor {
    pub(crate) fn new(fetched: Fetched, _isolation: IsolationLevel, _check_crcs: bool) -> Self {
        PartitionCursor { f: fetched }
    }
    pub(crate) fn next_record(&mut self) -> Option<Result<ConsumerRecord>> {
        todo!()
    }
    pub(crate) fn position(&self) -> i64 {
        todo!()
    }
    pub(crate) fn leader_epoch(&self) -> Option<i32> {
        todo!()
    }
    pub(crate) fn tp(&self) -> &TopicPartition {
        &self.f.tp
    }
    pub(crate) fn tag(&self) -> u64 {
        self.f.tag
    }
}
