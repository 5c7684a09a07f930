//! The consumer's settings, with the Java/librdkafka property names and the Java client's
//! defaults and validation rules.

use std::sync::Arc;
use std::time::Duration;

use super::assignor::{Assignor, AssignorKind, RebalanceProtocol};
use super::types::{IsolationLevel, OffsetReset};
use crate::config::{property_name, unknown_property, ClientConfig};
use crate::error::{Error, Result};

/// The settings of a consumer: the connection settings plus group membership, fetching and
/// commits. Defaults are the Java client's (4.0).
///
/// Build it with [`ConsumerConfig::new`] and the builder methods, or from property pairs
/// ([`ConsumerConfig::from_properties`]) with the Java names, librdkafka's where they differ
/// (`fetch.wait.max.ms`, `fetch.message.max.bytes`, `auto.offset.reset=smallest`, ...), or
/// kafka-python's keyword names (`group_id`, `auto_offset_reset`, ...: a key with underscores
/// and no dot is read with the underscores as dots).
///
/// ```
/// use kafkit_client::consumer::{AssignorKind, ConsumerConfig, OffsetReset, RebalanceProtocol};
/// use std::time::Duration;
///
/// // The reference usage's settings, as kafka-python's KafkaConsumer keywords.
/// let config = ConsumerConfig::from_properties([
///     ("bootstrap_servers", "broker1:9092"),
///     ("group_id", "quotes-readers"),
///     ("auto_offset_reset", "earliest"),
///     ("enable_auto_commit", "true"),
///     ("auto_commit_interval_ms", "1000"),
/// ])?;
/// assert_eq!(config.group_id.as_deref(), Some("quotes-readers"));
/// assert_eq!(config.auto_offset_reset, OffsetReset::Earliest);
/// assert!(config.auto_commit_enabled());
/// assert_eq!(config.auto_commit_interval, Duration::from_secs(1));
/// // Java's default strategies: [range, cooperative-sticky]; range is eager only.
/// assert_eq!(config.rebalance_protocol(), RebalanceProtocol::Eager);
///
/// // The same with the Java names, and the builder.
/// let config = ConsumerConfig::new(["broker1:9092"])
///     .group_id("quotes-readers")
///     .auto_offset_reset(OffsetReset::Earliest)
///     .auto_commit_interval(Duration::from_secs(1))
///     .partition_assignment_strategy([AssignorKind::CooperativeSticky]);
/// config.validate()?;
/// assert_eq!(config.rebalance_protocol(), RebalanceProtocol::Cooperative);
///
/// let err = ConsumerConfig::from_properties([("auto.offset.reset", "oldest")]).unwrap_err();
/// assert!(err.to_string().contains("auto.offset.reset"));
/// # Ok::<(), kafkit_client::Error>(())
/// ```
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
    /// and on close. Default true; without a `group.id` there is nothing to commit to, and
    /// auto-commit is off whatever this says (see
    /// [`auto_commit_enabled`](Self::auto_commit_enabled)).
    pub enable_auto_commit: bool,
    /// `auto.commit.interval.ms`. Default 5 s.
    pub auto_commit_interval: Duration,
    /// `auto.offset.reset`: `earliest`, `latest` (default) or `none` (librdkafka also
    /// `smallest`/`beginning`, `largest`/`end`, `error`).
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
    /// `fetch.min.bytes`: the broker holds a fetch until it has this many bytes (or
    /// [`fetch_max_wait`](Self::fetch_max_wait) passed); 0 answers at once. Default 1.
    pub fetch_min_bytes: i32,
    /// `fetch.max.wait.ms` (librdkafka `fetch.wait.max.ms`). Default 500 ms.
    pub fetch_max_wait: Duration,
    /// `max.partition.fetch.bytes` (librdkafka `fetch.message.max.bytes`): the most data one
    /// fetch returns per partition (a larger first batch is still returned whole). Default
    /// 1 MiB.
    pub max_partition_fetch_bytes: i32,
    /// `fetch.max.bytes`: the most data one fetch returns (a larger first batch is still
    /// returned whole). Default 50 MiB.
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

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            client: ClientConfig::default(),
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

fn number<T: std::str::FromStr>(key: &str, value: &str, what: &str) -> Result<T> {
    value.trim().parse().map_err(|_| Error::config(key, format!("expected {what}, got `{value}`")))
}

fn millis(key: &str, value: &str) -> Result<Duration> {
    number(key, value, "a whole number of milliseconds").map(Duration::from_millis)
}

fn boolean(key: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(Error::config(key, format!("expected true or false, got `{value}`"))),
    }
}

/// A name Kafka accepts for a group instance (Java's `JoinGroupRequest.validateGroupInstanceId`,
/// the topic-name rules): 1 to 249 of `[a-zA-Z0-9._-]`, not `.` or `..`.
fn check_group_instance_id(id: &str) -> std::result::Result<(), String> {
    if id.is_empty() {
        return Err("must not be empty: leave it unset for a dynamic member".to_string());
    }
    if id == "." || id == ".." {
        return Err(format!("`{id}` is not allowed"));
    }
    if id.len() > 249 {
        return Err(format!("`{id}` is {} characters long; the maximum is 249", id.len()));
    }
    if let Some(c) = id.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
        return Err(format!("`{id}` contains `{c}`; only ASCII letters, digits, `.`, `_` and `-` are allowed"));
    }
    Ok(())
}

