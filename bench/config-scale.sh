#!/usr/bin/env bash
# Measures how the control plane's configuration changes scale with the number of endpoints, with
# --replicas data-plane replicas (2 by default), at each of --sizes (100, 1,000 and 10,000
# endpoints by default): registering them one write at a time (write latency and time until every
# replica serves it, each phase stopped after --phase-budget seconds), all of them in one change
# (PUT /registry/endpoints, or the file for a build without it; and the config file, each on a
# control plane of its own), a burst of updates at --burst-rate writes/s, store size and memory,
# and how long the listings take with the endpoints and versions that left (every version kept,
# up to --snapshot-history); then wrk's requests/s through the proxy with 1 and with the largest
# size of endpoints, with the replicas' and the control plane's CPU per request, in --proxy-rounds
# rounds (4 by default): both gateways run side by side, the one not measured stopped, and runs
# alternate between them, whose median ratio is reported: a shared machine's throughput drifts by
# more than the difference measured.
# bench/config_scale.py does the measuring.
# Documented in docs/developer-guide/benchmarks.md.
#
# Usage: bench/config-scale.sh [--sizes "100 1000 10000"] [--replicas N] [--phase-budget SECONDS]
#                              [--burst-rate N] [--burst-seconds S] [--burst-connections N]
#                              [--converge-budget SECONDS] [--poll-interval SECONDS]
#                              [--phases "one bulk burst"] [--snapshot-history N] [--skip-proxy]
#                              [--duration SECONDS] [--connections N] [--proxy-rounds N] [--out FILE]
#                              [--skip-build] [--bin-dir DIR] [--keep]
set -euo pipefail

SIZES="100 1000 10000"
REPLICAS=2
PHASE_BUDGET=300
BURST_RATE=1000
BURST_SECONDS=10
BURST_CONNECTIONS=8
CONVERGE_BUDGET=120
SNAPSHOT_HISTORY=20000
POLL_INTERVAL=0.001
ALL_PHASES="one bulk burst"
PHASES="$ALL_PHASES"
PROXY=1
DURATION=10
WARMUP=2
CONNECTIONS=64
PROXY_ROUNDS=4
THREADS=2
OUT=""
BUILD=1
KEEP=0
BIN=""

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --sizes|--replicas|--phase-budget|--burst-rate|--burst-seconds|--burst-connections|--converge-budget|\
        --poll-interval|--phases|--duration|--connections|--out|--bin-dir|--snapshot-history|--proxy-rounds)
            [ $# -ge 2 ] || { echo "$1 needs a value" >&2; usage >&2; exit 2; } ;;
    esac
    case "$1" in
        --sizes) SIZES="$2"; shift 2 ;;
        --replicas) REPLICAS="$2"; shift 2 ;;
        --phase-budget) PHASE_BUDGET="$2"; shift 2 ;;
        --burst-rate) BURST_RATE="$2"; shift 2 ;;
        --burst-seconds) BURST_SECONDS="$2"; shift 2 ;;
        --burst-connections) BURST_CONNECTIONS="$2"; shift 2 ;;
        --converge-budget) CONVERGE_BUDGET="$2"; shift 2 ;;
        --poll-interval) POLL_INTERVAL="$2"; shift 2 ;;
        --phases) PHASES="$2"; shift 2 ;;
        --snapshot-history) SNAPSHOT_HISTORY="$2"; shift 2 ;;
        --skip-proxy) PROXY=0; shift ;;
        --duration) DURATION="$2"; shift 2 ;;
        --connections) CONNECTIONS="$2"; shift 2 ;;
        --proxy-rounds) PROXY_ROUNDS="$2"; shift 2 ;;
        --out) OUT="$2"; shift 2 ;;
        --skip-build) BUILD=0; shift ;;
        --bin-dir) BIN="$2"; BUILD=0; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
done

