//! kafkit in one page: send three stock quotes (JSON) to a topic, then read them back as a
//! member of a consumer group.
//!
//! ```sh
//! cargo run --example quickstart                              # against an in-process mock cluster
//! KAFKA_BROKERS=localhost:9092 cargo run --example quickstart # against a real broker
//! ```
//!
//! (`docker compose up -d` starts a local Apache Kafka on localhost:9092.) The other examples
//! show each side in full: `producer`, `consumer_poll`, `consumer_stream`.

mod common;

use std::time::{Duration, Instant};

use kafkit::client::consumer::{Consumer, ConsumerConfig, OffsetReset};
use kafkit::client::serializer::Json;
use kafkit::client::{Producer, ProducerConfig, ProducerRecord};
use serde_json::{json, Value};

use common::{BoxError, Kafka};

const TOPIC: &str = "quickstart";

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let kafka = Kafka::from_env().await?;
    println!("brokers: {kafka}");
    kafka.create_topic(TOPIC, 1).await?;

    // Produce: each send is buffered at once and acknowledged by the broker later.
    let producer = Producer::new(ProducerConfig::new([&kafka.bootstrap])).await?;
    for (code, close) in [("600000", 10.52), ("600519", 1725.0), ("000001", 11.3)] {
        let quote = json!({"股票代码": code, "昨日收盘价": close});
        let record = ProducerRecord::new(TOPIC).key(code).serialize_value(&Json, &quote)?;
        let delivery = producer.send(record).await;
        let stored = delivery.await?;
        println!("produced {quote} to {}[{}] at offset {}", stored.topic, stored.partition, stored.offset);
    }
    producer.close(None).await?;

    // Consume: join the group `quickstart`, which assigns the topic's partition to us.
    let config = ConsumerConfig::new([&kafka.bootstrap])
        .group_id("quickstart")
        .auto_offset_reset(OffsetReset::Earliest) // a new group starts at the oldest record
        .session_timeout(Duration::from_secs(6)); // joins faster on brokers that wait half of it (Tansu)
    let mut consumer = Consumer::new(config).await?;
    consumer.subscribe([TOPIC])?;
    let (mut consumed, deadline) = (0, Instant::now() + Duration::from_secs(60));
    while consumed < 3 && Instant::now() < deadline {
        for record in consumer.poll(Duration::from_secs(1)).await?.records_iter() {
            let quote: Value = record.value_as(&Json)?;
            println!("consumed {quote} from {}[{}] at offset {}", record.topic, record.partition, record.offset);
            consumed += 1;
        }
    }
    // Commits what was consumed (auto-commit is on by default), so the next run starts after it.
    consumer.close().await?;
    if consumed < 3 {
        return Err(format!("only {consumed} of the 3 quotes came back within 60 s").into());
    }
    Ok(())
}
