//! Connection settings shared by every kind of client, with the Java/librdkafka property names.

use std::time::Duration;

use crate::error::{Error, Result};

/// The settings of a [`Client`](crate::Client): where the cluster is and how to talk to it.
///
/// Build it with struct update syntax from [`ClientConfig::default`] or from property pairs
/// with the names the Java client and librdkafka use ([`ClientConfig::from_properties`]).
/// A producer or consumer configuration embeds one of these and passes every key in
/// [`ClientConfig::KEYS`] to [`ClientConfig::set`], handling the rest itself.
///
/// ```
/// use kafkit_client::ClientConfig;
/// use std::time::Duration;
///
/// let config = ClientConfig::from_properties([
///     ("bootstrap.servers", "broker1:9092,broker2:9092"),
///     ("client.id", "quotes-loader"),
///     ("request.timeout.ms", "5000"),
/// ])?;
/// assert_eq!(config.bootstrap_servers, ["broker1:9092", "broker2:9092"]);
/// assert_eq!(config.request_timeout, Duration::from_secs(5));
///
/// let err = ClientConfig::from_properties([("request.timeout.ms", "soon")]).unwrap_err();
/// assert!(err.to_string().contains("request.timeout.ms"));
/// # Ok::<(), kafkit_client::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// `bootstrap.servers`: `host:port` addresses to learn the cluster from; any reachable one
    /// will do. Required.
    pub bootstrap_servers: Vec<String>,
    /// `client.id`: sent with every request, for the brokers' logs and quotas. Default `"kafkit"`.
    pub client_id: String,
    /// `request.timeout.ms`: how long a request waits for its response. Default 30 s.
    pub request_timeout: Duration,
    /// `socket.connection.setup.timeout.ms`: how long a TCP connect plus the ApiVersions
    /// exchange may take. Default 10 s.
    pub connect_timeout: Duration,
    /// `metadata.max.age.ms`: metadata is refreshed in the background at least this often.
    /// Default 5 min.
    pub metadata_max_age: Duration,
    /// `reconnect.backoff.ms`: the wait before reconnecting to a broker after a failed attempt;
    /// doubles with each further failure. Default 50 ms.
    pub reconnect_backoff: Duration,
    /// `reconnect.backoff.max.ms`: the cap of that wait. Default 1 s.
    pub reconnect_backoff_max: Duration,
    /// `receive.message.max.bytes`: the largest response frame accepted from a broker; a
    /// larger one closes the connection. Default 100 MiB.
    pub max_response_size: usize,
    /// Whether the metadata requests for the topics the client uses ask the broker to create
    /// the ones that do not exist (when the broker's `auto.create.topics.enable` allows). The
    /// producer leaves it on, as Java's does; the consumer sets it from its
    /// `allow.auto.create.topics`. Default true.
    pub allow_auto_create_topics: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            bootstrap_servers: Vec::new(),
            client_id: "kafkit".to_string(),
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            metadata_max_age: Duration::from_secs(300),
            reconnect_backoff: Duration::from_millis(50),
            reconnect_backoff_max: Duration::from_secs(1),
            max_response_size: 100 * 1024 * 1024,
            allow_auto_create_topics: true,
        }
    }
}

fn millis(key: &str, value: &str) -> Result<Duration> {
    value
        .trim()
        .parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|_| Error::config(key, format!("expected a whole number of milliseconds, got `{value}`")))
}

/// A property name as the `set` methods match it: kafka-python's names (`linger_ms`,
/// `bootstrap_servers`) are the Java names with `_` for `.`, so a name with `_` and no `.` is
/// read with dots.
pub(crate) fn property_name(key: &str) -> std::borrow::Cow<'_, str> {
    if key.contains('_') && !key.contains('.') {
        std::borrow::Cow::Owned(key.replace('_', "."))
    } else {
        std::borrow::Cow::Borrowed(key)
    }
}

/// The error for a property name the producer's or consumer's `set` does not know, listing
/// the names it does.
pub(crate) fn unknown_property(key: &str, role: &str, keys: &[&str]) -> Error {
    Error::config(
        key,
        format!(
            "unknown property; the {role} properties are {}, {} (kafka-python's names, with _ for ., are accepted \
             too)",
            ClientConfig::KEYS.join(", "),
            keys.join(", ")
        ),
    )
}

