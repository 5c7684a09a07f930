//! An immutable snapshot of the cluster's metadata.
//!
//! A [`Client`](crate::Client) keeps the current snapshot behind an
//! [`ArcSwap`](arc_swap::ArcSwap): readers load an `Arc<Metadata>` without locking, and a
//! refresh builds a new snapshot and swaps it in whole.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use kafkit_protocol::codec::Uuid;
use kafkit_protocol::messages::MetadataResponse;
use kafkit_protocol::ErrorCode;

/// A broker as the metadata describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerInfo {
    /// The broker's node id.
    pub id: i32,
    /// Its advertised host.
    pub host: String,
    /// Its advertised port.
    pub port: u16,
    /// Its rack, if it has one.
    pub rack: Option<String>,
}

impl BrokerInfo {
    /// `host:port`, as a connection address (IPv6 hosts in brackets).
    pub fn addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// One partition of a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionInfo {
    /// The partition index.
    pub partition: i32,
    /// The leader's node id, `None` while the partition has no leader.
    pub leader: Option<i32>,
    /// The leader epoch (-1 if the broker does not report it).
    pub leader_epoch: i32,
    /// The replicas' node ids.
    pub replicas: Vec<i32>,
    /// The in-sync replicas' node ids.
    pub isr: Vec<i32>,
    /// Replicas that are offline.
    pub offline_replicas: Vec<i32>,
    /// The partition's error (e.g. LEADER_NOT_AVAILABLE), NONE if all is well.
    pub error: ErrorCode,
}

/// One topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    /// The topic name.
    pub name: String,
    /// The topic id ([`Uuid::ZERO`] if the broker does not report ids).
    pub topic_id: Uuid,
    /// Whether it is an internal topic (such as `__consumer_offsets`).
    pub is_internal: bool,
    /// The topic's error (e.g. UNKNOWN_TOPIC_OR_PARTITION), NONE if all is well.
    pub error: ErrorCode,
    /// The partitions, sorted by index.
    pub partitions: Vec<PartitionInfo>,
}

impl TopicInfo {
    /// A partition by index.
    pub fn partition(&self, partition: i32) -> Option<&PartitionInfo> {
        match self.partitions.binary_search_by_key(&partition, |p| p.partition) {
            Ok(i) => Some(&self.partitions[i]),
            Err(_) => None,
        }
    }
}

/// The cluster as one Metadata response described it.
///
/// ```
/// use kafkit_client::Metadata;
/// use kafkit_client::protocol::messages::MetadataResponse;
/// use kafkit_client::protocol::messages::metadata_response::*;
///
/// let resp = MetadataResponse {
///     brokers: vec![MetadataResponseBroker { node_id: 1, host: "b1".into(), port: 9092, rack: None, ..Default::default() }],
///     controller_id: 1,
///     topics: vec![MetadataResponseTopic {
///         name: Some("quotes".into()),
///         partitions: vec![MetadataResponsePartition { partition_index: 0, leader_id: 1, ..Default::default() }],
///         ..Default::default()
///     }],
///     ..Default::default()
/// };
/// let md = Metadata::from_response(&resp);
/// assert_eq!(md.leader("quotes", 0).map(|b| b.addr()), Some("b1:9092".to_string()));
/// ```
#[derive(Debug, Clone)]
pub struct Metadata {
    /// The cluster id, if the broker reports it.
    pub cluster_id: Option<String>,
    /// The controller's node id, if known.
    pub controller: Option<i32>,
    brokers: BTreeMap<i32, BrokerInfo>,
    topics: HashMap<String, TopicInfo>,
    /// When this snapshot was received.
    pub fetched_at: Instant,
}

impl Default for Metadata {
    fn default() -> Self {
        Metadata {
            cluster_id: None,
            controller: None,
            brokers: BTreeMap::new(),
            topics: HashMap::new(),
            fetched_at: Instant::now(),
        }
    }
}

