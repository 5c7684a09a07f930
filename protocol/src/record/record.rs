//! One record and its headers, and the v2 record encoding:
//!
//! ```text
//! length: varint            (of everything after it)
//! attributes: i8            (unused, 0)
//! timestampDelta: varlong   (from the batch's base timestamp)
//! offsetDelta: varint       (from the batch's base offset)
//! keyLength: varint, key    (-1: null)
//! valueLength: varint, value (-1: null)
//! headersCount: varint
//!   headerKeyLength: varint, headerKey (UTF-8, not null)
//!   headerValueLength: varint, headerValue (-1: null)
//! ```
//!
//! Decoding is zero-copy: keys, values and header keys and values are [`Bytes`] slices of the
//! buffer holding the records (the fetched response, or the one decompressed buffer of a
//! compressed batch). The only allocation per record is the headers `Vec`, and only for a record
//! that has headers.

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use crate::codec::{put_varint, put_varlong, varint_len, varlong_len};
use crate::error::{DecodeError, DecodeErrorKind, DecodeResult, EncodeError, EncodeResult};

/// A record header: a UTF-8 key and an optional value.
///
/// The key is kept as [`Bytes`] (a slice of the fetched buffer when decoded) and is always valid
/// UTF-8: the decoder checks it and the constructors require it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Header {
    key: Bytes,
    value: Option<Bytes>,
}

impl Header {
    /// A header with `key` and `value`.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use kafkit_protocol::record::Header;
    ///
    /// let h = Header::new("trace-id", Some(Bytes::from_static(b"42")));
    /// assert_eq!(h.key_str(), "trace-id");
    /// ```
    pub fn new(key: impl Into<String>, value: Option<Bytes>) -> Self {
        Self { key: Bytes::from(key.into()), value }
    }

    /// A header whose key is already in a [`Bytes`]; fails if it is not UTF-8.
    pub fn try_from_bytes(key: Bytes, value: Option<Bytes>) -> Result<Self, std::str::Utf8Error> {
        std::str::from_utf8(&key)?;
        Ok(Self { key, value })
    }

    /// The key, as bytes.
    pub fn key(&self) -> &Bytes {
        &self.key
    }

    /// The key, as a string. (It is valid UTF-8 by construction; this re-checks it, which costs
    /// a pass over the key, so keep the result if you use it often.)
    pub fn key_str(&self) -> &str {
        std::str::from_utf8(&self.key).unwrap_or_default()
    }

    /// The value, `None` for a null value.
    pub fn value(&self) -> Option<&Bytes> {
        self.value.as_ref()
    }

    /// Key and value.
    pub fn into_parts(self) -> (Bytes, Option<Bytes>) {
        (self.key, self.value)
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Header").field("key", &self.key_str()).field("value", &self.value).finish()
    }
}

/// A record as the application sees it, whatever the format it came in.
///
/// Offsets and timestamps are absolute (the batch's base plus the record's delta). For a batch
/// with [`crate::record::TimestampType::LogAppendTime`], `timestamp` is the batch's log append
/// time, as in the Java client. Records of magic 0 have timestamp -1.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Record {
    /// The record's offset in its partition.
    pub offset: i64,
    /// Milliseconds since the Unix epoch (-1: none).
    pub timestamp: i64,
    /// The key, `None` for a null key.
    pub key: Option<Bytes>,
    /// The value, `None` for a null value (a tombstone in a compacted topic).
    pub value: Option<Bytes>,
    /// The headers, in order (empty for magic 0 and 1).
    pub headers: Vec<Header>,
}

/// The smallest encoded record: length, attributes, timestamp delta, offset delta, key length,
/// value length and header count, one byte each.
pub(crate) const MIN_RECORD_SIZE: usize = 7;

/// What the records of one batch share, to turn deltas into absolute values.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecordBase {
    pub base_offset: i64,
    pub base_timestamp: i64,
    /// The batch's max timestamp when it uses log append time: every record gets it.
    pub log_append_time: Option<i64>,
}

