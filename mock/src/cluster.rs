//! The cluster: its shared state, and [`MockCluster`], the handle a test holds.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kafkit_protocol::header::RequestHeader;
use kafkit_protocol::messages::RequestBody;
use kafkit_protocol::record::{Batch, Batches, Record, RecordBatch};
use kafkit_protocol::ApiKey;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};

use crate::faults::{Fault, Faults};
use crate::group::{GroupInfo, Groups};
use crate::state::{BrokerInfo, State};

/// Errors of the test-facing API.
#[derive(Debug)]
#[non_exhaustive]
pub enum MockError {
    /// Binding a listener failed.
    Io(std::io::Error),
    /// No broker with this id.
    UnknownBroker(i32),
    /// No such topic or partition.
    UnknownPartition(String, i32),
    /// The topic exists already.
    TopicExists(String),
}

impl std::fmt::Display for MockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MockError::Io(e) => write!(f, "mock cluster I/O error: {e}"),
            MockError::UnknownBroker(id) => write!(f, "the mock cluster has no broker {id}"),
            MockError::UnknownPartition(t, p) => write!(f, "the mock cluster has no partition {t}[{p}]"),
            MockError::TopicExists(t) => write!(f, "topic {t} exists already"),
        }
    }
}

impl std::error::Error for MockError {}

impl From<std::io::Error> for MockError {
    fn from(e: std::io::Error) -> Self {
        MockError::Io(e)
    }
}

/// How the cluster behaves; set with [`MockClusterBuilder`].
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub brokers: usize,
    pub auto_create_topics: bool,
    pub default_partitions: usize,
    pub default_replication: usize,
    pub duplicate_sequence_error: bool,
    /// ApiVersions ranges that replace the defaults: (api, min, max).
    pub advertised_versions: Vec<(ApiKey, i16, i16)>,
    pub group_min_session_timeout: Duration,
    pub group_max_session_timeout: Duration,
    pub group_initial_rebalance_delay: Duration,
}

/// Builds a [`MockCluster`].
#[derive(Debug, Clone)]
pub struct MockClusterBuilder {
    config: Config,
    cluster_id: String,
}

impl Default for MockClusterBuilder {
    fn default() -> Self {
        Self {
            config: Config {
                brokers: 1,
                auto_create_topics: true,
                default_partitions: 1,
                default_replication: 3,
                duplicate_sequence_error: false,
                advertised_versions: Vec::new(),
                group_min_session_timeout: Duration::from_millis(1000),
                group_max_session_timeout: Duration::from_secs(300),
                group_initial_rebalance_delay: Duration::ZERO,
            },
            cluster_id: "kafkit-mock-cluster".into(),
        }
    }
}

impl MockClusterBuilder {
    /// Number of brokers (ids 1..=n), each on its own free loopback port. Default 1.
    #[must_use]
    pub fn brokers(mut self, n: usize) -> Self {
        self.config.brokers = n.max(1);
        self
    }

    /// Whether Metadata requests that allow it create unknown topics. Default true.
    #[must_use]
    pub fn auto_create_topics(mut self, on: bool) -> Self {
        self.config.auto_create_topics = on;
        self
    }

    /// Partitions of auto-created topics and of CreateTopics asking for the default. Default 1.
    #[must_use]
    pub fn default_partitions(mut self, n: usize) -> Self {
        self.config.default_partitions = n.max(1);
        self
    }

    /// Replicas of auto-created topics (capped by the broker count), so that a stopped broker's
    /// partitions fail over. Default 3.
    #[must_use]
    pub fn default_replication(mut self, n: usize) -> Self {
        self.config.default_replication = n.max(1);
        self
    }

    /// Answer a duplicate idempotent batch with DUPLICATE_SEQUENCE_NUMBER (as Tansu does)
    /// instead of success with the original offset (as Kafka does). Default false.
    #[must_use]
    pub fn duplicate_sequence_error(mut self, on: bool) -> Self {
        self.config.duplicate_sequence_error = on;
        self
    }

    /// Advertise only versions `min..=max` of `api` in ApiVersions responses, as an older (or
    /// newer) broker would. Only what is advertised changes: requests are answered as before,
    /// except that Produce below v3 is always refused with UNSUPPORTED_VERSION.
    #[must_use]
    pub fn advertise_versions(mut self, api: ApiKey, min: i16, max: i16) -> Self {
        self.config.advertised_versions.retain(|(a, _, _)| *a != api);
        self.config.advertised_versions.push((api, min, max));
        self
    }

