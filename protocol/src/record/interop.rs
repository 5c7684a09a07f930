//! Batches written by another client (kafka-python 3.0.12, see `testdata/gen_kafka_python.py`),
//! in every format and codec, read by kafkit.

use bytes::Bytes;

use super::{Batch, Batches, Compression, Header, Record, TimestampType};

const TS: i64 = 1_700_000_000_000;

/// The three records every fixture holds, at offsets `base..base + 3`.
fn expected(base: i64, magic: i8) -> Vec<Record> {
    let ts = |t: i64| if magic == 0 { -1 } else { t };
    let headers = |h: Vec<Header>| if magic == 2 { h } else { vec![] };
    vec![
        Record {
            offset: base,
            timestamp: ts(TS),
            key: None,
            value: Some(Bytes::from_static(b"first value")),
            headers: vec![],
        },
        Record {
            offset: base + 1,
            timestamp: ts(TS + 7),
            key: Some(Bytes::from_static(b"key-1")),
            value: Some(Bytes::from("second value ".repeat(20))),
            headers: headers(vec![Header::new("h1", Some(Bytes::from_static(b"v1"))), Header::new("股票", None)]),
        },
        Record {
            offset: base + 2,
            timestamp: ts(TS - 3),
            key: Some(Bytes::new()),
            value: None,
            headers: headers(vec![Header::new("empty", Some(Bytes::new()))]),
        },
    ]
}

macro_rules! fixture {
    ($name:literal) => {
        ($name, Bytes::from_static(include_bytes!(concat!("testdata/", $name, ".bin"))))
    };
}

#[test]
fn v2_batches_of_every_codec() {
    let fixtures = [
        (Compression::None, fixture!("kafka_python_v2_none")),
        (Compression::Gzip, fixture!("kafka_python_v2_gzip")),
        (Compression::Snappy, fixture!("kafka_python_v2_snappy")),
        (Compression::Lz4, fixture!("kafka_python_v2_lz4")),
        (Compression::Zstd, fixture!("kafka_python_v2_zstd")),
    ];
    for (codec, (name, blob)) in fixtures {
        let batches: Vec<Batch> =
            Batches::new(blob.clone()).collect::<Result<_, _>>().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(batches.len(), 1, "{name}");
        let Batch::V2(batch) = &batches[0] else { panic!("{name}: not v2") };
        assert_eq!(batch.compression(), codec, "{name}");
        assert_eq!(batch.base_offset, 1000);
        assert_eq!(batch.last_offset(), 1002);
        assert_eq!(batch.max_timestamp, TS + 7);
        assert_eq!(batch.timestamp_type(), TimestampType::CreateTime);
        if codec == Compression::Zstd {
            assert!(batch.is_transactional());
            assert_eq!((batch.producer_id, batch.producer_epoch, batch.base_sequence), (4242, 3, 17));
        }
        let records = batch.to_records().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(records, expected(1000, 2), "{name}");
        // Re-encoding a foreign batch gives its bytes back.
        assert_eq!(batch.to_bytes().unwrap(), blob, "{name}");
    }
}

#[test]
fn legacy_message_sets_of_every_codec() {
    let fixtures = [
        (0, fixture!("kafka_python_v0_none")),
        (0, fixture!("kafka_python_v0_gzip")),
        (0, fixture!("kafka_python_v0_snappy")),
        // Written with the broken LZ4 header checksum of Kafka 0.8/0.9 (KAFKA-3160).
        (0, fixture!("kafka_python_v0_lz4")),
        (1, fixture!("kafka_python_v1_none")),
        (1, fixture!("kafka_python_v1_gzip")),
        (1, fixture!("kafka_python_v1_snappy")),
        (1, fixture!("kafka_python_v1_lz4")),
    ];
    for (magic, (name, blob)) in fixtures {
        let mut batches = Batches::new(blob);
        let mut records = Vec::new();
        for b in &mut batches {
            let b = b.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(b.magic(), magic, "{name}");
            records.extend(b.to_records().unwrap_or_else(|e| panic!("{name}: {e}")));
        }
        assert_eq!(batches.truncated_bytes(), 0, "{name}");
        assert_eq!(records, expected(500, magic), "{name}");
    }
}

/// Writes the fixture records with kafkit's encoders, for another client to read:
/// `KAFKIT_INTEROP_OUT=dir cargo test -p kafkit-protocol write_samples -- --ignored`, then
/// `python testdata/read_kafka_python.py dir` (kafka-python checks CRCs and decompresses).
#[test]
#[ignore = "writes files for an external reader"]
fn write_samples_for_other_clients() {
    use super::{ControlRecord, LegacyMessageSetBuilder, RecordBatchBuilder};
    let Ok(dir) = std::env::var("KAFKIT_INTEROP_OUT") else {
        return;
    };
    let write = |name: String, bytes: &[u8]| {
        std::fs::write(format!("{dir}/{name}.bin"), bytes).unwrap();
    };
    for codec in Compression::ALL {
        let mut b = RecordBatchBuilder::new(1000).with_compression(codec);
        for r in expected(1000, 2) {
            b.append(r.timestamp, r.key.as_deref(), r.value.as_deref(), &r.headers).unwrap();
        }
        write(format!("kafkit_v2_{codec}"), &b.finish().unwrap());
    }
    let marker = ControlRecord::commit(5).to_batch(1003, 4242, 3, TS, 0).unwrap();
    write("kafkit_v2_control".into(), &marker);
    for magic in [0, 1] {
        for codec in &Compression::ALL[..4] {
            let mut b = LegacyMessageSetBuilder::new(magic, *codec).unwrap();
            for r in expected(500, magic) {
                b.append(r.offset, r.timestamp, r.key.as_deref(), r.value.as_deref()).unwrap();
            }
            write(format!("kafkit_v{magic}_{codec}"), &b.finish().unwrap());
        }
    }
}