impl ClientConfig {
    /// The property names [`ClientConfig::set`] accepts.
    pub const KEYS: &'static [&'static str] = &[
        "bootstrap.servers",
        "client.id",
        "request.timeout.ms",
        "socket.connection.setup.timeout.ms",
        "metadata.max.age.ms",
        "reconnect.backoff.ms",
        "reconnect.backoff.max.ms",
        "receive.message.max.bytes",
    ];

    /// A configuration with the defaults and these bootstrap servers (each item may itself be
    /// a comma-separated list, as `bootstrap.servers` is).
    pub fn new<S: AsRef<str>>(bootstrap_servers: impl IntoIterator<Item = S>) -> Self {
        let bootstrap_servers = bootstrap_servers
            .into_iter()
            .flat_map(|s| {
                s.as_ref().split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect::<Vec<_>>()
            })
            .collect();
        ClientConfig { bootstrap_servers, ..Default::default() }
    }

    /// Sets one property by its Java/librdkafka name (or kafka-python's: `client_id`). An
    /// unknown key or a malformed value is an [`Error::Config`] naming the key. Values are not
    /// cross-checked here; see [`ClientConfig::validate`].
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        match &*property_name(key) {
            "bootstrap.servers" => {
                self.bootstrap_servers =
                    value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
            }
            "client.id" => self.client_id = value.to_string(),
            "request.timeout.ms" => self.request_timeout = millis(key, value)?,
            "socket.connection.setup.timeout.ms" => self.connect_timeout = millis(key, value)?,
            "metadata.max.age.ms" => self.metadata_max_age = millis(key, value)?,
            "reconnect.backoff.ms" => self.reconnect_backoff = millis(key, value)?,
            "reconnect.backoff.max.ms" => self.reconnect_backoff_max = millis(key, value)?,
            "receive.message.max.bytes" => {
                self.max_response_size = value
                    .trim()
                    .parse()
                    .map_err(|_| Error::config(key, format!("expected a number of bytes, got `{value}`")))?
            }
            _ => {
                return Err(Error::config(
                    key,
                    format!("unknown property; the connection properties are {}", Self::KEYS.join(", ")),
                ))
            }
        }
        Ok(())
    }

    /// A configuration from `(key, value)` property pairs over the defaults, validated.
    pub fn from_properties<'a>(props: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self> {
        let mut config = ClientConfig::default();
        for (k, v) in props {
            config.set(k, v)?;
        }
        config.validate()?;
        Ok(config)
    }

    /// Checks every value: bootstrap servers present and of the form `host:port`, timeouts
    /// non-zero, backoff not above its maximum, a response size that can hold a response.
    pub fn validate(&self) -> Result<()> {
        for s in &self.bootstrap_servers {
            split_host_port(s).map_err(|reason| Error::config("bootstrap.servers", reason))?;
        }
        let nonzero = [
            ("request.timeout.ms", self.request_timeout),
            ("socket.connection.setup.timeout.ms", self.connect_timeout),
            ("metadata.max.age.ms", self.metadata_max_age),
        ];
        for (key, d) in nonzero {
            if d.is_zero() {
                return Err(Error::config(key, "must be greater than 0"));
            }
        }
        if self.reconnect_backoff > self.reconnect_backoff_max {
            return Err(Error::config(
                "reconnect.backoff.ms",
                format!(
                    "{:?} is above reconnect.backoff.max.ms ({:?}); lower it or raise the maximum",
                    self.reconnect_backoff, self.reconnect_backoff_max
                ),
            ));
        }
        if self.max_response_size < 1024 || self.max_response_size > i32::MAX as usize {
            return Err(Error::config(
                "receive.message.max.bytes",
                format!("{} is out of range: use 1024 to {}", self.max_response_size, i32::MAX),
            ));
        }
        Ok(())
    }

    /// Validates, and also requires at least one bootstrap server (what a client needs to start).
    pub(crate) fn validate_for_client(&self) -> Result<()> {
        self.validate()?;
        if self.bootstrap_servers.is_empty() {
            return Err(Error::config("bootstrap.servers", "no bootstrap server given: set at least one host:port"));
        }
        Ok(())
    }

    /// The settings one connection needs.
    pub fn connection_config(&self) -> ConnectionConfig {
        ConnectionConfig {
            client_id: self.client_id.clone(),
            request_timeout: self.request_timeout,
            connect_timeout: self.connect_timeout,
            max_response_size: self.max_response_size,
        }
    }
}

/// Splits `host:port` (an IPv6 host in brackets: `[::1]:9092`).
pub(crate) fn split_host_port(s: &str) -> std::result::Result<(&str, u16), String> {
    let (host, port) = s.rsplit_once(':').ok_or_else(|| format!("`{s}` is not of the form host:port"))?;
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    if host.is_empty() {
        return Err(format!("`{s}` has no host"));
    }
    let port = port.parse::<u16>().map_err(|_| format!("`{s}` has no valid port (expected 1 to 65535)"))?;
    if port == 0 {
        return Err(format!("`{s}` has port 0"));
    }
    Ok((host, port))
}

