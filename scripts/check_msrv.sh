#!/usr/bin/env bash
# The minimum supported Rust version (`rust-version` in Cargo.toml) holds for what this machine
# can check without a second toolchain (none can be fetched here):
#   - no crate in the locked dependency graph declares a newer `rust-version`;
#   - clippy's `incompatible_msrv` lint (on in `cargo clippy`, which CI runs with -D warnings)
#     rejects standard-library APIs stabilised after it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --format-version 1 --locked | python3 -c '
import json, sys
meta = json.load(sys.stdin)
msrv = next(p["rust_version"] for p in meta["packages"] if p["name"] == "kafkit")
used = {n["id"] for n in meta["resolve"]["nodes"]}
def key(v):
    return tuple(int(x) for x in (v.split(".") + ["0", "0"])[:3])
newer = sorted("%s %s needs Rust %s" % (p["name"], p["version"], p["rust_version"])
               for p in meta["packages"]
               if p["id"] in used and p.get("rust_version") and key(p["rust_version"]) > key(msrv))
if newer:
    print("check_msrv.sh: the MSRV is %s, but:" % msrv, *newer, sep="\n  ")
    sys.exit(1)
print("check_msrv.sh: every dependency supports Rust %s" % msrv)
'
