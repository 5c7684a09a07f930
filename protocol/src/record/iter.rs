//! Iterating over a fetched records blob: the `records` bytes of a Fetch response partition, zero
//! or more batches back to back, in any mix of formats.

use bytes::Bytes;

use super::batch::{RecordBatch, RecordIter, LOG_OVERHEAD, MAGIC_OFFSET, MAGIC_V2};
use super::legacy::{LegacyBatch, LegacyRecords, MIN_MESSAGE_SIZE_V0};
use super::record::Record;
use super::{Compression, DecodeOptions, TimestampType};
use crate::error::{DecodeError, DecodeErrorKind, DecodeResult};

/// One batch of a records blob: a v2 record batch, or one top-level message of a magic 0 or 1
/// message set (which Kafka also treats as a batch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Batch {
    /// A record batch (magic 2).
    V2(RecordBatch),
    /// A legacy message (magic 0 or 1), plain or a compressed wrapper.
    Legacy(LegacyBatch),
}

impl Batch {
    /// The format: 0, 1 or 2.
    pub fn magic(&self) -> i8 {
        match self {
            Self::V2(_) => MAGIC_V2,
            Self::Legacy(b) => b.magic,
        }
    }

    /// The offset of the last record. (The first is only known for v2 batches, as
    /// `RecordBatch::base_offset`: for a legacy wrapper it takes decompressing.)
    pub fn last_offset(&self) -> i64 {
        match self {
            Self::V2(b) => b.last_offset(),
            Self::Legacy(b) => b.offset,
        }
    }

    /// The offset after the batch: where to fetch next.
    pub fn next_offset(&self) -> i64 {
        self.last_offset().wrapping_add(1)
    }

    /// The codec.
    pub fn compression(&self) -> Compression {
        match self {
            Self::V2(b) => b.compression(),
            Self::Legacy(b) => b.compression(),
        }
    }

    /// What the record timestamps mean.
    pub fn timestamp_type(&self) -> TimestampType {
        match self {
            Self::V2(b) => b.timestamp_type(),
            Self::Legacy(b) => b.timestamp_type(),
        }
    }

    /// The largest timestamp of the batch (for a legacy message: its timestamp, -1 for magic 0).
    pub fn max_timestamp(&self) -> i64 {
        match self {
            Self::V2(b) => b.max_timestamp,
            Self::Legacy(b) => b.timestamp,
        }
    }

    /// Whether the batch holds control records (never for legacy messages).
    pub fn is_control(&self) -> bool {
        matches!(self, Self::V2(b) if b.is_control())
    }

    /// Whether the batch belongs to a transaction (never for legacy messages).
    pub fn is_transactional(&self) -> bool {
        matches!(self, Self::V2(b) if b.is_transactional())
    }

    /// The producer id (-1 for none and for legacy messages).
    pub fn producer_id(&self) -> i64 {
        match self {
            Self::V2(b) => b.producer_id,
            Self::Legacy(_) => -1,
        }
    }

    /// The producer epoch (-1 for none and for legacy messages).
    pub fn producer_epoch(&self) -> i16 {
        match self {
            Self::V2(b) => b.producer_epoch,
            Self::Legacy(_) => -1,
        }
    }

    /// The batch's size in the blob.
    pub fn size_in_bytes(&self) -> usize {
        match self {
            Self::V2(b) => b.size_in_bytes(),
            Self::Legacy(b) => b.size_in_bytes(),
        }
    }

    /// The records, decompressed first if needed (v2 records are then decoded one by one as the
    /// iterator advances; legacy wrappers are decoded whole).
    pub fn records(&self) -> DecodeResult<BatchRecords> {
        Ok(BatchRecords(match self {
            Self::V2(b) => RecordsInner::V2(b.records()?),
            Self::Legacy(b) => RecordsInner::Legacy(b.records()?),
        }))
    }

    /// All records, decoded.
    pub fn to_records(&self) -> DecodeResult<Vec<Record>> {
        match self {
            Self::V2(b) => b.to_records(),
            Self::Legacy(b) => b.to_records(),
        }
    }
}

/// The records of a [`Batch`], whatever its format.
#[derive(Debug, Clone)]
pub struct BatchRecords(RecordsInner);

#[derive(Debug, Clone)]
enum RecordsInner {
    V2(RecordIter),
    Legacy(LegacyRecords),
}

impl Iterator for BatchRecords {
    type Item = DecodeResult<Record>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            RecordsInner::V2(it) => it.next(),
            RecordsInner::Legacy(it) => it.next().map(Ok),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            RecordsInner::V2(it) => it.size_hint(),
            RecordsInner::Legacy(it) => it.size_hint(),
        }
    }
}

