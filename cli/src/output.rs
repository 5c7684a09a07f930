//! How `kafkit consume` prints a record: the value as a line, or one JSON object per line.
//!
//! JSON lines carry `topic`, `partition`, `offset`, `timestamp` (milliseconds since the Unix
//! epoch, -1 for none), `timestamp_type` (`"CreateTime"`, `"LogAppendTime"` or `null`), `key`,
//! `value` and `headers` (a list of `[key, value]` pairs, in record order, duplicates kept).
//! Keys, values and header values that are UTF-8 are JSON strings; other bytes are an object
//! `{"base64": "..."}` (standard alphabet, padded); a null key or value is `null`.

use std::io::{self, Write};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use kafkit_client::consumer::ConsumerRecord;
use kafkit_client::protocol::record::TimestampType;

/// How records are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The value's bytes as they are, then a newline (a null value is an empty line).
    Value,
    /// One JSON object per line with every field of the record.
    Json,
}

/// Writes `record` to `out` in `format`, ending with a newline.
pub fn write_record(out: &mut impl Write, format: Format, record: &ConsumerRecord) -> io::Result<()> {
    match format {
        Format::Value => write_value(out, record),
        Format::Json => write_json(out, record),
    }
}

/// The value's raw bytes and a newline.
pub fn write_value(out: &mut impl Write, record: &ConsumerRecord) -> io::Result<()> {
    if let Some(value) = &record.value {
        out.write_all(value)?;
    }
    out.write_all(b"\n")
}

/// The record as one JSON object and a newline.
pub fn write_json(out: &mut impl Write, record: &ConsumerRecord) -> io::Result<()> {
    out.write_all(b"{\"topic\":")?;
    json_str(out, &record.topic)?;
    write!(out, ",\"partition\":{},\"offset\":{},\"timestamp\":{}", record.partition, record.offset, record.timestamp)?;
    out.write_all(b",\"timestamp_type\":")?;
    out.write_all(match record.timestamp_type {
        TimestampType::CreateTime => b"\"CreateTime\"",
        TimestampType::LogAppendTime => b"\"LogAppendTime\"",
        TimestampType::NoTimestamp => b"null",
    })?;
    out.write_all(b",\"key\":")?;
    json_bytes(out, record.key.as_deref())?;
    out.write_all(b",\"value\":")?;
    json_bytes(out, record.value.as_deref())?;
    out.write_all(b",\"headers\":[")?;
    for (i, header) in record.headers.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        out.write_all(b"[")?;
        // Header keys are UTF-8 (the decoder checks); `json_bytes` still copes if one is not.
        json_bytes(out, Some(header.key()))?;
        out.write_all(b",")?;
        json_bytes(out, header.value().map(|v| &v[..]))?;
        out.write_all(b"]")?;
    }
    out.write_all(b"]}\n")
}

/// A JSON string, escaped.
fn json_str(out: &mut impl Write, s: &str) -> io::Result<()> {
    serde_json::to_writer(&mut *out, s).map_err(io::Error::from)
}

/// `null`, a JSON string if the bytes are UTF-8, else `{"base64":"..."}`.
fn json_bytes(out: &mut impl Write, bytes: Option<&[u8]>) -> io::Result<()> {
    match bytes {
        None => out.write_all(b"null"),
        Some(b) => match std::str::from_utf8(b) {
            Ok(s) => json_str(out, s),
            Err(_) => {
                out.write_all(b"{\"base64\":\"")?;
                out.write_all(STANDARD.encode(b).as_bytes())?;
                out.write_all(b"\"}")
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use kafkit_client::protocol::record::Header;
    use serde_json::{json, Value};

    fn record(key: Option<&'static [u8]>, value: Option<&'static [u8]>, headers: Vec<Header>) -> ConsumerRecord {
        ConsumerRecord {
            topic: "t\"opic".into(),
            partition: 3,
            offset: 42,
            timestamp: 1_700_000_000_123,
            timestamp_type: TimestampType::CreateTime,
            key: key.map(Bytes::from_static),
            value: value.map(Bytes::from_static),
            headers,
            leader_epoch: Some(0),
        }
    }

    fn json_of(r: &ConsumerRecord) -> (String, Value) {
        let mut out = Vec::new();
        write_json(&mut out, r).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with('\n') && text.matches('\n').count() == 1, "one line: {text:?}");
        let v = serde_json::from_str(&text).unwrap();
        (text, v)
    }

    #[test]
    fn json_has_every_field_utf8_as_strings() {
        let headers = vec![
            Header::new("h", Some(Bytes::from_static(b"1"))),
            Header::new("h", Some(Bytes::from_static("二\n".as_bytes()))),
            Header::new("none", None),
        ];
        let (_, v) = json_of(&record(Some(b"k\te"), Some("价格 \"10.5\"".as_bytes()), headers));
        assert_eq!(
            v,
            json!({
                "topic": "t\"opic", "partition": 3, "offset": 42, "timestamp": 1_700_000_000_123i64,
                "timestamp_type": "CreateTime",
                "key": "k\te", "value": "价格 \"10.5\"",
                "headers": [["h", "1"], ["h", "二\n"], ["none", null]],
            })
        );
    }

    #[test]
    fn json_base64_for_bytes_that_are_not_utf8_and_null_stays_null() {
        let headers = vec![Header::new("bin", Some(Bytes::from_static(&[0xff, 0x00, 0x80])))];
        let (_, v) = json_of(&record(None, Some(&[0xc3, 0x28, b'a']), headers));
        assert_eq!(v["key"], Value::Null);
        assert_eq!(v["value"], json!({"base64": "wyhh"}));
        assert_eq!(v["headers"], json!([["bin", {"base64": "/wCA"}]]));
        // Decodes back to the same bytes.
        let b64 = v["headers"][0][1]["base64"].as_str().unwrap();
        assert_eq!(STANDARD.decode(b64).unwrap(), vec![0xff, 0x00, 0x80]);
        // An empty value is an empty string, not null.
        let (text, v) = json_of(&record(Some(b""), Some(b""), vec![]));
        assert_eq!((&v["key"], &v["value"], &v["headers"]), (&json!(""), &json!(""), &json!([])));
        assert!(text.contains("\"headers\":[]"), "{text}");
    }

    #[test]
    fn json_timestamp_types() {
        let mut r = record(None, None, vec![]);
        r.timestamp_type = TimestampType::LogAppendTime;
        assert_eq!(json_of(&r).1["timestamp_type"], "LogAppendTime");
        r.timestamp_type = TimestampType::NoTimestamp;
        r.timestamp = -1;
        let (_, v) = json_of(&r);
        assert_eq!((&v["timestamp_type"], &v["timestamp"]), (&Value::Null, &json!(-1)));
    }

    #[test]
    fn value_format_writes_raw_bytes() {
        let mut out = Vec::new();
        write_record(&mut out, Format::Value, &record(Some(b"k"), Some(&[0xff, b'x']), vec![])).unwrap();
        write_record(&mut out, Format::Value, &record(None, None, vec![])).unwrap();
        assert_eq!(out, vec![0xff, b'x', b'\n', b'\n']);
    }
}
