//! Records: the v2 record batch (magic 2) with CRC-32C and every codec, the legacy message sets
//! (magic 0 and 1), control records, and the builder a producer appends into.
//!
//! # Reading
//!
//! A Fetch response hands each partition's records as one [`bytes::Bytes`] blob. [`Batches`]
//! walks it batch by batch, checking each batch's lengths and CRC and detecting its format;
//! records are decoded lazily from [`Batch::records`]. Keys, values and headers are slices of the
//! blob (of the single decompressed buffer for a compressed batch): no copy, and no allocation
//! per record except the headers `Vec` of a record that has headers.
//!
//! ```
//! use bytes::Bytes;
//! use kafkit_protocol::record::{Batches, Compression, Header, RecordBatchBuilder};
//!
//! let mut b = RecordBatchBuilder::new(100).with_compression(Compression::Zstd);
//! b.append(1_700_000_000_000, Some(b"k"), Some(b"v1"), &[]).unwrap();
//! b.append(1_700_000_000_005, None, Some(b"v2"), &[Header::new("h", None)]).unwrap();
//! let blob: Bytes = b.finish().unwrap();
//!
//! for batch in Batches::new(blob) {
//!     let batch = batch.unwrap();
//!     if batch.is_control() {
//!         continue; // transaction markers
//!     }
//!     for record in batch.records().unwrap() {
//!         let record = record.unwrap();
//!         assert!(record.offset == 100 || record.offset == 101);
//!     }
//! }
//! ```
//!
//! Errors say where and in what: a corrupt batch gives a [`crate::DecodeErrorKind::CrcMismatch`]
//! in context `record batch at offset N`; callers add the topic and partition with
//! [`crate::DecodeError::context`].
//!
//! # Writing
//!
//! [`RecordBatchBuilder`] encodes records straight into the batch buffer, knows its size as it
//! grows, and compresses and checksums the batch in [`RecordBatchBuilder::finish`]. Control
//! batches come from [`ControlRecord::to_batch`]; legacy message sets (for a broker answering old
//! fetch versions) from [`LegacyMessageSetBuilder`].
//!
//! # Limits
//!
//! Decoding never panics and never allocates from a length field before the bytes it announces
//! are there; decompression is capped ([`DecodeOptions::max_decompressed_size`], 256 MiB by
//! default).

mod attributes;
mod batch;
mod builder;
pub mod compression;
mod control;
mod fetched;
#[cfg(test)]
mod interop;
mod iter;
mod legacy;
mod options;
#[allow(clippy::module_inception)]
mod record;
mod scan;

pub use attributes::TimestampType;
pub use batch::{
    set_base_offset, set_partition_leader_epoch, set_producer_state, RecordBatch, RecordIter, LOG_OVERHEAD,
    MAGIC_OFFSET, MAGIC_V2, RECORD_BATCH_OVERHEAD,
};
pub use builder::RecordBatchBuilder;
pub use compression::{Compression, ParseCompressionError, DEFAULT_MAX_DECOMPRESSED_SIZE};
pub use control::{ControlRecord, ControlRecordType};
pub use fetched::PartitionBatches;
pub use iter::{Batch, BatchRecords, Batches, BlobRecords};
pub use legacy::{LegacyBatch, LegacyMessageSetBuilder, LegacyRecords, MAGIC_V0, MAGIC_V1};
pub use options::DecodeOptions;
pub use record::{Header, Record};
pub use scan::{scan_batches, BatchScan};