/// A cursor over a byte slice for the hot record loop: varints read straight from the slice,
/// positions kept so that fields can be sliced out of the owning [`Bytes`].
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    #[cold]
    fn truncated(&self, needed: usize) -> DecodeError {
        DecodeError::new(
            DecodeErrorKind::Truncated { needed, remaining: self.buf.len().saturating_sub(self.pos) },
            self.pos,
        )
    }

    #[inline]
    fn i8(&mut self) -> DecodeResult<i8> {
        match self.buf.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b as i8)
            }
            None => Err(self.truncated(1)),
        }
    }

    /// An unsigned varint of at most `max_bytes` bytes (5 for 32 bits, 10 for 64).
    #[inline]
    fn uvarlong(&mut self, max_bytes: usize) -> DecodeResult<u64> {
        // Fast path: one byte.
        if let Some(&b) = self.buf.get(self.pos) {
            if b < 0x80 {
                self.pos += 1;
                return Ok(u64::from(b));
            }
        }
        let mut v = 0u64;
        for i in 0..max_bytes {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(self.truncated(1));
            };
            self.pos += 1;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                let fits = match max_bytes {
                    5 => v <= u64::from(u32::MAX),
                    _ => i < 9 || b <= 1,
                };
                if !fits {
                    return Err(DecodeError::new(DecodeErrorKind::VarintOverflow, self.pos));
                }
                return Ok(v);
            }
        }
        Err(DecodeError::new(DecodeErrorKind::VarintOverflow, self.pos))
    }

    #[inline]
    fn varint(&mut self) -> DecodeResult<i32> {
        let u = self.uvarlong(5)? as u32;
        Ok(((u >> 1) as i32) ^ -((u & 1) as i32))
    }

    #[inline]
    fn varlong(&mut self) -> DecodeResult<i64> {
        let u = self.uvarlong(10)?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }

    /// A length that must be non-negative (or -1 when `nullable`) and fit in what is left.
    #[inline]
    fn len(&mut self, nullable: bool) -> DecodeResult<Option<usize>> {
        let at = self.pos;
        let len = self.varint()?;
        let remaining = self.buf.len() - self.pos;
        if len >= 0 && len as usize <= remaining {
            return Ok(Some(len as usize));
        }
        if len == -1 && nullable {
            return Ok(None);
        }
        Err(DecodeError::new(DecodeErrorKind::InvalidLength { length: i64::from(len), remaining }, at))
    }

    /// A length-prefixed byte field, sliced out of `owner` (which `buf` is a prefix of).
    #[inline]
    fn bytes(&mut self, owner: &Bytes, nullable: bool) -> DecodeResult<Option<Bytes>> {
        Ok(match self.len(nullable)? {
            Some(n) => {
                let b = owner.slice(self.pos..self.pos + n);
                self.pos += n;
                Some(b)
            }
            None => None,
        })
    }
}

/// Decodes the record at `*pos` of `data` (a records section), moving `*pos` past it. Error
/// offsets are positions in `data`.
#[inline]
pub(crate) fn decode_record(data: &Bytes, pos: &mut usize, base: &RecordBase) -> DecodeResult<Record> {
    let mut c = Cursor { buf: data, pos: *pos };
    let body_len = c.len(false)?.unwrap_or_default();
    let end = c.pos + body_len;
    // From here on the cursor cannot read past this record.
    let mut c = Cursor { buf: data.get(..end).unwrap_or_default(), pos: c.pos };
    let _attributes = c.i8()?;
    let timestamp_delta = c.varlong()?;
    let offset_delta = c.varint()?;
    let key = c.bytes(data, true)?;
    let value = c.bytes(data, true)?;
    let count_at = c.pos;
    let count = c.varint()?;
    let mut headers = Vec::new();
    if count != 0 {
        // Each header takes at least two bytes (two lengths).
        let remaining = end - c.pos;
        if count < 0 || count as usize > remaining / 2 {
            return Err(DecodeError::new(
                DecodeErrorKind::InvalidLength { length: i64::from(count), remaining },
                count_at,
            ));
        }
        headers.reserve_exact(count as usize);
        for _ in 0..count {
            let key_at = c.pos;
            let key = c.bytes(data, false)?.unwrap_or_default();
            if std::str::from_utf8(&key).is_err() {
                return Err(DecodeError::new(DecodeErrorKind::InvalidUtf8, key_at));
            }
            let value = c.bytes(data, true)?;
            headers.push(Header { key, value });
        }
    }
    if c.pos != end {
        return Err(DecodeError::new(DecodeErrorKind::TrailingBytes(end - c.pos), c.pos));
    }
    *pos = end;
    Ok(Record {
        offset: base.base_offset.wrapping_add(i64::from(offset_delta)),
        timestamp: match base.log_append_time {
            Some(t) => t,
            None => base.base_timestamp.wrapping_add(timestamp_delta),
        },
        key,
        value,
        headers,
    })
}

