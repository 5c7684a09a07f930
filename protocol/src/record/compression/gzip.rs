//! gzip, through `flate2`'s pure-Rust backend.

use std::io::Write;

use bytes::{BufMut, BytesMut};
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

use super::{encode_failed, read_limited, size_hint};
use crate::error::{DecodeResult, EncodeResult};

const NAME: &str = "gzip";

/// Appends `input` as one gzip member to `out`, at `level` (0–9; `None` or a negative level, as
/// Kafka's `compression.gzip.level=-1`, is zlib's default, 6).
pub(super) fn compress(input: &[u8], level: Option<i32>, out: &mut BytesMut) -> EncodeResult<()> {
    let level = match level {
        Some(l) if l >= 0 => flate2::Compression::new(l.min(9) as u32),
        _ => flate2::Compression::default(),
    };
    // Deflate rarely grows data by more than a few bytes per 16 KiB block.
    out.reserve(input.len() / 2 + 64);
    let mut enc = GzEncoder::new(out.writer(), level);
    enc.write_all(input).map_err(|e| encode_failed(NAME, e))?;
    enc.finish().map_err(|e| encode_failed(NAME, e))?;
    Ok(())
}

/// Decompresses one or more concatenated gzip members (as `java.util.zip.GZIPInputStream`
/// accepts), producing at most `limit` bytes.
pub(super) fn decompress(input: &[u8], limit: usize) -> DecodeResult<Vec<u8>> {
    let mut out = Vec::new();
    read_limited(NAME, MultiGzDecoder::new(input), &mut out, limit, size_hint(input.len()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_gzip_stream_written_by_another_encoder() {
        // `printf 'hello kafka' | gzip -n -9` (mtime 0, no name).
        let gz: &[u8] = &[
            0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0xc8, 0x4e,
            0x4c, 0xcb, 0x4e, 0x04, 0x00, 0xd1, 0x75, 0x81, 0x6c, 0x0b, 0x00, 0x00, 0x00,
        ];
        assert_eq!(decompress(gz, 100).unwrap(), b"hello kafka");
        // Two members back to back read as their concatenation.
        let two = [gz, gz].concat();
        assert_eq!(decompress(&two, 100).unwrap(), b"hello kafkahello kafka");
        // A corrupted trailer CRC is an error.
        let mut bad = gz.to_vec();
        let n = bad.len();
        bad[n - 6] ^= 1;
        assert!(decompress(&bad, 100).is_err());
    }

    #[test]
    fn levels() {
        let data = b"level headed level headed level headed".repeat(100);
        let size = |level| {
            let mut out = BytesMut::new();
            compress(&data, level, &mut out).unwrap();
            assert_eq!(decompress(&out, data.len()).unwrap(), data);
            out.len()
        };
        assert_eq!(size(Some(-1)), size(None));
        assert_eq!(size(Some(6)), size(None));
        assert_eq!(size(Some(42)), size(Some(9)));
        assert!(size(Some(0)) > data.len());
    }

    #[test]
    fn a_bomb_stops_at_the_limit() {
        let zeros = vec![0u8; 4 << 20];
        let mut out = BytesMut::new();
        compress(&zeros, Some(9), &mut out).unwrap();
        assert!(out.len() < 10_000);
        assert!(decompress(&out, 1 << 20).is_err());
    }
}
