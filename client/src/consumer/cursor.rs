//! Decoding one partition's fetched records, lazily and without copying: a
//! [`PartitionCursor`] walks the batches of a [`Fetched`] response one record at a time, as
//! the consumer's `poll` asks for them.
//!
//! Keys, values and headers are [`Bytes`](bytes::Bytes) slices of the fetched buffer (or of
//! the one decompressed buffer of a compressed batch); the only allocation per record is the
//! headers `Vec` of a record that has headers. What is skipped follows the Java consumer's
//! `CompletedFetch`:
//! - records before the fetch offset (a compressed batch, or a compacted one, may start
//!   earlier);
//! - control batches (transaction markers), whose offsets the position moves past;
//! - under `read_committed`, the batches of aborted transactions: the broker lists each
//!   aborted transaction overlapping the fetched range as (producer id, first offset); a
//!   producer's transactional batches are skipped from its first offset until the ABORT marker
//!   of that producer is met;
//! - a batch the broker cut short at the end of the response (fetched again next time).
//!
//! A batch that fails to decode (a CRC mismatch when `check.crcs` is on, a malformed record,
//! an unreadable compressed block) is returned as an error naming the partition and the
//! offset, once; the position stays before the bad batch, and the cursor returns nothing more.

use kafkit_protocol::record::{Batch, BatchRecords, Batches, ControlRecord, ControlRecordType, DecodeOptions};
use kafkit_protocol::record::{Record, TimestampType};
use kafkit_protocol::DecodeError;
use rustc_hash::FxHashSet;

use super::fetcher::Fetched;
use super::record::ConsumerRecord;
use super::types::{IsolationLevel, TopicPartition};
use crate::error::{Error, Result};

/// The batch whose records are being returned.
struct Current {
    records: BatchRecords,
    /// The offset after the batch.
    next_offset: i64,
    timestamp_type: TimestampType,
    leader_epoch: Option<i32>,
}

/// One partition's fetched records, decoded as they are asked for.
pub(crate) struct PartitionCursor {
    tp: TopicPartition,
    tag: u64,
    batches: Batches,
    current: Option<Current>,
    /// The offset after the last record returned or skipped.
    position: i64,
    leader_epoch: Option<i32>,
    read_committed: bool,
    /// read_committed: the aborted transactions not met yet, as (first offset, producer id),
    /// in first-offset order from `aborted_next` on.
    aborted: Vec<(i64, i64)>,
    aborted_next: usize,
    /// read_committed: producers inside an aborted transaction at the current batch.
    aborted_producers: FxHashSet<i64>,
    /// The fetch's error, returned by the first `next_record`.
    error: Option<Error>,
    /// No more records: the batches are done or an error was returned.
    done: bool,
    /// Keeps the partition's buffer slot taken while the records are being read.
    _fetched: Fetched,
}

impl std::fmt::Debug for PartitionCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartitionCursor")
            .field("tp", &self.tp)
            .field("tag", &self.tag)
            .field("position", &self.position)
            .field("done", &self.done)
            .finish()
    }
}

impl PartitionCursor {
    /// A cursor over `fetched`'s records (or its error) under `isolation`, checking each
    /// batch's CRC if `check_crcs`.
    pub(crate) fn new(mut fetched: Fetched, isolation: IsolationLevel, check_crcs: bool) -> Self {
        let options = DecodeOptions::default().with_verify_crc(check_crcs);
        let read_committed = isolation == IsolationLevel::ReadCommitted;
        let (records, aborted, error) = match &mut fetched.result {
            Ok(data) => {
                let mut aborted: Vec<(i64, i64)> = if read_committed {
                    std::mem::take(&mut data.aborted_transactions)
                        .into_iter()
                        .map(|(pid, first)| (first, pid))
                        .collect()
                } else {
                    Vec::new()
                };
                aborted.sort_unstable();
                (data.records.clone(), aborted, None)
            }
            Err(e) => (bytes::Bytes::new(), Vec::new(), Some(e.clone())),
        };
        PartitionCursor {
            tp: fetched.tp.clone(),
            tag: fetched.tag,
            batches: Batches::with_options(records, options),
            current: None,
            position: fetched.fetch_offset,
            leader_epoch: None,
            read_committed,
            aborted,
            aborted_next: 0,
            aborted_producers: FxHashSet::default(),
            done: error.is_some(),
            error,
            _fetched: fetched,
        }
    }

