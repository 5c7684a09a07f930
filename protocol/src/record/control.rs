//! Control records: the transaction markers (commit, abort) a transaction coordinator writes into
//! each partition of a transaction when it ends.
//!
//! A control record lives alone in a control batch (attributes bit 5, and bit 4 transactional).
//! Its key is `version: i16` (0) and `type: i16` (0 abort, 1 commit; KRaft uses more); the value of
//! a transaction marker is `version: i16` (0) and `coordinatorEpoch: i32`.

use bytes::{BufMut, Bytes};

use super::record::Record;
use super::RecordBatchBuilder;
use crate::error::{DecodeError, DecodeErrorKind, DecodeResult, EncodeResult};

/// The type of a control record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ControlRecordType {
    /// The transaction was aborted (type 0): its records must be skipped by `read_committed`
    /// consumers.
    Abort,
    /// The transaction was committed (type 1).
    Commit,
    /// Another type (KRaft's leader change and snapshot markers, or a future one); consumers skip
    /// it like any control record.
    Other(i16),
}

impl ControlRecordType {
    /// The type's id.
    pub fn id(self) -> i16 {
        match self {
            Self::Abort => 0,
            Self::Commit => 1,
            Self::Other(id) => id,
        }
    }

    /// The type with this id.
    pub fn from_id(id: i16) -> Self {
        match id {
            0 => Self::Abort,
            1 => Self::Commit,
            other => Self::Other(other),
        }
    }

    /// Whether this is a transaction marker (abort or commit).
    pub fn is_transaction_marker(self) -> bool {
        matches!(self, Self::Abort | Self::Commit)
    }
}

/// A decoded control record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ControlRecord {
    /// What the record marks.
    pub kind: ControlRecordType,
    /// The epoch of the transaction coordinator that wrote a transaction marker (-1 for other
    /// control records, whose values kafkit does not interpret).
    pub coordinator_epoch: i32,
}

/// The version of the control record key and of the transaction marker value kafkit writes.
const CURRENT_VERSION: i16 = 0;

impl ControlRecord {
    /// A commit marker.
    pub fn commit(coordinator_epoch: i32) -> Self {
        Self { kind: ControlRecordType::Commit, coordinator_epoch }
    }

    /// An abort marker.
    pub fn abort(coordinator_epoch: i32) -> Self {
        Self { kind: ControlRecordType::Abort, coordinator_epoch }
    }

    /// The record's key: version 0 and the type.
    pub fn key_bytes(&self) -> [u8; 4] {
        let mut k = [0u8; 4];
        let mut w = &mut k[..];
        w.put_i16(CURRENT_VERSION);
        w.put_i16(self.kind.id());
        k
    }

    /// The value of a transaction marker: version 0 and the coordinator epoch.
    pub fn value_bytes(&self) -> [u8; 6] {
        let mut v = [0u8; 6];
        let mut w = &mut v[..];
        w.put_i16(CURRENT_VERSION);
        w.put_i32(self.coordinator_epoch);
        v
    }

    /// Reads the control record in `record` (a record of a control batch).
    ///
    /// The key must hold a non-negative version and a type; newer key versions are read the same
    /// way, as the Java client does. For transaction markers the value must hold a version and the
    /// coordinator epoch (later versions may append fields, which are ignored).
    pub fn decode(record: &Record) -> DecodeResult<Self> {
        let context = || format!("control record at offset {}", record.offset);
        let key = record
            .key
            .as_deref()
            .ok_or_else(|| DecodeError::new(DecodeErrorKind::UnexpectedNull, 0).context(context()))?;
        let (version, kind) = match key {
            [v0, v1, t0, t1, ..] => {
                (i16::from_be_bytes([*v0, *v1]), ControlRecordType::from_id(i16::from_be_bytes([*t0, *t1])))
            }
            _ => {
                return Err(DecodeError::new(DecodeErrorKind::Truncated { needed: 4, remaining: key.len() }, 0)
                    .context(format!("{} key", context())))
            }
        };
        if version < 0 {
            return Err(DecodeError::new(
                DecodeErrorKind::Invalid(format!("control record key version {version}").into()),
                0,
            )
            .context(context()));
        }
        if !kind.is_transaction_marker() {
            return Ok(Self { kind, coordinator_epoch: -1 });
        }
        let value = record.value.as_deref().unwrap_or_default();
        match value {
            [v0, v1, e0, e1, e2, e3, ..] if i16::from_be_bytes([*v0, *v1]) >= 0 => {
                Ok(Self { kind, coordinator_epoch: i32::from_be_bytes([*e0, *e1, *e2, *e3]) })
            }
            [v0, v1, _, _, _, _, ..] => Err(DecodeError::new(
                DecodeErrorKind::Invalid(
                    format!("transaction marker value version {}", i16::from_be_bytes([*v0, *v1])).into(),
                ),
                0,
            )
            .context(context())),
            _ => Err(DecodeError::new(DecodeErrorKind::Truncated { needed: 6, remaining: value.len() }, 0)
                .context(format!("{} value", context()))),
        }
    }

