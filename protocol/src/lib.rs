//! # kafkit-protocol
//!
//! The Kafka wire protocol in pure Rust, with no I/O: what a client (or a broker, or a mock
//! cluster) needs to turn requests and responses into bytes and back.
//!
//! - [`codec`]: primitives — fixed-width integers, varints, strings, arrays, UUIDs, tagged
//!   fields — read through a bounds-checked, zero-copy [`codec::Reader`].
//! - [`messages`]: every request and response kafkit speaks, each declared once with the versions
//!   its fields exist in, from which encode, decode and size follow ([`messages::Message`]).
//! - [`header`]: request and response headers and the rule that picks their versions.
//! - [`record`]: record batches (magic 2) with CRC-32C and every codec, and legacy message sets.
//! - [`ErrorCode`]: the full table of Kafka error codes with their retriability.
//! - [`versions`]: choosing the version of each API from a broker's ApiVersions response.
//! - [`consumer_protocol`]: the subscription and assignment that group members exchange.
//!
//! Decoders never panic on bad input and never allocate from a length field before the bytes it
//! announces are present: they return a [`DecodeError`] that says what was being decoded, where,
//! and what was wrong.
//!
//! ```
//! use bytes::BytesMut;
//! use kafkit_protocol::messages::{metadata_request::MetadataRequestTopic, Message, MetadataRequest};
//!
//! let req = MetadataRequest {
//!     topics: Some(vec![MetadataRequestTopic { name: Some("quotes".into()), ..Default::default() }]),
//!     ..Default::default()
//! };
//! let mut buf = BytesMut::new();
//! req.encode(&mut buf, 12).unwrap();
//! assert_eq!(buf.len(), req.encoded_size(12));
//! let back = MetadataRequest::from_bytes(buf.freeze(), 12).unwrap();
//! assert_eq!(back, req);
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

#[macro_use]
mod macros;

mod api_key;
pub mod codec;
pub mod consumer_protocol;
mod error;
mod error_code;
pub mod header;
pub mod messages;
pub mod record;
pub mod versions;

pub use api_key::ApiKey;
pub use error::{DecodeError, DecodeErrorKind, DecodeResult, EncodeError, EncodeResult};
pub use error_code::ErrorCode;
