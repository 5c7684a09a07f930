//! kafkit: a Kafka client in pure Rust (being built).
pub use kafkit_protocol as protocol;
