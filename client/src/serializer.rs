//! Turning keys and values into the bytes of a record and back: [`Serializer`] for the
//! producer, [`Deserializer`] for the consumer.
//!
//! Two implementations of each come with the crate:
//!
//! - [`Raw`]: bytes as they are (`Bytes`, `Vec<u8>`, `&[u8]`), strings as UTF-8 (`String`,
//!   `&str`); decoding a `String` checks the UTF-8.
//! - [`Json`]: any `serde` type as UTF-8 JSON, what kafka-python's
//!   `value_serializer=lambda m: json.dumps(m).encode('utf-8')` and
//!   `value_deserializer=lambda m: json.loads(m.decode('utf-8'))` do.
//!
//! ```
//! use bytes::Bytes;
//! use kafkit_client::serializer::{Deserializer, Json, Serializer};
//! use serde_json::{json, Value};
//!
//! let quote = json!({"股票代码": "600519", "昨日收盘价": 1725.5});
//! let bytes = Json.serialize("quotes", &quote)?;
//! let back: Value = Json.deserialize("quotes", &bytes)?;
//! assert_eq!(back, quote);
//! # Ok::<(), kafkit_client::serializer::SerdeError>(())
//! ```

use std::fmt;

use bytes::Bytes;

/// Which way a [`SerdeError`] happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Turning a key or value into bytes, before sending.
    Serialize,
    /// Turning received bytes into a key or value.
    Deserialize,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Serialize => "serialize",
            Direction::Deserialize => "deserialize",
        })
    }
}

/// A key or value that could not be serialized or deserialized.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {direction} a record of topic `{topic}` as {format}: {reason}")]
pub struct SerdeError {
    /// The record's topic.
    pub topic: String,
    /// Which way it failed.
    pub direction: Direction,
    /// The format expected: `JSON`, `UTF-8 text`, ...
    pub format: &'static str,
    /// What is wrong (for JSON, with line and column).
    pub reason: String,
}

impl SerdeError {
    /// An error for a record of `topic` that failed `direction` as `format`.
    pub fn new(topic: &str, direction: Direction, format: &'static str, reason: impl fmt::Display) -> Self {
        SerdeError { topic: topic.to_string(), direction, format, reason: reason.to_string() }
    }
}

/// Turns a `T` into the bytes of a record's key or value.
///
/// Implementations must be thread-safe: a producer is shared between threads.
pub trait Serializer<T>: Send + Sync {
    /// The bytes of `value`, for a record of `topic`.
    fn serialize(&self, topic: &str, value: &T) -> Result<Bytes, SerdeError>;
}

/// Turns the bytes of a record's key or value into a `T`. The consumer calls it for non-null
/// keys and values only.
pub trait Deserializer<T>: Send + Sync {
    /// The `T` in `data`, from a record of `topic`.
    fn deserialize(&self, topic: &str, data: &Bytes) -> Result<T, SerdeError>;
}

/// Bytes as they are, text as UTF-8 (Java's `ByteArraySerializer` and `StringSerializer`).
/// Serializing never fails; deserializing a `String` fails on invalid UTF-8.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Raw;

impl Serializer<Bytes> for Raw {
    fn serialize(&self, _topic: &str, value: &Bytes) -> Result<Bytes, SerdeError> {
        Ok(value.clone())
    }
}

impl Serializer<Vec<u8>> for Raw {
    fn serialize(&self, _topic: &str, value: &Vec<u8>) -> Result<Bytes, SerdeError> {
        Ok(Bytes::copy_from_slice(value))
    }
}

impl Serializer<&[u8]> for Raw {
    fn serialize(&self, _topic: &str, value: &&[u8]) -> Result<Bytes, SerdeError> {
        Ok(Bytes::copy_from_slice(value))
    }
}

impl Serializer<String> for Raw {
    fn serialize(&self, _topic: &str, value: &String) -> Result<Bytes, SerdeError> {
        Ok(Bytes::copy_from_slice(value.as_bytes()))
    }
}

impl Serializer<&str> for Raw {
    fn serialize(&self, _topic: &str, value: &&str) -> Result<Bytes, SerdeError> {
        Ok(Bytes::copy_from_slice(value.as_bytes()))
    }
}

impl Deserializer<Bytes> for Raw {
    /// The same bytes, without copying.
    fn deserialize(&self, _topic: &str, data: &Bytes) -> Result<Bytes, SerdeError> {
        Ok(data.clone())
    }
}

impl Deserializer<Vec<u8>> for Raw {
    fn deserialize(&self, _topic: &str, data: &Bytes) -> Result<Vec<u8>, SerdeError> {
        Ok(data.to_vec())
    }
}

impl Deserializer<String> for Raw {
    fn deserialize(&self, topic: &str, data: &Bytes) -> Result<String, SerdeError> {
        std::str::from_utf8(data)
            .map(str::to_string)
            .map_err(|e| SerdeError::new(topic, Direction::Deserialize, "UTF-8 text", e))
    }
}

/// Any `serde` type as UTF-8 JSON (non-ASCII characters written as themselves, not `\u`
/// escapes — both decode to the same text).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json;

impl<T: serde::Serialize> Serializer<T> for Json {
    fn serialize(&self, topic: &str, value: &T) -> Result<Bytes, SerdeError> {
        serde_json::to_vec(value).map(Bytes::from).map_err(|e| SerdeError::new(topic, Direction::Serialize, "JSON", e))
    }
}

