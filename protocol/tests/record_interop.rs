//! Record batches written by other implementations decode to exactly what they wrote:
//!
//! - `fixtures/batches/*.bin`: kafka-python 3.0's record builders — magic 0 and 1 message sets
//!   (uncompressed, gzip, snappy, lz4 — the magic 0 lz4 one with Kafka ≤ 0.10's wrong frame
//!   header checksum, KAFKA-3160) and magic 2 batches (uncompressed, gzip, Java-style
//!   xerial-framed snappy, lz4 frame, zstd), and all three formats back to back.
//! - `fixtures/frames/*produce*.cap`: the record batches librdkafka 2.16 (every codec, idempotent)
//!   and kafka-python put in their Produce requests.
//! - `fixtures/frames/*consumer*.cap`, `*read-transactional*`: the batches Tansu served in Fetch
//!   responses, which must hold every record the librdkafka / kafka-python consumer reported,
//!   plus the transaction markers.

mod fixtures;

use bytes::Bytes;
use fixtures::{all_captures, manifest, manifest_bytes, Direction};
use kafkit_protocol::header::{read_request, read_response_body};
use kafkit_protocol::messages::{RequestBody, ResponseBody};
use kafkit_protocol::record::{Batches, ControlRecord, ControlRecordType, Record};
use kafkit_protocol::ApiKey;
use serde_json::Value;

/// (key, value, headers, timestamp) of a manifest record.
type Expected = (Option<Vec<u8>>, Option<Vec<u8>>, Vec<(String, Option<Vec<u8>>)>, Option<i64>);

fn expected(r: &Value) -> Expected {
    let headers = r["headers"]
        .as_array()
        .map(|hs| hs.iter().map(|h| (h[0].as_str().unwrap().to_string(), manifest_bytes(&h[1]))).collect())
        .unwrap_or_default();
    (manifest_bytes(&r["key"]), manifest_bytes(&r["value"]), headers, r["timestamp"].as_i64())
}

fn actual(r: &Record) -> Expected {
    let headers = r.headers.iter().map(|h| (h.key_str().to_string(), h.value().map(|v| v.to_vec()))).collect();
    (r.key.as_ref().map(|k| k.to_vec()), r.value.as_ref().map(|v| v.to_vec()), headers, Some(r.timestamp))
}

/// All records of a blob (control batches skipped), with the control records found.
fn decode_blob(blob: Bytes, what: &str) -> (Vec<Record>, Vec<ControlRecord>) {
    let mut records = Vec::new();
    let mut controls = Vec::new();
    for batch in Batches::new(blob) {
        let batch = batch.unwrap_or_else(|e| panic!("{what}: {e}"));
        for r in batch.records().unwrap_or_else(|e| panic!("{what}: {e}")) {
            let r = r.unwrap_or_else(|e| panic!("{what}: {e}"));
            if batch.is_control() {
                controls.push(ControlRecord::decode(&r).unwrap_or_else(|e| panic!("{what}: {e}")));
            } else {
                records.push(r);
            }
        }
    }
    (records, controls)
}

#[test]
fn kafka_python_batch_files_decode_to_the_manifest() {
    let m = manifest("batches");
    let files = m["files"].as_array().unwrap();
    assert!(files.len() >= 14);
    for f in files {
        let name = f["file"].as_str().unwrap();
        let blob = Bytes::from(std::fs::read(fixtures::dir().join("batches").join(name)).unwrap());
        let want = f["records"].as_array().unwrap();
        let mut got = Vec::new();
        let mut batches = Batches::new(blob);
        for (i, batch) in batches.by_ref().enumerate() {
            let batch = batch.unwrap_or_else(|e| panic!("{name}: batch {i}: {e}"));
            let spec = &f["batches"][i];
            assert_eq!(i64::from(batch.magic()), spec["magic"].as_i64().unwrap(), "{name}: batch {i} magic");
            assert_eq!(batch.compression().to_string(), spec["codec"].as_str().unwrap(), "{name}: batch {i} codec");
            for r in batch.records().unwrap_or_else(|e| panic!("{name}: batch {i}: {e}")) {
                got.push(r.unwrap_or_else(|e| panic!("{name}: {e}")));
            }
        }
        assert_eq!(batches.truncated_bytes(), 0, "{name}: trailing bytes");
        assert_eq!(got.len(), want.len(), "{name}: record count");
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g.offset, w["offset"].as_i64().unwrap(), "{name}: offset");
            let (wk, wv, wh, wts) = expected(w);
            let (gk, gv, gh, gts) = actual(g);
            assert_eq!((gk, gv, gh), (wk, wv, wh), "{name}: record at offset {}", g.offset);
            // Magic 0 has no timestamps: kafkit reports -1 (Kafka's NO_TIMESTAMP).
            assert_eq!(gts, Some(wts.unwrap_or(-1)), "{name}: timestamp at offset {}", g.offset);
        }
    }
}

