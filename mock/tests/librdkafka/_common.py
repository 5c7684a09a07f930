"""Shared plumbing of the librdkafka scenario scripts.

Every scenario script:
  - takes --bootstrap HOST:PORT[,HOST:PORT...] plus its own arguments;
  - prints a JSON summary as the LAST line of stdout: {"ok": true, "scenario": ..., ...} on
    success, {"ok": false, "scenario": ..., "error": "..."} on failure;
  - exits 0 on success, 1 on a failed check or a librdkafka error, 3 when its overall deadline
    (--timeout) passes (a watchdog thread ends the process, so a hung client can't hang the test).

librdkafka's own log lines go to stderr; so do the scripts' progress lines (prefixed "[name]").

--quirks tansu relaxes the few checks the Tansu broker is known to fail (documented where each
is used, and in shared/reference/broker.md); the mock cluster must pass every check without it.
"""
import argparse
import json
import os
import sys
import threading
import time

import confluent_kafka
from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

LIBRDKAFKA = {
    "confluent_kafka": confluent_kafka.__version__,
    "librdkafka": confluent_kafka.libversion()[0],
}


class ScenarioFailed(Exception):
    """A check failed; the message says what librdkafka saw."""


class Scenario:
    """Argument parsing, a deadline watchdog, librdkafka error collection, and the JSON summary."""

    def __init__(self, name, description):
        self.name = name
        self.parser = argparse.ArgumentParser(prog=name, description=description)
        self.parser.add_argument("--bootstrap", required=True, help="bootstrap.servers (HOST:PORT,...)")
        self.parser.add_argument(
            "--timeout", type=float, default=90.0, help="overall deadline in seconds (default 90)"
        )
        self.parser.add_argument(
            "--quirks",
            choices=["none", "tansu"],
            default="none",
            help="relax the checks a known broker fails (see each script); default none",
        )
        self.parser.add_argument(
            "--debug", default=None, help="librdkafka debug contexts (e.g. msg,protocol), logged to stderr"
        )
        self.args = None
        self.started = time.monotonic()
        self.deadline = None
        # librdkafka errors reported through error_cb: [(client, code name, str, fatal)].
        self.client_errors = []
        self._lock = threading.Lock()
        self._done = threading.Event()

    # -- setup ---------------------------------------------------------------------------------

    def parse(self):
        self.args = self.parser.parse_args()
        self.deadline = self.started + self.args.timeout
        threading.Thread(target=self._watchdog, daemon=True).start()
        self.log(f"{LIBRDKAFKA} bootstrap={self.args.bootstrap} quirks={self.args.quirks}")
        return self.args

    @property
    def tansu(self):
        return self.args.quirks == "tansu"

    def _watchdog(self):
        remaining = self.deadline - time.monotonic()
        if self._done.wait(max(0.0, remaining)):
            return
        msg = f"deadline of {self.args.timeout:.0f}s passed (stuck waiting on the broker?)"
        self._emit({"ok": False, "scenario": self.name, "error": msg, "client_errors": self.errors_summary()})
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(3)

    def remaining(self):
        return self.deadline - time.monotonic()

    def log(self, msg):
        print(f"[{self.name} +{time.monotonic() - self.started:6.2f}s] {msg}", file=sys.stderr, flush=True)

    # -- librdkafka configuration --------------------------------------------------------------

    def config(self, client, **extra):
        """A base configuration: the bootstrap list, IPv4, an error callback naming `client`."""
        conf = {
            "bootstrap.servers": self.args.bootstrap,
            "client.id": f"{self.name}-{client}",
            "broker.address.family": "v4",
            "error_cb": lambda err, client=client: self._on_error(client, err),
        }
        if self.args.debug:
            conf["debug"] = self.args.debug
        conf.update(extra)
        return conf

    def _on_error(self, client, err):
        with self._lock:
            self.client_errors.append((client, err.name(), err.str(), err.fatal()))
        self.log(f"librdkafka error ({client}): {err.name()}: {err.str()}{' (FATAL)' if err.fatal() else ''}")

    def check_no_fatal(self):
        with self._lock:
            fatal = [e for e in self.client_errors if e[3]]
        if fatal:
            raise ScenarioFailed(f"librdkafka reported a fatal error: {fatal[0][0]}: {fatal[0][1]}: {fatal[0][2]}")

    def errors_summary(self):
        with self._lock:
            return [{"client": c, "error": n, "reason": s, "fatal": f} for c, n, s, f in self.client_errors]

    # -- topics --------------------------------------------------------------------------------

    def ensure_topic(self, topic, partitions):
        """Creates `topic` with CreateTopics, or accepts an existing one with that many partitions.
        Returns "created" or "existed". Waits until Metadata shows every partition with a leader."""
        admin = AdminClient(self.config("admin"))
        fut = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=-1)],
                                  operation_timeout=10, request_timeout=15)[topic]
        try:
            fut.result(timeout=max(1.0, min(20.0, self.remaining())))
            how = "created"
        except KafkaException as e:
            err = e.args[0]
            if err.code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise ScenarioFailed(f"CreateTopics {topic} ({partitions} partitions) failed: {err.name()}: {err.str()}")
            how = "existed"
        # Wait until Metadata lists the topic with all its partitions led.
        last = None
        while True:
            md = admin.list_topics(topic=topic, timeout=max(1.0, min(10.0, self.remaining())))
            t = md.topics.get(topic)
            if t is not None and t.error is None and len(t.partitions) == partitions and all(
                p.leader >= 0 and p.error is None for p in t.partitions.values()
            ):
                break
            last = (
                "absent" if t is None else
                f"error={t.error} partitions={ {p.id: (p.leader, str(p.error)) for p in t.partitions.values()} }"
            )
            self.wait_or_fail(0.2, f"metadata of topic {topic} never showed {partitions} led partitions (last: {last})")
        self.log(f"topic {topic}: {how}, {partitions} partitions, leaders "
                 f"{sorted((p.id, p.leader) for p in md.topics[topic].partitions.values())}")
        return how

    def wait_or_fail(self, seconds, what):
        if self.remaining() <= seconds:
            raise ScenarioFailed(f"gave up: {what}")
        time.sleep(seconds)

    # -- producing -----------------------------------------------------------------------------

    def produce_all(self, producer, records, what, chunk=0, pause=0.0):
        """Produces `records` (dicts: topic, partition, key, value, headers, timestamp), flushes,
        and checks every delivery report succeeded. Returns the (partition, offset) of each, in
        the order given. With `chunk`, pauses `pause` seconds (serving callbacks) after every
        `chunk` records, so that the production spans some time."""
        reports = [None] * len(records)

        def on_delivery(err, msg, i):
            reports[i] = (err, msg.partition(), msg.offset())

        for i, r in enumerate(records):
            while True:
                try:
                    producer.produce(
                        r["topic"], key=r["key"], value=r["value"], partition=r["partition"],
                        headers=r["headers"], timestamp=r["timestamp"],
                        on_delivery=lambda err, msg, i=i: on_delivery(err, msg, i),
                    )
                    break
                except BufferError:
                    producer.poll(0.05)
            if chunk and (i + 1) % chunk == 0 and i + 1 < len(records):
                t_end = time.monotonic() + pause
                while time.monotonic() < t_end:
                    producer.poll(max(0.0, t_end - time.monotonic()))
        left = producer.flush(max(0.5, self.remaining() - 2.0))
        self.check_no_fatal()
        if left:
            raise ScenarioFailed(f"{what}: flush timed out with {left} messages undelivered")
        out = []
        for i, rep in enumerate(reports):
            if rep is None:
                raise ScenarioFailed(f"{what}: no delivery report for record {i}")
            err, partition, offset = rep
            if err is not None:
                raise ScenarioFailed(
                    f"{what}: delivery of record {i} to {records[i]['topic']}[{records[i]['partition']}] failed: "
                    f"{err.name()}: {err.str()}")
            if partition != records[i]["partition"] or offset is None or offset < 0:
                raise ScenarioFailed(f"{what}: record {i} delivered to partition {partition} offset {offset}")
            out.append((partition, offset))
        return out

    # -- the summary ---------------------------------------------------------------------------

    def _emit(self, obj):
        with self._lock:
            sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
            sys.stdout.flush()

    def run(self, body):
        """Runs `body(scenario)` (which returns a dict for the summary) and exits."""
        try:
            summary = body(self)
            self.check_no_fatal()
        except ScenarioFailed as e:
            self._finish(False, str(e))
        except KafkaException as e:
            err = e.args[0]
            name = err.name() if hasattr(err, "name") else "?"
            self._finish(False, f"librdkafka raised {name}: {err}")
        except Exception as e:  # a bug in the script itself: still a failure with a summary
            import traceback
            traceback.print_exc()
            self._finish(False, f"{type(e).__name__}: {e}")
        else:
            self._finish(True, None, summary)

    def _finish(self, ok, error, summary=None):
        self._done.set()
        out = {"ok": ok, "scenario": self.name, "elapsed_s": round(time.monotonic() - self.started, 3)}
        out.update(LIBRDKAFKA)
        if summary:
            out.update(summary)
        if error is not None:
            out["error"] = error
            self.log(f"FAILED: {error}")
        else:
            self.log("passed")
        out["client_errors"] = self.errors_summary()
        self._emit(out)
        sys.exit(0 if ok else 1)


def poll_data(consumer, eof, what=""):
    """One poll: a data message, or None when there was nothing yet or the poll reported a
    partition EOF (recorded in `eof` as partition -> offset). Consumer errors fail the scenario,
    their message prefixed with `what`."""
    msg = consumer.poll(0.2)
    if msg is None:
        return None
    if msg.error():
        if msg.error().code() == KafkaError._PARTITION_EOF:
            eof[msg.partition()] = msg.offset()
            return None
        raise ScenarioFailed(f"{what}consumer error on {msg.topic()}[{msg.partition()}]: "
                             f"{msg.error().name()}: {msg.error().str()}")
    return msg


def hexb(b):
    """bytes -> hex string, None -> None (for the JSON summary)."""
    return None if b is None else b.hex()


def record_json(r, partition, offset):
    """The JSON form of a produced record, as the Rust test compares it with the cluster's log."""
    return {
        "partition": partition,
        "offset": offset,
        "timestamp": r["timestamp"],
        "key": hexb(r["key"]),
        "value": hexb(r["value"]),
        "headers": [[k, hexb(v)] for k, v in r["headers"]],
    }
