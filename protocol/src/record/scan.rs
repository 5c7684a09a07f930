//! A header-only scan of a fetched records blob: where the whole batches end and the offset
//! after the last of them, without checking CRCs, decompressing or decoding a record.
//!
//! A consumer that fetches ahead uses it to know where to fetch next as soon as a response
//! arrives, leaving the real decoding ([`Batches`](super::Batches)) to whoever reads the
//! records.

use super::batch::{LOG_OVERHEAD, MAGIC_OFFSET, MAGIC_V2, MIN_BATCH_LENGTH};
use super::legacy::{MAGIC_V1, MIN_MESSAGE_SIZE_V0, MIN_MESSAGE_SIZE_V1};

/// The byte offset of `lastOffsetDelta` in a v2 batch.
const LAST_OFFSET_DELTA_OFFSET: usize = 23;

/// What [`scan_batches`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchScan {
    /// How many whole batches (v2 batches or top-level legacy messages) the blob starts with.
    pub batches: usize,
    /// The bytes those whole batches take; anything after them is a batch the broker cut short
    /// (normal at the end of a fetch) or, if [`BatchScan::invalid`], bytes no batch can start
    /// with.
    pub whole_bytes: usize,
    /// The offset after the last whole batch (for a v2 batch `baseOffset + lastOffsetDelta +
    /// 1`, for a legacy message — a compressed wrapper carries the offset of its last inner
    /// message — its offset + 1); `None` if there is no whole batch.
    pub next_offset: Option<i64>,
    /// Whether the scan stopped at a batch whose length or magic no batch can have (the same
    /// checks [`Batches`](super::Batches) makes before it fails): decoding will report it.
    pub invalid: bool,
}

/// Scans the batch headers of `blob` (a Fetch response partition's `records`): reads each
/// batch's offset, length and magic — and a v2 batch's last offset delta — and nothing else.
/// No CRC is checked and nothing is decompressed, so a batch counted here may still fail to
/// decode. Never panics, allocates nothing.
///
/// ```
/// use kafkit_protocol::record::{scan_batches, RecordBatchBuilder};
///
/// let mut b = RecordBatchBuilder::new(40);
/// b.append(1, None, Some(b"a"), &[]).unwrap();
/// b.append(2, None, Some(b"b"), &[]).unwrap();
/// let batch = b.finish().unwrap();
/// // One whole batch and the start of another, as a broker cuts a response.
/// let blob = [&batch[..], &batch[..30]].concat();
/// let scan = scan_batches(&blob);
/// assert_eq!((scan.batches, scan.whole_bytes, scan.next_offset), (1, batch.len(), Some(42)));
/// assert!(!scan.invalid);
/// ```
pub fn scan_batches(blob: &[u8]) -> BatchScan {
    let mut scan = BatchScan::default();
    let mut pos = 0usize;
    loop {
        let rest = blob.get(pos..).unwrap_or_default();
        let Some((head, _)) = rest.split_first_chunk::<LOG_OVERHEAD>() else {
            return scan;
        };
        let offset = i64::from_be_bytes([head[0], head[1], head[2], head[3], head[4], head[5], head[6], head[7]]);
        let size = i32::from_be_bytes([head[8], head[9], head[10], head[11]]);
        let magic = rest.get(MAGIC_OFFSET).map(|&m| m as i8);
        let min_size = match magic {
            Some(MAGIC_V2) => MIN_BATCH_LENGTH,
            Some(MAGIC_V1) => MIN_MESSAGE_SIZE_V1 as i32,
            _ => MIN_MESSAGE_SIZE_V0 as i32,
        };
        if size < min_size {
            scan.invalid = true;
            return scan;
        }
        let total = LOG_OVERHEAD + size as usize;
        if rest.len() < total {
            return scan;
        }
        let next = match magic {
            Some(MAGIC_V2) => {
                let d = &rest[LAST_OFFSET_DELTA_OFFSET..LAST_OFFSET_DELTA_OFFSET + 4];
                offset.wrapping_add(i64::from(i32::from_be_bytes([d[0], d[1], d[2], d[3]]))).wrapping_add(1)
            }
            Some(0 | 1) => offset.wrapping_add(1),
            _ => {
                scan.invalid = true;
                return scan;
            }
        };
        pos += total;
        scan.batches += 1;
        scan.whole_bytes = pos;
        scan.next_offset = Some(next);
    }
}

#[cfg(test)]
mod tests {
    use bytes::{Bytes, BytesMut};

    use super::*;
    use crate::record::{
        Batch, Batches, Compression, ControlRecord, LegacyMessageSetBuilder, RecordBatchBuilder, MAGIC_V0,
    };

