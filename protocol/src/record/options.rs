//! What a decoder checks and how much it may allocate.

use super::compression::DEFAULT_MAX_DECOMPRESSED_SIZE;

/// Options of record batch decoding.
///
/// ```
/// use kafkit_protocol::record::DecodeOptions;
///
/// let opts = DecodeOptions::default().with_max_decompressed_size(64 << 20);
/// assert!(opts.verify_crc);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Whether to check each batch's CRC (CRC-32C for v2, CRC-32 for legacy messages).
    /// Default `true`; turning it off (as Java's `check.crcs=false`) saves about 40 µs per MiB.
    pub verify_crc: bool,
    /// The largest size one compressed batch may decompress to; past it decoding fails with
    /// [`crate::DecodeErrorKind::DecompressedTooLarge`]. Default
    /// [`DEFAULT_MAX_DECOMPRESSED_SIZE`] (256 MiB).
    pub max_decompressed_size: usize,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self { verify_crc: true, max_decompressed_size: DEFAULT_MAX_DECOMPRESSED_SIZE }
    }
}

impl DecodeOptions {
    /// These options with CRC checking on or off.
    #[must_use]
    pub fn with_verify_crc(mut self, verify: bool) -> Self {
        self.verify_crc = verify;
        self
    }

    /// These options with another decompressed size limit.
    #[must_use]
    pub fn with_max_decompressed_size(mut self, limit: usize) -> Self {
        self.max_decompressed_size = limit;
        self
    }
}