/// The batches of a records blob, as a Fetch response returns them.
///
/// - Each batch is checked as it is reached ([`RecordBatch::decode_with`],
///   [`LegacyBatch::decode_with`]): lengths, magic, codec and CRC. Its records are decoded only
///   when asked for.
/// - The format is read per batch (the byte at offset 16), so a blob mixing magic 0, 1 and 2 (as
///   after a message format upgrade) reads uniformly.
/// - A truncated last batch is normal (the broker cuts the response at the fetch's max bytes) and
///   ends the iteration cleanly; [`Batches::truncated_bytes`] then says how many bytes were left.
///   A batch length that no batch can have (negative, or smaller than the smallest message) is an
///   error.
/// - After an error the iteration ends.
///
/// ```
/// use bytes::Bytes;
/// use kafkit_protocol::record::{Batches, RecordBatchBuilder};
///
/// let mut b = RecordBatchBuilder::new(0);
/// b.append(1, None, Some(b"v"), &[]).unwrap();
/// let batch = b.finish().unwrap();
/// // Two whole batches and the start of a third, as a broker cuts a response.
/// let blob = Bytes::from([&batch[..], &batch[..], &batch[..20]].concat());
///
/// let mut batches = Batches::new(blob);
/// let mut n = 0;
/// for batch in &mut batches {
///     for record in batch.unwrap().records().unwrap() {
///         assert_eq!(record.unwrap().value.as_deref(), Some(&b"v"[..]));
///         n += 1;
///     }
/// }
/// assert_eq!(n, 2);
/// assert_eq!(batches.truncated_bytes(), 20);
/// ```
#[derive(Debug, Clone)]
pub struct Batches {
    buf: Bytes,
    pos: usize,
    options: DecodeOptions,
    done: bool,
}

impl Batches {
    /// The batches of `blob`, with default options (CRC checked, 256 MiB decompression limit).
    pub fn new(blob: Bytes) -> Self {
        Self::with_options(blob, DecodeOptions::default())
    }

    /// The batches of `blob`.
    pub fn with_options(blob: Bytes, options: DecodeOptions) -> Self {
        Self {
            buf: blob,
            pos: 0,
            options,
            done: false,
        }
    }

    /// Bytes of the blob consumed by the batches yielded so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes after the last whole batch: once the iteration has ended cleanly, the size of the
    /// truncated batch the broker cut (0 if none). If it is the whole blob, no batch fit in the
    /// fetch's max bytes.
    pub fn truncated_bytes(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The records of all batches in turn, control batches (transaction markers) left out.
    pub fn into_records(self) -> BlobRecords {
        BlobRecords {
            batches: self,
            current: None,
            failed: false,
        }
    }

    #[cold]
    fn fail(&mut self, e: DecodeError) -> Option<DecodeResult<Batch>> {
        self.done = true;
        Some(Err(e.context(format!("records at byte {}", self.pos))))
    }
}

impl Iterator for Batches {
    type Item = DecodeResult<Batch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let Some((head, _)) = rest.split_first_chunk::<LOG_OVERHEAD>() else {
            self.done = true;
            return None;
        };
        let size = i32::from_be_bytes([head[8], head[9], head[10], head[11]]);
        if size < MIN_MESSAGE_SIZE_V0 as i32 {
            let e = DecodeError::new(
                DecodeErrorKind::InvalidLength {
                    length: i64::from(size),
                    remaining: rest.len() - LOG_OVERHEAD,
                },
                8,
            );
            return self.fail(e.context("batch length"));
        }
        let total = LOG_OVERHEAD + size as usize;
        if rest.len() < total {
            // Cut by the broker: not an error.
            self.done = true;
            return None;
        }
        let magic = rest.get(MAGIC_OFFSET).map_or(-1, |&m| m as i8);
        let entry = self.buf.slice(self.pos..self.pos + total);
        let batch = match magic {
            MAGIC_V2 => RecordBatch::decode_with(entry, &self.options).map(Batch::V2),
            0 | 1 => LegacyBatch::decode_with(entry, &self.options).map(Batch::Legacy),
            m => {
                let offset = i64::from_be_bytes([
                    head[0], head[1], head[2], head[3], head[4], head[5], head[6], head[7],
                ]);
                Err(DecodeError::new(DecodeErrorKind::UnknownMagic(m), MAGIC_OFFSET)
                    .context(format!("record batch at offset {offset}")))
            }
        };
        match batch {
            Ok(b) => {
                self.pos += total;
                Some(Ok(b))
            }
            Err(e) => self.fail(e),
        }
    }
}

/// The records of every batch of a blob, from [`Batches::into_records`]; control batches are
/// skipped. Ends after the first error.
#[derive(Debug, Clone)]
pub struct BlobRecords {
    batches: Batches,
    current: Option<BatchRecords>,
    failed: bool,
}

impl BlobRecords {
    /// The batches underneath (for [`Batches::truncated_bytes`] once done).
    pub fn batches(&self) -> &Batches {
        &self.batches
    }
}

impl Iterator for BlobRecords {
    type Item = DecodeResult<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.failed {
                return None;
            }
            if let Some(it) = &mut self.current {
                match it.next() {
                    Some(Ok(r)) => return Some(Ok(r)),
                    Some(Err(e)) => {
                        self.failed = true;
                        return Some(Err(e));
                    }
                    None => self.current = None,
                }
            }
            let batch = match self.batches.next()? {
                Ok(b) => b,
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            };
            if batch.is_control() {
                continue;
            }
            match batch.records() {
                Ok(it) => self.current = Some(it),
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}
