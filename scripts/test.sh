#!/usr/bin/env bash
# The whole test suite, on a fresh machine:
#   - a Tansu broker (fetched once, checked by sha256, started on a free loopback port) for the
#     tests that need a real broker, unless KAFKIT_TEST_BROKERS already names one (e.g. Apache
#     Kafka from docker-compose.yml: KAFKIT_TEST_BROKERS=localhost:9092);
#   - a Python venv with librdkafka (confluent-kafka) for the interop tests, unless KAFKIT_PYTHON
#     already names a python that has it;
#   - then `cargo test --workspace` (extra arguments are passed to it), and every example, run
#     against the in-process mock cluster and against the broker (scripts/run_examples.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${KAFKIT_TEST_BROKERS:-}" ]; then
  read -r port pid < <(bash scripts/tansu.sh start)
  trap 'bash scripts/tansu.sh stop "$pid" >/dev/null 2>&1 || true' EXIT
  export KAFKIT_TEST_BROKERS="127.0.0.1:$port"
fi
echo "test.sh: real broker at $KAFKIT_TEST_BROKERS" >&2

if [ -z "${KAFKIT_PYTHON:-}" ] && [ -f scripts/pyenv.sh ]; then
  KAFKIT_PYTHON="$(bash scripts/pyenv.sh)"
  export KAFKIT_PYTHON
  echo "test.sh: librdkafka interop tests with $KAFKIT_PYTHON" >&2
fi

cargo test --workspace "$@"
bash scripts/run_examples.sh
