//! The payloads consumer-group members exchange inside JoinGroup and SyncGroup: what each member
//! subscribes to ([`ConsumerProtocolSubscription`], the JoinGroup `metadata` of protocol type
//! `"consumer"`) and what the leader assigned to it ([`ConsumerProtocolAssignment`], the
//! SyncGroup `assignment`).
//!
//! Both are versioned (v0–v3) and prefixed on the wire by their version as an `i16`. As in the
//! Java client, a payload of a newer version than kafkit knows is read with the newest layout
//! kafkit knows and the fields it does not know are ignored: newer versions only append fields.
//! This is what lets kafkit, Java and librdkafka members share one group.

use bytes::{BufMut, Bytes, BytesMut};

use crate::codec::Reader;
use crate::error::{DecodeErrorKind, DecodeResult, EncodeError, EncodeResult};

kafka_struct! {
    /// A member's subscription: the JoinGroup metadata for protocol type `"consumer"`.
    ConsumerProtocolSubscription {
        /// The topics the member subscribes to.
        topics: Vec<String> = v(0+),
        /// Assignor-specific data (e.g. the sticky assignors' previous assignment).
        user_data: Option<Bytes> = v(0+) null(0+),
        /// The partitions the member owns now (v1+), for cooperative rebalancing.
        owned_partitions: Vec<TopicPartitions> = v(1+),
        /// The generation in which the member owned them (v2+); -1 if unknown.
        generation_id: i32 = v(2+) default(-1),
        /// The member's rack (v3+), for rack-aware assignment.
        rack_id: Option<String> = v(3+) null(3+),
    }
}

kafka_struct! {
    /// The leader's assignment to one member: the SyncGroup assignment for protocol type
    /// `"consumer"`.
    ConsumerProtocolAssignment {
        /// The partitions assigned to the member.
        assigned_partitions: Vec<TopicPartitions> = v(0+),
        /// Assignor-specific data.
        user_data: Option<Bytes> = v(0+) null(0+),
    }
}

kafka_struct! {
    /// A topic and some of its partitions.
    TopicPartitions {
        /// The topic name.
        topic: String = v(0+),
        /// The partition indexes.
        partitions: Vec<i32> = v(0+),
    }
}

/// The highest version of both payloads that kafkit knows.
pub const MAX_VERSION: i16 = 3;

fn encode_versioned(
    version: i16,
    size: usize,
    body: impl FnOnce(&mut BytesMut) -> EncodeResult<()>,
) -> EncodeResult<Bytes> {
    if !(0..=MAX_VERSION).contains(&version) {
        return Err(EncodeError::UnsupportedVersion { message: "ConsumerProtocol", version, min: 0, max: MAX_VERSION });
    }
    let mut buf = BytesMut::with_capacity(2 + size);
    buf.put_i16(version);
    body(&mut buf)?;
    Ok(buf.freeze())
}

/// Reads the version prefix; returns (version on the wire, version to decode with).
fn read_version(r: &mut Reader, what: &'static str) -> DecodeResult<(i16, i16)> {
    let version = r.i16().map_err(|e| e.context(what))?;
    if version < 0 {
        return Err(r.error(DecodeErrorKind::UnsupportedVersion { message: what, version }));
    }
    Ok((version, version.min(MAX_VERSION)))
}

impl ConsumerProtocolSubscription {
    /// Encodes with the version prefix, as JoinGroup metadata.
    pub fn to_bytes(&self, version: i16) -> EncodeResult<Bytes> {
        encode_versioned(version, self.fields_size(version, false), |b| self.encode_fields(b, version, false))
    }

    /// Decodes JoinGroup metadata; returns the version on the wire and the subscription.
    pub fn from_bytes(bytes: Bytes) -> DecodeResult<(i16, Self)> {
        let mut r = Reader::new(bytes);
        let (wire, v) = read_version(&mut r, "ConsumerProtocolSubscription")?;
        let sub = Self::decode_fields(&mut r, v, false).map_err(|e| e.context("ConsumerProtocolSubscription"))?;
        if wire <= MAX_VERSION {
            r.finish().map_err(|e| e.context("ConsumerProtocolSubscription"))?;
        }
        Ok((wire, sub))
    }
}

