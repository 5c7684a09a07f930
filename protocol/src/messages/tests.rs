//! Property tests for every message at every version kafkit implements: a random value valid
//! for the version encodes to exactly `encoded_size` bytes, decodes back to itself, re-encodes to
//! the same bytes, and every strict prefix of those bytes fails to decode (without panicking).

use bytes::Bytes;
use proptest::prelude::*;

use super::*;
use crate::codec::gen::{Gen, Generate};
use crate::codec::Ctx;

fn roundtrip<M: Message + Generate>(seed: u64, check_prefixes: bool) {
    for version in M::MIN_VERSION..=M::MAX_VERSION {
        let mut g = Gen::new(seed.wrapping_add(version as u64));
        let ctx = Ctx { version, flexible: M::is_flexible(version), nullable: false };
        let msg = M::generate(&mut g, ctx);
        let bytes = msg.to_bytes(version).unwrap_or_else(|e| panic!("{} v{version}: encode: {e}", M::NAME));
        assert_eq!(bytes.len(), msg.encoded_size(version), "{} v{version}: encoded_size", M::NAME);
        let back = M::from_bytes(bytes.clone(), version)
            .unwrap_or_else(|e| panic!("{} v{version}: decode: {e}\n{msg:?}", M::NAME));
        assert_eq!(back, msg, "{} v{version}: decoded value differs", M::NAME);
        assert_eq!(back.to_bytes(version).unwrap(), bytes, "{} v{version}: re-encoding differs", M::NAME);
        if check_prefixes {
            for cut in 0..bytes.len() {
                assert!(
                    M::from_bytes(bytes.slice(..cut), version).is_err(),
                    "{} v{version}: a {cut}-byte prefix of {} bytes decoded",
                    M::NAME,
                    bytes.len()
                );
            }
        }
    }
}

macro_rules! roundtrip_all {
    ($(($api:ident, $req:ident, $resp:ident)),* $(,)?) => {
        fn roundtrip_every_message(seed: u64, check_prefixes: bool) {
            $(
                roundtrip::<$req>(seed, check_prefixes);
                roundtrip::<$resp>(seed, check_prefixes);
            )*
        }
    };
}
for_each_api!(roundtrip_all);

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_message_roundtrips_at_every_version(seed in any::<u64>()) {
        roundtrip_every_message(seed, false);
    }

    #[test]
    fn every_prefix_of_every_message_is_rejected(seed in any::<u64>()) {
        roundtrip_every_message(seed, true);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..256), key in 0usize..IMPLEMENTED.len(), v in 0i16..20) {
        let (api, _, _) = IMPLEMENTED[key];
        let bytes = Bytes::from(data);
        let _ = RequestBody::decode(api, v, &mut crate::codec::Reader::new(bytes.clone()));
        let _ = ResponseBody::decode(api, v, &mut crate::codec::Reader::new(bytes));
    }
}

#[test]
fn unknown_tagged_fields_survive() {
    use crate::codec::RawTaggedField;
    let resp = MetadataResponse {
        unknown_tagged_fields: vec![
            RawTaggedField { tag: 7, data: Bytes::from_static(b"\x01\x02") },
            RawTaggedField { tag: 9000, data: Bytes::new() },
        ],
        ..Default::default()
    };
    let bytes = resp.to_bytes(12).unwrap();
    let back = MetadataResponse::from_bytes(bytes, 12).unwrap();
    assert_eq!(back.unknown_tagged_fields, resp.unknown_tagged_fields);
}

#[test]
fn null_in_a_non_nullable_version_is_an_encode_error() {
    // MetadataRequest.topics may be null only from v1; at v0 null is not representable.
    let req = MetadataRequest { topics: None, ..Default::default() };
    let err = req.to_bytes(0).unwrap_err();
    assert!(err.to_string().contains("MetadataRequest.topics"), "{err}");
    assert!(req.to_bytes(1).is_ok());
}

#[test]
fn unsupported_versions_are_errors() {
    assert!(ProduceRequest::default().to_bytes(ProduceRequest::MAX_VERSION + 1).is_err());
    assert!(ProduceRequest::from_bytes(Bytes::new(), -1).is_err());
}

#[test]
fn defaults_follow_the_declarations() {
    let p = fetch_response::PartitionData::default();
    assert_eq!((p.last_stable_offset, p.log_start_offset, p.preferred_read_replica), (-1, -1, -1));
    // A v3 response has no last_stable_offset on the wire: it decodes as the default.
    let resp = FetchResponse {
        responses: vec![fetch_response::FetchableTopicResponse {
            topic: "t".into(),
            partitions: vec![p.clone()],
            ..Default::default()
        }],
        ..Default::default()
    };
    let back = FetchResponse::from_bytes(resp.to_bytes(3).unwrap(), 3).unwrap();
    assert_eq!(back.responses[0].partitions[0].last_stable_offset, -1);
}
