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

use super::attributes::{
    CONTROL_BIT, DELETE_HORIZON_BIT, TRANSACTIONAL_BIT,
};
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

    fn decode_after_offset(
        r: &mut Reader,
        base_offset: i64,
        options: &DecodeOptions,
    ) -> DecodeResult<Self> {
        let length_at = r.offset();
        let batch_length = r.i32()?;
        if batch_length < MIN_BATCH_LENGTH {
            return Err(DecodeError::new(
                DecodeErrorKind::InvalidLength {
                    length: i64::from(batch_length),
                    remaining: r.remaining(),
                },
                length_at,
            ));
        }
        let declared = batch_length as usize;
        if declared > r.remaining() {
            return Err(r.error(DecodeErrorKind::Truncated {
                needed: declared,
                remaining: r.remaining(),
            }));
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
                return Err(DecodeError::new(
                    DecodeErrorKind::CrcMismatch {
                        stored: crc,
                        computed,
                    },
                    CRC_OFFSET,
                ));
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
        let max_count = if uncompressed {
            records.len() / MIN_RECORD_SIZE
        } else {
            usize::MAX
        };
        if record_count < 0 || record_count as usize > max_count {
            return Err(DecodeError::new(
                DecodeErrorKind::InvalidLength {
                    length: i64::from(record_count),
                    remaining: records.len(),
                },
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
        self.base_offset
            .wrapping_add(i64::from(self.last_offset_delta))
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
            codec => decompress(codec, &self.records, self.max_decompressed_size).map_err(|e| {
                e.context(format!(
                    "{codec} records of the batch at offset {}",
                    self.base_offset
                ))
            }),
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
                DecodeErrorKind::InvalidLength {
                    length: i64::from(self.record_count),
                    remaining: data.len(),
                },
                0,
            )
            .context(format!(
                "record count of the batch at offset {}",
                self.base_offset
            )));
        }
        Ok(RecordIter {
            data,
            pos: 0,
            left: count,
            index: 0,
            base: RecordBase {
                base_offset: self.base_offset,
                base_timestamp: self.base_timestamp,
                log_append_time: (self.timestamp_type() == TimestampType::LogAppendTime)
                    .then_some(self.max_timestamp),
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
        let batch_length =
            i32::try_from(batch.len() - LOG_OVERHEAD).map_err(|_| EncodeError::TooLong {
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
        Some(Err(e.context(format!(
            "record {} of the batch at offset {}",
            self.index, self.base.base_offset
        ))))
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
                let e = DecodeError::new(
                    DecodeErrorKind::TrailingBytes(self.data.len() - self.pos),
                    self.pos,
                );
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