    /// The session timeouts a group accepts (`group.min/max.session.timeout.ms`). Default 1 s..300 s.
    #[must_use]
    pub fn group_session_timeouts(mut self, min: Duration, max: Duration) -> Self {
        self.config.group_min_session_timeout = min;
        self.config.group_max_session_timeout = max;
        self
    }

    /// How long a new group waits for more members before its first rebalance completes
    /// (`group.initial.rebalance.delay.ms`). Default 0.
    #[must_use]
    pub fn group_initial_rebalance_delay(mut self, d: Duration) -> Self {
        self.config.group_initial_rebalance_delay = d;
        self
    }

    /// The cluster id in Metadata responses.
    #[must_use]
    pub fn cluster_id(mut self, id: &str) -> Self {
        self.cluster_id = id.into();
        self
    }

    /// Binds the brokers and starts serving. Must be called within a tokio runtime.
    pub async fn start(self) -> Result<MockCluster, MockError> {
        let cluster = Arc::new(Cluster::new(self.config.clone(), self.cluster_id));
        let handle = MockCluster { cluster, listeners: Mutex::new(HashMap::new()) };
        for id in 1..=self.config.brokers as i32 {
            let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
            let addr = listener.local_addr()?;
            handle
                .cluster
                .state
                .lock()
                .unwrap()
                .brokers
                .insert(id, BrokerInfo { host: addr.ip().to_string(), port: addr.port(), rack: None, up: true });
            handle.cluster.kill.lock().unwrap().insert(id, watch::channel(0).0);
            handle.spawn_listener(id, listener);
        }
        Ok(handle)
    }
}

/// A request as a broker received it.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    /// The broker that received it.
    pub broker: i32,
    /// When.
    pub at: Instant,
    /// Its header.
    pub header: RequestHeader,
    /// Its body.
    pub body: RequestBody,
}

impl LoggedRequest {
    /// The API of the request.
    pub fn api(&self) -> ApiKey {
        self.body.api_key()
    }
}

/// The state every broker task shares.
pub(crate) struct Cluster {
    pub config: Config,
    pub state: Mutex<State>,
    /// Woken whenever records are appended, for long-polling fetches.
    pub data_changed: Notify,
    pub faults: Faults,
    pub groups: Groups,
    log: Mutex<Vec<LoggedRequest>>,
    /// Per broker: bumping the value closes that broker's connections.
    kill: Mutex<HashMap<i32, watch::Sender<u64>>>,
}

