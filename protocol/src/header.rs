//! Request and response headers, the rule that picks their versions, and whole frames.
//!
//! Every request starts with a [`RequestHeader`] (v1, or v2 in flexible versions, which adds
//! tagged fields; v0 — no client id — only for ControlledShutdown v0) and every response with a
//! [`ResponseHeader`] (v0, or v1 in flexible versions) — except ApiVersions responses, which
//! always use v0 so that a client can read them before it knows what the broker speaks.
//!
//! On the wire each frame is preceded by its size as a big-endian `i32`; [`write_request`] and
//! [`write_response`] write it, and the `read_*` functions take a frame without it.

use bytes::{BufMut, Bytes, BytesMut};

use crate::codec::{put_raw_tagged, put_uvarint, raw_tagged_size, uvarint_len, RawTaggedField, Reader};
use crate::error::{DecodeResult, EncodeError, EncodeResult};
use crate::messages::{Message, Request, RequestBody, ResponseBody, IMPLEMENTED};
use crate::ApiKey;

/// The header of every request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestHeader {
    /// The API key of the request (kept raw so that a broker can answer unknown keys).
    pub api_key: i16,
    /// The version of the request body.
    pub api_version: i16,
    /// Echoed in the response so that the client can match it to this request.
    pub correlation_id: i32,
    /// The client's id, for the broker's logs and quotas (header v1+). Always a classic
    /// (non-compact) nullable string, even in header v2.
    pub client_id: Option<String>,
    /// Tagged fields (header v2+) this crate does not know.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

/// The header of every response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResponseHeader {
    /// The correlation id of the request this answers.
    pub correlation_id: i32,
    /// Tagged fields (header v1+) this crate does not know.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

/// The first flexible version of an API kafkit implements, `None` for other APIs.
pub fn flexible_from(api_key: ApiKey) -> Option<i16> {
    macro_rules! table {
        ($(($api:ident, $req:ident, $resp:ident)),* $(,)?) => {
            match api_key {
                $( ApiKey::$api => Some(<crate::messages::$req as Message>::FLEXIBLE_FROM), )*
                _ => None,
            }
        };
    }
    crate::for_each_api!(table)
}

fn is_flexible(api_key: ApiKey, api_version: i16) -> bool {
    flexible_from(api_key).is_some_and(|f| api_version >= f)
}

/// The request header version for `api_version` of `api_key`: 2 in flexible versions, 0 for
/// ControlledShutdown v0, 1 otherwise.
pub fn request_header_version(api_key: ApiKey, api_version: i16) -> i16 {
    if is_flexible(api_key, api_version) {
        2
    } else if api_key == ApiKey::ControlledShutdown && api_version == 0 {
        0
    } else {
        1
    }
}

/// The response header version for `api_version` of `api_key`: 1 in flexible versions, 0
/// otherwise and always for ApiVersions.
pub fn response_header_version(api_key: ApiKey, api_version: i16) -> i16 {
    if api_key != ApiKey::ApiVersions && is_flexible(api_key, api_version) {
        1
    } else {
        0
    }
}

fn tagged_size(fields: &[RawTaggedField]) -> usize {
    uvarint_len(fields.len() as u32) + fields.iter().map(raw_tagged_size).sum::<usize>()
}

fn put_tagged(buf: &mut impl BufMut, fields: &[RawTaggedField]) {
    put_uvarint(buf, fields.len() as u32);
    for f in fields {
        put_raw_tagged(buf, f);
    }
}

fn read_tagged(r: &mut Reader) -> DecodeResult<Vec<RawTaggedField>> {
    let n = r.uvarint()?;
    r.check_len(i64::from(n), 2)?;
    let mut out = Vec::new();
    for _ in 0..n {
        let tag = r.uvarint()?;
        let size = r.uvarint()? as usize;
        out.push(RawTaggedField { tag, data: r.bytes(size)? });
    }
    Ok(out)
}

