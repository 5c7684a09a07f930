//! The one error type of this crate.

use std::sync::Arc;
use std::time::Duration;

use kafkit_protocol::versions::NoCommonVersion;
use kafkit_protocol::{ApiKey, DecodeError, EncodeError, ErrorCode};

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong talking to a Kafka cluster.
///
/// Match on the variant to decide what to do; [`Error::is_retriable`] says whether the same
/// operation may succeed if tried again (after a backoff and, for Kafka errors that
/// [invalidate metadata](ErrorCode::invalidates_metadata), a metadata refresh).
///
/// The type is `Clone` (I/O errors are shared behind an `Arc`) so that one failure can be
/// reported to every request it affects.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A socket operation with a broker failed.
    #[error("I/O error with broker {broker}: {source}; check that the broker is up and reachable")]
    Io {
        /// The broker's `host:port`.
        broker: String,
        /// What the operating system reported.
        #[source]
        source: Arc<std::io::Error>,
    },

    /// No answer came within the time allowed.
    #[error(
        "{api:?} request to broker {broker} timed out after {after:?}; the broker may be overloaded \
         or unreachable (raise request.timeout.ms if it is merely slow)"
    )]
    Timeout {
        /// The API of the request (for a connection attempt, the API being negotiated:
        /// ApiVersions).
        api: ApiKey,
        /// The broker's `host:port`.
        broker: String,
        /// How long the request waited.
        after: Duration,
    },

    /// The connection closed while the request was in flight.
    #[error(
        "connection to broker {broker} lost with the request in flight ({reason}); {}",
        if *maybe_applied { "it was sent and may have been applied: retry only if that is safe" }
        else { "it was never sent: it is safe to retry" }
    )]
    Disconnected {
        /// The broker's `host:port`.
        broker: String,
        /// Why the connection closed.
        reason: String,
        /// Whether the request had been written to the socket, so the broker may have
        /// applied it (a produce may have been stored) even though no answer came.
        maybe_applied: bool,
    },

    /// A frame could not be encoded or decoded, or broke the protocol's rules.
    #[error("protocol error: {0}")]
    Protocol(#[from] ProtocolError),

    /// The broker answered with a Kafka error code.
    #[error("{context}: {code}")]
    Kafka {
        /// The code, with its name and retriability.
        code: ErrorCode,
        /// What was being done (the request, topic or partition).
        context: String,
    },

    /// The broker and kafkit share no version of an API.
    #[error("{0}")]
    Version(#[from] NoCommonVersion),

    /// A configuration value is missing, malformed or out of range.
    #[error("invalid configuration `{key}`: {reason}")]
    Config {
        /// The property name (e.g. `request.timeout.ms`).
        key: String,
        /// What is wrong with it and what is expected.
        reason: String,
    },

    /// Every bootstrap address failed.
    #[error(
        "no broker available: every bootstrap server failed ({}); check bootstrap.servers and that \
         the cluster is up",
        .0.iter().map(|(addr, e)| format!("{addr}: {e}")).collect::<Vec<_>>().join("; ")
    )]
    NoBrokerAvailable(
        /// Each address tried, with its error.
        Vec<(String, Error)>,
    ),

    /// Something the application waits for did not happen in the time it allows: a record
    /// not delivered within `delivery.timeout.ms`, no room in `buffer.memory` or no metadata
    /// for the topic within `max.block.ms`, a flush or a blocking wait past its timeout.
    #[error("{what}: not done after {after:?}; {hint}")]
    TimedOut {
        /// What did not complete (names the topic and partition where there is one).
        what: String,
        /// How long it was given.
        after: Duration,
        /// What to check or which setting to raise.
        hint: &'static str,
    },

    /// The connection or client was closed by the application.
    #[error("the connection or client was closed; create a new one to go on")]
    Closed,

    /// A record's key or value could not be serialized, or a fetched one deserialized.
    #[error("{0}; fix the data or use a serializer that accepts it")]
    Serde(#[from] crate::serializer::SerdeError),

    /// A consumer has no offset to start a partition from: nothing committed (or the offset
    /// is out of range) and `auto.offset.reset` is `none` (Java's
    /// `NoOffsetForPartitionException`).
    #[error("no offset to read {partition} from: {reason}; seek to an offset, or set auto.offset.reset to earliest or latest")]
    NoOffset {
        /// The partition, as `topic[partition]`.
        partition: String,
        /// Why: nothing committed, or the position is out of range.
        reason: String,
    },

    /// A call that the client's state does not allow (Java's `IllegalStateException`): seeking
    /// a partition not assigned, subscribing after assigning by hand, committing without a
    /// `group.id`, ...
    #[error("{0}")]
    IllegalState(String),
}

