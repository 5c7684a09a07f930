#!/usr/bin/env python3
"""The reference for benches/producer_throughput.rs: the same workload with confluent-kafka
(Python over librdkafka), so kafkit is compared against librdkafka measured in the same session.

    PY="$(bash scripts/pyenv.sh)"
    "$PY" scripts/bench_reference.py --brokers 127.0.0.1:29192 --records 1000000 --size 100

Per run (a fresh producer each time, warmed up by one record so that the connection and the
topic's metadata are there before the clock starts), the window is from the first produce() to
the last delivery report; every record must have been delivered. By default librdkafka reports
only failures to Python (delivery.report.only.error=true: a Python callback per record costs
more than librdkafka itself, 2.5x the time here) and the window ends when flush() returns, which
is when librdkafka has the last acknowledgement; `--dr global` / `--dr per-message` count every
record in a Python callback instead and end the window in the last one. Settings as the kafkit
benchmark: acks=1, linger.ms=5, batch.size=1048576, no compression, no idempotence, keyless
(librdkafka's default partitioner, sticky for keyless records), queue.buffering.max.messages
above the record count so that produce() never refuses a record.

Reported per run and as the median: records/s, MB/s of values (10^6 bytes) and the process's
CPU time (user + sys of every thread, getrusage) over the window per record. The last line,
`RESULT key=value ...`, is for scripts/bench_producer.sh.
"""

import argparse
import os
import resource
import statistics
import sys
import time

from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def create_topic(brokers, topic, partitions):
    """CreateTopics if the broker has it (the sink has not: it takes any topic). Returns whether
    the topic was created or already there (a real broker), False if CreateTopics failed."""
    admin = AdminClient({"bootstrap.servers": brokers})
    try:
        futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)],
                                      operation_timeout=30, request_timeout=30)
        for f in futures.values():
            f.result()
        return True
    except KafkaException as e:
        err = e.args[0]
        if err.name() == "TOPIC_ALREADY_EXISTS":
            return True
        print(f"(CreateTopics failed: {err}; assuming the broker takes topic {topic} as it is)",
              file=sys.stderr)
    except Exception as e:  # the sink does not answer CreateTopics at all
        print(f"(CreateTopics failed: {e}; assuming the broker takes topic {topic} as it is)", file=sys.stderr)
    return False


def run_once(args, topic, value):
    conf = {
        "bootstrap.servers": args.brokers,
        "client.id": "librdkafka-bench",
        "acks": str(args.acks),
        "linger.ms": args.linger_ms,
        "batch.size": args.batch_size,
        "compression.type": args.compression,
        "enable.idempotence": False,
        "queue.buffering.max.messages": max(args.records + 1000, 100000),
        "queue.buffering.max.kbytes": 2097151,  # librdkafka's maximum, 2 GiB
        "message.max.bytes": max(1000000, args.batch_size + 65536),
    }
    n = args.records
    state = {"ok": 0, "failed": 0, "first_error": None, "end": None, "cpu_end": None, "target": 1}

    def on_delivery(err, msg):
        if err is None:
            state["ok"] += 1
        else:
            state["failed"] += 1
            if state["first_error"] is None:
                state["first_error"] = str(err)
        if state["ok"] + state["failed"] == state["target"]:
            state["end"] = time.perf_counter()
            state["cpu_end"] = cpu_seconds()

    if args.dr == "global":
        conf["on_delivery"] = on_delivery
    elif args.dr == "errors":
        conf["on_delivery"] = on_delivery
        conf["delivery.report.only.error"] = True
    p = Producer(conf)
    # Warm-up, outside the window.
    p.list_topics(topic, timeout=30)
    p.produce(topic, value, on_delivery=on_delivery)
    p.flush(30)
    if state["failed"] or (args.dr != "errors" and state["ok"] != 1):
        raise SystemExit(f"warm-up record failed: {state['first_error']}")
    state.update(ok=0, failed=0, end=None, cpu_end=None, target=n)

    produce = p.produce
    poll = p.poll
    per_message = {"on_delivery": on_delivery} if args.dr == "per-message" else {}
    cpu0 = cpu_seconds()
    t0 = time.perf_counter()
    for i in range(n):
        try:
            produce(topic, value, **per_message)
        except BufferError:
            poll(0.001)
            produce(topic, value, **per_message)
        if i & 0x3FFF == 0:
            poll(0)  # serve delivery callbacks as they come
    sent = time.perf_counter() - t0
    left = p.flush(120)
    if args.dr == "errors" and not left:
        # Only failures are reported: the window ends when flush() returns.
        state["end"], state["cpu_end"] = time.perf_counter(), cpu_seconds()
        state["ok"] = n - state["failed"]
    if left or state["end"] is None:
        raise SystemExit(f"flush left {left} messages; {state['ok'] + state['failed']} of {n} outcomes")
    if state["failed"] or state["ok"] != n:
        raise SystemExit(f"{state['ok']} of {n} delivered, {state['failed']} failed: {state['first_error']}")
    seconds = state["end"] - t0
    cpu = state["cpu_end"] - cpu0
    r = {
        "seconds": seconds,
        "records_per_s": n / seconds,
        "mb_per_s": n * args.size / seconds / 1e6,
        "cpu_us_per_record": cpu * 1e6 / n,
    }
    print(f"  {n} records in {seconds:.3f} s (all produced after {sent:.3f} s): "
          f"{r['records_per_s'] / 1e6:.3f} M records/s, {r['mb_per_s']:.1f} MB/s, "
          f"CPU {r['cpu_us_per_record']:.3f} us/record ({cpu:.2f} s)", flush=True)
    return r


