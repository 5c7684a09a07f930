//! The reference usage's producer, in Rust: ten stock quotes as JSON (with the reference's
//! Chinese field names), sent asynchronously with a callback for success and one for failure,
//! then flushed, then the producer closed.
//!
//! The settings are the reference's: `acks=1`, `retries=3`, `batch_size` 1 MiB, `linger_ms`
//! 100, the default 32 MiB `buffer_memory`, no compression; below once with the builder and
//! once by the Java property names (what a `.properties` file or kcat's `-X` would say).
//!
//! ```sh
//! cargo run --example producer                              # against an in-process mock cluster
//! KAFKA_BROKERS=localhost:9092 cargo run --example producer # against a real broker
//! ```
//!
//! Against a real broker it creates the topic `TESTTOPIC` (3 partitions) if it does not exist;
//! `consumer_poll` and `consumer_stream` then read the quotes back.

mod common;

use std::time::Duration;

use kafkit::client::producer::{Acks, Producer, ProducerConfig, ProducerRecord, RecordMetadata};
use kafkit::client::protocol::record::Compression;
use kafkit::client::serializer::Json;
use kafkit::client::Error;

use common::{BoxError, Kafka};

const TOPIC: &str = "TESTTOPIC";

/// Runs once the broker has acknowledged the record (not when it is merely buffered).
fn on_send_success(metadata: &RecordMetadata) {
    println!("sent: topic {}, partition {}, offset {}", metadata.topic, metadata.partition, metadata.offset);
}

/// Runs if the record could not be delivered (after the retries).
fn on_send_failed(error: &Error) {
    eprintln!("send failed: {error}");
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let kafka = Kafka::from_env().await?;
    println!("brokers: {kafka}");
    kafka.create_topic(TOPIC, 3).await?;

    let config = ProducerConfig::new([&kafka.bootstrap])
        .client_id("Producer01")
        .acks(Acks::Leader) // acks=1: the leader wrote it (0: don't wait; All: every in-sync replica)
        .buffer_memory(32 * 1024 * 1024) // the pool for records not sent yet
        .compression(Compression::None) // or Gzip, Lz4, Snappy, Zstd
        .retries(3) // resend after a network blip or a leader change
        .batch_size(1024 * 1024) // records for one partition share a batch of up to 1 MiB...
        .linger(Duration::from_millis(100)); // ...sent when full or after 100 ms
                                             // The same by the Java/librdkafka property names.
    let same = ProducerConfig::from_properties([
        ("bootstrap.servers", kafka.bootstrap.as_str()),
        ("client.id", "Producer01"),
        ("acks", "1"),
        ("buffer.memory", "33554432"),
        ("compression.type", "none"),
        ("retries", "3"),
        ("batch.size", "1048576"),
        ("linger.ms", "100"),
    ])?;
    assert_eq!(config, same);
    // The producer is thread-safe: clone it to share it between tasks.
    let producer = Producer::new(config).await?;

    let mut deliveries = Vec::new();
    for i in 0..10 {
        // One quote every 0.2 s (the reference waits a second).
        tokio::time::sleep(Duration::from_millis(200)).await;
        let quote = serde_json::json!({
            "Publisher": "Producer01",
            "股票代码": 60000 + i,
            "昨日收盘价": 1 + (i * 37 + 11) % 500,
            "今日开盘价": 0,
            "今日收盘价": 0,
        });
        // No key and no partition: the producer picks the partition. Records with the same
        // key (`.key(...)`) go to the same partition; `.partition(n)` picks one.
        let record = ProducerRecord::new(TOPIC).serialize_value(&Json, &quote)?;
        // Asynchronous: `send` appends the record to its batch and returns its delivery
        // future; the callbacks run when the broker has answered.
        let delivery = producer.send(record).await.add_callback(on_send_success).add_errback(on_send_failed);
        println!("sending: {quote}");
        deliveries.push(delivery);
    }

    // Send what is buffered now, without waiting for linger, and wait for the answers.
    producer.flush().await;
    // The futures say how each record ended (the callbacks have already printed it).
    let total = deliveries.len();
    let mut failed = 0;
    for delivery in deliveries {
        failed += usize::from(delivery.await.is_err());
    }
    // Flush whatever is left (nothing, here) and stop, waiting at most 10 s.
    producer.close(Some(Duration::from_secs(10))).await?;
    println!("{} quotes sent, {failed} failed", total - failed);
    if failed > 0 {
        return Err(format!("{failed} of {total} quotes could not be sent").into());
    }
    Ok(())
}
