//! The reference usage's consumer that pulls by hand: joins the group `TestGroup` on the topic
//! `TESTTOPIC`, calls `poll(timeout, max_records)` in a loop, decodes each record's JSON value
//! into a [`Quote`](common::Quote) (the Chinese field names must survive the trip), prints
//! it, and commits only after processing what the poll returned.
//!
//! ```sh
//! cargo run --example consumer_poll                              # against an in-process mock cluster
//! KAFKA_BROKERS=localhost:9092 cargo run --example consumer_poll # against a real broker
//! ```
//!
//! Against a real broker it reads what `producer` sent (run that first, or at the same time in
//! another terminal); the group's committed offsets make a second run read only newer quotes.
//! The reference loops forever; this one stops once no quote has come for 3 s.

mod common;

use std::time::{Duration, Instant};

use kafkit::client::consumer::{Consumer, ConsumerConfig, OffsetReset};
use kafkit::client::serializer::Json;
use serde_json::{json, Value};

use common::{BoxError, Kafka, Quote};

const TOPIC: &str = "TESTTOPIC";

/// How long to wait for more quotes, once the group has assigned partitions, before stopping.
const IDLE: Duration = Duration::from_secs(3);

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let kafka = Kafka::from_env().await?;
    println!("brokers: {kafka}");
    kafka.create_topic(TOPIC, 3).await?;
    if kafka.is_mock() {
        // Only for the mock cluster, which starts empty: send the ten quotes `producer` sends.
        common::send_quotes(&kafka, TOPIC, 10).await?;
    }

    let config = ConsumerConfig::new([&kafka.bootstrap])
        .client_id("Test")
        .group_id("TestGroup")
        .enable_auto_commit(false) // commit() below, after processing
        // Start from the oldest quote when the group has no committed offset. (The reference
        // says latest: only quotes sent after it joined.)
        .auto_offset_reset(OffsetReset::Earliest)
        // Some brokers (Tansu) hold every JoinGroup for half the session timeout: 6 s rather
        // than the default 45 s lets this example start in 3 s there.
        .session_timeout(Duration::from_secs(6));
    // A consumer is used from one task at a time (`poll` takes `&mut self`): one per task.
    let mut consumer = Consumer::new(config).await?;
    consumer.subscribe([TOPIC])?; // joins the group, which assigns the partitions

    let mut consumed = 0;
    let mut idle_since = Instant::now();
    loop {
        // The records that came, by partition: at most 100, waiting at most 0.5 s.
        let records = consumer.poll_records(Duration::from_millis(500), 100).await?;
        if records.is_empty() {
            if consumer.assignment().is_empty() {
                idle_since = Instant::now(); // still joining the group
            } else if idle_since.elapsed() >= IDLE {
                break;
            }
            continue;
        }
        for (partition, records) in &records {
            for record in records {
                // The processing.
                let quote: Quote = record.value_as(&Json)?;
                let key: Option<Value> = record.key_as_option(&Json)?;
                let message = json!({
                    "Topic": partition.topic.as_ref(),
                    "Partition": partition.partition,
                    "Offset": record.offset,
                    "Key": key,
                    "Value": quote,
                });
                println!("{message}");
            }
        }
        // Processed: now store the group's position (what this poll returned).
        consumer.commit().await?;
        consumed += records.len();
        idle_since = Instant::now();
    }
    println!("{consumed} quotes consumed");
    // Leave the group (its partitions go to the other members at once).
    consumer.close().await?;
    Ok(())
}
