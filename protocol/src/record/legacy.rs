//! Legacy message sets: magic 0 (Kafka 0.8–0.9) and magic 1 (0.10), which brokers still serve to
//! old fetch versions and from old log segments.
//!
//! ```text
//! offset      i64
//! messageSize i32    bytes after this field
//! crc         u32    IEEE CRC-32 of magic..end
//! magic       i8     0 or 1
//! attributes  i8     codec (bits 0-2); magic 1: timestamp type (bit 3)
//! timestamp   i64    magic 1 only
//! key         i32 length (-1: null), bytes
//! value       i32 length (-1: null), bytes
//! ```
//!
//! A compressed message is a *wrapper*: its value is a compressed message set of inner messages.
//! For magic 1 the inner offsets are relative (the wrapper's offset is that of the last inner
//! message, so inner `i` is at `wrapper − last relative + relative(i)`); for magic 0 they are
//! absolute. With log append time on a magic 1 wrapper, inner records take the wrapper's timestamp.
//!
//! Each top-level message is a [`LegacyBatch`]; its records come out as [`Record`]s like those of
//! v2 batches (timestamp -1 for magic 0, no headers).

use bytes::{BufMut, Bytes, BytesMut};

use super::compression::{compress, decompress_inner, Compression, CODEC_MASK};
use super::record::Record;
use super::{DecodeOptions, TimestampType};
use crate::codec::Reader;
use crate::error::{DecodeError, DecodeErrorKind, DecodeResult, EncodeError, EncodeResult};

/// Magic 0 (Kafka 0.8–0.9).
pub const MAGIC_V0: i8 = 0;
/// Magic 1 (Kafka 0.10).
pub const MAGIC_V1: i8 = 1;

/// The smallest magic 0 message: crc, magic, attributes, key length, value length.
pub(crate) const MIN_MESSAGE_SIZE_V0: usize = 14;
/// The smallest magic 1 message: magic 0 plus the timestamp.
pub(crate) const MIN_MESSAGE_SIZE_V1: usize = 22;
/// Offset and size of each entry of a message set.
const ENTRY_OVERHEAD: usize = 12;

/// One top-level message of a magic 0 or 1 message set: a single record, or a compressed wrapper
/// of several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyBatch {
    /// The message's offset (for a wrapper: the offset of its last inner record).
    pub offset: i64,
    /// 0 or 1.
    pub magic: i8,
    /// The CRC-32 stored in the message.
    pub crc: u32,
    /// All attribute bits.
    pub attributes: i8,
    /// The timestamp (magic 1; -1 for magic 0).
    pub timestamp: i64,
    /// The key, `None` for null (wrappers have none).
    pub key: Option<Bytes>,
    /// The value, `None` for null (for a wrapper: the compressed inner messages).
    pub value: Option<Bytes>,
    options: DecodeOptions,
}

/// A message as read from the wire, before it becomes a [`LegacyBatch`] or a [`Record`].
struct Message {
    offset: i64,
    magic: i8,
    crc: u32,
    attributes: i8,
    timestamp: i64,
    key: Option<Bytes>,
    value: Option<Bytes>,
}

impl Message {
    fn compression(&self) -> Option<Compression> {
        Compression::from_attributes(i16::from(self.attributes))
    }
}

/// Reads one `offset, size, message` entry. Offsets in errors are relative to the message (after
/// the size field) once inside it.
fn read_entry(r: &mut Reader, verify_crc: bool) -> DecodeResult<Message> {
    let offset = r.i64()?;
    let size_at = r.offset();
    let size = r.i32()?;
    if size < MIN_MESSAGE_SIZE_V0 as i32 {
        return Err(DecodeError::new(
            DecodeErrorKind::InvalidLength { length: i64::from(size), remaining: r.remaining() },
            size_at,
        ));
    }
    let mut m = r.sub(size as usize)?;
    read_message(&mut m, offset, verify_crc).map_err(|e| e.context(format!("message at offset {offset}")))
}

