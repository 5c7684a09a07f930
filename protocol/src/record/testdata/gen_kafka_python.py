# Writes record batches with kafka-python's builders, every codec, as fixtures for kafkit's
# record tests (record/interop.rs): another client's encoders, checked against kafkit's decoders.
#
#   python -m venv venv && venv/bin/pip install kafka-python==3.0.12 cramjam lz4 zstandard \
#       python-snappy xxhash
#   venv/bin/python gen_kafka_python.py .
#
# kafka-python writes snappy in the xerial framing, lz4 with lz4.frame (with a content size, linked
# blocks) and, for magic 0, with the broken header checksum of Kafka 0.8/0.9 (KAFKA-3160).
import sys, os
from kafka.record.default_records import DefaultRecordBatchBuilder
from kafka.record.legacy_records import LegacyRecordBatchBuilder

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
names = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}
TS = 1700000000000

def records():
    # (offset, timestamp, key, value, headers)
    return [
        (0, TS, None, b"first value", []),
        (1, TS + 7, b"key-1", b"second value " * 20, [("h1", b"v1"), ("\u80a1\u7968", None)]),
        (2, TS - 3, b"", None, [("empty", b"")]),
    ]

for codec, name in names.items():
    b = DefaultRecordBatchBuilder(magic=2, compression_type=codec, is_transactional=(codec == 4),
                                  producer_id=4242 if codec == 4 else -1,
                                  producer_epoch=3 if codec == 4 else -1,
                                  base_sequence=17 if codec == 4 else -1, batch_size=1 << 20)
    for off, ts, k, v, hs in records():
        b.append(off, timestamp=ts, key=k, value=v, headers=hs)
    data = bytes(b.build())
    # kafka-python writes base offset 0; move it to 1000 (not covered by the CRC).
    data = (1000).to_bytes(8, "big") + data[8:]
    open(f"{out}/kafka_python_v2_{name}.bin", "wb").write(data)

for magic in (0, 1):
    for codec in (0, 1, 2, 3):
        b = LegacyRecordBatchBuilder(magic=magic, compression_type=codec, batch_size=1 << 20)
        # As a broker stores them at offsets 500-502: uncompressed messages and magic 0 inner
        # messages carry absolute offsets, magic 1 inner messages relative ones (0-2), and a
        # wrapper the offset of its last inner message (not covered by the CRC).
        relative = codec != 0 and magic == 1
        for off, ts, k, v, hs in records():
            b.append(off if relative else 500 + off, timestamp=ts, key=k, value=v)
        data = bytes(b.build())
        if codec != 0:
            data = (502).to_bytes(8, "big") + data[8:]
        open(f"{out}/kafka_python_v{magic}_{names[codec]}.bin", "wb").write(data)
