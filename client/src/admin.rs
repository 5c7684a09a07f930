//! Cluster administration, the subset of Java's `AdminClient` a command-line tool needs:
//! cluster metadata, creating and deleting topics, listing and describing consumer groups,
//! their committed offsets, and the earliest or latest offsets of partitions.
//!
//! [`Admin`] is built on a [`Client`] (its connections and metadata) and sends each request
//! where Kafka wants it:
//!
//! - **Metadata** to any broker;
//! - **CreateTopics / DeleteTopics** to the controller named by the metadata (any broker if it
//!   names none), retrying NOT_CONTROLLER after a metadata refresh;
//! - **ListGroups** to every broker (each lists the groups it coordinates);
//! - **DescribeGroups / OffsetFetch / DeleteGroups** to each group's coordinator, found with
//!   FindCoordinator; COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR and
//!   COORDINATOR_NOT_AVAILABLE are retried with an exponential backoff (the coordinator is
//!   looked up again after the last two), as the consumer does;
//! - **ListOffsets** to each partition's leader (the consumer's lookups).
//!
//! Every operation is bounded by the admin's [timeout](Admin::with_timeout) (Java's
//! `default.api.timeout.ms`, 60 s by default): what is still failing with a retriable error
//! when it expires fails with [`Error::TimedOut`] naming the last error.
//!
//! Operations on several topics or groups answer each one separately ([`Outcome`]): a Kafka
//! error keeps its code (TOPIC_ALREADY_EXISTS, UNKNOWN_TOPIC_OR_PARTITION, ...), and one topic
//! failing does not fail the others. The outer `Result` fails only when nothing could be asked
//! at all (no common protocol version, the client closed).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use kafkit_client::admin::{Admin, CreateTopicsOptions, NewTopic};
//! use kafkit_client::protocol::ErrorCode;
//! use kafkit_client::ClientConfig;
//!
//! let cluster = kafkit_mock::MockCluster::start(3).await?;
//! let admin = Admin::connect(ClientConfig::new([cluster.bootstrap()])).await?;
//! let created = admin
//!     .create_topics(vec![NewTopic::new("quotes", 3, 2), NewTopic::new("quotes", 1, 1)], &CreateTopicsOptions::default())
//!     .await?;
//! assert_eq!(created.len(), 1, "a name asked for twice is created once");
//! assert_eq!(created[0].result.as_ref().unwrap().partitions, Some(3));
//!
//! let again = admin.create_topics(vec![NewTopic::new("quotes", 3, 2)], &CreateTopicsOptions::default()).await?;
//! assert_eq!(again[0].error_code(), Some(ErrorCode::TOPIC_ALREADY_EXISTS));
//!
//! let metadata = admin.metadata(None).await?;
//! assert_eq!(metadata.topic("quotes").unwrap().partitions.len(), 3);
//! admin.close().await;
//! # Ok(())
//! # }
//! ```

mod coordinator;
mod groups;
mod offsets;
mod topics;

use std::future::Future;
use std::time::Duration;

use kafkit_protocol::messages::metadata_request::MetadataRequestTopic;
use kafkit_protocol::messages::MetadataRequest;
use kafkit_protocol::ErrorCode;
use tokio::time::Instant;
use tracing::debug;

use crate::backoff::Backoff;
use crate::client::Client;
use crate::config::ClientConfig;
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::metadata::Metadata;

pub use groups::{GroupDescription, GroupListing, MemberDescription, CONSUMER_PROTOCOL_TYPE};
pub use offsets::OffsetSpec;
pub use topics::{CreateTopicsOptions, CreatedTopic, NewTopic};

