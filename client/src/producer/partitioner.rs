//! Choosing the partition of a record: the key hash the Java client uses (murmur2), the sticky
//! partitioner for records without a key, and round-robin.
//!
//! The producer asks a partitioner only when the record names no partition itself: an explicit
//! partition always wins, and is never passed through a [`Partitioner`].

use rustc_hash::FxHashMap as HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::metadata::TopicInfo;

/// The 32-bit murmur2 hash of `data`, bit-exact with the Java client's `Utils.murmur2` (seed
/// `0x9747b28c`) and kafka-python's `kafka.partitioner.default.murmur2` (which returns the same
/// bits as an unsigned number).
///
/// ```
/// use kafkit_client::producer::murmur2;
/// assert_eq!(murmur2(b"foobar"), -790332482); // Java's UtilsTest.testMurmur2
/// ```
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;

    // Java truncates the length to an int; so do we (a record key is never near 4 GiB).
    let mut h = SEED ^ data.len() as u32;
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        // Java's switch falls through from case 3 to case 1.
        for (i, byte) in tail.iter().enumerate().rev() {
            h ^= u32::from(*byte) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// Java's `Utils.toPositive`: clears the sign bit (it does not negate, so `i32::MIN` becomes 0).
pub fn to_positive(n: i32) -> i32 {
    n & 0x7fff_ffff
}

/// The partition of a keyed record as every Kafka client computes it:
/// `toPositive(murmur2(key)) % partition_count` (Java's `BuiltInPartitioner.partitionForKey`,
/// kafka-python's `DefaultPartitioner`, librdkafka's `murmur2_random`).
///
/// # Panics
///
/// If `partition_count` is not positive.
pub fn partition_for_key(key: &[u8], partition_count: i32) -> i32 {
    assert!(partition_count > 0, "a topic has at least one partition, got {partition_count}");
    to_positive(murmur2(key)) % partition_count
}

/// What a [`Partitioner`] knows of a topic: how many partitions it has and which of them
/// currently have a leader ("available", as Java's `Cluster.availablePartitionsForTopic`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicPartitions {
    count: i32,
    available: Vec<i32>,
}

impl TopicPartitions {
    /// A topic of `count` partitions (`0..count`), of which `available` have a leader.
    /// `None` if `count` is not positive; available partitions out of `0..count` are dropped
    /// and the rest sorted and deduplicated.
    pub fn new(count: i32, available: impl IntoIterator<Item = i32>) -> Option<Self> {
        if count <= 0 {
            return None;
        }
        let mut available: Vec<i32> = available.into_iter().filter(|p| (0..count).contains(p)).collect();
        available.sort_unstable();
        available.dedup();
        Some(TopicPartitions { count, available })
    }

    /// A topic of `count` partitions, all available.
    pub fn all_available(count: i32) -> Option<Self> {
        Self::new(count, 0..count.max(0))
    }

    /// From a topic's metadata: its partitions, available when they have a leader. `None` if
    /// the metadata lists no partition (an unknown topic, or one still being created).
    pub fn from_topic(topic: &TopicInfo) -> Option<Self> {
        let count = i32::try_from(topic.partitions.len()).ok()?;
        Self::new(count, topic.partitions.iter().filter(|p| p.leader.is_some()).map(|p| p.partition))
    }

    /// The number of partitions (at least 1).
    pub fn count(&self) -> i32 {
        self.count
    }

    /// The partitions that have a leader, in ascending order (may be empty).
    pub fn available(&self) -> &[i32] {
        &self.available
    }

    /// A random partition other than `avoid` when there is another choice: among the
    /// available partitions if any, otherwise among all.
    fn random_except(&self, avoid: Option<i32>) -> i32 {
        let pick = |n: usize, at: &dyn Fn(usize) -> i32| -> i32 {
            match avoid.filter(|_| n > 1) {
                None => at(fastrand::usize(..n)),
                Some(avoid) => loop {
                    let p = at(fastrand::usize(..n));
                    if p != avoid {
                        break p;
                    }
                },
            }
        };
        if self.available.is_empty() {
            pick(self.count as usize, &|i| i as i32)
        } else {
            pick(self.available.len(), &|i| self.available[i])
        }
    }
}

