#!/usr/bin/env bash
# Builds every example and runs each one against the in-process mock cluster and, when
# KAFKIT_TEST_BROKERS is set (host:port[,...], e.g. from scripts/tansu.sh start), against that
# broker as well (passed to the examples as KAFKA_BROKERS).
#
# Each run has a time limit (EXAMPLE_TIMEOUT seconds, default 120), must exit 0, and must print
# what the example is for (checked below: records sent and acknowledged, quotes read back with
# their Chinese field names, ...). Every run is made; the script exits 1 if any failed.
#
# Usage:
#   bash scripts/run_examples.sh
#   read -r PORT PID < <(bash scripts/tansu.sh start 2>/dev/null)
#   KAFKIT_TEST_BROKERS=127.0.0.1:$PORT bash scripts/run_examples.sh
#   bash scripts/tansu.sh stop "$PID"
#
# Against a real broker the order matters: `producer` sends the quotes the consumer examples
# then read (each with its own group, from its committed offsets).
set -euo pipefail
cd "$(dirname "$0")/.."

readonly EXAMPLES=(protocol_demo producer consumer_poll consumer_stream quickstart)
readonly LIMIT="${EXAMPLE_TIMEOUT:-120}"

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
failures=()

# How many lines of the last run's output match the extended regular expression $1.
count() {
    grep -cE -- "$1" "$out" || true
}

# expect WHAT ACTUAL OP WANTED: a check of the last run (OP: -eq, -ge).
expect() {
    if test "$2" "$3" "$4"; then
        return 0
    fi
    echo "check failed: $1: got $2, wanted $3 $4" >&2
    return 1
}

# check NAME WHERE: what example NAME must have printed ("mock" or a real broker).
check() {
    local name="$1" where="$2" n
    case "$name" in
    protocol_demo)
        expect "records fetched back" "$(count '^  offset [0-9]+ ts [0-9]+ key 60000[0-9] value \{"股票代码": "60000[0-9]"')" -eq 10
        ;;
    producer)
        expect "success callbacks" "$(count '^sent: topic TESTTOPIC, partition [0-9]+, offset [0-9]+$')" -eq 10 &&
            expect "failure callbacks" "$(count '^send failed')" -eq 0 &&
            expect "summary lines" "$(count '^10 quotes sent, 0 failed$')" -eq 1
        ;;
    consumer_poll | consumer_stream)
        n="$(sed -n 's/^\([0-9][0-9]*\) quotes consumed$/\1/p' "$out")"
        n="${n:-0}"
        # Every quote printed whole: each of its fields, by the reference's (Chinese) names.
        expect "quotes printed" "$(grep -E '^\{.*"Topic":"TESTTOPIC",.*"Value":\{.*\}\}$' "$out" |
            grep -F '"Publisher":"Producer01"' | grep -E '"股票代码":600[0-9]{2}[,}]' | grep -F '"昨日收盘价":' |
            grep -F '"今日开盘价":' | grep -F '"今日收盘价":' | grep -c . || true)" -eq "$n" &&
            if [ "$where" = mock ]; then
                expect "quotes consumed" "$n" -eq 10
            else
                # At least what `producer` just sent (more if it ran before without them).
                expect "quotes consumed" "$n" -ge 10
            fi
        ;;
    quickstart)
        expect "records produced" "$(count '^produced \{.*"股票代码":"[0-9]{6}".*\} to quickstart\[0\] at offset [0-9]+$')" -eq 3 &&
            expect "records consumed" "$(count '^consumed \{.*"股票代码":"[0-9]{6}".*\} from quickstart\[0\] at offset [0-9]+$')" -eq 3
        ;;
    *)
        echo "no check for example $name: add one to $0" >&2
        return 1
        ;;
    esac
}

# run NAME [BROKERS]: runs example NAME against BROKERS, or the mock cluster without.
run() {
    local name="$1" brokers="${2:-}" where="${2:-mock}" rc=0
    echo "=== $name against ${brokers:-the mock cluster}"
    local start=$SECONDS
    if [ -n "$brokers" ]; then
        KAFKA_BROKERS="$brokers" timeout "$LIMIT" cargo run --locked -q --example "$name" >"$out" 2>&1 || rc=$?
    else
        env -u KAFKA_BROKERS timeout "$LIMIT" cargo run --locked -q --example "$name" >"$out" 2>&1 || rc=$?
    fi
    cat "$out"
    if [ "$rc" -eq 124 ]; then
        echo "--- FAILED: $name ($where) timed out after $LIMIT s" >&2
        failures+=("$name ($where): timed out")
    elif [ "$rc" -ne 0 ]; then
        echo "--- FAILED: $name ($where) exited with $rc" >&2
        failures+=("$name ($where): exit $rc")
    elif ! check "$name" "$where"; then
        echo "--- FAILED: $name ($where) did not print what it should" >&2
        failures+=("$name ($where): output")
    else
        echo "--- ok: $name ($where, $((SECONDS - start)) s)"
    fi
}

cargo build --locked --examples

for name in "${EXAMPLES[@]}"; do
    run "$name"
done
if [ -n "${KAFKIT_TEST_BROKERS:-}" ]; then
    for name in "${EXAMPLES[@]}"; do
        run "$name" "$KAFKIT_TEST_BROKERS"
    done
else
    echo "=== not run against a real broker: set KAFKIT_TEST_BROKERS=host:port (e.g. from scripts/tansu.sh start)"
fi

if [ "${#failures[@]}" -gt 0 ]; then
    echo "=== ${#failures[@]} example run(s) failed:" >&2
    printf '  %s\n' "${failures[@]}" >&2
    exit 1
fi
echo "=== every example ran and printed what it should"
