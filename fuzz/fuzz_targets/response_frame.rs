//! Any bytes as a response frame to any API at any version, as a client reads a (possibly
//! hostile) broker's answer: must decode or fail cleanly; what decodes must round-trip.
#![no_main]

use bytes::{Bytes, BytesMut};
use kafkit_protocol::header::{read_response_body, response_header_version};
use kafkit_protocol::messages::IMPLEMENTED;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [pick, version, frame @ ..] = data else { return };
    let (api, lo, hi) = IMPLEMENTED[*pick as usize % IMPLEMENTED.len()];
    let version = lo + (*version as i16 % (hi - lo + 1));
    let Ok((header, body)) = read_response_body(api, version, Bytes::copy_from_slice(frame)) else { return };
    let mut buf = BytesMut::new();
    header.encode(&mut buf, response_header_version(api, version));
    body.encode(&mut buf, version).expect("a decoded body re-encodes");
    let (h2, b2) = read_response_body(api, version, buf.freeze()).expect("re-encoded response decodes");
    assert_eq!(h2, header);
    assert_eq!(b2, body);
});