fn read_message(m: &mut Reader, offset: i64, verify_crc: bool) -> DecodeResult<Message> {
    let crc = m.u32()?;
    if verify_crc {
        let computed = crc32fast::hash(m.peek_rest());
        if computed != crc {
            return Err(DecodeError::new(DecodeErrorKind::CrcMismatch { stored: crc, computed }, 0));
        }
    }
    let magic = m.i8()?;
    if magic != MAGIC_V0 && magic != MAGIC_V1 {
        return Err(DecodeError::new(DecodeErrorKind::UnknownMagic(magic), 4));
    }
    let attributes = m.i8()?;
    if Compression::from_attributes(i16::from(attributes)).is_none() {
        return Err(DecodeError::new(
            DecodeErrorKind::UnknownCompression((i16::from(attributes) & CODEC_MASK) as u8),
            5,
        ));
    }
    let timestamp = if magic == MAGIC_V1 { m.i64()? } else { -1 };
    let key = match m.array_len(false, 1)? {
        Some(n) => Some(m.bytes(n)?),
        None => None,
    };
    let value = match m.array_len(false, 1)? {
        Some(n) => Some(m.bytes(n)?),
        None => None,
    };
    m.finish()?;
    Ok(Message { offset, magic, crc, attributes, timestamp, key, value })
}

impl LegacyBatch {
    /// Decodes exactly one top-level message entry (offset, size and message).
    pub fn decode(entry: Bytes) -> DecodeResult<Self> {
        Self::decode_with(entry, &DecodeOptions::default())
    }

    /// [`LegacyBatch::decode`] with options; the CRC is checked unless `options.verify_crc` is
    /// off.
    pub fn decode_with(entry: Bytes, options: &DecodeOptions) -> DecodeResult<Self> {
        let mut r = Reader::new(entry);
        let m = read_entry(&mut r, options.verify_crc)
            .and_then(|m| r.finish().map(|()| m))
            .map_err(|e| e.context("legacy message set"))?;
        Ok(Self {
            offset: m.offset,
            magic: m.magic,
            crc: m.crc,
            attributes: m.attributes,
            timestamp: m.timestamp,
            key: m.key,
            value: m.value,
            options: *options,
        })
    }

    /// The codec of the wrapper (`None` for a plain message).
    pub fn compression(&self) -> Compression {
        // Checked when decoding.
        Compression::from_attributes(i16::from(self.attributes)).unwrap_or_default()
    }

    /// What the timestamps mean: none for magic 0, bit 3 of the attributes for magic 1.
    pub fn timestamp_type(&self) -> TimestampType {
        if self.magic == MAGIC_V0 {
            TimestampType::NoTimestamp
        } else {
            TimestampType::from_attributes(i16::from(self.attributes))
        }
    }

    /// The encoded size of the entry (offset, size and message).
    pub fn size_in_bytes(&self) -> usize {
        ENTRY_OVERHEAD + message_size(self.magic, self.key.as_deref(), self.value.as_deref())
    }

    /// The records: the message itself, or the inner messages of a wrapper, decompressed and
    /// checked.
    pub fn records(&self) -> DecodeResult<LegacyRecords> {
        let codec = self.compression();
        if codec == Compression::None {
            return Ok(LegacyRecords(Inner::One(Some(Record {
                offset: self.offset,
                timestamp: self.timestamp,
                key: self.key.clone(),
                value: self.value.clone(),
                headers: Vec::new(),
            }))));
        }
        self.inner_records(codec)
            .map(|v| LegacyRecords(Inner::Many(v.into_iter())))
            .map_err(|e| e.context(format!("{codec} wrapper message at offset {}", self.offset)))
    }

