#!/usr/bin/env python3
"""librdkafka round trip, once per compression codec.

For each codec (none, gzip, snappy, lz4, zstd): creates topic PREFIX-CODEC with CreateTopics (or
uses it if it exists already, empty, with that many partitions), produces COUNT keyed records
with headers and explicit CreateTime timestamps (acks=all, compression.type=CODEC, a long linger.ms so
that everything goes at flush(): one batch of many records per partition), flushes and checks every delivery report succeeded with an
offset, contiguous per partition from the partition's start. Then a consumer assigned to every
partition from the beginning (no subscription, no commits) reads them back and checks keys,
values, headers, timestamps, timestamp types and offsets exactly, that nothing else arrives, and
that the partition EOF comes at the high watermark. The high watermarks are also asked for with
ListOffsets (query_watermark_offsets) and must equal the end offsets.

The records are deterministic (seeded): some have null keys or values, empty values, repeated or
null-valued headers, timestamps that go backwards, values of up to about 20 KB. Each also has a
300-byte repetitive header, so that any batch of them compresses (see PAD).

The JSON summary lists, per codec, the topic and every produced record (partition, offset,
timestamp, hex key/value, headers) so that the caller can compare them with the broker's log.

--quirks tansu: skips the ListOffsets high-watermark check (Tansu answers "latest" with the last
batch's base offset + 1).
"""
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ScenarioFailed, Scenario, poll_data, record_json  # noqa: E402

from confluent_kafka import OFFSET_BEGINNING, TIMESTAMP_CREATE_TIME, Consumer, Producer, TopicPartition  # noqa: E402

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
BASE_TS = 1_700_000_000_000

# Every record carries this header, so that every batch librdkafka may form compresses: it sends
# a batch uncompressed when compressing would not make it smaller (rdkafka_msgset_writer.c), and
# where it splits the records into batches depends on its threads' timing. With the padding, each
# record compresses on its own, so the caller can insist that every batch uses the codec.
PAD = b"padding so that any batch compresses; " * 8

WORDS = [b"alpha", b"bravo", b"charlie", b"delta", b"echo", b"foxtrot", b"golf", b"hotel", b"india", b"juliet"]


def make_records(topic, codec, count, partitions, seed):
    rng = random.Random(f"{seed}-{codec}")
    out = []
    for i in range(count):
        key = None if i % 23 == 7 else f"key-{i:05d}".encode()
        kind = i % 11
        if kind == 3:
            value = None  # a tombstone
        elif kind == 5:
            value = b""
        elif kind == 8:
            value = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 300)))  # incompressible
        elif i % 97 == 50:
            value = b"".join(rng.choice(WORDS) for _ in range(4000))[:20_000]  # a big one
        else:
            value = b" ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 40))) + f" #{i}".encode()
        headers = [("idx", str(i).encode()), ("codec", codec.encode()), ("pad", PAD)]
        if i % 4 == 1:
            headers.append(("dup", b"first"))
            headers.append(("dup", b"second"))
        if i % 6 == 2:
            headers.append(("null-valued", None))
        if i % 9 == 4:
            headers.append(("empty", b""))
        # Mostly increasing, sometimes backwards (a negative delta from the batch's first).
        ts = BASE_TS + i * 10 + (-5_000 if i % 13 == 12 else 0)
        out.append({
            "topic": topic, "partition": i % partitions, "key": key, "value": value,
            "headers": headers, "timestamp": ts,
        })
    return out


def norm_headers(h):
    return [(k, v) for k, v in (h or [])]


