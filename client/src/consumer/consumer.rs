//! The application's handle on a consumer.

/// A Kafka consumer (being built).
#[derive(Debug)]
pub struct Consumer {}
