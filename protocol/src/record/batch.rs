//! The v2 record batch (magic 2), Kafka's wire and on-disk format since 0.11:
//!
//! ```text
//! offset  field                 type
//!  0      baseOffset            i64
//!  8      batchLength           i32   bytes after this field
//! 12      partitionLeaderEpoch  i32
//! 16      magic                 i8    2
//! 17      crc                   u32   CRC-32C of bytes 21..end
//! 21      attributes            i16   codec (bits 0-2), timestamp type (3), transactional (4),
//!                                     control (5), delete horizon (6)
//! 23      lastOffsetDelta       i32
//! 27      baseTimestamp         i64
//! 35      maxTimestamp          i64
//! 43      producerId            i64
//! 51      producerEpoch         i16
//! 53      baseSequence          i32
//! 57      recordsCount          i32
//! 61      records               (compressed as one block if the codec is not none)
//! ```
//!
//! A [`RecordBatch`] is the decoded header plus the raw records section; records are decoded
//! lazily by [`RecordBatch::records`].

use bytes::{BufMut, Bytes, BytesMut};

use super::attributes::{CONTROL_BIT, DELETE_HORIZON_BIT, TRANSACTIONAL_BIT};
use super::compression::{decompress, Compression};
use super::record::{decode_record, Record, RecordBase, MIN_RECORD_SIZE};
use super::{DecodeOptions, TimestampType};
use crate::codec::Reader;
use crate::error::{DecodeError, DecodeErrorKind, DecodeResult, EncodeError, EncodeResult};

/// The size of a v2 batch header; a batch is this plus its records section.
pub const RECORD_BATCH_OVERHEAD: usize = 61;
/// Offset and length fields, common to every format: the bytes before a batch's or message's
/// length counts.
pub const LOG_OVERHEAD: usize = 12;
/// The byte offset of the magic in a batch or legacy message entry.
pub const MAGIC_OFFSET: usize = 16;
/// The magic byte of v2 batches.
pub const MAGIC_V2: i8 = 2;

pub(crate) const PARTITION_LEADER_EPOCH_OFFSET: usize = 12;
pub(crate) const CRC_OFFSET: usize = 17;
pub(crate) const ATTRIBUTES_OFFSET: usize = 21;
pub(crate) const PRODUCER_ID_OFFSET: usize = 43;
/// The smallest possible `batchLength`.
pub(crate) const MIN_BATCH_LENGTH: i32 = (RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) as i32;

/// A decoded v2 record batch: its header fields and its records section, still encoded (and
/// compressed, if the batch is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordBatch {
    /// The offset of the first record.
    pub base_offset: i64,
    /// The leader epoch of the broker that appended the batch (-1 from a producer).
    pub partition_leader_epoch: i32,
    /// The CRC-32C stored in the batch.
    pub crc: u32,
    /// All attribute bits; see the accessors ([`RecordBatch::compression`] and the rest).
    pub attributes: i16,
    /// The offset of the last record minus `base_offset`.
    pub last_offset_delta: i32,
    /// The timestamp record deltas count from (the delete horizon if
    /// [`RecordBatch::delete_horizon`] is set).
    pub base_timestamp: i64,
    /// The largest timestamp in the batch (the log append time for
    /// [`TimestampType::LogAppendTime`]).
    pub max_timestamp: i64,
    /// The idempotent or transactional producer's id, -1 for none.
    pub producer_id: i64,
    /// The producer's epoch, -1 for none.
    pub producer_epoch: i16,
    /// The sequence number of the first record, -1 for none.
    pub base_sequence: i32,
    /// How many records the batch holds.
    pub record_count: i32,
    /// The records section as it came (compressed if the batch is).
    pub records: Bytes,
    /// The decompression limit of the options the batch was decoded with.
    max_decompressed_size: usize,
}

impl RecordBatch {
    /// Decodes exactly one v2 batch (its bytes, from `baseOffset` to the end of its records),
    /// checking its CRC.
    pub fn decode(batch: Bytes) -> DecodeResult<Self> {
        Self::decode_with(batch, &DecodeOptions::default())
    }