    /// Batches of every format back to back, with the end of each.
    fn mixed_blob() -> (Bytes, Vec<usize>) {
        let mut blob = BytesMut::new();
        let mut ends = Vec::new();
        let mut v0 = LegacyMessageSetBuilder::new(MAGIC_V0, Compression::None).unwrap();
        v0.append(0, -1, None, Some(b"v0")).unwrap();
        blob.extend_from_slice(&v0.finish().unwrap());
        ends.push(blob.len());
        let mut v1 = LegacyMessageSetBuilder::new(MAGIC_V1, Compression::Gzip).unwrap();
        v1.append(1, 11, None, Some(b"v1")).unwrap();
        v1.append(2, 12, None, Some(b"v2")).unwrap();
        blob.extend_from_slice(&v1.finish().unwrap());
        ends.push(blob.len());
        let mut b = RecordBatchBuilder::new(3).with_compression(Compression::Lz4);
        for i in 0..5 {
            b.append(13 + i, None, Some(b"v"), &[]).unwrap();
        }
        blob.extend_from_slice(&b.finish().unwrap());
        ends.push(blob.len());
        blob.extend_from_slice(&ControlRecord::commit(0).to_batch(8, 1, 0, 16, 0).unwrap());
        ends.push(blob.len());
        let mut b = RecordBatchBuilder::new(9);
        b.append(17, None, Some(b"v9"), &[]).unwrap();
        blob.extend_from_slice(&b.finish().unwrap());
        ends.push(blob.len());
        (blob.freeze(), ends)
    }

    #[test]
    fn agrees_with_the_full_decoder_on_every_prefix() {
        let (blob, ends) = mixed_blob();
        for n in 0..=blob.len() {
            let prefix = blob.slice(..n);
            let scan = scan_batches(&prefix);
            let mut batches = Batches::new(prefix.clone());
            let decoded: Vec<Batch> = (&mut batches).map(|b| b.unwrap()).collect();
            assert_eq!(scan.batches, decoded.len(), "prefix {n}");
            assert_eq!(scan.whole_bytes, batches.position(), "prefix {n}");
            assert_eq!(scan.next_offset, decoded.last().map(Batch::next_offset), "prefix {n}");
            assert!(!scan.invalid, "prefix {n}");
            let whole = ends.iter().filter(|&&e| e <= n).count();
            assert_eq!(scan.batches, whole, "prefix {n}");
        }
        let scan = scan_batches(&blob);
        assert_eq!(scan.next_offset, Some(10));
    }

    #[test]
    fn ignores_crcs_and_compressed_contents() {
        let (blob, ends) = mixed_blob();
        let mut bad = blob.to_vec();
        bad[ends[2] - 2] ^= 0xff; // inside the lz4 batch's compressed records
        let scan = scan_batches(&bad);
        assert_eq!((scan.batches, scan.next_offset, scan.invalid), (5, Some(10), false));
        assert!(Batches::new(Bytes::from(bad)).any(|b| b.is_err()), "the decoder does see it");
    }

    #[test]
    fn impossible_lengths_and_magics_stop_the_scan_as_invalid() {
        let (blob, ends) = mixed_blob();
        // The fourth batch's length made too small for a v2 batch.
        let mut bad = blob.to_vec();
        bad[ends[2] + 8..ends[2] + 12].copy_from_slice(&20i32.to_be_bytes());
        let scan = scan_batches(&bad);
        assert_eq!((scan.batches, scan.whole_bytes, scan.next_offset), (3, ends[2], Some(8)));
        assert!(scan.invalid);
        // A negative length.
        let mut bad = blob.to_vec();
        bad[8..12].copy_from_slice(&(-1i32).to_be_bytes());
        let scan = scan_batches(&bad);
        assert_eq!((scan.batches, scan.next_offset, scan.invalid), (0, None, true));
        // An unknown magic.
        let mut bad = blob.to_vec();
        bad[ends[3] + MAGIC_OFFSET] = 7;
        let scan = scan_batches(&bad);
        assert_eq!((scan.batches, scan.next_offset, scan.invalid), (4, Some(9), true));
        assert!(Batches::new(Bytes::from(bad)).any(|b| b.is_err()));
    }

    #[test]
    fn huge_lengths_are_a_cut_batch_and_garbage_never_panics() {
        let mut blob = vec![0u8; 8];
        blob.extend_from_slice(&i32::MAX.to_be_bytes());
        blob.extend_from_slice(&[0, 0, 0, 0, 2, 1, 2]);
        assert_eq!(scan_batches(&blob), BatchScan::default());
        assert_eq!(scan_batches(&[]), BatchScan::default());
        let mut seed = 0x1234_5678_u64;
        for len in 0..400 {
            let garbage: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    (seed >> 56) as u8
                })
                .collect();
            let scan = scan_batches(&garbage);
            assert!(scan.whole_bytes <= garbage.len());
        }
    }
}
