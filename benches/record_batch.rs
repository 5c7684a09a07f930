//! Record batch encode and decode throughput, uncompressed and with every codec, for 1,000
//! records of 100 B and 100 records of 1 KB (the sizes of the project's end-to-end benchmarks).
//! Throughput is in bytes of record values.
//!
//! ```sh
//! cargo bench --bench record_batch
//! ```

use std::hint::black_box;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kafkit::protocol::record::{Batches, Compression, RecordBatchBuilder};

const CODECS: [Compression; 5] =
    [Compression::None, Compression::Gzip, Compression::Snappy, Compression::Lz4, Compression::Zstd];
const SHAPES: [(usize, usize); 2] = [(1000, 100), (100, 1000)];

/// Values that look like real payloads (JSON-ish text with varying digits), so that the codecs
/// have something realistic to compress.
fn values(count: usize, size: usize) -> Vec<Vec<u8>> {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    (0..count)
        .map(|i| {
            let mut v = format!(r#"{{"id":{i},"symbol":"600{:03}","price":"#, i % 1000).into_bytes();
            while v.len() < size {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                v.extend_from_slice(format!("{},", seed % 100_000).as_bytes());
            }
            v.truncate(size);
            v
        })
        .collect()
}

fn build(values: &[Vec<u8>], codec: Compression) -> Bytes {
    let mut b = RecordBatchBuilder::with_capacity(0, values.iter().map(|v| v.len() + 16).sum()).with_compression(codec);
    for (i, v) in values.iter().enumerate() {
        b.append(1_700_000_000_000 + i as i64, None, Some(v), &[]).unwrap();
    }
    b.finish().unwrap()
}

fn encode(c: &mut Criterion) {
    for (count, size) in SHAPES {
        let vals = values(count, size);
        let mut group = c.benchmark_group(format!("encode/{count}x{size}B"));
        group.throughput(Throughput::Bytes((count * size) as u64));
        for codec in CODECS {
            group.bench_with_input(BenchmarkId::from_parameter(codec), &vals, |b, vals| {
                b.iter(|| black_box(build(vals, codec)))
            });
        }
        group.finish();
    }
}

fn decode(c: &mut Criterion) {
    for (count, size) in SHAPES {
        let vals = values(count, size);
        let mut group = c.benchmark_group(format!("decode/{count}x{size}B"));
        group.throughput(Throughput::Bytes((count * size) as u64));
        for codec in CODECS {
            let blob = build(&vals, codec);
            group.bench_with_input(BenchmarkId::from_parameter(codec), &blob, |b, blob| {
                b.iter(|| {
                    let mut n = 0usize;
                    for batch in Batches::new(blob.clone()) {
                        for record in batch.unwrap().records().unwrap() {
                            n += record.unwrap().value.map_or(0, |v| v.len());
                        }
                    }
                    assert_eq!(n, count * size);
                    black_box(n)
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, encode, decode);
criterion_main!(benches);