    /// The partition.
    pub(crate) fn tp(&self) -> &TopicPartition {
        &self.tp
    }

    /// The tag of the fetch target the records were fetched for.
    #[cfg(test)]
    pub(crate) fn tag(&self) -> u64 {
        self.tag
    }

    /// The offset after the last record returned or skipped: the consumer's position once it
    /// has taken the records returned so far. After the last record it is the offset after the
    /// last whole batch (which may be past the last record: compaction keeps a batch's last
    /// offset, and control batches have no records to return).
    pub(crate) fn position(&self) -> i64 {
        self.position
    }

    /// The leader epoch of the last batch read (`None` before the first, and for legacy
    /// message sets), to commit with the position.
    pub(crate) fn leader_epoch(&self) -> Option<i32> {
        self.leader_epoch
    }

    /// Whether nothing more will come out.
    #[cfg(test)]
    pub(crate) fn is_done(&self) -> bool {
        self.done && self.current.is_none() && self.error.is_none()
    }

    /// The next record, the fetch's (or a batch's) error, or `None` once the whole batches are
    /// read. After an error it returns `None`.
    #[inline]
    pub(crate) fn next_record(&mut self) -> Option<Result<ConsumerRecord>> {
        let mut record = None;
        match self.decode(1, |r| record = Some(r)) {
            Some(e) => Some(Err(e)),
            None => record.map(Ok),
        }
    }

    /// Appends up to `max` records to `out` (what `max` calls of
    /// [`next_record`](Self::next_record) would return), each built in place; returns the
    /// error that stopped it, if one did. Fewer than `max` without an error: the whole
    /// batches are read.
    #[inline]
    pub(crate) fn fill(&mut self, out: &mut Vec<ConsumerRecord>, max: usize) -> Option<Error> {
        out.reserve(max.min(1024));
        self.decode(max, |r| out.push(r))
    }

    /// Hands up to `room` records to `push`; returns the error that stopped it, if one did.
    #[inline(always)]
    fn decode(&mut self, mut room: usize, mut push: impl FnMut(ConsumerRecord)) -> Option<Error> {
        while room > 0 {
            if let Some(cur) = &mut self.current {
                match cur.records.next() {
                    Some(Ok(r)) => {
                        if r.offset >= self.position {
                            self.position = r.offset.wrapping_add(1);
                            push(to_consumer_record(&self.tp, r, cur.timestamp_type, cur.leader_epoch));
                            room -= 1;
                        }
                        continue;
                    }
                    Some(Err(e)) => return self.fail(e),
                    None => {
                        let next = cur.next_offset;
                        self.current = None;
                        self.position = self.position.max(next);
                    }
                }
            }
            if self.done {
                return self.error.take();
            }
            let batch = match self.batches.next() {
                Some(Ok(b)) => b,
                Some(Err(e)) => return self.fail(e),
                None => {
                    self.done = true;
                    return None;
                }
            };
            if let Err(e) = self.open(batch) {
                return self.fail(e);
            }
        }
        None
    }

    /// Starts on `batch`: skips it (moving the position past it) if it is a control batch or
    /// aborted, else makes it the current batch.
    fn open(&mut self, batch: Batch) -> std::result::Result<(), DecodeError> {
        let next_offset = batch.next_offset();
        let leader_epoch = match &batch {
            Batch::V2(b) if b.partition_leader_epoch >= 0 => Some(b.partition_leader_epoch),
            _ => None,
        };
        self.leader_epoch = leader_epoch;
        if self.read_committed && batch.producer_id() >= 0 {
            let producer_id = batch.producer_id();
            self.consume_aborted_up_to(batch.last_offset());
            if batch.is_control() {
                if is_abort_marker(&batch)? {
                    self.aborted_producers.remove(&producer_id);
                }
            } else if batch.is_transactional() && self.aborted_producers.contains(&producer_id) {
                self.position = self.position.max(next_offset);
                return Ok(());
            }
        }
        if batch.is_control() {
            self.position = self.position.max(next_offset);
            return Ok(());
        }
        if next_offset <= self.position {
            // Every record is before the position: nothing to decode.
            return Ok(());
        }
        self.current = Some(Current {
            records: batch.records()?,
            next_offset,
            timestamp_type: batch.timestamp_type(),
            leader_epoch,
        });
        Ok(())
    }