impl RequestHeader {
    /// Writes the header at `header_version` (0, 1 or 2).
    pub fn encode(&self, buf: &mut impl BufMut, header_version: i16) -> EncodeResult<()> {
        buf.put_i16(self.api_key);
        buf.put_i16(self.api_version);
        buf.put_i32(self.correlation_id);
        if header_version >= 1 {
            match &self.client_id {
                Some(id) => {
                    let len = i16::try_from(id.len()).map_err(|_| EncodeError::TooLong {
                        what: "client_id",
                        length: id.len(),
                        max: i16::MAX as usize,
                    })?;
                    buf.put_i16(len);
                    buf.put_slice(id.as_bytes());
                }
                None => buf.put_i16(-1),
            }
        }
        if header_version >= 2 {
            put_tagged(buf, &self.unknown_tagged_fields);
        }
        Ok(())
    }

    /// The size [`RequestHeader::encode`] writes.
    pub fn encoded_size(&self, header_version: i16) -> usize {
        let mut n = 8;
        if header_version >= 1 {
            n += 2 + self.client_id.as_ref().map_or(0, String::len);
        }
        if header_version >= 2 {
            n += tagged_size(&self.unknown_tagged_fields);
        }
        n
    }

    /// Reads a header whose version follows from its own API key and version (as a broker
    /// does). Unknown API keys are read as header v1.
    pub fn decode(r: &mut Reader) -> DecodeResult<Self> {
        let mut peek = r.clone();
        let api_key = peek.i16()?;
        let api_version = peek.i16()?;
        let version = ApiKey::from_i16(api_key).map_or(1, |k| request_header_version(k, api_version));
        Self::decode_version(r, version)
    }

    /// Reads a header at `header_version`.
    pub fn decode_version(r: &mut Reader, header_version: i16) -> DecodeResult<Self> {
        let ctx = |e: crate::DecodeError| e.context("RequestHeader");
        let api_key = r.i16().map_err(ctx)?;
        let api_version = r.i16().map_err(ctx)?;
        let correlation_id = r.i32().map_err(ctx)?;
        let mut h = RequestHeader { api_key, api_version, correlation_id, ..Default::default() };
        if header_version >= 1 {
            h.client_id = match r.string_len(false).map_err(ctx)? {
                Some(n) => Some(r.string_of_len(n).map_err(ctx)?),
                None => None,
            };
        }
        if header_version >= 2 {
            h.unknown_tagged_fields = read_tagged(r).map_err(ctx)?;
        }
        Ok(h)
    }
}

impl ResponseHeader {
    /// Writes the header at `header_version` (0 or 1).
    pub fn encode(&self, buf: &mut impl BufMut, header_version: i16) {
        buf.put_i32(self.correlation_id);
        if header_version >= 1 {
            put_tagged(buf, &self.unknown_tagged_fields);
        }
    }

    /// The size [`ResponseHeader::encode`] writes.
    pub fn encoded_size(&self, header_version: i16) -> usize {
        4 + if header_version >= 1 { tagged_size(&self.unknown_tagged_fields) } else { 0 }
    }

    /// Reads a header at `header_version`.
    pub fn decode(r: &mut Reader, header_version: i16) -> DecodeResult<Self> {
        let ctx = |e: crate::DecodeError| e.context("ResponseHeader");
        let correlation_id = r.i32().map_err(ctx)?;
        let unknown_tagged_fields = if header_version >= 1 { read_tagged(r).map_err(ctx)? } else { Vec::new() };
        Ok(ResponseHeader { correlation_id, unknown_tagged_fields })
    }
}

/// Writes a whole request frame — size prefix, header, body — for `version` of `R`.
pub fn write_request<R: Request>(
    buf: &mut BytesMut,
    correlation_id: i32,
    client_id: Option<&str>,
    version: i16,
    body: &R,
) -> EncodeResult<()> {
    let header = RequestHeader {
        api_key: R::API_KEY.as_i16(),
        api_version: version,
        correlation_id,
        client_id: client_id.map(str::to_owned),
        unknown_tagged_fields: Vec::new(),
    };
    let hv = request_header_version(R::API_KEY, version);
    write_frame(buf, "request", header.encoded_size(hv), |b| header.encode(b, hv), body, version)
}