positive() { [[ "$1" =~ ^[1-9][0-9]*$ ]]; }
number() { [[ "$1" =~ ^[0-9]+(\.[0-9]+)?$ ]] && [[ ! "$1" =~ ^0+(\.0+)?$ ]]; }
[ -n "${SIZES// /}" ] || { echo "--sizes needs at least one number of endpoints" >&2; exit 2; }
for n in $SIZES; do positive "$n" || { echo "--sizes: '$n' is not a whole number above 0" >&2; exit 2; }; done
for p in $PHASES; do
    case " $ALL_PHASES " in *" $p "*) ;; *) echo "unknown phase '$p' (phases: $ALL_PHASES)" >&2; exit 2 ;; esac
done
positive "$SNAPSHOT_HISTORY" || { echo "--snapshot-history must be a whole number above 0" >&2; exit 2; }
positive "$REPLICAS" || { echo "--replicas must be a whole number above 0, not '$REPLICAS'" >&2; exit 2; }
positive "$BURST_CONNECTIONS" || { echo "--burst-connections must be a whole number above 0" >&2; exit 2; }
positive "$DURATION" || { echo "--duration must be a whole number of seconds above 0" >&2; exit 2; }
positive "$CONNECTIONS" || { echo "--connections must be a whole number above 0" >&2; exit 2; }
for v in PHASE_BUDGET BURST_RATE BURST_SECONDS CONVERGE_BUDGET; do
    number "${!v}" || { echo "--$(echo "$v" | tr '[:upper:]_' '[:lower:]-') must be a number above 0, not '${!v}'" >&2; exit 2; }
done
[[ "$POLL_INTERVAL" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "--poll-interval must be a number of seconds, not '$POLL_INTERVAL'" >&2; exit 2; }
has_phase() { case " $PHASES " in *" $1 "*) return 0 ;; esac; return 1; }
# The largest size: the proxy's table of endpoints is that big.
LARGEST=$(for n in $SIZES; do echo "$n"; done | sort -n | tail -1)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ -z "$OUT" ] || OUT="$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")"
log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

# --- tools --------------------------------------------------------------------------------------
missing=()
have curl || missing+=(curl)
have python3 || missing+=(python3-minimal)
if [ "$PROXY" = 1 ]; then
    have wrk || missing+=(wrk)
    have nginx || missing+=(nginx-light)
fi
install_packages "${missing[@]}"
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# --- build --------------------------------------------------------------------------------------
build_products orch-data-plane orch-control-plane

# --- workspace and cleanup ----------------------------------------------------------------------
WORK="$(mktemp -d /tmp/orch-config-scale-XXXXXX)"
RESULTS="$WORK/results.jsonl"
PIDS=()
trap stop_started EXIT
trap 'exit 130' INT TERM

wait_for() { # URL [seconds]
    local url="$1" deadline=$((SECONDS + ${2:-60}))
    until curl -fsS -o /dev/null "$url" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || die "nothing answered at $url"
        sleep 0.2
    done
}

free_port UPSTREAM_PORT

ADMIN_TOKEN=bench-admin-token-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d " \n")

