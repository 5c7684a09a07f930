//! The compression codecs of record batches, all in pure Rust.
//!
//! | codec  | id | wire form                                   | crate        |
//! |--------|----|---------------------------------------------|--------------|
//! | gzip   | 1  | gzip members (RFC 1952)                     | `flate2`     |
//! | snappy | 2  | xerial-framed (written), raw or xerial (read) | `snap`     |
//! | lz4    | 3  | LZ4 frame format (not size-prefixed blocks) | `lz4_flex`   |
//! | zstd   | 4  | zstd frames                                 | `ruzstd`     |
//!
//! The compressed part of a batch is its records section (v2) or the value of a wrapper message
//! (magic 0/1). Decompression always takes a size limit ([`DEFAULT_MAX_DECOMPRESSED_SIZE`] unless
//! the caller says otherwise, see [`crate::record::DecodeOptions`]) and fails with
//! [`DecodeErrorKind::DecompressedTooLarge`] past it, so that a small hostile batch cannot make
//! the client allocate gigabytes; size fields inside compressed data are only used after being
//! checked against the limit and against what the input could possibly expand to.

mod gzip;
mod lz4;
mod snappy;
mod zstd;

use std::fmt;
use std::io::Read;
use std::str::FromStr;

use bytes::{Bytes, BytesMut};

use crate::error::{DecodeError, DecodeErrorKind, DecodeResult, EncodeResult};

/// The default limit on the decompressed size of one batch: 256 MiB.
///
/// Kafka's own limits (`message.max.bytes`, `fetch.max.bytes`) apply to *compressed* sizes, so a
/// legitimate batch can decompress to more than it occupies on the wire, but not to this much in
/// any real deployment.
pub const DEFAULT_MAX_DECOMPRESSED_SIZE: usize = 256 * 1024 * 1024;

/// The codec of a record batch: bits 0–2 of its attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    /// No compression (id 0).
    #[default]
    None,
    /// gzip (id 1).
    Gzip,
    /// Snappy (id 2), in the xerial framing of the Java client.
    Snappy,
    /// LZ4 (id 3), in the LZ4 frame format.
    Lz4,
    /// Zstandard (id 4).
    Zstd,
}

/// The mask of the codec bits in batch and message attributes.
pub(crate) const CODEC_MASK: i16 = 0x07;

impl Compression {
    /// Every codec, in id order.
    pub const ALL: [Compression; 5] =
        [Compression::None, Compression::Gzip, Compression::Snappy, Compression::Lz4, Compression::Zstd];

    /// The codec with this id (0–4), `None` for an unknown id.
    pub fn from_id(id: u8) -> Option<Self> {
        match id {
            0 => Some(Self::None),
            1 => Some(Self::Gzip),
            2 => Some(Self::Snappy),
            3 => Some(Self::Lz4),
            4 => Some(Self::Zstd),
            _ => None,
        }
    }

    /// The codec named by the low three bits of batch (or message) attributes; `None` if those
    /// bits hold an unknown id (5–7).
    pub fn from_attributes(attributes: i16) -> Option<Self> {
        Self::from_id((attributes & CODEC_MASK) as u8)
    }

    /// The codec's id as written in attributes.
    pub fn id(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Gzip => 1,
            Self::Snappy => 2,
            Self::Lz4 => 3,
            Self::Zstd => 4,
        }
    }

    /// The codec's name as Kafka's `compression.type` spells it: `none`, `gzip`, `snappy`, `lz4`,
    /// `zstd`.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Gzip => "gzip",
            Self::Snappy => "snappy",
            Self::Lz4 => "lz4",
            Self::Zstd => "zstd",
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of `none`, `gzip`, `snappy`, `lz4`, `zstd`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown compression type {0:?} (expected none, gzip, snappy, lz4 or zstd)")]
pub struct ParseCompressionError(pub String);

impl FromStr for Compression {
    type Err = ParseCompressionError;

    /// Parses a `compression.type` value (ASCII case is ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseCompressionError(s.to_owned()))
    }
}

/// Compresses `input` with `codec` and appends the result to `out`.
///
/// `level` only matters for gzip (0–9; `None` or negative is the zlib default, 6, as the Java
/// client and librdkafka use). LZ4 and Snappy have no levels, and the pure-Rust zstd encoder
/// implements one level (about zstd's level 1), so `level` is ignored for them.
/// `Compression::None` copies.
///
/// The output is what the Java client writes: gzip members; xerial-framed Snappy in blocks of
/// 32 KiB; an LZ4 frame of independent 64 KiB blocks without checksums; one zstd frame.
pub fn compress(codec: Compression, level: Option<i32>, input: &[u8], out: &mut BytesMut) -> EncodeResult<()> {
    match codec {
        Compression::None => {
            out.extend_from_slice(input);
            Ok(())
        }
        Compression::Gzip => gzip::compress(input, level, out),
        Compression::Snappy => snappy::compress(input, out),
        Compression::Lz4 => lz4::compress(input, out),
        Compression::Zstd => zstd::compress(input, out),
    }
}

/// Decompresses `input`, compressed with `codec`, refusing to produce more than `limit` bytes.
///
/// Errors are [`DecodeErrorKind::Decompression`] (with the codec's reason) or
/// [`DecodeErrorKind::DecompressedTooLarge`], at offset 0 of `input`. Snappy input may be raw or
/// xerial-framed. `Compression::None` returns a copy.
pub fn decompress(codec: Compression, input: &[u8], limit: usize) -> DecodeResult<Bytes> {
    decompress_inner(codec, input, limit, false)
}

