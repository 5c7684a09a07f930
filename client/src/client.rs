//! The cluster client: bootstrap, the connection pool, and the metadata kept fresh.

mod pool;
mod refresh;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use kafkit_protocol::ErrorCode;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::config::ClientConfig;
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::metadata::Metadata;
use pool::Pool;

/// What the client's handles and its background task share.
struct Shared {
    config: ClientConfig,
    metadata: ArcSwap<Metadata>,
    /// The topics whose metadata every refresh asks for.
    topics: Mutex<BTreeSet<String>>,
    pool: Pool,
}

/// Stops the background task when the last handle goes.
struct Background {
    refresh: mpsc::UnboundedSender<refresh::RefreshRequest>,
    shutdown: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// A client of one Kafka cluster: bootstraps, keeps one connection per broker, and keeps the
/// cluster metadata fresh (every `metadata_max_age`, and when a caller reports it stale with
/// [`Client::invalidate`]). Cheap to clone; the background task stops when the last clone is
/// dropped or at [`Client::shutdown`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use kafkit_client::{Client, ClientConfig};
/// use kafkit_client::protocol::messages::ListOffsetsRequest;
///
/// let cluster = kafkit_mock::MockCluster::start(3).await?;
/// cluster.create_topic("quotes", 2)?;
///
/// let client = Client::connect(ClientConfig::new([cluster.bootstrap()])).await?;
/// let metadata = client.metadata_for(&["quotes"]).await?;
/// assert_eq!(metadata.topic("quotes").unwrap().partitions.len(), 2);
///
/// let leader = client.leader_for("quotes", 1).await?;
/// assert_eq!(leader.broker_id(), cluster.leader("quotes", 1));
/// assert!(leader.version_of::<ListOffsetsRequest>()? >= 1);
/// client.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
    background: Arc<Background>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("bootstrap_servers", &self.shared.config.bootstrap_servers).finish()
    }
}

impl Client {
    /// Validates `config`, fetches the cluster's metadata from one of the bootstrap servers
    /// (tried in random order; [`Error::NoBrokerAvailable`] lists every failure if none
    /// answers) and starts the background refresh.
    pub async fn connect(config: ClientConfig) -> Result<Client> {
        config.validate_for_client()?;
        let shared = Arc::new(Shared {
            pool: Pool::new(&config),
            config,
            metadata: ArcSwap::from_pointee(Metadata::default()),
            topics: Mutex::new(BTreeSet::new()),
        });
        let first = refresh::bootstrap(&shared, &[]).await?;
        shared.metadata.store(Arc::new(first));
        let (tx, rx) = mpsc::unbounded_channel();
        let (shutdown, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(refresh::run(shared.clone(), rx, shutdown_rx));
        Ok(Client { shared, background: Arc::new(Background { refresh: tx, shutdown, task: Mutex::new(Some(task)) }) })
    }

    /// The configuration the client runs with.
    pub fn config(&self) -> &ClientConfig {
        &self.shared.config
    }

    /// The current metadata snapshot (no I/O, no lock).
    pub fn metadata(&self) -> Arc<Metadata> {
        self.shared.metadata.load_full()
    }

    /// The current metadata snapshot without touching its reference count (for hot paths
    /// that look at it briefly).
    pub(crate) fn metadata_snapshot(&self) -> arc_swap::Guard<Arc<Metadata>> {
        self.shared.metadata.load()
    }

    /// Refreshes the metadata now (joining a refresh that is already queued, so that many
    /// callers cause one request) and returns the new snapshot.
    pub async fn refresh_metadata(&self) -> Result<Arc<Metadata>> {
        let (tx, rx) = oneshot::channel();
        self.background.refresh.send(Some(tx)).map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }

    /// Asks for a refresh without waiting for it: what a caller does when a response says the
    /// metadata is stale ([`ErrorCode::invalidates_metadata`], a lost connection).
    pub fn invalidate(&self) {
        let _ = self.background.refresh.send(None);
    }

    /// The metadata including `topics` (which every later refresh also covers): the current
    /// snapshot if it already has them, otherwise a refreshed one. A topic the cluster does not
    /// know is in the snapshot with its error (e.g. UNKNOWN_TOPIC_OR_PARTITION).
    pub async fn metadata_for(&self, topics: &[&str]) -> Result<Arc<Metadata>> {
        let added = {
            let mut set = self.shared.topics.lock().unwrap();
            let mut added = false;
            for t in topics {
                added |= set.insert((*t).to_string());
            }
            added
        };
        let current = self.metadata();
        if !added && topics.iter().all(|t| current.topic(t).is_some()) {
            return Ok(current);
        }
        self.refresh_metadata().await
    }

    /// A connection to broker `broker_id` (created on demand, replaced when dead, with
    /// backoff between failed attempts).
    pub async fn connection(&self, broker_id: i32) -> Result<Connection> {
        let addr = self.shared.metadata.load().broker(broker_id).map(|b| b.addr());
        let addr = match addr {
            Some(a) => a,
            None => {
                return Err(Error::kafka(
                    ErrorCode::BROKER_NOT_AVAILABLE,
                    format!("broker {broker_id} is not in the cluster metadata"),
                ))
            }
        };
        self.shared.pool.get(broker_id, &addr).await
    }

    /// The live connection to broker `broker_id`, if one is open: never connects, never waits.
    /// The producer's sender uses it so that one slow connection attempt does not hold up the
    /// other brokers; it connects with [`Client::connection`] on a separate task.
    pub fn live_connection(&self, broker_id: i32) -> Option<Connection> {
        let addr = self.shared.metadata.load().broker(broker_id).map(|b| b.addr())?;
        self.shared.pool.live(broker_id, &addr)
    }

    /// The connection to the leader of `topic`/`partition`, fetching the topic's metadata
    /// first if the snapshot lacks it. A partition without a leader is a retriable
    /// LEADER_NOT_AVAILABLE error (invalidate and retry); an unknown topic or partition is
    /// UNKNOWN_TOPIC_OR_PARTITION.
    pub async fn leader_for(&self, topic: &str, partition: i32) -> Result<Connection> {
        let md = self.metadata_for(&[topic]).await?;
        let context = || format!("finding the leader of {topic}-{partition}");
        let t = md.topic(topic).ok_or_else(|| Error::kafka(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, context()))?;
        if !t.error.is_ok() {
            return Err(Error::kafka(t.error, context()));
        }
        let p = t.partition(partition).ok_or_else(|| Error::kafka(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, context()))?;
        let leader = p.leader.ok_or_else(|| Error::kafka(ErrorCode::LEADER_NOT_AVAILABLE, context()))?;
        self.connection(leader).await
    }

    /// Stops the background refresh and closes every pooled connection (requests in flight
    /// fail with [`Error::Closed`]). Other clones of this client fail with `Closed` afterwards.
    pub async fn shutdown(&self) {
        let _ = self.background.shutdown.send(true);
        let task = self.background.task.lock().unwrap().take();
        if let Some(task) = task {
            let _ = task.await;
        }
        self.shared.pool.close_all();
    }
}