    /// [`RecordBatch::decode`] with options.
    ///
    /// The whole batch is checked here: lengths, magic, codec, record count against the bytes
    /// present, and the CRC (unless `options.verify_crc` is off). A CRC mismatch is a
    /// [`DecodeErrorKind::CrcMismatch`] with context `record batch at offset N`; the caller adds
    /// the topic and partition with [`DecodeError::context`].
    pub fn decode_with(batch: Bytes, options: &DecodeOptions) -> DecodeResult<Self> {
        let mut r = Reader::new(batch);
        let base_offset = match r.i64() {
            Ok(v) => v,
            Err(e) => return Err(e.context("record batch")),
        };
        Self::decode_after_offset(&mut r, base_offset, options)
            .map_err(|e| e.context(format!("record batch at offset {base_offset}")))
    }

    fn decode_after_offset(r: &mut Reader, base_offset: i64, options: &DecodeOptions) -> DecodeResult<Self> {
        let length_at = r.offset();
        let batch_length = r.i32()?;
        if batch_length < MIN_BATCH_LENGTH {
            return Err(DecodeError::new(
                DecodeErrorKind::InvalidLength { length: i64::from(batch_length), remaining: r.remaining() },
                length_at,
            ));
        }
        let declared = batch_length as usize;
        if declared > r.remaining() {
            return Err(r.error(DecodeErrorKind::Truncated { needed: declared, remaining: r.remaining() }));
        }
        if declared < r.remaining() {
            return Err(DecodeError::new(
                DecodeErrorKind::TrailingBytes(r.remaining() - declared),
                LOG_OVERHEAD + declared,
            ));
        }
        let partition_leader_epoch = r.i32()?;
        let magic = r.i8()?;
        if magic != MAGIC_V2 {
            return Err(DecodeError::new(DecodeErrorKind::UnknownMagic(magic), MAGIC_OFFSET));
        }
        let crc = r.u32()?;
        if options.verify_crc {
            let computed = crc32c::crc32c(r.peek_rest());
            if computed != crc {
                return Err(DecodeError::new(DecodeErrorKind::CrcMismatch { stored: crc, computed }, CRC_OFFSET));
            }
        }
        let attributes = r.i16()?;
        if Compression::from_attributes(attributes).is_none() {
            return Err(DecodeError::new(
                DecodeErrorKind::UnknownCompression((attributes & 0x07) as u8),
                ATTRIBUTES_OFFSET,
            ));
        }
        let last_offset_delta = r.i32()?;
        let base_timestamp = r.i64()?;
        let max_timestamp = r.i64()?;
        let producer_id = r.i64()?;
        let producer_epoch = r.i16()?;
        let base_sequence = r.i32()?;
        let count_at = r.offset();
        let record_count = r.i32()?;
        let records = r.rest();
        let uncompressed = attributes & 0x07 == 0;
        // Compressed records are checked against their count once decompressed.
        let max_count = if uncompressed { records.len() / MIN_RECORD_SIZE } else { usize::MAX };
        if record_count < 0 || record_count as usize > max_count {
            return Err(DecodeError::new(
                DecodeErrorKind::InvalidLength { length: i64::from(record_count), remaining: records.len() },
                count_at,
            ));
        }
        Ok(Self {
            base_offset,
            partition_leader_epoch,
            crc,
            attributes,
            last_offset_delta,
            base_timestamp,
            max_timestamp,
            producer_id,
            producer_epoch,
            base_sequence,
            record_count,
            records,
            max_decompressed_size: options.max_decompressed_size,
        })
    }

    /// The codec of the records section.
    pub fn compression(&self) -> Compression {
        // Checked when decoding.
        Compression::from_attributes(self.attributes).unwrap_or_default()
    }

    /// What the timestamps mean.
    pub fn timestamp_type(&self) -> TimestampType {
        TimestampType::from_attributes(self.attributes)
    }

    /// Whether the batch belongs to a transaction.
    pub fn is_transactional(&self) -> bool {
        self.attributes & TRANSACTIONAL_BIT != 0
    }

    /// Whether the batch holds control records (transaction markers), not data.
    pub fn is_control(&self) -> bool {
        self.attributes & CONTROL_BIT != 0
    }

    /// The delete horizon set by log compaction (in `base_timestamp`), if any.
    pub fn delete_horizon(&self) -> Option<i64> {
        (self.attributes & DELETE_HORIZON_BIT != 0).then_some(self.base_timestamp)
    }

