#!/usr/bin/env bash
# Measures two control planes sharing one PostgreSQL database, each with one local replica: how
# long a write through either takes until both replicas serve it, what a database restart under
# load costs (writes refused, acknowledged writes kept, proxied requests failed), and how long the
# survivor takes to lead after the leader is killed with SIGKILL. bench/cluster.py does the
# measuring; documented in docs/developer-guide/benchmarks.md.
#
# Usage: bench/cluster.sh [--writes N] [--takeovers N] [--lease-ttl SECONDS] [--out FILE]
#                         [--skip-build] [--bin-dir DIR] [--keep]
set -euo pipefail

WRITES=200
TAKEOVERS=3
LEASE_TTL=10
OUT=""
BUILD=1
KEEP=0
BIN=""

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --writes|--takeovers|--lease-ttl|--out|--bin-dir)
            [ $# -ge 2 ] || { echo "$1 needs a value" >&2; exit 2; } ;;
    esac
    case "$1" in
        --writes) WRITES="$2"; shift 2 ;;
        --takeovers) TAKEOVERS="$2"; shift 2 ;;
        --lease-ttl) LEASE_TTL="$2"; shift 2 ;;
        --out) OUT="$2"; shift 2 ;;
        --skip-build) BUILD=0; shift ;;
        --bin-dir) BIN="$2"; BUILD=0; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
done
[[ "$WRITES" =~ ^[1-9][0-9]*$ ]] || { echo "--writes must be a whole number above 0" >&2; exit 2; }
[[ "$TAKEOVERS" =~ ^[0-9]+$ ]] || { echo "--takeovers must be a whole number" >&2; exit 2; }
[[ "$LEASE_TTL" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "--lease-ttl must be a number of seconds (1 to 600)" >&2; exit 2; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ -z "$OUT" ] || OUT="$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")"
log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
missing=()
have python3 || missing+=(python3-minimal)
[ -n "$(pg_bin)" ] || missing+=(postgresql)
install_packages "${missing[@]}"
PG_BIN="${ORCH_PG_BIN:-$(pg_bin)}"
[ -x "$PG_BIN/initdb" ] || die "no initdb in $PG_BIN"

build_products orch-data-plane orch-control-plane

arguments=(--bin "$BIN" --pg-bin "$PG_BIN" --writes "$WRITES" --takeovers "$TAKEOVERS" --lease-ttl "$LEASE_TTL")
[ "$KEEP" = 1 ] && arguments+=(--keep)
if [ -n "$OUT" ]; then
    python3 "$ROOT/bench/cluster.py" "${arguments[@]}" | tee "$OUT"
else
    python3 "$ROOT/bench/cluster.py" "${arguments[@]}"
fi