/// The largest value of a setting sent as a 32-bit number of milliseconds.
const MAX_INT_MILLIS: Duration = Duration::from_millis(i32::MAX as u64);

impl ConsumerConfig {
    /// The property names [`ConsumerConfig::set`] accepts besides [`ClientConfig::KEYS`]
    /// (Java names first, then librdkafka's). kafka-python's names are these with `_` for `.`.
    pub const KEYS: &'static [&'static str] = &[
        "group.id",
        "group.instance.id",
        "enable.auto.commit",
        "auto.commit.interval.ms",
        "auto.offset.reset",
        "session.timeout.ms",
        "heartbeat.interval.ms",
        "max.poll.interval.ms",
        "max.poll.records",
        "fetch.min.bytes",
        "fetch.max.wait.ms",
        "max.partition.fetch.bytes",
        "fetch.max.bytes",
        "isolation.level",
        "partition.assignment.strategy",
        "check.crcs",
        "retry.backoff.ms",
        "default.api.timeout.ms",
        "allow.auto.create.topics",
        "exclude.internal.topics",
        "client.rack",
        "fetch.wait.max.ms",
        "fetch.message.max.bytes",
    ];

    /// A configuration with the defaults and these bootstrap servers (each item may be a
    /// comma-separated list), as [`ClientConfig::new`].
    pub fn new<S: AsRef<str>>(bootstrap_servers: impl IntoIterator<Item = S>) -> Self {
        ConsumerConfig { client: ClientConfig::new(bootstrap_servers), ..Default::default() }
    }

    /// Sets `client.id`.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client.client_id = client_id.into();
        self
    }

    /// Sets `group.id`.
    pub fn group_id(mut self, group_id: impl Into<String>) -> Self {
        self.group_id = Some(group_id.into());
        self
    }

    /// Sets `group.instance.id` (static membership; needs a `group.id`).
    pub fn group_instance_id(mut self, id: impl Into<String>) -> Self {
        self.group_instance_id = Some(id.into());
        self
    }

    /// Sets `enable.auto.commit`.
    pub fn enable_auto_commit(mut self, enable: bool) -> Self {
        self.enable_auto_commit = enable;
        self
    }

    /// Sets `auto.commit.interval.ms`.
    pub fn auto_commit_interval(mut self, interval: Duration) -> Self {
        self.auto_commit_interval = interval;
        self
    }

    /// Sets `auto.offset.reset`.
    pub fn auto_offset_reset(mut self, reset: OffsetReset) -> Self {
        self.auto_offset_reset = reset;
        self
    }

    /// Sets `session.timeout.ms`.
    pub fn session_timeout(mut self, timeout: Duration) -> Self {
        self.session_timeout = timeout;
        self
    }

    /// Sets `heartbeat.interval.ms`.
    pub fn heartbeat_interval(mut self, interval: Duration) -> Self {
        self.heartbeat_interval = interval;
        self
    }

    /// Sets `max.poll.interval.ms`.
    pub fn max_poll_interval(mut self, interval: Duration) -> Self {
        self.max_poll_interval = interval;
        self
    }

    /// Sets `max.poll.records`.
    pub fn max_poll_records(mut self, records: usize) -> Self {
        self.max_poll_records = records;
        self
    }

    /// Sets `fetch.min.bytes`.
    pub fn fetch_min_bytes(mut self, bytes: i32) -> Self {
        self.fetch_min_bytes = bytes;
        self
    }

    /// Sets `fetch.max.wait.ms`.
    pub fn fetch_max_wait(mut self, wait: Duration) -> Self {
        self.fetch_max_wait = wait;
        self
    }

    /// Sets `max.partition.fetch.bytes`.
    pub fn max_partition_fetch_bytes(mut self, bytes: i32) -> Self {
        self.max_partition_fetch_bytes = bytes;
        self
    }

    /// Sets `fetch.max.bytes`.
    pub fn fetch_max_bytes(mut self, bytes: i32) -> Self {
        self.fetch_max_bytes = bytes;
        self
    }

    /// Sets `isolation.level`.
    pub fn isolation_level(mut self, level: IsolationLevel) -> Self {
        self.isolation_level = level;
        self
    }

    /// Sets `partition.assignment.strategy`, in order of preference.
    pub fn partition_assignment_strategy(mut self, kinds: impl IntoIterator<Item = AssignorKind>) -> Self {
        self.partition_assignment_strategy = kinds.into_iter().collect();
        self
    }

    /// Sets `check.crcs`.
    pub fn check_crcs(mut self, check: bool) -> Self {
        self.check_crcs = check;
        self
    }

    /// Sets `retry.backoff.ms`.
    pub fn retry_backoff(mut self, backoff: Duration) -> Self {
        self.retry_backoff = backoff;
        self
    }

    /// Sets `default.api.timeout.ms`.
    pub fn default_api_timeout(mut self, timeout: Duration) -> Self {
        self.default_api_timeout = timeout;
        self
    }

    /// Sets `allow.auto.create.topics`.
    pub fn allow_auto_create_topics(mut self, allow: bool) -> Self {
        self.allow_auto_create_topics = allow;
        self
    }

    /// Sets `exclude.internal.topics`.
    pub fn exclude_internal_topics(mut self, exclude: bool) -> Self {
        self.exclude_internal_topics = exclude;
        self
    }

    /// Sets `client.rack`.
    pub fn client_rack(mut self, rack: impl Into<String>) -> Self {
        self.client_rack = Some(rack.into());
        self
    }

    /// Sets one property by its Java or librdkafka name, including every
    /// [`ClientConfig::KEYS`] name, or by kafka-python's name (a key with `_` and no `.` is
    /// read with `.` for `_`: `group_id`, `auto_offset_reset`, `bootstrap_servers`). An
    /// unknown key or a malformed value is an [`Error::Config`] naming the key as given.
    /// Values are not cross-checked here; see [`ConsumerConfig::validate`].
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let name = property_name(key);
        let name = &*name;
        match name {
            "group.id" => {
                if value.trim().is_empty() {
                    return Err(Error::config(key, "must not be empty: leave it unset for a consumer without a group"));
                }
                self.group_id = Some(value.to_string());
            }
            "group.instance.id" => {
                if value.trim().is_empty() {
                    return Err(Error::config(key, "must not be empty: leave it unset for a dynamic member"));
                }
                self.group_instance_id = Some(value.to_string());
            }
            "enable.auto.commit" => self.enable_auto_commit = boolean(key, value)?,
            "auto.commit.interval.ms" => self.auto_commit_interval = millis(key, value)?,
            "auto.offset.reset" => {
                self.auto_offset_reset = match value.trim().to_ascii_lowercase().as_str() {
                    "earliest" | "smallest" | "beginning" => OffsetReset::Earliest,
                    "latest" | "largest" | "end" => OffsetReset::Latest,
                    "none" | "error" => OffsetReset::None,
                    _ => {
                        return Err(Error::config(
                            key,
                            format!(
                                "expected earliest, latest or none (librdkafka: smallest, beginning, largest, end, \
                                 error), got `{value}`"
                            ),
                        ))
                    }
                }
            }
            "session.timeout.ms" => self.session_timeout = millis(key, value)?,
            "heartbeat.interval.ms" => self.heartbeat_interval = millis(key, value)?,
            "max.poll.interval.ms" => self.max_poll_interval = millis(key, value)?,
            "max.poll.records" => self.max_poll_records = number(key, value, "a number of records")?,
            "fetch.min.bytes" => self.fetch_min_bytes = number(key, value, "a number of bytes")?,
            "fetch.max.wait.ms" | "fetch.wait.max.ms" => self.fetch_max_wait = millis(key, value)?,
            "max.partition.fetch.bytes" | "fetch.message.max.bytes" => {
                self.max_partition_fetch_bytes = number(key, value, "a number of bytes")?
            }
            "fetch.max.bytes" => self.fetch_max_bytes = number(key, value, "a number of bytes")?,
            "isolation.level" => {
                self.isolation_level = match value.trim().to_ascii_lowercase().as_str() {
                    "read_uncommitted" => IsolationLevel::ReadUncommitted,
                    "read_committed" => IsolationLevel::ReadCommitted,
                    _ => {
                        return Err(Error::config(
                            key,
                            format!("expected read_uncommitted or read_committed, got `{value}`"),
                        ))
                    }
                }
            }
            "partition.assignment.strategy" => {
                self.partition_assignment_strategy = value
                    .split(',')
                    .map(str::trim)
                    .filter(|name| !name.is_empty())
                    .map(|name| name.parse().map_err(|e| Error::config(key, format!("{e}"))))
                    .collect::<Result<_>>()?;
            }
            "check.crcs" => self.check_crcs = boolean(key, value)?,
            "retry.backoff.ms" => self.retry_backoff = millis(key, value)?,
            "default.api.timeout.ms" => self.default_api_timeout = millis(key, value)?,
            "allow.auto.create.topics" => self.allow_auto_create_topics = boolean(key, value)?,
            "exclude.internal.topics" => self.exclude_internal_topics = boolean(key, value)?,
            // Java's default is the empty string: no rack.
            "client.rack" => self.client_rack = (!value.trim().is_empty()).then(|| value.to_string()),
            _ if ClientConfig::KEYS.contains(&name) => self.client.set(key, value)?,
            _ => return Err(unknown_property(key, "consumer", Self::KEYS)),
        }
        Ok(())
    }

    /// A configuration from `(key, value)` property pairs over the defaults, validated.
    pub fn from_properties<'a>(props: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self> {
        let mut config = ConsumerConfig::default();
        for (k, v) in props {
            config.set(k, v)?;
        }
        config.validate()?;
        Ok(config)
    }

    /// Whether offsets are committed automatically: `enable.auto.commit` with a `group.id`.
    /// Without a group there is nowhere to commit, and Java turns the default off (kafkit
    /// does the same with an explicit `true`, as kafka-python does, where Java refuses it).
    pub fn auto_commit_enabled(&self) -> bool {
        self.enable_auto_commit && self.group_id.is_some()
    }

    /// A new instance of each assignor of
    /// [`partition_assignment_strategy`](Self::partition_assignment_strategy), in order of
    /// preference (the order the protocols are offered in JoinGroup).
    pub fn assignors(&self) -> Vec<Arc<dyn Assignor>> {
        self.partition_assignment_strategy.iter().map(AssignorKind::build).collect()
    }

    /// The rebalance protocol this member follows, by Java's rule (`ConsumerCoordinator`):
    /// the highest protocol every configured assignor supports — cooperative only if they all
    /// support it (e.g. `[cooperative-sticky]`), eager otherwise (Java's default
    /// `[range, cooperative-sticky]` is eager, so that a group can be upgraded member by
    /// member).
    pub fn rebalance_protocol(&self) -> RebalanceProtocol {
        let all_cooperative = !self.partition_assignment_strategy.is_empty()
            && self
                .partition_assignment_strategy
                .iter()
                .all(|kind| kind.supported_protocols().contains(&RebalanceProtocol::Cooperative));
        if all_cooperative {
            RebalanceProtocol::Cooperative
        } else {
            RebalanceProtocol::Eager
        }
    }

    /// Checks every value, with the Java client's rules and messages that name the keys
    /// involved and say what to change:
    ///
    /// - the [`ClientConfig`] rules;
    /// - `group.id` not empty; `group.instance.id` only with a `group.id`, and a valid name
    ///   (1 to 249 of `[a-zA-Z0-9._-]`, not `.` or `..`);
    /// - `session.timeout.ms`, `heartbeat.interval.ms` and `max.poll.interval.ms` above 0,
    ///   the heartbeat interval below the session timeout;
    /// - `max.poll.records` at least 1; `fetch.min.bytes` at least 0;
    ///   `max.partition.fetch.bytes` and `fetch.max.bytes` at least 1;
    /// - the timeouts and intervals Java keeps as 32-bit milliseconds (session, heartbeat,
    ///   poll, fetch wait, auto-commit, default API timeout) at most 2147483647 ms;
    /// - `partition.assignment.strategy` not empty, each assignor once.
    pub fn validate(&self) -> Result<()> {
        self.client.validate()?;
        if let Some(group_id) = &self.group_id {
            if group_id.trim().is_empty() {
                return Err(Error::config(
                    "group.id",
                    "must not be empty: leave it unset for a consumer without a group",
                ));
            }
        }
        if let Some(id) = &self.group_instance_id {
            if self.group_id.is_none() {
                return Err(Error::config(
                    "group.instance.id",
                    "static membership needs a group: set group.id, or unset group.instance.id",
                ));
            }
            check_group_instance_id(id).map_err(|reason| Error::config("group.instance.id", reason))?;
        }
        let int_millis = [
            ("session.timeout.ms", self.session_timeout),
            ("heartbeat.interval.ms", self.heartbeat_interval),
            ("max.poll.interval.ms", self.max_poll_interval),
            ("fetch.max.wait.ms", self.fetch_max_wait),
            ("auto.commit.interval.ms", self.auto_commit_interval),
            ("default.api.timeout.ms", self.default_api_timeout),
        ];
        for (key, d) in int_millis {
            if d > MAX_INT_MILLIS {
                return Err(Error::config(key, format!("{} ms is above the maximum, 2147483647 ms", d.as_millis())));
            }
        }
        for (key, d) in [
            ("session.timeout.ms", self.session_timeout),
            ("heartbeat.interval.ms", self.heartbeat_interval),
            ("max.poll.interval.ms", self.max_poll_interval),
        ] {
            if d.is_zero() {
                return Err(Error::config(key, "must be greater than 0"));
            }
        }
        if self.heartbeat_interval >= self.session_timeout {
            return Err(Error::config(
                "heartbeat.interval.ms",
                format!(
                    "{} ms is not below session.timeout.ms ({} ms): the heartbeat must be set lower than the session \
                     timeout (a third of it is usual)",
                    self.heartbeat_interval.as_millis(),
                    self.session_timeout.as_millis()
                ),
            ));
        }
        if self.max_poll_records == 0 {
            return Err(Error::config("max.poll.records", "must be at least 1"));
        }
        if self.fetch_min_bytes < 0 {
            return Err(Error::config(
                "fetch.min.bytes",
                format!("{} is negative: use 0 or more", self.fetch_min_bytes),
            ));
        }
        for (key, n) in
            [("max.partition.fetch.bytes", self.max_partition_fetch_bytes), ("fetch.max.bytes", self.fetch_max_bytes)]
        {
            if n < 1 {
                return Err(Error::config(key, format!("{n} is not a size: use at least 1")));
            }
        }
        if self.partition_assignment_strategy.is_empty() {
            return Err(Error::config(
                "partition.assignment.strategy",
                "no assignor given: list at least one of range, roundrobin, cooperative-sticky, sticky",
            ));
        }
        for (i, kind) in self.partition_assignment_strategy.iter().enumerate() {
            if self.partition_assignment_strategy[..i].contains(kind) {
                return Err(Error::config(
                    "partition.assignment.strategy",
                    format!("the assignor `{kind}` is listed more than once: list each once"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::{key_of, reason_of};

    #[test]
    fn defaults_are_the_java_clients() {
        let c = ConsumerConfig::default();
        assert_eq!(c.client, ClientConfig::default());
        assert_eq!((c.group_id.as_deref(), c.group_instance_id.as_deref()), (None, None));
        assert!(c.enable_auto_commit);
        assert!(!c.auto_commit_enabled(), "no group, no auto-commit");
        assert_eq!(c.auto_commit_interval, Duration::from_millis(5000));
        assert_eq!(c.auto_offset_reset, OffsetReset::Latest);
        assert_eq!(c.session_timeout, Duration::from_millis(45_000));
        assert_eq!(c.heartbeat_interval, Duration::from_millis(3000));
        assert_eq!(c.max_poll_interval, Duration::from_millis(300_000));
        assert_eq!(c.max_poll_records, 500);
        assert_eq!(c.fetch_min_bytes, 1);
        assert_eq!(c.fetch_max_wait, Duration::from_millis(500));
        assert_eq!((c.max_partition_fetch_bytes, c.fetch_max_bytes), (1_048_576, 52_428_800));
        assert_eq!(c.isolation_level, IsolationLevel::ReadUncommitted);
        assert_eq!(c.partition_assignment_strategy, [AssignorKind::Range, AssignorKind::CooperativeSticky]);
        assert!(c.check_crcs);
        assert_eq!(c.retry_backoff, Duration::from_millis(100));
        assert_eq!(c.default_api_timeout, Duration::from_millis(60_000));
        assert!(c.allow_auto_create_topics && c.exclude_internal_topics);
        assert_eq!(c.client_rack, None);
        c.validate().unwrap();
        assert_eq!(ConsumerConfig::new(["h:1,g:2"]).client.bootstrap_servers, ["h:1", "g:2"]);
    }

    #[test]
    fn every_java_key_parses() {
        let c = ConsumerConfig::from_properties([
            ("bootstrap.servers", "a:1,b:2"),
            ("client.id", "readers"),
            ("request.timeout.ms", "10000"),
            ("group.id", "g"),
            ("group.instance.id", "host-1"),
            ("enable.auto.commit", "FALSE"),
            ("auto.commit.interval.ms", "1000"),
            ("auto.offset.reset", "earliest"),
            ("session.timeout.ms", "10000"),
            ("heartbeat.interval.ms", "2000"),
            ("max.poll.interval.ms", "60000"),
            ("max.poll.records", "10"),
            ("fetch.min.bytes", "0"),
            ("fetch.max.wait.ms", "100"),
            ("max.partition.fetch.bytes", "2048"),
            ("fetch.max.bytes", "4096"),
            ("isolation.level", "read_committed"),
            (
                "partition.assignment.strategy",
                "org.apache.kafka.clients.consumer.CooperativeStickyAssignor, org.apache.kafka.clients.consumer.RangeAssignor",
            ),
            ("check.crcs", "false"),
            ("retry.backoff.ms", "250"),
            ("default.api.timeout.ms", "30000"),
            ("allow.auto.create.topics", "false"),
            ("exclude.internal.topics", "false"),
            ("client.rack", "eu-west-1a"),
        ])
        .unwrap();
        assert_eq!(c.client.bootstrap_servers, ["a:1", "b:2"]);
        assert_eq!(c.client.client_id, "readers");
        assert_eq!(c.client.request_timeout, Duration::from_secs(10));
        assert_eq!(c.group_id.as_deref(), Some("g"));
        assert_eq!(c.group_instance_id.as_deref(), Some("host-1"));
        assert!(!c.enable_auto_commit && !c.auto_commit_enabled());
        assert_eq!(c.auto_commit_interval, Duration::from_secs(1));
        assert_eq!(c.auto_offset_reset, OffsetReset::Earliest);
        assert_eq!((c.session_timeout, c.heartbeat_interval), (Duration::from_secs(10), Duration::from_secs(2)));
        assert_eq!(c.max_poll_interval, Duration::from_secs(60));
        assert_eq!(c.max_poll_records, 10);
        assert_eq!((c.fetch_min_bytes, c.fetch_max_wait), (0, Duration::from_millis(100)));
        assert_eq!((c.max_partition_fetch_bytes, c.fetch_max_bytes), (2048, 4096));
        assert_eq!(c.isolation_level, IsolationLevel::ReadCommitted);
        assert_eq!(c.partition_assignment_strategy, [AssignorKind::CooperativeSticky, AssignorKind::Range]);
        assert!(!c.check_crcs);
        assert_eq!(c.retry_backoff, Duration::from_millis(250));
        assert_eq!(c.default_api_timeout, Duration::from_secs(30));
        assert!(!c.allow_auto_create_topics && !c.exclude_internal_topics);
        assert_eq!(c.client_rack.as_deref(), Some("eu-west-1a"));
    }

    #[test]
    fn librdkafka_names_and_values_parse() {
        let c = ConsumerConfig::from_properties([
            ("fetch.wait.max.ms", "250"),
            ("fetch.message.max.bytes", "65536"),
            ("partition.assignment.strategy", "roundrobin,range"),
        ])
        .unwrap();
        assert_eq!(c.fetch_max_wait, Duration::from_millis(250));
        assert_eq!(c.max_partition_fetch_bytes, 65536);
        assert_eq!(c.partition_assignment_strategy, [AssignorKind::RoundRobin, AssignorKind::Range]);
        for (value, reset) in [
            ("smallest", OffsetReset::Earliest),
            ("beginning", OffsetReset::Earliest),
            ("EARLIEST", OffsetReset::Earliest),
            ("largest", OffsetReset::Latest),
            ("end", OffsetReset::Latest),
            ("latest", OffsetReset::Latest),
            ("error", OffsetReset::None),
            ("none", OffsetReset::None),
        ] {
            let c = ConsumerConfig::from_properties([("auto.offset.reset", value)]).unwrap();
            assert_eq!(c.auto_offset_reset, reset, "{value}");
        }
        let c = ConsumerConfig::from_properties([("partition.assignment.strategy", "cooperative-sticky")]).unwrap();
        assert_eq!(c.partition_assignment_strategy, [AssignorKind::CooperativeSticky]);
    }

    #[test]
    fn kafka_python_names_parse_and_errors_name_them() {
        let c = ConsumerConfig::from_properties([
            ("bootstrap_servers", "broker1:9092"),
            ("client_id", "py"),
            ("group_id", "quotes"),
            ("auto_offset_reset", "earliest"),
            ("enable_auto_commit", "true"),
            ("auto_commit_interval_ms", "1000"),
            ("max_poll_records", "100"),
            ("session_timeout_ms", "30000"),
            ("heartbeat_interval_ms", "1000"),
            ("fetch_max_wait_ms", "200"),
            ("max_partition_fetch_bytes", "4096"),
            ("isolation_level", "read_committed"),
            ("partition_assignment_strategy", "RoundRobinPartitionAssignor"),
            ("request_timeout_ms", "40000"),
        ])
        .unwrap();
        assert_eq!(c.client.bootstrap_servers, ["broker1:9092"]);
        assert_eq!(c.client.client_id, "py");
        assert_eq!(c.group_id.as_deref(), Some("quotes"));
        assert_eq!(c.auto_offset_reset, OffsetReset::Earliest);
        assert!(c.auto_commit_enabled());
        assert_eq!(c.auto_commit_interval, Duration::from_secs(1));
        assert_eq!(c.max_poll_records, 100);
        assert_eq!((c.session_timeout, c.heartbeat_interval), (Duration::from_secs(30), Duration::from_secs(1)));
        assert_eq!(c.fetch_max_wait, Duration::from_millis(200));
        assert_eq!(c.max_partition_fetch_bytes, 4096);
        assert_eq!(c.isolation_level, IsolationLevel::ReadCommitted);
        assert_eq!(c.partition_assignment_strategy, [AssignorKind::RoundRobin]);
        assert_eq!(c.client.request_timeout, Duration::from_secs(40));
        // Errors name the key as given, also for the connection keys.
        assert_eq!(key_of(ConsumerConfig::from_properties([("max_poll_records", "many")])), "max_poll_records");
        assert_eq!(key_of(ConsumerConfig::from_properties([("request_timeout_ms", "soon")])), "request_timeout_ms");
        assert_eq!(key_of(ConsumerConfig::from_properties([("api_version", "2.0")])), "api_version");
        // A key with dots is never rewritten: underscores inside a dotted key are wrong.
        assert_eq!(key_of(ConsumerConfig::from_properties([("group.instance_id", "x")])), "group.instance_id");
    }

    #[test]
    fn every_listed_key_is_accepted_and_unknown_keys_are_named() {
        for key in ConsumerConfig::KEYS.iter().chain(ClientConfig::KEYS) {
            let value = match *key {
                "bootstrap.servers" => "h:1",
                "auto.offset.reset" => "earliest",
                "isolation.level" => "read_committed",
                "partition.assignment.strategy" => "range",
                "enable.auto.commit" | "check.crcs" | "allow.auto.create.topics" | "exclude.internal.topics" => "true",
                _ => "2000",
            };
            ConsumerConfig::default().set(key, value).unwrap_or_else(|e| panic!("{key}: {e}"));
            let python = key.replace('.', "_");
            ConsumerConfig::default().set(&python, value).unwrap_or_else(|e| panic!("{python}: {e}"));
        }
        let err = ConsumerConfig::from_properties([("group.idd", "g")]).unwrap_err();
        assert!(matches!(&err, Error::Config { key, .. } if key == "group.idd"), "{err}");
        assert!(err.to_string().contains("group.id,"), "lists the known keys: {err}");
        // Producer keys are not consumer keys.
        assert_eq!(key_of(ConsumerConfig::from_properties([("acks", "all")])), "acks");
    }

    #[test]
    fn malformed_values_name_the_key() {
        let numeric = [
            "auto.commit.interval.ms",
            "session.timeout.ms",
            "heartbeat.interval.ms",
            "max.poll.interval.ms",
            "max.poll.records",
            "fetch.max.wait.ms",
            "fetch.wait.max.ms",
            "retry.backoff.ms",
            "default.api.timeout.ms",
            "request.timeout.ms",
        ];
        for key in numeric {
            assert_eq!(key_of(ConsumerConfig::from_properties([(key, "5s")])), key);
            assert_eq!(key_of(ConsumerConfig::from_properties([(key, "-1")])), key);
        }
        for key in ["fetch.min.bytes", "max.partition.fetch.bytes", "fetch.message.max.bytes", "fetch.max.bytes"] {
            assert_eq!(key_of(ConsumerConfig::from_properties([(key, "1MB")])), key);
            assert_eq!(key_of(ConsumerConfig::from_properties([(key, "2147483648")])), key);
        }
        for (key, bad) in [
            ("auto.offset.reset", "oldest"),
            ("isolation.level", "serializable"),
            ("enable.auto.commit", "yes"),
            ("check.crcs", "1"),
            ("allow.auto.create.topics", "on"),
            ("exclude.internal.topics", "no"),
            ("partition.assignment.strategy", "range,sticky-ish"),
            ("partition.assignment.strategy", "com.example.MyAssignor"),
            ("group.id", " "),
            ("group.instance.id", ""),
        ] {
            let err = ConsumerConfig::from_properties([(key, bad)]).unwrap_err();
            assert!(matches!(&err, Error::Config { key: k, .. } if k == key), "{key}: {err}");
            assert!(bad.trim().is_empty() || err.to_string().contains(bad.rsplit(',').next().unwrap()), "{key}: {err}");
        }
    }

    #[test]
    fn heartbeat_must_be_below_the_session_timeout() {
        let msg = reason_of(
            ConsumerConfig::default()
                .session_timeout(Duration::from_secs(10))
                .heartbeat_interval(Duration::from_secs(10))
                .validate(),
        );
        assert!(msg.contains("`heartbeat.interval.ms`") && msg.contains("session.timeout.ms (10000 ms)"), "{msg}");
        ConsumerConfig::default()
            .session_timeout(Duration::from_secs(10))
            .heartbeat_interval(Duration::from_millis(9999))
            .validate()
            .unwrap();
        assert_eq!(
            key_of(ConsumerConfig::from_properties([
                ("session.timeout.ms", "6000"),
                ("heartbeat.interval.ms", "6001")
            ])),
            "heartbeat.interval.ms"
        );
        for key in ["session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms"] {
            assert_eq!(key_of(ConsumerConfig::from_properties([(key, "0")])), key);
        }
    }

    #[test]
    fn static_membership_needs_a_group_and_a_valid_name() {
        let msg = reason_of(ConsumerConfig::default().group_instance_id("host-1").validate());
        assert!(msg.contains("`group.instance.id`") && msg.contains("set group.id"), "{msg}");
        ConsumerConfig::default().group_id("g").group_instance_id("host-1.a_b").validate().unwrap();
        ConsumerConfig::default().group_id("g").group_instance_id("x".repeat(249)).validate().unwrap();
        for bad in [".", "..", "host 1", "hôte", "a/b"] {
            let msg = reason_of(ConsumerConfig::default().group_id("g").group_instance_id(bad).validate());
            assert!(msg.contains("group.instance.id") && msg.contains(bad), "{bad}: {msg}");
        }
        let msg = reason_of(ConsumerConfig::default().group_id("g").group_instance_id("x".repeat(250)).validate());
        assert!(msg.contains("249"), "{msg}");
        let msg = reason_of(ConsumerConfig::default().group_id("").validate());
        assert!(msg.contains("`group.id`"), "{msg}");
    }

    #[test]
    fn sizes_and_counts_follow_javas_bounds() {
        assert_eq!(key_of(ConsumerConfig::from_properties([("max.poll.records", "0")])), "max.poll.records");
        assert_eq!(key_of(ConsumerConfig::from_properties([("fetch.min.bytes", "-1")])), "fetch.min.bytes");
        ConsumerConfig::from_properties([("fetch.min.bytes", "0")]).unwrap();
        for key in ["max.partition.fetch.bytes", "fetch.max.bytes", "fetch.message.max.bytes"] {
            let expected = if key == "fetch.message.max.bytes" { "max.partition.fetch.bytes" } else { key };
            assert_eq!(key_of(ConsumerConfig::from_properties([(key, "0")])), expected);
            assert_eq!(key_of(ConsumerConfig::from_properties([(key, "-5")])), expected);
        }
        // 32-bit millisecond settings.
        for key in [
            "session.timeout.ms",
            "max.poll.interval.ms",
            "fetch.max.wait.ms",
            "auto.commit.interval.ms",
            "default.api.timeout.ms",
        ] {
            let msg = reason_of(ConsumerConfig::from_properties([(key, "2147483648")]).map(|_| ()));
            assert!(msg.contains(key) && msg.contains("2147483647"), "{msg}");
            ConsumerConfig::from_properties([(key, "2147483647")]).unwrap();
        }
    }

    #[test]
    fn assignment_strategies_must_be_listed_once() {
        let msg = reason_of(
            ConsumerConfig::from_properties([("partition.assignment.strategy", "range, RangeAssignor")]).map(|_| ()),
        );
        assert!(msg.contains("`partition.assignment.strategy`") && msg.contains("`range`"), "{msg}");
        assert_eq!(
            key_of(ConsumerConfig::from_properties([("partition.assignment.strategy", " , ")])),
            "partition.assignment.strategy"
        );
        let msg = reason_of(ConsumerConfig::default().partition_assignment_strategy([]).validate());
        assert!(msg.contains("no assignor"), "{msg}");
    }

    #[test]
    fn rebalance_protocol_is_cooperative_only_if_every_assignor_supports_it() {
        let protocol = |kinds: &[AssignorKind]| {
            ConsumerConfig::default().partition_assignment_strategy(kinds.iter().cloned()).rebalance_protocol()
        };
        assert_eq!(protocol(&[AssignorKind::CooperativeSticky]), RebalanceProtocol::Cooperative);
        assert_eq!(protocol(&[AssignorKind::Range, AssignorKind::CooperativeSticky]), RebalanceProtocol::Eager);
        assert_eq!(protocol(&[AssignorKind::CooperativeSticky, AssignorKind::Sticky]), RebalanceProtocol::Eager);
        assert_eq!(protocol(&[AssignorKind::RoundRobin]), RebalanceProtocol::Eager);
        assert_eq!(ConsumerConfig::default().rebalance_protocol(), RebalanceProtocol::Eager);

        let c = ConsumerConfig::default().partition_assignment_strategy([
            AssignorKind::CooperativeSticky,
            AssignorKind::Range,
            AssignorKind::Sticky,
        ]);
        let names: Vec<String> = c.assignors().iter().map(|a| a.name().to_string()).collect();
        assert_eq!(names, ["cooperative-sticky", "range", "sticky"]);
    }

    #[test]
    fn auto_commit_needs_a_group() {
        assert!(!ConsumerConfig::default().enable_auto_commit(true).auto_commit_enabled());
        assert!(ConsumerConfig::default().group_id("g").auto_commit_enabled());
        assert!(!ConsumerConfig::default().group_id("g").enable_auto_commit(false).auto_commit_enabled());
    }

    #[test]
    fn client_rules_apply_and_builders_set_fields() {
        assert_eq!(key_of(ConsumerConfig::from_properties([("bootstrap.servers", "nohost")])), "bootstrap.servers");
        let c = ConsumerConfig::new(["a:1,b:2"])
            .client_id("me")
            .group_id("g")
            .group_instance_id("i-1")
            .enable_auto_commit(false)
            .auto_commit_interval(Duration::from_millis(1))
            .auto_offset_reset(OffsetReset::None)
            .session_timeout(Duration::from_millis(20))
            .heartbeat_interval(Duration::from_millis(3))
            .max_poll_interval(Duration::from_millis(4))
            .max_poll_records(5)
            .fetch_min_bytes(6)
            .fetch_max_wait(Duration::from_millis(7))
            .max_partition_fetch_bytes(8)
            .fetch_max_bytes(9)
            .isolation_level(IsolationLevel::ReadCommitted)
            .partition_assignment_strategy([AssignorKind::Sticky])
            .check_crcs(false)
            .retry_backoff(Duration::from_millis(10))
            .default_api_timeout(Duration::from_millis(11))
            .allow_auto_create_topics(false)
            .exclude_internal_topics(false)
            .client_rack("r");
        c.validate().unwrap();
        let mut expected = ConsumerConfig::default();
        for (k, v) in [
            ("bootstrap.servers", "a:1,b:2"),
            ("client.id", "me"),
            ("group.id", "g"),
            ("group.instance.id", "i-1"),
            ("enable.auto.commit", "false"),
            ("auto.commit.interval.ms", "1"),
            ("auto.offset.reset", "none"),
            ("session.timeout.ms", "20"),
            ("heartbeat.interval.ms", "3"),
            ("max.poll.interval.ms", "4"),
            ("max.poll.records", "5"),
            ("fetch.min.bytes", "6"),
            ("fetch.max.wait.ms", "7"),
            ("max.partition.fetch.bytes", "8"),
            ("fetch.max.bytes", "9"),
            ("isolation.level", "read_committed"),
            ("partition.assignment.strategy", "sticky"),
            ("check.crcs", "false"),
            ("retry.backoff.ms", "10"),
            ("default.api.timeout.ms", "11"),
            ("allow.auto.create.topics", "false"),
            ("exclude.internal.topics", "false"),
            ("client.rack", "r"),
        ] {
            expected.set(k, v).unwrap();
        }
        assert_eq!(c, expected);
        // An empty client.rack is no rack, as Java's default "".
        expected.set("client.rack", "").unwrap();
        assert_eq!(expected.client_rack, None);
    }
}
