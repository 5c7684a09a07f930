#!/usr/bin/env bash
# Create (or reuse) the Python venv the librdkafka interop tests run in, and
# print the path of its python on stdout (nothing else goes to stdout).
#
# The venv holds confluent-kafka (librdkafka's Python binding; its wheel bundles
# librdkafka) at the version pinned below, from PyPI. It lives outside the repo:
#   ${KAFKIT_PYENV:-$HOME/.cache/kafkit/pyenv}
# A venv whose stamp file matches the pin is reused as is (no network); one
# that doesn't (older pin, interrupted install) is deleted and built again.
#
# Usage:
#   PY="$(scripts/pyenv.sh)"
#   "$PY" mock/tests/librdkafka/produce_consume.py --bootstrap 127.0.0.1:9092
#
# Environment:
#   KAFKIT_PYENV  where the venv goes (default $HOME/.cache/kafkit/pyenv)
#   PYTHON        the python that creates the venv (default python3; 3.8 or later)
#
# Needs: bash, python3 with the venv module, PyPI (only when the venv is built).
# Works non-interactively (no stdin, CI=true). Concurrent runs are serialized
# with flock(1) when it is available.
set -euo pipefail

# The librdkafka under test: confluent-kafka 2.16.1 bundles librdkafka 2.16.0
# (the same pin as protocol/tests/fixtures/requirements.txt).
readonly REQUIREMENT="confluent-kafka==2.16.1"
readonly WANT_VERSION="2.16.1"

VENV="${KAFKIT_PYENV:-${HOME:-/tmp}/.cache/kafkit/pyenv}"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.kafkit-pyenv-stamp"
VPY="$VENV/bin/python"

die() {
    echo "pyenv.sh: error: $*" >&2
    exit 1
}

log() {
    echo "pyenv.sh: $*" >&2
}

stamp_text() {
    # The pin and the interpreter it was installed for: a change of either rebuilds.
    printf '%s\n%s\n' "$REQUIREMENT" "$("$VPY" -c 'import sys; print(sys.version)' 2>/dev/null || echo none)"
}

venv_ok() {
    [[ -x "$VPY" && -f "$STAMP" ]] || return 1
    [[ "$(cat "$STAMP")" == "$(stamp_text)" ]] || return 1
    "$VPY" - "$WANT_VERSION" <<'EOF' >/dev/null 2>&1
import sys
import confluent_kafka
sys.exit(0 if confluent_kafka.__version__ == sys.argv[1] else 1)
EOF
}

build_venv() {
    command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found: a python3 (3.8 or later) with the venv module is needed"
    "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 8) else 1)' ||
        die "$PYTHON is $("$PYTHON" -V 2>&1); confluent-kafka needs Python 3.8 or later"

    if [[ -e "$VENV" ]]; then
        log "rebuilding $VENV (missing, stale or interrupted install)"
        rm -rf "$VENV"
    fi
    mkdir -p "$(dirname "$VENV")"
    log "creating venv $VENV with $("$PYTHON" -V 2>&1)"
    "$PYTHON" -m venv "$VENV" </dev/null >&2 ||
        die "'$PYTHON -m venv $VENV' failed (on Debian: apt-get install python3-venv)"

    log "installing $REQUIREMENT from PyPI"
    # Short timeouts so that an unreachable index fails in well under a minute.
    if ! "$VPY" -m pip install \
        --disable-pip-version-check --no-input --quiet \
        --only-binary=confluent-kafka \
        --timeout 30 --retries 2 \
        "$REQUIREMENT" </dev/null >&2; then
        rm -rf "$VENV"
        die "could not install $REQUIREMENT into $VENV: is PyPI reachable from here (pip's own error is above)? Or set KAFKIT_PYTHON to a python that has confluent_kafka $WANT_VERSION."
    fi

    local got
    got="$("$VPY" -c 'import confluent_kafka; print(confluent_kafka.__version__, "(librdkafka", confluent_kafka.libversion()[0] + ")")')" ||
        die "confluent_kafka does not import in $VENV after installing it"
    stamp_text >"$STAMP"
    log "ready: confluent-kafka $got"
}

main() {
    if [[ $# -gt 0 ]]; then
        sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2
        [[ "$1" == "-h" || "$1" == "--help" ]] && exit 0
        exit 2
    fi
    if venv_ok; then
        echo "$VPY"
        return 0
    fi
    mkdir -p "$(dirname "$VENV")"
    if command -v flock >/dev/null 2>&1; then
        # Serialize concurrent builders (parallel test threads, two cargo runs).
        exec 9>"${VENV}.lock"
        flock -w 600 9 || die "timed out waiting for the lock ${VENV}.lock"
        # Someone else may have built it while we waited.
        if venv_ok; then
            echo "$VPY"
            return 0
        fi
    fi
    build_venv
    echo "$VPY"
}

main "$@"
