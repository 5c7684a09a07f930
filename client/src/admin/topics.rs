//! CreateTopics and DeleteTopics, sent to the controller.

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use kafkit_protocol::codec::Uuid;
use kafkit_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafkit_protocol::messages::delete_topics_request::DeleteTopicState;
use kafkit_protocol::messages::{CreateTopicsRequest, DeleteTopicsRequest};
use kafkit_protocol::ErrorCode;
use tokio::time::Instant;
use tracing::debug;

use super::{is_retriable, timed_out, Admin, Outcome};
use crate::connection::Connection;
use crate::error::{Error, Result};

/// The first CreateTopics version that lets the broker pick the partition count or the
/// replication factor (-1).
const FIRST_DEFAULTS_VERSION: i16 = 4;
/// The first CreateTopics version with `validate_only`.
const FIRST_VALIDATE_ONLY_VERSION: i16 = 1;

/// A topic to create (Java's `NewTopic`).
///
/// ```
/// use kafkit_client::admin::NewTopic;
///
/// let quotes = NewTopic::new("quotes", 6, 3).config("cleanup.policy", "compact").config("retention.ms", "86400000");
/// assert_eq!(quotes.partitions, Some(6));
/// assert_eq!(quotes.configs.len(), 2);
///
/// let defaults = NewTopic::with_broker_defaults("trades");
/// assert_eq!((defaults.partitions, defaults.replication_factor), (None, None));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopic {
    /// The topic's name.
    pub name: String,
    /// Its partition count; `None`: the broker's `num.partitions` (brokers with CreateTopics
    /// v4+, Kafka 2.4+).
    pub partitions: Option<i32>,
    /// Its replication factor; `None`: the broker's `default.replication.factor` (v4+ too).
    pub replication_factor: Option<i16>,
    /// Topic configuration entries (`cleanup.policy`, `retention.ms`, ...), in order.
    pub configs: Vec<(String, String)>,
}

impl NewTopic {
    /// `name` with `partitions` partitions of `replication_factor` replicas each.
    pub fn new(name: impl Into<String>, partitions: i32, replication_factor: i16) -> Self {
        NewTopic {
            name: name.into(),
            partitions: Some(partitions),
            replication_factor: Some(replication_factor),
            configs: Vec::new(),
        }
    }

    /// `name` with the broker's default partition count and replication factor.
    pub fn with_broker_defaults(name: impl Into<String>) -> Self {
        NewTopic { name: name.into(), partitions: None, replication_factor: None, configs: Vec::new() }
    }

    /// The same topic with the configuration entry `key` = `value` added.
    #[must_use]
    pub fn config(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.configs.push((key.into(), value.into()));
        self
    }
}

/// How to create topics.
///
/// ```
/// use std::time::Duration;
/// use kafkit_client::admin::CreateTopicsOptions;
///
/// let check = CreateTopicsOptions { validate_only: true, timeout: Some(Duration::from_secs(5)) };
/// assert!(!CreateTopicsOptions::default().validate_only);
/// # let _ = check;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateTopicsOptions {
    /// Only check that the topics could be created (names, counts, configs); create nothing.
    pub validate_only: bool,
    /// The limit of the whole operation, and what the controller is given to create them;
    /// `None`: the admin's [timeout](Admin::timeout).
    pub timeout: Option<Duration>,
}

/// A topic the cluster created (or, with `validate_only`, would create).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use kafkit_client::admin::{Admin, CreateTopicsOptions, NewTopic};
/// use kafkit_client::ClientConfig;
///
/// let cluster = kafkit_mock::MockCluster::builder().brokers(3).default_partitions(6).start().await?;
/// let admin = Admin::connect(ClientConfig::new([cluster.bootstrap()])).await?;
/// let created = admin.create_topics(vec![NewTopic::with_broker_defaults("quotes")], &Default::default()).await?;
/// let quotes = created[0].result.as_ref().unwrap();
/// assert_eq!(quotes.partitions, Some(6), "the broker's default, as it answered");
/// assert!(quotes.topic_id.is_some());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedTopic {
    /// Its id, when the broker reports it (CreateTopics v7+, not with `validate_only`).
    pub topic_id: Option<Uuid>,
    /// Its partition count: the broker's answer (v5+), else what was asked for.
    pub partitions: Option<i32>,
    /// Its replication factor: the broker's answer (v5+), else what was asked for.
    pub replication_factor: Option<i16>,
}

