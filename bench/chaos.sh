#!/usr/bin/env bash
# Runs steady load through a gateway of two supervised replicas and, in turn: rolls out every
# replica, kill -9s one replica, kill -9s and restarts the control plane, makes 100 config changes
# (one every 100 ms), and flaps one upstream while another stays up. The load comes from clients
# that behave like most (Python's http.client, curl, wrk): kept-alive connections with no idle
# timeout of their own, no retry. After each scenario it prints, per endpoint, the requests sent,
# failed (connection errors, resets, timeouts, non-2xx) and the p50/p99 latency, as counted by
# orch-load (or wrk's own counts with --client wrk). Documented in docs/developer-guide/benchmarks.md.
#
# Usage: bench/chaos.sh [--rate RPS|max] [--connections N] [--client orch-load|wrk]
#                       [--settle SECONDS] [--only "rollout kill-replica ..."]
#                       [--skip-build] [--bin-dir DIR] [--keep]
set -euo pipefail

RATE=200
CONNECTIONS=8
CLIENT=orch-load
SETTLE=3
ONLY="rollout kill-replica restart-control-plane config-churn upstream-flap"
BUILD=1
KEEP=0
BIN=""

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --rate) RATE="$2"; shift 2 ;;
        --connections) CONNECTIONS="$2"; shift 2 ;;
        --client) CLIENT="$2"; shift 2 ;;
        --settle) SETTLE="$2"; shift 2 ;;
        --only) ONLY="$2"; shift 2 ;;
        --skip-build) BUILD=0; shift ;;
        --bin-dir) BIN="$2"; BUILD=0; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
done