    fn inner_records(&self, codec: Compression) -> DecodeResult<Vec<Record>> {
        let Some(value) = &self.value else {
            return Err(DecodeError::new(DecodeErrorKind::UnexpectedNull, 0));
        };
        let data = decompress_inner(codec, value, self.options.max_decompressed_size, self.magic == MAGIC_V0)?;
        let mut r = Reader::new(data);
        let mut inner = Vec::new();
        while !r.is_empty() {
            let at = r.offset();
            let m = read_entry(&mut r, self.options.verify_crc)
                .map_err(|e| e.context(format!("inner message at byte {at}")))?;
            if m.magic != self.magic {
                return Err(DecodeError::new(
                    DecodeErrorKind::Invalid(
                        format!("inner message of magic {} in a wrapper of magic {}", m.magic, self.magic).into(),
                    ),
                    at,
                ));
            }
            if m.compression() != Some(Compression::None) {
                return Err(DecodeError::new(
                    DecodeErrorKind::Invalid("compressed message inside a compressed message".into()),
                    at,
                ));
            }
            inner.push(m);
        }
        let Some(last) = inner.last() else {
            return Err(DecodeError::new(
                DecodeErrorKind::Invalid("compressed message with no inner messages".into()),
                0,
            ));
        };
        // Magic 1: relative offsets, anchored on the wrapper's (the last inner record's) offset.
        let shift = if self.magic == MAGIC_V1 { self.offset.wrapping_sub(last.offset) } else { 0 };
        let log_append_time = (self.timestamp_type() == TimestampType::LogAppendTime).then_some(self.timestamp);
        Ok(inner
            .into_iter()
            .map(|m| Record {
                offset: m.offset.wrapping_add(shift),
                timestamp: log_append_time.unwrap_or(m.timestamp),
                key: m.key,
                value: m.value,
                headers: Vec::new(),
            })
            .collect())
    }

    /// All records.
    pub fn to_records(&self) -> DecodeResult<Vec<Record>> {
        Ok(self.records()?.collect())
    }

    /// Writes the entry back, with its CRC recomputed.
    pub fn encode(&self, buf: &mut BytesMut) -> EncodeResult<()> {
        write_message(
            buf,
            self.offset,
            self.magic,
            self.attributes,
            self.timestamp,
            self.key.as_deref(),
            self.value.as_deref(),
        )
    }
}

/// The records of a [`LegacyBatch`].
#[derive(Debug, Clone)]
pub struct LegacyRecords(Inner);

#[derive(Debug, Clone)]
enum Inner {
    One(Option<Record>),
    Many(std::vec::IntoIter<Record>),
}

impl Iterator for LegacyRecords {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        match &mut self.0 {
            Inner::One(r) => r.take(),
            Inner::Many(it) => it.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match &self.0 {
            Inner::One(r) => usize::from(r.is_some()),
            Inner::Many(it) => it.len(),
        };
        (n, Some(n))
    }
}

impl ExactSizeIterator for LegacyRecords {}

fn message_size(magic: i8, key: Option<&[u8]>, value: Option<&[u8]>) -> usize {
    let fixed = if magic == MAGIC_V0 { MIN_MESSAGE_SIZE_V0 } else { MIN_MESSAGE_SIZE_V1 };
    fixed + key.map_or(0, <[u8]>::len) + value.map_or(0, <[u8]>::len)
}

fn put_bytes(buf: &mut BytesMut, b: Option<&[u8]>) {
    match b {
        Some(b) => {
            buf.put_i32(b.len() as i32);
            buf.put_slice(b);
        }
        None => buf.put_i32(-1),
    }
}

