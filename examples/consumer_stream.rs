//! The reference usage's iterating consumer (`for record in consumer:`), in Rust: joins a group on
//! the topic `TESTTOPIC`, takes the records one at a time from the consumer's stream (waiting
//! for the next), decodes each JSON value into a [`Quote`](common::Quote), prints it and
//! commits after each record.
//!
//! ```sh
//! cargo run --example consumer_stream                              # against an in-process mock cluster
//! KAFKA_BROKERS=localhost:9092 cargo run --example consumer_stream # against a real broker
//! ```
//!
//! Against a real broker it reads what `producer` sent (run that first, or at the same time in
//! another terminal). Its group is `TestGroup-stream`, not `consumer_poll`'s `TestGroup`: a
//! group reads each record once, shared out among its members, so each example has its own
//! group to read every quote. The reference iterates forever; this one stops once no quote has
//! come for 3 s (30 s for the first).

mod common;

use std::time::Duration;

use kafkit::client::consumer::{Consumer, ConsumerConfig, OffsetReset, StreamExt};
use kafkit::client::serializer::Json;
use serde_json::{json, Value};

use common::{BoxError, Kafka, Quote};

const TOPIC: &str = "TESTTOPIC";

/// How long to wait for the next quote before stopping.
const IDLE: Duration = Duration::from_secs(3);
/// How long to wait for the first quote: joining the group comes first.
const FIRST_WAIT: Duration = Duration::from_secs(30);

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
        .group_id("TestGroup-stream")
        .enable_auto_commit(false) // commit() below, after each record
        // Start from the oldest quote when the group has no committed offset. (The reference
        // says latest: only quotes sent after it joined.)
        .auto_offset_reset(OffsetReset::Earliest)
        // Some brokers (Tansu) hold every JoinGroup for half the session timeout: 6 s rather
        // than the default 45 s lets this example start in 3 s there.
        .session_timeout(Duration::from_secs(6));
    let mut consumer = Consumer::new(config).await?;
    consumer.subscribe([TOPIC])?; // joins the group, which assigns the partitions

    let mut consumed = 0;
    let mut records = consumer.stream();
    loop {
        // The next record, waiting for it (the first wait includes joining the group).
        let wait = if consumed == 0 { FIRST_WAIT } else { IDLE };
        let record = match tokio::time::timeout(wait, records.next()).await {
            Ok(Some(record)) => record?,
            Ok(None) => break, // the stream ends only if the consumer is closed
            Err(_) => break,   // no quote for a while: done
        };
        // The processing.
        let quote: Quote = record.value_as(&Json)?;
        let key: Option<Value> = record.key_as_option(&Json)?;
        let message = json!({
            "Topic": record.topic.as_ref(),
            "Partition": record.partition,
            "Offset": record.offset,
            "Key": key,
            "Value": quote,
        });
        println!("{message}");
        // Processed: store the position after this record.
        records.commit().await?;
        consumed += 1;
    }
    drop(records); // gives the consumer back
    println!("{consumed} quotes consumed");
    consumer.close().await?;
    Ok(())
}
