//! The consumer's settings, with the Java/librdkafka property names and the Java client's
//! defaults and validation rules.

use std::time::Duration;

use super::assignor::AssignorKind;
use super::types::{IsolationLevel, OffsetReset};
use crate::config::ClientConfig;

/// The settings of a consumer: the connection settings plus group membership, fetching and
/// commits. Defaults are the Java client's (4.0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerConfig {
    /// The connection settings (`bootstrap.servers`, `client.id`, `request.timeout.ms`, ...).
    pub client: ClientConfig,
    /// `group.id`: the consumer group. Needed by `subscribe` and commits; `None` for a
    /// consumer that only `assign`s.
    pub group_id: Option<String>,
    /// `group.instance.id`: a static member's id (KIP-345); `None` for a dynamic member.
    pub group_instance_id: Option<String>,
    /// `enable.auto.commit`: commit what `poll` returned every
    /// [`auto_commit_interval`](Self::auto_commit_interval), before partitions are revoked,
    /// and on close. Default true.
    pub enable_auto_commit: bool,
    /// `auto.commit.interval.ms`. Default 5 s.
    pub auto_commit_interval: Duration,
    /// `auto.offset.reset`: `earliest`, `latest` (default) or `none`.
    pub auto_offset_reset: OffsetReset,
    /// `session.timeout.ms`: a member without a heartbeat for this long is removed from the
    /// group. Default 45 s.
    pub session_timeout: Duration,
    /// `heartbeat.interval.ms`. Default 3 s; must be below the session timeout.
    pub heartbeat_interval: Duration,
    /// `max.poll.interval.ms`: a member that does not poll for this long leaves the group
    /// (and is also the rebalance timeout sent in JoinGroup). Default 300 s.
    pub max_poll_interval: Duration,
    /// `max.poll.records`: the most records one `poll` returns. Default 500.
    pub max_poll_records: usize,
    /// `fetch.min.bytes`. Default 1.
    pub fetch_min_bytes: i32,
    /// `fetch.max.wait.ms`. Default 500 ms.
    pub fetch_max_wait: Duration,
    /// `max.partition.fetch.bytes`. Default 1 MiB.
    pub max_partition_fetch_bytes: i32,
    /// `fetch.max.bytes`. Default 50 MiB.
    pub fetch_max_bytes: i32,
    /// `isolation.level`: `read_uncommitted` (default) or `read_committed`.
    pub isolation_level: IsolationLevel,
    /// `partition.assignment.strategy`: the assignors this member supports, in order of
    /// preference. Default `[range, cooperative-sticky]`, as Java's.
    pub partition_assignment_strategy: Vec<AssignorKind>,
    /// `check.crcs`: verify each batch's CRC-32C. Default true.
    pub check_crcs: bool,
    /// `retry.backoff.ms`. Default 100 ms.
    pub retry_backoff: Duration,
    /// `default.api.timeout.ms`: how long calls such as `committed`, `position` or
    /// `end_offsets` may take. Default 60 s.
    pub default_api_timeout: Duration,
    /// `allow.auto.create.topics`: whether subscribing to a topic that does not exist creates
    /// it (if the broker allows). Default true.
    pub allow_auto_create_topics: bool,
    /// `exclude.internal.topics`: pattern subscriptions never match internal topics such as
    /// `__consumer_offsets`. Default true.
    pub exclude_internal_topics: bool,
    /// `client.rack`: the rack sent in the subscription (for rack-aware assignors). Default
    /// none.
    pub client_rack: Option<String>,
}

impl ConsumerConfig {
    /// Java's defaults, with `bootstrap_servers`.
    pub fn new<S: AsRef<str>>(bootstrap_servers: impl IntoIterator<Item = S>) -> Self {
        ConsumerConfig {
            client: ClientConfig::new(bootstrap_servers),
            group_id: None,
            group_instance_id: None,
            enable_auto_commit: true,
            auto_commit_interval: Duration::from_secs(5),
            auto_offset_reset: OffsetReset::Latest,
            session_timeout: Duration::from_secs(45),
            heartbeat_interval: Duration::from_secs(3),
            max_poll_interval: Duration::from_secs(300),
            max_poll_records: 500,
            fetch_min_bytes: 1,
            fetch_max_wait: Duration::from_millis(500),
            max_partition_fetch_bytes: 1 << 20,
            fetch_max_bytes: 50 << 20,
            isolation_level: IsolationLevel::ReadUncommitted,
            partition_assignment_strategy: vec![AssignorKind::Range, AssignorKind::CooperativeSticky],
            check_crcs: true,
            retry_backoff: Duration::from_millis(100),
            default_api_timeout: Duration::from_secs(60),
            allow_auto_create_topics: true,
            exclude_internal_topics: true,
            client_rack: None,
        }
    }
}
