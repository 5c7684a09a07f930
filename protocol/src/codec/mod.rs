//! Primitive encodings of the Kafka protocol: fixed-width integers, varints, strings, bytes,
//! arrays, UUIDs and tagged fields.
//!
//! Decoding goes through [`Reader`], a cursor over a [`Bytes`] buffer that checks every length
//! against what is really there before it reads or allocates, and slices byte fields out of the
//! input without copying. Encoding writes into any [`BufMut`] (usually a `BytesMut`) with the
//! `put_*` functions here and [`BufMut`]'s own fixed-width writers.

mod field;
#[cfg(any(test, feature = "testkit"))]
pub mod gen;
mod reader;
mod uuid;

pub use field::{Ctx, FieldCodec, Nullable};
pub use reader::Reader;
pub use uuid::Uuid;

use bytes::{BufMut, Bytes};

/// A tagged field this crate does not know, kept as raw bytes so that it survives a decode and
/// re-encode unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawTaggedField {
    /// The tag number.
    pub tag: u32,
    /// The field's encoded bytes.
    pub data: Bytes,
}

/// Writes an unknown tagged field as it was read: tag, size, data.
pub fn put_raw_tagged(buf: &mut impl BufMut, f: &RawTaggedField) {
    put_uvarint(buf, f.tag);
    put_uvarint(buf, f.data.len() as u32);
    buf.put_slice(&f.data);
}

/// The size [`put_raw_tagged`] writes.
pub fn raw_tagged_size(f: &RawTaggedField) -> usize {
    uvarint_len(f.tag) + uvarint_len(f.data.len() as u32) + f.data.len()
}

/// Number of bytes [`put_uvarint`] writes for `v`.
#[inline]
pub fn uvarint_len(v: u32) -> usize {
    match v {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        0x4000..=0x1f_ffff => 3,
        0x20_0000..=0xfff_ffff => 4,
        _ => 5,
    }
}

/// Number of bytes [`put_uvarlong`] writes for `v`.
#[inline]
pub fn uvarlong_len(v: u64) -> usize {
    // 1 byte per started group of 7 bits, at least 1.
    let bits = 64 - (v | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Number of bytes [`put_varint`] writes for `v` (zig-zag).
#[inline]
pub fn varint_len(v: i32) -> usize {
    uvarint_len(zigzag32(v))
}

/// Number of bytes [`put_varlong`] writes for `v` (zig-zag).
#[inline]
pub fn varlong_len(v: i64) -> usize {
    uvarlong_len(zigzag64(v))
}

#[inline]
fn zigzag32(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

#[inline]
fn zigzag64(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// Writes an unsigned varint (7 bits a byte, low groups first).
#[inline]
pub fn put_uvarint(buf: &mut impl BufMut, mut v: u32) {
    while v >= 0x80 {
        buf.put_u8((v as u8) | 0x80);
        v >>= 7;
    }
    buf.put_u8(v as u8);
}

/// Writes an unsigned varlong.
#[inline]
pub fn put_uvarlong(buf: &mut impl BufMut, mut v: u64) {
    while v >= 0x80 {
        buf.put_u8((v as u8) | 0x80);
        v >>= 7;
    }
    buf.put_u8(v as u8);
}

/// Writes a zig-zag signed varint (as record fields use).
#[inline]
pub fn put_varint(buf: &mut impl BufMut, v: i32) {
    put_uvarint(buf, zigzag32(v));
}

/// Writes a zig-zag signed varlong.
#[inline]
pub fn put_varlong(buf: &mut impl BufMut, v: i64) {
    put_uvarlong(buf, zigzag64(v));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn roundtrip_u32(v: u32) {
        let mut b = Vec::new();
        put_uvarint(&mut b, v);
        assert_eq!(b.len(), uvarint_len(v));
        let mut r = Reader::new(Bytes::from(b));
        assert_eq!(r.uvarint().unwrap(), v);
        assert!(r.is_empty());
    }

    #[test]
    fn varint_golden_bytes() {
        // Values and encodings from the protobuf/Kafka varint definition.
        let cases: &[(i32, &[u8])] = &[
            (0, &[0x00]),
            (-1, &[0x01]),
            (1, &[0x02]),
            (-2, &[0x03]),
            (63, &[0x7e]),
            (-64, &[0x7f]),
            (64, &[0x80, 0x01]),
            (300, &[0xd8, 0x04]),
            (i32::MAX, &[0xfe, 0xff, 0xff, 0xff, 0x0f]),
            (i32::MIN, &[0xff, 0xff, 0xff, 0xff, 0x0f]),
        ];
        for (v, bytes) in cases {
            let mut b = Vec::new();
            put_varint(&mut b, *v);
            assert_eq!(&b[..], *bytes, "encoding {v}");
            assert_eq!(Reader::new(Bytes::copy_from_slice(bytes)).varint().unwrap(), *v);
        }
    }

    #[test]
    fn varint_overlong_is_an_error() {
        let bytes = Bytes::from_static(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        assert!(Reader::new(bytes.clone()).uvarint().is_err());
        assert!(Reader::new(Bytes::from_static(&[0x80])).uvarint().is_err());
        let long = Bytes::from_static(&[0xff; 11]);
        assert!(Reader::new(long).uvarlong().is_err());
    }

    proptest! {
        #[test]
        fn uvarint_roundtrip(v in any::<u32>()) { roundtrip_u32(v) }

        #[test]
        fn varlong_roundtrip(v in any::<i64>()) {
            let mut b = Vec::new();
            put_varlong(&mut b, v);
            prop_assert_eq!(b.len(), varlong_len(v));
            let mut r = Reader::new(Bytes::from(b));
            prop_assert_eq!(r.varlong().unwrap(), v);
        }

        #[test]
        fn varint_roundtrip(v in any::<i32>()) {
            let mut b = Vec::new();
            put_varint(&mut b, v);
            prop_assert_eq!(b.len(), varint_len(v));
            prop_assert_eq!(Reader::new(Bytes::from(b)).varint().unwrap(), v);
        }
    }
}