/// How long an operation may take unless told otherwise (Java's `default.api.timeout.ms`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use kafkit_client::admin::{Admin, DEFAULT_TIMEOUT};
/// use kafkit_client::ClientConfig;
///
/// let cluster = kafkit_mock::MockCluster::start(1).await?;
/// let admin = Admin::connect(ClientConfig::new([cluster.bootstrap()])).await?;
/// assert_eq!(admin.timeout(), DEFAULT_TIMEOUT);
/// # Ok(())
/// # }
/// ```
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The first wait between retries, doubling up to [`RETRY_BACKOFF_MAX`] (Java's
/// `retry.backoff.ms`).
const RETRY_BACKOFF: Duration = Duration::from_millis(100);
/// The longest wait between retries (Java's `retry.backoff.max.ms`).
const RETRY_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// What happened to one topic or group of an operation on several: its name, and its own
/// result.
///
/// ```
/// use kafkit_client::admin::Outcome;
/// use kafkit_client::protocol::ErrorCode;
/// use kafkit_client::Error;
///
/// let failed: Outcome<()> = Outcome {
///     name: "quotes".into(),
///     result: Err(Error::kafka(ErrorCode::TOPIC_ALREADY_EXISTS, "creating topic quotes")),
/// };
/// assert_eq!(failed.error_code(), Some(ErrorCode::TOPIC_ALREADY_EXISTS));
/// assert!(!failed.is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct Outcome<T> {
    /// The topic or group.
    pub name: String,
    /// What the cluster answered for it.
    pub result: Result<T>,
}

impl<T> Outcome<T> {
    /// Whether it succeeded (see the example of [`Outcome`]).
    pub fn is_ok(&self) -> bool {
        self.result.is_ok()
    }

    /// The Kafka error code it failed with, if it failed with one (see the example of
    /// [`Outcome`]).
    pub fn error_code(&self) -> Option<ErrorCode> {
        self.result.as_ref().err().and_then(Error::code)
    }
}

/// A cluster administration client (Java's `AdminClient`). Cheap to clone; see the
/// [module documentation](self) for where each request goes and how failures are retried.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use kafkit_client::admin::Admin;
/// use kafkit_client::{Client, ClientConfig};
///
/// let cluster = kafkit_mock::MockCluster::start(1).await?;
/// let client = Client::connect(ClientConfig::new([cluster.bootstrap()])).await?;
/// let admin = Admin::from_client(client).with_timeout(Duration::from_secs(5));
/// assert_eq!(admin.timeout(), Duration::from_secs(5));
/// assert_eq!(admin.metadata(None).await?.brokers().count(), 1);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Admin {
    client: Client,
    timeout: Duration,
}