# Starts orch-control-plane --replicas N with its data under DIR (made anew), watching CONFIG, the
# proxy on a free port and the admin API on another; returns once --replicas replicas are
# connected and have acknowledged its snapshot. Sets CP_PID, DATA_PLANE_PIDS, PROXY_PORT and
# ADMIN_PORT. Its log (warnings and errors) goes to DIR/control-plane.log.
start_orchestrator() { # DIR CONFIG [FLAG...]
    local dir="$1" config="$2" deadline
    shift 2
    mkdir -p "$dir"
    free_port PROXY_PORT
    free_port ADMIN_PORT
    log "starting orch-control-plane --replicas $REPLICAS with $(grep -c '^  - name:' "$config" || true) endpoints in its file (proxy 127.0.0.1:$PROXY_PORT, admin 127.0.0.1:$ADMIN_PORT)"
    ORCH_ADMIN_TOKEN="$ADMIN_TOKEN" "$BIN/orch-control-plane" --data-dir "$dir/data" --config "$config" \
        --admin-address "127.0.0.1:$ADMIN_PORT" --proxy-address "127.0.0.1:$PROXY_PORT" --replicas "$REPLICAS" \
        --drain-timeout 5 --log-level warning "$@" >/dev/null 2>"$dir/control-plane.log" &
    CP_PID=$!
    PIDS+=($!)
    wait_for "http://127.0.0.1:$ADMIN_PORT/health" 120
    deadline=$((SECONDS + 120))
    until DATA_PLANE_PIDS=$(synced_replicas "$ADMIN_PORT") && [ -n "$DATA_PLANE_PIDS" ]; do
        kill -0 "$CP_PID" 2>/dev/null || { tail -20 "$dir/control-plane.log" >&2; die "orch-control-plane exited"; }
        [ $SECONDS -lt $deadline ] || die "$REPLICAS replicas did not all connect and acknowledge the snapshot within 120 s"
        sleep 0.2
    done
}

# Stops the Orchestrator last started: SIGTERM to the control plane (which drains and stops its
# replicas), SIGKILL to anything left after 30 s, and drops its pid from PIDS.
stop_orchestrator() { # DIR
    local pid left=()
    kill "$CP_PID" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$CP_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$CP_PID" 2>/dev/null || true
    if [ -s "$1/data/replicas.json" ]; then
        for pid in $(grep -o '"pid":[0-9]*' "$1/data/replicas.json" | cut -d: -f2); do
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
        done
    fi
    for pid in "${PIDS[@]}"; do [ "$pid" = "$CP_PID" ] || left+=("$pid"); done
    PIDS=(${left[@]+"${left[@]}"})
}

# A config file with health checks off (endpoint URLs need not answer) and no endpoints.
empty_config() { # FILE
    printf 'health_check:\n  enabled: false\nendpoints: []\n' >"$1"
}

driver() { # PHASE DIR SIZE [ARG...]
    local phase="$1" dir="$2" size="$3"
    shift 3
    python3 "$ROOT/bench/config_scale.py" "$phase" --admin "127.0.0.1:$ADMIN_PORT" --token "$ADMIN_TOKEN" \
        --count "$size" --replicas "$REPLICAS" --cp-pid "$CP_PID" --data-dir "$dir/data" \
        --upstream-port "$UPSTREAM_PORT" --results "$RESULTS" --budget "$PHASE_BUDGET" \
        --converge-budget "$CONVERGE_BUDGET" --poll-interval "$POLL_INTERVAL" "$@"
}

CONTROL_PLANE_VERSION=$("$BIN/orch-control-plane" --version 2>/dev/null || echo unknown)
python3 "$ROOT/bench/config_scale.py" meta --results "$RESULTS" \
    --orchestrator "orch-control-plane $CONTROL_PLANE_VERSION ($BIN), --replicas $REPLICAS, git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    --options "sizes $SIZES; phases $PHASES$([ "$PROXY" = 1 ] && echo " proxy"); phase budget ${PHASE_BUDGET} s; burst ${BURST_RATE}/s for ${BURST_SECONDS} s over $BURST_CONNECTIONS connections; converge budget ${CONVERGE_BUDGET} s; GET /dataplanes every ${POLL_INTERVAL} s"