/// Writes a whole response frame — size prefix, header, body — answering `version` of the
/// request with `correlation_id`.
pub fn write_response<M: Message>(buf: &mut BytesMut, correlation_id: i32, version: i16, body: &M) -> EncodeResult<()> {
    let header = ResponseHeader { correlation_id, unknown_tagged_fields: Vec::new() };
    let hv = response_header_version(M::API_KEY, version);
    let write_header = |b: &mut BytesMut| {
        header.encode(b, hv);
        Ok(())
    };
    write_frame(buf, "response", header.encoded_size(hv), write_header, body, version)
}

/// Size prefix, header (written by `header`, `header_size` bytes), body at `version`.
fn write_frame<M: Message>(
    buf: &mut BytesMut,
    what: &'static str,
    header_size: usize,
    header: impl FnOnce(&mut BytesMut) -> EncodeResult<()>,
    body: &M,
    version: i16,
) -> EncodeResult<()> {
    if !M::supports(version) {
        return Err(EncodeError::UnsupportedVersion {
            message: M::NAME,
            version,
            min: M::MIN_VERSION,
            max: M::MAX_VERSION,
        });
    }
    let size = header_size + body.encoded_size(version);
    let size32 =
        i32::try_from(size).map_err(|_| EncodeError::TooLong { what, length: size, max: i32::MAX as usize })?;
    buf.reserve(4 + size);
    buf.put_i32(size32);
    header(buf)?;
    body.encode(buf, version)
}

/// Reads a response frame (without its size prefix) to a request `R` sent at `version`.
/// The body must fill the frame exactly.
pub fn read_response<R: Request>(frame: Bytes, version: i16) -> DecodeResult<(ResponseHeader, R::Response)> {
    let mut r = Reader::new(frame);
    let header = ResponseHeader::decode(&mut r, response_header_version(R::API_KEY, version))?;
    let body = <R::Response as Message>::decode(&mut r, version)?;
    r.finish().map_err(|e| e.context(R::Response::NAME))?;
    Ok((header, body))
}

/// Reads any request frame (without its size prefix), dispatching on its API key, as a broker
/// does.
///
/// Bytes after a complete body are ignored, as Kafka brokers ignore them: librdkafka 2.16 sends
/// three stray bytes after some Metadata v12 requests (see the `librdkafka-admin` capture in the
/// test fixtures). [`read_request_strict`] rejects them.
pub fn read_request(frame: Bytes) -> DecodeResult<(RequestHeader, RequestBody)> {
    read_request_in(&mut Reader::new(frame))
}

/// Like [`read_request`], but bytes after the body are an error.
pub fn read_request_strict(frame: Bytes) -> DecodeResult<(RequestHeader, RequestBody)> {
    let mut r = Reader::new(frame);
    let out = read_request_in(&mut r)?;
    r.finish().map_err(|e| e.context("request body"))?;
    Ok(out)
}

fn read_request_in(r: &mut Reader) -> DecodeResult<(RequestHeader, RequestBody)> {
    let header = RequestHeader::decode(r)?;
    let api = ApiKey::from_i16(header.api_key)
        .filter(|k| IMPLEMENTED.iter().any(|(i, _, _)| i == k))
        .ok_or_else(|| r.invalid(format!("unknown or unimplemented API key {}", header.api_key)))?;
    let body = RequestBody::decode(api, header.api_version, r)?;
    Ok((header, body))
}

