//! [`RecordBatchBuilder`]: the open batch a producer appends records into.

use bytes::{BufMut, Bytes, BytesMut};

use super::attributes::{CONTROL_BIT, TRANSACTIONAL_BIT};
use super::batch::{BatchHeader, RECORD_BATCH_OVERHEAD};
use super::compression::{compress, Compression};
use super::record::{body_size, record_size, write_record, Header, Record};
use super::TimestampType;
use crate::error::{EncodeError, EncodeResult};

/// Writes a v2 record batch, one record at a time, straight into its final buffer.
///
/// Each [`append`](Self::append) computes the record's size once, writes its varints and bytes
/// into one `BytesMut` (no allocation per record beyond the buffer's own growth; give it the
/// batch size with [`with_capacity`](Self::with_capacity) and there is none), and updates the
/// offset delta, timestamps and count. [`size`](Self::size) is the encoded size so far, so a
/// producer can close the batch before it passes `batch.size`; [`try_append`](Self::try_append)
/// does that check and the append in one step.
///
/// [`finish`](Self::finish) compresses the records (if a codec is set), writes the header with
/// the producer id, epoch, base sequence and attribute bits, computes the CRC-32C, and returns the
/// batch.
///
/// ```
/// use kafkit_protocol::record::{Compression, RecordBatch, RecordBatchBuilder};
///
/// let mut b = RecordBatchBuilder::with_capacity(0, 16 * 1024).with_compression(Compression::Lz4);
/// b.append(1_700_000_000_000, Some(b"key"), Some(b"value"), &[]).unwrap();
/// b.append(1_700_000_000_001, None, Some(b"another"), &[]).unwrap();
/// b.set_producer_state(1000, 0, 0);
/// let bytes = b.finish().unwrap();
///
/// let batch = RecordBatch::decode(bytes).unwrap();
/// assert_eq!(batch.compression(), Compression::Lz4);
/// let records = batch.to_records().unwrap();
/// assert_eq!(records[1].offset, 1);
/// assert_eq!(records[1].value.as_deref(), Some(&b"another"[..]));
/// ```
#[derive(Debug, Clone)]
pub struct RecordBatchBuilder {
    /// The header's bytes (zeros until `finish`) followed by the records written so far.
    buf: BytesMut,
    base_offset: i64,
    compression: Compression,
    compression_level: Option<i32>,
    timestamp_type: TimestampType,
    transactional: bool,
    control: bool,
    partition_leader_epoch: i32,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    /// Set by the first record.
    base_timestamp: i64,
    max_timestamp: i64,
    last_offset_delta: i32,
    count: i32,
}

/// The capacity of a builder made by [`RecordBatchBuilder::new`].
const DEFAULT_CAPACITY: usize = 1024;

impl RecordBatchBuilder {
    /// An empty batch whose first record will have offset `base_offset` (a producer uses 0: the
    /// broker assigns offsets).
    pub fn new(base_offset: i64) -> Self {
        Self::with_capacity(base_offset, DEFAULT_CAPACITY)
    }

    /// An empty batch with room for `capacity` encoded bytes (header included) before its buffer
    /// grows.
    pub fn with_capacity(base_offset: i64, capacity: usize) -> Self {
        let mut buf = BytesMut::with_capacity(capacity.max(RECORD_BATCH_OVERHEAD));
        buf.put_bytes(0, RECORD_BATCH_OVERHEAD);
        Self {
            buf,
            base_offset,
            compression: Compression::None,
            compression_level: None,
            timestamp_type: TimestampType::CreateTime,
            transactional: false,
            control: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            base_timestamp: -1,
            max_timestamp: -1,
            last_offset_delta: -1,
            count: 0,
        }
    }

    /// An empty batch written into `buf` (cleared first): a producer recycling the buffers of
    /// acknowledged batches avoids allocating and faulting in a new one per batch.
    pub fn with_buffer(base_offset: i64, mut buf: BytesMut) -> Self {
        buf.clear();
        buf.reserve(RECORD_BATCH_OVERHEAD);
        buf.put_bytes(0, RECORD_BATCH_OVERHEAD);
        let mut b = Self::with_capacity(base_offset, 0);
        b.buf = buf;
        b
    }

