use bytes::{Buf, Bytes};

use super::Uuid;
use crate::error::{DecodeError, DecodeErrorKind, DecodeResult};

/// A checked cursor over a [`Bytes`] buffer.
///
/// Every read checks that the bytes are there first and returns a [`DecodeError`] carrying the
/// offset otherwise; nothing is allocated from a length field before the bytes it announces
/// are present. Byte fields ([`Reader::bytes`]) are zero-copy slices of the input.
#[derive(Debug, Clone)]
pub struct Reader {
    buf: Bytes,
    start_len: usize,
}

impl Reader {
    /// A reader over all of `buf`.
    pub fn new(buf: Bytes) -> Self {
        let start_len = buf.len();
        Self { buf, start_len }
    }

    /// How many bytes have been consumed.
    #[inline]
    pub fn offset(&self) -> usize {
        self.start_len - self.buf.len()
    }

    /// How many bytes are left.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// Whether all input has been consumed.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The unread bytes, without consuming them.
    pub fn peek_rest(&self) -> &Bytes {
        &self.buf
    }

    /// An error of `kind` at the current offset.
    #[cold]
    pub fn error(&self, kind: DecodeErrorKind) -> DecodeError {
        DecodeError::new(kind, self.offset())
    }

    /// An [`DecodeErrorKind::Invalid`] error with `msg` at the current offset.
    #[cold]
    pub fn invalid(&self, msg: impl Into<std::borrow::Cow<'static, str>>) -> DecodeError {
        self.error(DecodeErrorKind::Invalid(msg.into()))
    }

    /// Fails unless at least `n` bytes remain.
    #[inline]
    pub fn need(&self, n: usize) -> DecodeResult<()> {
        if self.buf.len() < n {
            Err(self.error(DecodeErrorKind::Truncated { needed: n, remaining: self.buf.len() }))
        } else {
            Ok(())
        }
    }