    /// Adds the producers of the aborted transactions starting at or before `offset`.
    fn consume_aborted_up_to(&mut self, offset: i64) {
        while let Some(&(first, producer_id)) = self.aborted.get(self.aborted_next) {
            if first > offset {
                break;
            }
            self.aborted_producers.insert(producer_id);
            self.aborted_next += 1;
        }
    }

    #[cold]
    fn fail(&mut self, e: DecodeError) -> Option<Error> {
        self.done = true;
        self.current = None;
        let context = format!(
            "the records of {} fetched at offset {} (the consumer cannot read past it: seek past the bad batch to \
             skip it)",
            self.tp, self.position
        );
        Some(Error::from(e.context(context)))
    }
}

/// Whether a control batch holds an ABORT marker (its first record says so, as Java reads it).
fn is_abort_marker(batch: &Batch) -> std::result::Result<bool, DecodeError> {
    match batch.records()?.next() {
        Some(r) => Ok(ControlRecord::decode(&r?)?.kind == ControlRecordType::Abort),
        None => Ok(false),
    }
}

#[inline]
fn to_consumer_record(
    tp: &TopicPartition,
    r: Record,
    timestamp_type: TimestampType,
    leader_epoch: Option<i32>,
) -> ConsumerRecord {
    ConsumerRecord {
        topic: tp.topic.clone(),
        partition: tp.partition,
        offset: r.offset,
        timestamp: r.timestamp,
        timestamp_type,
        key: r.key,
        value: r.value,
        headers: r.headers,
        leader_epoch,
    }
}

#[cfg(test)]
mod tests {
    use bytes::{Bytes, BytesMut};
    use kafkit_protocol::record::{
        Compression, ControlRecord, Header, LegacyMessageSetBuilder, RecordBatch, RecordBatchBuilder, MAGIC_V1,
    };

    use super::*;
    use crate::consumer::fetcher::{BufferSlot, FetchedData};

    const TS: i64 = 1_700_000_000_000;

    fn tp() -> TopicPartition {
        TopicPartition::new("quotes", 3)
    }

    fn fetched(records: Bytes, fetch_offset: i64, aborted: Vec<(i64, i64)>) -> Fetched {
        Fetched {
            tp: tp(),
            tag: 9,
            fetch_offset,
            result: Ok(FetchedData {
                records,
                high_watermark: 100,
                last_stable_offset: 100,
                log_start_offset: 0,
                aborted_transactions: aborted,
            }),
            _slot: BufferSlot::detached(),
        }
    }

    /// A batch of `n` records from `base`, values `v{offset}`.
    fn batch(base: i64, n: i64, codec: Compression, epoch: i32) -> Bytes {
        let mut b = RecordBatchBuilder::new(base).with_compression(codec).with_partition_leader_epoch(epoch);
        for o in base..base + n {
            b.append(TS + o, Some(format!("k{o}").as_bytes()), Some(format!("v{o}").as_bytes()), &[]).unwrap();
        }
        b.finish().unwrap()
    }

    /// A transactional batch of producer `pid` with `n` records from `base`.
    fn txn_batch(base: i64, n: i64, pid: i64) -> Bytes {
        let mut b = RecordBatchBuilder::new(base).with_transactional(true);
        b.set_producer_state(pid, 0, base as i32);
        for o in base..base + n {
            b.append(TS + o, None, Some(format!("v{o}").as_bytes()), &[]).unwrap();
        }
        b.finish().unwrap()
    }

    fn concat(parts: &[Bytes]) -> Bytes {
        let mut out = BytesMut::new();
        for p in parts {
            out.extend_from_slice(p);
        }
        out.freeze()
    }