    /// The offset of the last record (records may have been removed by compaction, so it can be
    /// more than `base_offset + record_count - 1`).
    pub fn last_offset(&self) -> i64 {
        self.base_offset.wrapping_add(i64::from(self.last_offset_delta))
    }

    /// The offset after the batch: where the next fetch starts.
    pub fn next_offset(&self) -> i64 {
        self.last_offset().wrapping_add(1)
    }

    /// The batch's size on the wire, header included.
    pub fn size_in_bytes(&self) -> usize {
        RECORD_BATCH_OVERHEAD + self.records.len()
    }

    /// The records section decompressed (or as it is, if the batch is not compressed), without
    /// copying in the uncompressed case.
    pub fn decompressed_records(&self) -> DecodeResult<Bytes> {
        match self.compression() {
            Compression::None => Ok(self.records.clone()),
            codec => decompress(codec, &self.records, self.max_decompressed_size)
                .map_err(|e| e.context(format!("{codec} records of the batch at offset {}", self.base_offset))),
        }
    }

    /// An iterator over the records, decompressing them first if the batch is compressed.
    ///
    /// Records borrow nothing from the batch: their keys and values are slices of the fetched
    /// buffer (or of the decompressed one) and keep it alive on their own.
    pub fn records(&self) -> DecodeResult<RecordIter> {
        let data = self.decompressed_records()?;
        let count = self.record_count.max(0) as usize;
        if count > data.len() / MIN_RECORD_SIZE {
            return Err(DecodeError::new(
                DecodeErrorKind::InvalidLength { length: i64::from(self.record_count), remaining: data.len() },
                0,
            )
            .context(format!("record count of the batch at offset {}", self.base_offset)));
        }
        Ok(RecordIter {
            data,
            pos: 0,
            left: count,
            index: 0,
            base: RecordBase {
                base_offset: self.base_offset,
                base_timestamp: self.base_timestamp,
                log_append_time: (self.timestamp_type() == TimestampType::LogAppendTime).then_some(self.max_timestamp),
            },
            done: false,
        })
    }

    /// All records, decoded.
    pub fn to_records(&self) -> DecodeResult<Vec<Record>> {
        let it = self.records()?;
        let mut out = Vec::with_capacity(it.left);
        for r in it {
            out.push(r?);
        }
        Ok(out)
    }

    /// Writes the batch back: the header from the fields (with `batchLength` from the records'
    /// size and the CRC recomputed) and the records section as it is.
    pub fn encode(&self, buf: &mut BytesMut) -> EncodeResult<()> {
        let header = BatchHeader {
            base_offset: self.base_offset,
            partition_leader_epoch: self.partition_leader_epoch,
            attributes: self.attributes,
            last_offset_delta: self.last_offset_delta,
            base_timestamp: self.base_timestamp,
            max_timestamp: self.max_timestamp,
            producer_id: self.producer_id,
            producer_epoch: self.producer_epoch,
            base_sequence: self.base_sequence,
            record_count: self.record_count,
        };
        let start = buf.len();
        buf.reserve(self.size_in_bytes());
        buf.put_bytes(0, RECORD_BATCH_OVERHEAD);
        buf.put_slice(&self.records);
        header.write(&mut buf[start..])
    }

    /// The batch, encoded (see [`RecordBatch::encode`]).
    pub fn to_bytes(&self) -> EncodeResult<Bytes> {
        let mut buf = BytesMut::with_capacity(self.size_in_bytes());
        self.encode(&mut buf)?;
        Ok(buf.freeze())
    }
}

/// The header fields that are written, in order, after the batch is complete.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BatchHeader {
    pub base_offset: i64,
    pub partition_leader_epoch: i32,
    pub attributes: i16,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub record_count: i32,
}