/// An encoding, decoding or framing failure.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A response could not be decoded (the broker speaks something else, or the frame is
    /// corrupt).
    #[error("{0}")]
    Decode(#[from] DecodeError),
    /// A request could not be encoded (a field too long, a version kafkit does not implement).
    #[error("{0}")]
    Encode(#[from] EncodeError),
    /// A frame broke the framing rules (a size out of bounds, an unknown correlation id).
    #[error("{0}")]
    Framing(String),
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Protocol(ProtocolError::Decode(e))
    }
}

impl From<EncodeError> for Error {
    fn from(e: EncodeError) -> Self {
        Error::Protocol(ProtocolError::Encode(e))
    }
}

impl Error {
    /// An I/O error with `broker`.
    pub(crate) fn io(broker: &str, source: std::io::Error) -> Self {
        Error::Io { broker: broker.to_string(), source: Arc::new(source) }
    }

    /// A Kafka error code met while doing `context`.
    pub fn kafka(code: ErrorCode, context: impl Into<String>) -> Self {
        Error::Kafka { code, context: context.into() }
    }

    /// A configuration error for `key`.
    pub fn config(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Config { key: key.into(), reason: reason.into() }
    }

    /// Whether trying the same operation again may succeed: I/O errors, timeouts, lost
    /// connections, unavailable clusters and retriable Kafka codes. A retried produce after a
    /// [`Disconnected`](Error::Disconnected) with `maybe_applied` or a timeout may duplicate
    /// records unless the producer is idempotent.
    pub fn is_retriable(&self) -> bool {
        match self {
            Error::Io { .. }
            | Error::Timeout { .. }
            | Error::TimedOut { .. }
            | Error::Disconnected { .. }
            | Error::NoBrokerAvailable(_) => true,
            Error::Kafka { code, .. } => code.is_retriable(),
            Error::Protocol(_)
            | Error::Version(_)
            | Error::Config { .. }
            | Error::Closed
            | Error::Serde(_)
            | Error::NoOffset { .. }
            | Error::IllegalState(_) => false,
        }
    }

    /// Whether the cluster metadata should be refreshed before retrying: a Kafka code that
    /// [invalidates metadata](ErrorCode::invalidates_metadata), or a lost connection.
    pub fn invalidates_metadata(&self) -> bool {
        match self {
            Error::Kafka { code, .. } => code.invalidates_metadata(),
            Error::Io { .. } | Error::Disconnected { .. } => true,
            _ => false,
        }
    }

    /// The Kafka error code, if this is a [`Kafka`](Error::Kafka) error.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::Kafka { code, .. } => Some(*code),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_errors_convert_and_are_not_retriable() {
        use crate::serializer::{Deserializer, Json};
        let bad = bytes::Bytes::from_static(b"{not json");
        let err: Error = Deserializer::<serde_json::Value>::deserialize(&Json, "quotes", &bad).unwrap_err().into();
        assert!(!err.is_retriable());
        let msg = err.to_string();
        assert!(msg.contains("quotes") && msg.contains("JSON"), "{msg}");
    }

    #[test]
    fn kafka_errors_keep_name_and_retriability() {
        let e = Error::kafka(ErrorCode::NOT_LEADER_OR_FOLLOWER, "producing to quotes-0");
        assert!(e.is_retriable());
        assert!(e.invalidates_metadata());
        assert_eq!(e.code(), Some(ErrorCode::NOT_LEADER_OR_FOLLOWER));
        let msg = e.to_string();
        assert!(msg.contains("NOT_LEADER_OR_FOLLOWER") && msg.contains("quotes-0"), "{msg}");
        assert!(!Error::kafka(ErrorCode::TOPIC_AUTHORIZATION_FAILED, "x").is_retriable());
    }

    #[test]
    fn messages_say_what_to_do() {
        let d = Error::Disconnected { broker: "b:9092".into(), reason: "reset".into(), maybe_applied: true };
        assert!(d.to_string().contains("may have been applied"), "{d}");
        let d = Error::Disconnected { broker: "b:9092".into(), reason: "reset".into(), maybe_applied: false };
        assert!(d.to_string().contains("safe to retry"), "{d}");
        let n = Error::NoBrokerAvailable(vec![
            ("a:1".into(), Error::io("a:1", std::io::ErrorKind::ConnectionRefused.into())),
            ("b:2".into(), Error::Closed),
        ]);
        let msg = n.to_string();
        assert!(msg.contains("a:1") && msg.contains("b:2") && msg.contains("bootstrap.servers"), "{msg}");
        assert!(n.is_retriable());
        let c = Error::config("request.timeout.ms", "expected a number of milliseconds, got `x`");
        assert!(c.to_string().contains("request.timeout.ms") && !c.is_retriable());
        assert!(!Error::Closed.is_retriable());
    }
}