    /// Every record (panicking on an error) and the final position.
    fn drain(c: &mut PartitionCursor) -> Vec<ConsumerRecord> {
        let mut out = Vec::new();
        while let Some(r) = c.next_record() {
            out.push(r.unwrap());
        }
        out
    }

    fn offsets(records: &[ConsumerRecord]) -> Vec<i64> {
        records.iter().map(|r| r.offset).collect()
    }

    #[test]
    fn returns_every_record_in_order_zero_copy_with_its_epoch_and_type() {
        let mut with_headers = RecordBatchBuilder::new(5).with_timestamp_type(TimestampType::LogAppendTime);
        with_headers.append(TS, Some(b"k5"), None, &[Header::new("h", Some(Bytes::from_static(b"x")))]).unwrap();
        let mut legacy = LegacyMessageSetBuilder::new(MAGIC_V1, Compression::Gzip).unwrap();
        legacy.append(6, TS + 6, None, Some(b"v6")).unwrap();
        legacy.append(7, TS + 7, None, Some(b"v7")).unwrap();
        let blob = concat(&[
            batch(0, 2, Compression::None, 4),
            batch(2, 3, Compression::Zstd, 5),
            with_headers.finish().unwrap(),
            legacy.finish().unwrap(),
        ]);
        let mut c = PartitionCursor::new(fetched(blob.clone(), 0, vec![]), IsolationLevel::ReadUncommitted, true);
        assert_eq!((c.tp(), c.tag(), c.position(), c.leader_epoch()), (&tp(), 9, 0, None));
        let first = c.next_record().unwrap().unwrap();
        assert_eq!((first.offset, first.timestamp, first.leader_epoch), (0, TS, Some(4)));
        assert_eq!(first.timestamp_type, TimestampType::CreateTime);
        assert_eq!((&*first.topic, first.partition), ("quotes", 3));
        let value = first.value.as_ref().unwrap();
        let range = blob.as_ptr() as usize..blob.as_ptr() as usize + blob.len();
        assert!(range.contains(&(value.as_ptr() as usize)), "the value is a slice of the fetched buffer");
        assert_eq!(c.position(), 1);
        let rest = drain(&mut c);
        assert_eq!(offsets(&rest), [1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(rest[1].value.as_deref(), Some(&b"v2"[..]));
        assert_eq!(rest[1].key.as_deref(), Some(&b"k2"[..]));
        assert_eq!(rest[1].leader_epoch, Some(5));
        let r5 = &rest[4];
        assert_eq!((r5.timestamp_type, r5.value.clone(), r5.headers.len()), (TimestampType::LogAppendTime, None, 1));
        assert_eq!(r5.headers[0].key_str(), "h");
        let r7 = &rest[6];
        assert_eq!((r7.timestamp, r7.leader_epoch, r7.value.as_deref()), (TS + 7, None, Some(&b"v7"[..])));
        assert_eq!(c.position(), 8);
        assert!(c.next_record().is_none() && c.next_record().is_none());
        assert!(c.is_done());
    }

    #[test]
    fn skips_records_before_the_fetch_offset_inside_a_compressed_batch() {
        let blob = concat(&[batch(10, 5, Compression::Lz4, 0), batch(15, 2, Compression::Snappy, 0)]);
        let mut c = PartitionCursor::new(fetched(blob.clone(), 13, vec![]), IsolationLevel::ReadUncommitted, true);
        assert_eq!(c.position(), 13);
        let records = drain(&mut c);
        assert_eq!(offsets(&records), [13, 14, 15, 16]);
        assert_eq!(records[0].value.as_deref(), Some(&b"v13"[..]));
        assert_eq!(c.position(), 17);
        // A whole batch before the fetch offset is passed over.
        let mut c = PartitionCursor::new(fetched(blob, 16, vec![]), IsolationLevel::ReadUncommitted, true);
        assert_eq!(offsets(&drain(&mut c)), [16]);
        assert_eq!(c.position(), 17);
    }

    #[test]
    fn control_batches_are_skipped_and_the_position_moves_past_them() {
        let blob = concat(&[txn_batch(0, 2, 7), ControlRecord::commit(0).to_batch(2, 7, 0, TS, 3).unwrap()]);
        for isolation in [IsolationLevel::ReadUncommitted, IsolationLevel::ReadCommitted] {
            let mut c = PartitionCursor::new(fetched(blob.clone(), 0, vec![]), isolation, true);
            assert_eq!(offsets(&drain(&mut c)), [0, 1], "{isolation:?}");
            assert_eq!(c.position(), 3, "{isolation:?}: past the marker");
            assert_eq!(c.leader_epoch(), Some(3), "the marker's batch was read last");
        }
    }

    #[test]
    fn a_compacted_batch_moves_the_position_to_its_last_offset() {
        // Records 20..22 in a batch whose last offset delta says 25 (compaction removed the rest).
        let mut b = RecordBatch::decode(batch(20, 3, Compression::None, 0)).unwrap();
        b.last_offset_delta = 5;
        let blob = concat(&[b.to_bytes().unwrap(), batch(26, 1, Compression::None, 0)]);
        let mut c = PartitionCursor::new(fetched(blob.clone(), 20, vec![]), IsolationLevel::ReadUncommitted, true);
        assert_eq!(offsets(&[c.next_record().unwrap().unwrap()]), [20]);
        let mut c2 = PartitionCursor::new(
            fetched(blob.slice(..b.size_in_bytes()), 20, vec![]),
            IsolationLevel::ReadUncommitted,
            true,
        );
        assert_eq!(offsets(&drain(&mut c2)), [20, 21, 22]);
        assert_eq!(c2.position(), 26, "after the batch, not after its last record");
        assert_eq!(offsets(&drain(&mut c)), [21, 22, 26]);
        assert_eq!(c.position(), 27);
    }

    /// Java's `CompletedFetch` rules: producer 7 aborts, commits, aborts; producer 8 commits;
    /// plain records in between.
    fn transactions() -> (Bytes, Vec<(i64, i64)>) {
        let plain = |o| batch(o, 1, Compression::None, 0);
        let blob = concat(&[
            txn_batch(0, 2, 7),                                         // 0-1: aborted
            txn_batch(2, 2, 8),                                         // 2-3: committed
            plain(4),                                                   // 4
            ControlRecord::abort(0).to_batch(5, 7, 0, TS, 0).unwrap(),  // 5: abort 7
            ControlRecord::commit(0).to_batch(6, 8, 0, TS, 0).unwrap(), // 6: commit 8
            txn_batch(7, 2, 7),                                         // 7-8: committed
            ControlRecord::commit(0).to_batch(9, 7, 0, TS, 0).unwrap(), // 9: commit 7
            txn_batch(10, 2, 7),                                        // 10-11: aborted
            ControlRecord::abort(0).to_batch(12, 7, 0, TS, 0).unwrap(), // 12: abort 7
            plain(13),                                                  // 13
        ]);
        (blob, vec![(7, 0), (7, 10)])
    }

    #[test]
    fn read_committed_hides_aborted_transactions_and_markers() {
        let (blob, aborted) = transactions();
        let mut c =
            PartitionCursor::new(fetched(blob.clone(), 0, aborted.clone()), IsolationLevel::ReadCommitted, true);
        assert_eq!(offsets(&drain(&mut c)), [2, 3, 4, 7, 8, 13]);
        assert_eq!(c.position(), 14);
        let mut c =
            PartitionCursor::new(fetched(blob.clone(), 0, aborted.clone()), IsolationLevel::ReadUncommitted, true);
        assert_eq!(offsets(&drain(&mut c)), [0, 1, 2, 3, 4, 7, 8, 10, 11, 13]);
        // From the middle: the broker lists only the aborted transactions from the fetch offset on.
        let mut c = PartitionCursor::new(fetched(blob.clone(), 8, vec![(7, 10)]), IsolationLevel::ReadCommitted, true);
        assert_eq!(offsets(&drain(&mut c)), [8, 13]);
        // The list in any order.
        let mut c = PartitionCursor::new(fetched(blob, 0, vec![(7, 10), (7, 0)]), IsolationLevel::ReadCommitted, true);
        assert_eq!(offsets(&drain(&mut c)), [2, 3, 4, 7, 8, 13]);
    }

    #[test]
    fn a_corrupt_batch_is_an_error_naming_the_partition_and_offset() {
        let good = batch(40, 2, Compression::None, 0);
        let bad = batch(42, 2, Compression::None, 0);
        let mut corrupt = concat(&[good.clone(), bad]).to_vec();
        let last = corrupt.len() - 1;
        corrupt[last] ^= 0x01; // in the last record's value... or headers count: covered by the CRC
        let corrupt = Bytes::from(corrupt);
        let mut c = PartitionCursor::new(fetched(corrupt.clone(), 40, vec![]), IsolationLevel::ReadUncommitted, true);
        assert_eq!(offsets(&[c.next_record().unwrap().unwrap(), c.next_record().unwrap().unwrap()]), [40, 41]);
        let err = c.next_record().unwrap().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("quotes[3]") && msg.contains("offset 42") && msg.contains("CRC"), "{msg}");
        assert!(msg.contains("seek past"), "says what to do: {msg}");
        assert!(!err.is_retriable());
        assert_eq!(c.position(), 42, "the position stays before the bad batch");
        assert!(c.next_record().is_none(), "nothing after the error");
        // Without CRC checks the bytes are read as they are; whatever they decode to, no panic.
        let mut c = PartitionCursor::new(fetched(corrupt, 40, vec![]), IsolationLevel::ReadUncommitted, false);
        let mut n = 0;
        while let Some(r) = c.next_record() {
            n += 1;
            if r.is_err() {
                break;
            }
        }
        assert!(n >= 3, "the first batch and then the unchecked one");
    }

    #[test]
    fn fill_returns_what_next_record_would_up_to_max_then_the_error() {
        let good =
            concat(&[batch(10, 3, Compression::None, 2), batch(13, 4, Compression::Lz4, 3), txn_batch(17, 2, 7)]);
        let mut one = PartitionCursor::new(fetched(good.clone(), 11, vec![]), IsolationLevel::ReadUncommitted, true);
        let expected = drain(&mut one);
        assert_eq!(offsets(&expected), [11, 12, 13, 14, 15, 16, 17, 18]);
        let mut c = PartitionCursor::new(fetched(good, 11, vec![]), IsolationLevel::ReadUncommitted, true);
        let mut out = Vec::new();
        assert!(c.fill(&mut out, 3).is_none());
        assert_eq!((offsets(&out), c.position()), (vec![11, 12, 13], 14), "stops at max, across batches");
        assert!(c.fill(&mut out, 100).is_none());
        assert_eq!(out, expected, "appends, the same records as next_record");
        assert_eq!(c.position(), 19);
        assert!(c.fill(&mut out, 5).is_none() && out.len() == 8 && c.is_done());

        // An error ends a fill with the records before it appended, and comes once.
        let mut corrupt = concat(&[batch(40, 2, Compression::None, 0), batch(42, 2, Compression::None, 0)]).to_vec();
        let last = corrupt.len() - 1;
        corrupt[last] ^= 0x01;
        let mut c = PartitionCursor::new(fetched(corrupt.into(), 40, vec![]), IsolationLevel::ReadUncommitted, true);
        let mut out = Vec::new();
        let err = c.fill(&mut out, 10).expect("the CRC error");
        assert!(err.to_string().contains("offset 42"), "{err}");
        assert_eq!((offsets(&out), c.position()), (vec![40, 41], 42));
        assert!(c.fill(&mut out, 10).is_none() && out.len() == 2);
    }

    #[test]
    fn malformed_batches_never_panic_and_always_name_the_partition() {
        let (blob, aborted) = transactions();
        let blob = concat(&[blob, batch(14, 3, Compression::Gzip, 1)]);
        for i in 0..blob.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut bytes = blob.to_vec();
                bytes[i] ^= flip;
                for (isolation, crc) in
                    [(IsolationLevel::ReadCommitted, false), (IsolationLevel::ReadUncommitted, true)]
                {
                    let f = fetched(Bytes::from(bytes.clone()), 0, aborted.clone());
                    let mut c = PartitionCursor::new(f, isolation, crc);
                    let mut last = i64::MIN;
                    for _ in 0..100 {
                        match c.next_record() {
                            Some(Ok(r)) => {
                                assert!(r.offset >= last, "offsets never go back");
                                last = r.offset;
                            }
                            Some(Err(e)) => {
                                assert!(e.to_string().contains("quotes[3]"), "{e}");
                                break;
                            }
                            None => break,
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn stops_at_a_trailing_partial_batch() {
        let whole = batch(0, 3, Compression::None, 0);
        let next = batch(3, 3, Compression::None, 0);
        for cut in [1, 12, 20, next.len() - 1] {
            let blob = concat(&[whole.clone(), next.slice(..cut)]);
            let mut c = PartitionCursor::new(fetched(blob, 0, vec![]), IsolationLevel::ReadUncommitted, true);
            assert_eq!(offsets(&drain(&mut c)), [0, 1, 2], "cut at {cut}");
            assert_eq!(c.position(), 3);
        }
        let mut c = PartitionCursor::new(fetched(next.slice(..30), 3, vec![]), IsolationLevel::ReadUncommitted, true);
        assert!(c.next_record().is_none());
        assert_eq!(c.position(), 3);
        let mut c = PartitionCursor::new(fetched(Bytes::new(), 3, vec![]), IsolationLevel::ReadUncommitted, true);
        assert!(c.next_record().is_none());
        assert_eq!(c.position(), 3);
    }

    #[test]
    fn a_fetch_error_is_returned_once() {
        let mut f = fetched(Bytes::new(), 5, vec![]);
        f.result = Err(Error::kafka(kafkit_protocol::ErrorCode::TOPIC_AUTHORIZATION_FAILED, "fetching quotes[3]"));
        let mut c = PartitionCursor::new(f, IsolationLevel::ReadUncommitted, true);
        assert!(!c.is_done());
        let e = c.next_record().unwrap().unwrap_err();
        assert_eq!(e.code(), Some(kafkit_protocol::ErrorCode::TOPIC_AUTHORIZATION_FAILED));
        assert!(c.next_record().is_none());
        assert_eq!(c.position(), 5);
        assert!(c.is_done());
    }

    /// Decoding speed, run by hand: `cargo test --release -p kafkit-client --lib
    /// cursor_throughput -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement, not a test; run in release"]
    fn cursor_throughput() {
        use std::time::Instant;
        const N: usize = 4_000_000;
        const FETCH: usize = 1 << 20;
        let value = [b'x'; 100];
        for codec in [Compression::None, Compression::Lz4] {
            // One ~1 MiB batch per Fetched, as max.partition.fetch.bytes cuts them.
            let mut blobs = Vec::new();
            let mut b = RecordBatchBuilder::with_capacity(0, FETCH).with_compression(codec);
            for i in 0..N {
                let ts = TS + i as i64;
                if b.try_append(FETCH, ts, None, Some(&value), &[]).unwrap().is_none() {
                    let full = std::mem::replace(
                        &mut b,
                        RecordBatchBuilder::with_capacity(i as i64, FETCH).with_compression(codec),
                    );
                    blobs.push(full.finish().unwrap());
                    b.append(ts, None, Some(&value), &[]).unwrap();
                }
            }
            blobs.push(b.finish().unwrap());
            for crc in [true, false] {
                let mut best = f64::MAX;
                for _ in 0..3 {
                    let fetches: Vec<Fetched> = blobs
                        .iter()
                        .map(|blob| {
                            let base = RecordBatch::decode(blob.clone()).unwrap().base_offset;
                            fetched(blob.clone(), base, vec![])
                        })
                        .collect();
                    let start = Instant::now();
                    let (mut n, mut bytes) = (0usize, 0usize);
                    for f in fetches {
                        let mut c = PartitionCursor::new(f, IsolationLevel::ReadUncommitted, crc);
                        while let Some(r) = c.next_record() {
                            let r = r.unwrap();
                            bytes += r.value.as_ref().map_or(0, |v| v.len());
                            n += 1;
                        }
                    }
                    best = best.min(start.elapsed().as_secs_f64());
                    assert_eq!((n, bytes), (N, N * 100));
                }
                println!("{codec:>6}, check.crcs={crc}: {:>6.2} M records/s", N as f64 / best / 1e6);
            }
        }
    }
}
