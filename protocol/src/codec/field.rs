//! How each field type is encoded, per version.
//!
//! [`FieldCodec`] is implemented by every type a message field can have; the message
//! declarations (see `messages/macros.rs`) call it for each field present in a version. Whether
//! the version is flexible (compact lengths, tagged fields) and whether the field may be null in it
//! travel in [`Ctx`].

use bytes::{BufMut, Bytes};

use super::{put_uvarint, uvarint_len, Reader, Uuid};
use crate::error::{DecodeErrorKind, DecodeResult, EncodeError, EncodeResult};

/// What a field's codec needs to know about where it is being written or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ctx {
    /// The message version.
    pub version: i16,
    /// Whether the version is flexible (compact strings and arrays, tagged fields).
    pub flexible: bool,
    /// Whether the field may be null in this version.
    pub nullable: bool,
}

/// A type that can be a field of a Kafka message.
pub trait FieldCodec: Sized {
    /// A lower bound on the encoded size, used to bound array counts by the remaining input.
    const MIN_SIZE: usize;

    /// Writes the value.
    fn encode<B: BufMut>(&self, buf: &mut B, ctx: Ctx) -> EncodeResult<()>;

    /// Reads a value.
    fn decode(r: &mut Reader, ctx: Ctx) -> DecodeResult<Self>;

    /// The number of bytes [`FieldCodec::encode`] writes.
    fn encoded_size(&self, ctx: Ctx) -> usize;
}

/// A field type that has a null value on the wire; `Option<T>` fields use it.
pub trait Nullable: FieldCodec {
    /// Writes the null value.
    fn encode_null<B: BufMut>(buf: &mut B, ctx: Ctx);

    /// Reads a value that may be null.
    fn decode_nullable(r: &mut Reader, ctx: Ctx) -> DecodeResult<Option<Self>>;

    /// The size of the null value.
    fn null_size(ctx: Ctx) -> usize;

    /// Writes a present value where null was allowed (structures write a presence byte first).
    fn encode_present<B: BufMut>(&self, buf: &mut B, ctx: Ctx) -> EncodeResult<()> {
        self.encode(buf, ctx)
    }

    /// The size [`Nullable::encode_present`] writes.
    fn present_size(&self, ctx: Ctx) -> usize {
        self.encoded_size(ctx)
    }
}

macro_rules! fixed {
    ($t:ty, $size:expr, $put:ident, $get:ident) => {
        impl FieldCodec for $t {
            const MIN_SIZE: usize = $size;
            #[inline]
            fn encode<B: BufMut>(&self, buf: &mut B, _ctx: Ctx) -> EncodeResult<()> {
                buf.$put(*self);
                Ok(())
            }
            #[inline]
            fn decode(r: &mut Reader, _ctx: Ctx) -> DecodeResult<Self> {
                r.$get()
            }
            #[inline]
            fn encoded_size(&self, _ctx: Ctx) -> usize {
                $size
            }
        }
    };
}

fixed!(i8, 1, put_i8, i8);
fixed!(i16, 2, put_i16, i16);
fixed!(u16, 2, put_u16, u16);
fixed!(i32, 4, put_i32, i32);
fixed!(u32, 4, put_u32, u32);
fixed!(i64, 8, put_i64, i64);
fixed!(f64, 8, put_f64, f64);

impl FieldCodec for bool {
    const MIN_SIZE: usize = 1;
    fn encode<B: BufMut>(&self, buf: &mut B, _ctx: Ctx) -> EncodeResult<()> {
        buf.put_u8(u8::from(*self));
        Ok(())
    }
    fn decode(r: &mut Reader, _ctx: Ctx) -> DecodeResult<Self> {
        r.bool()
    }
    fn encoded_size(&self, _ctx: Ctx) -> usize {
        1
    }
}

