//! Any bytes as the records of a Fetch response partition: batches of any magic, any codec.
//! Must iterate or fail cleanly; a v2 batch that decodes must re-encode to one that decodes to
//! the same records. Decompression is capped low so that bombs are found, not run.
#![no_main]

use bytes::Bytes;
use kafkit_protocol::record::{compression, Batch, Batches, Compression, DecodeOptions, RecordBatch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = DecodeOptions::default().with_max_decompressed_size(1 << 20);
    let unchecked = options.clone().with_verify_crc(false);
    for opts in [options, unchecked] {
        for batch in Batches::with_options(Bytes::copy_from_slice(data), opts) {
            let Ok(batch) = batch else { break };
            let Ok(records) = batch.to_records() else { continue };
            if let Batch::V2(b) = &batch {
                let again = RecordBatch::decode_with(
                    b.to_bytes().expect("a decoded batch re-encodes"),
                    &DecodeOptions::default().with_max_decompressed_size(1 << 20),
                )
                .expect("a re-encoded batch decodes");
                assert_eq!(again.to_records().expect("its records decode"), records);
            }
        }
    }
    for codec in Compression::ALL {
        let _ = compression::decompress(codec, data, 1 << 20);
    }
});