    /// Fails unless nothing remains.
    pub fn finish(&self) -> DecodeResult<()> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(self.error(DecodeErrorKind::TrailingBytes(self.buf.len())))
        }
    }

    /// Checks a length or count read from the input against the bytes that follow it:
    /// `len` must be non-negative and, counting at least `min_item_size` bytes per item,
    /// fit in what remains. Returns it as `usize`.
    #[inline]
    pub fn check_len(&self, len: i64, min_item_size: usize) -> DecodeResult<usize> {
        if len < 0 || (len as u64).saturating_mul(min_item_size as u64) > self.buf.len() as u64 {
            return Err(self.error(DecodeErrorKind::InvalidLength { length: len, remaining: self.buf.len() }));
        }
        Ok(len as usize)
    }

    /// Reads an `i8`.
    #[inline]
    pub fn i8(&mut self) -> DecodeResult<i8> {
        self.need(1)?;
        Ok(self.buf.get_i8())
    }

    /// Reads a `u8`.
    #[inline]
    pub fn u8(&mut self) -> DecodeResult<u8> {
        self.need(1)?;
        Ok(self.buf.get_u8())
    }

    /// Reads a big-endian `i16`.
    #[inline]
    pub fn i16(&mut self) -> DecodeResult<i16> {
        self.need(2)?;
        Ok(self.buf.get_i16())
    }

    /// Reads a big-endian `u16`.
    #[inline]
    pub fn u16(&mut self) -> DecodeResult<u16> {
        self.need(2)?;
        Ok(self.buf.get_u16())
    }

    /// Reads a big-endian `i32`.
    #[inline]
    pub fn i32(&mut self) -> DecodeResult<i32> {
        self.need(4)?;
        Ok(self.buf.get_i32())
    }

    /// Reads a big-endian `u32`.
    #[inline]
    pub fn u32(&mut self) -> DecodeResult<u32> {
        self.need(4)?;
        Ok(self.buf.get_u32())
    }

    /// Reads a big-endian `i64`.
    #[inline]
    pub fn i64(&mut self) -> DecodeResult<i64> {
        self.need(8)?;
        Ok(self.buf.get_i64())
    }

    /// Reads a big-endian IEEE-754 `f64`.
    #[inline]
    pub fn f64(&mut self) -> DecodeResult<f64> {
        self.need(8)?;
        Ok(self.buf.get_f64())
    }

    /// Reads a boolean (any non-zero byte is true, as in the Java client).
    #[inline]
    pub fn bool(&mut self) -> DecodeResult<bool> {
        Ok(self.u8()? != 0)
    }

    /// Reads a 16-byte UUID.
    pub fn uuid(&mut self) -> DecodeResult<Uuid> {
        self.need(16)?;
        let mut b = [0u8; 16];
        self.buf.copy_to_slice(&mut b);
        Ok(Uuid(b))
    }

    /// Reads an unsigned varint (at most 5 bytes).
    #[inline]
    pub fn uvarint(&mut self) -> DecodeResult<u32> {
        let mut v: u32 = 0;
        for i in 0..5 {
            let b = self.u8()?;
            if i == 4 && b > 0x0f {
                return Err(self.error(DecodeErrorKind::VarintOverflow));
            }
            v |= u32::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.error(DecodeErrorKind::VarintOverflow))
    }

    /// Reads an unsigned varlong (at most 10 bytes).
    #[inline]
    pub fn uvarlong(&mut self) -> DecodeResult<u64> {
        let mut v: u64 = 0;
        for i in 0..10 {
            let b = self.u8()?;
            if i == 9 && b > 0x01 {
                return Err(self.error(DecodeErrorKind::VarintOverflow));
            }
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.error(DecodeErrorKind::VarintOverflow))
    }

    /// Reads a zig-zag signed varint.
    #[inline]
    pub fn varint(&mut self) -> DecodeResult<i32> {
        let u = self.uvarint()?;
        Ok(((u >> 1) as i32) ^ -((u & 1) as i32))
    }

    /// Reads a zig-zag signed varlong.
    #[inline]
    pub fn varlong(&mut self) -> DecodeResult<i64> {
        let u = self.uvarlong()?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }

    /// Takes the next `n` bytes as a zero-copy slice of the input.
    #[inline]
    pub fn bytes(&mut self, n: usize) -> DecodeResult<Bytes> {
        self.need(n)?;
        Ok(self.buf.split_to(n))
    }

    /// Skips `n` bytes.
    #[inline]
    pub fn skip(&mut self, n: usize) -> DecodeResult<()> {
        self.need(n)?;
        self.buf.advance(n);
        Ok(())
    }

    /// Takes everything that remains.
    pub fn rest(&mut self) -> Bytes {
        std::mem::take(&mut self.buf)
    }

    /// Reads `n` bytes as a UTF-8 string.
    pub fn string_of_len(&mut self, n: usize) -> DecodeResult<String> {
        self.need(n)?;
        let s = std::str::from_utf8(&self.buf[..n]).map_err(|_| self.error(DecodeErrorKind::InvalidUtf8))?;
        let s = s.to_owned();
        self.buf.advance(n);
        Ok(s)
    }

    /// Reads a length (`i16` classic or unsigned varint minus one when `compact`), `None` for null.
    #[inline]
    pub fn string_len(&mut self, compact: bool) -> DecodeResult<Option<usize>> {
        let len = if compact { i64::from(self.uvarint()?) - 1 } else { i64::from(self.i16()?) };
        if len < 0 {
            return if len == -1 {
                Ok(None)
            } else {
                Err(self.error(DecodeErrorKind::InvalidLength { length: len, remaining: self.remaining() }))
            };
        }
        self.check_len(len, 1).map(Some)
    }

    /// Reads a byte-array or array length (`i32` classic or unsigned varint minus one when
    /// `compact`), `None` for null. `min_item_size` bounds the count by the remaining input.
    #[inline]
    pub fn array_len(&mut self, compact: bool, min_item_size: usize) -> DecodeResult<Option<usize>> {
        let len = if compact { i64::from(self.uvarint()?) - 1 } else { i64::from(self.i32()?) };
        if len < 0 {
            return if len == -1 {
                Ok(None)
            } else {
                Err(self.error(DecodeErrorKind::InvalidLength { length: len, remaining: self.remaining() }))
            };
        }
        self.check_len(len, min_item_size).map(Some)
    }

    /// A reader over the next `n` bytes, consumed from this one. Offsets in errors from the
    /// sub-reader are relative to its start.
    pub fn sub(&mut self, n: usize) -> DecodeResult<Reader> {
        Ok(Reader::new(self.bytes(n)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_length_does_not_allocate() {
        // i32::MAX array length followed by 3 bytes.
        let mut r = Reader::new(Bytes::from_static(&[0x7f, 0xff, 0xff, 0xff, 1, 2, 3]));
        let err = r.array_len(false, 1).unwrap_err();
        assert!(matches!(err.kind(), DecodeErrorKind::InvalidLength { length: 2147483647, remaining: 3 }));
        assert_eq!(err.offset(), 4);
    }

    #[test]
    fn truncated_int_reports_offset() {
        let mut r = Reader::new(Bytes::from_static(&[0, 0, 0, 1, 0, 0]));
        assert_eq!(r.i32().unwrap(), 1);
        let err = r.i32().unwrap_err();
        assert_eq!(err.offset(), 4);
        assert!(matches!(err.kind(), DecodeErrorKind::Truncated { needed: 4, remaining: 2 }));
    }

    #[test]
    fn bytes_are_zero_copy() {
        let input = Bytes::from_static(b"hello world");
        let mut r = Reader::new(input.clone());
        r.skip(6).unwrap();
        let w = r.bytes(5).unwrap();
        assert_eq!(&w[..], b"world");
        assert_eq!(w.as_ptr(), input[6..].as_ptr());
    }

    #[test]
    fn null_and_negative_lengths() {
        assert_eq!(Reader::new(Bytes::from_static(&[0xff, 0xff])).string_len(false).unwrap(), None);
        assert!(Reader::new(Bytes::from_static(&[0xff, 0xfe])).string_len(false).is_err());
        assert_eq!(Reader::new(Bytes::from_static(&[0])).string_len(true).unwrap(), None);
        assert!(Reader::new(Bytes::from_static(&[0xff, 0xff, 0xff, 0xfe])).array_len(false, 1).is_err());
    }
}
