#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![forbid(unsafe_code)]

/// The Kafka wire protocol: messages, headers, record batches, codecs, error codes.
pub use kafkit_protocol as protocol;

/// Connections, the producer and the consumer (being built).
pub use kafkit_client as client;