impl BatchHeader {
    /// Fills in the first [`RECORD_BATCH_OVERHEAD`] bytes of `batch` (a whole batch, records
    /// already in place) and its CRC.
    pub(crate) fn write(&self, batch: &mut [u8]) -> EncodeResult<()> {
        if batch.len() < RECORD_BATCH_OVERHEAD {
            return Err(too_short());
        }
        let batch_length = i32::try_from(batch.len() - LOG_OVERHEAD).map_err(|_| EncodeError::TooLong {
            what: "record batch",
            length: batch.len(),
            max: i32::MAX as usize,
        })?;
        {
            let mut w = &mut batch[..RECORD_BATCH_OVERHEAD];
            w.put_i64(self.base_offset);
            w.put_i32(batch_length);
            w.put_i32(self.partition_leader_epoch);
            w.put_i8(MAGIC_V2);
            w.put_u32(0); // CRC, below
            w.put_i16(self.attributes);
            w.put_i32(self.last_offset_delta);
            w.put_i64(self.base_timestamp);
            w.put_i64(self.max_timestamp);
            w.put_i64(self.producer_id);
            w.put_i16(self.producer_epoch);
            w.put_i32(self.base_sequence);
            w.put_i32(self.record_count);
        }
        update_crc(batch)
    }
}

/// Recomputes the CRC of a whole encoded batch after its covered fields changed.
fn update_crc(batch: &mut [u8]) -> EncodeResult<()> {
    if batch.len() < RECORD_BATCH_OVERHEAD {
        return Err(too_short());
    }
    let (head, covered) = batch.split_at_mut(ATTRIBUTES_OFFSET);
    head[CRC_OFFSET..].copy_from_slice(&crc32c::crc32c(covered).to_be_bytes());
    Ok(())
}

#[cold]
fn too_short() -> EncodeError {
    EncodeError::Invalid("record batch buffer shorter than a batch header".into())
}

/// Sets the base offset of an encoded v2 batch (as a broker does when appending it). The base
/// offset is not covered by the CRC, so nothing else changes.
pub fn set_base_offset(batch: &mut [u8], base_offset: i64) -> EncodeResult<()> {
    if batch.len() < RECORD_BATCH_OVERHEAD {
        return Err(too_short());
    }
    batch[..8].copy_from_slice(&base_offset.to_be_bytes());
    Ok(())
}

/// Sets the partition leader epoch of an encoded v2 batch (as a broker does when appending it);
/// not covered by the CRC.
pub fn set_partition_leader_epoch(batch: &mut [u8], epoch: i32) -> EncodeResult<()> {
    if batch.len() < RECORD_BATCH_OVERHEAD {
        return Err(too_short());
    }
    batch[PARTITION_LEADER_EPOCH_OFFSET..MAGIC_OFFSET].copy_from_slice(&epoch.to_be_bytes());
    Ok(())
}

/// Sets the producer id, epoch and base sequence of an encoded v2 batch and recomputes its CRC
/// (an idempotent producer does this when it resends a batch under a new epoch).
pub fn set_producer_state(
    batch: &mut [u8],
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
) -> EncodeResult<()> {
    if batch.len() < RECORD_BATCH_OVERHEAD {
        return Err(too_short());
    }
    let mut w = &mut batch[PRODUCER_ID_OFFSET..];
    w.put_i64(producer_id);
    w.put_i16(producer_epoch);
    w.put_i32(base_sequence);
    update_crc(batch)
}

/// An iterator over the records of one v2 batch, from [`RecordBatch::records`].
///
/// Yields each record or the first error, then stops. After the last record it checks that the
/// records section has been consumed exactly: bytes left over are an error.
#[derive(Debug, Clone)]
pub struct RecordIter {
    data: Bytes,
    pos: usize,
    left: usize,
    index: usize,
    base: RecordBase,
    done: bool,
}

impl RecordIter {
    /// How many records are still to come (the batch's count; fewer if an error ends it).
    pub fn remaining(&self) -> usize {
        if self.done {
            0
        } else {
            self.left
        }
    }

    #[cold]
    fn fail(&mut self, e: DecodeError) -> Option<DecodeResult<Record>> {
        self.done = true;
        Some(Err(e.context(format!("record {} of the batch at offset {}", self.index, self.base.base_offset))))
    }
}