impl Metadata {
    /// The snapshot a Metadata response describes. Brokers with a port outside 1–65535 and
    /// topics without a name are left out.
    pub fn from_response(resp: &MetadataResponse) -> Self {
        let brokers = resp
            .brokers
            .iter()
            .filter_map(|b| {
                let port = u16::try_from(b.port).ok().filter(|p| *p != 0)?;
                Some((b.node_id, BrokerInfo { id: b.node_id, host: b.host.clone(), port, rack: b.rack.clone() }))
            })
            .collect();
        let topics = resp
            .topics
            .iter()
            .filter_map(|t| {
                let name = t.name.clone()?;
                let mut partitions: Vec<PartitionInfo> = t
                    .partitions
                    .iter()
                    .map(|p| PartitionInfo {
                        partition: p.partition_index,
                        leader: (p.leader_id >= 0).then_some(p.leader_id),
                        leader_epoch: p.leader_epoch,
                        replicas: p.replica_nodes.clone(),
                        isr: p.isr_nodes.clone(),
                        offline_replicas: p.offline_replicas.clone(),
                        error: ErrorCode::from_i16(p.error_code),
                    })
                    .collect();
                partitions.sort_by_key(|p| p.partition);
                partitions.dedup_by_key(|p| p.partition);
                let info = TopicInfo {
                    name: name.clone(),
                    topic_id: t.topic_id,
                    is_internal: t.is_internal,
                    error: ErrorCode::from_i16(t.error_code),
                    partitions,
                };
                Some((name, info))
            })
            .collect();
        Metadata {
            cluster_id: resp.cluster_id.clone(),
            controller: (resp.controller_id >= 0).then_some(resp.controller_id),
            brokers,
            topics,
            fetched_at: Instant::now(),
        }
    }

    /// A broker by node id.
    pub fn broker(&self, id: i32) -> Option<&BrokerInfo> {
        self.brokers.get(&id)
    }

    /// Every broker, by id.
    pub fn brokers(&self) -> impl Iterator<Item = &BrokerInfo> {
        self.brokers.values()
    }

    /// A topic by name.
    pub fn topic(&self, name: &str) -> Option<&TopicInfo> {
        self.topics.get(name)
    }

    /// Every topic in the snapshot (in no particular order).
    pub fn topics(&self) -> impl Iterator<Item = &TopicInfo> {
        self.topics.values()
    }

    /// A partition.
    pub fn partition(&self, topic: &str, partition: i32) -> Option<&PartitionInfo> {
        self.topic(topic)?.partition(partition)
    }

    /// The broker leading a partition, if it has a leader the snapshot knows.
    pub fn leader(&self, topic: &str, partition: i32) -> Option<&BrokerInfo> {
        self.broker(self.partition(topic, partition)?.leader?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafkit_protocol::messages::metadata_response::*;

    fn response() -> MetadataResponse {
        let part = |i, leader, epoch| MetadataResponsePartition {
            partition_index: i,
            leader_id: leader,
            leader_epoch: epoch,
            replica_nodes: vec![1, 2],
            isr_nodes: vec![leader],
            ..Default::default()
        };
        MetadataResponse {
            brokers: vec![
                MetadataResponseBroker {
                    node_id: 1,
                    host: "b1".into(),
                    port: 9092,
                    rack: Some("r1".into()),
                    ..Default::default()
                },
                MetadataResponseBroker { node_id: 2, host: "::1".into(), port: 9093, rack: None, ..Default::default() },
                MetadataResponseBroker {
                    node_id: 3,
                    host: "bad".into(),
                    port: 70000,
                    rack: None,
                    ..Default::default()
                },
            ],
            cluster_id: Some("c".into()),
            controller_id: 2,
            topics: vec![
                MetadataResponseTopic {
                    name: Some("quotes".into()),
                    topic_id: Uuid([7; 16]),
                    // Out of order on purpose.
                    partitions: vec![part(1, 2, 5), part(0, 1, 3), part(2, -1, 4)],
                    ..Default::default()
                },
                MetadataResponseTopic {
                    name: Some("missing".into()),
                    error_code: ErrorCode::UNKNOWN_TOPIC_OR_PARTITION.code(),
                    ..Default::default()
                },
                MetadataResponseTopic { name: None, ..Default::default() },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn snapshot_queries() {
        let md = Metadata::from_response(&response());
        assert_eq!(md.controller, Some(2));
        assert_eq!(md.cluster_id.as_deref(), Some("c"));
        assert_eq!(md.brokers().map(|b| b.id).collect::<Vec<_>>(), [1, 2], "the bad port is left out");
        assert_eq!(md.broker(1).unwrap().rack.as_deref(), Some("r1"));
        assert_eq!(md.broker(2).unwrap().addr(), "[::1]:9093");
        let t = md.topic("quotes").unwrap();
        assert_eq!(t.topic_id, Uuid([7; 16]));
        assert_eq!(t.partitions.iter().map(|p| p.partition).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(md.leader("quotes", 1).unwrap().id, 2);
        assert_eq!(md.partition("quotes", 1).unwrap().leader_epoch, 5);
        assert_eq!(md.partition("quotes", 0).unwrap().isr, [1]);
        assert_eq!(md.partition("quotes", 2).unwrap().leader, None);
        assert!(md.leader("quotes", 2).is_none());
        assert!(md.partition("quotes", 3).is_none());
        assert_eq!(md.topic("missing").unwrap().error, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
        assert_eq!(md.topics().count(), 2, "the nameless topic is left out");
        assert!(md.topic("nope").is_none());
    }
}