case "$CLIENT" in orch-load|wrk) ;; *) echo "--client must be orch-load or wrk" >&2; exit 2 ;; esac
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '[chaos] %s\n' "$*" >&2; }
die() { printf '[chaos] error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

# --- tools --------------------------------------------------------------------------------------
missing=()
have nginx || missing+=(nginx-light)
have curl || missing+=(curl)
have python3 || missing+=(python3-minimal)
[ "$CLIENT" = wrk ] && { have wrk || missing+=(wrk); }
install_packages "${missing[@]}"
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

# --- build --------------------------------------------------------------------------------------
build_products orch-data-plane orch-control-plane orchctl orch-load

# --- workspace and cleanup ----------------------------------------------------------------------
WORK="$(mktemp -d /tmp/orch-chaos-XXXXXX)"
DATA="$WORK/data"
CONTROL_PLANE_PID=""
SPLIT_PID=""
LOAD_PIDS=()
NGINX_PIDS=()
replica_pids() { # from the supervisor's registry file, which outlives a killed control plane
    [ -s "$DATA/replicas.json" ] || return 0
    grep -o '"pid" *: *[0-9]*' "$DATA/replicas.json" | grep -o '[0-9]*$' || true
}
cleanup() {
    local pid
    for pid in "${LOAD_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    # SIGTERM: the control plane drains and stops its replicas; then make sure of it.
    local replicas
    replicas="$(replica_pids)"
    if [ -n "$CONTROL_PLANE_PID" ]; then
        kill "$CONTROL_PLANE_PID" 2>/dev/null || true
        for _ in $(seq 150); do kill -0 "$CONTROL_PLANE_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$CONTROL_PLANE_PID" 2>/dev/null || true
    fi
    for pid in $replicas $(replica_pids); do kill -9 "$pid" 2>/dev/null || true; done
    for pid in "${NGINX_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -n "$SPLIT_PID" ] && kill "$SPLIT_PID" 2>/dev/null || true
    [ -f "$WORK/flap/nginx.pid" ] && kill "$(cat "$WORK/flap/nginx.pid")" 2>/dev/null || true
    if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits until COMMAND succeeds, up to SECONDS.
wait_until() { # SECONDS DESCRIPTION COMMAND...
    local deadline=$((SECONDS + $1)) what="$2"
    shift 2
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || die "timed out waiting for $what"
        sleep 0.2
    done
}

for name in STEADY_PORT FLAP_PORT SPLIT_PORT PROXY_PORT ADMIN_PORT; do free_port "$name"; done
TOKEN="chaos-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d " \n")"
export ORCH_ADMIN_URL="http://127.0.0.1:$ADMIN_PORT" ORCH_ADMIN_TOKEN="$TOKEN"
PROXY="http://127.0.0.1:$PROXY_PORT/orchestrator"

# --- upstreams: two nginx instances answering 200 "ok" ------------------------------------------
nginx_conf() { # DIR PORT
    nginx_common "$1"
    cat <<CONF
    server {
        listen 127.0.0.1:$2;
        location / { return 200 "ok\n"; }
    }
}
CONF
}
mkdir -p "$WORK/steady" "$WORK/flap" "$DATA"
nginx_conf "$WORK/steady" "$STEADY_PORT" >"$WORK/steady/nginx.conf"
nginx_conf "$WORK/flap" "$FLAP_PORT" >"$WORK/flap/nginx.conf"
"$NGINX" -c "$WORK/steady/nginx.conf" -e "$WORK/steady/error.log" &
NGINX_PIDS+=($!)
start_flap() { "$NGINX" -c "$WORK/flap/nginx.conf" -e "$WORK/flap/error.log" & FLAP_PID=$!; }
stop_flap() { kill "$FLAP_PID" 2>/dev/null || true; wait "$FLAP_PID" 2>/dev/null || true; }
start_flap

# --- upstream 3: Python's http.server, which sends a response's head before its body -------------
# Through the gateway, a response then spends most of its time with its head already forwarded: a
# replica that drained by closing such a connection after the response, without saying so, would
# lose the client's next request on it. The rollout scenario sends to it too.
python3 - "$SPLIT_PORT" <<'PY' >"$WORK/split.log" 2>&1 &
import http.server, sys
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()  # flushed on its own
        self.wfile.write(b"ok\n")
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
PY
SPLIT_PID=$!
# The gateway's first health probe must find it up (one refused probe marks it unhealthy).
wait_until 60 "the head-first upstream" curl -fsS "http://127.0.0.1:$SPLIT_PORT/"

# --- the gateway --------------------------------------------------------------------------------
write_config() { # EXTRA_TIMEOUT: a value that changes between config versions
    cat >"$WORK/config.yaml.tmp" <<CONF
health_check:
  enabled: true
  interval: 1
  timeout: 1
  unhealthy_threshold: 1
  healthy_threshold: 1
circuit_breaker:
  failure_threshold: 3
  reset_timeout: 1
  half_open_max_calls: 1
endpoints:
  - name: steady
    url: http://127.0.0.1:$STEADY_PORT/
    methods: [GET]
    timeout: 10
  - name: api
    url: http://127.0.0.1:$STEADY_PORT/api
    methods: [GET]
    timeout: 10
  - name: flapping
    url: http://127.0.0.1:$FLAP_PORT/
    methods: [GET]
    timeout: 2
  - name: churn
    url: http://127.0.0.1:$STEADY_PORT/churn
    methods: [GET]
    timeout: $1
  - name: split
    url: http://127.0.0.1:$SPLIT_PORT/
    methods: [GET]
    timeout: 10
CONF
    mv "$WORK/config.yaml.tmp" "$WORK/config.yaml"
}
write_config 10

start_control_plane() {
    "$BIN/orch-control-plane" --data-dir "$DATA" --config "$WORK/config.yaml" \
        --admin-address "127.0.0.1:$ADMIN_PORT" --proxy-address "127.0.0.1:$PROXY_PORT" --replicas 2 \
        --drain-timeout 10 --log-level warning >>"$WORK/control-plane.log" 2>&1 &
    CONTROL_PLANE_PID=$!
}

# Two connected replicas that acknowledged the current snapshot and are not draining.
replicas_ready() {
    curl -fsS -H "Authorization: Bearer $TOKEN" "$ORCH_ADMIN_URL/dataplanes" | python3 -c '
import json, sys
listing = json.load(sys.stdin)
ready = [r for r in listing["dataplanes"]
         if r["connected"] and not r["draining"] and r["acked_version"] == listing["current_version"]]
sys.exit(0 if len(ready) == 2 else 1)'
}

log "starting orch-control-plane --replicas 2 (proxy 127.0.0.1:$PROXY_PORT, admin 127.0.0.1:$ADMIN_PORT)"
start_control_plane
wait_until 120 "the admin API" curl -fsS "$ORCH_ADMIN_URL/health"
wait_until 120 "two ready replicas" replicas_ready
wait_until 60 "the proxy" curl -fsS "$PROXY/steady/"

# --- scenarios ----------------------------------------------------------------------------------
# Starts the load on TARGETS (NAME=URL): orch-load with CONNECTIONS kept-alive connections (paced
# at RATE requests/s over all of them, or back to back with --rate max), or one wrk per target
# with its share of the connections (wrk always sends back to back).
start_load() { # NAME TARGET...
    local name="$1" target
    shift
    LOAD_PIDS=()
    if [ "$CLIENT" = orch-load ]; then
        local pace=()
        [ "$RATE" = max ] || pace=(--rate "$RATE")
        "$BIN/orch-load" --connections "$CONNECTIONS" "${pace[@]}" --timeout 15 "$@" >"$WORK/load-$name.txt" 2>&1 &
        LOAD_PIDS+=($!)
        return
    fi
    local share=$(((CONNECTIONS + $# - 1) / $#))
    for target in "$@"; do
        wrk -t1 -c"$share" -d1h --timeout 15s --latency "${target#*=}" >"$WORK/wrk-$name-${target%%=*}.txt" 2>&1 &
        LOAD_PIDS+=($!)
    done
}

# Stops the load and prints its counts.
stop_load() { # NAME TARGET...
    local name="$1" target pid
    shift
    # SIGINT: both orch-load and wrk stop, then print what they counted.
    for pid in "${LOAD_PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
    for pid in "${LOAD_PIDS[@]}"; do wait "$pid" || true; done
    LOAD_PIDS=()
    if [ "$CLIENT" = orch-load ]; then
        sed 's/^/   /' "$WORK/load-$name.txt"
        return
    fi
    for target in "$@"; do
        # wrk: "N requests in ...", then "Socket errors: connect A, read B, write C, timeout D" and
        # "Non-2xx or 3xx responses: E" when there were any.
        awk -v name="${target%%=*}" '
            /requests in/ { sent = $1 }
            /Socket errors/ { errors = $0; sub(/^ */, "", errors) }
            /Non-2xx/ { non2xx = $NF }
            /^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 }
            END { printf "   %s: sent %s, %s, non-2xx %d, p50 %s p99 %s\n", name, sent,
                  errors == "" ? "no socket errors" : errors, non2xx, p50, p99 }' \
            "$WORK/wrk-$name-${target%%=*}.txt"
    done
}

# Runs the load on TARGETS while ACTION runs, with SETTLE seconds of load before and after.
scenario() { # NAME ACTION TARGET...
    local name="$1" action="$2"
    shift 2
    log "scenario: $name"
    start_load "$name" "$@"
    sleep "$SETTLE"
    "$action"
    sleep "$SETTLE"
    echo "== $name: $(scenario_note "$name")"
    stop_load "$name" "$@"
}

scenario_note() {
    case "$1" in
        rollout) echo "orchctl rollout of both replicas (goal: 0 failed)" ;;
        kill-replica) echo "kill -9 of one replica (each connection it held loses its request in flight or its next one)" ;;
        restart-control-plane) echo "kill -9 of the control plane, then a restart (goal: 0 failed)" ;;
        config-churn) echo "100 config changes, one every 100 ms (goal: 0 failed)" ;;
        upstream-flap) echo "the flapping endpoint's upstream down/up 5 times (steady: goal 0 failed)" ;;
    esac
}

