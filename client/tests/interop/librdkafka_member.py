#!/usr/bin/env python3
"""One librdkafka (confluent-kafka) member of a consumer group, driven by a Rust test.

Subscribes to TOPIC in GROUP with the given partition.assignment.strategy, then polls until a
line "stop" arrives on stdin (or --timeout seconds pass). On stdout, one JSON object per line:
  {"assignment": [[topic, partition], ...]}   after every rebalance event (the whole assignment)
  {"record": [partition, offset, key]}        for every record consumed
  {"closed": true}                            after close() (LeaveGroup)
Commits synchronously after each record it consumes (enable.auto.commit false).
"""
import argparse
import json
import select
import sys
import time

from confluent_kafka import Consumer


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--strategy", default="range")
    ap.add_argument("--session-timeout-ms", type=int, default=6000)
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    c = Consumer({
        "bootstrap.servers": a.bootstrap,
        "group.id": a.group,
        "partition.assignment.strategy": a.strategy,
        "session.timeout.ms": a.session_timeout_ms,
        "heartbeat.interval.ms": max(100, a.session_timeout_ms // 6),
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "topic.metadata.refresh.interval.ms": 2000,
    })

    def report(consumer, _partitions):
        out({"assignment": sorted([tp.topic, tp.partition] for tp in consumer.assignment())})

    def report_revoke(consumer, partitions):
        if a.strategy == "cooperative-sticky":
            consumer.incremental_unassign(partitions)
        else:
            consumer.unassign()
        report(consumer, partitions)

    def report_assign(consumer, partitions):
        if a.strategy == "cooperative-sticky":
            consumer.incremental_assign(partitions)
        else:
            consumer.assign(partitions)
        report(consumer, partitions)

    c.subscribe([a.topic], on_assign=report_assign, on_revoke=report_revoke, on_lost=report_revoke)
    deadline = time.time() + a.timeout
    while time.time() < deadline:
        ready, _, _ = select.select([sys.stdin], [], [], 0)
        if ready and sys.stdin.readline().strip() == "stop":
            break
        m = c.poll(0.1)
        if m is None:
            continue
        if m.error():
            out({"error": str(m.error())})
            continue
        out({"record": [m.partition(), m.offset(), m.key().decode()]})
        c.commit(message=m, asynchronous=False)
    c.close()
    out({"closed": True})


if __name__ == "__main__":
    main()