/// Writes one message entry: offset, size, CRC-32, magic, attributes, timestamp (magic 1), key,
/// value.
fn write_message(
    buf: &mut BytesMut,
    offset: i64,
    magic: i8,
    attributes: i8,
    timestamp: i64,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
) -> EncodeResult<()> {
    if magic != MAGIC_V0 && magic != MAGIC_V1 {
        return Err(EncodeError::Invalid(format!("legacy messages have magic 0 or 1, not {magic}").into()));
    }
    let size = message_size(magic, key, value);
    if size > i32::MAX as usize {
        return Err(EncodeError::TooLong { what: "legacy message", length: size, max: i32::MAX as usize });
    }
    buf.reserve(ENTRY_OVERHEAD + size);
    buf.put_i64(offset);
    buf.put_i32(size as i32);
    let crc_at = buf.len();
    buf.put_u32(0);
    buf.put_i8(magic);
    buf.put_i8(attributes);
    if magic == MAGIC_V1 {
        buf.put_i64(timestamp);
    }
    put_bytes(buf, key);
    put_bytes(buf, value);
    let (head, covered) = buf.split_at_mut(crc_at + 4);
    head[crc_at..].copy_from_slice(&crc32fast::hash(covered).to_be_bytes());
    Ok(())
}

/// Writes a magic 0 or 1 message set, for a broker (or mock broker) answering old fetch versions,
/// and for tests.
///
/// Uncompressed, each record is its own message. Compressed, the records become the inner
/// messages of one wrapper (relative inner offsets for magic 1, absolute for magic 0), whose
/// offset is the last record's and, for magic 1, whose timestamp is the largest.
#[derive(Debug, Clone)]
pub struct LegacyMessageSetBuilder {
    magic: i8,
    compression: Compression,
    buf: BytesMut,
    first_offset: Option<i64>,
    last_offset: i64,
    max_timestamp: i64,
}

impl LegacyMessageSetBuilder {
    /// An empty message set of `magic` (0 or 1) compressed with `compression`.
    pub fn new(magic: i8, compression: Compression) -> EncodeResult<Self> {
        if magic != MAGIC_V0 && magic != MAGIC_V1 {
            return Err(EncodeError::Invalid(format!("legacy messages have magic 0 or 1, not {magic}").into()));
        }
        Ok(Self { magic, compression, buf: BytesMut::new(), first_offset: None, last_offset: -1, max_timestamp: -1 })
    }

    /// Appends a record at `offset`, which must be after the previous one. `timestamp` is ignored
    /// for magic 0.
    pub fn append(
        &mut self,
        offset: i64,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
    ) -> EncodeResult<()> {
        let first = match self.first_offset {
            Some(first) if offset > self.last_offset => first,
            Some(_) => {
                return Err(EncodeError::Invalid(format!("offset {offset} after offset {}", self.last_offset).into()))
            }
            None => offset,
        };
        let inner_offset = if self.compression != Compression::None && self.magic == MAGIC_V1 {
            offset.wrapping_sub(first)
        } else {
            offset
        };
        write_message(&mut self.buf, inner_offset, self.magic, 0, timestamp, key, value)?;
        self.first_offset = Some(first);
        self.last_offset = offset;
        self.max_timestamp = self.max_timestamp.max(timestamp);
        Ok(())
    }

    /// The message set.
    pub fn finish(self) -> EncodeResult<Bytes> {
        if self.compression == Compression::None || self.first_offset.is_none() {
            return Ok(self.buf.freeze());
        }
        let mut compressed = BytesMut::new();
        compress(self.compression, None, &self.buf, &mut compressed)?;
        let timestamp = if self.magic == MAGIC_V1 { self.max_timestamp } else { -1 };
        let mut out = BytesMut::new();
        write_message(
            &mut out,
            self.last_offset,
            self.magic,
            self.compression.id() as i8,
            timestamp,
            None,
            Some(&compressed),
        )?;
        Ok(out.freeze())
    }
}

