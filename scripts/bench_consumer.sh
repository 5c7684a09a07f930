#!/usr/bin/env bash
# Consumer throughput, kafkit against librdkafka measured in the same session
# (shared/reference/performance.md: the window is from the first record returned to the
# application to the N-th; compare against a reference run in the same session).
#
# Builds benches/consumer_throughput.rs (bench profile: release + debug info) and the sink
# broker (../shared/tools/sink), and runs every client against:
#   - the sink: started afresh for each value size with --fetch-size SIZE (it serves prebuilt
#     batches for any offset, so nothing is produced first): 100 B x 5,000,000 and
#     1 KB x 1,000,000 records;
#   - Tansu (scripts/tansu.sh, a fresh broker for each benchmark: it keeps every record in
#     memory), where each benchmark first fills a new topic with its own producer, outside the
#     window: 100 B x 1,000,000 and 1 KB x 200,000 records;
# 3 partitions, a fresh group per run (subscribe, auto-commit, auto.offset.reset=earliest),
# RUNS runs each, median quoted. The clients:
#   - kafkit-poll:   cargo bench --bench consumer_throughput -- --api poll (a poll loop)
#   - kafkit-stream: the same with --api stream (Consumer::stream, record by record)
#   - librdkafka:    scripts/bench_reference_consumer.py in the python of scripts/pyenv.sh
#                    (confluent-kafka, a consume(num_messages=500) loop)
# then prints a table. With /usr/bin/time, each benchmark process is wrapped in `time -v` for an
# independent CPU figure (the whole process per record consumed: start-up, group joins, every
# run, and on Tansu filling the topic too).
#
# Usage: scripts/bench_consumer.sh
# Environment:
#   RUNS=3                    runs per benchmark
#   BROKERS="sink tansu"      which brokers
#   CLIENTS="kafkit-poll kafkit-stream librdkafka"
#   SINK_SHAPES="100x5000000 1000x1000000"    SIZExRECORDS against the sink
#   TANSU_SHAPES="100x1000000 1000x200000"    SIZExRECORDS against Tansu
#   KAFKIT_ARGS=""            extra arguments for the kafkit benchmark (e.g. "--no-group")
#   REFERENCE_ARGS=""         extra arguments for bench_reference_consumer.py (e.g. "--no-group")
#   KAFKIT_PYTHON             a python with confluent_kafka (default: scripts/pyenv.sh's)
# Needs: cargo, python3, bash; the sink's source in ../shared/tools/sink.
# Don't run it next to another heavy job: the machine has 2 cores for client and broker.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${RUNS:=3}" "${BROKERS:=sink tansu}" "${CLIENTS:=kafkit-poll kafkit-stream librdkafka}"
: "${SINK_SHAPES:=100x5000000 1000x1000000}" "${TANSU_SHAPES:=100x1000000 1000x200000}"
: "${SINK_MANIFEST:=../shared/tools/sink/Cargo.toml}"

say() { echo "bench_consumer.sh: $*" >&2; }
fail() {
    say "error: $*"
    exit 1
}

OUT="$(mktemp -d "${TMPDIR:-/tmp}/kafkit-consume-bench.XXXXXX")"
RESULTS="$OUT/results.txt"
: >"$RESULTS"

# The one broker running now: its kind (sink or tansu), pid and port.
BROKER_KIND=""
BROKER_PID=""
BROKER_PORT=""
stop_broker() {
    [[ -n "$BROKER_PID" ]] || return 0
    if [[ "$BROKER_KIND" == tansu ]]; then
        bash scripts/tansu.sh stop "$BROKER_PID" >/dev/null 2>&1 || true
    else
        kill "$BROKER_PID" 2>/dev/null || true
        wait "$BROKER_PID" 2>/dev/null || true
    fi
    BROKER_PID=""
}
trap stop_broker EXIT