/// [`decompress`], with the LZ4 quirk of magic 0 messages when `legacy_lz4_header` is true:
/// Kafka before 0.10 computed the LZ4 frame header checksum over the wrong bytes (KAFKA-3160),
/// so for those the checksum is ignored, as the Java client does.
pub(crate) fn decompress_inner(
    codec: Compression,
    input: &[u8],
    limit: usize,
    legacy_lz4_header: bool,
) -> DecodeResult<Bytes> {
    let out = match codec {
        Compression::None => {
            if input.len() > limit {
                return Err(too_large(limit));
            }
            input.to_vec()
        }
        Compression::Gzip => gzip::decompress(input, limit)?,
        Compression::Snappy => snappy::decompress(input, limit)?,
        Compression::Lz4 => lz4::decompress(input, limit, legacy_lz4_header)?,
        Compression::Zstd => zstd::decompress(input, limit)?,
    };
    Ok(Bytes::from(out))
}

/// A [`DecodeErrorKind::Decompression`] error.
#[cold]
fn failed(codec: &'static str, reason: impl fmt::Display) -> DecodeError {
    DecodeError::new(DecodeErrorKind::Decompression { codec, reason: reason.to_string() }, 0)
}

/// A [`DecodeErrorKind::DecompressedTooLarge`] error.
#[cold]
fn too_large(limit: usize) -> DecodeError {
    DecodeError::new(DecodeErrorKind::DecompressedTooLarge { limit }, 0)
}

/// An [`crate::EncodeError::Compression`] error.
#[cold]
fn encode_failed(codec: &'static str, reason: impl fmt::Display) -> crate::EncodeError {
    crate::EncodeError::Compression { codec, reason: reason.to_string() }
}

/// Reads all of `r` into `out`, failing once more than `limit` bytes in total would be in `out`.
///
/// `hint` is the expected output size (a guess from the input size); the buffer starts there and
/// grows as the data really arrives, never from a size the input claims.
fn read_limited(codec: &'static str, r: impl Read, out: &mut Vec<u8>, limit: usize, hint: usize) -> DecodeResult<()> {
    let room = limit.saturating_sub(out.len());
    out.reserve(hint.min(room));
    let n = r.take(room as u64 + 1).read_to_end(out).map_err(|e| failed(codec, e))?;
    if n > room {
        return Err(too_large(limit));
    }
    Ok(())
}

/// A first guess at the decompressed size of `input_len` compressed bytes.
fn size_hint(input_len: usize) -> usize {
    input_len.saturating_mul(4).saturating_add(64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut v = Vec::new();
        for i in 0..20_000u32 {
            v.extend_from_slice(format!("record {i} of a fairly repetitive stream; ").as_bytes());
        }
        v
    }

    #[test]
    fn names_and_ids() {
        for c in Compression::ALL {
            assert_eq!(Compression::from_id(c.id()), Some(c));
            assert_eq!(c.name().parse::<Compression>().unwrap(), c);
            assert_eq!(c.to_string(), c.name());
            assert_eq!(Compression::from_attributes(0x70 | i16::from(c.id())), Some(c));
        }
        assert_eq!("LZ4".parse::<Compression>().unwrap(), Compression::Lz4);
        assert!("brotli".parse::<Compression>().is_err());
        assert_eq!(Compression::from_id(5), None);
        assert_eq!(Compression::from_attributes(7), None);
    }

    #[test]
    fn every_codec_round_trips() {
        let data = sample();
        for c in Compression::ALL {
            for input in [&data[..], &data[..1], &[][..]] {
                let mut out = BytesMut::new();
                compress(c, None, input, &mut out).unwrap();
                let back = decompress(c, &out, DEFAULT_MAX_DECOMPRESSED_SIZE).unwrap();
                assert_eq!(&back[..], input, "{c} with {} bytes", input.len());
            }
        }
    }

    #[test]
    fn every_codec_respects_the_limit() {
        let data = sample();
        for c in Compression::ALL {
            let mut out = BytesMut::new();
            compress(c, None, &data, &mut out).unwrap();
            let err = decompress(c, &out, data.len() - 1).unwrap_err();
            assert_eq!(err.kind(), &DecodeErrorKind::DecompressedTooLarge { limit: data.len() - 1 }, "{c}");
            assert_eq!(decompress(c, &out, data.len()).unwrap().len(), data.len(), "{c}");
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let inputs: [&[u8]; 5] = [
            b"",
            b"\x00",
            b"not compressed at all, just text",
            &[0xff; 64],
            &[0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9],
        ];
        for c in [Compression::Gzip, Compression::Snappy, Compression::Lz4, Compression::Zstd] {
            for input in inputs {
                // Some of these are valid empty streams for some codecs; none may panic.
                let _ = decompress(c, input, 1 << 20);
            }
        }
    }

    #[test]
    fn truncated_compressed_data_never_panics() {
        let data = sample();
        for c in [Compression::Gzip, Compression::Snappy, Compression::Lz4, Compression::Zstd] {
            let mut out = BytesMut::new();
            compress(c, None, &data[..3000], &mut out).unwrap();
            for n in 0..out.len() {
                if let Ok(b) = decompress(c, &out[..n], 1 << 20) {
                    assert!(b.len() <= 3000, "{c}");
                }
            }
        }
    }
}
