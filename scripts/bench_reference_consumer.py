#!/usr/bin/env python3
"""The reference for benches/consumer_throughput.rs: the same workload with confluent-kafka
(Python over librdkafka), so kafkit is compared against librdkafka measured in the same session.

    PY="$(bash scripts/pyenv.sh)"
    "$PY" scripts/bench_reference_consumer.py --brokers 127.0.0.1:29192 --records 5000000

Each run is a fresh consumer in a fresh group (group.id unique to the run, subscribe,
enable.auto.commit=true, auto.offset.reset=earliest, librdkafka's default assignors), or with
--no-group one that assigns every partition from the beginning and commits nothing. Against a
real broker (one that answers CreateTopics) a fresh topic is first filled with --records records
of --size bytes by librdkafka's producer, outside the window; the sink serves records for any
offset, so nothing is produced there.

The window, as kafkit's: from the first record returned to the application to the N-th. The
records of the first consume() call start the clock and are not counted; every later record
is, until N in all have come. Records come from consume(num_messages=--batch) calls (one Python
list per call); each is checked for an error and its value's length added up. librdkafka's
defaults but for fetch.queue.backoff.ms=0 (see run_once); --conf sets any property.

Reported per run and as the median: records/s, MB/s of values (10^6 bytes) and the process's
CPU time (user + sys of every thread, getrusage) over the window per record counted. The last
line, `RESULT key=value ...`, is for scripts/bench_consumer.sh.
"""

import os
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition, OFFSET_BEGINNING

from bench_reference import common_args, cpu_seconds, create_topic, report


def unique(prefix):
    return f"{prefix}-{os.getpid()}-{time.time_ns()}"


def fill(args, topic):
    """Produces --records records of --size bytes into topic, outside any window."""
    p = Producer({
        "bootstrap.servers": args.brokers,
        "client.id": "librdkafka-bench-fill",
        "acks": "1",
        "linger.ms": 5,
        "batch.size": 1048576,
        "enable.idempotence": False,
        "queue.buffering.max.messages": max(args.records + 1000, 100000),
        "queue.buffering.max.kbytes": 2097151,
        "message.max.bytes": 1048576 + 65536,
    })
    failed = []

    def on_error(err, msg):
        if err is not None:
            failed.append(err)

    value = b"x" * args.size
    t0 = time.perf_counter()
    for i in range(args.records):
        try:
            p.produce(topic, value, on_delivery=on_error)
        except BufferError:
            p.poll(0.01)
            p.produce(topic, value, on_delivery=on_error)
        if i & 0x3FFF == 0:
            p.poll(0)
    left = p.flush(120)
    if left or failed:
        raise SystemExit(f"filling {topic}: {left} records not delivered, {len(failed)} failed "
                         f"(first: {failed[0] if failed else None})")
    print(f"  (filled {topic} with {args.records} records of {args.size} B in "
          f"{time.perf_counter() - t0:.3f} s)", flush=True)