impl ConsumerProtocolAssignment {
    /// Encodes with the version prefix, as a SyncGroup assignment.
    pub fn to_bytes(&self, version: i16) -> EncodeResult<Bytes> {
        encode_versioned(version, self.fields_size(version, false), |b| self.encode_fields(b, version, false))
    }

    /// Decodes a SyncGroup assignment; returns the version on the wire and the assignment.
    /// An empty buffer (what a broker sends a member left out of the assignment) is an empty
    /// assignment.
    pub fn from_bytes(bytes: Bytes) -> DecodeResult<(i16, Self)> {
        if bytes.is_empty() {
            return Ok((0, Self::default()));
        }
        let mut r = Reader::new(bytes);
        let (wire, v) = read_version(&mut r, "ConsumerProtocolAssignment")?;
        let a = Self::decode_fields(&mut r, v, false).map_err(|e| e.context("ConsumerProtocolAssignment"))?;
        if wire <= MAX_VERSION {
            r.finish().map_err(|e| e.context("ConsumerProtocolAssignment"))?;
        }
        Ok((wire, a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::gen::{Gen, Generate};
    use crate::codec::Ctx;
    use proptest::prelude::*;

    #[test]
    fn subscription_v0_golden_bytes() {
        // version 0, topics ["t"], user_data null — as the Java client writes it.
        let bytes: &[u8] = &[0, 0, 0, 0, 0, 1, 0, 1, b't', 0xff, 0xff, 0xff, 0xff];
        let (v, sub) = ConsumerProtocolSubscription::from_bytes(Bytes::from_static(bytes)).unwrap();
        assert_eq!(v, 0);
        assert_eq!(sub.topics, vec!["t".to_string()]);
        assert_eq!(sub.user_data, None);
        assert_eq!(sub.generation_id, -1);
        assert_eq!(&sub.to_bytes(0).unwrap()[..], bytes);
    }

    #[test]
    fn newer_versions_are_read_with_the_newest_known_layout() {
        let sub = ConsumerProtocolSubscription {
            topics: vec!["a".into()],
            owned_partitions: vec![TopicPartitions { topic: "a".into(), partitions: vec![0, 2], ..Default::default() }],
            generation_id: 5,
            rack_id: Some("r1".into()),
            ..Default::default()
        };
        let mut bytes = BytesMut::from(&sub.to_bytes(3).unwrap()[..]);
        bytes[..2].copy_from_slice(&7i16.to_be_bytes());
        bytes.put_slice(b"future fields");
        let (v, back) = ConsumerProtocolSubscription::from_bytes(bytes.freeze()).unwrap();
        assert_eq!(v, 7);
        assert_eq!(back, sub);
    }

    #[test]
    fn negative_version_and_truncation_are_errors() {
        assert!(ConsumerProtocolAssignment::from_bytes(Bytes::from_static(&[0xff, 0xff])).is_err());
        assert!(ConsumerProtocolAssignment::from_bytes(Bytes::from_static(&[0, 0, 0, 0, 0, 1, 0])).is_err());
        assert_eq!(ConsumerProtocolAssignment::from_bytes(Bytes::new()).unwrap().1, Default::default());
    }

    proptest! {
        #[test]
        fn roundtrip_every_version(seed in any::<u64>()) {
            for version in 0..=MAX_VERSION {
                let ctx = Ctx { version, flexible: false, nullable: false };
                let mut g = Gen::new(seed);
                let mut sub = ConsumerProtocolSubscription::generate(&mut g, ctx);
                sub.unknown_tagged_fields.clear();
                let (v, back) = ConsumerProtocolSubscription::from_bytes(sub.to_bytes(version).unwrap()).unwrap();
                prop_assert_eq!(v, version);
                prop_assert_eq!(back, sub);
                let mut a = ConsumerProtocolAssignment::generate(&mut g, ctx);
                a.unknown_tagged_fields.clear();
                let (_, back) = ConsumerProtocolAssignment::from_bytes(a.to_bytes(version).unwrap()).unwrap();
                prop_assert_eq!(back, a);
            }
        }
    }
}
