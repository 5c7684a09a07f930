# Reads the batches kafkit's `write_samples_for_other_clients` test writes, with kafka-python
# (same setup as gen_kafka_python.py), checking CRCs, codecs and every record.
import glob, sys
from kafka.record.memory_records import MemoryRecords

TS = 1700000000000
def expected(base, magic):
    ts = (lambda t: None if magic == 0 else t)
    return [
        (base, ts(TS), None, b"first value", []),
        (base + 1, ts(TS + 7), b"key-1", b"second value " * 20,
         [("h1", b"v1"), ("\u80a1\u7968", None)] if magic == 2 else []),
        (base + 2, ts(TS - 3), b"", None, [("empty", b"")] if magic == 2 else []),
    ]

failures = 0
files = sorted(glob.glob(sys.argv[1] + "/kafkit_*.bin"))
for f in files:
    name = f.split("/")[-1][:-4]
    magic = int(name.split("_")[1][1])
    mr = MemoryRecords(open(f, "rb").read())
    got = []
    while True:
        b = mr.next_batch()
        if b is None:
            break
        assert b.validate_crc(), name
        for r in b:
            ts = r.timestamp if magic else None
            headers = [(k, v) for k, v in r.headers] if magic == 2 else []
            got.append((r.offset, ts, r.key, r.value, headers))
    if name.endswith("control"):
        ok = len(got) == 1 and got[0][0] == 1003 and got[0][2] == b"\0\0\0\1" and got[0][3] == b"\0\0\0\0\0\5"
    else:
        ok = got == expected(1000 if magic == 2 else 500, magic)
    print(("ok   " if ok else "FAIL ") + name)
    failures += not ok
print(f"{len(files) - failures} passed, {failures} failed")
sys.exit(1 if failures or not files else 0)