#[test]
fn produce_requests_of_librdkafka_and_kafka_python_decode_to_what_they_sent() {
    let m = manifest("frames");
    let captures = all_captures();
    let mut files_checked = 0;
    for f in m["files"].as_array().unwrap() {
        let name = f["file"].as_str().unwrap();
        let Some(want) = f["records"].as_array() else { continue };
        if want.is_empty() {
            continue;
        }
        let frames = &captures.iter().find(|(n, _)| n == name).unwrap().1;
        let mut got: Vec<(String, i32, Record)> = Vec::new();
        for fr in
            frames.iter().filter(|fr| fr.direction == Direction::Request && fr.api_key == ApiKey::Produce.as_i16())
        {
            let Ok((_, RequestBody::Produce(p))) = read_request(fr.bytes.clone()) else { panic!("{name}: produce") };
            for t in &p.topic_data {
                for part in &t.partition_data {
                    let what = format!("{name}: {}[{}]", t.name, part.index);
                    let (records, controls) = decode_blob(part.records.clone().unwrap_or_default(), &what);
                    assert!(controls.is_empty());
                    got.extend(records.into_iter().map(|r| (t.name.clone(), part.index, r)));
                }
            }
        }
        // Per partition, in order (a client may order partitions differently from the manifest).
        for w in want {
            let topic = w["topic"].as_str().unwrap();
            let partition = w["partition"].as_i64().unwrap() as i32;
            let pos = got
                .iter()
                .position(|(t, p, r)| t == topic && *p == partition && actual(r) == expected(w))
                .unwrap_or_else(|| {
                    panic!("{name}: {topic}[{partition}] record {:?} not found in the produce requests", expected(w))
                });
            // Records of one partition keep their order: nothing of it may come before this one.
            assert!(
                got[..pos].iter().all(|(t, p, _)| t != topic || *p != partition),
                "{name}: order in {topic}[{partition}]"
            );
            got.remove(pos);
        }
        assert!(got.is_empty(), "{name}: {} records more than the manifest", got.len());
        files_checked += 1;
    }
    assert_eq!(files_checked, 10, "the 5 librdkafka and 4 kafka-python produce captures and the transactional one");
}

#[test]
fn fetch_responses_hold_what_the_consumers_reported_and_the_transaction_markers() {
    let m = manifest("frames");
    let captures = all_captures();
    let mut consumed_checked = 0;
    for f in m["files"].as_array().unwrap() {
        let name = f["file"].as_str().unwrap();
        let frames = &captures.iter().find(|(n, _)| n == name).unwrap().1;
        let mut records = Vec::new();
        let mut controls = Vec::new();
        for fr in frames.iter().filter(|fr| fr.direction == Direction::Response && fr.api_key == ApiKey::Fetch.as_i16())
        {
            let (_, body) = read_response_body(ApiKey::Fetch, fr.api_version, fr.bytes.clone())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let ResponseBody::Fetch(fetch) = body else { unreachable!() };
            for t in &fetch.responses {
                for p in &t.partitions {
                    let what = format!("{name}: partition {}", p.partition_index);
                    let (r, c) = decode_blob(p.records.clone().unwrap_or_default(), &what);
                    records.extend(r.into_iter().map(|r| (p.partition_index, r)));
                    controls.extend(c);
                }
            }
        }
        if let Some(consumed) = f["consumed"].as_array() {
            for w in consumed {
                let partition = w["partition"].as_i64().unwrap() as i32;
                let offset = w["offset"].as_i64().unwrap();
                assert!(
                    records.iter().any(|(p, r)| *p == partition && r.offset == offset && actual(r) == expected(w)),
                    "{name}: consumed record at partition {partition} offset {offset} not in the fetch responses"
                );
                consumed_checked += 1;
            }
        }
        if name == "librdkafka-read-transactional.cap" {
            let kinds: Vec<_> = controls.iter().map(|c| c.kind).collect();
            assert!(
                kinds.contains(&ControlRecordType::Commit) && kinds.contains(&ControlRecordType::Abort),
                "{kinds:?}"
            );
            assert_eq!(records.len(), 10, "8 committed and 2 aborted records, read uncommitted");
        }
    }
    assert!(consumed_checked >= 30, "only {consumed_checked} consumed records checked");
}