listening() { (: <>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_sink SIZE: a sink whose fetches return values of SIZE bytes.
start_sink() {
    BROKER_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    "$SINK_BIN" --port "$BROKER_PORT" --partitions 3 --fetch-size "$1" --stats-secs 3600 \
        </dev/null >"$OUT/sink-$1.log" 2>&1 &
    BROKER_PID=$!
    BROKER_KIND=sink
    local i
    for ((i = 0; i < 200; i++)); do
        listening "$BROKER_PORT" && break
        sleep 0.05
    done
    listening "$BROKER_PORT" || fail "the sink did not listen on 127.0.0.1:$BROKER_PORT (see $OUT/sink-$1.log)"
    say "sink (--fetch-size $1) pid $BROKER_PID on 127.0.0.1:$BROKER_PORT"
}

start_tansu() {
    read -r BROKER_PORT BROKER_PID < <(bash scripts/tansu.sh start 2>>"$OUT/tansu.log")
    [[ -n "$BROKER_PID" ]] || fail "Tansu did not start (see $OUT/tansu.log)"
    BROKER_KIND=tansu
    say "tansu pid $BROKER_PID on 127.0.0.1:$BROKER_PORT"
}

say "building (logs and outputs in $OUT)"
KAFKIT_BIN=""
if [[ " $CLIENTS " == *" kafkit-"* ]]; then
    cargo bench --bench consumer_throughput --no-run >"$OUT/build.log" 2>&1 ||
        { tail -n 40 "$OUT/build.log" >&2; fail "building the kafkit benchmark failed"; }
    # cargo's last line: "  Executable benches/consumer_throughput.rs (target/.../consumer_throughput-HASH)"
    KAFKIT_BIN="$(sed -n 's/^ *Executable .*consumer_throughput.rs (\(.*\))$/\1/p' "$OUT/build.log" | tail -n 1)"
    [[ -x "$KAFKIT_BIN" ]] || fail "no consumer_throughput executable in $OUT/build.log"
fi
PY=""
if [[ " $CLIENTS " == *" librdkafka "* ]]; then
    PY="${KAFKIT_PYTHON:-$(bash scripts/pyenv.sh)}"
    "$PY" -c 'import confluent_kafka' || fail "$PY has no confluent_kafka"
fi
if [[ " $BROKERS " == *" sink "* ]]; then
    cargo build --release --manifest-path "$SINK_MANIFEST" >"$OUT/sink-build.log" 2>&1 ||
        { tail -n 40 "$OUT/sink-build.log" >&2; fail "building the sink failed"; }
    SINK_BIN="$(cargo metadata --format-version 1 --no-deps --manifest-path "$SINK_MANIFEST" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/release/sink"
    [[ -x "$SINK_BIN" ]] || fail "no sink executable at $SINK_BIN"
fi

# measure CLIENT KIND SIZE RECORDS: one benchmark process against the broker running now.
# (KAFKIT_ARGS and REFERENCE_ARGS are split into words on purpose.)
# shellcheck disable=SC2206
measure() {
    local client="$1" kind="$2" size="$3" records="$4"
    local common=(--brokers "127.0.0.1:$BROKER_PORT" --records "$records" --size "$size" --runs "$RUNS"
        --partitions 3 --label "$kind")
    # Tansu holds a new group's first JoinGroup for half the session timeout (22.5 s with the
    # default 45 s, outside the window but in every run): 6 s makes that 3 s.
    local kafkit_session=() reference_session=()
    if [[ "$kind" == tansu ]]; then
        kafkit_session=(--session-timeout-ms 6000)
        reference_session=(--conf session.timeout.ms=6000)
    fi
    local argv
    case "$client" in
    kafkit-poll) argv=("$KAFKIT_BIN" "${common[@]}" "${kafkit_session[@]}" --api poll ${KAFKIT_ARGS:-}) ;;
    kafkit-stream) argv=("$KAFKIT_BIN" "${common[@]}" "${kafkit_session[@]}" --api stream ${KAFKIT_ARGS:-}) ;;
    librdkafka) argv=("$PY" scripts/bench_reference_consumer.py "${common[@]}" "${reference_session[@]}" ${REFERENCE_ARGS:-}) ;;
    *) fail "unknown client $client (kafkit-poll, kafkit-stream or librdkafka)" ;;
    esac
    local tag="$client-$kind-$size"
    say "$tag: ${argv[*]}"
    local status=0
    if [[ -x /usr/bin/time ]]; then
        /usr/bin/time -v -o "$OUT/$tag.time" "${argv[@]}" >"$OUT/$tag.log" 2>&1 || status=$?
    else
        "${argv[@]}" >"$OUT/$tag.log" 2>&1 || status=$?
    fi
    grep -v '^RESULT' "$OUT/$tag.log" | sed 's/^/    /' >&2 || true
    local result
    result="$(grep '^RESULT ' "$OUT/$tag.log" | tail -n 1 || true)"
    if ((status != 0)) || [[ -z "$result" ]]; then
        say "$tag failed (exit $status)"
        echo "RESULT client=$client label=$kind size=$size records=$records failed=1" >>"$RESULTS"
        return 0
    fi
    if [[ -f "$OUT/$tag.time" ]]; then
        result+=" time_v_cpu_us_per_record=$(awk -v n="$((RUNS * records))" -F': ' '
            /User time \(seconds\)|System time \(seconds\)/ { s += $2 }
            END { printf "%.3f", s * 1e6 / n }' "$OUT/$tag.time")"
    fi
    echo "$result bench=$client" >>"$RESULTS"
}

