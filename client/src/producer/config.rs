//! The producer's settings, with the Java/librdkafka property names and the Java client's
//! defaults and validation rules.

use std::time::Duration;

use kafkit_protocol::record::Compression;

use super::partitioner::PartitionerKind;
use crate::config::{property_name, unknown_property, ClientConfig};
use crate::error::{Error, Result};

/// How many replicas must have a record before the broker acknowledges it (`acks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Acks {
    /// `acks=0`: no acknowledgement; the record is considered sent once written to the socket.
    None,
    /// `acks=1`: the leader wrote it to its log.
    Leader,
    /// `acks=all` (or `-1`): every in-sync replica has it. The default, and required by
    /// idempotence.
    #[default]
    All,
}

impl Acks {
    /// The value sent in Produce requests: 0, 1 or -1.
    pub fn as_i16(self) -> i16 {
        match self {
            Acks::None => 0,
            Acks::Leader => 1,
            Acks::All => -1,
        }
    }
}

/// The settings of a producer: the connection settings plus batching, delivery and
/// idempotence.
///
/// Defaults are the Java client's (4.0). Build it with [`ProducerConfig::new`] and the builder
/// methods, or from property pairs with the Java/librdkafka names
/// ([`ProducerConfig::from_properties`]).
///
/// Two settings keep Java's distinction between "left at the default" and "set":
/// [`enable_idempotence`](Self::enable_idempotence) and
/// [`delivery_timeout`](Self::delivery_timeout) are `None` until set, and their effective
/// values come from [`idempotence_enabled`](Self::idempotence_enabled) and
/// [`effective_delivery_timeout`](Self::effective_delivery_timeout).
///
/// ```
/// use kafkit_client::producer::{Acks, ProducerConfig};
/// use kafkit_client::protocol::record::Compression;
/// use std::time::Duration;
///
/// // The reference usage's settings.
/// let config = ProducerConfig::from_properties([
///     ("bootstrap.servers", "broker1:9092"),
///     ("acks", "1"),
///     ("compression.type", "gzip"),
///     ("retries", "3"),
///     ("batch.size", "1048576"),
///     ("linger.ms", "100"),
/// ])?;
/// assert_eq!(config.acks, Acks::Leader);
/// assert_eq!(config.compression, Compression::Gzip);
/// assert!(!config.idempotence_enabled()); // acks=1 turns the default idempotence off, as in Java
///
/// let config = ProducerConfig::new(["broker1:9092"]).linger(Duration::from_millis(100)).batch_size(1 << 20);
/// config.validate()?;
/// # Ok::<(), kafkit_client::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerConfig {
    /// The connection settings (`bootstrap.servers`, `client.id`, `request.timeout.ms`, ...).
    pub client: ClientConfig,
    /// `acks` (librdkafka `request.required.acks`): `0`, `1`, `all`/`-1`. Default `all`.
    pub acks: Acks,
    /// `buffer.memory`: bytes of records waiting to be sent before `send` blocks (up to
    /// [`max_block`](Self::max_block)). Default 32 MiB.
    pub buffer_memory: usize,
    /// `compression.type` (librdkafka `compression.codec`): `none`, `gzip`, `snappy`, `lz4`,
    /// `zstd`. Default `none`.
    pub compression: Compression,
    /// `compression.level` (librdkafka's name; the Java client has one key per codec): `None`
    /// or -1 for the codec's default. Checked against Java's ranges — gzip 1–9, lz4 1–17, zstd
    /// -131072–22 — and ignored for `none` and `snappy`. kafkit's encoder applies it to gzip
    /// only (its lz4 and zstd encoders have one level). Default `None`.
    pub compression_level: Option<i32>,
    /// `retries` (librdkafka `message.send.max.retries`): how many times a failed batch is
    /// resent, within [`delivery_timeout`](Self::delivery_timeout). Default `i32::MAX` as in
    /// Java (kafka-python's default is 0): the delivery timeout is what bounds retrying.
    pub retries: u32,
    /// `retry.backoff.ms`: the wait before the first resend; doubles with each further
    /// attempt. Default 100 ms.
    pub retry_backoff: Duration,
    /// `retry.backoff.max.ms`: the cap of that wait (when below `retry.backoff.ms`, Java only
    /// warns and the cap wins). Default 1 s.
    pub retry_backoff_max: Duration,
    /// `max.in.flight.requests.per.connection` (librdkafka `max.in.flight`): unanswered
    /// Produce requests per broker. At most 5 with idempotence. Default 5.
    pub max_in_flight_requests_per_connection: usize,
    /// `batch.size`: the target size in bytes of one partition's batch; a batch is sent when
    /// full or after [`linger`](Self::linger). A larger record gets a batch of its own.
    /// Default 16 KiB.
    pub batch_size: usize,
    /// `linger.ms` (librdkafka `queue.buffering.max.ms`): how long a batch waits for more
    /// records before it is sent. Default 5 ms (Java 4.0, KIP-1030; 0 before).
    pub linger: Duration,
    /// `max.request.size` (librdkafka `message.max.bytes`): the largest Produce request, which
    /// also bounds one record. Default 1 MiB.
    pub max_request_size: usize,
    /// `delivery.timeout.ms` (librdkafka `message.timeout.ms`): the time from `send` to
    /// success or failure, retries included. `None` (unset) means Java's default, 120 s,
    /// raised to `linger.ms + request.timeout.ms` if that is longer; a set value below that sum
    /// is an error. See [`effective_delivery_timeout`](Self::effective_delivery_timeout).
    pub delivery_timeout: Option<Duration>,
    /// `max.block.ms`: how long `send` may wait for metadata or buffer space. Default 60 s.
    pub max_block: Duration,
    /// `enable.idempotence`: the broker drops duplicates caused by retries, and order is
    /// kept with up to 5 requests in flight. `None` (unset) means Java's default: enabled,
    /// unless `acks`, `retries` or `max.in.flight.requests.per.connection` conflict, in which
    /// case it is quietly disabled. `Some(true)` with a conflict is an error. See
    /// [`idempotence_enabled`](Self::idempotence_enabled).
    pub enable_idempotence: Option<bool>,
    /// `transactional.id`: enables transactions under this id; requires idempotence.
    /// Default `None`.
    pub transactional_id: Option<String>,
    /// `partitioner.class` (librdkafka `partitioner`): the built-in partitioner for records
    /// that name no partition. Default [`PartitionerKind::Default`].
    pub partitioner: PartitionerKind,
}