impl Iterator for RecordIter {
    type Item = DecodeResult<Record>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            if self.done {
                return None;
            }
            self.done = true;
            if self.pos != self.data.len() {
                let e = DecodeError::new(DecodeErrorKind::TrailingBytes(self.data.len() - self.pos), self.pos);
                return self.fail(e);
            }
            return None;
        }
        if self.done {
            return None;
        }
        match decode_record(&self.data, &mut self.pos, &self.base) {
            Ok(r) => {
                self.left -= 1;
                self.index += 1;
                Some(Ok(r))
            }
            Err(e) => self.fail(e),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.remaining();
        (0, Some(n + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Header, RecordBatchBuilder};

    /// A batch worked out by hand from the format: base offset 42, leader epoch 3, no codec,
    /// create time, no producer, two records:
    /// - offset delta 0, timestamp delta 0, null key, value "a", no headers;
    /// - offset delta 1, timestamp delta 5, key "k", value "bc", header "h" → "v".
    ///
    /// The CRC-32C is over bytes 21..83 (computed with a reference implementation).
    const GOLDEN: &[u8] = &[
        0, 0, 0, 0, 0, 0, 0, 42, // baseOffset
        0, 0, 0, 71, // batchLength = 83 - 12
        0, 0, 0, 3, // partitionLeaderEpoch
        2, // magic
        0x45, 0x85, 0x0d, 0x2b, // crc
        0, 0, // attributes
        0, 0, 0, 1, // lastOffsetDelta
        0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00, // baseTimestamp 1_700_000_000_000
        0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x05, // maxTimestamp (+5)
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // producerId -1
        0xff, 0xff, // producerEpoch -1
        0xff, 0xff, 0xff, 0xff, // baseSequence -1
        0, 0, 0, 2, // records count
        // record 0: length 7, attributes, ts delta 0, offset delta 0, key null, value "a", 0 headers
        0x0e, 0x00, 0x00, 0x00, 0x01, 0x02, b'a', 0x00,
        // record 1: length 13, attributes, ts delta 5, offset delta 1, key "k", value "bc",
        // 1 header: key "h", value "v"
        0x1a, 0x00, 0x0a, 0x02, 0x02, b'k', 0x04, b'b', b'c', 0x02, 0x02, b'h', 0x02, b'v',
    ];

    const BASE_TS: i64 = 1_700_000_000_000;

    fn golden_records() -> Vec<Record> {
        vec![
            Record {
                offset: 42,
                timestamp: BASE_TS,
                key: None,
                value: Some(Bytes::from_static(b"a")),
                headers: vec![],
            },
            Record {
                offset: 43,
                timestamp: BASE_TS + 5,
                key: Some(Bytes::from_static(b"k")),
                value: Some(Bytes::from_static(b"bc")),
                headers: vec![Header::new("h", Some(Bytes::from_static(b"v")))],
            },
        ]
    }

    #[test]
    fn golden_batch_decodes_and_reencodes_byte_identical() {
        let batch = RecordBatch::decode(Bytes::from_static(GOLDEN)).unwrap();
        assert_eq!(batch.base_offset, 42);
        assert_eq!(batch.partition_leader_epoch, 3);
        assert_eq!(batch.crc, 0x4585_0d2b);
        assert_eq!(batch.attributes, 0);
        assert_eq!(batch.compression(), Compression::None);
        assert_eq!(batch.timestamp_type(), TimestampType::CreateTime);
        assert!(!batch.is_transactional() && !batch.is_control());
        assert_eq!(batch.delete_horizon(), None);
        assert_eq!(batch.last_offset_delta, 1);
        assert_eq!(batch.last_offset(), 43);
        assert_eq!(batch.next_offset(), 44);
        assert_eq!(batch.base_timestamp, BASE_TS);
        assert_eq!(batch.max_timestamp, BASE_TS + 5);
        assert_eq!((batch.producer_id, batch.producer_epoch, batch.base_sequence), (-1, -1, -1));
        assert_eq!(batch.record_count, 2);
        assert_eq!(batch.size_in_bytes(), GOLDEN.len());
        assert_eq!(batch.to_records().unwrap(), golden_records());
        assert_eq!(&batch.to_bytes().unwrap()[..], GOLDEN);

        // The builder writes the same bytes.
        let mut b = RecordBatchBuilder::new(42).with_partition_leader_epoch(3);
        for r in golden_records() {
            b.append(r.timestamp, r.key.as_deref(), r.value.as_deref(), &r.headers).unwrap();
        }
        assert_eq!(&b.finish().unwrap()[..], GOLDEN);
    }

    #[test]
    fn uncompressed_records_are_slices_of_the_input() {
        let input = Bytes::from_static(GOLDEN);
        let batch = RecordBatch::decode(input.clone()).unwrap();
        let range = input.as_ptr_range();
        let records = batch.to_records().unwrap();
        let r = &records[1];
        let key = r.key.as_ref().unwrap();
        assert_eq!(key.as_ptr(), input[GOLDEN.len() - 9..].as_ptr());
        for p in [
            key.as_ptr(),
            r.value.as_ref().unwrap().as_ptr(),
            r.headers[0].key().as_ptr(),
            r.headers[0].value().unwrap().as_ptr(),
            records[0].value.as_ref().unwrap().as_ptr(),
        ] {
            assert!(range.contains(&p));
        }
    }

    #[test]
    fn compressed_records_are_slices_of_one_decompressed_buffer() {
        let mut b = RecordBatchBuilder::new(0).with_compression(Compression::Snappy);
        for i in 0..50u8 {
            b.append(0, Some(&[i; 10]), Some(&[i; 30]), &[]).unwrap();
        }
        let input = b.finish().unwrap();
        let batch = RecordBatch::decode(input.clone()).unwrap();
        let records = batch.to_records().unwrap();
        let first = records[0].key.as_ref().unwrap().as_ptr() as usize;
        let section = batch.decompressed_records().unwrap().len();
        let outside_input = !input.as_ptr_range().contains(&(first as *const u8));
        assert!(outside_input);
        for r in &records {
            for p in [r.key.as_ref().unwrap().as_ptr(), r.value.as_ref().unwrap().as_ptr()] {
                let p = p as usize;
                assert!(p >= first && p < first + section);
            }
        }
    }

    #[test]
    fn a_flipped_byte_is_a_crc_mismatch_naming_the_base_offset() {
        for at in ATTRIBUTES_OFFSET..GOLDEN.len() {
            let mut bad = GOLDEN.to_vec();
            bad[at] ^= 0x10;
            let err = RecordBatch::decode(Bytes::from(bad)).unwrap_err();
            assert!(matches!(err.kind(), DecodeErrorKind::CrcMismatch { stored: 0x4585_0d2b, .. }), "byte {at}: {err}");
            assert_eq!(err.offset(), CRC_OFFSET);
            assert!(err.to_string().contains("record batch at offset 42"), "{err}");
            let err = err.context("partition 3 of quotes");
            assert!(err.to_string().contains("partition 3 of quotes > record batch at offset 42"));
        }
        // A flipped CRC byte too.
        let mut bad = GOLDEN.to_vec();
        bad[CRC_OFFSET] ^= 1;
        assert!(matches!(
            RecordBatch::decode(Bytes::from(bad.clone())).unwrap_err().kind(),
            DecodeErrorKind::CrcMismatch { .. }
        ));
        // Unchecked, the batch decodes (and its records are fine).
        let opts = DecodeOptions::default().with_verify_crc(false);
        let batch = RecordBatch::decode_with(Bytes::from(bad), &opts).unwrap();
        assert_eq!(batch.to_records().unwrap(), golden_records());
    }

    #[test]
    fn base_offset_and_leader_epoch_are_outside_the_crc() {
        let mut b = GOLDEN.to_vec();
        set_base_offset(&mut b, 1_000).unwrap();
        set_partition_leader_epoch(&mut b, 9).unwrap();
        let batch = RecordBatch::decode(Bytes::from(b.clone())).unwrap();
        assert_eq!(batch.base_offset, 1_000);
        assert_eq!(batch.partition_leader_epoch, 9);
        assert_eq!(batch.to_records().unwrap()[1].offset, 1_001);
        set_producer_state(&mut b, 77, 3, 100).unwrap();
        let batch = RecordBatch::decode(Bytes::from(b)).unwrap();
        assert_eq!((batch.producer_id, batch.producer_epoch, batch.base_sequence), (77, 3, 100));
        let mut short = [0u8; 60];
        assert!(set_base_offset(&mut short, 1).is_err());
        assert!(set_partition_leader_epoch(&mut short, 1).is_err());
        assert!(set_producer_state(&mut short, 1, 1, 1).is_err());
    }

    /// The golden batch with `f` applied and its CRC fixed, so that only `f`'s change is wrong.
    fn mutated(f: impl FnOnce(&mut Vec<u8>)) -> DecodeResult<Vec<Record>> {
        let mut b = GOLDEN.to_vec();
        f(&mut b);
        if b.len() >= RECORD_BATCH_OVERHEAD {
            update_crc(&mut b).unwrap();
        }
        RecordBatch::decode(Bytes::from(b))?.to_records()
    }

    #[test]
    fn malformed_batches_are_errors() {
        let kind = |r: DecodeResult<Vec<Record>>| r.unwrap_err().kind().clone();
        // batchLength: too small, negative, past the end, short of the end.
        for len in [48i32, -1, i32::MIN, 72, 0x7fff_ffff] {
            assert!(mutated(|b| b[8..12].copy_from_slice(&len.to_be_bytes())).is_err(), "{len}");
        }
        assert!(matches!(
            kind(mutated(|b| b[8..12].copy_from_slice(&70i32.to_be_bytes()))),
            DecodeErrorKind::TrailingBytes(1)
        ));
        assert!(matches!(kind(mutated(|b| b[16] = 1)), DecodeErrorKind::UnknownMagic(1)));
        assert!(matches!(kind(mutated(|b| b[22] = 5)), DecodeErrorKind::UnknownCompression(5)));
        // Record count: negative, more than the bytes can hold, one more or one fewer than there.
        for count in [-1i32, i32::MAX, 100, 3] {
            assert!(mutated(|b| b[57..61].copy_from_slice(&count.to_be_bytes())).is_err(), "{count}");
        }
        let err = mutated(|b| b[57..61].copy_from_slice(&1i32.to_be_bytes())).unwrap_err();
        assert!(matches!(err.kind(), DecodeErrorKind::TrailingBytes(14)), "{err}");
        // A record whose length runs past the section; one that ends early.
        assert!(mutated(|b| b[61] = 0x10).is_err());
        assert!(mutated(|b| b[61] = 0x0c).is_err());
        // Trailing garbage inside the batch, after the last record.
        let err = mutated(|b| {
            b.push(0xee);
            b[8..12].copy_from_slice(&72i32.to_be_bytes());
        })
        .unwrap_err();
        assert!(matches!(err.kind(), DecodeErrorKind::TrailingBytes(1)), "{err}");
        assert!(err.to_string().contains("batch at offset 42"), "{err}");
        // Header keys must be UTF-8.
        assert!(matches!(kind(mutated(|b| b[GOLDEN.len() - 3] = 0xff)), DecodeErrorKind::InvalidUtf8));
        // Compressed with garbage.
        assert!(matches!(kind(mutated(|b| b[22] = 1)), DecodeErrorKind::Decompression { codec: "gzip", .. }));
    }

    #[test]
    fn every_truncation_is_an_error() {
        for n in 0..GOLDEN.len() {
            assert!(RecordBatch::decode(Bytes::copy_from_slice(&GOLDEN[..n])).is_err(), "prefix {n}");
        }
    }

    #[test]
    fn log_append_time_and_delete_horizon() {
        let mut b = RecordBatchBuilder::new(0).with_timestamp_type(TimestampType::LogAppendTime);
        b.append(10, None, None, &[]).unwrap();
        b.append(30, None, None, &[]).unwrap();
        let batch = RecordBatch::decode(b.finish().unwrap()).unwrap();
        let ts: Vec<i64> = batch.records().unwrap().map(|r| r.unwrap().timestamp).collect();
        assert_eq!(ts, [30, 30]);
        let with_horizon = mutated(|b| b[22] |= DELETE_HORIZON_BIT as u8);
        assert_eq!(with_horizon.unwrap(), golden_records());
        let mut raw = GOLDEN.to_vec();
        raw[22] |= DELETE_HORIZON_BIT as u8;
        update_crc(&mut raw).unwrap();
        let batch = RecordBatch::decode(Bytes::from(raw)).unwrap();
        assert_eq!(batch.delete_horizon(), Some(BASE_TS));
    }

    #[test]
    fn record_iterator_stops_after_an_error() {
        let mut b = GOLDEN.to_vec();
        b[61] = 0x03; // negative length of record 0
        update_crc(&mut b).unwrap();
        let batch = RecordBatch::decode(Bytes::from(b)).unwrap();
        let mut it = batch.records().unwrap();
        assert_eq!(it.remaining(), 2);
        let err = it.next().unwrap().unwrap_err();
        assert!(err.to_string().contains("record 0 of the batch at offset 42"), "{err}");
        assert!(it.next().is_none());
        assert_eq!(it.remaining(), 0);
    }
}
