//! Zstandard, through the pure-Rust `ruzstd`.
//!
//! Encoding uses ruzstd's fastest level (about zstd's level 1; the only compressing level ruzstd
//! implements) and writes one frame with a content checksum. Decoding reads any number of frames
//! back to back, skips skippable frames, verifies content checksums when present, and caps the
//! window the decoder may allocate at the caller's size limit.

use bytes::{BufMut, BytesMut};
use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{FrameDecoder, StreamingDecoder};
use ruzstd::encoding::{compress as zstd_compress, CompressionLevel};

use super::{failed, read_limited, size_hint, too_large};
use crate::error::{DecodeResult, EncodeResult};

const NAME: &str = "zstd";

/// The largest window ruzstd accepts by default (100 MB); frames declaring more are refused.
const MAX_WINDOW: u64 = 100 * 1000 * 1000;
/// Windows up to this size are accepted even under a smaller output limit: zstd-jni's streaming
/// encoder (the Java client) declares windows of 2–8 MiB whatever the input size.
const ALWAYS_ALLOWED_WINDOW: u64 = 8 << 20;

/// Appends `input` to `out` as one zstd frame.
pub(super) fn compress(input: &[u8], out: &mut BytesMut) -> EncodeResult<()> {
    out.reserve(input.len() / 2 + 64);
    zstd_compress(input, out.writer(), CompressionLevel::Fastest);
    Ok(())
}

/// Decompresses zstd frames, producing at most `limit` bytes.
pub(super) fn decompress(input: &[u8], limit: usize) -> DecodeResult<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = input;
    let mut decoder = FrameDecoder::new();
    // The decoder reserves the window a frame declares up front: bound it by the limit (or by
    // the window sizes real encoders use, if the limit is smaller than those).
    decoder.set_max_window_size(MAX_WINDOW.min((limit as u64).max(ALWAYS_ALLOWED_WINDOW)));
    let hint = size_hint(input.len());
    if rest.is_empty() {
        return Err(failed(NAME, "empty input"));
    }
    while !rest.is_empty() {
        let mut frame = match StreamingDecoder::new_with_decoder(&mut rest, &mut decoder) {
            Ok(f) => f,
            Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame { length, .. })) => {
                rest = rest.get(length as usize..).ok_or_else(|| failed(NAME, "skippable frame truncated"))?;
                continue;
            }
            Err(FrameDecoderError::WindowSizeTooBig { requested, .. }) if requested > limit as u64 => {
                return Err(too_large(limit));
            }
            Err(e) => return Err(failed(NAME, e)),
        };
        read_limited(NAME, &mut frame, &mut out, limit, hint)?;
        let dec = frame.into_frame_decoder();
        if !dec.is_finished() {
            return Err(failed(NAME, "frame truncated"));
        }
        if let (Some(stored), Some(computed)) = (dec.get_checksum_from_data(), dec.get_calculated_checksum()) {
            if stored != computed {
                return Err(failed(
                    NAME,
                    format_args!("content checksum {stored:#010x} does not match {computed:#010x}"),
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zstd frame of "hello kafka" built by hand: magic, frame header descriptor 0x20 (single
    /// segment, 1-byte content size), content size 11, one last raw block of 11 bytes.
    const HAND: &[u8] = &[
        0x28, 0xb5, 0x2f, 0xfd, // magic
        0x20, // FHD: single segment, no checksum, FCS field 1 byte
        0x0b, // content size 11
        0x59, 0x00, 0x00, // block header: last=1, raw (0), size 11 → (11<<3)|1 = 0x59
        b'h', b'e', b'l', b'l', b'o', b' ', b'k', b'a', b'f', b'k', b'a',
    ];

    #[test]
    fn frame_built_by_hand() {
        assert_eq!(decompress(HAND, 100).unwrap(), b"hello kafka");
        // Two frames, with a skippable frame between them.
        let mut two = HAND.to_vec();
        two.extend_from_slice(&[0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
        two.extend_from_slice(HAND);
        assert_eq!(decompress(&two, 100).unwrap(), b"hello kafkahello kafka");
        assert!(decompress(&two, 21).is_err());
        // Truncated: an error at every length.
        for n in 0..HAND.len() {
            assert!(decompress(&HAND[..n], 100).is_err(), "prefix {n}");
        }
    }

    #[test]
    fn content_checksum_is_verified() {
        let data = b"some data that will get a content checksum".repeat(10);
        let mut out = BytesMut::new();
        compress(&data, &mut out).unwrap();
        assert_eq!(decompress(&out, data.len()).unwrap(), data);
        let n = out.len();
        out[n - 1] ^= 0xff;
        assert!(decompress(&out, data.len()).is_err());
    }

    #[test]
    fn a_huge_window_is_refused_up_front() {
        // Window descriptor exponent 27 (128 MiB window), not single segment, no content size.
        let frame = [0x28, 0xb5, 0x2f, 0xfd, 0x00, (27 - 10) << 3, 0x01, 0x00, 0x00];
        let err = decompress(&frame, 1 << 20).unwrap_err();
        assert!(matches!(err.kind(), crate::DecodeErrorKind::DecompressedTooLarge { .. }), "{err}");
    }
}
