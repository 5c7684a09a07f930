//! The protocol demo: builds a Produce request the way a producer does — stock quotes as JSON
//! (with the reference usage's Chinese field names) in one compressed record batch — encodes it
//! as a frame, decodes the frame back as a broker would, and prints what it finds.
//!
//! ```sh
//! cargo run --example protocol_demo            # lz4
//! cargo run --example protocol_demo -- zstd    # or none, gzip, snappy
//! ```

use bytes::BytesMut;
use kafkit::protocol::header::{read_request, write_request};
use kafkit::protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafkit::protocol::messages::{Message, ProduceRequest, RequestBody};
use kafkit::protocol::record::{Batches, Compression, Header, RecordBatchBuilder};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let codec: Compression = std::env::args().nth(1).as_deref().unwrap_or("lz4").parse()?;
    let version = ProduceRequest::MAX_VERSION;

    // Ten quotes, as the reference producer sends them, into one batch.
    let mut batch = RecordBatchBuilder::new(0).with_compression(codec);
    for i in 0..10 {
        let key = format!("60000{i}");
        let value = format!(
            r#"{{"股票代码": "60000{i}", "股票名称": "浦发银行", "昨日收盘价": {:.2}, "今日开盘价": 10.27, "当前价格": {:.2}}}"#,
            10.25 + f64::from(i) / 100.0,
            10.31 + f64::from(i) / 100.0,
        );
        let headers = [Header::new("来源", Some(bytes::Bytes::from_static("上海证券交易所".as_bytes())))];
        batch.append(
            1_700_000_000_000 + i64::from(i) * 1000,
            Some(key.as_bytes()),
            Some(value.as_bytes()),
            &headers,
        )?;
    }
    let uncompressed = batch.size();
    let records = batch.finish()?;

    let request = ProduceRequest {
        acks: -1,
        timeout_ms: 30_000,
        topic_data: vec![TopicProduceData {
            name: "stock-quotes".into(),
            partition_data: vec![PartitionProduceData { index: 0, records: Some(records), ..Default::default() }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let mut frame = BytesMut::new();
    write_request(&mut frame, 1, Some("kafkit-demo"), version, &request)?;
    println!(
        "ProduceRequest v{version}: {} records, batch {uncompressed} B uncompressed -> {} B with {codec}, frame {} B",
        10,
        request.topic_data[0].partition_data[0].records.as_ref().map_or(0, |r| r.len()),
        frame.len()
    );
    println!("frame starts: {:02x?}", &frame[..16]);

    // Decode the frame as a broker would: header, body, then the records, lazily.
    let frame = frame.freeze();
    let (header, body) = read_request(frame.slice(4..))?;
    println!(
        "decoded header: api_key {} v{} correlation_id {} client_id {:?}",
        header.api_key, header.api_version, header.correlation_id, header.client_id
    );
    let RequestBody::Produce(produce) = body else { return Err("not a produce request".into()) };
    assert_eq!(produce, request, "the decoded request equals the one encoded");
    for topic in &produce.topic_data {
        for partition in &topic.partition_data {
            let blob = partition.records.clone().unwrap_or_default();
            for batch in Batches::new(blob) {
                let batch = batch?;
                println!(
                    "{}[{}]: batch of {:?}, {}",
                    topic.name,
                    partition.index,
                    batch.compression(),
                    batch.size_in_bytes()
                );
                for record in batch.records()? {
                    let r = record?;
                    println!(
                        "  offset {} ts {} key {} value {} headers {:?}",
                        r.offset,
                        r.timestamp,
                        String::from_utf8_lossy(r.key.as_deref().unwrap_or_default()),
                        String::from_utf8_lossy(r.value.as_deref().unwrap_or_default()),
                        r.headers
                            .iter()
                            .map(|h| (h.key_str(), String::from_utf8_lossy(h.value().map_or(&[][..], |v| &v[..]))))
                            .collect::<Vec<_>>()
                    );
                }
            }
        }
    }
    Ok(())
}