def common_args(doc, size_help=None):
    """An argument parser with the options of both reference benchmarks (this one and
    bench_reference_consumer.py)."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--brokers", default=os.environ.get("KAFKA_BROKERS"), required="KAFKA_BROKERS" not in os.environ)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--size", type=int, default=100, help=size_help)
    ap.add_argument("--partitions", type=int, default=3)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--topic", default=None)
    ap.add_argument("--label", default="broker")
    return ap


def report(args, results, size, extra=""):
    """Prints the medians of the runs' figures and the RESULT line for the scripts."""
    med = {k: statistics.median(r[k] for r in results) for k in results[0]}
    print(f"median of {args.runs}: {med['records_per_s'] / 1e6:.3f} M records/s, {med['mb_per_s']:.1f} MB/s, "
          f"CPU {med['cpu_us_per_record']:.3f} us/record")
    print(f"RESULT client=librdkafka label={args.label} size={size} records={args.records} runs={args.runs}"
          f"{' ' + extra if extra else ''} records_per_s={med['records_per_s']:.0f} mb_per_s={med['mb_per_s']:.1f} "
          f"cpu_us_per_record={med['cpu_us_per_record']:.3f} seconds={med['seconds']:.3f}")


def main():
    ap = common_args(__doc__)
    ap.add_argument("--acks", default="1")
    ap.add_argument("--linger-ms", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=1048576)
    ap.add_argument("--compression", default="none")
    ap.add_argument("--dr", choices=["errors", "global", "per-message"], default="errors",
                    help="delivery reports: errors only (default; the window then ends when flush() "
                         "returns, which is when the last delivery report is in), one Python callback "
                         "per record set in the config, or one passed to every produce() call")
    args = ap.parse_args()

    import confluent_kafka
    topic = args.topic or f"librdkafka-bench-{os.getpid()}-{time.time_ns()}"
    print(f"confluent-kafka {confluent_kafka.version()[0]} (librdkafka {confluent_kafka.libversion()[0]}) "
          f"-> {args.brokers}, topic {topic}: {args.runs} run(s) of {args.records} records of {args.size} B, "
          f"{args.partitions} partitions, acks={args.acks}, linger={args.linger_ms} ms, "
          f"batch.size={args.batch_size}, compression={args.compression}, idempotence=false, keyless, "
          f"delivery reports: {args.dr}", flush=True)
    create_topic(args.brokers, topic, args.partitions)
    value = b"x" * args.size
    results = []
    for run in range(1, args.runs + 1):
        print(f"run {run}/{args.runs}:", flush=True)
        results.append(run_once(args, topic, value))
    report(args, results, args.size)


if __name__ == "__main__":
    main()