do_rollout() {
    local before
    before="$(replica_pids | sort | tr '\n' ' ')"
    "$BIN/orchctl" rollout >&2 || die "rollout failed"
    wait_until 60 "two ready replicas" replicas_ready
    log "replica pids: $before-> $(replica_pids | sort | tr '\n' ' ')"
}

do_kill_replica() {
    local victim
    victim="$(replica_pids | head -1)"
    [ -n "$victim" ] || die "no replica pid in $DATA/replicas.json"
    log "kill -9 $victim"
    kill -9 "$victim"
    wait_until 60 "the killed replica's replacement" replicas_ready
}

do_restart_control_plane() {
    log "kill -9 control plane $CONTROL_PLANE_PID"
    kill -9 "$CONTROL_PLANE_PID"
    wait "$CONTROL_PLANE_PID" 2>/dev/null || true
    sleep 1
    start_control_plane
    wait_until 120 "the restarted admin API" curl -fsS "$ORCH_ADMIN_URL/health"
    wait_until 60 "the replicas to reconnect" replicas_ready
}

do_config_churn() {
    local i
    for i in $(seq 1 100); do
        write_config $((10 + i % 7))
        sleep 0.1
    done
    wait_until 60 "the replicas to acknowledge the last config" replicas_ready
}

do_upstream_flap() {
    local i
    for i in 1 2 3 4 5; do
        stop_flap
        sleep 1
        start_flap
        sleep 1
    done
}

STEADY_TARGETS=("steady=$PROXY/steady/" "api=$PROXY/api/")
for name in $ONLY; do
    case "$name" in
        rollout) scenario rollout do_rollout "${STEADY_TARGETS[@]}" "split=$PROXY/split/" ;;
        kill-replica) scenario kill-replica do_kill_replica "${STEADY_TARGETS[@]}" ;;
        restart-control-plane) scenario restart-control-plane do_restart_control_plane "${STEADY_TARGETS[@]}" ;;
        config-churn) scenario config-churn do_config_churn "${STEADY_TARGETS[@]}" "churn=$PROXY/churn/" ;;
        upstream-flap) scenario upstream-flap do_upstream_flap "${STEADY_TARGETS[@]}" "flapping=$PROXY/flapping/" ;;
        *) die "unknown scenario '$name'" ;;
    esac
done