impl Cluster {
    fn new(config: Config, cluster_id: String) -> Self {
        Self {
            groups: Groups::new(&config),
            config,
            state: Mutex::new(State::new(cluster_id)),
            data_changed: Notify::new(),
            faults: Faults::default(),
            log: Mutex::new(Vec::new()),
            kill: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn connection_killer(&self, broker: i32) -> watch::Receiver<u64> {
        self.kill.lock().unwrap().get(&broker).map(|s| s.subscribe()).unwrap_or_else(|| watch::channel(0).1)
    }

    fn kill_connections(&self, broker: i32) {
        if let Some(s) = self.kill.lock().unwrap().get(&broker) {
            s.send_modify(|v| *v += 1);
        }
    }

    pub(crate) fn record_request(&self, broker: i32, header: &RequestHeader, body: &RequestBody) {
        self.log.lock().unwrap().push(LoggedRequest {
            broker,
            at: Instant::now(),
            header: header.clone(),
            body: body.clone(),
        });
    }
}

/// An in-process Kafka cluster for tests: N brokers on loopback ports, in-memory topics, a group
/// coordinator, and fault injection. Dropping it shuts every broker down.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use kafkit_mock::{Fault, MockCluster};
/// use kafkit_protocol::{ApiKey, ErrorCode};
///
/// let cluster = MockCluster::start(3).await.unwrap();
/// cluster.create_topic("quotes", 3).unwrap();
/// // The next produce to quotes[0] fails once; a client should refresh metadata and retry.
/// cluster.inject(Fault::error(ApiKey::Produce, ErrorCode::NOT_LEADER_OR_FOLLOWER).partition("quotes", 0));
/// println!("bootstrap.servers={}", cluster.bootstrap());
/// # }
/// ```
pub struct MockCluster {
    cluster: Arc<Cluster>,
    listeners: Mutex<HashMap<i32, watch::Sender<bool>>>,
}

impl MockCluster {
    /// Starts a cluster of `brokers` brokers with the default settings.
    pub async fn start(brokers: usize) -> Result<MockCluster, MockError> {
        Self::builder().brokers(brokers).start().await
    }

    /// A builder for a cluster with other settings.
    pub fn builder() -> MockClusterBuilder {
        MockClusterBuilder::default()
    }

    fn spawn_listener(&self, id: i32, listener: TcpListener) {
        let (stop_tx, stop_rx) = watch::channel(false);
        self.listeners.lock().unwrap().insert(id, stop_tx);
        tokio::spawn(crate::broker::serve(self.cluster.clone(), id, listener, stop_rx));
    }

    /// The bootstrap list: every broker's `host:port`, comma-separated.
    pub fn bootstrap(&self) -> String {
        self.broker_addrs().iter().map(|a| a.to_string()).collect::<Vec<_>>().join(",")
    }

    /// Every broker's address, by id order.
    pub fn broker_addrs(&self) -> Vec<SocketAddr> {
        let st = self.cluster.state.lock().unwrap();
        st.brokers.values().map(|b| SocketAddr::new(b.host.parse().unwrap(), b.port)).collect()
    }

    /// The broker ids.
    pub fn broker_ids(&self) -> Vec<i32> {
        self.cluster.state.lock().unwrap().brokers.keys().copied().collect()
    }

    /// Creates a topic with `partitions` partitions, leaders spread over the brokers.
    pub fn create_topic(&self, name: &str, partitions: usize) -> Result<(), MockError> {
        let mut st = self.cluster.state.lock().unwrap();
        if st.topics.contains_key(name) {
            return Err(MockError::TopicExists(name.into()));
        }
        st.create_topic(name, partitions.max(1), self.cluster.config.default_replication);
        Ok(())
    }

    /// Arms a fault (see [`Fault`]).
    pub fn inject(&self, fault: Fault) {
        self.cluster.faults.arm(fault);
    }

    /// Disarms every fault.
    pub fn clear_faults(&self) {
        self.cluster.faults.clear();
    }

    /// Closes every open connection to `broker` now (the broker keeps accepting new ones).
    pub fn drop_connections(&self, broker: i32) {
        self.cluster.kill_connections(broker);
    }

    /// Takes a broker down: its listener closes, its connections drop, it leaves the metadata,
    /// and each partition it led fails over to another live replica (or has no leader).
    pub fn stop_broker(&self, id: i32) -> Result<(), MockError> {
        let stop = self.listeners.lock().unwrap().remove(&id).ok_or(MockError::UnknownBroker(id))?;
        let _ = stop.send(true);
        self.cluster.kill_connections(id);
        let mut st = self.cluster.state.lock().unwrap();
        st.brokers.get_mut(&id).ok_or(MockError::UnknownBroker(id))?.up = false;
        let up = st.up_brokers();
        for topic in st.topics.values_mut() {
            for p in &mut topic.partitions {
                if p.leader == id {
                    p.leader = p.replicas.iter().copied().find(|r| up.contains(r)).unwrap_or(-1);
                    p.leader_epoch += 1;
                }
            }
        }
        drop(st);
        self.cluster.groups.broker_stopped(id);
        Ok(())
    }

    /// Brings a stopped broker back on its old port. Leadership does not move back by itself.
    pub async fn start_broker(&self, id: i32) -> Result<(), MockError> {
        let port = {
            let st = self.cluster.state.lock().unwrap();
            let b = st.brokers.get(&id).ok_or(MockError::UnknownBroker(id))?;
            if b.up {
                return Ok(());
            }
            b.port
        };
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        self.cluster.state.lock().unwrap().brokers.get_mut(&id).unwrap().up = true;
        // Partitions left without a leader get this broker back if it is a replica.
        let mut st = self.cluster.state.lock().unwrap();
        for topic in st.topics.values_mut() {
            for p in &mut topic.partitions {
                if p.leader == -1 && p.replicas.contains(&id) {
                    p.leader = id;
                    p.leader_epoch += 1;
                }
            }
        }
        drop(st);
        self.spawn_listener(id, listener);
        Ok(())
    }

    /// Moves a partition's leadership to broker `to` (adding it to the replicas if needed) and
    /// bumps the leader epoch, as a reassignment or preferred-leader election does.
    pub fn move_leader(&self, topic: &str, partition: i32, to: i32) -> Result<(), MockError> {
        let mut st = self.cluster.state.lock().unwrap();
        if !st.brokers.contains_key(&to) {
            return Err(MockError::UnknownBroker(to));
        }
        let p =
            st.partition_mut(topic, partition).ok_or_else(|| MockError::UnknownPartition(topic.into(), partition))?;
        if !p.replicas.contains(&to) {
            p.replicas.push(to);
        }
        p.leader = to;
        p.leader_epoch += 1;
        Ok(())
    }

    /// The current leader of a partition (-1 if none).
    pub fn leader(&self, topic: &str, partition: i32) -> Option<i32> {
        self.cluster.state.lock().unwrap().partition(topic, partition).map(|p| p.leader)
    }

    /// Every request the brokers have received so far, in arrival order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.cluster.log.lock().unwrap().clone()
    }

    /// The requests of one API.
    pub fn requests_of(&self, api: ApiKey) -> Vec<LoggedRequest> {
        self.cluster.log.lock().unwrap().iter().filter(|r| r.api() == api).cloned().collect()
    }

    /// The encoded data batches of a partition (transaction markers skipped), in log order.
    fn data_batch_bytes(&self, topic: &str, partition: i32) -> Result<Vec<bytes::Bytes>, MockError> {
        let st = self.cluster.state.lock().unwrap();
        let p = st.partition(topic, partition).ok_or_else(|| MockError::UnknownPartition(topic.into(), partition))?;
        Ok(p.log.iter().filter(|b| !b.control).map(|b| b.bytes.clone()).collect())
    }

    /// The records stored in a partition (data records only; transaction markers are skipped).
    pub fn records(&self, topic: &str, partition: i32) -> Result<Vec<Record>, MockError> {
        let mut out = Vec::new();
        for b in self.data_batch_bytes(topic, partition)? {
            for batch in Batches::new(b) {
                let batch = batch.expect("stored batches were validated on produce");
                out.extend(batch.records().expect("stored batches decode").map(|r| r.expect("stored records decode")));
            }
        }
        Ok(out)
    }

    /// The record batches stored in a partition, data batches only, in log order: the base offset
    /// and leader epoch the log assigned, and the producer id, epoch and base sequence as the
    /// producer wrote them (what a test of an idempotent producer checks).
    pub fn batches(&self, topic: &str, partition: i32) -> Result<Vec<RecordBatch>, MockError> {
        let mut out = Vec::new();
        for b in self.data_batch_bytes(topic, partition)? {
            for batch in Batches::new(b) {
                match batch.expect("stored batches were validated on produce") {
                    Batch::V2(b) => out.push(b),
                    Batch::Legacy(_) => unreachable!("the mock stores record batches v2 only"),
                }
            }
        }
        Ok(out)
    }

    /// A partition's high watermark (the offset the next record gets).
    pub fn high_watermark(&self, topic: &str, partition: i32) -> Option<i64> {
        self.cluster.state.lock().unwrap().partition(topic, partition).map(|p| p.high_watermark())
    }

    /// A consumer group's state, members and generation.
    pub fn group(&self, group_id: &str) -> Option<GroupInfo> {
        self.cluster.groups.info(group_id)
    }

    /// A group's committed offset for a partition.
    pub fn committed_offset(&self, group_id: &str, topic: &str, partition: i32) -> Option<i64> {
        self.cluster.groups.committed(group_id, topic, partition)
    }

    /// Stops every broker.
    pub fn shutdown(&self) {
        let ids: Vec<i32> = self.listeners.lock().unwrap().keys().copied().collect();
        for id in ids {
            if let Some(stop) = self.listeners.lock().unwrap().remove(&id) {
                let _ = stop.send(true);
            }
            self.cluster.kill_connections(id);
        }
    }
}

impl Drop for MockCluster {
    fn drop(&mut self) {
        self.shutdown();
    }
}