for kind in $BROKERS; do
    case "$kind" in
    sink) shapes="$SINK_SHAPES" ;;
    tansu) shapes="$TANSU_SHAPES" ;;
    *) fail "unknown broker kind $kind (sink or tansu)" ;;
    esac
    for shape in $shapes; do
        size="${shape%x*}"
        records="${shape#*x}"
        if [[ "$kind" == sink ]]; then start_sink "$size"; fi
        for client in $CLIENTS; do
            if [[ "$kind" == tansu ]]; then start_tansu; fi
            measure "$client" "$kind" "$size" "$records"
            if [[ "$kind" == tansu ]]; then stop_broker; fi
        done
        if [[ "$kind" == sink ]]; then
            stop_broker
            say "sink counters: $(grep 'final' "$OUT/sink-$size.log" | tail -n 1)"
        fi
    done
done

echo
echo "Consumer throughput, median of $RUNS runs (3 partitions, a fresh group per run: subscribe, auto-commit,"
echo "auto.offset.reset=earliest; kafkit and librdkafka defaults otherwise, librdkafka with fetch.queue.backoff.ms=0)"
echo "window: first record returned to the N-th (the first poll's records not counted); MB = 10^6 bytes of values;"
echo "CPU = user+sys of the client process in the window per record (kafkit: /proc/self/stat, 10 ms ticks;"
echo "librdkafka: getrusage); threads: kafkit's threads' on-CPU time (/proc/self/task/*/schedstat, ns);"
echo "time -v: the whole process per record consumed (start-up, joins, every run; on Tansu the fill as well)"
python3 - "$RESULTS" <<'EOF'
import sys

rows = [dict(field.split("=", 1) for field in line.split()[1:]) for line in open(sys.argv[1]) if line.strip()]
base = {}
for r in rows:
    if r.get("bench", r["client"]) == "librdkafka" and "records_per_s" in r:
        base[(r["label"], r["size"])] = float(r["records_per_s"])
cols = ["broker", "size", "records", "client", "records/s", "MB/s", "CPU us/rec", "threads us/rec",
        "time -v us/rec", "vs librdkafka"]
table = []
for r in rows:
    name = r.get("bench", r["client"])
    if "failed" in r:
        table.append([r["label"], r["size"] + " B", r["records"], name, "FAILED"] + [""] * 5)
        continue
    rate = float(r["records_per_s"])
    ref = base.get((r["label"], r["size"]))
    table.append([r["label"], r["size"] + " B", r["records"], name, f"{rate / 1e6:.3f} M", r["mb_per_s"],
                  r["cpu_us_per_record"], r.get("threads_cpu_us_per_record", "-"),
                  r.get("time_v_cpu_us_per_record", "-"), f"{rate / ref:.2f}x" if ref else "-"])
width = [max(len(str(x)) for x in column) for column in zip(cols, *table)]
line = lambda cells: "| " + " | ".join(c.ljust(w) if i < 4 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, width))) + " |"
print(line(cols))
print("|" + "|".join("-" * (w + 2) for w in width) + "|")
for cells in table:
    print(line(cells))
EOF
echo "(logs: $OUT)"
