//! Any bytes as a request frame (without its size prefix), as a broker or the mock cluster reads
//! it: must decode or fail cleanly, and what decodes must re-encode to a frame that decodes to
//! the same value.
#![no_main]

use bytes::{Bytes, BytesMut};
use kafkit_protocol::header::{read_request, request_header_version};
use kafkit_protocol::ApiKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((header, body)) = read_request(Bytes::copy_from_slice(data)) else { return };
    let api = ApiKey::from_i16(header.api_key).expect("decoded requests have known keys");
    let mut buf = BytesMut::new();
    header.encode(&mut buf, request_header_version(api, header.api_version)).expect("header re-encodes");
    body.encode(&mut buf, header.api_version).expect("a decoded body re-encodes");
    let (h2, b2) = read_request(buf.freeze()).expect("re-encoded request decodes");
    assert_eq!(h2, header);
    assert_eq!(b2, body);
});