/// Chooses the partition of a record that names none.
///
/// Called on the thread of `send`; implementations must be cheap and thread-safe. The producer
/// checks an explicit partition first and never calls the partitioner for such a record.
pub trait Partitioner: Send + Sync + fmt::Debug {
    /// The partition (in `0..partitions.count()`) for a record of `topic` with this serialized
    /// key and value (`None` for a null key or value).
    fn partition(&self, topic: &str, key: Option<&[u8]>, value: Option<&[u8]>, partitions: &TopicPartitions) -> i32;

    /// Called by the accumulator when the batch being filled for `prev_partition` of `topic`
    /// is complete (full, or sent because its linger expired) and a new one is about to start:
    /// a sticky partitioner switches partition here. The default does nothing.
    fn on_new_batch(&self, topic: &str, prev_partition: i32) {
        let _ = (topic, prev_partition);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The maps hold plain numbers: a panic while holding the lock cannot leave them torn.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The sticky choice for one topic (shared with the accumulator, which runs the built-in
/// sticky partitioners inline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Sticky {
    /// Nothing chosen yet.
    #[default]
    None,
    /// Records go to this partition.
    At(i32),
    /// The batch for this partition completed: the next record picks another one.
    LeftFrom(i32),
}

impl Sticky {
    /// The partition for the next keyless record.
    pub(crate) fn partition(&mut self, partitions: &TopicPartitions) -> i32 {
        let avoid = match *self {
            Sticky::At(p) if p < partitions.count() => return p,
            Sticky::At(_) | Sticky::None => None,
            Sticky::LeftFrom(p) => Some(p),
        };
        let p = partitions.random_except(avoid);
        *self = Sticky::At(p);
        p
    }

    /// The batch of `prev_partition` completed. Only the partition currently stuck to moves
    /// the topic on: a batch completing for a partition chosen earlier (or by key) changes
    /// nothing.
    pub(crate) fn on_new_batch(&mut self, prev_partition: i32) {
        if *self == Sticky::At(prev_partition) {
            *self = Sticky::LeftFrom(prev_partition);
        }
    }
}

/// The uniform sticky partitioner (KIP-480): every record of a topic goes to one partition
/// until [`on_new_batch`](Partitioner::on_new_batch) reports that partition's batch complete;
/// then the next record switches to a partition chosen uniformly at random among the
/// available ones (among all if none is available), other than the previous one when there
/// is another choice. This fills batches fast, so a small `linger.ms` still yields large
/// batches.
///
/// Keys are ignored: this is Java's `UniformStickyPartitioner` (`partitioner.class`
/// `org.apache.kafka.clients.producer.UniformStickyPartitioner`, equivalent to Java's
/// `partitioner.ignore.keys=true`). [`DefaultPartitioner`] uses it for records without key.
///
/// Unlike Java's built-in partitioner (KIP-794), the switch is driven by completed batches,
/// not by counting `batch.size` bytes, and there is no adaptive weighting by broker queue
/// length (`partitioner.adaptive.partitioning.enable`): the choice is uniform.
#[derive(Debug, Default)]
pub struct UniformStickyPartitioner {
    sticky: Mutex<HashMap<String, Sticky>>,
}

impl UniformStickyPartitioner {
    /// A partitioner with no partition chosen yet.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Partitioner for UniformStickyPartitioner {
    fn partition(&self, topic: &str, _key: Option<&[u8]>, _value: Option<&[u8]>, partitions: &TopicPartitions) -> i32 {
        let mut sticky = lock(&self.sticky);
        match sticky.get_mut(topic) {
            Some(s) => s.partition(partitions),
            None => sticky.entry(topic.to_string()).or_default().partition(partitions),
        }
    }

    fn on_new_batch(&self, topic: &str, prev_partition: i32) {
        if let Some(sticky) = lock(&self.sticky).get_mut(topic) {
            sticky.on_new_batch(prev_partition);
        }
    }
}

/// The default partitioner, as Java's built-in one and kafka-python's: a record with a key
/// goes to [`partition_for_key`] (whether or not that partition is available, as in Java, so
/// that a key always maps to the same partition); a record without key goes to the
/// [`UniformStickyPartitioner`]'s choice.
#[derive(Debug, Default)]
pub struct DefaultPartitioner {
    sticky: UniformStickyPartitioner,
}

impl DefaultPartitioner {
    /// A partitioner with no sticky partition chosen yet.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Partitioner for DefaultPartitioner {
    fn partition(&self, topic: &str, key: Option<&[u8]>, value: Option<&[u8]>, partitions: &TopicPartitions) -> i32 {
        match key {
            Some(key) => partition_for_key(key, partitions.count()),
            None => self.sticky.partition(topic, None, value, partitions),
        }
    }

    fn on_new_batch(&self, topic: &str, prev_partition: i32) {
        self.sticky.on_new_batch(topic, prev_partition);
    }
}

/// Java's `RoundRobinPartitioner`: each record of a topic, keyed or not, goes to the next
/// available partition in turn (to the next of all partitions when none is available).
#[derive(Debug, Default)]
pub struct RoundRobinPartitioner {
    counters: Mutex<HashMap<String, u32>>,
}

impl RoundRobinPartitioner {
    /// A partitioner whose every topic starts at its first partition.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Partitioner for RoundRobinPartitioner {
    fn partition(&self, topic: &str, _key: Option<&[u8]>, _value: Option<&[u8]>, partitions: &TopicPartitions) -> i32 {
        let next = {
            let mut counters = lock(&self.counters);
            let counter = counters.entry(topic.to_string()).or_insert(0);
            let next = *counter;
            *counter = counter.wrapping_add(1);
            next
        };
        // As Java: toPositive of a wrapping int counter.
        let next = to_positive(next as i32) as usize;
        match partitions.available() {
            [] => (next % partitions.count() as usize) as i32,
            available => available[next % available.len()],
        }
    }
}

/// The built-in partitioners, as `partitioner.class` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PartitionerKind {
    /// [`DefaultPartitioner`]: murmur2 of the key, sticky without key. Java's default (no
    /// `partitioner.class`), also `org.apache.kafka.clients.producer.internals.DefaultPartitioner`
    /// and librdkafka's `murmur2_random`.
    #[default]
    Default,
    /// [`UniformStickyPartitioner`]: sticky, keys ignored.
    /// `org.apache.kafka.clients.producer.UniformStickyPartitioner`.
    UniformSticky,
    /// [`RoundRobinPartitioner`]: one partition after the other, keys ignored.
    /// `org.apache.kafka.clients.producer.RoundRobinPartitioner`.
    RoundRobin,
}

impl PartitionerKind {
    /// A new partitioner of this kind.
    pub fn build(self) -> Arc<dyn Partitioner> {
        match self {
            PartitionerKind::Default => Arc::new(DefaultPartitioner::new()),
            PartitionerKind::UniformSticky => Arc::new(UniformStickyPartitioner::new()),
            PartitionerKind::RoundRobin => Arc::new(RoundRobinPartitioner::new()),
        }
    }