/// The encoded size of a nullable length-prefixed field.
#[inline]
fn field_size(b: Option<&[u8]>) -> usize {
    match b {
        Some(b) => varint_len(b.len() as i32) + b.len(),
        None => 1,
    }
}

/// Checks that a field's length fits the varint length of the format.
#[inline]
fn check_len(what: &'static str, b: Option<&[u8]>) -> EncodeResult<()> {
    match b {
        Some(b) if b.len() > i32::MAX as usize => {
            Err(EncodeError::TooLong { what, length: b.len(), max: i32::MAX as usize })
        }
        _ => Ok(()),
    }
}

/// The size of a record's body (everything after its length varint), checking every length.
#[inline]
pub(crate) fn body_size(
    offset_delta: i32,
    timestamp_delta: i64,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[Header],
) -> EncodeResult<usize> {
    check_len("record key", key)?;
    check_len("record value", value)?;
    let mut size = 1
        + varlong_len(timestamp_delta)
        + varint_len(offset_delta)
        + field_size(key)
        + field_size(value)
        + varint_len(headers.len().min(i32::MAX as usize) as i32);
    if headers.len() > i32::MAX as usize {
        return Err(EncodeError::TooLong { what: "record headers", length: headers.len(), max: i32::MAX as usize });
    }
    for h in headers {
        check_len("header key", Some(&h.key))?;
        check_len("header value", h.value.as_deref())?;
        size += field_size(Some(&h.key)) + field_size(h.value.as_deref());
    }
    if size > i32::MAX as usize {
        return Err(EncodeError::TooLong { what: "record", length: size, max: i32::MAX as usize });
    }
    Ok(size)
}

/// The size of a whole record with a body of `body` bytes.
#[inline]
pub(crate) fn record_size(body: usize) -> usize {
    varint_len(body as i32) + body
}

#[inline]
fn put_field(buf: &mut BytesMut, b: Option<&[u8]>) {
    match b {
        Some(b) => {
            put_varint(buf, b.len() as i32);
            buf.put_slice(b);
        }
        None => buf.put_u8(1), // zig-zag -1
    }
}

