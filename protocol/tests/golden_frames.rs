//! Golden bytes from real clients and a real broker: every frame that librdkafka 2.16 and
//! kafka-python 3.0 exchanged with the Tansu broker (captured by
//! `tests/fixtures/capture.py`, format in `tests/fixtures/README.md`) must decode with kafkit's
//! declarations and re-encode to exactly the bytes that were on the wire — with two deviations
//! of the peers, each checked precisely:
//!
//! - Tansu writes some tagged fields even when they hold their default value (Kafka leaves them
//!   out, as kafkit does). Those responses must re-encode to a value equal to what was decoded,
//!   and only the APIs listed in `TANSU_EXPLICIT_DEFAULT_TAGS` may show it.
//! - librdkafka 2.16 appends three stray bytes to the Metadata v12 request that lists all
//!   topics; brokers ignore them and so does `read_request`. The body before them must be
//!   byte-exact.

mod fixtures;

use bytes::{Bytes, BytesMut};
use fixtures::{read_capture, Direction};
use kafkit_protocol::header::{read_request, read_response_body, request_header_version, response_header_version};
use kafkit_protocol::messages::ResponseBody;
use kafkit_protocol::messages::IMPLEMENTED;
use kafkit_protocol::ApiKey;

/// (API, version) whose captured Tansu responses carry default-valued tagged fields.
const TANSU_EXPLICIT_DEFAULT_TAGS: &[(&str, i16)] =
    &[("ApiVersions", 3), ("ApiVersions", 4), ("Fetch", 16), ("CreateTopics", 7)];

fn semantic_roundtrip(api: ApiKey, version: i16, ours: Bytes, decoded: &ResponseBody) -> bool {
    matches!(read_response_body(api, version, ours), Ok((_, again)) if &again == decoded)
}

#[test]
fn every_captured_frame_decodes_and_reencodes_byte_for_byte() {
    let mut checked = 0;
    let mut tansu_defaults = 0;
    let mut stray_request_bytes = Vec::new();
    let mut skipped = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for (file, frames) in fixtures::all_captures() {
        for (i, f) in frames.iter().enumerate() {
            let api = ApiKey::from_i16(f.api_key).expect("captures hold known API keys");
            if !IMPLEMENTED.iter().any(|(k, lo, hi)| *k == api && (*lo..=*hi).contains(&f.api_version)) {
                skipped.insert((api.name(), f.api_version));
                continue;
            }
            let what = format!("{file} frame {i}: {} v{} {:?}", api.name(), f.api_version, f.direction);
            let mut out = BytesMut::new();
            let mut response = None;
            let result = match f.direction {
                Direction::Request => read_request(f.bytes.clone()).map(|(h, body)| {
                    h.encode(&mut out, request_header_version(api, f.api_version)).unwrap();
                    body.encode(&mut out, f.api_version).unwrap();
                }),
                Direction::Response => read_response_body(api, f.api_version, f.bytes.clone()).map(|(h, body)| {
                    h.encode(&mut out, response_header_version(api, f.api_version));
                    body.encode(&mut out, f.api_version).unwrap();
                    response = Some(body);
                }),
            };
            let stray = f.direction == Direction::Request
                && out.len() < f.bytes.len()
                && f.bytes.starts_with(&out)
                && file.starts_with("librdkafka");
            match result {
                Err(e) => failures.push(format!("{what}: {e}")),
                Ok(()) if stray => stray_request_bytes.push((api.name(), f.api_version, f.bytes.len() - out.len())),
                Ok(())
                    if out[..] != f.bytes[..]
                        && TANSU_EXPLICIT_DEFAULT_TAGS.contains(&(api.name(), f.api_version))
                        && out.len() < f.bytes.len()
                        && semantic_roundtrip(api, f.api_version, out.clone().freeze(), response.as_ref().unwrap()) =>
                {
                    tansu_defaults += 1
                }
                Ok(()) if out[..] != f.bytes[..] => {
                    let at = out
                        .iter()
                        .zip(f.bytes.iter())
                        .position(|(a, b)| a != b)
                        .unwrap_or(out.len().min(f.bytes.len()));
                    failures.push(format!(
                        "{what}: re-encoded {} bytes differ from the {} captured, first at byte {at}",
                        out.len(),
                        f.bytes.len()
                    ))
                }
                Ok(()) => checked += 1,
            }
        }
    }
    assert!(failures.is_empty(), "{} frames failed:\n{}", failures.len(), failures.join("\n"));
    // Only APIs kafkit does not implement may be skipped (librdkafka's telemetry and KIP-848 describe).
    let allowed = [("ConsumerGroupDescribe", 0), ("GetTelemetrySubscriptions", 0)];
    assert!(skipped.iter().all(|s| allowed.contains(s)), "unexpectedly skipped: {skipped:?}");
    assert!(checked >= 300, "only {checked} frames checked: are the fixtures there?");
    assert_eq!(stray_request_bytes, vec![("Metadata", 12, 3)], "stray bytes after request bodies");
    assert!(tansu_defaults <= 50, "{tansu_defaults} responses with explicit default tags");
    eprintln!("{checked} captured frames round-tripped byte for byte; {tansu_defaults} Tansu responses semantically");
}

#[test]
fn capture_files_parse_completely() {
    let captures = fixtures::all_captures();
    assert!(captures.len() >= 17, "expected the 17 capture files, found {}", captures.len());
    for (file, frames) in &captures {
        assert!(!frames.is_empty(), "{file} is empty");
        assert!(frames.iter().any(|f| f.direction == Direction::Response), "{file} has no responses");
    }
    assert!(read_capture(&[0, 0, 1]).is_err());
}