/// The settings of one [`Connection`](crate::Connection) (derived from a [`ClientConfig`] by
/// [`ClientConfig::connection_config`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionConfig {
    /// Sent as the client id of every request.
    pub client_id: String,
    /// How long a request waits for its response.
    pub request_timeout: Duration,
    /// How long the TCP connect plus ApiVersions may take.
    pub connect_timeout: Duration,
    /// The largest response frame accepted.
    pub max_response_size: usize,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ClientConfig::default().connection_config()
    }
}

/// Helpers for the configuration tests of the client, producer and consumer.
#[cfg(test)]
pub(crate) mod testing {
    use crate::error::{Error, Result};

    /// The key a configuration error names; panics on anything else.
    pub fn key_of<T: std::fmt::Debug>(r: Result<T>) -> String {
        match r {
            Err(Error::Config { key, .. }) => key,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    /// The message of a configuration error; panics on anything else.
    pub fn reason_of<T: std::fmt::Debug>(r: Result<T>) -> String {
        match r {
            Err(e @ Error::Config { .. }) => e.to_string(),
            other => panic!("expected a config error, got {other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::key_of;
    use super::*;

    #[test]
    fn every_key_parses() {
        let c = ClientConfig::from_properties([
            ("bootstrap.servers", " a:1 , [::1]:9092,"),
            ("client.id", "me"),
            ("request.timeout.ms", "1500"),
            ("socket.connection.setup.timeout.ms", "2000"),
            ("metadata.max.age.ms", "60000"),
            ("reconnect.backoff.ms", "10"),
            ("reconnect.backoff.max.ms", "500"),
            ("receive.message.max.bytes", "1048576"),
        ])
        .unwrap();
        assert_eq!(c.bootstrap_servers, ["a:1", "[::1]:9092"]);
        assert_eq!(c.client_id, "me");
        assert_eq!(c.request_timeout, Duration::from_millis(1500));
        assert_eq!(c.connect_timeout, Duration::from_secs(2));
        assert_eq!(c.metadata_max_age, Duration::from_secs(60));
        assert_eq!(c.reconnect_backoff, Duration::from_millis(10));
        assert_eq!(c.reconnect_backoff_max, Duration::from_millis(500));
        assert_eq!(c.max_response_size, 1 << 20);
        assert_eq!(ClientConfig::KEYS.len(), 8);
        for key in ClientConfig::KEYS {
            // Every listed key is accepted by set (with a value valid for all of them).
            let value = if *key == "bootstrap.servers" { "h:1" } else { "2000" };
            ClientConfig::default().set(key, value).unwrap();
        }
    }

    #[test]
    fn new_splits_comma_separated_lists() {
        let c = ClientConfig::new(["a:1,b:2", " c:3 "]);
        assert_eq!(c.bootstrap_servers, ["a:1", "b:2", "c:3"]);
        c.validate_for_client().unwrap();
    }

    #[test]
    fn defaults_match_the_java_client() {
        let c = ClientConfig::default();
        assert_eq!(c.request_timeout, Duration::from_secs(30));
        assert_eq!(c.metadata_max_age, Duration::from_secs(300));
        assert_eq!((c.reconnect_backoff, c.reconnect_backoff_max), (Duration::from_millis(50), Duration::from_secs(1)));
        c.validate().unwrap();
        assert!(matches!(c.validate_for_client(), Err(Error::Config { key, .. }) if key == "bootstrap.servers"));
    }

    #[test]
    fn bad_values_and_unknown_keys_name_the_key() {
        assert_eq!(key_of(ClientConfig::from_properties([("linger.mss", "5")])), "linger.mss");
        for key in ClientConfig::KEYS.iter().filter(|k| !matches!(**k, "bootstrap.servers" | "client.id")) {
            assert_eq!(key_of(ClientConfig::from_properties([(*key, "-1")])), *key);
            assert_eq!(key_of(ClientConfig::from_properties([(*key, "5s")])), *key);
        }
        for bad in ["nohost", ":9092", "h:", "h:0", "h:70000"] {
            assert_eq!(key_of(ClientConfig::from_properties([("bootstrap.servers", bad)])), "bootstrap.servers");
        }
        assert_eq!(key_of(ClientConfig::from_properties([("request.timeout.ms", "0")])), "request.timeout.ms");
        assert_eq!(
            key_of(ClientConfig::from_properties([
                ("reconnect.backoff.ms", "2000"),
                ("reconnect.backoff.max.ms", "1000")
            ])),
            "reconnect.backoff.ms"
        );
        assert_eq!(
            key_of(ClientConfig::from_properties([("receive.message.max.bytes", "10")])),
            "receive.message.max.bytes"
        );
    }
}
