//! Any bytes as a group member's subscription or assignment (what other members send us).
#![no_main]

use bytes::Bytes;
use kafkit_protocol::consumer_protocol::{ConsumerProtocolAssignment, ConsumerProtocolSubscription};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let bytes = Bytes::copy_from_slice(data);
    if let Ok((v, sub)) = ConsumerProtocolSubscription::from_bytes(bytes.clone()) {
        let v = v.min(kafkit_protocol::consumer_protocol::MAX_VERSION);
        let again = ConsumerProtocolSubscription::from_bytes(sub.to_bytes(v).unwrap()).unwrap().1;
        assert_eq!(again, sub);
    }
    if let Ok((v, a)) = ConsumerProtocolAssignment::from_bytes(bytes) {
        let v = v.min(kafkit_protocol::consumer_protocol::MAX_VERSION);
        let again = ConsumerProtocolAssignment::from_bytes(a.to_bytes(v).unwrap()).unwrap().1;
        assert_eq!(again, a);
    }
});