impl FieldCodec for Uuid {
    const MIN_SIZE: usize = 16;
    fn encode<B: BufMut>(&self, buf: &mut B, _ctx: Ctx) -> EncodeResult<()> {
        buf.put_slice(&self.0);
        Ok(())
    }
    fn decode(r: &mut Reader, _ctx: Ctx) -> DecodeResult<Self> {
        r.uuid()
    }
    fn encoded_size(&self, _ctx: Ctx) -> usize {
        16
    }
}

/// Writes a string/bytes/array length: `i16` (`short_len`) or `i32` classic, or
/// unsigned varint of `len + 1` compact.
#[inline]
fn put_len<B: BufMut>(buf: &mut B, len: usize, compact: bool, short_len: bool, what: &'static str) -> EncodeResult<()> {
    if compact {
        if len >= u32::MAX as usize {
            return Err(EncodeError::TooLong { what, length: len, max: u32::MAX as usize - 1 });
        }
        put_uvarint(buf, len as u32 + 1);
    } else if short_len {
        if len > i16::MAX as usize {
            return Err(EncodeError::TooLong { what, length: len, max: i16::MAX as usize });
        }
        buf.put_i16(len as i16);
    } else {
        if len > i32::MAX as usize {
            return Err(EncodeError::TooLong { what, length: len, max: i32::MAX as usize });
        }
        buf.put_i32(len as i32);
    }
    Ok(())
}

#[inline]
fn len_size(len: usize, compact: bool, short_len: bool) -> usize {
    if compact {
        uvarint_len((len as u32).wrapping_add(1))
    } else if short_len {
        2
    } else {
        4
    }
}

#[inline]
fn put_null<B: BufMut>(buf: &mut B, compact: bool, short_len: bool) {
    if compact {
        buf.put_u8(0);
    } else if short_len {
        buf.put_i16(-1);
    } else {
        buf.put_i32(-1);
    }
}

impl FieldCodec for String {
    const MIN_SIZE: usize = 1;
    fn encode<B: BufMut>(&self, buf: &mut B, ctx: Ctx) -> EncodeResult<()> {
        put_len(buf, self.len(), ctx.flexible, true, "string")?;
        buf.put_slice(self.as_bytes());
        Ok(())
    }
    fn decode(r: &mut Reader, ctx: Ctx) -> DecodeResult<Self> {
        match r.string_len(ctx.flexible)? {
            Some(n) => r.string_of_len(n),
            None => Err(r.error(DecodeErrorKind::UnexpectedNull)),
        }
    }
    fn encoded_size(&self, ctx: Ctx) -> usize {
        len_size(self.len(), ctx.flexible, true) + self.len()
    }
}

impl Nullable for String {
    fn encode_null<B: BufMut>(buf: &mut B, ctx: Ctx) {
        put_null(buf, ctx.flexible, true)
    }
    fn decode_nullable(r: &mut Reader, ctx: Ctx) -> DecodeResult<Option<Self>> {
        match r.string_len(ctx.flexible)? {
            Some(n) => r.string_of_len(n).map(Some),
            None => Ok(None),
        }
    }
    fn null_size(ctx: Ctx) -> usize {
        if ctx.flexible {
            1
        } else {
            2
        }
    }
}

impl FieldCodec for Bytes {
    const MIN_SIZE: usize = 1;
    fn encode<B: BufMut>(&self, buf: &mut B, ctx: Ctx) -> EncodeResult<()> {
        put_len(buf, self.len(), ctx.flexible, false, "bytes")?;
        buf.put_slice(self);
        Ok(())
    }
    fn decode(r: &mut Reader, ctx: Ctx) -> DecodeResult<Self> {
        match r.array_len(ctx.flexible, 1)? {
            Some(n) => r.bytes(n),
            None => Err(r.error(DecodeErrorKind::UnexpectedNull)),
        }
    }
    fn encoded_size(&self, ctx: Ctx) -> usize {
        len_size(self.len(), ctx.flexible, false) + self.len()
    }
}