impl Admin {
    /// Connects to the cluster of `config` ([`Client::connect`]: the first bootstrap server
    /// that answers; [`Error::NoBrokerAvailable`] at once if none does).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use kafkit_client::admin::Admin;
    /// use kafkit_client::{ClientConfig, Error};
    ///
    /// let cluster = kafkit_mock::MockCluster::start(1).await?;
    /// let admin = Admin::connect(ClientConfig::new([cluster.bootstrap()])).await?;
    /// assert_eq!(admin.metadata(None).await?.brokers().count(), 1);
    ///
    /// // Nothing listens on the port of a listener just closed.
    /// let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    /// let refused = Admin::connect(ClientConfig::new([closed.to_string()])).await;
    /// assert!(matches!(refused, Err(Error::NoBrokerAvailable(_))));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect(config: ClientConfig) -> Result<Admin> {
        Ok(Admin::from_client(Client::connect(config).await?))
    }

    /// An admin sharing `client`'s connections and metadata.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use kafkit_client::admin::Admin;
    /// use kafkit_client::{Client, ClientConfig};
    ///
    /// let cluster = kafkit_mock::MockCluster::start(2).await?;
    /// let client = Client::connect(ClientConfig::new([cluster.bootstrap()])).await?;
    /// let admin = Admin::from_client(client.clone());
    /// assert_eq!(admin.client().config(), client.config());
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_client(client: Client) -> Admin {
        Admin { client, timeout: DEFAULT_TIMEOUT }
    }

    /// The same admin with `timeout` as the limit of each operation (a zero timeout is taken
    /// as one millisecond). What still fails with a retriable error then fails with
    /// [`Error::TimedOut`], naming the last error.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use kafkit_client::admin::Admin;
    /// use kafkit_client::protocol::{ApiKey, ErrorCode};
    /// use kafkit_client::{ClientConfig, Error};
    /// use kafkit_mock::Fault;
    ///
    /// let cluster = kafkit_mock::MockCluster::start(1).await?;
    /// // The coordinator is never available.
    /// cluster.inject(Fault::error(ApiKey::FindCoordinator, ErrorCode::COORDINATOR_NOT_AVAILABLE).times(1000));
    /// let admin = Admin::connect(ClientConfig::new([cluster.bootstrap()])).await?.with_timeout(Duration::from_millis(300));
    /// match admin.list_group_offsets("readers").await {
    ///     Err(Error::TimedOut { what, .. }) => assert!(what.contains("COORDINATOR_NOT_AVAILABLE"), "{what}"),
    ///     other => panic!("{other:?}"),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Admin {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The limit of each operation ([`DEFAULT_TIMEOUT`] unless set with
    /// [`Admin::with_timeout`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use kafkit_client::admin::Admin;
    /// use kafkit_client::ClientConfig;
    ///
    /// let cluster = kafkit_mock::MockCluster::start(1).await?;
    /// let admin = Admin::connect(ClientConfig::new([cluster.bootstrap()])).await?;
    /// assert_eq!(admin.with_timeout(Duration::ZERO).timeout(), Duration::from_millis(1));
    /// # Ok(())
    /// # }
    /// ```
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The client underneath (its configuration, metadata snapshot and connections).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use kafkit_client::admin::Admin;
    /// use kafkit_client::ClientConfig;
    ///
    /// let cluster = kafkit_mock::MockCluster::start(3).await?;
    /// let admin = Admin::connect(ClientConfig::new([cluster.bootstrap()])).await?;
    /// assert_eq!(admin.client().metadata().brokers().count(), 3);
    /// # Ok(())
    /// # }
    /// ```
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Closes the client's connections ([`Client::shutdown`]); later calls fail with
    /// [`Error::Closed`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use kafkit_client::admin::Admin;
    /// use kafkit_client::{ClientConfig, Error};
    ///
    /// let cluster = kafkit_mock::MockCluster::start(1).await?;
    /// let admin = Admin::connect(ClientConfig::new([cluster.bootstrap()])).await?;
    /// admin.close().await;
    /// assert!(matches!(admin.metadata(None).await, Err(Error::Closed)));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn close(&self) {
        self.client.shutdown().await;
    }

    /// The cluster's metadata: its brokers, its controller and every topic (`None`), or the
    /// topics named (`Some`), asked of any broker. Topics are never created by asking; a topic
    /// the cluster does not know is in the answer with UNKNOWN_TOPIC_OR_PARTITION as its
    /// [`error`](crate::TopicInfo::error).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use kafkit_client::admin::Admin;
    /// use kafkit_client::protocol::ErrorCode;
    /// use kafkit_client::ClientConfig;
    ///
    /// let cluster = kafkit_mock::MockCluster::start(2).await?;
    /// cluster.create_topic("quotes", 4)?;
    /// cluster.create_topic("trades", 1)?;
    /// let admin = Admin::connect(ClientConfig::new([cluster.bootstrap()])).await?;
    ///
    /// let all = admin.metadata(None).await?;
    /// assert_eq!(all.topics().count(), 2);
    /// assert!(all.controller.is_some_and(|id| all.broker(id).is_some()));
    ///
    /// let some = admin.metadata(Some(&["quotes", "nope"])).await?;
    /// assert_eq!(some.topic("quotes").unwrap().partitions.len(), 4);
    /// assert_eq!(some.topic("nope").unwrap().error, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
    /// assert!(some.topic("trades").is_none());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn metadata(&self, topics: Option<&[&str]>) -> Result<Metadata> {
        let request = MetadataRequest {
            topics: topics.map(|names| {
                names
                    .iter()
                    .map(|n| MetadataRequestTopic { name: Some((*n).to_string()), ..Default::default() })
                    .collect()
            }),
            allow_auto_topic_creation: false,
            ..Default::default()
        };
        let request = &request;
        let response = self
            .on_any_broker("fetching the cluster metadata", |conn, deadline| async move {
                let version = conn.version_of::<MetadataRequest>()?;
                let mut request = request.clone();
                if version == 0 && request.topics.is_none() {
                    // v0 has no null: the empty list means every topic.
                    request.topics = Some(Vec::new());
                }
                conn.send_with(&request, version, self.request_timeout(deadline)).await
            })
            .await?;
        Ok(Metadata::from_response(&response))
    }

    /// The deadline of an operation starting now.
    fn deadline(&self) -> Instant {
        Instant::now() + self.timeout
    }

    /// How long one request may wait: the client's `request.timeout.ms`, but not past the
    /// operation's deadline.
    fn request_timeout(&self, deadline: Instant) -> Duration {
        self.client.config().request_timeout.min(deadline.saturating_duration_since(Instant::now())).max(MIN_WAIT)
    }

    /// A backoff for an operation's retries.
    fn backoff() -> Backoff {
        Backoff::new(RETRY_BACKOFF, RETRY_BACKOFF_MAX)
    }

    /// Runs `op` on a connection to any broker (in random order), retrying retriable errors
    /// with a backoff until the admin's timeout.
    async fn on_any_broker<T, F, Fut>(&self, what: &str, mut op: F) -> Result<T>
    where
        F: FnMut(Connection, Instant) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let deadline = self.deadline();
        let mut backoff = Self::backoff();
        let mut last: Option<Error> = None;
        loop {
            let mut brokers: Vec<i32> = self.client.metadata().brokers().map(|b| b.id).collect();
            fastrand::shuffle(&mut brokers);
            if brokers.is_empty() {
                last = Some(Error::kafka(ErrorCode::BROKER_NOT_AVAILABLE, format!("{what}: no broker is known")));
                self.client.invalidate();
            }
            for id in brokers {
                let attempt = async {
                    let conn = self.client.connection(id).await?;
                    op(conn, deadline).await
                };
                match tokio::time::timeout_at(deadline, attempt).await {
                    Err(_) => return Err(timed_out(what, self.timeout, last)),
                    Ok(Ok(v)) => return Ok(v),
                    Ok(Err(e)) if is_retriable(&e) => {
                        debug!(broker = id, "{what} failed: {e}; trying another broker");
                        if e.invalidates_metadata() {
                            self.client.invalidate();
                        }
                        last = Some(e);
                    }
                    Ok(Err(e)) => return Err(e),
                }
            }
            if !backoff.sleep_before(deadline).await {
                return Err(timed_out(what, self.timeout, last));
            }
        }
    }
}

/// The shortest wait given to a request, so that one at the deadline still has a chance.
const MIN_WAIT: Duration = Duration::from_millis(1);

/// Whether an admin operation retries `e`: retriable errors, and a broker missing from the
/// metadata (it may be there after a refresh).
fn is_retriable(e: &Error) -> bool {
    e.is_retriable() || e.code() == Some(ErrorCode::BROKER_NOT_AVAILABLE)
}

/// The error of an operation that ran out of time, naming the last error met.
fn timed_out(what: &str, after: Duration, last: Option<Error>) -> Error {
    let what = match last {
        Some(e) => format!("{what} (last error: {e})"),
        None => what.to_string(),
    };
    Error::TimedOut {
        what,
        after,
        hint: "check that the brokers are up and reachable, or allow more time (Admin::with_timeout)",
    }
}