    /// Compresses the records with `codec` when the batch is finished.
    #[must_use]
    pub fn with_compression(mut self, codec: Compression) -> Self {
        self.compression = codec;
        self
    }

    /// The compression level (gzip only, 0–9; see [`super::compression::compress`]).
    #[must_use]
    pub fn with_compression_level(mut self, level: Option<i32>) -> Self {
        self.compression_level = level;
        self
    }

    /// Marks the timestamps as create time (the default) or log append time.
    /// [`TimestampType::NoTimestamp`] does not exist in v2 and is written as create time.
    #[must_use]
    pub fn with_timestamp_type(mut self, t: TimestampType) -> Self {
        self.timestamp_type = t;
        self
    }

    /// Marks the batch as part of a transaction.
    #[must_use]
    pub fn with_transactional(mut self, transactional: bool) -> Self {
        self.transactional = transactional;
        self
    }

    /// Marks the batch as a control batch (its records must be control records; see
    /// [`super::ControlRecord`]).
    #[must_use]
    pub fn with_control(mut self, control: bool) -> Self {
        self.control = control;
        self
    }

    /// Sets the partition leader epoch (brokers set it; producers leave -1).
    #[must_use]
    pub fn with_partition_leader_epoch(mut self, epoch: i32) -> Self {
        self.partition_leader_epoch = epoch;
        self
    }

    /// Sets the idempotent producer's id, epoch and the sequence number of the first record
    /// (all -1 unless set). A producer typically calls this when it drains the batch.
    pub fn set_producer_state(&mut self, producer_id: i64, producer_epoch: i16, base_sequence: i32) {
        self.producer_id = producer_id;
        self.producer_epoch = producer_epoch;
        self.base_sequence = base_sequence;
    }

    /// Sets or clears the transactional flag.
    pub fn set_transactional(&mut self, transactional: bool) {
        self.transactional = transactional;
    }

    /// The codec the batch will be compressed with.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// The offset of the first record.
    pub fn base_offset(&self) -> i64 {
        self.base_offset
    }

    /// How many records have been appended.
    pub fn record_count(&self) -> usize {
        self.count as usize
    }

    /// Whether no record has been appended.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The encoded size of the batch so far, header included, before compression.
    pub fn size(&self) -> usize {
        self.buf.len()
    }

    /// The largest timestamp appended so far (-1 if none).
    pub fn max_timestamp(&self) -> i64 {
        self.max_timestamp
    }

    /// The timestamp deltas count from (the first record's timestamp; -1 before it).
    pub fn base_timestamp(&self) -> i64 {
        self.base_timestamp
    }

    /// The offset delta the next [`append`](Self::append) uses.
    fn next_offset_delta(&self) -> EncodeResult<i32> {
        self.last_offset_delta.checked_add(1).ok_or(EncodeError::TooLong {
            what: "record batch (records)",
            length: self.count as usize + 1,
            max: i32::MAX as usize,
        })
    }

    fn timestamp_delta(&self, timestamp: i64) -> i64 {
        if self.count == 0 {
            0
        } else {
            timestamp.wrapping_sub(self.base_timestamp)
        }
    }

