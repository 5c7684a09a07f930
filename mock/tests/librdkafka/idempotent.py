#!/usr/bin/env python3
"""librdkafka idempotent producer: exactly once, in order, per partition.

Creates TOPIC with PARTITIONS partitions (or uses it if it exists, empty), produces COUNT records
round-robin over the partitions with enable.idempotence=true (acks=all, up to 5 requests in
flight per broker, small batches so that there are many), flushes, and checks every delivery
succeeded, in produce order per partition, at contiguous offsets. Then reads every partition from
the beginning and checks there are exactly COUNT records, each once, in produce order per
partition, with the produced keys and values.

Faults the caller injected into the broker (errors, dropped connections, leaders moved or brokers
stopped while --chunk/--pause-ms spread the production over time) are expected to be retried by
librdkafka; the summary reports the retries and errors librdkafka counted (from its
statistics) so that the caller can check that the faults were hit.

--quirks tansu: none needed.
"""
import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ScenarioFailed, Scenario, hexb, poll_data  # noqa: E402

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition  # noqa: E402


def main(sc):
    args = sc.args
    sc.ensure_topic(args.topic, args.partitions)
    records = []
    for i in range(args.count):
        records.append({
            "topic": args.topic, "partition": i % args.partitions,
            "key": f"k{i}".encode(), "value": f"idempotent record {i:06d}".encode(),
            "headers": [("seq", str(i).encode())], "timestamp": 0,  # 0: now
        })

    stats = {"last": None}
    lock = threading.Lock()

    def on_stats(s):
        with lock:
            stats["last"] = json.loads(s)

    producer = Producer(sc.config(
        "producer",
        **{
            "enable.idempotence": True,
            "acks": "all",
            "max.in.flight.requests.per.connection": 5,
            "linger.ms": 5,
            "batch.num.messages": args.batch,
            "message.timeout.ms": int(max(5000, (sc.remaining() - 5) * 1000)),
            "retry.backoff.ms": 50,
            "statistics.interval.ms": 100,
            "stats_cb": on_stats,
        }))
    placed = sc.produce_all(producer, records, "idempotent produce", chunk=args.chunk, pause=args.pause_ms / 1000)
    # One more poll so that the final statistics arrive.
    t_end = time.monotonic() + 0.3
    while time.monotonic() < t_end:
        producer.poll(0.1)
    with lock:
        st = stats["last"] or {}
    brokers = st.get("brokers", {}).values()
    retries = sum(b.get("txretries", 0) for b in brokers)
    tx_errs = sum(b.get("txerrs", 0) for b in brokers)
    disconnects = sum(b.get("disconnects", 0) for b in brokers)
    eos = st.get("eos", {})
    sc.log(f"delivered {len(placed)}; librdkafka stats: txretries={retries} txerrs={tx_errs} "
           f"disconnects={disconnects} eos={eos}")

    # Delivery: per partition in produce order at contiguous offsets.
    per_part = {}
    for i, (p, off) in enumerate(placed):
        lst = per_part.setdefault(p, [])
        if lst and off != lst[-1][1] + 1:
            raise ScenarioFailed(f"record {i} delivered at {args.topic}[{p}] offset {off}, "
                                 f"after offset {lst[-1][1]}: not contiguous in produce order")
        lst.append((i, off))
    start = {p: lst[0][1] for p, lst in per_part.items()}
    end = {p: lst[-1][1] + 1 for p, lst in per_part.items()}

    consumer = Consumer(sc.config(
        "consumer",
        **{
            "group.id": f"{args.topic}-reader",  # required by the client; never joined or committed
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "enable.partition.eof": True,
            "auto.offset.reset": "error",
            "fetch.wait.max.ms": 100,  # requests queue behind a long-polling Fetch on its connection
        }))
    consumer.assign([TopicPartition(args.topic, p, OFFSET_BEGINNING) for p in range(args.partitions)])
    seen = {}  # partition -> [(offset, index)]
    total = 0
    eof = {}
    try:
        while total < args.count or any(eof.get(p) != end[p] for p in end):
            if sc.remaining() < 1.0:
                raise ScenarioFailed(f"consumed {total}/{args.count} records; EOF at {eof}, end offsets {end}")
            msg = poll_data(consumer, eof, "")
            if msg is None:
                continue
            p, off = msg.partition(), msg.offset()
            hdr = dict(msg.headers() or [])
            try:
                i = int(hdr["seq"])
            except (KeyError, ValueError):
                raise ScenarioFailed(f"{args.topic}[{p}] offset {off}: record without a seq header: {msg.headers()}")
            lst = seen.setdefault(p, [])
            if any(j == i for _, j in lst):
                raise ScenarioFailed(f"record {i} is stored twice in {args.topic}[{p}] (again at offset {off})")
            if lst and i <= lst[-1][1]:
                raise ScenarioFailed(f"{args.topic}[{p}]: record {i} at offset {off} comes after record "
                                     f"{lst[-1][1]}: out of produce order")
            if i >= args.count or records[i]["partition"] != p:
                raise ScenarioFailed(f"{args.topic}[{p}] offset {off}: record {i} does not belong here")
            if msg.key() != records[i]["key"] or msg.value() != records[i]["value"]:
                raise ScenarioFailed(f"{args.topic}[{p}] offset {off}: key/value {msg.key()!r}/{msg.value()!r}, "
                                     f"produced {records[i]['key']!r}/{records[i]['value']!r}")
            if off != placed[i][1]:
                raise ScenarioFailed(f"record {i} read at {args.topic}[{p}] offset {off}, "
                                     f"its delivery report said {placed[i][1]}")
            lst.append((off, i))
            total += 1
        t_end = time.monotonic() + 0.5
        while time.monotonic() < t_end:
            msg = consumer.poll(0.1)
            if msg is not None and not msg.error():
                raise ScenarioFailed(f"extra record at {args.topic}[{msg.partition()}] offset {msg.offset()}")
    finally:
        consumer.close()
    sc.log(f"read back exactly {total} records, in order, no duplicates")
    return {
        "topic": args.topic,
        "partitions": args.partitions,
        "produced": args.count,
        "consumed": total,
        "start_offsets": {str(p): o for p, o in sorted(start.items())},
        "end_offsets": {str(p): o for p, o in sorted(end.items())},
        "stats": {"txretries": retries, "txerrs": tx_errs, "disconnects": disconnects,
                  "producer_id": eos.get("producer_id"), "producer_epoch": eos.get("producer_epoch"),
                  "idemp_state": eos.get("idemp_state")},
        "records": [{"partition": p, "offset": off, "key": hexb(records[i]["key"]),
                     "value": hexb(records[i]["value"])} for i, (p, off) in enumerate(placed)],
    }


if __name__ == "__main__":
    sc = Scenario("idempotent", __doc__.splitlines()[0])
    sc.parser.add_argument("--topic", default=f"idem-{int(time.time())}")
    sc.parser.add_argument("--partitions", type=int, default=4)
    sc.parser.add_argument("--count", type=int, default=2000)
    sc.parser.add_argument("--batch", type=int, default=50, help="batch.num.messages (default 50)")
    sc.parser.add_argument("--chunk", type=int, default=0,
                           help="pause after every CHUNK records (default 0: produce all at once)")
    sc.parser.add_argument("--pause-ms", type=int, default=0, help="the pause, in ms")
    sc.parse()
    sc.run(main)
