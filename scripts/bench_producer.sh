#!/usr/bin/env bash
# Producer throughput, kafkit against librdkafka measured in the same session
# (shared/reference/performance.md: measure against a reference in the same run, not an old
# absolute number).
#
# Builds benches/producer_throughput.rs (bench profile: release + debug info) and the sink
# broker (../shared/tools/sink), starts the sink and Tansu brokers (scripts/tansu.sh: a fresh one
# for each benchmark, as it keeps every record in memory) on free loopback ports, and runs
# against each, for 100 B x 1,000,000 and 1 KB x 100,000 records
# (acks=1, linger 5 ms, batch 1 MiB, 3 partitions, keyless, no compression, RUNS runs each,
# median quoted):
#   - kafkit:     cargo bench --bench producer_throughput -- --brokers ... (the built binary)
#   - librdkafka: scripts/bench_reference.py in the python of scripts/pyenv.sh (confluent-kafka)
# then prints a table. With /usr/bin/time, every benchmark process is wrapped in `time -v` for an
# independent CPU figure (whole process: start-up, warm-up and every run, per record sent).
#
# Usage: scripts/bench_producer.sh
# Environment:
#   RUNS=3                 runs per benchmark
#   BROKERS="sink tansu"   which brokers
#   CLIENTS="kafkit librdkafka"
#   SHAPES="100x1000000 1000x100000"   SIZExRECORDS
#   KAFKIT_ARGS=""         extra arguments for the kafkit benchmark (e.g. "--wait futures")
#   REFERENCE_ARGS=""      extra arguments for bench_reference.py (e.g. "--dr global")
#   KAFKIT_PYTHON          a python with confluent_kafka (default: scripts/pyenv.sh's)
# Needs: cargo, python3, bash; the sink's source in ../shared/tools/sink.
# Don't run it next to another heavy job: the machine has 2 cores for client and broker.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-3}"
BROKERS="${BROKERS:-sink tansu}"
CLIENTS="${CLIENTS:-kafkit librdkafka}"
SHAPES="${SHAPES:-100x1000000 1000x100000}"
SINK_MANIFEST="${SINK_MANIFEST:-../shared/tools/sink/Cargo.toml}"

