#!/usr/bin/env bash
# HTTP/2 rapid reset against the TLS listener: how much one client opening and at once resetting
# streams, 1,000 per connection and reconnecting whenever the gateway closes it, slows another
# client's requests, and whether the gateway ends the flooding connections. The other client is
# wrk over TLS (HTTP/1.1, 8 kept-alive connections) to a 1 KiB upstream; it runs once alone, then
# once during the flood. Documented in docs/developer-guide/benchmarks.md.
#
# With --pin (2 cores or more), the gateway runs on core 0 with one event loop, wrk on core 1 and
# the flooding client on core 1 at the lowest priority (the upstream, nginx, on core 1 too), so that the flood's cost to the other
# client is the gateway's and not a share of the client's core taken by the flooder.
#
# Usage: bench/rapid-reset.sh [--duration SECONDS] [--streams N] [--pin] [--skip-build] [--bin-dir DIR] [--keep]
set -euo pipefail

DURATION=10
STREAMS=1000
BUILD=1
BIN=""
KEEP=0
PIN=0
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) DURATION="$2"; shift 2 ;;
        --streams) STREAMS="$2"; shift 2 ;;
        --skip-build) BUILD=0; shift ;;
        --bin-dir) BIN="$2"; BUILD=0; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --pin) PIN=1; shift ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '[rapid-reset] %s\n' "$*" >&2; }
die() { printf '[rapid-reset] error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

missing=()
have wrk || missing+=(wrk)
have nginx || missing+=(nginx-light)
have curl || missing+=(curl)
have openssl || missing+=(openssl)
have python3 || missing+=(python3-minimal)
install_packages "${missing[@]}"
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

build_products orch-data-plane orch-control-plane
"$BIN/orch-control-plane" --help 2>&1 | grep -q -- '--proxy-tls-address' || die "$BIN/orch-control-plane has no TLS listener"

WORK="$(mktemp -d /tmp/orch-reset-XXXXXX)"
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    if [ -s "$WORK/orch/data/replicas.json" ]; then
        for pid in $(grep -o '"pid":[0-9]*' "$WORK/orch/data/replicas.json" | cut -d: -f2); do kill -9 "$pid" 2>/dev/null || true; done
    fi
    if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

GATEWAY_CPU=() CLIENT_CPU=() FLOOD_CPU=() LAYOUT=()
if [ "$PIN" = 1 ]; then
    [ "$(nproc)" -ge 2 ] || die "--pin needs at least 2 cores"
    GATEWAY_CPU=(taskset -c 0) CLIENT_CPU=(taskset -c 1) FLOOD_CPU=(nice -n 19 taskset -c 1)
    LAYOUT=(--replicas 1)
    export ORCH_EVENT_LOOPS=1 # replicas inherit it
fi

for name in UPSTREAM_PORT PROXY_PORT TLS_PORT ADMIN_PORT; do free_port "$name"; done
mkdir -p "$WORK/www" "$WORK/upstream" "$WORK/orch" "$WORK/tls"
head -c 1024 /dev/urandom >"$WORK/www/1k"
chmod 755 "$WORK" "$WORK/www"
chmod 644 "$WORK/www/1k"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" \
    2>"$WORK/tls/openssl.log" || { cat "$WORK/tls/openssl.log" >&2; die "openssl could not make a certificate"; }
{
    nginx_common "$WORK/upstream"
    echo "    server { listen 127.0.0.1:$UPSTREAM_PORT; root $WORK/www; default_type application/octet-stream; }"
    echo "}"
} >"$WORK/upstream/nginx.conf"
${CLIENT_CPU[@]+"${CLIENT_CPU[@]}"} "$NGINX" -p "$WORK/upstream" -c "$WORK/upstream/nginx.conf" -e "$WORK/upstream/error.log" &
PIDS+=($!)
cat >"$WORK/orch/config.yaml" <<CONF
health_check:
  enabled: false
tls:
  cert_file: $WORK/tls/cert.pem
  key_file: $WORK/tls/key.pem
endpoints:
  - name: bench
    url: http://127.0.0.1:$UPSTREAM_PORT/
CONF
log "starting orch-control-plane with its TLS listener on 127.0.0.1:$TLS_PORT"
ORCH_ADMIN_TOKEN="rapid-reset-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d " \n")" \
    ${GATEWAY_CPU[@]+"${GATEWAY_CPU[@]}"} "$BIN/orch-control-plane" ${LAYOUT[@]+"${LAYOUT[@]}"} --data-dir "$WORK/orch/data" --config "$WORK/orch/config.yaml" \
    --admin-address "127.0.0.1:$ADMIN_PORT" --proxy-address "127.0.0.1:$PROXY_PORT" \
    --proxy-tls-address "127.0.0.1:$TLS_PORT" --access-log off --log-level warning >"$WORK/orch/log" 2>&1 &
PIDS+=($!)
URL="https://127.0.0.1:$TLS_PORT/orchestrator/bench/1k"
deadline=$((SECONDS + 60))
until curl -kfsS -o /dev/null "$URL" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { cat "$WORK/orch/log" >&2; die "nothing answered at $URL"; }
    sleep 0.2
done
[ "$(curl -ks --http2 -o /dev/null -w '%{http_version}' "$URL")" = 2 ] || die "no HTTP/2 at $URL"

victim() { # -> "requests/s p50 p99" of wrk over TLS
    local out
    out=$(${CLIENT_CPU[@]+"${CLIENT_CPU[@]}"} wrk -t1 -c8 -d"${DURATION}s" --timeout 10s --latency "$URL")
    echo "$out" | awk '/^Requests\/sec:/ {r = $2} $1 == "50%" {p50 = $2} $1 == "99%" {p99 = $2}
        /Socket errors:/ {gsub(",", ""); e = $4 + $6 + $8 + $10} END {print r, p50, p99, e + 0}'
}

wrk -t1 -c8 -d2s "$URL" >/dev/null
log "the other client alone (${DURATION} s)"
read -r alone_rps alone_p50 alone_p99 alone_errors <<<"$(victim)"
log "the other client during the flood (${DURATION} s)"
${FLOOD_CPU[@]+"${FLOOD_CPU[@]}"} python3 "$ROOT/bench/rapid_reset.py" 127.0.0.1 "$TLS_PORT" /orchestrator/bench/1k "$((DURATION + 2))" "$STREAMS" \
    >"$WORK/flood.json" &
FLOOD=$!
sleep 1
read -r flood_rps flood_p50 flood_p99 flood_errors <<<"$(victim)"
wait "$FLOOD" || die "the flooding client failed"

echo
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)$([ "$PIN" = 1 ] && echo ", pinned: gateway core 0, clients core 1")"
printf '%-22s %12s %10s %10s %8s\n' "other client (wrk)" "requests/s" "p50" "p99" "errors"
printf '%-22s %12s %10s %10s %8s\n' "alone" "$alone_rps" "$alone_p50" "$alone_p99" "$alone_errors"
printf '%-22s %12s %10s %10s %8s\n' "during the flood" "$flood_rps" "$flood_p50" "$flood_p99" "$flood_errors"
echo "flooding client ($STREAMS HEADERS + RST_STREAM per connection): $(cat "$WORK/flood.json")"
echo "goaway error code 11 is ENHANCE_YOUR_CALM"
