use std::fmt::Debug;

use bytes::{BufMut, Bytes, BytesMut};

use crate::codec::Reader;
use crate::error::{DecodeErrorKind, DecodeResult, EncodeError, EncodeResult};
use crate::ApiKey;

/// A top-level request or response body.
///
/// The same value represents the message at every version; [`Message::encode`] writes the fields
/// that exist in the version asked for, and [`Message::decode`] leaves the others at their
/// defaults, as Kafka's own generated classes do.
pub trait Message: Sized + Clone + Debug + Default + PartialEq + Send + Sync + 'static {
    /// The message name, e.g. `"ProduceRequest"`.
    const NAME: &'static str;
    /// The API this message belongs to.
    const API_KEY: ApiKey;
    /// The lowest version kafkit implements.
    const MIN_VERSION: i16;
    /// The highest version kafkit implements.
    const MAX_VERSION: i16;
    /// The first flexible version (compact encodings, tagged fields); `i16::MAX` if none.
    const FLEXIBLE_FROM: i16;

    /// Writes the body at `version` without checking that the version is implemented.
    fn encode_body<B: BufMut>(&self, buf: &mut B, version: i16) -> EncodeResult<()>;

    /// The size [`Message::encode_body`] writes.
    fn body_size(&self, version: i16) -> usize;

    /// Reads a body at `version` without checking that the version is implemented.
    fn decode_body(r: &mut Reader, version: i16) -> DecodeResult<Self>;

    /// Whether `version` is a flexible version of this message.
    fn is_flexible(version: i16) -> bool {
        version >= Self::FLEXIBLE_FROM
    }

    /// Whether kafkit implements `version` of this message.
    fn supports(version: i16) -> bool {
        (Self::MIN_VERSION..=Self::MAX_VERSION).contains(&version)
    }

    /// Writes the body at `version`.
    fn encode<B: BufMut>(&self, buf: &mut B, version: i16) -> EncodeResult<()> {
        if !Self::supports(version) {
            return Err(EncodeError::UnsupportedVersion {
                message: Self::NAME,
                version,
                min: Self::MIN_VERSION,
                max: Self::MAX_VERSION,
            });
        }
        self.encode_body(buf, version)
    }

    /// The number of bytes [`Message::encode`] writes at `version`.
    fn encoded_size(&self, version: i16) -> usize {
        self.body_size(version)
    }

    /// Encodes into a new buffer of exactly the right size.
    fn to_bytes(&self, version: i16) -> EncodeResult<Bytes> {
        let mut buf = BytesMut::with_capacity(self.encoded_size(version));
        self.encode(&mut buf, version)?;
        Ok(buf.freeze())
    }

    /// Reads a body at `version` from `r`, leaving any bytes after it unread.
    fn decode(r: &mut Reader, version: i16) -> DecodeResult<Self> {
        if !Self::supports(version) {
            return Err(r.error(DecodeErrorKind::UnsupportedVersion { message: Self::NAME, version }));
        }
        Self::decode_body(r, version).map_err(|e| e.context(format!("{} v{version}", Self::NAME)))
    }

    /// Reads a body at `version` that must fill `bytes` exactly.
    fn from_bytes(bytes: Bytes, version: i16) -> DecodeResult<Self> {
        let mut r = Reader::new(bytes);
        let msg = Self::decode(&mut r, version)?;
        r.finish().map_err(|e| e.context(format!("{} v{version}", Self::NAME)))?;
        Ok(msg)
    }
}

/// A request, tied to the response it gets.
pub trait Request: Message {
    /// The response type.
    type Response: Message;
}