/// One topic's answer in one round.
enum Answer<T> {
    /// Final.
    Done(Result<T>),
    /// Ask again (the broker was not the controller, or left the topic out).
    Retry(Error),
}

/// `what ... (the broker's message)`, when the broker said more than the code's meaning.
fn with_detail(what: String, code: ErrorCode, message: Option<&String>) -> String {
    match message.filter(|m| !m.is_empty() && m.as_str() != code.description()) {
        Some(m) => format!("{what} ({m})"),
        None => what,
    }
}

/// The answer for a topic whose error code is `code`.
fn answer<T>(what: String, code: ErrorCode, message: Option<&String>, ok: impl FnOnce() -> T) -> Answer<T> {
    if code.is_ok() {
        return Answer::Done(Ok(ok()));
    }
    let error = Error::kafka(code, with_detail(what, code, message));
    if code == ErrorCode::NOT_CONTROLLER {
        Answer::Retry(error)
    } else {
        Answer::Done(Err(error))
    }
}

/// Each name once, in the order first given.
fn dedup(names: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = HashSet::new();
    names.into_iter().filter(|n| seen.insert(n.clone())).collect()
}

impl Admin {
    /// Creates `topics` (Java's `createTopics`), asking the controller; each topic gets its own
    /// [`Outcome`], in the order given (a name given twice is created once, as in Java). A
    /// topic that exists already fails with TOPIC_ALREADY_EXISTS, a bad name with
    /// INVALID_TOPIC_EXCEPTION, an impossible replication factor with
    /// INVALID_REPLICATION_FACTOR. NOT_CONTROLLER is retried after a metadata refresh until
    /// the timeout; a topic still unanswered then fails with [`Error::TimedOut`]. The outer
    /// error is a failure of the request as a whole that retrying cannot fix (the broker
    /// speaks no CreateTopics version kafkit does, or `validate_only` on a v0 broker).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use kafkit_client::admin::{Admin, CreateTopicsOptions, NewTopic};
    /// use kafkit_client::protocol::ErrorCode;
    /// use kafkit_client::ClientConfig;
    ///
    /// let cluster = kafkit_mock::MockCluster::builder().brokers(2).auto_create_topics(false).start().await?;
    /// let admin = Admin::connect(ClientConfig::new([cluster.bootstrap()])).await?;
    /// let check = CreateTopicsOptions { validate_only: true, ..Default::default() };
    /// let checked = admin.create_topics(vec![NewTopic::new("quotes", 2, 3)], &check).await?;
    /// assert_eq!(checked[0].error_code(), Some(ErrorCode::INVALID_REPLICATION_FACTOR), "2 brokers only");
    ///
    /// let created = admin
    ///     .create_topics(
    ///         vec![NewTopic::new("quotes", 2, 2).config("retention.ms", "60000"), NewTopic::new("bad/name", 1, 1)],
    ///         &CreateTopicsOptions::default(),
    ///     )
    ///     .await?;
    /// assert_eq!((created[0].name.as_str(), created[0].is_ok()), ("quotes", true));
    /// assert_eq!(created[1].error_code(), Some(ErrorCode::INVALID_TOPIC_EXCEPTION));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_topics(
        &self,
        topics: Vec<NewTopic>,
        options: &CreateTopicsOptions,
    ) -> Result<Vec<Outcome<CreatedTopic>>> {
        let timeout = options.timeout.unwrap_or(self.timeout).max(super::MIN_WAIT);
        let names = dedup(topics.iter().map(|t| t.name.clone()));
        let topics = &topics;
        let validate_only = options.validate_only;
        self.on_controller("creating topics", names, timeout, |conn, pending, deadline| async move {
            let version = conn.version_of::<CreateTopicsRequest>()?;
            if validate_only && version < FIRST_VALIDATE_ONLY_VERSION {
                return Err(Error::kafka(
                    ErrorCode::UNSUPPORTED_VERSION,
                    format!(
                        "validating topics on broker {}, which speaks CreateTopics v0 only (no validate_only)",
                        conn.addr()
                    ),
                ));
            }
            let mut answers = Vec::new();
            let mut request =
                CreateTopicsRequest { validate_only, timeout_ms: broker_timeout_ms(deadline), ..Default::default() };
            for name in &pending {
                let Some(t) = topics.iter().find(|t| &t.name == name) else { continue };
                if version < FIRST_DEFAULTS_VERSION && (t.partitions.is_none() || t.replication_factor.is_none()) {
                    let error = Error::kafka(
                        ErrorCode::UNSUPPORTED_VERSION,
                        format!(
                            "creating topic {name}: broker {} speaks CreateTopics up to v{version}, which cannot \
                             leave the partition count or replication factor to the broker; give both",
                            conn.addr()
                        ),
                    );
                    answers.push((name.clone(), Answer::Done(Err(error))));
                    continue;
                }
                request.topics.push(CreatableTopic {
                    name: t.name.clone(),
                    num_partitions: t.partitions.unwrap_or(-1),
                    replication_factor: t.replication_factor.unwrap_or(-1),
                    configs: t
                        .configs
                        .iter()
                        .map(|(k, v)| CreatableTopicConfig {
                            name: k.clone(),
                            value: Some(v.clone()),
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                });
            }
            if request.topics.is_empty() {
                return Ok(answers);
            }
            let wait = deadline.saturating_duration_since(Instant::now()).max(super::MIN_WAIT);
            let response = conn.send_with(&request, version, wait).await?;
            for asked in &request.topics {
                let name = &asked.name;
                let what = || format!("creating topic {name}");
                let found = response.topics.iter().find(|r| &r.name == name);
                let a = match found {
                    None => Answer::Retry(Error::kafka(
                        ErrorCode::UNKNOWN_SERVER_ERROR,
                        format!("{}: the broker left it out of its answer", what()),
                    )),
                    Some(r) => {
                        answer(what(), ErrorCode::from_i16(r.error_code), r.error_message.as_ref(), || CreatedTopic {
                            topic_id: (!r.topic_id.is_zero()).then_some(r.topic_id),
                            partitions: if r.num_partitions > 0 {
                                Some(r.num_partitions)
                            } else {
                                (asked.num_partitions > 0).then_some(asked.num_partitions)
                            },
                            replication_factor: if r.replication_factor > 0 {
                                Some(r.replication_factor)
                            } else {
                                (asked.replication_factor > 0).then_some(asked.replication_factor)
                            },
                        })
                    }
                };
                answers.push((name.clone(), a));
            }
            Ok(answers)
        })
        .await
    }

    /// Deletes the topics named (Java's `deleteTopics`), asking the controller; each gets its
    /// own [`Outcome`], in the order given. A topic the cluster does not know fails with
    /// UNKNOWN_TOPIC_OR_PARTITION. Retries and the outer error are as for
    /// [`create_topics`](Admin::create_topics).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use kafkit_client::admin::Admin;
    /// use kafkit_client::protocol::ErrorCode;
    /// use kafkit_client::ClientConfig;
    ///
    /// let cluster = kafkit_mock::MockCluster::builder().auto_create_topics(false).start().await?;
    /// cluster.create_topic("quotes", 1)?;
    /// let admin = Admin::connect(ClientConfig::new([cluster.bootstrap()])).await?;
    /// let deleted = admin.delete_topics(&["quotes", "nope"]).await?;
    /// assert!(deleted[0].is_ok());
    /// assert_eq!(deleted[1].error_code(), Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION));
    /// assert!(admin.metadata(None).await?.topic("quotes").is_none());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn delete_topics<S: AsRef<str>>(&self, names: &[S]) -> Result<Vec<Outcome<()>>> {
        let names = dedup(names.iter().map(|n| n.as_ref().to_string()));
        self.on_controller("deleting topics", names, self.timeout, |conn, pending, deadline| async move {
            let version = conn.version_of::<DeleteTopicsRequest>()?;
            let mut request = DeleteTopicsRequest { timeout_ms: broker_timeout_ms(deadline), ..Default::default() };
            if version >= 6 {
                request.topics =
                    pending.iter().map(|n| DeleteTopicState { name: Some(n.clone()), ..Default::default() }).collect();
            } else {
                request.topic_names = pending.clone();
            }
            let wait = deadline.saturating_duration_since(Instant::now()).max(super::MIN_WAIT);
            let response = conn.send_with(&request, version, wait).await?;
            let answers = pending
                .into_iter()
                .map(|name| {
                    let what = format!("deleting topic {name}");
                    let a = match response.responses.iter().find(|r| r.name.as_deref() == Some(name.as_str())) {
                        None => Answer::Retry(Error::kafka(
                            ErrorCode::UNKNOWN_SERVER_ERROR,
                            format!("{what}: the broker left it out of its answer"),
                        )),
                        Some(r) => answer(what, ErrorCode::from_i16(r.error_code), r.error_message.as_ref(), || ()),
                    };
                    (name, a)
                })
                .collect();
            Ok(answers)
        })
        .await
    }

    /// Runs rounds of `send` (a request for the topics still pending, to the controller) until
    /// every topic has a final answer or `timeout` passes. A retriable failure of the whole
    /// request is retried after a backoff (refreshing the metadata if it says so); another is
    /// returned.
    async fn on_controller<T, F, Fut>(
        &self,
        what: &str,
        names: Vec<String>,
        timeout: Duration,
        mut send: F,
    ) -> Result<Vec<Outcome<T>>>
    where
        F: FnMut(Connection, Vec<String>, Instant) -> Fut,
        Fut: Future<Output = Result<Vec<(String, Answer<T>)>>>,
    {
        let deadline = Instant::now() + timeout;
        let mut backoff = Self::backoff();
        let mut done: Vec<Option<Result<T>>> = names.iter().map(|_| None).collect();
        let mut last: Option<Error> = None;
        // Errors a topic met in the last round (NOT_CONTROLLER, left out), for its timeout.
        let mut topic_errors: Vec<Option<Error>> = names.iter().map(|_| None).collect();
        loop {
            let pending: Vec<String> =
                names.iter().zip(&done).filter(|(_, d)| d.is_none()).map(|(n, _)| n.clone()).collect();
            if pending.is_empty() {
                break;
            }
            let round = async {
                let controller = self.controller().await?;
                let conn = self.client.connection(controller).await?;
                send(conn, pending, deadline).await
            };
            let mut refresh = false;
            match tokio::time::timeout_at(deadline, round).await {
                Err(_) => break,
                Ok(Ok(answers)) => {
                    for (name, a) in answers {
                        let Some(i) = names.iter().position(|n| *n == name) else { continue };
                        match a {
                            Answer::Done(r) => done[i] = Some(r),
                            Answer::Retry(e) => {
                                debug!("{what}: {e}; retrying");
                                refresh |= e.code() == Some(ErrorCode::NOT_CONTROLLER);
                                topic_errors[i] = Some(e);
                            }
                        }
                    }
                }
                Ok(Err(e)) if is_retriable(&e) => {
                    debug!("{what} failed: {e}; retrying");
                    refresh |= e.invalidates_metadata() || e.code() == Some(ErrorCode::NOT_CONTROLLER);
                    last = Some(e);
                }
                Ok(Err(e)) => return Err(e),
            }
            if done.iter().all(Option::is_some) {
                break;
            }
            if refresh {
                // The next round asks the controller the fresh metadata names.
                if let Ok(Err(e)) = tokio::time::timeout_at(deadline, self.client.refresh_metadata()).await {
                    debug!("{what}: refreshing the metadata failed: {e}");
                }
            }
            if !backoff.sleep_before(deadline).await {
                break;
            }
        }
        Ok(names
            .into_iter()
            .zip(done)
            .zip(topic_errors)
            .map(|((name, d), topic_error)| {
                let result = d.unwrap_or_else(|| {
                    let about = format!("{what}: {name}");
                    Err(timed_out(&about, timeout, topic_error.or_else(|| last.clone())))
                });
                Outcome { name, result }
            })
            .collect())
    }

    /// The controller's node id from the client's metadata, or any broker when it names none
    /// (or one not among its brokers).
    async fn controller(&self) -> Result<i32> {
        let mut md = self.client.metadata();
        if md.brokers().next().is_none() {
            md = self.client.refresh_metadata().await?;
        }
        if let Some(id) = md.controller.filter(|id| md.broker(*id).is_some()) {
            return Ok(id);
        }
        let ids: Vec<i32> = md.brokers().map(|b| b.id).collect();
        match ids.get(fastrand::usize(..ids.len().max(1))) {
            Some(id) => Ok(*id),
            None => Err(Error::kafka(ErrorCode::BROKER_NOT_AVAILABLE, "finding the controller: no broker is known")),
        }
    }
}

/// What the controller is given to finish (Kafka's `timeoutMs`): most of the time left, so
/// that its own timeout answer arrives before the operation's deadline.
fn broker_timeout_ms(deadline: Instant) -> i32 {
    let left = deadline.saturating_duration_since(Instant::now()).mul_f64(0.9);
    i32::try_from(left.as_millis()).unwrap_or(i32::MAX).max(1)
}