    /// The Java class name, as `partitioner.class` takes it.
    pub fn class_name(self) -> &'static str {
        match self {
            PartitionerKind::Default => "org.apache.kafka.clients.producer.internals.DefaultPartitioner",
            PartitionerKind::UniformSticky => "org.apache.kafka.clients.producer.UniformStickyPartitioner",
            PartitionerKind::RoundRobin => "org.apache.kafka.clients.producer.RoundRobinPartitioner",
        }
    }
}

impl fmt::Display for PartitionerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.class_name())
    }
}

/// A `partitioner.class` value that names no built-in partitioner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown partitioner `{0}`: expected DefaultPartitioner (or murmur2_random, or empty for the default), \
     UniformStickyPartitioner or RoundRobinPartitioner, optionally with their Java package"
)]
pub struct ParsePartitionerError(pub String);

impl FromStr for PartitionerKind {
    type Err = ParsePartitionerError;

    /// Parses a Java class name (with or without its package: `RoundRobinPartitioner`), a
    /// librdkafka `partitioner` value with the Java client's behaviour (`murmur2_random`), or
    /// an empty string (the default). ASCII case is ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        let simple = trimmed.rsplit('.').next().unwrap_or(trimmed);
        let kinds = [
            ("", PartitionerKind::Default),
            ("DefaultPartitioner", PartitionerKind::Default),
            ("murmur2_random", PartitionerKind::Default),
            ("UniformStickyPartitioner", PartitionerKind::UniformSticky),
            ("RoundRobinPartitioner", PartitionerKind::RoundRobin),
        ];
        kinds
            .into_iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(simple))
            .map(|(_, kind)| kind)
            .ok_or_else(|| ParsePartitionerError(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Java's own vectors: `UtilsTest.testMurmur2` in apache/kafka
    /// (clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java, snapshot Oct 2024).
    #[test]
    fn murmur2_matches_java_utils_test() {
        let cases: [(&[u8], i32); 6] = [
            (b"21", -973932308),
            (b"foobar", -790332482),
            (b"a-little-bit-long-string", -985981536),
            (b"a-little-bit-longer-string", -1486304829),
            (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
            (b"abc", 479470107),
        ];
        for (data, expected) in cases {
            assert_eq!(murmur2(data), expected, "murmur2({:?})", String::from_utf8_lossy(data));
        }
    }

    /// Computed with kafka-python 3.0.12 (PyPI): `kafka.partitioner.default.murmur2(key)`
    /// (an unsigned value, shown here as Java's signed int) and
    /// `DefaultPartitioner().partition(topic, None, key, None, None, cluster)` for clusters of
    /// 1, 3, 6, 10 and 100 partitions, all available. Covers the empty key, every tail length
    /// (0 to 3 bytes after the 4-byte blocks), bytes ≥ 0x80 and a UTF-8 key from the reference
    /// usage ("股票代码").
    #[test]
    fn key_to_partition_matches_kafka_python() {
        let cases: [(&[u8], u32, [i32; 5]); 8] = [
            (b"", 275646681, [0, 0, 3, 1, 81]),
            (b"21", 3321034988, [0, 0, 0, 0, 40]),
            (b"foobar", 3504634814, [0, 0, 0, 6, 66]),
            (b"600519", 4242029425, [0, 2, 5, 7, 77]),
            ("股票代码".as_bytes(), 2228949744, [0, 1, 4, 6, 96]),
            (b"key-0", 29210041, [0, 1, 1, 1, 41]),
            (b"key-1", 193331640, [0, 0, 0, 0, 40]),
            (b"\xff\xfe\xfd", 998637092, [0, 2, 2, 2, 92]),
        ];
        let partitioner = DefaultPartitioner::new();
        for (key, python_hash, expected) in cases {
            assert_eq!(murmur2(key) as u32, python_hash, "murmur2({key:?})");
            for (count, want) in [1, 3, 6, 10, 100].into_iter().zip(expected) {
                assert_eq!(partition_for_key(key, count), want, "{key:?} over {count} partitions");
                // Keyed records ignore availability, as in Java: a key keeps its partition.
                let none_available = TopicPartitions::new(count, []).unwrap();
                assert_eq!(partitioner.partition("quotes", Some(key), None, &none_available), want);
            }
        }
    }

    #[test]
    fn to_positive_clears_the_sign_bit_like_java() {
        assert_eq!(to_positive(-1), i32::MAX);
        assert_eq!(to_positive(i32::MIN), 0);
        assert_eq!(to_positive(5), 5);
        // -973932308 & 0x7fffffff, then % 100 = 40 (see kafka-python's table above).
        assert_eq!(to_positive(-973932308), 1173551340);
    }

    #[test]
    fn topic_partitions_drop_out_of_range_and_sort() {
        assert_eq!(TopicPartitions::new(0, []), None);
        let t = TopicPartitions::new(4, [3, 1, 7, -1, 1]).unwrap();
        assert_eq!((t.count(), t.available()), (4, &[1, 3][..]));
        assert_eq!(TopicPartitions::all_available(3).unwrap().available(), [0, 1, 2]);
    }

    #[test]
    fn topic_partitions_from_metadata_count_leaderless_partitions_as_unavailable() {
        use crate::protocol::messages::metadata_response::{MetadataResponsePartition, MetadataResponseTopic};
        use crate::protocol::messages::MetadataResponse;
        let partition =
            |i, leader| MetadataResponsePartition { partition_index: i, leader_id: leader, ..Default::default() };
        let resp = MetadataResponse {
            topics: vec![MetadataResponseTopic {
                name: Some("quotes".into()),
                partitions: vec![partition(0, 1), partition(1, -1), partition(2, 2)],
                ..Default::default()
            }],
            ..Default::default()
        };
        let md = crate::Metadata::from_response(&resp);
        let t = TopicPartitions::from_topic(md.topic("quotes").unwrap()).unwrap();
        assert_eq!((t.count(), t.available()), (3, &[0, 2][..]));
    }

    fn sticky_run(p: &dyn Partitioner, partitions: &TopicPartitions) -> i32 {
        let first = p.partition("t", None, Some(b"v"), partitions);
        for _ in 0..50 {
            assert_eq!(p.partition("t", None, Some(b"v"), partitions), first, "sticks until a batch completes");
        }
        first
    }

    #[test]
    fn sticky_switches_only_when_the_current_batch_completes() {
        let p = UniformStickyPartitioner::new();
        let partitions = TopicPartitions::all_available(6).unwrap();
        let mut seen = HashSet::new();
        let mut current = sticky_run(&p, &partitions);
        for _ in 0..200 {
            // A batch completing for another partition does not move the topic.
            p.on_new_batch("t", (current + 1) % 6);
            p.on_new_batch("other-topic", current);
            assert_eq!(p.partition("t", None, None, &partitions), current);
            p.on_new_batch("t", current);
            let next = sticky_run(&p, &partitions);
            assert_ne!(next, current, "switches to another partition");
            seen.insert(next);
            current = next;
        }
        assert_eq!(seen.len(), 6, "the choice is spread over all partitions: {seen:?}");
    }

    #[test]
    fn sticky_prefers_available_partitions() {
        let p = UniformStickyPartitioner::new();
        let partitions = TopicPartitions::new(10, [2, 7]).unwrap();
        let mut seen = HashSet::new();
        for _ in 0..100 {
            let current = sticky_run(&p, &partitions);
            seen.insert(current);
            p.on_new_batch("t", current);
        }
        assert_eq!(seen, HashSet::from([2, 7]));

        // One available partition: it stays there.
        let one = TopicPartitions::new(10, [4]).unwrap();
        let p = UniformStickyPartitioner::new();
        for _ in 0..10 {
            assert_eq!(sticky_run(&p, &one), 4);
            p.on_new_batch("t", 4);
        }

        // None available: any partition.
        let none = TopicPartitions::new(3, []).unwrap();
        let p = UniformStickyPartitioner::new();
        let mut seen = HashSet::new();
        for _ in 0..100 {
            let current = sticky_run(&p, &none);
            seen.insert(current);
            p.on_new_batch("t", current);
        }
        assert_eq!(seen, HashSet::from([0, 1, 2]));
    }

    #[test]
    fn uniform_sticky_ignores_keys_and_default_does_not() {
        let partitions = TopicPartitions::all_available(100).unwrap();
        let sticky = UniformStickyPartitioner::new();
        let first = sticky.partition("t", Some(b"21"), None, &partitions);
        assert_eq!(sticky.partition("t", Some(b"foobar"), None, &partitions), first);

        let default = DefaultPartitioner::new();
        assert_eq!(default.partition("t", Some(b"21"), None, &partitions), 40);
        assert_eq!(default.partition("t", Some(b"foobar"), None, &partitions), 66);
        let keyless = default.partition("t", None, None, &partitions);
        assert_eq!(default.partition("t", None, Some(b"x"), &partitions), keyless);
        default.on_new_batch("t", keyless);
        assert_ne!(default.partition("t", None, None, &partitions), keyless, "keyless records moved on");
    }

    #[test]
    fn a_shrunk_partition_count_re_picks() {
        let p = UniformStickyPartitioner::new();
        let mut current = sticky_run(&p, &TopicPartitions::all_available(100).unwrap());
        while current == 0 {
            p.on_new_batch("t", current);
            current = sticky_run(&p, &TopicPartitions::all_available(100).unwrap());
        }
        assert_eq!(p.partition("t", None, None, &TopicPartitions::all_available(1).unwrap()), 0);
    }

    #[test]
    fn round_robin_cycles_through_available_partitions_per_topic() {
        let p = RoundRobinPartitioner::new();
        let all = TopicPartitions::all_available(3).unwrap();
        let got: Vec<i32> = (0..7).map(|_| p.partition("a", Some(b"same-key"), None, &all)).collect();
        assert_eq!(got, [0, 1, 2, 0, 1, 2, 0]);
        // Another topic has its own counter.
        assert_eq!(p.partition("b", None, None, &all), 0);
        // Counter 7 for "a": over available [1, 4], index 7 % 2 = 1.
        let some = TopicPartitions::new(5, [4, 1]).unwrap();
        assert_eq!(p.partition("a", None, None, &some), 4);
        assert_eq!(p.partition("a", None, None, &some), 1);
        // None available: counter 9 % 5.
        assert_eq!(p.partition("a", None, None, &TopicPartitions::new(5, []).unwrap()), 4);
    }

    #[test]
    fn partitioner_kinds_parse_java_and_librdkafka_names() {
        for (name, kind) in [
            ("", PartitionerKind::Default),
            ("org.apache.kafka.clients.producer.internals.DefaultPartitioner", PartitionerKind::Default),
            ("murmur2_random", PartitionerKind::Default),
            ("org.apache.kafka.clients.producer.UniformStickyPartitioner", PartitionerKind::UniformSticky),
            ("roundrobinpartitioner", PartitionerKind::RoundRobin),
            (" org.apache.kafka.clients.producer.RoundRobinPartitioner ", PartitionerKind::RoundRobin),
        ] {
            assert_eq!(name.parse::<PartitionerKind>(), Ok(kind), "{name:?}");
        }
        for kind in [PartitionerKind::Default, PartitionerKind::UniformSticky, PartitionerKind::RoundRobin] {
            assert_eq!(kind.to_string().parse::<PartitionerKind>(), Ok(kind));
        }
        // librdkafka's CRC32-based and purely random partitioners are not the Java behaviour.
        for bad in ["consistent_random", "random", "com.example.MyPartitioner"] {
            let err = bad.parse::<PartitionerKind>().unwrap_err();
            assert!(err.to_string().contains(bad), "{err}");
        }
        let p = PartitionerKind::RoundRobin.build();
        let all = TopicPartitions::all_available(2).unwrap();
        assert_eq!([p.partition("t", None, None, &all), p.partition("t", None, None, &all)], [0, 1]);
        let d = PartitionerKind::default().build();
        assert_eq!(d.partition("t", Some(b"foobar"), None, &TopicPartitions::all_available(10).unwrap()), 6);
    }
}
