//! The protocol demo: builds a Produce request the way a producer does — stock quotes as JSON
//! (with the reference usage's Chinese field names) in one compressed record batch — sends it to a
//! broker, fetches the records back and prints them.
//!
//! The broker is the in-process mock cluster unless `KAFKA_BROKERS` names a real one
//! (e.g. Apache Kafka from `docker-compose.yml`, or Tansu):
//!
//! ```sh
//! cargo run --example protocol_demo            # lz4, against the mock cluster
//! cargo run --example protocol_demo -- zstd    # or none, gzip, snappy
//! KAFKA_BROKERS=localhost:9092 cargo run --example protocol_demo
//! ```
//!
//! It speaks raw protocol on purpose: it shows the protocol crate on its own. (The client crate's
//! producer and consumer do all of this — and retries, batching, groups — for you.)

use bytes::{Bytes, BytesMut};
use kafkit::protocol::header::{read_response, write_request};
use kafkit::protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafkit::protocol::messages::metadata_request::MetadataRequestTopic;
use kafkit::protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafkit::protocol::messages::{
    ApiVersionsRequest, FetchRequest, Message, MetadataRequest, ProduceRequest, ProduceResponse, Request,
};
use kafkit::protocol::record::{Batches, Compression, Header, RecordBatchBuilder};
use kafkit::protocol::versions::ApiVersions;
use kafkit::protocol::ErrorCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type Error = Box<dyn std::error::Error>;

const TOPIC: &str = "stock-quotes";

/// One request, one response, on a plain TCP connection.
async fn call<R: Request>(
    conn: &mut TcpStream,
    correlation_id: i32,
    version: i16,
    req: &R,
) -> Result<R::Response, Error> {
    let mut buf = BytesMut::new();
    write_request(&mut buf, correlation_id, Some("kafkit-demo"), version, req)?;
    conn.write_all(&buf).await?;
    let mut len = [0u8; 4];
    conn.read_exact(&mut len).await?;
    let mut frame = vec![0u8; i32::from_be_bytes(len) as usize];
    conn.read_exact(&mut frame).await?;
    let (header, resp) = read_response::<R>(Bytes::from(frame), version)?;
    assert_eq!(header.correlation_id, correlation_id);
    Ok(resp)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let codec: Compression = std::env::args().nth(1).as_deref().unwrap_or("lz4").parse()?;
    // Against a real broker if one is named, else an in-process mock cluster.
    let (_mock, bootstrap) = match std::env::var("KAFKA_BROKERS") {
        Ok(b) if !b.is_empty() => (None, b),
        _ => {
            let mock = kafkit_mock::MockCluster::start(1).await?;
            let b = mock.bootstrap();
            (Some(mock), b)
        }
    };
    let first = bootstrap.split(',').next().unwrap_or_default().to_string();
    println!("broker: {first}{}", if _mock.is_some() { " (in-process mock cluster)" } else { "" });
    let mut conn = TcpStream::connect(&first).await?;

    // What does the broker speak?
    let versions = ApiVersions::negotiate(&call(&mut conn, 1, 0, &ApiVersionsRequest::default()).await?);
    let metadata_v = versions.version_of::<MetadataRequest>()?;
    let produce_v = versions.version_within(ProduceRequest::API_KEY, 3, i16::MAX)?;
    let fetch_v = versions.version_within(FetchRequest::API_KEY, 4, 12)?; // by topic name
    println!("negotiated: Metadata v{metadata_v}, Produce v{produce_v}, Fetch v{fetch_v}");

    // Create the topic if needed (auto-creation) and find partition 0's leader.
    let meta = MetadataRequest {
        topics: Some(vec![MetadataRequestTopic { name: Some(TOPIC.into()), ..Default::default() }]),
        allow_auto_topic_creation: true,
        ..Default::default()
    };
    let meta = call(&mut conn, 2, metadata_v, &meta).await?;
    let leader = meta.topics[0].partitions.iter().find(|p| p.partition_index == 0).ok_or("no partition 0")?.leader_id;
    let broker = meta.brokers.iter().find(|b| b.node_id == leader).ok_or("leader not in metadata")?;
    let mut conn = TcpStream::connect((broker.host.as_str(), broker.port as u16)).await?;

    // Ten quotes, as the reference producer sends them, in one compressed batch.
    let mut batch = RecordBatchBuilder::new(0).with_compression(codec);
    for i in 0..10 {
        let value = format!(
            r#"{{"股票代码": "60000{i}", "股票名称": "浦发银行", "昨日收盘价": {:.2}, "今日开盘价": 10.27, "当前价格": {:.2}}}"#,
            10.25 + f64::from(i) / 100.0,
            10.31 + f64::from(i) / 100.0,
        );
        let headers = [Header::new("来源", Some(Bytes::from_static("上海证券交易所".as_bytes())))];
        let ts = 1_700_000_000_000 + i64::from(i) * 1000;
        batch.append(ts, Some(format!("60000{i}").as_bytes()), Some(value.as_bytes()), &headers)?;
    }
    let uncompressed = batch.size();
    let records = batch.finish()?;
    println!("batch: 10 records, {uncompressed} B -> {} B with {codec}", records.len());
    let produce = ProduceRequest {
        acks: -1,
        timeout_ms: 30_000,
        topic_data: vec![TopicProduceData {
            name: TOPIC.into(),
            partition_data: vec![PartitionProduceData { index: 0, records: Some(records), ..Default::default() }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let resp: ProduceResponse = call(&mut conn, 3, produce_v, &produce).await?;
    let p = &resp.responses[0].partition_responses[0];
    ErrorCode::from_i16(p.error_code).into_result()?;
    println!("produced at offset {}", p.base_offset);

    // Fetch them back, decode lazily, zero-copy.
    let fetch = FetchRequest {
        max_wait_ms: 500,
        min_bytes: 1,
        max_bytes: 1 << 20,
        topics: vec![FetchTopic {
            topic: TOPIC.into(),
            partitions: vec![FetchPartition {
                partition: 0,
                fetch_offset: p.base_offset,
                partition_max_bytes: 1 << 20,
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let fetched = call(&mut conn, 4, fetch_v, &fetch).await?;
    let part = &fetched.responses[0].partitions[0];
    ErrorCode::from_i16(part.error_code).into_result()?;
    for batch in Batches::new(part.records.clone().unwrap_or_default()) {
        let batch = batch?;
        println!("{TOPIC}[0]: a {} batch of {} bytes", batch.compression(), batch.size_in_bytes());
        for record in batch.records()? {
            let r = record?;
            if r.offset < p.base_offset {
                continue;
            }
            let text = |b: Option<&Bytes>| String::from_utf8_lossy(b.map_or(&[][..], |b| &b[..])).into_owned();
            let headers: Vec<_> = r.headers.iter().map(|h| format!("{}={}", h.key_str(), text(h.value()))).collect();
            println!(
                "  offset {} ts {} key {} value {} headers [{}]",
                r.offset,
                r.timestamp,
                text(r.key.as_ref()),
                text(r.value.as_ref()),
                headers.join(", ")
            );
        }
    }
    Ok(())
}
