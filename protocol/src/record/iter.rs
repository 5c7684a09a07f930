//! Iterating over a fetched records blob: the `records` bytes of a Fetch response partition, zero
//! or more batches back to back, in any mix of formats.

use bytes::Bytes;

use super::batch::{RecordBatch, RecordIter, LOG_OVERHEAD, MAGIC_OFFSET, MAGIC_V2, MIN_BATCH_LENGTH};
use super::legacy::{LegacyBatch, LegacyRecords, MAGIC_V1, MIN_MESSAGE_SIZE_V0, MIN_MESSAGE_SIZE_V1};
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
///   A batch length that no batch can have (negative, or smaller than the smallest batch of its
///   format, when the blob reaches the magic byte) is an error, even in a truncated batch.
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
        Self { buf: blob, pos: 0, options, done: false }
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
        BlobRecords { batches: self, current: None, failed: false }
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
        // The magic, if the blob reaches it: it tells the smallest length the batch may have.
        let magic = rest.get(MAGIC_OFFSET).map(|&m| m as i8);
        let min_size = match magic {
            Some(MAGIC_V2) => MIN_BATCH_LENGTH,
            Some(MAGIC_V1) => MIN_MESSAGE_SIZE_V1 as i32,
            _ => MIN_MESSAGE_SIZE_V0 as i32,
        };
        if size < min_size {
            let e = DecodeError::new(
                DecodeErrorKind::InvalidLength { length: i64::from(size), remaining: rest.len() - LOG_OVERHEAD },
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
        let magic = magic.unwrap_or(-1);
        let entry = self.buf.slice(self.pos..self.pos + total);
        let batch = match magic {
            MAGIC_V2 => RecordBatch::decode_with(entry, &self.options).map(Batch::V2),
            0 | 1 => LegacyBatch::decode_with(entry, &self.options).map(Batch::Legacy),
            m => {
                let offset =
                    i64::from_be_bytes([head[0], head[1], head[2], head[3], head[4], head[5], head[6], head[7]]);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{ControlRecord, Header, LegacyMessageSetBuilder, RecordBatchBuilder, MAGIC_V0, MAGIC_V1};
    use bytes::BytesMut;
    use proptest::prelude::*;

    type Input = (i64, Option<Vec<u8>>, Option<Vec<u8>>, Vec<(String, Option<Vec<u8>>)>);

    fn input_strategy() -> impl Strategy<Value = Vec<Input>> {
        let bytes = || proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64));
        let header_key = prop_oneof!["[a-z_.-]{0,12}", "[é股票代码ü\\-]{0,6}", any::<String>(),];
        let header = (header_key, bytes());
        let timestamp = prop_oneof![any::<i64>(), 1_600_000_000_000i64..1_800_000_000_000, Just(-1i64),];
        proptest::collection::vec((timestamp, bytes(), bytes(), proptest::collection::vec(header, 0..4)), 1..25)
    }

    fn build(base_offset: i64, codec: Compression, input: &[Input]) -> Bytes {
        let mut b = RecordBatchBuilder::new(base_offset).with_compression(codec);
        for (ts, k, v, hs) in input {
            let headers: Vec<Header> =
                hs.iter().map(|(k, v)| Header::new(k.clone(), v.clone().map(Bytes::from))).collect();
            b.append(*ts, k.as_deref(), v.as_deref(), &headers).unwrap();
        }
        b.finish().unwrap()
    }

    fn check(records: &[Record], base_offset: i64, input: &[Input]) {
        assert_eq!(records.len(), input.len());
        for (i, (r, (ts, k, v, hs))) in records.iter().zip(input).enumerate() {
            assert_eq!(r.offset, base_offset + i as i64);
            assert_eq!(r.timestamp, *ts);
            assert_eq!(r.key.as_deref(), k.as_deref());
            assert_eq!(r.value.as_deref(), v.as_deref());
            assert_eq!(r.headers.len(), hs.len());
            for (h, (hk, hv)) in r.headers.iter().zip(hs) {
                assert_eq!(h.key_str(), hk);
                assert_eq!(h.value().map(|v| &v[..]), hv.as_deref());
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn builder_round_trips_with_every_codec(
            input in input_strategy(),
            base_offset in 0i64..i64::MAX / 2,
        ) {
            for codec in Compression::ALL {
                let blob = build(base_offset, codec, &input);
                let mut batches = Batches::new(blob.clone());
                let batch = batches.next().unwrap().unwrap();
                prop_assert!(batches.next().is_none());
                prop_assert_eq!(batches.truncated_bytes(), 0);
                prop_assert_eq!(batch.compression(), codec);
                prop_assert_eq!(batch.size_in_bytes(), blob.len());
                prop_assert_eq!(batch.next_offset(), base_offset + input.len() as i64);
                let records: Vec<Record> =
                    batch.records().unwrap().collect::<Result<_, _>>().unwrap();
                check(&records, base_offset, &input);
                prop_assert_eq!(batch.max_timestamp(), input.iter().map(|i| i.0).max().unwrap());
            }
        }

        #[test]
        fn control_batches_round_trip(
            commit in any::<bool>(),
            epoch in any::<i32>(),
            offset in 0i64..i64::MAX / 2,
            pid in any::<i64>(),
            producer_epoch in any::<i16>(),
            ts in any::<i64>(),
        ) {
            let marker = if commit { ControlRecord::commit(epoch) } else { ControlRecord::abort(epoch) };
            let blob = marker.to_batch(offset, pid, producer_epoch, ts, -1).unwrap();
            let batch = Batches::new(blob.clone()).next().unwrap().unwrap();
            prop_assert!(batch.is_control());
            prop_assert!(batch.is_transactional());
            prop_assert_eq!(batch.producer_id(), pid);
            prop_assert_eq!(batch.producer_epoch(), producer_epoch);
            let records = batch.to_records().unwrap();
            prop_assert_eq!(records.len(), 1);
            prop_assert_eq!(records[0].offset, offset);
            prop_assert_eq!(records[0].timestamp, ts);
            prop_assert_eq!(ControlRecord::decode(&records[0]).unwrap(), marker);
            // And the flat record iterator leaves it out.
            prop_assert_eq!(Batches::new(blob).into_records().count(), 0);
        }

        #[test]
        fn random_corruption_never_panics(
            input in input_strategy(),
            codec in prop::sample::select(Compression::ALL.to_vec()),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
            verify_crc in any::<bool>(),
        ) {
            let mut blob = BytesMut::from(&build(0, codec, &input)[..]);
            for (at, x) in flips {
                let i = at.index(blob.len());
                blob[i] ^= x | 1;
            }
            let opts = DecodeOptions::default()
                .with_verify_crc(verify_crc)
                .with_max_decompressed_size(1 << 20);
            for batch in Batches::with_options(blob.freeze(), opts) {
                let Ok(batch) = batch else { continue };
                if let Ok(records) = batch.records() {
                    for r in records {
                        let _ = r;
                    }
                }
            }
        }

        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let opts = DecodeOptions::default().with_verify_crc(false);
            for r in Batches::with_options(Bytes::from(bytes), opts).into_records() {
                let _ = r;
            }
        }
    }

    /// A blob of every format: magic 0, magic 1 (compressed), v2 (uncompressed and zstd), a
    /// commit marker, v2 again.
    fn mixed_blob() -> (Bytes, Vec<usize>) {
        let mut blob = BytesMut::new();
        let mut ends = Vec::new();
        let mut v0 = LegacyMessageSetBuilder::new(MAGIC_V0, Compression::None).unwrap();
        v0.append(0, -1, Some(b"k0"), Some(b"v0")).unwrap();
        blob.extend_from_slice(&v0.finish().unwrap());
        ends.push(blob.len());
        let mut v1 = LegacyMessageSetBuilder::new(MAGIC_V1, Compression::Gzip).unwrap();
        v1.append(1, 11, None, Some(b"v1")).unwrap();
        v1.append(2, 12, None, Some(b"v2")).unwrap();
        blob.extend_from_slice(&v1.finish().unwrap());
        ends.push(blob.len());
        let mut b = RecordBatchBuilder::new(3);
        b.append(13, Some(b"k3"), Some(b"v3"), &[Header::new("h", None)]).unwrap();
        blob.extend_from_slice(&b.finish().unwrap());
        ends.push(blob.len());
        let mut b = RecordBatchBuilder::new(4).with_compression(Compression::Zstd);
        b.append(14, None, Some(b"v4"), &[]).unwrap();
        b.append(15, None, Some(b"v5"), &[]).unwrap();
        blob.extend_from_slice(&b.finish().unwrap());
        ends.push(blob.len());
        blob.extend_from_slice(&ControlRecord::commit(0).to_batch(6, 1, 0, 16, 0).unwrap());
        ends.push(blob.len());
        let mut b = RecordBatchBuilder::new(7);
        b.append(17, None, Some(b"v7"), &[]).unwrap();
        blob.extend_from_slice(&b.finish().unwrap());
        ends.push(blob.len());
        (blob.freeze(), ends)
    }

    #[test]
    fn mixed_formats_read_uniformly() {
        let (blob, _) = mixed_blob();
        let batches: Vec<Batch> = Batches::new(blob.clone()).collect::<Result<_, _>>().unwrap();
        let magics: Vec<i8> = batches.iter().map(Batch::magic).collect();
        assert_eq!(magics, [0, 1, 2, 2, 2, 2]);
        let next: Vec<i64> = batches.iter().map(Batch::next_offset).collect();
        assert_eq!(next, [1, 3, 4, 6, 7, 8]);
        assert_eq!(batches[0].timestamp_type(), TimestampType::NoTimestamp);
        assert_eq!(batches[1].compression(), Compression::Gzip);
        assert!(batches[4].is_control());
        let records: Vec<Record> = Batches::new(blob).into_records().collect::<Result<_, _>>().unwrap();
        let offsets: Vec<i64> = records.iter().map(|r| r.offset).collect();
        assert_eq!(offsets, [0, 1, 2, 3, 4, 5, 7]);
        let ts: Vec<i64> = records.iter().map(|r| r.timestamp).collect();
        assert_eq!(ts, [-1, 11, 12, 13, 14, 15, 17]);
        let values: Vec<&[u8]> = records.iter().map(|r| r.value.as_deref().unwrap()).collect();
        assert_eq!(values, [&b"v0"[..], b"v1", b"v2", b"v3", b"v4", b"v5", b"v7"]);
    }

    #[test]
    fn every_truncation_ends_cleanly_after_the_whole_batches() {
        let (blob, ends) = mixed_blob();
        for n in 0..=blob.len() {
            let mut batches = Batches::new(blob.slice(..n));
            let mut count = 0;
            for b in &mut batches {
                let b = b.unwrap_or_else(|e| panic!("prefix {n}: {e}"));
                b.to_records().unwrap();
                count += 1;
            }
            let whole = ends.iter().filter(|&&e| e <= n).count();
            assert_eq!(count, whole, "prefix {n}");
            let last_end = if whole == 0 { 0 } else { ends[whole - 1] };
            assert_eq!(batches.position(), last_end);
            assert_eq!(batches.truncated_bytes(), n - last_end);
        }
    }

    #[test]
    fn empty_blob_has_no_batches() {
        assert!(Batches::new(Bytes::new()).next().is_none());
    }

    #[test]
    fn impossible_lengths_are_errors() {
        for size in [-1i32, i32::MIN, 0, 13] {
            let mut blob = vec![0u8; 8];
            blob.extend_from_slice(&size.to_be_bytes());
            blob.extend_from_slice(&[0; 60]);
            let mut it = Batches::new(Bytes::from(blob));
            let err = it.next().unwrap().unwrap_err();
            assert!(matches!(err.kind(), DecodeErrorKind::InvalidLength { .. }), "{size}: {err}");
            assert!(it.next().is_none());
        }
        // Big enough for a magic 0 message, too small for a v2 batch or a magic 1 message: an
        // error even when the blob is cut before the end of the declared length.
        for (magic, size) in [(2u8, 48i32), (1, 21)] {
            let mut blob = vec![0u8; 8];
            blob.extend_from_slice(&size.to_be_bytes());
            blob.extend_from_slice(&[0, 0, 0, 0, magic]);
            for len in [blob.len(), blob.len() + size as usize - 5] {
                let mut b = blob.clone();
                b.resize(len, 0);
                let err = Batches::new(Bytes::from(b)).next().unwrap().unwrap_err();
                assert!(matches!(err.kind(), DecodeErrorKind::InvalidLength { .. }), "{err}");
            }
        }
        // Unknown magic.
        let mut blob = vec![0u8; 8];
        blob.extend_from_slice(&49i32.to_be_bytes());
        blob.extend_from_slice(&[0, 0, 0, 0, 3]);
        blob.extend_from_slice(&[0; 44]);
        let err = Batches::new(Bytes::from(blob)).next().unwrap().unwrap_err();
        assert_eq!(err.kind(), &DecodeErrorKind::UnknownMagic(3));
    }

    #[test]
    fn a_huge_length_is_a_truncation_and_allocates_nothing() {
        // offset, length 0x7fffffff, and a few bytes: the broker cut a (claimed) 2 GiB batch.
        let mut blob = vec![0u8; 8];
        blob.extend_from_slice(&[0x7f, 0xff, 0xff, 0xff]);
        blob.extend_from_slice(&[0, 0, 0, 0, 2, 1, 2, 3]);
        let mut it = Batches::new(Bytes::from(blob.clone()));
        assert!(it.next().is_none());
        assert_eq!(it.truncated_bytes(), blob.len());
        // Decoded as one batch, it is an error.
        let err = RecordBatch::decode(Bytes::from(blob)).unwrap_err();
        assert!(matches!(err.kind(), DecodeErrorKind::Truncated { .. }), "{err}");
        // A record count of 0x7fffffff in a real batch: refused before anything is reserved.
        let mut b = RecordBatchBuilder::new(0);
        b.append(0, None, None, &[]).unwrap();
        let mut raw = b.finish().unwrap().to_vec();
        raw[57..61].copy_from_slice(&[0x7f, 0xff, 0xff, 0xff]);
        let opts = DecodeOptions::default().with_verify_crc(false);
        let err = RecordBatch::decode_with(Bytes::from(raw), &opts).unwrap_err();
        assert!(matches!(err.kind(), DecodeErrorKind::InvalidLength { .. }), "{err}");
        // A record claiming 0x7fffffff bytes of key.
        let mut b = RecordBatchBuilder::new(0);
        b.append(0, Some(b"k"), None, &[]).unwrap();
        let mut raw = b.finish().unwrap().to_vec();
        // Record: length, attributes, ts delta, offset delta, key length (zig-zag varint) ...
        let key_len_at = 61 + 4;
        raw.splice(key_len_at..key_len_at + 1, [0xfe, 0xff, 0xff, 0xff, 0x0f]);
        let n = raw.len() - 12;
        raw[8..12].copy_from_slice(&(n as i32).to_be_bytes());
        raw[61] += 8; // the record grew by 4 bytes (zig-zag: 8)
        let err = RecordBatch::decode_with(Bytes::from(raw), &opts).unwrap().to_records().unwrap_err();
        assert!(matches!(err.kind(), DecodeErrorKind::InvalidLength { length: 2147483647, .. }), "{err}");
    }

    #[test]
    fn errors_stop_the_iteration_and_name_the_position() {
        let (blob, ends) = mixed_blob();
        let mut bad = blob.to_vec();
        bad[ends[2] + 30] ^= 1; // inside the zstd batch's covered bytes
        let mut it = Batches::new(Bytes::from(bad));
        for _ in 0..3 {
            it.next().unwrap().unwrap();
        }
        let err = it.next().unwrap().unwrap_err();
        assert!(matches!(err.kind(), DecodeErrorKind::CrcMismatch { .. }));
        let msg = err.to_string();
        assert!(msg.contains(&format!("records at byte {}", ends[2])), "{msg}");
        assert!(msg.contains("record batch at offset 4"), "{msg}");
        assert!(it.next().is_none());
    }

    #[test]
    fn decompression_limit_applies() {
        let big = vec![0u8; 100_000];
        let mut b = RecordBatchBuilder::new(0).with_compression(Compression::Gzip);
        b.append(0, None, Some(&big), &[]).unwrap();
        let blob = b.finish().unwrap();
        let opts = DecodeOptions::default().with_max_decompressed_size(50_000);
        let batch = Batches::with_options(blob.clone(), opts).next().unwrap().unwrap();
        let err = batch.records().unwrap_err();
        assert_eq!(err.kind(), &DecodeErrorKind::DecompressedTooLarge { limit: 50_000 });
        assert!(Batches::new(blob).next().unwrap().unwrap().records().is_ok());
    }
}

/// Throughput check, run by hand: `cargo test --release -p kafkit-protocol record_throughput --
/// --ignored --nocapture`.
#[cfg(test)]
mod perf {
    use super::*;
    use crate::record::RecordBatchBuilder;
    use std::time::Instant;

    #[test]
    #[ignore = "a measurement, not a test; run in release"]
    fn record_throughput() {
        const N: usize = 2_000_000;
        const BATCH: usize = 1 << 20;
        let value = [b'x'; 100];
        let encode_all = |codec: Compression, keep: bool| {
            let mut batches = Vec::new();
            let mut b = RecordBatchBuilder::with_capacity(0, BATCH).with_compression(codec);
            for i in 0..N {
                let ts = 1_700_000_000_000 + i as i64;
                if b.try_append(BATCH, ts, None, Some(&value), &[]).unwrap().is_none() {
                    let full = std::mem::replace(
                        &mut b,
                        RecordBatchBuilder::with_capacity(i as i64, BATCH).with_compression(codec),
                    );
                    let done = full.finish().unwrap();
                    if keep {
                        batches.push(done);
                    }
                    b.append(ts, None, Some(&value), &[]).unwrap();
                }
            }
            batches.push(b.finish().unwrap());
            batches
        };
        for codec in Compression::ALL {
            // Batches are dropped as they are made, as a producer's are once sent: the
            // allocator then reuses their memory instead of faulting in fresh pages.
            let start = Instant::now();
            encode_all(codec, false);
            let encode = start.elapsed();
            let blob = Bytes::from(encode_all(codec, true).concat());

            let start = Instant::now();
            let mut n = 0usize;
            let mut bytes = 0usize;
            for batch in Batches::new(blob.clone()) {
                for r in batch.unwrap().records().unwrap() {
                    let r = r.unwrap();
                    bytes += r.value.map_or(0, |v| v.len());
                    n += 1;
                }
            }
            let decode = start.elapsed();
            assert_eq!(n, N);
            assert_eq!(bytes, N * 100);
            println!(
                "{codec:>6}: encode {:>6.2} M rec/s, decode {:>6.2} M rec/s ({} bytes on the wire)",
                N as f64 / encode.as_secs_f64() / 1e6,
                N as f64 / decode.as_secs_f64() / 1e6,
                blob.len()
            );
        }
    }
}