STARTED=$SECONDS
# --- endpoint writes ----------------------------------------------------------------------------
for size in $SIZES; do
    # One at a time, then the burst on the same control plane (topped up to SIZE endpoints with
    # one import when the first phase stopped early or did not run).
    if has_phase one || has_phase burst; then
        dir="$WORK/orch-writes-$size"
        mkdir -p "$dir"
        empty_config "$dir/config.yaml"
        start_orchestrator "$dir" "$dir/config.yaml" --snapshot-history "$SNAPSHOT_HISTORY"
        if has_phase one; then
            log "one at a time: $size endpoints (budget $PHASE_BUDGET s)"
            driver one "$dir" "$size"
        fi
        if has_phase burst; then
            log "burst: $size endpoints, $BURST_RATE writes/s for $BURST_SECONDS s"
            driver burst "$dir" "$size" --rate "$BURST_RATE" --seconds "$BURST_SECONDS" \
                --connections "$BURST_CONNECTIONS"
        fi
        log "listings: $size endpoints"
        driver listings "$dir" "$size"
        stop_orchestrator "$dir"
    fi
    # In bulk, on a control plane of its own that starts empty.
    if has_phase bulk; then
        dir="$WORK/orch-bulk-$size"
        mkdir -p "$dir"
        empty_config "$dir/config.yaml"
        start_orchestrator "$dir" "$dir/config.yaml"
        log "in bulk: $size endpoints"
        driver bulk "$dir" "$size" --config "$dir/config.yaml"
        stop_orchestrator "$dir"
        # The same through the config file, on another control plane that starts empty.
        dir="$WORK/orch-bulk-file-$size"
        mkdir -p "$dir"
        empty_config "$dir/config.yaml"
        start_orchestrator "$dir" "$dir/config.yaml"
        log "in bulk through the config file: $size endpoints"
        driver bulk "$dir" "$size" --config "$dir/config.yaml" --via file
        stop_orchestrator "$dir"
    fi
done

# --- proxy throughput with 1 and LARGEST endpoints ----------------------------------------------
if [ "$PROXY" = 1 ]; then
    mkdir -p "$WORK/www" "$WORK/upstream"
    head -c 1024 /dev/urandom >"$WORK/www/1k"
    # nginx workers run as an unprivileged user when started as root: let them read the body.
    chmod 755 "$WORK" "$WORK/www"
    chmod 644 "$WORK/www/1k"
    {
        nginx_common "$WORK/upstream"
        cat <<CONF
    server {
        listen 127.0.0.1:$UPSTREAM_PORT;
        root $WORK/www;
        default_type application/octet-stream;
        # Endpoint rN's base path is /rN; /rN/1k is /1k.
        location /r { rewrite ^/r[0-9]+(/.*)$ \$1 break; }
    }
}
CONF
    } >"$WORK/upstream/nginx.conf"
    log "starting upstream nginx on 127.0.0.1:$UPSTREAM_PORT"
    "$NGINX" -p "$WORK/upstream" -c "$WORK/upstream/nginx.conf" -e "$WORK/upstream/error.log" &
    PIDS+=($!)
    wait_for "http://127.0.0.1:$UPSTREAM_PORT/r0/1k"

    # Each request goes to /orchestrator/rN/1k for an N drawn at random from 0 to COUNT-1 (as
    # bench/proxy.sh's routes10k); with 1 endpoint every request goes to r0.
    cat >"$WORK/routes.lua" <<'LUA'
local count, threads = 1, 0
function setup(thread)
    threads = threads + 1
    thread:set("seed", threads)
end
function init(args)
    if args[1] then count = tonumber(args[1]) end
    math.randomseed(seed)
end
function request()
    return wrk.format(nil, "/orchestrator/r" .. math.random(0, count - 1) .. "/1k")