    /// The number of bytes [`append`](Self::append) would add for this record.
    pub fn record_size(
        &self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header],
    ) -> EncodeResult<usize> {
        let body = body_size(self.next_offset_delta()?, self.timestamp_delta(timestamp), key, value, headers)?;
        Ok(record_size(body))
    }

    /// Appends a record with the next offset (`base_offset + record_count`). Returns its offset
    /// delta (its index in the batch). Fails only for lengths the format cannot hold.
    #[inline]
    pub fn append(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header],
    ) -> EncodeResult<i32> {
        let delta = self.next_offset_delta()?;
        self.append_at(delta, timestamp, key, value, headers, None).map(|appended| appended.unwrap_or(delta))
    }

    /// Appends the record unless the batch is not empty and the record would take it past
    /// `max_size` bytes (before compression); then returns `Ok(None)` and changes nothing. A first
    /// record is always accepted, however large, as in the Java client.
    #[inline]
    pub fn try_append(
        &mut self,
        max_size: usize,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header],
    ) -> EncodeResult<Option<i32>> {
        let delta = self.next_offset_delta()?;
        self.append_at(delta, timestamp, key, value, headers, Some(max_size))
    }

    /// Appends `record` at its own offset, which must be after the last one appended (offsets may
    /// have gaps, as after compaction). For brokers, mock brokers and tests.
    pub fn append_record(&mut self, record: &Record) -> EncodeResult<()> {
        let delta = record
            .offset
            .checked_sub(self.base_offset)
            .and_then(|d| i32::try_from(d).ok())
            .filter(|&d| d > self.last_offset_delta)
            .ok_or_else(|| {
                EncodeError::Invalid(
                    format!(
                        "record offset {} does not follow offset {} of the batch at base offset {}",
                        record.offset,
                        self.base_offset.wrapping_add(i64::from(self.last_offset_delta)),
                        self.base_offset
                    )
                    .into(),
                )
            })?;
        self.append_at(delta, record.timestamp, record.key.as_deref(), record.value.as_deref(), &record.headers, None)?;
        Ok(())
    }

    #[inline]
    fn append_at(
        &mut self,
        offset_delta: i32,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header],
        max_size: Option<usize>,
    ) -> EncodeResult<Option<i32>> {
        if self.count == i32::MAX {
            return Err(EncodeError::TooLong {
                what: "record batch (records)",
                length: self.count as usize + 1,
                max: i32::MAX as usize,
            });
        }
        let ts_delta = self.timestamp_delta(timestamp);
        let body = body_size(offset_delta, ts_delta, key, value, headers)?;
        if let Some(max) = max_size {
            if self.count > 0 && self.buf.len() + record_size(body) > max {
                return Ok(None);
            }
        }
        write_record(&mut self.buf, body, offset_delta, ts_delta, key, value, headers);
        if self.count == 0 {
            self.base_timestamp = timestamp;
            self.max_timestamp = timestamp;
        } else if timestamp > self.max_timestamp {
            self.max_timestamp = timestamp;
        }
        self.last_offset_delta = offset_delta;
        self.count += 1;
        Ok(Some(offset_delta))
    }

    /// The attribute bits the batch will carry.
    fn attributes(&self) -> i16 {
        let mut a = i16::from(self.compression.id()) | self.timestamp_type.attribute_bits();
        if self.transactional {
            a |= TRANSACTIONAL_BIT;
        }
        if self.control {
            a |= CONTROL_BIT;
        }
        a
    }

    /// Completes the batch: compresses the records if a codec is set, writes the header and the
    /// CRC. Fails for an empty batch (Kafka has no use for one) or if compression fails.
    pub fn finish(self) -> EncodeResult<Bytes> {
        if self.count == 0 {
            return Err(EncodeError::Invalid("a record batch needs at least one record".into()));
        }
        let header = BatchHeader {
            base_offset: self.base_offset,
            partition_leader_epoch: self.partition_leader_epoch,
            attributes: self.attributes(),
            last_offset_delta: self.last_offset_delta,
            base_timestamp: self.base_timestamp,
            max_timestamp: self.max_timestamp,
            producer_id: self.producer_id,
            producer_epoch: self.producer_epoch,
            base_sequence: self.base_sequence,
            record_count: self.count,
        };
        let mut out = match self.compression {
            Compression::None => self.buf,
            codec => {
                let records = &self.buf[RECORD_BATCH_OVERHEAD..];
                let mut out = BytesMut::with_capacity(RECORD_BATCH_OVERHEAD + records.len() / 2);
                out.put_bytes(0, RECORD_BATCH_OVERHEAD);
                compress(codec, self.compression_level, records, &mut out)?;
                out
            }
        };
        header.write(&mut out)?;
        Ok(out.freeze())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::RecordBatch;

    #[test]
    fn tracks_size_deltas_and_timestamps() {
        let mut b = RecordBatchBuilder::new(10);
        assert!(b.is_empty());
        assert_eq!(b.size(), RECORD_BATCH_OVERHEAD);
        let s = b.record_size(500, Some(b"k"), Some(b"v"), &[]).unwrap();
        assert_eq!(b.append(500, Some(b"k"), Some(b"v"), &[]).unwrap(), 0);
        assert_eq!(b.size(), RECORD_BATCH_OVERHEAD + s);
        assert_eq!(b.append(400, None, None, &[]).unwrap(), 1);
        assert_eq!(b.append(900, None, None, &[]).unwrap(), 2);
        assert_eq!(b.base_timestamp(), 500);
        assert_eq!(b.max_timestamp(), 900);
        assert_eq!(b.record_count(), 3);
        let batch = RecordBatch::decode(b.finish().unwrap()).unwrap();
        assert_eq!(batch.base_offset, 10);
        assert_eq!(batch.last_offset_delta, 2);
        assert_eq!(batch.base_timestamp, 500);
        assert_eq!(batch.max_timestamp, 900);
        let ts: Vec<i64> = batch.records().unwrap().map(|r| r.unwrap().timestamp).collect();
        assert_eq!(ts, [500, 400, 900]);
    }

    #[test]
    fn try_append_stops_at_the_size() {
        let mut b = RecordBatchBuilder::new(0);
        let v = [0u8; 100];
        // The first record always goes in.
        assert_eq!(b.try_append(10, 0, None, Some(&v), &[]).unwrap(), Some(0));
        let before = b.size();
        assert_eq!(b.try_append(before + 50, 0, None, Some(&v), &[]).unwrap(), None);
        assert_eq!(b.size(), before);
        assert_eq!(b.try_append(before + 200, 0, None, Some(&v), &[]).unwrap(), Some(1));
    }

    #[test]
    fn a_recycled_buffer_is_cleared() {
        let mut old = BytesMut::with_capacity(4096);
        old.put_slice(&[0xAB; 300]);
        let mut b = RecordBatchBuilder::with_buffer(0, old);
        assert_eq!(b.size(), RECORD_BATCH_OVERHEAD);
        b.append(7, None, Some(b"v"), &[]).unwrap();
        let batch = RecordBatch::decode(b.finish().unwrap()).unwrap();
        let records = batch.to_records().unwrap();
        assert_eq!((records.len(), records[0].value.as_deref()), (1, Some(&b"v"[..])));
    }

    #[test]
    fn empty_batch_is_refused() {
        assert!(RecordBatchBuilder::new(0).finish().is_err());
    }

    #[test]
    fn append_record_keeps_offsets_and_refuses_going_back() {
        let mut b = RecordBatchBuilder::new(100);
        let r = |offset| Record { offset, timestamp: 5, ..Record::default() };
        b.append_record(&r(100)).unwrap();
        b.append_record(&r(105)).unwrap();
        assert!(b.append_record(&r(105)).is_err());
        assert!(b.append_record(&r(99)).is_err());
        assert!(b.append_record(&r(100 + i64::from(i32::MAX) + 1)).is_err());
        let batch = RecordBatch::decode(b.finish().unwrap()).unwrap();
        assert_eq!(batch.last_offset(), 105);
        let offsets: Vec<i64> = batch.records().unwrap().map(|r| r.unwrap().offset).collect();
        assert_eq!(offsets, [100, 105]);
    }

    #[test]
    fn producer_state_and_flags() {
        let mut b = RecordBatchBuilder::new(0)
            .with_transactional(true)
            .with_partition_leader_epoch(7)
            .with_compression(Compression::Gzip)
            .with_compression_level(Some(1))
            .with_timestamp_type(TimestampType::LogAppendTime);
        b.set_producer_state(123, 4, 56);
        b.append(1, None, Some(b"x"), &[]).unwrap();
        let batch = RecordBatch::decode(b.finish().unwrap()).unwrap();
        assert_eq!(batch.producer_id, 123);
        assert_eq!(batch.producer_epoch, 4);
        assert_eq!(batch.base_sequence, 56);
        assert_eq!(batch.partition_leader_epoch, 7);
        assert!(batch.is_transactional());
        assert!(!batch.is_control());
        assert_eq!(batch.compression(), Compression::Gzip);
        assert_eq!(batch.timestamp_type(), TimestampType::LogAppendTime);
    }
}