log() { echo "bench_producer.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

# The path of the executable a `cargo ... --message-format=json` build made (the last one).
executable_of() {
    python3 -c '
import json, sys
exe = None
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("executable"):
        exe = m["executable"]
print(exe or "")'
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

OUT="$(mktemp -d "${TMPDIR:-/tmp}/kafkit-bench.XXXXXX")"
RESULTS="$OUT/results.txt"
: >"$RESULTS"
SINK_PID=""
TANSU_PID=""
cleanup() {
    if [[ -n "$SINK_PID" ]]; then kill "$SINK_PID" 2>/dev/null || true; wait "$SINK_PID" 2>/dev/null || true; fi
    if [[ -n "$TANSU_PID" ]]; then bash scripts/tansu.sh stop "$TANSU_PID" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

log "building (logs and outputs in $OUT)"
KAFKIT_BIN=""
if [[ " $CLIENTS " == *" kafkit "* ]]; then
    KAFKIT_BIN="$(cargo bench --bench producer_throughput --no-run --message-format=json 2>"$OUT/build.log" | executable_of)"
    [[ -x "$KAFKIT_BIN" ]] || { cat "$OUT/build.log" >&2; die "building the kafkit benchmark failed"; }
fi
PY=""
if [[ " $CLIENTS " == *" librdkafka "* ]]; then
    PY="${KAFKIT_PYTHON:-$(bash scripts/pyenv.sh)}"
    "$PY" -c 'import confluent_kafka' || die "$PY has no confluent_kafka"
fi

TIME=()
if [[ -x /usr/bin/time ]]; then TIME=(/usr/bin/time -v); fi

# run_bench CLIENT BROKER_KIND BROKERS SIZE RECORDS
run_bench() {
    local client="$1" kind="$2" brokers="$3" size="$4" records="$5"
    local name="$client-$kind-$size"
    local cmd
    if [[ "$client" == kafkit ]]; then
        # shellcheck disable=SC2206
        cmd=("$KAFKIT_BIN" --brokers "$brokers" --records "$records" --size "$size" --runs "$RUNS" \
            --partitions 3 --acks 1 --linger-ms 5 --batch-size 1048576 --compression none --label "$kind" \
            ${KAFKIT_ARGS:-})
    else
        # shellcheck disable=SC2206
        cmd=("$PY" scripts/bench_reference.py --brokers "$brokers" --records "$records" --size "$size" \
            --runs "$RUNS" --partitions 3 --acks 1 --linger-ms 5 --batch-size 1048576 --compression none \
            --label "$kind" ${REFERENCE_ARGS:-})
    fi
    log "$name: ${cmd[*]}"
    local timefile="$OUT/$name.time"
    local rc=0
    if ((${#TIME[@]})); then
        "${TIME[@]}" -o "$timefile" "${cmd[@]}" >"$OUT/$name.log" 2>&1 || rc=$?
    else
        "${cmd[@]}" >"$OUT/$name.log" 2>&1 || rc=$?
    fi
    sed 's/^/    /' "$OUT/$name.log" | grep -v '^    RESULT' >&2 || true
    if ((rc != 0)); then
        log "$name failed (exit $rc)"
        echo "RESULT client=$client label=$kind size=$size records=$records failed=1" >>"$RESULTS"
        return 0
    fi
    local line
    line="$(grep '^RESULT ' "$OUT/$name.log" | tail -1)"
    if [[ -f "$timefile" ]]; then
        # Whole-process CPU per record actually produced (runs x records, plus one warm-up each).
        local user sys
        user="$(awk -F': ' '/User time \(seconds\)/ {print $2}' "$timefile")"
        sys="$(awk -F': ' '/System time \(seconds\)/ {print $2}' "$timefile")"
        line="$line time_v_cpu_us_per_record=$(python3 -c "print(f'{($user + $sys) * 1e6 / ($RUNS * ($records + 1)):.3f}')")"
    fi
    echo "$line" >>"$RESULTS"
}

for kind in $BROKERS; do
    case "$kind" in
    sink)
        SINK_BIN="$(cargo build --release --manifest-path "$SINK_MANIFEST" --message-format=json 2>"$OUT/sink-build.log" | executable_of)"
        [[ -x "$SINK_BIN" ]] || { cat "$OUT/sink-build.log" >&2; die "building the sink failed"; }
        port="$(free_port)"
        "$SINK_BIN" --port "$port" --partitions 3 --fetch-size 100 --stats-secs 3600 </dev/null >"$OUT/sink.log" 2>&1 &
        SINK_PID=$!
        for _ in $(seq 200); do port_open "$port" && break; sleep 0.05; done
        port_open "$port" || die "the sink did not listen on 127.0.0.1:$port (see $OUT/sink.log)"
        log "sink pid $SINK_PID on 127.0.0.1:$port"
        ;;
    tansu) ;; # a fresh broker for each benchmark (it keeps every record in memory)
    *) die "unknown broker kind $kind (sink or tansu)" ;;
    esac
    for shape in $SHAPES; do
        size="${shape%x*}"
        records="${shape#*x}"
        for client in $CLIENTS; do
            if [[ "$kind" == tansu ]]; then
                read -r port TANSU_PID < <(bash scripts/tansu.sh start 2>>"$OUT/tansu.log")
                log "tansu pid $TANSU_PID on 127.0.0.1:$port"
            fi
            run_bench "$client" "$kind" "127.0.0.1:$port" "$size" "$records"
            if [[ "$kind" == tansu ]]; then
                bash scripts/tansu.sh stop "$TANSU_PID" >/dev/null 2>&1 || true
                TANSU_PID=""
            fi
        done
    done
    if [[ "$kind" == sink ]]; then
        kill "$SINK_PID" 2>/dev/null || true
        wait "$SINK_PID" 2>/dev/null || true
        SINK_PID=""
        log "sink counters: $(grep -E 'produce' "$OUT/sink.log" | tail -1)"
    fi
done

echo
echo "Producer throughput, median of $RUNS runs (acks=1, linger 5 ms, batch 1 MiB, 3 partitions, keyless, no compression)"
echo "window: first send to last acknowledgement; MB = 10^6 bytes of values; CPU = user+sys of the client process in the window"
echo "(kafkit: /proc/self/stat, 10 ms ticks; librdkafka: getrusage); threads: kafkit's threads' on-CPU time in the window"
echo "(/proc/self/task/*/schedstat, ns); time -v: the whole process (start-up, warm-up, all runs) per record"
python3 - "$RESULTS" <<'EOF'
import sys
rows = []
for line in open(sys.argv[1]):
    kv = dict(f.split("=", 1) for f in line.split()[1:])
    rows.append(kv)
head = ["broker", "size", "records", "client", "records/s", "MB/s", "CPU us/rec", "threads us/rec", "time -v us/rec",
        "vs librdkafka"]
ref = {(r["label"], r["size"]): float(r["records_per_s"]) for r in rows if r.get("client") == "librdkafka" and "records_per_s" in r}
out = [head]
for r in rows:
    if "failed" in r:
        out.append([r["label"], r["size"] + " B", r["records"], r["client"], "FAILED", "", "", "", "", ""])
        continue
    rps = float(r["records_per_s"])
    base = ref.get((r["label"], r["size"]))
    out.append([
        r["label"], r["size"] + " B", r["records"], r["client"],
        f"{rps / 1e6:.3f} M", r["mb_per_s"], r["cpu_us_per_record"], r.get("threads_cpu_us_per_record", "-"),
        r.get("time_v_cpu_us_per_record", "-"),
        f"{rps / base:.2f}x" if base else "-",
    ])
widths = [max(len(row[i]) for row in out) for i in range(len(head))]
print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |")
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for row in out[1:]:
    print("| " + " | ".join(c.rjust(w) if i >= 4 else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))) + " |")
EOF
echo "(logs: $OUT)"
