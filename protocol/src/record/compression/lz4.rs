//! LZ4, in the LZ4 frame format (magic `04 22 4D 18`), as Kafka's `KafkaLZ4BlockOutputStream`
//! writes it: independent 64 KiB blocks, no block or content checksums, no content size.
//!
//! Kafka before 0.10 (and so every magic 0 message) computed the frame header checksum over the
//! magic number as well as the frame descriptor (KAFKA-3160). The Java client ignores that byte
//! for magic 0; kafkit does the same by replacing it with the correct checksum before decoding
//! (only the header bytes are copied, not the data).

use std::io::Read;

use bytes::{BufMut, BytesMut};
use lz4_flex::frame::{BlockMode, BlockSize, FrameDecoder, FrameEncoder, FrameInfo};

use super::{encode_failed, failed, read_limited, size_hint};
use crate::error::{DecodeResult, EncodeResult};

const NAME: &str = "lz4";

const FRAME_MAGIC: [u8; 4] = [0x04, 0x22, 0x4d, 0x18];
const FLG_CONTENT_SIZE: u8 = 0x08;
const FLG_DICTIONARY_ID: u8 = 0x01;

/// Appends `input` to `out` as one LZ4 frame.
pub(super) fn compress(input: &[u8], out: &mut BytesMut) -> EncodeResult<()> {
    let info = FrameInfo::new()
        .block_size(BlockSize::Max64KB)
        .block_mode(BlockMode::Independent)
        .block_checksums(false)
        .content_checksum(false);
    out.reserve(input.len() / 2 + 64);
    let mut enc = FrameEncoder::with_frame_info(info, out.writer());
    std::io::Write::write_all(&mut enc, input).map_err(|e| encode_failed(NAME, e))?;
    enc.finish().map_err(|e| encode_failed(NAME, e))?;
    Ok(())
}

/// Decompresses an LZ4 frame (or several back to back), producing at most `limit` bytes. With
/// `ignore_header_checksum`, the frame header checksum is not checked (magic 0, KAFKA-3160).
pub(super) fn decompress(input: &[u8], limit: usize, ignore_header_checksum: bool) -> DecodeResult<Vec<u8>> {
    let mut out = Vec::new();
    let hint = size_hint(input.len());
    match repaired_header(input).filter(|_| ignore_header_checksum) {
        Some((header, len)) => {
            let rest = input.get(len..).unwrap_or_default();
            let src = (&header[..len]).chain(rest);
            read_limited(NAME, FrameDecoder::new(src), &mut out, limit, hint)?;
        }
        None => read_limited(NAME, FrameDecoder::new(input), &mut out, limit, hint)?,
    }
    if out.is_empty() && !input.is_empty() && !input.starts_with(&FRAME_MAGIC) {
        // lz4_flex reads a stream too short for a frame header as empty; say what it is.
        return Err(failed(NAME, "not an LZ4 frame"));
    }
    Ok(out)
}

/// The frame header of `input` with its checksum byte recomputed, and the header's length; `None`
/// if `input` does not start with a complete LZ4 frame header.
fn repaired_header(input: &[u8]) -> Option<([u8; 19], usize)> {
    let descriptor = input.strip_prefix(&FRAME_MAGIC[..])?;
    let flg = *descriptor.first()?;
    let mut descriptor_len = 2;
    if flg & FLG_CONTENT_SIZE != 0 {
        descriptor_len += 8;
    }
    if flg & FLG_DICTIONARY_ID != 0 {
        descriptor_len += 4;
    }
    let descriptor = descriptor.get(..descriptor_len)?;
    let len = 4 + descriptor_len + 1;
    let mut header = [0u8; 19];
    header.get_mut(..len - 1)?.copy_from_slice(input.get(..len - 1)?);
    *header.get_mut(len - 1)? = header_checksum(descriptor);
    Some((header, len))
}

/// The LZ4 frame header checksum: the second byte of xxHash32 (seed 0) of the descriptor.
fn header_checksum(descriptor: &[u8]) -> u8 {
    (twox_hash::XxHash32::oneshot(0, descriptor) >> 8) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An LZ4 frame of "hello kafka" built by hand: magic, FLG 0x60 (version 01, independent
    /// blocks), BD 0x40 (64 KiB), header checksum, one uncompressed block (high bit of the size
    /// set), end mark.
    fn hand_frame(checksum: u8) -> Vec<u8> {
        let mut f = vec![0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, checksum];
        f.extend_from_slice(&(11u32 | 0x8000_0000).to_le_bytes());
        f.extend_from_slice(b"hello kafka");
        f.extend_from_slice(&[0, 0, 0, 0]);
        f
    }

    #[test]
    fn frame_built_by_hand() {
        let good = header_checksum(&[0x60, 0x40]);
        // The well-known checksum byte of the descriptor 60 40 (what lz4 and Java write).
        assert_eq!(good, 0x82);
        assert_eq!(decompress(&hand_frame(good), 100, false).unwrap(), b"hello kafka");
        // A wrong checksum is an error, unless ignored.
        assert!(decompress(&hand_frame(good ^ 1), 100, false).is_err());
        assert_eq!(decompress(&hand_frame(good ^ 1), 100, true).unwrap(), b"hello kafka");
    }

    #[test]
    fn kafka_3160_broken_checksum_of_magic_0() {
        // Kafka 0.8/0.9 hashed the magic number too.
        let broken = (twox_hash::XxHash32::oneshot(0, &[0x04, 0x22, 0x4d, 0x18, 0x60, 0x40]) >> 8) as u8;
        assert_ne!(broken, header_checksum(&[0x60, 0x40]));
        let frame = hand_frame(broken);
        assert!(decompress(&frame, 100, false).is_err());
        assert_eq!(decompress(&frame, 100, true).unwrap(), b"hello kafka");
    }

    #[test]
    fn writes_the_frame_format_kafka_reads() {
        let data = vec![7u8; 200_000];
        let mut out = BytesMut::new();
        compress(&data, &mut out).unwrap();
        assert_eq!(&out[..4], &FRAME_MAGIC);
        // FLG: version 01, independent blocks, nothing else; BD: 64 KiB.
        assert_eq!(out[4], 0x60);
        assert_eq!(out[5], 0x40);
        assert_eq!(out[6], header_checksum(&[0x60, 0x40]));
        assert_eq!(decompress(&out, data.len(), false).unwrap(), data);
    }

    #[test]
    fn not_a_frame() {
        assert!(decompress(b"hello", 100, false).is_err());
        assert!(decompress(b"hello", 100, true).is_err());
    }
}
