#!/usr/bin/env python3
"""librdkafka consumer group: two members split a topic, commit, and one takes over.

1. Creates TOPIC with PARTITIONS partitions (or uses it if it exists, empty). Two consumers, A
   and B, in GROUP with partition.assignment.strategy STRATEGY (range, roundrobin or
   cooperative-sticky) subscribe to it. Waits until both hold assignments that are disjoint,
   non-empty and together cover every partition.
2. Produces COUNT records (partition i % PARTITIONS), then polls both until every record has
   been consumed: each exactly once, by the member that owns its partition, with the produced
   key and value; nothing else arrives, and the assignment doesn't change meanwhile.
3. Both commit synchronously (OffsetCommit); consumer.committed() (OffsetFetch) must then
   give every partition's end offset, asked from either member.
4. B closes (LeaveGroup). A must get every partition in the rebalance that follows. Then COUNT2
   more records are produced; A must consume exactly those (so it resumed from B's commits,
   re-reading nothing), commit, and committed() must give the new end offsets. A closes.

The summary gives the group, the strategy, both assignments, the rebalance events of each
member, and the final committed offsets, for the caller to compare with the broker's state.

--quirks tansu: none needed (use --session-timeout-ms 6000: Tansu holds every JoinGroup for
half the session timeout).
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ScenarioFailed, Scenario  # noqa: E402

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402


class Member:
    def __init__(self, sc, name, args):
        self.sc = sc
        self.name = name
        self.events = []  # ("assign"|"revoke"|"lost", [partitions]) in order
        self.messages = []
        self.closed = False
        self.consumer = Consumer(sc.config(
            f"consumer-{name}",
            **{
                "group.id": args.group,
                "partition.assignment.strategy": args.strategy,
                "session.timeout.ms": args.session_timeout_ms,
                "heartbeat.interval.ms": max(100, args.session_timeout_ms // 6),
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "topic.metadata.refresh.interval.ms": 5000,
            }))

    def subscribe(self, topic):
        self.consumer.subscribe(
            [topic],
            on_assign=lambda c, ps: self._event("assign", ps),
            on_revoke=lambda c, ps: self._event("revoke", ps),
            on_lost=lambda c, ps: self._event("lost", ps),
        )

    def _event(self, kind, ps):
        parts = sorted(p.partition for p in ps)
        self.events.append((kind, parts))
        self.sc.log(f"{self.name}: {kind} {parts}")

    def assignment(self):
        return sorted(tp.partition for tp in self.consumer.assignment())

    def poll(self, timeout):
        msg = self.consumer.poll(timeout)
        if msg is None:
            return None
        if msg.error():
            raise ScenarioFailed(f"consumer {self.name}: error on {msg.topic()}[{msg.partition()}]: "
                                 f"{msg.error().name()}: {msg.error().str()}")
        return msg

    def close(self):
        if not self.closed:
            self.closed = True
            self.consumer.close()


def poll_until(sc, members, done, what, on_msg=None, timeout=None):
    """Polls every open member in turn until done() holds; on_msg(member, msg) for each record."""
    t_end = time.monotonic() + (timeout if timeout is not None else sc.remaining() - 1.0)
    t_end = min(t_end, time.monotonic() + sc.remaining() - 1.0)
    while not done():
        if time.monotonic() > t_end:
            raise ScenarioFailed(f"gave up waiting: {what}")
        for m in members:
            if m.closed:
                continue
            msg = m.poll(0.05)
            if msg is not None:
                if on_msg is None:
                    raise ScenarioFailed(f"consumer {m.name}: unexpected record {msg.topic()}[{msg.partition()}] "
                                         f"offset {msg.offset()} while {what}")
                on_msg(m, msg)


def produce(sc, producer, topic, partitions, first, count, what):
    records = [{
        "topic": topic, "partition": i % partitions, "key": f"g{i}".encode(),
        "value": f"group record {i:06d}".encode(), "headers": [], "timestamp": 0,
    } for i in range(first, first + count)]
    placed = sc.produce_all(producer, records, what)
    return {(p, off): r for r, (p, off) in zip(records, placed)}


def check_committed(sc, member, topic, want, what):
    tps = [TopicPartition(topic, p) for p in sorted(want)]
    got = member.consumer.committed(tps, timeout=max(1.0, min(10.0, sc.remaining() - 1.0)))
    have = {}
    for tp in got:
        if tp.error is not None:
            raise ScenarioFailed(f"{what}: committed() via {member.name}: {topic}[{tp.partition}]: {tp.error}")
        have[tp.partition] = tp.offset
    if have != want:
        raise ScenarioFailed(f"{what}: committed() via {member.name} gives {have}, expected {want}")
    return have


def commit(sc, member, what):
    res = member.consumer.commit(asynchronous=False)
    for tp in res or []:
        if tp.error is not None:
            raise ScenarioFailed(f"{what}: commit by {member.name} failed for [{tp.partition}]: {tp.error}")
    return {tp.partition: tp.offset for tp in res or []}


def main(sc):
    args = sc.args
    topic, P = args.topic, args.partitions
    everything = list(range(P))
    sc.ensure_topic(topic, P)
    producer = Producer(sc.config("producer", **{"acks": "all", "linger.ms": 5}))

    a, b = Member(sc, "A", args), Member(sc, "B", args)
    members = [a, b]
    try:
        # 1. Both join; wait for a split.
        a.subscribe(topic)
        b.subscribe(topic)

        def split():
            x, y = a.assignment(), b.assignment()
            return x and y and not set(x) & set(y) and sorted(x + y) == everything

        poll_until(sc, members, split, f"A and B to split {P} partitions "
                                       f"(have A={a.assignment()} B={b.assignment()})")
        split_a, split_b = a.assignment(), b.assignment()
        sc.log(f"split: A={split_a} B={split_b}")

        # 2. Produce, consume each record exactly once across both.
        expected = produce(sc, producer, topic, P, 0, args.count, "produce")
        end = {}
        for (p, off) in expected:
            end[p] = max(end.get(p, 0), off + 1)
        got = {}
        per_member = {"A": 0, "B": 0}

        def on_msg(m, msg):
            at = (msg.partition(), msg.offset())
            own = split_a if m is a else split_b
            if at[0] not in own:
                raise ScenarioFailed(f"consumer {m.name} got {topic}[{at[0]}] offset {at[1]}, "
                                     f"but its assignment is {own}")
            if at in got:
                raise ScenarioFailed(f"{topic}[{at[0]}] offset {at[1]} consumed twice "
                                     f"(by {got[at]} and {m.name})")
            want = expected.get(at)
            if want is None:
                raise ScenarioFailed(f"consumer {m.name}: unexpected record {topic}[{at[0]}] offset {at[1]}")
            if msg.key() != want["key"] or msg.value() != want["value"]:
                raise ScenarioFailed(f"{topic}[{at[0]}] offset {at[1]}: {msg.key()!r}/{msg.value()!r}, "
                                     f"produced {want['key']!r}/{want['value']!r}")
            got[at] = m.name
            per_member[m.name] += 1

        poll_until(sc, members, lambda: len(got) == len(expected),
                   f"all {len(expected)} records to be consumed (have {len(got)})", on_msg)
        t_end = time.monotonic() + 0.5
        while time.monotonic() < t_end:
            for m in members:
                msg = m.poll(0.05)
                if msg is not None:
                    on_msg(m, msg)  # raises: everything was consumed already
        if a.assignment() != split_a or b.assignment() != split_b:
            raise ScenarioFailed(f"the assignment changed while consuming: A {split_a} -> {a.assignment()}, "
                                 f"B {split_b} -> {b.assignment()}")
        sc.log(f"consumed {len(got)} records exactly once: {per_member}")

        # 3. Commit; both see every partition's end offset.
        commit(sc, a, "first commit")
        commit(sc, b, "first commit")
        check_committed(sc, a, topic, end, "after the first commit")
        check_committed(sc, b, topic, end, "after the first commit")

        # 4. B leaves; A takes everything and resumes from B's commits.
        b.close()
        sc.log("B closed")
        poll_until(sc, [a], lambda: a.assignment() == everything,
                   f"A to be assigned every partition after B left (has {a.assignment()})")
        sc.log(f"A has {a.assignment()}")
        expected2 = produce(sc, producer, topic, P, args.count, args.count2, "produce after the rebalance")
        end2 = dict(end)
        for (p, off) in expected2:
            end2[p] = max(end2.get(p, 0), off + 1)
        got2 = {}

        def on_msg2(m, msg):
            at = (msg.partition(), msg.offset())
            if at in expected:
                raise ScenarioFailed(f"A re-read {topic}[{at[0]}] offset {at[1]}, which was consumed and "
                                     f"committed before the rebalance (committed offsets ignored?)")
            if at in got2:
                raise ScenarioFailed(f"{topic}[{at[0]}] offset {at[1]} consumed twice by A")
            want = expected2.get(at)
            if want is None or msg.value() != want["value"]:
                raise ScenarioFailed(f"A: unexpected record {topic}[{at[0]}] offset {at[1]}: {msg.value()!r}")
            got2[at] = True

        poll_until(sc, [a], lambda: len(got2) == len(expected2),
                   f"A to consume the {len(expected2)} new records (has {len(got2)})", on_msg2)
        t_end = time.monotonic() + 0.5
        while time.monotonic() < t_end:
            msg = a.poll(0.05)
            if msg is not None:
                on_msg2(a, msg)
        commit(sc, a, "second commit")
        final = check_committed(sc, a, topic, end2, "after the second commit")
        sc.log(f"A consumed the {len(got2)} new records; committed {final}")
        a.close()
    finally:
        for m in members:
            try:
                m.close()
            except Exception as e:  # closing after a failure: report the first error only
                sc.log(f"closing {m.name}: {e}")
        producer.flush(1)

    return {
        "topic": topic,
        "partitions": P,
        "group": args.group,
        "strategy": args.strategy,
        "assignment": {"A": split_a, "B": split_b},
        "consumed": per_member,
        "consumed_after_rebalance": len(got2),
        "events": {"A": a.events, "B": b.events},
        "committed_first": {str(p): o for p, o in sorted(end.items())},
        "committed": {str(p): o for p, o in sorted(final.items())},
    }


if __name__ == "__main__":
    sc = Scenario("group", __doc__.splitlines()[0])
    sc.parser.add_argument("--topic", default=f"grp-{int(time.time())}")
    sc.parser.add_argument("--group", default=None, help="group id (default TOPIC-group)")
    sc.parser.add_argument("--partitions", type=int, default=6)
    sc.parser.add_argument("--strategy", default="range", choices=["range", "roundrobin", "cooperative-sticky"])
    sc.parser.add_argument("--count", type=int, default=600)
    sc.parser.add_argument("--count2", type=int, default=60, help="records produced after B leaves")
    sc.parser.add_argument("--session-timeout-ms", type=int, default=6000)
    args = sc.parse()
    if args.group is None:
        args.group = f"{args.topic}-group"
    sc.run(main)