/// Writes a record whose body size [`body_size`] computed (and checked).
#[inline]
pub(crate) fn write_record(
    buf: &mut BytesMut,
    body: usize,
    offset_delta: i32,
    timestamp_delta: i64,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[Header],
) {
    buf.reserve(record_size(body));
    put_varint(buf, body as i32);
    buf.put_u8(0); // attributes
    put_varlong(buf, timestamp_delta);
    put_varint(buf, offset_delta);
    put_field(buf, key);
    put_field(buf, value);
    put_varint(buf, headers.len() as i32);
    for h in headers {
        put_field(buf, Some(&h.key));
        put_field(buf, h.value.as_deref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: RecordBase = RecordBase { base_offset: 100, base_timestamp: 1_000, log_append_time: None };

    fn encode(offset_delta: i32, ts_delta: i64, key: Option<&[u8]>, value: Option<&[u8]>, headers: &[Header]) -> Bytes {
        let body = body_size(offset_delta, ts_delta, key, value, headers).unwrap();
        let mut buf = BytesMut::new();
        write_record(&mut buf, body, offset_delta, ts_delta, key, value, headers);
        assert_eq!(buf.len(), record_size(body));
        buf.freeze()
    }

    #[test]
    fn golden_record() {
        // offset delta 1, timestamp delta 2, key "k", value "vv", one header "h" → null.
        let headers = [Header::new("h", None)];
        let b = encode(1, 2, Some(b"k"), Some(b"vv"), &headers);
        let expected: &[u8] = &[
            0x18, // length 12 (zig-zag 24)
            0x00, // attributes
            0x04, // timestamp delta 2
            0x02, // offset delta 1
            0x02, b'k', // key length 1, "k"
            0x04, b'v', b'v', // value length 2, "vv"
            0x02, // 1 header
            0x02, b'h', // key length 1, "h"
            0x01, // null value
        ];
        assert_eq!(&b[..], expected);
        let mut pos = 0;
        let r = decode_record(&b, &mut pos, &BASE).unwrap();
        assert_eq!(pos, b.len());
        assert_eq!(r.offset, 101);
        assert_eq!(r.timestamp, 1_002);
        assert_eq!(r.key.as_deref(), Some(&b"k"[..]));
        assert_eq!(r.value.as_deref(), Some(&b"vv"[..]));
        assert_eq!(r.headers, headers);
    }

    #[test]
    fn log_append_time_replaces_record_timestamps() {
        let b = encode(0, 5, None, None, &[]);
        let base = RecordBase { log_append_time: Some(77), ..BASE };
        let r = decode_record(&b, &mut 0, &base).unwrap();
        assert_eq!(r.timestamp, 77);
        assert_eq!(r.key, None);
        assert_eq!(r.value, None);
    }

    #[test]
    fn malformed_records() {
        let cases: &[(&[u8], &str)] = &[
            (&[], "empty"),
            (&[0x03], "negative length"),
            (&[0x10, 0], "length past the end"),
            (&[0x0e, 0, 0, 0, 0x03, 0, 0, 0], "key length -2"),
            (&[0x0e, 0, 0, 0, 0x7e, 0, 0, 0], "key past the record"),
            (&[0x0e, 0, 0, 0, 1, 1, 0x03, 0], "negative header count"),
            (&[0x0e, 0, 0, 0, 1, 1, 0x7e, 0], "too many headers"),
            (&[0x10, 0, 0, 0, 1, 1, 0x02, 0x01, 0x01], "null header key"),
            (&[0x12, 0, 0, 0, 1, 1, 0x02, 0x02, 0xff, 0x01], "invalid UTF-8 key"),
            (&[0x10, 0, 0, 0, 1, 1, 0, 0xaa, 0xbb], "trailing bytes in record"),
            (&[0x0c, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], "varlong runs off"),
            (&[0x18, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0], "varlong too long"),
            (&[0x0e, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x1f, 1], "varint too big"),
        ];
        for (bytes, what) in cases {
            let data = Bytes::copy_from_slice(bytes);
            let mut pos = 0;
            assert!(decode_record(&data, &mut pos, &BASE).is_err(), "{what}: {bytes:02x?}");
        }
    }

    #[test]
    fn fields_are_slices_of_the_input() {
        let headers = [Header::new("é", Some(Bytes::from_static(b"x")))];
        let b = encode(0, 0, Some(b"key"), Some(b"value"), &headers);
        let r = decode_record(&b, &mut 0, &BASE).unwrap();
        let range = b.as_ptr_range();
        for p in [
            r.key.as_ref().unwrap().as_ptr(),
            r.value.as_ref().unwrap().as_ptr(),
            r.headers[0].key().as_ptr(),
            r.headers[0].value().unwrap().as_ptr(),
        ] {
            assert!(range.contains(&p));
        }
        assert_eq!(r.headers[0].key_str(), "é");
    }

    #[test]
    fn header_constructors() {
        assert!(Header::try_from_bytes(Bytes::from_static(b"\xff"), None).is_err());
        let h = Header::try_from_bytes(Bytes::from_static(b"ok"), None).unwrap();
        assert_eq!(format!("{h:?}"), "Header { key: \"ok\", value: None }");
        assert_eq!(h.into_parts(), (Bytes::from_static(b"ok"), None));
    }
}
