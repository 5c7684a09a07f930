//! The records of one partition of a Fetch response, with errors that name the partition.

use super::{Batch, Batches, DecodeOptions};
use crate::error::DecodeResult;
use crate::messages::fetch_response::PartitionData;

/// The batches of a fetched partition; every error names `topic[partition]` and the batch offset
/// (e.g. `decoding partition quotes[3] > record batch at offset 42 failed at byte 21: CRC
/// mismatch ...`).
pub struct PartitionBatches {
    inner: Batches,
    context: String,
}

impl PartitionData {
    /// Iterates over the record batches of this partition of topic `topic`.
    pub fn batches(&self, topic: &str) -> PartitionBatches {
        self.batches_with(topic, DecodeOptions::default())
    }

    /// Like [`PartitionData::batches`], with decoding options (CRC checks, decompression cap).
    pub fn batches_with(&self, topic: &str, options: DecodeOptions) -> PartitionBatches {
        PartitionBatches {
            inner: Batches::with_options(self.records.clone().unwrap_or_default(), options),
            context: format!("partition {topic}[{}]", self.partition_index),
        }
    }
}

impl PartitionBatches {
    /// Bytes of a batch the broker cut short at the end of the response (normal; fetch again
    /// from the next offset).
    pub fn truncated_bytes(&self) -> usize {
        self.inner.truncated_bytes()
    }
}

impl Iterator for PartitionBatches {
    type Item = DecodeResult<Batch>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.inner.next()?.map_err(|e| e.context(self.context.clone())))
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::record::RecordBatchBuilder;
    use crate::DecodeErrorKind;

    #[test]
    fn a_corrupt_batch_names_its_partition_and_offset() {
        let mut b = RecordBatchBuilder::new(42);
        b.append(0, None, Some(b"600000 10.31"), &[]).unwrap();
        let mut bytes = b.finish().unwrap().to_vec();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        let p = PartitionData { partition_index: 3, records: Some(Bytes::from(bytes)), ..Default::default() };
        let err = p.batches("quotes").next().unwrap().unwrap_err();
        assert!(matches!(err.kind(), DecodeErrorKind::CrcMismatch { .. }), "{err}");
        let text = err.to_string();
        assert!(text.contains("quotes[3]") && text.contains("offset 42"), "{text}");
    }

    #[test]
    fn good_batches_pass_through() {
        let mut b = RecordBatchBuilder::new(0);
        b.append(0, Some(b"k"), Some(b"v"), &[]).unwrap();
        let p = PartitionData { partition_index: 0, records: Some(b.finish().unwrap()), ..Default::default() };
        let batches: Vec<_> = p.batches("t").collect::<Result<_, _>>().unwrap();
        assert_eq!(batches.len(), 1);
    }
}