    /// A control batch holding this marker, as a transaction coordinator has the partition leader
    /// write it: one record at `offset`, control and transactional bits set, the producer's id and
    /// epoch, no sequence.
    pub fn to_batch(
        &self,
        offset: i64,
        producer_id: i64,
        producer_epoch: i16,
        timestamp: i64,
        partition_leader_epoch: i32,
    ) -> EncodeResult<Bytes> {
        let mut b = RecordBatchBuilder::with_capacity(offset, 96)
            .with_control(true)
            .with_transactional(true)
            .with_partition_leader_epoch(partition_leader_epoch);
        b.set_producer_state(producer_id, producer_epoch, -1);
        b.append(timestamp, Some(&self.key_bytes()), Some(&self.value_bytes()), &[])?;
        b.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::RecordBatch;

    #[test]
    fn golden_key_and_value() {
        assert_eq!(ControlRecord::commit(5).key_bytes(), [0, 0, 0, 1]);
        assert_eq!(ControlRecord::abort(5).key_bytes(), [0, 0, 0, 0]);
        assert_eq!(ControlRecord::abort(258).value_bytes(), [0, 0, 0, 0, 1, 2]);
    }

    #[test]
    fn marker_batches_round_trip() {
        for marker in [ControlRecord::commit(3), ControlRecord::abort(-1)] {
            let bytes = marker.to_batch(77, 9000, 2, 1234, 5).unwrap();
            let batch = RecordBatch::decode(bytes).unwrap();
            assert!(batch.is_control());
            assert!(batch.is_transactional());
            assert_eq!(batch.producer_id, 9000);
            assert_eq!(batch.producer_epoch, 2);
            assert_eq!(batch.base_sequence, -1);
            assert_eq!(batch.partition_leader_epoch, 5);
            let records = batch.to_records().unwrap();
            assert_eq!(records.len(), 1);
            assert_eq!(records[0].offset, 77);
            assert_eq!(records[0].timestamp, 1234);
            assert_eq!(ControlRecord::decode(&records[0]).unwrap(), marker);
        }
    }

    #[test]
    fn other_types_and_bad_records() {
        let rec = |key: Option<&'static [u8]>, value: Option<&'static [u8]>| Record {
            key: key.map(Bytes::from_static),
            value: value.map(Bytes::from_static),
            ..Record::default()
        };
        let leader_change = ControlRecord::decode(&rec(Some(&[0, 0, 0, 2]), Some(b"xyz"))).unwrap();
        assert_eq!(leader_change.kind, ControlRecordType::Other(2));
        assert_eq!(leader_change.coordinator_epoch, -1);
        // A newer key version with extra bytes reads the same.
        let newer = ControlRecord::decode(&rec(Some(&[0, 1, 0, 1, 9]), Some(&[0, 1, 0, 0, 0, 7, 8])));
        assert_eq!(newer.unwrap(), ControlRecord::commit(7));
        for (k, v) in [
            (None, Some(&[0u8, 0, 0, 0, 0, 0][..])),
            (Some(&[0u8, 0, 0][..]), None),
            (Some(&[0xff, 0xff, 0, 1][..]), Some(&[0u8, 0, 0, 0, 0, 0][..])),
            (Some(&[0, 0, 0, 1][..]), None),
            (Some(&[0, 0, 0, 1][..]), Some(&[0, 0, 0, 0, 0][..])),
            (Some(&[0, 0, 0, 0][..]), Some(&[0xff, 0xff, 0, 0, 0, 0][..])),
        ] {
            assert!(ControlRecord::decode(&rec(k, v)).is_err(), "{k:?} {v:?}");
        }
    }
}