impl<T: serde::de::DeserializeOwned> Deserializer<T> for Json {
    /// Parses UTF-8 JSON (invalid UTF-8 is an error too, as Python's `decode('utf-8')`).
    fn deserialize(&self, topic: &str, data: &Bytes) -> Result<T, SerdeError> {
        serde_json::from_slice(data).map_err(|e| SerdeError::new(topic, Direction::Deserialize, "JSON", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};
    use std::collections::BTreeMap;

    /// The reference usage's stock quote, with its Chinese keys.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Quote {
        #[serde(rename = "股票代码")]
        code: String,
        #[serde(rename = "昨日收盘价")]
        previous_close: f64,
    }

    fn raw_ser<T>(value: T) -> Bytes
    where
        Raw: Serializer<T>,
    {
        Raw.serialize("t", &value).unwrap()
    }

    #[test]
    fn raw_passes_bytes_and_text_through() {
        let b = Bytes::from_static(b"\x00\xffabc");
        assert_eq!(raw_ser(b.clone()), b);
        assert_eq!(raw_ser(b.to_vec()), b);
        assert_eq!(raw_ser(&b[..]), b);
        assert_eq!(raw_ser("股票".to_string()), Bytes::from("股票".as_bytes()));
        assert_eq!(raw_ser("股票"), Bytes::from("股票".as_bytes()));

        let d: Bytes = Raw.deserialize("t", &b).unwrap();
        assert_eq!(d.as_ptr(), b.as_ptr(), "no copy");
        let v: Vec<u8> = Raw.deserialize("t", &b).unwrap();
        assert_eq!(v, b"\x00\xffabc");
        let s: String = Raw.deserialize("t", &Bytes::from("昨日收盘价")).unwrap();
        assert_eq!(s, "昨日收盘价");
    }

    #[test]
    fn invalid_utf8_names_the_topic() {
        let err =
            <Raw as Deserializer<String>>::deserialize(&Raw, "quotes", &Bytes::from_static(b"ok\xff")).unwrap_err();
        assert_eq!((err.topic.as_str(), err.direction, err.format), ("quotes", Direction::Deserialize, "UTF-8 text"));
        let msg = err.to_string();
        assert!(msg.contains("quotes") && msg.contains("deserialize") && msg.contains("UTF-8"), "{msg}");
    }

    #[test]
    fn json_round_trips_non_ascii_keys() {
        let quote = Quote { code: "600519".into(), previous_close: 1725.5 };
        let bytes = Json.serialize("quotes", &quote).unwrap();
        // What Python's json.dumps(m, ensure_ascii=False).encode('utf-8') gives (the keys in
        // UTF-8 as they are).
        assert_eq!(std::str::from_utf8(&bytes).unwrap(), r#"{"股票代码":"600519","昨日收盘价":1725.5}"#);
        let back: Quote = Json.deserialize("quotes", &bytes).unwrap();
        assert_eq!(back, quote);

        // kafka-python's json.dumps(m).encode('utf-8') escapes non-ASCII by default
        // (ensure_ascii=True): the same text once parsed.
        let python =
            Bytes::from_static(br#"{"\u80a1\u7968\u4ee3\u7801": "600519", "\u6628\u65e5\u6536\u76d8\u4ef7": 1725.5}"#);
        let from_python: Quote = Json.deserialize("quotes", &python).unwrap();
        assert_eq!(from_python, quote);
        let as_map: BTreeMap<String, serde_json::Value> = Json.deserialize("quotes", &python).unwrap();
        assert!(as_map.contains_key("股票代码"), "{as_map:?}");
    }

    #[test]
    fn json_errors_name_the_topic_and_the_problem() {
        let err =
            <Json as Deserializer<Quote>>::deserialize(&Json, "quotes", &Bytes::from_static(b"{\"x\": 1")).unwrap_err();
        assert_eq!((err.topic.as_str(), err.direction, err.format), ("quotes", Direction::Deserialize, "JSON"));
        assert!(err.to_string().contains("line 1"), "{err}");

        let err =
            <Json as Deserializer<Quote>>::deserialize(&Json, "quotes", &Bytes::from_static(b"\"\xff\"")).unwrap_err();
        assert!(err.to_string().contains("quotes"), "{err}");

        // A map with non-string keys cannot be JSON.
        let bad: BTreeMap<Vec<u8>, i32> = BTreeMap::from([(vec![1], 1)]);
        let err = Json.serialize("quotes", &bad).unwrap_err();
        assert_eq!((err.direction, err.format), (Direction::Serialize, "JSON"));
        assert!(err.to_string().starts_with("cannot serialize a record of topic `quotes` as JSON"), "{err}");
    }

    #[test]
    fn serializers_are_usable_as_trait_objects() {
        let s: Box<dyn Serializer<String>> = Box::new(Raw);
        assert_eq!(s.serialize("t", &"x".to_string()).unwrap(), Bytes::from_static(b"x"));
        let d: Box<dyn Deserializer<serde_json::Value>> = Box::new(Json);
        assert_eq!(d.deserialize("t", &Bytes::from_static(b"[1]")).unwrap(), serde_json::json!([1]));
    }
}