def run_codec(sc, codec, args):
    topic = f"{args.topic_prefix}-{codec}"
    sc.ensure_topic(topic, args.partitions)
    records = make_records(topic, codec, args.count, args.partitions, args.seed)

    producer = Producer(sc.config(
        f"producer-{codec}",
        **{
            "acks": "all",
            "compression.type": codec,
            "enable.idempotence": False,
            "linger.ms": 5000,  # everything goes at flush(), which ignores linger: one batch per partition
            "batch.num.messages": 1000,
            "message.timeout.ms": 30000,
        }))
    placed = sc.produce_all(producer, records, f"produce {codec}")
    sc.log(f"{codec}: {len(placed)} records delivered")

    # Offsets: per partition, contiguous in produce order.
    start = {}
    expected = {}  # (partition, offset) -> record
    for r, (p, off) in zip(records, placed):
        if p not in start:
            start[p] = off
            nxt = off
        else:
            nxt = max(o for (pp, o) in expected if pp == p) + 1
        if off != nxt:
            raise ScenarioFailed(f"{codec}: {topic}[{p}]: record delivered at offset {off}, expected {nxt}")
        expected[(p, off)] = r
    end = {p: max(o for (pp, o) in expected if pp == p) + 1 for p in start}
    if any(v != 0 for v in start.values()):
        sc.log(f"{codec}: note: partitions did not start at offset 0: {start}")

    # Read back from the beginning.
    consumer = Consumer(sc.config(
        f"consumer-{codec}",
        **{
            "group.id": f"{topic}-reader",  # required by the client; never joined or committed
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "enable.partition.eof": True,
            "auto.offset.reset": "error",
            "fetch.wait.max.ms": 100,  # requests queue behind a long-polling Fetch on its connection
        }))
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(args.partitions)])
    got = {}
    eof = {}
    try:
        while len(got) < len(expected) or len(eof) < args.partitions:
            if sc.remaining() < 1.0:
                missing = sorted(set(expected) - set(got))
                raise ScenarioFailed(
                    f"{codec}: consumed {len(got)}/{len(expected)} records (first missing {missing[:5]}), "
                    f"EOF on {sorted(eof)} of {args.partitions} partitions before the deadline")
            msg = poll_data(consumer, eof, f"{codec}: ")
            if msg is None:
                continue
            at = (msg.partition(), msg.offset())
            if at in got:
                raise ScenarioFailed(f"{codec}: {topic}[{at[0]}] offset {at[1]} delivered twice")
            if at not in expected:
                raise ScenarioFailed(f"{codec}: unexpected record at {topic}[{at[0]}] offset {at[1]} "
                                     f"(key {msg.key()!r}); produced offsets are {start}..{end}")
            want = expected[at]
            checks = [
                ("key", msg.key(), want["key"]),
                ("value", msg.value(), want["value"]),
                ("headers", norm_headers(msg.headers()), norm_headers(want["headers"])),
                ("timestamp", msg.timestamp(), (TIMESTAMP_CREATE_TIME, want["timestamp"])),
            ]
            for what, have, exp in checks:
                if have != exp:
                    raise ScenarioFailed(f"{codec}: {topic}[{at[0]}] offset {at[1]}: {what} is {have!r}, "
                                         f"produced {exp!r}")
            got[at] = True
        sc.log(f"{codec}: consumed {len(got)} records, EOF at {eof}")
        # Nothing more must arrive.
        t_end = time.monotonic() + 0.5
        while time.monotonic() < t_end:
            msg = consumer.poll(0.1)
            if msg is not None and not msg.error():
                raise ScenarioFailed(f"{codec}: extra record at {topic}[{msg.partition()}] offset {msg.offset()}")
        for p in range(args.partitions):
            want_eof = end.get(p, start.get(p, 0))
            if eof.get(p) != want_eof and p in end:
                raise ScenarioFailed(f"{codec}: partition EOF of {topic}[{p}] at offset {eof.get(p)}, "
                                     f"expected the end offset {want_eof}")
        sc.log(f"{codec}: nothing more arrived")
        # High watermarks through ListOffsets.
        watermarks = {}
        for p in range(args.partitions):
            lo, hi = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=5, cached=False)
            watermarks[p] = [lo, hi]
            if p in end and hi != end[p]:
                if sc.tansu:
                    sc.log(f"{codec}: (tansu quirk) ListOffsets latest of {topic}[{p}] is {hi}, not {end[p]}")
                else:
                    raise ScenarioFailed(f"{codec}: ListOffsets says the high watermark of {topic}[{p}] is {hi}, "
                                         f"expected {end[p]}")
            if p in start and lo != start[p]:
                raise ScenarioFailed(f"{codec}: ListOffsets says the log start of {topic}[{p}] is {lo}, "
                                     f"expected {start[p]}")
    finally:
        consumer.close()
    sc.log(f"{codec}: read back {len(got)} records exactly")
    return {
        "topic": topic,
        "partitions": args.partitions,
        "produced": len(records),
        "end_offsets": {str(p): o for p, o in sorted(end.items())},
        "watermarks": {str(p): w for p, w in sorted(watermarks.items())},
        "records": [record_json(r, p, off) for r, (p, off) in zip(records, placed)],
    }


def main(sc):
    args = sc.args
    out = {}
    for codec in args.codecs.split(","):
        if codec not in CODECS:
            raise ScenarioFailed(f"unknown codec {codec}")
        out[codec] = run_codec(sc, codec, args)
    return {"codecs": out}


if __name__ == "__main__":
    sc = Scenario("produce_consume", __doc__.splitlines()[0])
    sc.parser.add_argument("--topic-prefix", default=f"pc-{int(time.time())}", help="topics are PREFIX-CODEC")
    sc.parser.add_argument("--partitions", type=int, default=3)
    sc.parser.add_argument("--count", type=int, default=300, help="records per codec")
    sc.parser.add_argument("--codecs", default=",".join(CODECS))
    sc.parser.add_argument("--seed", default="kafkit")
    sc.parse()
    sc.run(main)
