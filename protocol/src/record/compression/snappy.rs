//! Snappy, raw and in the xerial framing.
//!
//! The Java client writes Snappy through `org.xerial.snappy.SnappyOutputStream`:
//!
//! ```text
//! 82 53 4E 41 50 50 59 00   magic ("\x82SNAPPY\0")
//! 00 00 00 01               version (i32, big-endian)
//! 00 00 00 01               compatible version (i32)
//! then blocks: [i32 compressed length][raw Snappy block of at most 32 KiB uncompressed]
//! ```
//!
//! librdkafka reads that framing and also raw Snappy (one block, what librdkafka itself wrote
//! before 1.0 and what some other clients write), telling them apart by the magic. kafkit does the
//! same on read, and writes the xerial framing, which every client reads.

use bytes::{BufMut, BytesMut};
use snap::raw::{decompress_len, max_compress_len, Decoder, Encoder};

use super::{encode_failed, failed, too_large};
use crate::error::{DecodeResult, EncodeResult};

const NAME: &str = "snappy";

/// The xerial stream magic.
pub(crate) const XERIAL_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
/// Magic, version and compatible version.
const XERIAL_HEADER_LEN: usize = 16;
/// The uncompressed size of each block, as `SnappyOutputStream` uses by default.
const XERIAL_BLOCK: usize = 32 * 1024;

/// The most a raw Snappy block of `n` bytes can expand to: a 3-byte copy element produces at most
/// 64 bytes, so no valid block holds more than 22 times its size (plus its length header).
fn max_expansion(n: usize) -> usize {
    n.saturating_mul(22)
}

/// Appends `input` to `out` in the xerial framing.
pub(super) fn compress(input: &[u8], out: &mut BytesMut) -> EncodeResult<()> {
    let blocks = input.len().div_ceil(XERIAL_BLOCK);
    out.reserve(XERIAL_HEADER_LEN + blocks * 4 + max_compress_len(input.len().min(XERIAL_BLOCK)));
    out.put_slice(&XERIAL_MAGIC);
    out.put_i32(1);
    out.put_i32(1);
    let mut enc = Encoder::new();
    for chunk in input.chunks(XERIAL_BLOCK) {
        let max = max_compress_len(chunk.len());
        let len_at = out.len();
        out.put_i32(0);
        let data_at = out.len();
        out.resize(data_at + max, 0);
        let n = match out.get_mut(data_at..) {
            Some(dst) => enc.compress(chunk, dst).map_err(|e| encode_failed(NAME, e))?,
            None => return Err(encode_failed(NAME, "output buffer")),
        };
        out.truncate(data_at + n);
        let len = (n as i32).to_be_bytes();
        if let Some(dst) = out.get_mut(len_at..data_at) {
            dst.copy_from_slice(&len);
        }
    }
    Ok(())
}

/// Decompresses raw or xerial-framed Snappy, producing at most `limit` bytes.
pub(super) fn decompress(input: &[u8], limit: usize) -> DecodeResult<Vec<u8>> {
    match input.strip_prefix(&XERIAL_MAGIC[..]) {
        Some(rest) => decompress_xerial(rest, limit),
        None => decompress_raw(input, limit),
    }
}

/// The uncompressed length a raw block declares, checked against `limit` and against what the
/// block could really hold, before anything is allocated for it.
fn checked_len(block: &[u8], limit: usize) -> DecodeResult<usize> {
    let n = decompress_len(block).map_err(|e| failed(NAME, e))?;
    if n > max_expansion(block.len()) {
        return Err(failed(NAME, format_args!("a block of {} bytes claims {n} uncompressed bytes", block.len())));
    }
    if n > limit {
        return Err(too_large(limit));
    }
    Ok(n)
}

fn decompress_raw(input: &[u8], limit: usize) -> DecodeResult<Vec<u8>> {
    if input.is_empty() {
        return Err(failed(NAME, "empty input"));
    }
    let n = checked_len(input, limit)?;
    let mut out = vec![0; n];
    let written = Decoder::new().decompress(input, &mut out).map_err(|e| failed(NAME, e))?;
    out.truncate(written);
    Ok(out)
}

/// Splits the xerial blocks after the magic into their raw Snappy payloads.
fn xerial_blocks(after_magic: &[u8]) -> impl Iterator<Item = DecodeResult<&[u8]>> {
    let mut rest = after_magic.get(8..);
    let mut failed_once = false;
    std::iter::from_fn(move || {
        if failed_once {
            return None;
        }
        let Some(r) = rest else {
            failed_once = true;
            return Some(Err(failed(NAME, "xerial header truncated")));
        };
        if r.is_empty() {
            return None;
        }
        let Some((len, tail)) = r.split_first_chunk::<4>() else {
            failed_once = true;
            return Some(Err(failed(NAME, "xerial block length truncated")));
        };
        let len = i32::from_be_bytes(*len);
        let block = usize::try_from(len).ok().and_then(|n| tail.get(..n));
        match block {
            Some(b) => {
                rest = tail.get(b.len()..);
                Some(Ok(b))
            }
            None => {
                failed_once = true;
                Some(Err(failed(NAME, format_args!("xerial block length {len} with {} bytes left", tail.len()))))
            }
        }
    })
}

