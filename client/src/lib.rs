//! # kafkit-client
//!
//! kafkit's connections, cluster metadata, producer and consumer, built on
//! [`kafkit_protocol`]. This crate is being built; today it only re-exports the protocol crate
//! it stands on.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub use kafkit_protocol as protocol;