/// Reads any response frame (without its size prefix) to a request of `api_key` at `version`.
pub fn read_response_body(api_key: ApiKey, version: i16, frame: Bytes) -> DecodeResult<(ResponseHeader, ResponseBody)> {
    let mut r = Reader::new(frame);
    let header = ResponseHeader::decode(&mut r, response_header_version(api_key, version))?;
    let body = ResponseBody::decode(api_key, version, &mut r)?;
    r.finish().map_err(|e| e.context("response body"))?;
    Ok((header, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{ApiVersionsRequest, ApiVersionsResponse, MetadataRequest};

    #[test]
    fn header_versions_follow_flexible_versions() {
        assert_eq!(request_header_version(ApiKey::Metadata, 8), 1);
        assert_eq!(request_header_version(ApiKey::Metadata, 9), 2);
        assert_eq!(response_header_version(ApiKey::Metadata, 9), 1);
        assert_eq!(response_header_version(ApiKey::Metadata, 8), 0);
        assert_eq!(request_header_version(ApiKey::ApiVersions, 3), 2);
        assert_eq!(response_header_version(ApiKey::ApiVersions, 3), 0);
        assert_eq!(request_header_version(ApiKey::ControlledShutdown, 0), 0);
        assert_eq!(request_header_version(ApiKey::SaslHandshake, 1), 1);
    }

    #[test]
    fn api_versions_v3_request_golden_bytes() {
        // ApiVersions v3 as Kafka's protocol guide lays it out: size, api_key 18, version 3,
        // correlation id 1, client_id "kafkit" (classic string even in header v2), empty tagged
        // fields; body: compact strings client_software_name "kafkit" and version "0.1.0",
        // empty tagged fields.
        let expected: &[u8] = &[
            0, 0, 0, 31, // size
            0, 18, 0, 3, 0, 0, 0, 1, // api key, version, correlation id
            0, 6, b'k', b'a', b'f', b'k', b'i', b't', // client_id
            0,    // header tagged fields
            7, b'k', b'a', b'f', b'k', b'i', b't', // compact string (len + 1)
            6, b'0', b'.', b'1', b'.', b'0', // compact string
            0,    // body tagged fields
        ];
        let req = ApiVersionsRequest {
            client_software_name: "kafkit".into(),
            client_software_version: "0.1.0".into(),
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        write_request(&mut buf, 1, Some("kafkit"), 3, &req).unwrap();
        assert_eq!(&buf[..], expected);
        let (h, body) = read_request(buf.freeze().slice(4..)).unwrap();
        assert_eq!((h.api_key, h.api_version, h.correlation_id, h.client_id.as_deref()), (18, 3, 1, Some("kafkit")));
        assert_eq!(body, RequestBody::ApiVersions(req));
    }

    #[test]
    fn api_versions_response_uses_header_v0() {
        let resp = ApiVersionsResponse { error_code: 35, ..Default::default() };
        let mut buf = BytesMut::new();
        write_response(&mut buf, 7, 3, &resp).unwrap();
        // size, correlation id, then straight into the body (error_code) with no tagged-field byte.
        assert_eq!(&buf[4..10], &[0, 0, 0, 7, 0, 35]);
        let (h, back) = read_response::<ApiVersionsRequest>(buf.freeze().slice(4..), 3).unwrap();
        assert_eq!(h.correlation_id, 7);
        assert_eq!(back, resp);
    }

    #[test]
    fn metadata_v12_frame_roundtrip() {
        let req = MetadataRequest { topics: None, allow_auto_topic_creation: true, ..Default::default() };
        let mut buf = BytesMut::new();
        write_request(&mut buf, 42, None, 12, &req).unwrap();
        let frame = buf.freeze();
        assert_eq!(frame.len() - 4, i32::from_be_bytes(frame[..4].try_into().unwrap()) as usize);
        let (h, body) = read_request(frame.slice(4..)).unwrap();
        assert_eq!(h.correlation_id, 42);
        assert_eq!(h.client_id, None);
        assert_eq!(body, RequestBody::Metadata(req));
    }

    #[test]
    fn bad_frames_are_errors() {
        assert!(read_request(Bytes::from_static(&[0, 18])).is_err());
        assert!(read_request(Bytes::from_static(&[0x7f, 0, 0, 0, 0, 0, 0, 1, 0, 0])).is_err());
        // Trailing bytes after a complete body: tolerated as brokers do, unless strict.
        let mut buf = BytesMut::new();
        write_request(&mut buf, 1, None, 0, &ApiVersionsRequest::default()).unwrap();
        buf.put_u8(0);
        let frame = buf.freeze().slice(4..);
        assert!(read_request(frame.clone()).is_ok());
        assert!(read_request_strict(frame).is_err());
    }
}