fn decompress_xerial(after_magic: &[u8], limit: usize) -> DecodeResult<Vec<u8>> {
    // The version fields are not checked: xerial itself only requires the compatible version to
    // be at least 1, and every writer in the wild writes 1 and 1.
    //
    // First pass: the exact total size, checked block by block, so that one allocation holds it.
    let mut total = 0usize;
    for block in xerial_blocks(after_magic) {
        let block = block?;
        if block.is_empty() {
            continue;
        }
        total = total.saturating_add(checked_len(block, limit)?);
        if total > limit {
            return Err(too_large(limit));
        }
    }
    let mut out = vec![0; total];
    let mut at = 0;
    let mut dec = Decoder::new();
    for block in xerial_blocks(after_magic) {
        let block = block?;
        if block.is_empty() {
            continue;
        }
        let dst = out.get_mut(at..).ok_or_else(|| failed(NAME, "block sizes changed"))?;
        at += dec.decompress(block, dst).map_err(|e| failed(NAME, e))?;
    }
    out.truncate(at);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A raw Snappy block of "hello hello hello hello kafka" built by hand:
    /// length 29, literal "hello " (6), copy offset 6 length 18, literal "kafka" (5).
    const RAW: &[u8] = &[
        29, // uncompressed length (varint)
        0x14, b'h', b'e', b'l', b'l', b'o', b' ', // literal of 6: tag (6-1)<<2
        0x46, 0x06, 0x00, // copy of 18 with a 2-byte offset: tag (18-1)<<2 | 0b10, offset 6 LE
        0x10, b'k', b'a', b'f', b'k', b'a', // literal of 5: tag (5-1)<<2
    ];
    const TEXT: &[u8] = b"hello hello hello hello kafka";

    #[test]
    fn raw_block_built_by_hand() {
        let raw = RAW;
        assert_eq!(decompress(raw, 1000).unwrap(), TEXT);
        // A length claiming far more than the block can hold is refused before allocating.
        let mut liar = raw.to_vec();
        liar[0] = 0xff;
        liar.splice(1..1, [0xff, 0xff, 0x7f]);
        assert!(decompress(&liar, usize::MAX).is_err());
    }

    #[test]
    fn xerial_framing_built_by_hand() {
        let raw = RAW;
        let mut framed = vec![
            0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, // magic
            0, 0, 0, 1, // version
            0, 0, 0, 1, // compatible version
        ];
        // Two blocks, the same raw block twice.
        for _ in 0..2 {
            framed.extend_from_slice(&(raw.len() as i32).to_be_bytes());
            framed.extend_from_slice(raw);
        }
        let out = decompress(&framed, 1000).unwrap();
        assert_eq!(out, [TEXT, TEXT].concat());
        // The limit counts all blocks together.
        assert!(decompress(&framed, TEXT.len() * 2 - 1).is_err());
        // A header with no blocks is an empty stream.
        assert_eq!(decompress(&framed[..16], 10).unwrap(), b"");
        // Truncated inside the header, a length, or a block: errors.
        for n in [10, 17, 20 + raw.len() - 1] {
            assert!(decompress(&framed[..n], 1000).is_err(), "prefix {n}");
        }
        // A negative block length is an error.
        let mut neg = framed.clone();
        neg[16] = 0x80;
        assert!(decompress(&neg, 1000).is_err());
    }

    #[test]
    fn writes_the_xerial_framing() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut out = BytesMut::new();
        compress(&data, &mut out).unwrap();
        assert_eq!(&out[..8], &XERIAL_MAGIC);
        assert_eq!(&out[8..16], &[0, 0, 0, 1, 0, 0, 0, 1]);
        // Blocks of 32 KiB: 4 of them for 100,000 bytes.
        let blocks: Vec<_> = xerial_blocks(&out[8..]).collect::<Result<_, _>>().unwrap();
        assert_eq!(blocks.len(), 4);
        assert_eq!(decompress(&out, data.len()).unwrap(), data);
        // And raw Snappy of the same data reads too.
        let raw = Encoder::new().compress_vec(&data).unwrap();
        assert_eq!(decompress(&raw, data.len()).unwrap(), data);
    }
}
