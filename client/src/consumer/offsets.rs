//! PLACEHOLDER (replaced by the fetcher branch).
use std::collections::HashMap;
use std::time::Duration;

use super::types::{IsolationLevel, OffsetAndTimestamp, TopicPartition};
use crate::client::Client;
use crate::error::Result;

pub(crate) async fn list_offsets(
    _client: &Client,
    _requests: &HashMap<TopicPartition, i64>,
    _isolation: IsolationLevel,
    _timeout: Duration,
) -> Result<HashMap<TopicPartition, OffsetAndTimestamp>> {
    todo!()
}