/// Sets the log append time of a magic 1 wrapper (what a broker with
/// `message.timestamp.type=LogAppendTime` does), for tests.
#[cfg(test)]
fn with_log_append_time(entry: &mut BytesMut, time: i64) {
    // Entry: offset 0..8, size 8..12, crc 12..16, magic 16, attributes 17, timestamp 18..26.
    entry[17] |= super::attributes::TIMESTAMP_TYPE_BIT as u8;
    entry[18..26].copy_from_slice(&time.to_be_bytes());
    let crc = crc32fast::hash(&entry[16..]);
    entry[12..16].copy_from_slice(&crc.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Magic 0, offset 5, key "k", value "hello", worked out by hand (CRC from zlib.crc32).
    const GOLDEN_V0: &[u8] = &[
        0, 0, 0, 0, 0, 0, 0, 5, // offset
        0, 0, 0, 0x14, // size 20
        0xa4, 0xcd, 0xab, 0x3a, // crc
        0,    // magic
        0,    // attributes
        0, 0, 0, 1, b'k', // key
        0, 0, 0, 5, b'h', b'e', b'l', b'l', b'o', // value
    ];

    /// Magic 1, offset 6, create time 1_700_000_000_000, null key, value "hi".
    const GOLDEN_V1: &[u8] = &[
        0, 0, 0, 0, 0, 0, 0, 6, // offset
        0, 0, 0, 0x18, // size 24
        0xdb, 0xa4, 0xe6, 0xe2, // crc
        1,    // magic
        0,    // attributes
        0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00, // timestamp
        0xff, 0xff, 0xff, 0xff, // null key
        0, 0, 0, 2, b'h', b'i', // value
    ];

    #[test]
    fn golden_magic_0() {
        let b = LegacyBatch::decode(Bytes::from_static(GOLDEN_V0)).unwrap();
        assert_eq!((b.offset, b.magic, b.attributes, b.timestamp), (5, 0, 0, -1));
        assert_eq!(b.crc, 0xa4cd_ab3a);
        assert_eq!(b.timestamp_type(), TimestampType::NoTimestamp);
        assert_eq!(b.size_in_bytes(), GOLDEN_V0.len());
        let records = b.to_records().unwrap();
        assert_eq!(
            records,
            [Record {
                offset: 5,
                timestamp: -1,
                key: Some(Bytes::from_static(b"k")),
                value: Some(Bytes::from_static(b"hello")),
                headers: vec![],
            }]
        );
        let mut out = BytesMut::new();
        b.encode(&mut out).unwrap();
        assert_eq!(&out[..], GOLDEN_V0);
        let mut built = LegacyMessageSetBuilder::new(0, Compression::None).unwrap();
        built.append(5, 123, Some(b"k"), Some(b"hello")).unwrap();
        assert_eq!(&built.finish().unwrap()[..], GOLDEN_V0);
    }

    #[test]
    fn golden_magic_1() {
        let b = LegacyBatch::decode(Bytes::from_static(GOLDEN_V1)).unwrap();
        assert_eq!((b.offset, b.magic, b.attributes), (6, 1, 0));
        assert_eq!(b.timestamp, 1_700_000_000_000);
        assert_eq!(b.timestamp_type(), TimestampType::CreateTime);
        let records = b.to_records().unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].offset, 6);
        assert_eq!(records[0].timestamp, 1_700_000_000_000);
        assert_eq!(records[0].key, None);
        assert_eq!(records[0].value.as_deref(), Some(&b"hi"[..]));
        let mut out = BytesMut::new();
        b.encode(&mut out).unwrap();
        assert_eq!(&out[..], GOLDEN_V1);
    }

    #[test]
    fn corrupt_crc_and_bad_fields() {
        let mut bad = GOLDEN_V1.to_vec();
        bad[35] ^= 1;
        let err = LegacyBatch::decode(Bytes::from(bad.clone())).unwrap_err();
        assert!(matches!(err.kind(), DecodeErrorKind::CrcMismatch { .. }), "{err}");
        assert!(err.to_string().contains("message at offset 6"), "{err}");
        // Unchecked, it decodes.
        let opts = DecodeOptions::default().with_verify_crc(false);
        assert!(LegacyBatch::decode_with(Bytes::from(bad), &opts).is_ok());
        let no_crc = DecodeOptions::default().with_verify_crc(false);
        let mutate = |at: usize, v: u8| {
            let mut b = GOLDEN_V1.to_vec();
            b[at] = v;
            LegacyBatch::decode_with(Bytes::from(b), &no_crc)
        };
        assert!(matches!(mutate(16, 3).unwrap_err().kind(), DecodeErrorKind::UnknownMagic(3)));
        assert!(matches!(mutate(17, 6).unwrap_err().kind(), DecodeErrorKind::UnknownCompression(6)));
        assert!(mutate(11, 0x0d).is_err()); // size below the minimum
        assert!(mutate(11, 0x19).is_err()); // size past the end
        assert!(mutate(11, 0x17).is_err()); // size leaves a trailing byte out
        assert!(mutate(29, 0xfe).is_err()); // key length -2
        assert!(mutate(33, 3).is_err()); // value length past the end
                                         // Magic 1 message too short to hold a timestamp.
        let mut short = GOLDEN_V0.to_vec();
        short[16] = 1;
        assert!(LegacyBatch::decode_with(Bytes::from(short), &no_crc).is_err());
        // Every truncation is an error, never a panic.
        for n in 0..GOLDEN_V1.len() {
            assert!(LegacyBatch::decode(Bytes::copy_from_slice(&GOLDEN_V1[..n])).is_err());
        }
    }

    /// Offset, timestamp, key, value.
    type Input = (i64, i64, Option<Vec<u8>>, Option<Vec<u8>>);

    fn records_for(n: i64) -> Vec<Input> {
        (0..n)
            .map(|i| {
                (
                    1000 + i * 2,
                    1_600_000_000_000 + i,
                    (i % 3 != 0).then(|| format!("key{i}").into_bytes()),
                    (i % 5 != 4).then(|| vec![i as u8; i as usize]),
                )
            })
            .collect()
    }

    #[test]
    fn compressed_wrappers_round_trip_with_absolute_offsets() {
        let input = records_for(20);
        for magic in [MAGIC_V0, MAGIC_V1] {
            for codec in Compression::ALL {
                let mut b = LegacyMessageSetBuilder::new(magic, codec).unwrap();
                for (o, t, k, v) in &input {
                    b.append(*o, *t, k.as_deref(), v.as_deref()).unwrap();
                }
                let set = b.finish().unwrap();
                let mut r = Reader::new(set);
                let mut got = Vec::new();
                while !r.is_empty() {
                    let size = i32::from_be_bytes(r.peek_rest()[8..12].try_into().unwrap());
                    let entry = r.bytes(12 + size as usize).unwrap();
                    let batch = LegacyBatch::decode(entry).unwrap();
                    assert_eq!(batch.compression(), codec);
                    got.extend(batch.to_records().unwrap());
                }
                assert_eq!(got.len(), input.len(), "magic {magic} {codec}");
                for (r, (o, t, k, v)) in got.iter().zip(&input) {
                    assert_eq!(r.offset, *o, "magic {magic} {codec}");
                    assert_eq!(r.timestamp, if magic == 0 { -1 } else { *t });
                    assert_eq!(r.key.as_deref(), k.as_deref());
                    assert_eq!(r.value.as_deref(), v.as_deref());
                }
            }
        }
    }

    #[test]
    fn magic_1_relative_offsets_and_log_append_time() {
        // Inner relative offsets 0, 1, 2 under a wrapper at offset 52 → 50, 51, 52.
        let mut b = LegacyMessageSetBuilder::new(MAGIC_V1, Compression::Gzip).unwrap();
        for (i, o) in [50i64, 51, 52].into_iter().enumerate() {
            b.append(o, 10 + i as i64, None, Some(b"v")).unwrap();
        }
        let set = b.finish().unwrap();
        let wrapper = LegacyBatch::decode(set.clone()).unwrap();
        assert_eq!(wrapper.offset, 52);
        assert_eq!(wrapper.timestamp, 12);
        let offsets: Vec<i64> = wrapper.records().unwrap().map(|r| r.offset).collect();
        assert_eq!(offsets, [50, 51, 52]);
        // The broker rewrites the wrapper with log append time: every record takes it.
        let mut entry = BytesMut::from(&set[..]);
        with_log_append_time(&mut entry, 999);
        let wrapper = LegacyBatch::decode(entry.freeze()).unwrap();
        assert_eq!(wrapper.timestamp_type(), TimestampType::LogAppendTime);
        let ts: Vec<i64> = wrapper.records().unwrap().map(|r| r.timestamp).collect();
        assert_eq!(ts, [999, 999, 999]);
    }

    #[test]
    fn bad_wrappers() {
        let wrap = |magic: i8, codec: Compression, inner: &[u8]| {
            let mut compressed = BytesMut::new();
            compress(codec, None, inner, &mut compressed).unwrap();
            let mut out = BytesMut::new();
            write_message(&mut out, 9, magic, codec.id() as i8, 0, None, Some(&compressed)).unwrap();
            LegacyBatch::decode(out.freeze()).unwrap()
        };
        let mut nested = BytesMut::new();
        write_message(&mut nested, 0, 1, 1, 0, None, Some(b"x")).unwrap();
        assert!(wrap(1, Compression::Gzip, &nested).records().is_err());
        let mut v0 = BytesMut::new();
        write_message(&mut v0, 0, 0, 0, 0, None, Some(b"x")).unwrap();
        assert!(wrap(1, Compression::Gzip, &v0).records().is_err());
        assert!(wrap(0, Compression::Gzip, &v0).records().is_ok());
        assert!(wrap(0, Compression::Gzip, &[]).records().is_err());
        assert!(wrap(0, Compression::Gzip, &v0[..v0.len() - 1]).records().is_err());
        assert!(wrap(0, Compression::Snappy, b"garbage").records().is_err());
        // A wrapper with a null value.
        let mut out = BytesMut::new();
        write_message(&mut out, 9, 1, 1, 0, None, None).unwrap();
        assert!(LegacyBatch::decode(out.freeze()).unwrap().records().is_err());
    }

    #[test]
    fn magic_0_lz4_with_the_kafka_3160_header_checksum() {
        // What Kafka 0.8/0.9 wrote: the frame header checksum computed over the magic too.
        let mut inner = BytesMut::new();
        write_message(&mut inner, 3, 0, 0, 0, Some(b"k"), Some(b"old lz4")).unwrap();
        let mut frame = BytesMut::new();
        compress(Compression::Lz4, None, &inner, &mut frame).unwrap();
        let broken = (twox_hash::XxHash32::oneshot(0, &frame[..6]) >> 8) as u8;
        frame[6] = broken;
        let mut out = BytesMut::new();
        write_message(&mut out, 3, 0, 3, 0, None, Some(&frame)).unwrap();
        let batch = LegacyBatch::decode(out.clone().freeze()).unwrap();
        let records = batch.to_records().unwrap();
        assert_eq!(records[0].value.as_deref(), Some(&b"old lz4"[..]));
        // Under magic 1 the same broken checksum is corruption: it must be right there.
        let mut inner1 = BytesMut::new();
        write_message(&mut inner1, 0, 1, 0, 0, Some(b"k"), Some(b"new lz4")).unwrap();
        let mut frame1 = BytesMut::new();
        compress(Compression::Lz4, None, &inner1, &mut frame1).unwrap();
        let mut out1 = BytesMut::new();
        write_message(&mut out1, 3, 1, 3, 0, None, Some(&frame1)).unwrap();
        let good = LegacyBatch::decode(out1.freeze()).unwrap();
        assert_eq!(good.to_records().unwrap()[0].offset, 3);
        frame1[6] = (twox_hash::XxHash32::oneshot(0, &frame1[..6]) >> 8) as u8;
        let mut out1 = BytesMut::new();
        write_message(&mut out1, 3, 1, 3, 0, None, Some(&frame1)).unwrap();
        assert!(LegacyBatch::decode(out1.freeze()).unwrap().records().is_err());
    }
}
