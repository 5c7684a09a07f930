//! The cluster's data: brokers, topics, partitions and their logs, producer ids.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use kafkit_protocol::codec::Uuid;

/// A broker as the cluster knows it.
#[derive(Debug, Clone)]
pub(crate) struct BrokerInfo {
    pub host: String,
    pub port: u16,
    pub rack: Option<String>,
    pub up: bool,
}

/// One stored batch, with the offsets the cluster assigned.
#[derive(Debug, Clone)]
pub(crate) struct StoredBatch {
    pub last_offset: i64,
    pub max_timestamp: i64,
    pub control: bool,
    /// The batch bytes as stored (base offset and leader epoch rewritten).
    pub bytes: Bytes,
}

/// What the cluster remembers of an idempotent producer on one partition.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProducerState {
    pub epoch: i16,
    /// The last (up to five) batches: (first sequence, last sequence, base offset).
    pub recent: Vec<(i32, i32, i64)>,
}

impl ProducerState {
    pub fn last_sequence(&self) -> Option<i32> {
        self.recent.last().map(|r| r.1)
    }
}

/// An aborted transaction's range on one partition, for read_committed fetches.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AbortedTxn {
    pub producer_id: i64,
    pub first_offset: i64,
    pub last_offset: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct Partition {
    pub leader: i32,
    pub leader_epoch: i32,
    pub replicas: Vec<i32>,
    pub log: Vec<StoredBatch>,
    pub log_start_offset: i64,
    /// The next offset to assign, which is also the high watermark (every replica is in sync).
    pub next_offset: i64,
    pub producers: HashMap<i64, ProducerState>,
    /// Open transactions: producer id → first offset.
    pub ongoing_txns: BTreeMap<i64, i64>,
    pub aborted: Vec<AbortedTxn>,
}

impl Partition {
    pub fn new(leader: i32, replicas: Vec<i32>) -> Self {
        Self {
            leader,
            leader_epoch: 0,
            replicas,
            log: Vec::new(),
            log_start_offset: 0,
            next_offset: 0,
            producers: HashMap::new(),
            ongoing_txns: BTreeMap::new(),
            aborted: Vec::new(),
        }
    }

    pub fn high_watermark(&self) -> i64 {
        self.next_offset
    }

    /// The first offset of the oldest open transaction, or the high watermark.
    pub fn last_stable_offset(&self) -> i64 {
        self.ongoing_txns.values().copied().min().unwrap_or(self.next_offset)
    }

    /// Index of the first stored batch that holds `offset` or anything after it.
    pub fn batch_index_from(&self, offset: i64) -> usize {
        self.log.partition_point(|b| b.last_offset < offset)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Topic {
    pub id: Uuid,
    pub partitions: Vec<Partition>,
    pub configs: BTreeMap<String, String>,
}

/// Producer ids handed out by InitProducerId.
#[derive(Debug, Default)]
pub(crate) struct Producers {
    pub next_id: i64,
    /// transactional id → (producer id, epoch).
    pub transactional: HashMap<String, (i64, i16)>,
    /// producer id → current epoch, for every id handed out.
    pub epochs: HashMap<i64, i16>,
    /// producer id → the partitions of its open transaction.
    pub txn_partitions: HashMap<i64, std::collections::BTreeSet<(String, i32)>>,
}

#[derive(Debug)]
pub(crate) struct State {
    pub cluster_id: String,
    pub brokers: BTreeMap<i32, BrokerInfo>,
    pub topics: BTreeMap<String, Topic>,
    pub producers: Producers,
    next_topic_id: u64,
    next_leader: usize,
}

impl State {
    pub fn new(cluster_id: String) -> Self {
        Self {
            cluster_id,
            brokers: BTreeMap::new(),
            topics: BTreeMap::new(),
            producers: Producers { next_id: 1000, ..Default::default() },
            next_topic_id: 1,
            next_leader: 0,
        }
    }

    pub fn up_brokers(&self) -> Vec<i32> {
        self.brokers.iter().filter(|(_, b)| b.up).map(|(id, _)| *id).collect()
    }

    /// Creates a topic with leaders spread round-robin over the brokers that are up.
    pub fn create_topic(&mut self, name: &str, partitions: usize, replication: usize) -> &Topic {
        let brokers: Vec<i32> = self.brokers.keys().copied().collect();
        let parts = (0..partitions)
            .map(|_| {
                let start = self.next_leader;
                self.next_leader = self.next_leader.wrapping_add(1);
                let replicas: Vec<i32> = (0..replication.clamp(1, brokers.len().max(1)))
                    .map(|i| brokers[(start + i) % brokers.len()])
                    .collect();
                Partition::new(replicas[0], replicas)
            })
            .collect();
        let id = Uuid::from_u64_pair(0x6b61_666b_6974_0000 | self.next_topic_id, self.next_topic_id);
        self.next_topic_id += 1;
        self.topics.insert(name.to_string(), Topic { id, partitions: parts, configs: BTreeMap::new() });
        &self.topics[name]
    }

    pub fn topic_by_id(&self, id: Uuid) -> Option<(&String, &Topic)> {
        self.topics.iter().find(|(_, t)| t.id == id)
    }

    pub fn partition_mut(&mut self, topic: &str, partition: i32) -> Option<&mut Partition> {
        self.topics.get_mut(topic)?.partitions.get_mut(usize::try_from(partition).ok()?)
    }

    pub fn partition(&self, topic: &str, partition: i32) -> Option<&Partition> {
        self.topics.get(topic)?.partitions.get(usize::try_from(partition).ok()?)
    }
}