/// The Java client's limit of in-flight requests for an idempotent producer.
const MAX_IN_FLIGHT_FOR_IDEMPOTENCE: usize = 5;

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            client: ClientConfig::default(),
            acks: Acks::All,
            buffer_memory: 32 * 1024 * 1024,
            compression: Compression::None,
            compression_level: None,
            retries: i32::MAX as u32,
            retry_backoff: Duration::from_millis(100),
            retry_backoff_max: Duration::from_secs(1),
            max_in_flight_requests_per_connection: 5,
            batch_size: 16 * 1024,
            linger: Duration::from_millis(5),
            max_request_size: 1024 * 1024,
            delivery_timeout: None,
            max_block: Duration::from_secs(60),
            enable_idempotence: None,
            transactional_id: None,
            partitioner: PartitionerKind::Default,
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

impl ProducerConfig {
    /// The property names [`ProducerConfig::set`] accepts besides [`ClientConfig::KEYS`]
    /// (Java names first, then librdkafka's).
    pub const KEYS: &'static [&'static str] = &[
        "acks",
        "buffer.memory",
        "compression.type",
        "compression.level",
        "retries",
        "retry.backoff.ms",
        "retry.backoff.max.ms",
        "max.in.flight.requests.per.connection",
        "batch.size",
        "linger.ms",
        "max.request.size",
        "delivery.timeout.ms",
        "max.block.ms",
        "enable.idempotence",
        "transactional.id",
        "partitioner.class",
        "request.required.acks",
        "compression.codec",
        "message.send.max.retries",
        "max.in.flight",
        "queue.buffering.max.ms",
        "message.max.bytes",
        "message.timeout.ms",
        "partitioner",
    ];

    /// A configuration with the defaults and these bootstrap servers (each item may be a
    /// comma-separated list), as [`ClientConfig::new`].
    pub fn new<S: AsRef<str>>(bootstrap_servers: impl IntoIterator<Item = S>) -> Self {
        ProducerConfig { client: ClientConfig::new(bootstrap_servers), ..Default::default() }
    }

    /// Sets `client.id`.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client.client_id = client_id.into();
        self
    }

    /// Sets `acks`.
    pub fn acks(mut self, acks: Acks) -> Self {
        self.acks = acks;
        self
    }

    /// Sets `buffer.memory`.
    pub fn buffer_memory(mut self, bytes: usize) -> Self {
        self.buffer_memory = bytes;
        self
    }

    /// Sets `compression.type`.
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Sets `compression.level`.
    pub fn compression_level(mut self, level: i32) -> Self {
        self.compression_level = Some(level);
        self
    }

    /// Sets `retries`.
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// Sets `retry.backoff.ms`.
    pub fn retry_backoff(mut self, backoff: Duration) -> Self {
        self.retry_backoff = backoff;
        self
    }

    /// Sets `retry.backoff.max.ms`.
    pub fn retry_backoff_max(mut self, backoff: Duration) -> Self {
        self.retry_backoff_max = backoff;
        self
    }

    /// Sets `max.in.flight.requests.per.connection`.
    pub fn max_in_flight_requests_per_connection(mut self, n: usize) -> Self {
        self.max_in_flight_requests_per_connection = n;
        self
    }

    /// Sets `batch.size`.
    pub fn batch_size(mut self, bytes: usize) -> Self {
        self.batch_size = bytes;
        self
    }

    /// Sets `linger.ms`.
    pub fn linger(mut self, linger: Duration) -> Self {
        self.linger = linger;
        self
    }

    /// Sets `max.request.size`.
    pub fn max_request_size(mut self, bytes: usize) -> Self {
        self.max_request_size = bytes;
        self
    }

    /// Sets `delivery.timeout.ms` (explicitly: a value below `linger.ms + request.timeout.ms`
    /// is then an error).
    pub fn delivery_timeout(mut self, timeout: Duration) -> Self {
        self.delivery_timeout = Some(timeout);
        self
    }

    /// Sets `max.block.ms`.
    pub fn max_block(mut self, timeout: Duration) -> Self {
        self.max_block = timeout;
        self
    }

    /// Sets `enable.idempotence` (explicitly: with `true`, a conflicting setting is then an
    /// error rather than quietly disabling idempotence).
    pub fn enable_idempotence(mut self, enable: bool) -> Self {
        self.enable_idempotence = Some(enable);
        self
    }

    /// Sets `transactional.id`.
    pub fn transactional_id(mut self, id: impl Into<String>) -> Self {
        self.transactional_id = Some(id.into());
        self
    }

    /// Sets `partitioner.class`.
    pub fn partitioner(mut self, partitioner: PartitionerKind) -> Self {
        self.partitioner = partitioner;
        self
    }

    /// Sets one property by its Java or librdkafka name (or kafka-python's, `linger_ms`), including every
    /// [`ClientConfig::KEYS`] name. An unknown key or a malformed value is an
    /// [`Error::Config`] naming the key. Values are not cross-checked here; see
    /// [`ProducerConfig::validate`].
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let name = property_name(key);
        match &*name {
            "acks" | "request.required.acks" => {
                self.acks = match value.trim().to_ascii_lowercase().as_str() {
                    "0" => Acks::None,
                    "1" => Acks::Leader,
                    "all" | "-1" => Acks::All,
                    _ => return Err(Error::config(key, format!("expected 0, 1, all or -1, got `{value}`"))),
                }
            }
            "buffer.memory" => self.buffer_memory = number(key, value, "a number of bytes")?,
            "compression.type" | "compression.codec" => {
                self.compression = value.trim().parse().map_err(|e| Error::config(key, format!("{e}")))?
            }
            "compression.level" => {
                let level: i32 = number(key, value, "a whole number (-1 for the codec's default)")?;
                self.compression_level = (level != -1).then_some(level);
            }
            "retries" | "message.send.max.retries" => {
                let retries: u32 = number(key, value, "a whole number from 0 to 2147483647")?;
                if retries > i32::MAX as u32 {
                    return Err(Error::config(key, format!("{retries} is above the maximum, 2147483647")));
                }
                self.retries = retries;
            }
            "retry.backoff.ms" => self.retry_backoff = millis(key, value)?,
            "retry.backoff.max.ms" => self.retry_backoff_max = millis(key, value)?,
            "max.in.flight.requests.per.connection" | "max.in.flight" => {
                self.max_in_flight_requests_per_connection = number(key, value, "a number of requests")?
            }
            "batch.size" => self.batch_size = number(key, value, "a number of bytes")?,
            "linger.ms" | "queue.buffering.max.ms" => self.linger = millis(key, value)?,
            "max.request.size" | "message.max.bytes" => {
                self.max_request_size = number(key, value, "a number of bytes")?
            }
            "delivery.timeout.ms" | "message.timeout.ms" => self.delivery_timeout = Some(millis(key, value)?),
            "max.block.ms" => self.max_block = millis(key, value)?,
            "enable.idempotence" => self.enable_idempotence = Some(boolean(key, value)?),
            "transactional.id" => {
                if value.trim().is_empty() {
                    return Err(Error::config(key, "must not be empty: leave it unset for no transactions"));
                }
                self.transactional_id = Some(value.to_string());
            }
            "partitioner.class" | "partitioner" => {
                self.partitioner = value.parse().map_err(|e| Error::config(key, format!("{e}")))?
            }
            name if ClientConfig::KEYS.contains(&name) => self.client.set(key, value)?,
            _ => return Err(unknown_property(key, "producer", Self::KEYS)),
        }
        Ok(())
    }

    /// A configuration from `(key, value)` property pairs over the defaults, validated.
    pub fn from_properties<'a>(props: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self> {
        let mut config = ProducerConfig::default();
        for (k, v) in props {
            config.set(k, v)?;
        }
        config.validate()?;
        Ok(config)
    }

    /// Whether the producer will be idempotent, by Java's rule
    /// (`ProducerConfig.postProcessAndValidateIdempotenceConfigs`): `enable.idempotence` if
    /// set; if unset, enabled unless `acks` is not `all`, `retries` is 0 or
    /// `max.in.flight.requests.per.connection` is above 5 (Java 3.x logs why and disables
    /// it; kafkit does the same, silently). A `transactional.id` does not change this; it
    /// requires it ([`validate`](Self::validate)).
    pub fn idempotence_enabled(&self) -> bool {
        match self.enable_idempotence {
            Some(enabled) => enabled,
            None => self.idempotence_conflict().is_none(),
        }
    }

    /// The first setting that idempotence cannot work with: `(key, what to change)`.
    fn idempotence_conflict(&self) -> Option<(&'static str, String)> {
        if self.retries == 0 {
            return Some(("retries", "set retries to more than 0".to_string()));
        }
        if self.acks != Acks::All {
            return Some(("acks", format!("set acks to all (it is {})", self.acks.as_i16())));
        }
        if self.max_in_flight_requests_per_connection > MAX_IN_FLIGHT_FOR_IDEMPOTENCE {
            return Some((
                "max.in.flight.requests.per.connection",
                format!(
                    "set max.in.flight.requests.per.connection to at most {MAX_IN_FLIGHT_FOR_IDEMPOTENCE} (it is {})",
                    self.max_in_flight_requests_per_connection
                ),
            ));
        }
        None
    }

    /// The delivery timeout the producer will apply, by Java's rule
    /// (`KafkaProducer.configureDeliveryTimeout`): the set value; if unset, 120 s or
    /// `linger.ms + request.timeout.ms` if that is longer.
    pub fn effective_delivery_timeout(&self) -> Duration {
        self.delivery_timeout.unwrap_or_else(|| Duration::from_secs(120).max(self.linger + self.client.request_timeout))
    }

    /// Checks every value, with the Java client's rules and messages that name the keys
    /// involved and say what to change:
    ///
    /// - the [`ClientConfig`] rules;
    /// - `buffer.memory`, `batch.size`, `max.request.size` and
    ///   `max.in.flight.requests.per.connection` positive (Java accepts `batch.size=0`, which
    ///   means one record per batch: use 1), `max.request.size` and `batch.size` not above
    ///   `buffer.memory` (such a batch or record could never be buffered);
    /// - `compression.level` within the codec's range;
    /// - a set `delivery.timeout.ms` at least `linger.ms + request.timeout.ms`;
    /// - `enable.idempotence=true` with `acks=all`, `retries > 0` and
    ///   `max.in.flight.requests.per.connection <= 5` (unset, a conflict disables idempotence
    ///   instead: see [`idempotence_enabled`](Self::idempotence_enabled));
    /// - `transactional.id` only with idempotence enabled.
    pub fn validate(&self) -> Result<()> {
        self.client.validate()?;
        let positive = [
            ("buffer.memory", self.buffer_memory),
            ("batch.size", self.batch_size),
            ("max.request.size", self.max_request_size),
            ("max.in.flight.requests.per.connection", self.max_in_flight_requests_per_connection),
        ];
        for (key, n) in positive {
            if n == 0 {
                return Err(Error::config(key, "must be at least 1"));
            }
        }
        for (key, n) in [("max.request.size", self.max_request_size), ("batch.size", self.batch_size)] {
            if n > self.buffer_memory {
                return Err(Error::config(
                    key,
                    format!(
                        "{n} is larger than buffer.memory ({}): lower {key} or raise buffer.memory",
                        self.buffer_memory
                    ),
                ));
            }
        }
        if let Some(level) = self.compression_level {
            let range = match self.compression {
                Compression::Gzip => Some(1..=9),
                Compression::Lz4 => Some(1..=17),
                Compression::Zstd => Some(-131072..=22),
                Compression::None | Compression::Snappy => None,
            };
            if let Some(range) = range.filter(|r| !r.contains(&level)) {
                return Err(Error::config(
                    "compression.level",
                    format!(
                        "{level} is out of range for compression.type={}: use {} to {}, or -1 for the default",
                        self.compression,
                        range.start(),
                        range.end()
                    ),
                ));
            }
        }
        if let Some(delivery) = self.delivery_timeout {
            let minimum = self.linger + self.client.request_timeout;
            if delivery < minimum {
                return Err(Error::config(
                    "delivery.timeout.ms",
                    format!(
                        "{} ms is less than linger.ms + request.timeout.ms ({} ms): raise delivery.timeout.ms \
                         or lower linger.ms or request.timeout.ms",
                        delivery.as_millis(),
                        minimum.as_millis()
                    ),
                ));
            }
        }
        if self.enable_idempotence == Some(true) {
            if let Some((key, change)) = self.idempotence_conflict() {
                return Err(Error::config(
                    key,
                    format!("conflicts with enable.idempotence=true: {change}, or set enable.idempotence=false"),
                ));
            }
        }
        if self.transactional_id.is_some() && !self.idempotence_enabled() {
            // Not enabled: either set to false, or unset with a conflict.
            let why = match self.idempotence_conflict() {
                Some((key, change)) if self.enable_idempotence.is_none() => {
                    format!("{key} disables idempotence: {change}")
                }
                _ => "enable.idempotence is false".to_string(),
            };
            return Err(Error::config(
                "transactional.id",
                format!("a transactional producer must be idempotent, but {why}; or unset transactional.id"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::{key_of, reason_of};

    #[test]
    fn kafka_python_names_parse_and_errors_name_them() {
        let c = ProducerConfig::from_properties([
            ("bootstrap_servers", "broker1:9092"),
            ("client_id", "py"),
            ("acks", "1"),
            ("retries", "3"),
            ("batch_size", "1048576"),
            ("linger_ms", "100"),
            ("compression_type", "gzip"),
            ("buffer_memory", "10000000"),
            ("max_block_ms", "2000"),
            ("max_request_size", "2000000"),
            ("request_timeout_ms", "40000"),
        ])
        .unwrap();
        assert_eq!(c.client.bootstrap_servers, ["broker1:9092"]);
        assert_eq!(c.client.client_id, "py");
        assert_eq!((c.acks, c.retries, c.batch_size), (Acks::Leader, 3, 1 << 20));
        assert_eq!(c.linger, Duration::from_millis(100));
        assert_eq!(c.compression, Compression::Gzip);
        assert_eq!((c.buffer_memory, c.max_request_size), (10_000_000, 2_000_000));
        assert_eq!(c.max_block, Duration::from_secs(2));
        assert_eq!(c.client.request_timeout, Duration::from_secs(40));
        // An error names the key as it was spelled.
        assert_eq!(key_of(ProducerConfig::from_properties([("linger_ms", "soon")])), "linger_ms");
        assert_eq!(key_of(ProducerConfig::from_properties([("request_timeout_ms", "soon")])), "request_timeout_ms");
        assert_eq!(key_of(ProducerConfig::from_properties([("lingr_ms", "5")])), "lingr_ms");
    }

    #[test]
    fn defaults_are_the_java_clients() {
        let c = ProducerConfig::default();
        assert_eq!(c.acks, Acks::All);
        assert_eq!(c.buffer_memory, 33_554_432);
        assert_eq!((c.compression, c.compression_level), (Compression::None, None));
        assert_eq!(c.retries, 2_147_483_647);
        assert_eq!((c.retry_backoff, c.retry_backoff_max), (Duration::from_millis(100), Duration::from_secs(1)));
        assert_eq!(c.max_in_flight_requests_per_connection, 5);
        assert_eq!((c.batch_size, c.max_request_size), (16_384, 1_048_576));
        assert_eq!(c.linger, Duration::from_millis(5));
        assert_eq!(c.delivery_timeout, None);
        assert_eq!(c.effective_delivery_timeout(), Duration::from_secs(120));
        assert_eq!(c.max_block, Duration::from_secs(60));
        assert_eq!((c.enable_idempotence, c.idempotence_enabled()), (None, true));
        assert_eq!((c.transactional_id.as_deref(), c.partitioner), (None, PartitionerKind::Default));
        assert_eq!(c.client, ClientConfig::default());
        c.validate().unwrap();
        assert_eq!([Acks::None.as_i16(), Acks::Leader.as_i16(), Acks::All.as_i16()], [0, 1, -1]);
    }

    #[test]
    fn every_java_key_parses() {
        let c = ProducerConfig::from_properties([
            ("bootstrap.servers", "a:1,b:2"),
            ("client.id", "quotes"),
            ("request.timeout.ms", "10000"),
            ("acks", "ALL"),
            ("buffer.memory", "67108864"),
            ("compression.type", "zstd"),
            ("compression.level", "3"),
            ("retries", "3"),
            ("retry.backoff.ms", "200"),
            ("retry.backoff.max.ms", "2000"),
            ("max.in.flight.requests.per.connection", "1"),
            ("batch.size", "1048576"),
            ("linger.ms", "100"),
            ("max.request.size", "2097152"),
            ("delivery.timeout.ms", "60000"),
            ("max.block.ms", "1000"),
            ("enable.idempotence", "True"),
            ("transactional.id", "loader-1"),
            ("partitioner.class", "org.apache.kafka.clients.producer.RoundRobinPartitioner"),
        ])
        .unwrap();
        assert_eq!(c.client.bootstrap_servers, ["a:1", "b:2"]);
        assert_eq!(c.client.client_id, "quotes");
        assert_eq!(c.client.request_timeout, Duration::from_secs(10));
        assert_eq!(c.acks, Acks::All);
        assert_eq!(c.buffer_memory, 64 << 20);
        assert_eq!((c.compression, c.compression_level), (Compression::Zstd, Some(3)));
        assert_eq!(c.retries, 3);
        assert_eq!((c.retry_backoff, c.retry_backoff_max), (Duration::from_millis(200), Duration::from_secs(2)));
        assert_eq!(c.max_in_flight_requests_per_connection, 1);
        assert_eq!((c.batch_size, c.max_request_size), (1 << 20, 2 << 20));
        assert_eq!(c.linger, Duration::from_millis(100));
        assert_eq!(c.delivery_timeout, Some(Duration::from_secs(60)));
        assert_eq!(c.effective_delivery_timeout(), Duration::from_secs(60));
        assert_eq!(c.max_block, Duration::from_secs(1));
        assert_eq!(c.enable_idempotence, Some(true));
        assert_eq!(c.transactional_id.as_deref(), Some("loader-1"));
        assert_eq!(c.partitioner, PartitionerKind::RoundRobin);
    }

    #[test]
    fn every_librdkafka_alias_parses() {
        let c = ProducerConfig::from_properties([
            ("request.required.acks", "1"),
            ("compression.codec", "lz4"),
            ("message.send.max.retries", "7"),
            ("max.in.flight", "10"),
            ("queue.buffering.max.ms", "50"),
            ("message.max.bytes", "500000"),
            ("message.timeout.ms", "300000"),
            ("partitioner", "murmur2_random"),
        ])
        .unwrap();
        assert_eq!(c.acks, Acks::Leader);
        assert_eq!(c.compression, Compression::Lz4);
        assert_eq!(c.retries, 7);
        assert_eq!(c.max_in_flight_requests_per_connection, 10);
        assert_eq!(c.linger, Duration::from_millis(50));
        assert_eq!(c.max_request_size, 500_000);
        assert_eq!(c.delivery_timeout, Some(Duration::from_secs(300)));
        assert_eq!(c.partitioner, PartitionerKind::Default);
        assert!(!c.idempotence_enabled());
    }

    #[test]
    fn every_listed_key_is_accepted_and_unknown_keys_are_named() {
        for key in ProducerConfig::KEYS.iter().chain(ClientConfig::KEYS) {
            let value = match *key {
                "bootstrap.servers" => "h:1",
                "acks" | "request.required.acks" => "all",
                "compression.type" | "compression.codec" => "gzip",
                "enable.idempotence" => "false",
                "partitioner.class" | "partitioner" => "DefaultPartitioner",
                _ => "2000",
            };
            ProducerConfig::default().set(key, value).unwrap_or_else(|e| panic!("{key}: {e}"));
        }
        let err = ProducerConfig::from_properties([("linger.mss", "5")]).unwrap_err();
        assert!(matches!(&err, Error::Config { key, .. } if key == "linger.mss"), "{err}");
        assert!(err.to_string().contains("linger.ms,"), "lists the known keys: {err}");
    }

    #[test]
    fn malformed_values_name_the_key() {
        let numeric = [
            "buffer.memory",
            "compression.level",
            "retries",
            "message.send.max.retries",
            "retry.backoff.ms",
            "retry.backoff.max.ms",
            "max.in.flight.requests.per.connection",
            "max.in.flight",
            "batch.size",
            "linger.ms",
            "queue.buffering.max.ms",
            "max.request.size",
            "message.max.bytes",
            "delivery.timeout.ms",
            "message.timeout.ms",
            "max.block.ms",
            "request.timeout.ms",
        ];
        for key in numeric {
            assert_eq!(key_of(ProducerConfig::from_properties([(key, "5s")])), key);
        }
        for key in numeric.iter().filter(|k| **k != "compression.level") {
            assert_eq!(key_of(ProducerConfig::from_properties([(*key, "-1")])), *key);
        }
        assert_eq!(key_of(ProducerConfig::from_properties([("retries", "2147483648")])), "retries");
        for (key, bad) in [
            ("acks", "2"),
            ("request.required.acks", "leader"),
            ("compression.type", "brotli"),
            ("compression.codec", "inherit"),
            ("enable.idempotence", "yes"),
            ("transactional.id", " "),
            ("partitioner.class", "com.example.Custom"),
            ("partitioner", "consistent_random"),
        ] {
            let err = ProducerConfig::from_properties([(key, bad)]).unwrap_err();
            assert!(matches!(&err, Error::Config { key: k, .. } if k == key), "{key}: {err}");
            assert!(err.to_string().contains(bad.trim()), "{key}: {err}");
        }
    }

    #[test]
    fn compression_level_minus_one_is_the_default_and_ranges_are_javas() {
        let c = ProducerConfig::from_properties([("compression.type", "gzip"), ("compression.level", "-1")]).unwrap();
        assert_eq!(c.compression_level, None);
        for (codec, ok, bad) in [
            (Compression::Gzip, [1, 9], [0, 10]),
            (Compression::Lz4, [1, 17], [0, 18]),
            (Compression::Zstd, [-131072, 22], [-131073, 23]),
        ] {
            for level in ok {
                ProducerConfig::default().compression(codec).compression_level(level).validate().unwrap();
            }
            for level in bad {
                let msg = reason_of(ProducerConfig::default().compression(codec).compression_level(level).validate());
                assert!(msg.contains("compression.level") && msg.contains(codec.name()), "{msg}");
            }
        }
        // No level for these: ignored, as librdkafka does.
        ProducerConfig::default().compression(Compression::Snappy).compression_level(100).validate().unwrap();
        ProducerConfig::default().compression_level(100).validate().unwrap();
    }

    #[test]
    fn sizes_must_be_positive_and_fit_the_buffer() {
        for key in ["buffer.memory", "batch.size", "max.request.size", "max.in.flight.requests.per.connection"] {
            assert_eq!(key_of(ProducerConfig::from_properties([(key, "0")])), key);
        }
        let err = reason_of(ProducerConfig::default().buffer_memory(1 << 20).max_request_size(2 << 20).validate());
        assert!(err.contains("`max.request.size`") && err.contains("buffer.memory"), "{err}");
        let err = reason_of(
            ProducerConfig::default().buffer_memory(1 << 20).max_request_size(1 << 20).batch_size(2 << 20).validate(),
        );
        assert!(err.contains("`batch.size`") && err.contains("buffer.memory"), "{err}");
        // One byte over is an error; equal is fine.
        let over = ProducerConfig::default().buffer_memory(1 << 20).max_request_size((1 << 20) + 1);
        assert_eq!(key_of(over.validate().map(|_| over.clone())), "max.request.size");
        ProducerConfig::default()
            .buffer_memory(1 << 20)
            .max_request_size(1 << 20)
            .batch_size(1 << 20)
            .validate()
            .unwrap();
    }

    #[test]
    fn delivery_timeout_covers_linger_and_request_timeout() {
        // Set explicitly below linger + request timeout: an error naming all three keys.
        let c = ProducerConfig::default().linger(Duration::from_millis(100)).delivery_timeout(Duration::from_secs(30));
        let msg = reason_of(c.validate());
        assert!(
            msg.contains("`delivery.timeout.ms`") && msg.contains("linger.ms") && msg.contains("request.timeout.ms"),
            "{msg}"
        );
        assert!(msg.contains("30100 ms"), "{msg}");
        // Exactly the sum is fine.
        let c = ProducerConfig::default()
            .linger(Duration::from_millis(100))
            .delivery_timeout(Duration::from_millis(30_100));
        c.validate().unwrap();
        // Unset: raised to the sum, as Java does, and no error.
        let mut c = ProducerConfig::default().linger(Duration::from_secs(100));
        c.client.request_timeout = Duration::from_secs(40);
        c.validate().unwrap();
        assert_eq!(c.effective_delivery_timeout(), Duration::from_secs(140));
        // Through properties, message.timeout.ms too.
        assert_eq!(
            key_of(ProducerConfig::from_properties([("message.timeout.ms", "1000"), ("linger.ms", "0")])),
            "delivery.timeout.ms"
        );
    }

    #[test]
    fn default_idempotence_is_quietly_disabled_by_conflicts() {
        for (key, value) in
            [("acks", "1"), ("acks", "0"), ("retries", "0"), ("max.in.flight.requests.per.connection", "6")]
        {
            let c = ProducerConfig::from_properties([(key, value)]).unwrap();
            assert!(!c.idempotence_enabled(), "{key}={value}");
            assert_eq!(c.enable_idempotence, None);
        }
        let c = ProducerConfig::from_properties([("max.in.flight.requests.per.connection", "5"), ("retries", "1")])
            .unwrap();
        assert!(c.idempotence_enabled());
        let c = ProducerConfig::from_properties([("enable.idempotence", "false")]).unwrap();
        assert!(!c.idempotence_enabled());
    }

    #[test]
    fn explicit_idempotence_rejects_conflicts() {
        for (key, value) in [("acks", "1"), ("retries", "0"), ("max.in.flight.requests.per.connection", "6")] {
            let err = ProducerConfig::from_properties([("enable.idempotence", "true"), (key, value)]).unwrap_err();
            assert!(matches!(&err, Error::Config { key: k, .. } if k == key), "{err}");
            let msg = err.to_string();
            assert!(msg.contains("enable.idempotence") && msg.contains(key), "{msg}");
        }
        let c = ProducerConfig::default().enable_idempotence(true).max_in_flight_requests_per_connection(5);
        c.validate().unwrap();
        assert!(c.idempotence_enabled());
        // Explicitly off: the conflicts are allowed.
        ProducerConfig::default().enable_idempotence(false).acks(Acks::Leader).retries(0).validate().unwrap();
    }

    #[test]
    fn transactions_require_idempotence() {
        let c = ProducerConfig::default().transactional_id("tx");
        c.validate().unwrap();
        assert!(c.idempotence_enabled());
        let msg = reason_of(ProducerConfig::default().transactional_id("tx").enable_idempotence(false).validate());
        assert!(msg.contains("`transactional.id`") && msg.contains("enable.idempotence is false"), "{msg}");
        // Default idempotence disabled by acks=1: the error says so.
        let msg = reason_of(ProducerConfig::default().transactional_id("tx").acks(Acks::Leader).validate());
        assert!(msg.contains("`transactional.id`") && msg.contains("acks disables idempotence"), "{msg}");
        assert_eq!(
            key_of(ProducerConfig::from_properties([("transactional.id", "tx"), ("retries", "0")])),
            "transactional.id"
        );
    }

    #[test]
    fn client_rules_apply_and_builders_set_fields() {
        assert_eq!(key_of(ProducerConfig::from_properties([("request.timeout.ms", "0")])), "request.timeout.ms");
        let c = ProducerConfig::new(["a:1,b:2"])
            .client_id("me")
            .acks(Acks::None)
            .buffer_memory(1 << 26)
            .compression(Compression::Snappy)
            .compression_level(1)
            .retries(9)
            .retry_backoff(Duration::from_millis(1))
            .retry_backoff_max(Duration::from_millis(2))
            .max_in_flight_requests_per_connection(2)
            .batch_size(3)
            .linger(Duration::ZERO)
            .max_request_size(4)
            .delivery_timeout(Duration::from_secs(31))
            .max_block(Duration::from_millis(6))
            .enable_idempotence(false)
            .partitioner(PartitionerKind::UniformSticky);
        c.validate().unwrap();
        let mut expected = ProducerConfig::default();
        for (k, v) in [
            ("bootstrap.servers", "a:1,b:2"),
            ("client.id", "me"),
            ("acks", "0"),
            ("buffer.memory", "67108864"),
            ("compression.type", "snappy"),
            ("compression.level", "1"),
            ("retries", "9"),
            ("retry.backoff.ms", "1"),
            ("retry.backoff.max.ms", "2"),
            ("max.in.flight.requests.per.connection", "2"),
            ("batch.size", "3"),
            ("linger.ms", "0"),
            ("max.request.size", "4"),
            ("delivery.timeout.ms", "31000"),
            ("max.block.ms", "6"),
            ("enable.idempotence", "false"),
            ("partitioner.class", "UniformStickyPartitioner"),
        ] {
            expected.set(k, v).unwrap();
        }
        assert_eq!(c, expected);
        assert_eq!(ProducerConfig::default().transactional_id("t").transactional_id.as_deref(), Some("t"));
    }
}
