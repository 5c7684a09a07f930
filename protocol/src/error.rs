//! Errors of encoding and decoding.
//!
//! A [`DecodeError`] says what went wrong ([`DecodeErrorKind`]), at which byte offset of the
//! input, and what was being decoded (a path such as `FetchResponse.responses.partitions.records`
//! or `record batch at offset 42 of partition 3`), so that a malformed or hostile broker response
//! can be reported precisely instead of panicking.

use std::borrow::Cow;
use std::fmt;

/// What went wrong while decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ended before the value did.
    Truncated {
        /// Bytes the value needed.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// A length or count field is negative (where null is not allowed) or larger than the
    /// bytes that follow it.
    InvalidLength {
        /// The length the input claimed.
        length: i64,
        /// Bytes that were left.
        remaining: usize,
    },
    /// A null where this version of the message does not allow one.
    UnexpectedNull,
    /// A string that is not valid UTF-8.
    InvalidUtf8,
    /// A variable-length integer longer than its type allows.
    VarintOverflow,
    /// A record batch whose CRC-32C does not match its contents.
    CrcMismatch {
        /// The checksum stored in the batch.
        stored: u32,
        /// The checksum of the bytes as received.
        computed: u32,
    },
    /// A record batch or message with a magic byte this crate does not know.
    UnknownMagic(i8),
    /// A compression codec id this crate does not know.
    UnknownCompression(u8),
    /// Compressed data that could not be decompressed.
    Decompression {
        /// The codec name (`gzip`, `snappy`, `lz4`, `zstd`).
        codec: &'static str,
        /// What the decompressor reported.
        reason: String,
    },
    /// Decompressed data larger than the limit the caller set.
    DecompressedTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A version of a message this crate does not implement.
    UnsupportedVersion {
        /// The message name.
        message: &'static str,
        /// The version asked for.
        version: i16,
    },
    /// Bytes were left over after a value that should have consumed its whole frame.
    TrailingBytes(usize),
    /// Any other inconsistency, described.
    Invalid(Cow<'static, str>),
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { needed, remaining } => {
                write!(f, "input truncated: needed {needed} bytes, {remaining} remain")
            }
            Self::InvalidLength { length, remaining } => {
                write!(f, "invalid length {length} ({remaining} bytes remain)")
            }
            Self::UnexpectedNull => f.write_str("null where this version does not allow one"),
            Self::InvalidUtf8 => f.write_str("string is not valid UTF-8"),
            Self::VarintOverflow => f.write_str("variable-length integer too long"),
            Self::CrcMismatch { stored, computed } => {
                write!(f, "CRC mismatch: batch says {stored:#010x}, contents give {computed:#010x} (corrupt data)")
            }
            Self::UnknownMagic(m) => write!(f, "unknown record format (magic byte {m})"),
            Self::UnknownCompression(c) => write!(f, "unknown compression codec id {c}"),
            Self::Decompression { codec, reason } => write!(f, "{codec} decompression failed: {reason}"),
            Self::DecompressedTooLarge { limit } => {
                write!(f, "decompressed data exceeds the limit of {limit} bytes")
            }
            Self::UnsupportedVersion { message, version } => {
                write!(f, "{message} version {version} is not supported by kafkit")
            }
            Self::TrailingBytes(n) => write!(f, "{n} unexpected bytes after the end of the value"),
            Self::Invalid(s) => f.write_str(s),
        }
    }
}

/// A decoding failure: what, where, and while decoding what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    kind: DecodeErrorKind,
    offset: usize,
    /// Innermost first.
    context: Vec<Cow<'static, str>>,
}

impl DecodeError {
    /// An error of `kind` at byte `offset` of the input being decoded.
    pub fn new(kind: DecodeErrorKind, offset: usize) -> Self {
        Self { kind, offset, context: Vec::new() }
    }

    /// Adds what was being decoded (outer layers call this as the error travels up).
    #[must_use]
    pub fn context(mut self, what: impl Into<Cow<'static, str>>) -> Self {
        self.context.push(what.into());
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &DecodeErrorKind {
        &self.kind
    }

    /// The byte offset in the innermost input at which the error was found.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What was being decoded, outermost first (e.g. `["FetchResponse", "responses", ...]`).
    pub fn path(&self) -> impl Iterator<Item = &str> {
        self.context.iter().rev().map(|c| c.as_ref())
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.context.is_empty() {
            write!(f, "decoding failed at byte {}: {}", self.offset, self.kind)
        } else {
            let path: Vec<&str> = self.path().collect();
            write!(f, "decoding {} failed at byte {}: {}", path.join(" > "), self.offset, self.kind)
        }
    }
}

impl std::error::Error for DecodeError {}

/// An encoding failure: the value cannot be written at the version asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A field is `None` in a version where it may not be null.
    #[error("{field} is null, but version {version} of the message does not allow null there")]
    NullNotAllowed {
        /// The field, as `Message.field`.
        field: &'static str,
        /// The version being encoded.
        version: i16,
    },
    /// A string, byte array or array longer than its length field can say.
    #[error("{what} has length {length}, more than the protocol allows ({max})")]
    TooLong {
        /// What was too long.
        what: &'static str,
        /// Its length.
        length: usize,
        /// The largest length the encoding allows.
        max: usize,
    },
    /// The message does not exist at this version.
    #[error("{message} version {version} is not supported by kafkit (it implements {min}..={max})")]
    UnsupportedVersion {
        /// The message name.
        message: &'static str,
        /// The version asked for.
        version: i16,
        /// Lowest implemented version.
        min: i16,
        /// Highest implemented version.
        max: i16,
    },
    /// Compression failed.
    #[error("{codec} compression failed: {reason}")]
    Compression {
        /// The codec name.
        codec: &'static str,
        /// What the compressor reported.
        reason: String,
    },
    /// Anything else that makes the value impossible to encode, described.
    #[error("{0}")]
    Invalid(Cow<'static, str>),
}

/// Shorthand for results of decoding.
pub type DecodeResult<T> = Result<T, DecodeError>;
/// Shorthand for results of encoding.
pub type EncodeResult<T> = Result<T, EncodeError>;