end
LUA
    # wrk prints latencies as 512.00us, 1.23ms or 1.02s; normalise to milliseconds.
    to_ms() {
        awk -v v="$1" 'BEGIN {
            n = v + 0
            if (v ~ /us$/) n = n / 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n = n * 60000; else if (v ~ /s$/) n = n * 1000
            printf "%.3f", n
        }'
    }
    # Both gateways run side by side, only one awake at a time: the other's control plane and
    # replicas are stopped (SIGSTOP), so that it takes no CPU, and woken (SIGCONT) for its turn.
    # Runs alternate between them, in rounds of one run each (odd rounds 1 endpoint first, even
    # rounds the largest size first): the machine's speed drifts over minutes by more than the
    # difference measured, and this way both sizes see the same stretch of it.
    declare -A GATEWAY_CP GATEWAY_REPLICAS GATEWAY_PORT GATEWAY_DIR
    gateway_processes() { echo "${GATEWAY_CP[$1]} ${GATEWAY_REPLICAS[$1]}"; }
    freeze() { kill -STOP $(gateway_processes "$1"); }
    thaw() { kill -CONT $(gateway_processes "$1"); }
    for count in 1 "$LARGEST"; do
        dir="$WORK/orch-proxy-$count"
        mkdir -p "$dir"
        {
            printf 'health_check:\n  enabled: false\nendpoints:\n'
            awk -v n="$count" -v port="$UPSTREAM_PORT" \
                'BEGIN { for (i = 0; i < n; i++) printf "  - name: r%d\n    url: http://127.0.0.1:%d/r%d\n", i, port, i }'
        } >"$dir/config.yaml"
        start_orchestrator "$dir" "$dir/config.yaml"
        wait_for "http://127.0.0.1:$PROXY_PORT/orchestrator/r$((count - 1))/1k" 60
        GATEWAY_CP[$count]=$CP_PID
        GATEWAY_REPLICAS[$count]=$DATA_PLANE_PIDS
        GATEWAY_PORT[$count]=$PROXY_PORT
        GATEWAY_DIR[$count]=$dir
        freeze "$count"
    done
    runs=()
    for round in $(seq 1 "$PROXY_ROUNDS"); do
        order="1 $LARGEST"
        [ $((round % 2)) = 1 ] || order="$LARGEST 1"
        for count in $order; do
            thaw "$count"
            port=${GATEWAY_PORT[$count]}
            log "proxy, round $round of $PROXY_ROUNDS: $count endpoint(s), wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s"
            wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" --timeout 10s -s "$WORK/routes.lua" \
                "http://127.0.0.1:$port/" -- "$count" >/dev/null
            replica_ticks=$(process_ticks "${GATEWAY_REPLICAS[$count]}")
            control_ticks=$(process_ticks "${GATEWAY_CP[$count]}")
            out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s "$WORK/routes.lua" \
                "http://127.0.0.1:$port/" -- "$count")
            replica_ticks=$(($(process_ticks "${GATEWAY_REPLICAS[$count]}") - replica_ticks))
            control_ticks=$(($(process_ticks "${GATEWAY_CP[$count]}") - control_ticks))
            freeze "$count"
            if echo "$out" | grep -q "Non-2xx"; then
                echo "$out" >&2
                thaw 1
                thaw "$LARGEST"
                die "the proxy answered errors with $count endpoints"
            fi
            rps=$(echo "$out" | awk '/^Requests\/sec:/ {printf "%.0f", $2}')
            p50=$(to_ms "$(echo "$out" | awk '$1 == "50%" {print $2}')")
            p99=$(to_ms "$(echo "$out" | awk '$1 == "99%" {print $2}')")
            errors=$(echo "$out" | awk '/Socket errors:/ {gsub(",", ""); n = $4 + $6 + $8 + $10} END {print n + 0}')
            requests=$(echo "$out" | awk '/ requests in / {print $1}')
            runs+=("$round,$count,$rps,$p50,$p99,$errors,$replica_ticks,$control_ticks,$requests")
        done
    done
    for count in 1 "$LARGEST"; do
        thaw "$count"
        CP_PID=${GATEWAY_CP[$count]}
        stop_orchestrator "${GATEWAY_DIR[$count]}"
    done
    python3 "$ROOT/bench/config_scale.py" proxy --results "$RESULTS" \
        --wrk "-t$THREADS -c$CONNECTIONS -d${DURATION}s after ${WARMUP}s warm-up" \
        --ticks-per-second "$(getconf CLK_TCK)" "${runs[@]}"
fi

log "done in $((SECONDS - STARTED)) s"
python3 "$ROOT/bench/config_scale.py" report --results "$RESULTS" ${OUT:+--out "$OUT"}