def run_once(args, topic):
    conf = {
        "bootstrap.servers": args.brokers,
        "client.id": "librdkafka-bench",
        # librdkafka wants a group.id even to assign; without --no-group it is a fresh group.
        "group.id": unique("librdkafka-bench-group"),
        "auto.offset.reset": "earliest",
        "enable.auto.commit": args.group,
        "enable.partition.eof": False,
        # librdkafka (2.4 on) stops fetching a partition for fetch.queue.backoff.ms (default 1 s)
        # once its queue holds queued.min.messages (100,000) or queued.max.messages.kbytes: the
        # sink fills it at once, and that held librdkafka to 0.25 M records/s here with both
        # cores mostly idle. Without the backoff librdkafka is CPU-bound, which is what is compared.
        "fetch.queue.backoff.ms": 0,
    }
    conf.update(args.conf)
    began = time.perf_counter()
    c = Consumer(conf)
    if args.group:
        c.subscribe([topic])
    else:
        md = c.list_topics(topic, timeout=30)
        parts = sorted(md.topics[topic].partitions)
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])

    n = args.records
    count = nbytes = 0
    start = None  # (t0, cpu0, records and bytes of the first call)
    consume = c.consume
    batch = args.batch
    touch = args.touch
    last_progress = time.perf_counter()
    while count < n:
        msgs = consume(num_messages=batch, timeout=0.1)
        if not msgs:
            if time.perf_counter() - last_progress > args.stall_secs:
                raise SystemExit(f"no record for {args.stall_secs} s after {count}: does the topic have "
                                 f"{n} records? Is the group coordinator answering?")
            continue
        at = time.perf_counter()
        if touch:
            for m in msgs:
                if m.error() is not None:
                    raise SystemExit(f"consume: {m.error()}")
                nbytes += len(m.value())
        else:
            nbytes += len(msgs) * args.size
        count += len(msgs)
        if start is None:
            start = (at, cpu_seconds(), count, nbytes)
        last_progress = at
    end, cpu_end = time.perf_counter(), cpu_seconds()
    c.close()

    t0, cpu0, before, bytes_before = start
    records, values = count - before, nbytes - bytes_before
    if records == 0:
        raise SystemExit(f"all {count} records came in the first call: ask for more --records")
    seconds = end - t0
    cpu = cpu_end - cpu0
    r = {
        "seconds": seconds,
        "records_per_s": records / seconds,
        "mb_per_s": values / seconds / 1e6,
        "cpu_us_per_record": cpu * 1e6 / records,
        "value_size": nbytes / count,
    }
    print(f"  {records} records in {seconds:.3f} s (the first {before} of {count} outside the window, which "
          f"began {t0 - began:.3f} s after the consumer was created): {r['records_per_s'] / 1e6:.3f} M records/s, "
          f"{r['mb_per_s']:.1f} MB/s, CPU {r['cpu_us_per_record']:.3f} us/record ({cpu:.2f} s)", flush=True)
    return r


def main():
    ap = common_args(__doc__, size_help="value size of the records a real broker's topic is filled with (the "
                     "sink's values are its own --fetch-size)")
    ap.add_argument("--fill", choices=["auto", "yes", "no"], default="auto",
                    help="produce --records records first: auto = when the topic is new and the broker "
                         "has CreateTopics (not the sink)")
    ap.add_argument("--no-group", dest="group", action="store_false",
                    help="assign every partition (no commits) instead of subscribing in a fresh group")
    ap.add_argument("--batch", type=int, default=500, help="num_messages per consume() call "
                    "(default 500, as max.poll.records)")
    ap.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE",
                    help="a librdkafka consumer property (repeatable), e.g. fetch.queue.backoff.ms=0")
    ap.add_argument("--no-touch", dest="touch", action="store_false",
                    help="count the records of each call without looking at them (no error check, no "
                         "value length: MB/s then assumes --size): what the Python loop costs")
    ap.add_argument("--stall-secs", type=float, default=60)
    args = ap.parse_args()
    if args.records < 2 or args.runs < 1 or args.batch < 1:
        ap.error("--records must be at least 2, --runs and --batch at least 1")
    try:
        args.conf = dict(kv.split("=", 1) for kv in args.conf)
    except ValueError:
        ap.error("--conf takes KEY=VALUE")

    import confluent_kafka
    topic = args.topic or unique("librdkafka-bench")
    print(f"confluent-kafka {confluent_kafka.version()[0]} (librdkafka {confluent_kafka.libversion()[0]}) "
          f"<- {args.brokers}, topic {topic}: {args.runs} run(s) of {args.records} records, "
          f"{args.partitions} partitions, consume(num_messages={args.batch}), "
          f"{'a fresh group per run (subscribe, auto-commit)' if args.group else 'assign, no commits'}", flush=True)
    real = create_topic(args.brokers, topic, args.partitions)
    filled = {"auto": real and args.topic is None, "yes": True, "no": False}[args.fill]
    if filled:
        fill(args, topic)
    results = []
    for run in range(1, args.runs + 1):
        print(f"run {run}/{args.runs}:", flush=True)
        r = run_once(args, topic)
        if filled and r["value_size"] != args.size:
            raise SystemExit(f"values of {r['value_size']:.1f} B on average, but the topic was filled with "
                             f"{args.size} B")
        results.append(r)
    report(args, results, round(results[-1]["value_size"]), f"api=consume group={str(args.group).lower()}")


if __name__ == "__main__":
    sys.exit(main())