impl Nullable for Bytes {
    fn encode_null<B: BufMut>(buf: &mut B, ctx: Ctx) {
        put_null(buf, ctx.flexible, false)
    }
    fn decode_nullable(r: &mut Reader, ctx: Ctx) -> DecodeResult<Option<Self>> {
        match r.array_len(ctx.flexible, 1)? {
            Some(n) => r.bytes(n).map(Some),
            None => Ok(None),
        }
    }
    fn null_size(ctx: Ctx) -> usize {
        if ctx.flexible {
            1
        } else {
            4
        }
    }
}

/// Arrays never reserve more than this many elements up front; they grow as elements decode.
const MAX_PREALLOCATED_ELEMENTS: usize = 64;

impl<T: FieldCodec> FieldCodec for Vec<T> {
    const MIN_SIZE: usize = 1;
    fn encode<B: BufMut>(&self, buf: &mut B, ctx: Ctx) -> EncodeResult<()> {
        put_len(buf, self.len(), ctx.flexible, false, "array")?;
        let item = Ctx { nullable: false, ..ctx };
        for v in self {
            v.encode(buf, item)?;
        }
        Ok(())
    }
    fn decode(r: &mut Reader, ctx: Ctx) -> DecodeResult<Self> {
        match <Self as Nullable>::decode_nullable(r, ctx)? {
            Some(v) => Ok(v),
            None => Err(r.error(DecodeErrorKind::UnexpectedNull)),
        }
    }
    fn encoded_size(&self, ctx: Ctx) -> usize {
        let item = Ctx { nullable: false, ..ctx };
        len_size(self.len(), ctx.flexible, false) + self.iter().map(|v| v.encoded_size(item)).sum::<usize>()
    }
}

impl<T: FieldCodec> Nullable for Vec<T> {
    fn encode_null<B: BufMut>(buf: &mut B, ctx: Ctx) {
        put_null(buf, ctx.flexible, false)
    }
    fn decode_nullable(r: &mut Reader, ctx: Ctx) -> DecodeResult<Option<Self>> {
        let Some(n) = r.array_len(ctx.flexible, T::MIN_SIZE.max(1))? else {
            return Ok(None);
        };
        let item = Ctx { nullable: false, ..ctx };
        let mut out = Vec::with_capacity(n.min(MAX_PREALLOCATED_ELEMENTS));
        for i in 0..n {
            out.push(T::decode(r, item).map_err(|e| e.context(format!("[{i}]")))?);
        }
        Ok(Some(out))
    }
    fn null_size(ctx: Ctx) -> usize {
        if ctx.flexible {
            1
        } else {
            4
        }
    }
}

impl<T: Nullable> FieldCodec for Option<T> {
    const MIN_SIZE: usize = 1;
    fn encode<B: BufMut>(&self, buf: &mut B, ctx: Ctx) -> EncodeResult<()> {
        match self {
            Some(v) if ctx.nullable => v.encode_present(buf, ctx),
            Some(v) => v.encode(buf, ctx),
            None if ctx.nullable => {
                T::encode_null(buf, ctx);
                Ok(())
            }
            None => Err(EncodeError::NullNotAllowed { field: "", version: ctx.version }),
        }
    }
    fn decode(r: &mut Reader, ctx: Ctx) -> DecodeResult<Self> {
        if ctx.nullable {
            T::decode_nullable(r, ctx)
        } else {
            T::decode(r, ctx).map(Some)
        }
    }
    fn encoded_size(&self, ctx: Ctx) -> usize {
        match self {
            Some(v) if ctx.nullable => v.present_size(ctx),
            Some(v) => v.encoded_size(ctx),
            None => T::null_size(ctx),
        }
    }
}

impl EncodeError {
    /// Names the field in a [`EncodeError::NullNotAllowed`] that does not name one yet.
    #[must_use]
    pub fn in_field(self, name: &'static str) -> Self {
        match self {
            EncodeError::NullNotAllowed { field: "", version } => EncodeError::NullNotAllowed { field: name, version },
            other => other,
        }
    }
}
