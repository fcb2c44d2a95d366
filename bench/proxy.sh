#!/usr/bin/env bash
# Compares Orchestrator's data plane with nginx and HAProxy as reverse proxies, on loopback:
# requests/s, p50/p99 latency and CPU per request with wrk (direct upstream, nginx, HAProxy,
# Orchestrator with --replicas N, one by default) for each selected case, then the data plane's
# RSS while it streams a 1 GiB download and a 1 GiB upload. Cases: 1k and 1m (response bodies),
# conn1000 (1 KiB with 1000 connections), post16k (16 KiB request bodies), routes10k (a table of
# 10,000 endpoints, requests spread over them), https (1 KiB from an upstream that serves TLS),
# tls1k (1 KiB to clients over TLS, kept alive), tlsnew (a new TLS connection per request) and
# pool2 (1 KiB from a pool of two upstreams, round robin).
# Documented in docs/developer-guide/benchmarks.md.
#
# Usage: bench/proxy.sh [--cases "1k 1m conn1000 post16k routes10k https tls1k tlsnew pool2"|all]
#                       [--replicas N] [--event-loops N]
#                       [--duration SECONDS] [--warmup SECONDS] [--connections N] [--threads N]
#                       [--skip-build] [--bin-dir DIR] [--skip-memory] [--keep]
set -euo pipefail

DURATION=10
WARMUP=2
CONNECTIONS=64
THREADS=2
ALL_CASES="1k 1m conn1000 post16k routes10k https tls1k tlsnew pool2"
ROUTES=10000
CASES="1k 1m"
BUILD=1
MEMORY=1
KEEP=0
BIN=""
REPLICAS=1
EVENT_LOOPS=""

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --duration|--warmup|--connections|--threads|--cases|--sizes|--replicas|--event-loops|--bin-dir)
            [ $# -ge 2 ] || { echo "$1 needs a value" >&2; usage >&2; exit 2; } ;;
    esac
    case "$1" in
        --duration) DURATION="$2"; shift 2 ;;
        --warmup) WARMUP="$2"; shift 2 ;;
        --connections) CONNECTIONS="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --cases|--sizes) CASES="$2"; shift 2 ;;
        --replicas) REPLICAS="$2"; shift 2 ;;
        --event-loops) EVENT_LOOPS="$2"; shift 2 ;;
        --skip-build) BUILD=0; shift ;;
        --bin-dir) BIN="$2"; BUILD=0; shift 2 ;;
        --skip-memory) MEMORY=0; shift ;;
        --keep) KEEP=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
done

ALL_GIVEN=0
[ "$CASES" = all ] && CASES="$ALL_CASES" ALL_GIVEN=1
[ -n "${CASES// /}" ] || { echo "--cases needs at least one of: $ALL_CASES" >&2; exit 2; }
for c in $CASES; do
    case " $ALL_CASES " in *" $c "*) ;; *) echo "unknown case '$c' (cases: $ALL_CASES, or all)" >&2; exit 2 ;; esac
done
has_case() { case " $CASES " in *" $1 "*) return 0 ;; esac; return 1; }
# Cases where clients talk TLS to the proxies (Orchestrator's TLS listener), and where anything
# needs a certificate (those, and https's upstream).
edge_tls() { has_case tls1k || has_case tlsnew; }
any_tls() { has_case https || edge_tls; }

positive() { [[ "$1" =~ ^[1-9][0-9]*$ ]]; }
positive "$REPLICAS" || { echo "--replicas must be a whole number above 0, not '$REPLICAS'" >&2; exit 2; }
[ -z "$EVENT_LOOPS" ] || positive "$EVENT_LOOPS" ||
    { echo "--event-loops must be a whole number above 0, not '$EVENT_LOOPS'" >&2; exit 2; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

# --- tools --------------------------------------------------------------------------------------
missing=()
have wrk || missing+=(wrk)
have nginx || missing+=(nginx-light)
have haproxy || missing+=(haproxy)
have curl || missing+=(curl)
have python3 || missing+=(python3-minimal)
if any_tls; then have openssl || missing+=(openssl); fi
install_packages "${missing[@]}"
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
HAPROXY="$(command -v haproxy || echo /usr/sbin/haproxy)"

# wrk and the servers (which inherit it) need a descriptor per connection, twice over for a proxy.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if has_case conn1000 && [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 4096 ]; then
    die "conn1000 needs at least 4096 open files, and the hard limit is $(ulimit -Hn) (raise it, e.g. ulimit -Hn 8192 as root)"
fi

# --- build --------------------------------------------------------------------------------------
build_products orch-data-plane orch-control-plane
# Binaries from before the TLS listener cannot run the client-side TLS cases: --cases all leaves
# them out, naming them explicitly is an error.
if edge_tls && ! "$BIN/orch-control-plane" --help 2>&1 | grep -q -- '--proxy-tls-address'; then
    [ "$ALL_GIVEN" = 1 ] || die "$BIN/orch-control-plane has no --proxy-tls-address: it cannot run tls1k or tlsnew"
    log "$BIN/orch-control-plane has no TLS listener: leaving out tls1k and tlsnew"
    CASES=$(echo " $CASES " | sed 's/ tls1k / /; s/ tlsnew / /; s/^ *//; s/ *$//')
fi

# --- workspace and cleanup ----------------------------------------------------------------------
WORK="$(mktemp -d /tmp/orch-bench-XXXXXX)"
PIDS=()
trap stop_started EXIT
trap 'exit 130' INT TERM

wait_for() { # URL [seconds]  (https URLs: the run's own certificate, not verified)
    local url="$1" deadline=$((SECONDS + ${2:-60}))
    until curl -kfsS -o /dev/null "$url" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || die "nothing answered at $url"
        sleep 0.2
    done
}

for name in UPSTREAM_PORT SINK_PORT NGINX_PORT NGINX_ROUTES_PORT HAPROXY_PORT HAPROXY_ROUTES_PORT ORCH_PORT ADMIN_PORT \
    ORCH_ROUTES_PORT ADMIN_ROUTES_PORT UPSTREAM_TLS_PORT NGINX_TLS_PORT HAPROXY_TLS_PORT ORCH_EDGE_PORT \
    NGINX_EDGE_PORT HAPROXY_EDGE_PORT UPSTREAM2_PORT NGINX_POOL_PORT HAPROXY_POOL_PORT; do
    free_port "$name"
done

# --- upstream: nginx serving static bodies ------------------------------------------------------
mkdir -p "$WORK/www" "$WORK/upstream" "$WORK/nginx-proxy" "$WORK/orch" "$WORK/orch-routes"
head -c 1024 /dev/urandom >"$WORK/www/1k"
head -c 1048576 /dev/urandom >"$WORK/www/1m"
truncate -s 1G "$WORK/www/1g"
# nginx workers run as an unprivileged user when started as root: let them read the bodies.
chmod 755 "$WORK" "$WORK/www"
chmod 644 "$WORK/www/"*

# https: a self-signed certificate for the upstream, made now, valid for a day, naming 127.0.0.1
# (what Orchestrator checks, its endpoint URL being https://127.0.0.1:PORT/) and localhost (what
# nginx and HAProxy check: they verify host names only). Each proxy trusts exactly this
# certificate: Orchestrator through ORCH_CA_FILE, nginx and HAProxy through their own CA-file
# settings. tls1k and tlsnew: the three proxies serve clients this same certificate (P-256).
CERT="$WORK/tls/cert.pem" KEY="$WORK/tls/key.pem"
if any_tls; then
    mkdir -p "$WORK/tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
        -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$KEY" -out "$CERT" 2>"$WORK/tls/openssl.log" ||
        { cat "$WORK/tls/openssl.log" >&2; die "openssl could not make the upstream's certificate"; }
    # HAProxy reads the certificate and its key from one file.
    cat "$CERT" "$KEY" >"$WORK/tls/combined.pem"
fi

{
    nginx_common "$WORK/upstream"
    cat <<CONF
    sendfile on;
    tcp_nopush on;
    open_file_cache max=100;
    server {
        listen 127.0.0.1:$UPSTREAM_PORT;
        # pool2: the same files on a second port, the pool's second upstream.
        listen 127.0.0.1:$UPSTREAM2_PORT;
$(any_tls && cat <<TLS
        # https: the same files over TLS 1.3, one cipher suite for every client (without it
        # OpenSSL's clients would pick AES-256-GCM and BoringSSL's AES-128-GCM).
        listen 127.0.0.1:$UPSTREAM_TLS_PORT ssl;
        ssl_certificate $CERT;
        ssl_certificate_key $KEY;
        ssl_protocols TLSv1.3;
        ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256;
        ssl_session_cache shared:TLS:1m;
TLS
)
        root $WORK/www;
        default_type application/octet-stream;
        # post16k: a small answer to a POST, its body read and thrown away.
        location = /post { return 200 "ok\n"; }
        # routes10k: endpoint rN's base path is /rN; /rN/1k is /1k.
        location /r { rewrite ^/r[0-9]+(/.*)$ \$1 break; }
    }
}
CONF
} >"$WORK/upstream/nginx.conf"

{
    nginx_common "$WORK/nginx-proxy"
    cat <<CONF
    # Enough idle upstream connections to keep every client connection's (conn1000) alive.
    upstream backend {
        server 127.0.0.1:$UPSTREAM_PORT;
        keepalive 1024;
        keepalive_requests 1000000;
    }
    # A 16 KiB request body stays in memory (the x86-64 default of 8k writes it to a temporary file).
    client_body_buffer_size 32k;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            proxy_pass http://backend;
        }
    }
CONF
    if has_case https; then
        cat <<CONF
    upstream backend_tls {
        server 127.0.0.1:$UPSTREAM_TLS_PORT;
        keepalive 1024;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$NGINX_TLS_PORT;
        location / {
            proxy_pass https://backend_tls;
            proxy_ssl_protocols TLSv1.2 TLSv1.3;  # nginx 1.22's default lacks TLSv1.3
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate $CERT;
            proxy_ssl_name localhost;
            proxy_ssl_session_reuse on;
        }
    }
CONF
    fi
    if edge_tls; then
        # tls1k, tlsnew: clients speak TLS 1.3 to the proxy, with the cipher suite BoringSSL (in
        # Orchestrator) picks; the upstream stays plain HTTP.
        cat <<CONF
    server {
        listen 127.0.0.1:$NGINX_EDGE_PORT ssl;
        ssl_certificate $CERT;
        ssl_certificate_key $KEY;
        ssl_protocols TLSv1.3;
        ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256;
        location / {
            proxy_pass http://backend;
        }
    }
CONF
    fi
    if has_case pool2; then
        cat <<CONF
    upstream backend_pool {
        server 127.0.0.1:$UPSTREAM_PORT;
        server 127.0.0.1:$UPSTREAM2_PORT;
        keepalive 1024;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$NGINX_POOL_PORT;
        location / {
            proxy_pass http://backend_pool;
        }
    }
CONF
    fi
    if has_case routes10k; then
        # One prefix location per endpoint, as a generated config would have them: nginx finds
        # the longest matching prefix in its static location tree, built once at start.
        echo "    server {"
        echo "        listen 127.0.0.1:$NGINX_ROUTES_PORT;"
        awk -v n="$ROUTES" 'BEGIN { for (i = 0; i < n; i++) printf "        location /orchestrator/r%d/ { proxy_pass http://backend/r%d/; }\n", i, i }'
        echo "    }"
    fi
    echo "}"
} >"$WORK/nginx-proxy/nginx.conf"

cat >"$WORK/haproxy.cfg" <<CONF
global
    nbthread 1
    maxconn 4000
defaults
    mode http
    maxconn 4000
    option http-keep-alive
    http-reuse always
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend bench
    bind 127.0.0.1:$HAPROXY_PORT
    default_backend upstream
backend upstream
    server up 127.0.0.1:$UPSTREAM_PORT
CONF
if has_case https; then
    cat >>"$WORK/haproxy.cfg" <<CONF
frontend tls
    bind 127.0.0.1:$HAPROXY_TLS_PORT
    default_backend upstream_tls
backend upstream_tls
    server up 127.0.0.1:$UPSTREAM_TLS_PORT ssl verify required ca-file $CERT verifyhost localhost
CONF
fi
if edge_tls; then
    cat >>"$WORK/haproxy.cfg" <<CONF
frontend edge
    bind 127.0.0.1:$HAPROXY_EDGE_PORT ssl crt $WORK/tls/combined.pem ssl-min-ver TLSv1.3 ciphersuites TLS_AES_128_GCM_SHA256
    default_backend upstream
CONF
fi
if has_case pool2; then
    cat >>"$WORK/haproxy.cfg" <<CONF
frontend pool
    bind 127.0.0.1:$HAPROXY_POOL_PORT
    default_backend upstream_pool
backend upstream_pool
    balance roundrobin
    server a 127.0.0.1:$UPSTREAM_PORT
    server b 127.0.0.1:$UPSTREAM2_PORT
CONF
fi
if has_case routes10k; then
    # The endpoint name (the path's second segment) is looked up in a map of 10,000 names (an
    # ebtree, loaded once); its value is the base path that replaces /orchestrator/NAME.
    awk -v n="$ROUTES" 'BEGIN { for (i = 0; i < n; i++) printf "r%d /r%d\n", i, i }' >"$WORK/routes.map"
    cat >>"$WORK/haproxy.cfg" <<CONF
frontend routes
    bind 127.0.0.1:$HAPROXY_ROUTES_PORT
    http-request set-var(txn.base) path,field(3,/),map($WORK/routes.map)
    http-request return status 404 unless { var(txn.base) -m found }
    http-request set-path %[var(txn.base)]%[path,regsub(^/orchestrator/[^/]*,)]
    default_backend upstream
CONF
fi

# Upload sink: reads a whole request body (Content-Length or chunked) and answers with its size.
cat >"$WORK/sink.py" <<'PY'
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_PUT(self):
        total = 0
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                while size:
                    chunk = self.rfile.read(min(size, 1 << 20))
                    if not chunk:
                        return
                    total += len(chunk)
                    size -= len(chunk)
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length", "0"))
            while left:
                chunk = self.rfile.read(min(left, 1 << 20))
                if not chunk:
                    break
                total += len(chunk)
                left -= len(chunk)
        body = str(total).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PUT

    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
PY

log "starting upstream nginx on 127.0.0.1:$UPSTREAM_PORT"
"$NGINX" -p "$WORK/upstream" -c "$WORK/upstream/nginx.conf" -e "$WORK/upstream/error.log" &
UPSTREAM_PID=$!
PIDS+=($!)
python3 "$WORK/sink.py" "$SINK_PORT" &
PIDS+=($!)
log "starting nginx proxy on 127.0.0.1:$NGINX_PORT"
"$NGINX" -p "$WORK/nginx-proxy" -c "$WORK/nginx-proxy/nginx.conf" -e "$WORK/nginx-proxy/error.log" &
NGINX_PID=$!
PIDS+=($!)
log "starting haproxy on 127.0.0.1:$HAPROXY_PORT"
"$HAPROXY" -db -f "$WORK/haproxy.cfg" &
HAPROXY_PID=$!
PIDS+=($!)

# --- Orchestrator ------------------------------------------------------------------------------
cat >"$WORK/orch/config.yaml" <<CONF
health_check:
  enabled: false
endpoints:
  - name: bench
    url: http://127.0.0.1:$UPSTREAM_PORT/
    methods: [GET, HEAD]
    timeout: 300
  - name: sink
    url: http://127.0.0.1:$SINK_PORT/
    methods: [PUT, POST]
    timeout: 300
  - name: post
    url: http://127.0.0.1:$UPSTREAM_PORT/post
    methods: [POST]
    timeout: 300
CONF
if has_case https; then
    cat >>"$WORK/orch/config.yaml" <<CONF
  - name: tls
    url: https://127.0.0.1:$UPSTREAM_TLS_PORT/
    methods: [GET, HEAD]
    timeout: 300
CONF
fi
if has_case pool2; then
    cat >>"$WORK/orch/config.yaml" <<CONF
  - name: pool
    # The first upstream's URL is the endpoint's own, unique among endpoints: bench has the other.
    upstreams:
      - url: http://127.0.0.1:$UPSTREAM2_PORT/
      - url: http://127.0.0.1:$UPSTREAM_PORT/
    methods: [GET, HEAD]
    timeout: 300
CONF
fi
# tls1k, tlsnew: the replicas serve the same certificate on a second listening socket.
if edge_tls; then
    cat >>"$WORK/orch/config.yaml" <<CONF
tls:
  cert_file: $CERT
  key_file: $KEY
  min_version: "1.3"
CONF
fi
# routes10k: a second Orchestrator, started for that case alone, has these endpoints and r0 ...
# r9999, each with its own base path on the upstream (endpoint URLs are unique).
{
    cat "$WORK/orch/config.yaml"
    awk -v n="$ROUTES" -v port="$UPSTREAM_PORT" \
        'BEGIN { for (i = 0; i < n; i++) printf "  - name: r%d\n    url: http://127.0.0.1:%d/r%d\n", i, port, i }'
} >"$WORK/orch-routes/config.yaml"

# routes10k: each request goes to /orchestrator/rN/1k (or PREFIX/rN/1k) for an N drawn at random
# from 0 to COUNT-1. Each thread seeds its generator with its number, so every target gets the
# same sequence of paths.
cat >"$WORK/routes.lua" <<'LUA'
local prefix, count, threads = "/orchestrator", 10000, 0
function setup(thread)
    threads = threads + 1
    thread:set("seed", threads)
end
function init(args)
    if args[1] then prefix = args[1] end
    if args[2] then count = tonumber(args[2]) end
    math.randomseed(seed)
end
function request()
    return wrk.format(nil, prefix .. "/r" .. math.random(0, count - 1) .. "/1k")
end
LUA

# post16k: every request a POST with a 16 KiB body (wrk adds its Content-Length).
cat >"$WORK/post16k.lua" <<'LUA'
wrk.method = "POST"
wrk.body = string.rep("x", 16384)
wrk.headers["Content-Type"] = "application/octet-stream"
LUA

# Answers within N seconds? (no failure)
answers() { # URL SECONDS
    local deadline=$((SECONDS + $2))
    until curl -fsS -o /dev/null "$1" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.2
    done
}

# --event-loops reaches the replicas through the control plane: as its own flag if it has one,
# else as ORCH_EVENT_LOOPS, which the replicas it starts inherit with the rest of its environment.
ADMIN_TOKEN=bench-admin-token-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d " \n")
orch_env=(ORCH_ADMIN_TOKEN="$ADMIN_TOKEN")
orch_flags=()
# https: the replicas trust the upstream's certificate (--ca-file, inherited like the above).
if has_case https; then orch_env+=(ORCH_CA_FILE="$CERT"); fi
if [ -n "$EVENT_LOOPS" ]; then
    if "$BIN/orch-control-plane" --help 2>&1 | grep -q -- '--event-loops'; then
        orch_flags+=(--event-loops "$EVENT_LOOPS")
    else
        orch_env+=(ORCH_EVENT_LOOPS="$EVENT_LOOPS")
    fi
fi

# Starts an Orchestrator: orch-control-plane with its data under DIR, watching CONFIG, the proxy
# on port PROXY (and its TLS listener on port TLS, if given) and the admin API on port ADMIN;
# returns once --replicas replicas are connected and have acknowledged its snapshot. Sets CP_PID,
# DATA_PLANE_PIDS and ORCH_MODE.
start_orchestrator() { # DIR CONFIG PROXY ADMIN [TLS]
    local dir="$1" config="$2" proxy="$3" admin="$4" deadline loops tls_flags=()
    [ -z "${5:-}" ] || tls_flags=(--proxy-tls-address "127.0.0.1:$5")
    log "starting orch-control-plane --replicas $REPLICAS ${orch_flags[*]} ${orch_env[*]:1} with $(grep -c '^  - name:' "$config") endpoints (proxy 127.0.0.1:$proxy, admin 127.0.0.1:$admin)"
    env "${orch_env[@]}" "$BIN/orch-control-plane" --data-dir "$dir/data" --config "$config" \
        --admin-address "127.0.0.1:$admin" --proxy-address "127.0.0.1:$proxy" --replicas "$REPLICAS" \
        "${orch_flags[@]}" "${tls_flags[@]}" --drain-timeout 5 --log-level warning >/dev/null &
    CP_PID=$!
    PIDS+=($!)
    wait_for "http://127.0.0.1:$admin/health" 120
    if answers "http://127.0.0.1:$proxy/orchestrator/bench/1k" 20 && [ -s "$dir/data/replicas.json" ]; then
        ORCH_MODE="orch-control-plane --replicas $REPLICAS (supervised, sharing its socket"
    else
        # This control plane does not start replicas itself: run the replicas by hand (each binds
        # the port with SO_REUSEPORT), fed by the same control plane over its control socket.
        log "the control plane started no replica; starting $REPLICAS orch-data-plane --listen by hand"
        for _ in $(seq "$REPLICAS"); do
            "$BIN/orch-data-plane" --listen "127.0.0.1:$proxy" --control-socket "$dir/data/control.sock" \
                --cache-dir "$dir/cache" --drain-timeout 5 --log-level warning \
                ${EVENT_LOOPS:+--event-loops "$EVENT_LOOPS"} >/dev/null &
            PIDS+=($!)
        done
        ORCH_MODE="$REPLICAS x orch-data-plane --listen (SO_REUSEPORT), fed by orch-control-plane"
    fi
    deadline=$((SECONDS + 60))
    until DATA_PLANE_PIDS=$(synced_replicas "$admin") && [ -n "$DATA_PLANE_PIDS" ]; do
        [ $SECONDS -lt $deadline ] || die "$REPLICAS replicas did not all connect and acknowledge the snapshot within 60 s"
        sleep 0.2
    done
    # What the replicas really run: NIO names its event loop threads NIO-ELT-<group>-#<n>.
    loops=$(cat /proc/"${DATA_PLANE_PIDS%% *}"/task/*/comm 2>/dev/null | grep -c '^NIO-ELT-' || true)
    ORCH_MODE="$ORCH_MODE; pids $DATA_PLANE_PIDS), $loops event loop(s) each${EVENT_LOOPS:+ (--event-loops $EVENT_LOOPS)}"
}

# Stops an Orchestrator started by start_orchestrator and removes its processes from PIDS: SIGTERM
# to the control plane (which drains and stops the replicas it supervises), then to replicas still
# running (those started by hand), SIGKILL to anything left after 30 s.
stop_orchestrator() { # DIR CP-PID "REPLICA-PID..."
    local pid left stopped=" $2 $3 "
    kill "$2" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$2" 2>/dev/null || break; sleep 0.1; done
    # shellcheck disable=SC2086
    kill $3 2>/dev/null || true
    for _ in $(seq 300); do
        left=""
        for pid in $2 $3; do if kill -0 "$pid" 2>/dev/null; then left="$left $pid"; fi; done
        [ -n "$left" ] || break
        sleep 0.1
    done
    # shellcheck disable=SC2086
    [ -z "$left" ] || kill -9 $left 2>/dev/null || true
    if [ -s "$1/data/replicas.json" ]; then
        for pid in $(grep -o '"pid":[0-9]*' "$1/data/replicas.json" | cut -d: -f2); do
            kill -9 "$pid" 2>/dev/null || true
        done
    fi
    left=()
    for pid in "${PIDS[@]}"; do
        case "$stopped" in *" $pid "*) ;; *) left+=("$pid") ;; esac
    done
    PIDS=("${left[@]}")
}

start_orchestrator "$WORK/orch" "$WORK/orch/config.yaml" "$ORCH_PORT" "$ADMIN_PORT" "$(edge_tls && echo "$ORCH_EDGE_PORT")"
MAIN_CP_PID=$CP_PID MAIN_PIDS=$DATA_PLANE_PIDS MAIN_MODE=$ORCH_MODE

wait_for "http://127.0.0.1:$UPSTREAM_PORT/1k"
wait_for "http://127.0.0.1:$NGINX_PORT/1k"
wait_for "http://127.0.0.1:$HAPROXY_PORT/1k"
if has_case https; then
    wait_for "http://127.0.0.1:$NGINX_TLS_PORT/1k"
    wait_for "http://127.0.0.1:$HAPROXY_TLS_PORT/1k"
    wait_for "http://127.0.0.1:$ORCH_PORT/orchestrator/tls/1k"
fi
if edge_tls; then
    wait_for "https://127.0.0.1:$NGINX_EDGE_PORT/1k"
    wait_for "https://127.0.0.1:$HAPROXY_EDGE_PORT/1k"
    wait_for "https://127.0.0.1:$ORCH_EDGE_PORT/orchestrator/bench/1k"
fi
if has_case routes10k; then
    wait_for "http://127.0.0.1:$NGINX_ROUTES_PORT/orchestrator/r$((ROUTES - 1))/1k"
    wait_for "http://127.0.0.1:$HAPROXY_ROUTES_PORT/orchestrator/r$((ROUTES - 1))/1k"
fi

# --- throughput and latency ---------------------------------------------------------------------
# wrk prints latencies as 512.00us, 1.23ms or 1.02s; normalise to milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n = n / 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n = n * 60000; else if (v ~ /s$/) n = n * 1000
        printf "%.3f", n
    }'
}

# The same for processes and their children (nginx's workers).
cpu_ticks() { # "PID..."
    local pids="$1" parent
    for parent in $1; do pids="$pids $(cat /proc/"$parent"/task/*/children 2>/dev/null)"; done
    process_ticks "$pids"
}
TICKS_PER_SECOND=$(getconf CLK_TCK)

# What wrk runs for CASE against TARGET: sets URL, TARGET_PIDS (whose CPU counts), CONNS, and the wrk
# options before the URL (WRK_OPTS) and script arguments after it (WRK_ARGS).
plan() { # CASE TARGET
    local base
    case $2 in
        upstream) base="http://127.0.0.1:$UPSTREAM_PORT" TARGET_PIDS=$UPSTREAM_PID ;;
        nginx) base="http://127.0.0.1:$NGINX_PORT" TARGET_PIDS=$NGINX_PID ;;
        haproxy) base="http://127.0.0.1:$HAPROXY_PORT" TARGET_PIDS=$HAPROXY_PID ;;
        orchestrator) base="http://127.0.0.1:$ORCH_PORT/orchestrator/bench" TARGET_PIDS=$DATA_PLANE_PIDS ;;
    esac
    CONNS=$CONNECTIONS WRK_OPTS=() WRK_ARGS=()
    case $1 in
        1k|1m) URL="$base/$1" ;;
        conn1000) URL="$base/1k" CONNS=1000 ;;
        post16k)
            URL="$base/post" WRK_OPTS=(-s "$WORK/post16k.lua")
            if [ "$2" = orchestrator ]; then URL="http://127.0.0.1:$ORCH_PORT/orchestrator/post"; fi
            ;;
        https)
            case $2 in
                upstream) URL="https://127.0.0.1:$UPSTREAM_TLS_PORT/1k" ;;
                nginx) URL="http://127.0.0.1:$NGINX_TLS_PORT/1k" ;;
                haproxy) URL="http://127.0.0.1:$HAPROXY_TLS_PORT/1k" ;;
                orchestrator) URL="http://127.0.0.1:$ORCH_PORT/orchestrator/tls/1k" ;;
            esac
            ;;
        tls1k|tlsnew)
            case $2 in
                upstream) URL="https://127.0.0.1:$UPSTREAM_TLS_PORT/1k" ;;
                nginx) URL="https://127.0.0.1:$NGINX_EDGE_PORT/1k" ;;
                haproxy) URL="https://127.0.0.1:$HAPROXY_EDGE_PORT/1k" ;;
                orchestrator) URL="https://127.0.0.1:$ORCH_EDGE_PORT/orchestrator/bench/1k" ;;
            esac
            # tlsnew: the client closes after each response, so every request is a new TCP
            # connection and a full TLS handshake (wrk does not resume sessions).
            if [ "$1" = tlsnew ]; then WRK_OPTS=(-H "Connection: close"); fi
            ;;
        pool2)
            case $2 in
                upstream) URL="$base/1k" ;;
                nginx) URL="http://127.0.0.1:$NGINX_POOL_PORT/1k" ;;
                haproxy) URL="http://127.0.0.1:$HAPROXY_POOL_PORT/1k" ;;
                orchestrator) URL="http://127.0.0.1:$ORCH_PORT/orchestrator/pool/1k" ;;
            esac
            ;;
        routes10k)
            WRK_OPTS=(-s "$WORK/routes.lua") WRK_ARGS=(-- /orchestrator "$ROUTES")
            case $2 in
                upstream) URL="$base/" WRK_ARGS=(-- "" "$ROUTES") ;;
                nginx) URL="http://127.0.0.1:$NGINX_ROUTES_PORT/" ;;
                haproxy) URL="http://127.0.0.1:$HAPROXY_ROUTES_PORT/" ;;
                orchestrator) URL="http://127.0.0.1:$ORCH_ROUTES_PORT/" ;;
            esac
            ;;
    esac
}

per_request() { # TICKS REQUESTS -> microseconds
    awk -v t="$1" -v hz="$TICKS_PER_SECOND" -v n="$2" 'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0) }'
}

# Runs wrk as planned for CASE against TARGET: a warm-up, then the measured run. Sets RPS P50 P99
# TRANSFER ERRORS (socket errors: connect, read, write, timeout), CPU_US (CPU per request) and,
# for Orchestrator, CP_US (its control plane's CPU per request, not part of CPU_US).
measure() { # CASE TARGET
    local out before cp_before requests
    plan "$1" "$2"
    wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" --timeout 10s "${WRK_OPTS[@]}" "$URL" "${WRK_ARGS[@]}" >/dev/null
    before=$(cpu_ticks "$TARGET_PIDS")
    cp_before=$(process_ticks "$CP_PID")
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s --latency "${WRK_OPTS[@]}" "$URL" "${WRK_ARGS[@]}")
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    CPU_US=$(per_request "$(($(cpu_ticks "$TARGET_PIDS") - before))" "$requests")
    CP_US=$(per_request "$(($(process_ticks "$CP_PID") - cp_before))" "$requests")
    if echo "$out" | grep -q "Non-2xx"; then
        echo "$out" >&2
        die "$2 answered errors for $URL ($1)"
    fi
    RPS=$(echo "$out" | awk '/^Requests\/sec:/ {printf "%.0f", $2}')
    P50=$(to_ms "$(echo "$out" | awk '$1 == "50%" {print $2}')")
    P99=$(to_ms "$(echo "$out" | awk '$1 == "99%" {print $2}')")
    TRANSFER=$(echo "$out" | awk '/^Transfer\/sec:/ {print $2}')
    ERRORS=$(echo "$out" | awk '/Socket errors:/ {gsub(",", ""); n = $4 + $6 + $8 + $10} END {print n + 0}')
}

# Resident memory of processes together, in kB.
rss_kb() { # "PID..."
    local pid total=0
    for pid in $1; do total=$((total + $(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"))); done
    echo "$total"
}
RSS_IDLE=$(rss_kb "$MAIN_PIDS")

declare -A RESULT
CONTROL_PLANE_CPU=()
ROW='%-9s %-13s %11s %9s %9s %11s %11s %7s\n'
echo
echo "machine: $(nproc) cores, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"
echo "tools: $("$NGINX" -v 2>&1 | sed 's/.*version: //'), $("$HAPROXY" -v | head -1 | awk '{print "HAProxy " $3}'), wrk -t$THREADS -c$CONNECTIONS$(has_case conn1000 && echo " (conn1000: -c1000)") -d${DURATION}s after ${WARMUP}s warm-up"
echo "orchestrator: $MAIN_MODE"
echo
echo "cpu us/req: CPU time of the server under test (all its threads and workers) per request"
echo "errors: wrk's socket errors (connect, read, write, timeout after 10 s)"
if has_case tlsnew; then echo "tlsnew: one TLS handshake per request, so requests/s is handshakes/s"; fi
echo
printf "$ROW" "case" "target" "requests/s" "p50 ms" "p99 ms" "transfer/s" "cpu us/req" "errors"
for case in $CASES; do
    for target in upstream nginx haproxy orchestrator; do
        if [ "$case.$target" = routes10k.orchestrator ]; then
            started=$SECONDS
            start_orchestrator "$WORK/orch-routes" "$WORK/orch-routes/config.yaml" "$ORCH_ROUTES_PORT" "$ADMIN_ROUTES_PORT"
            log "routes10k: $ORCH_MODE, serving after $((SECONDS - started)) s"
        fi
        measure "$case" "$target"
        if [ "$target" = orchestrator ]; then CONTROL_PLANE_CPU+=("$case $CP_US"); fi
        if [ "$case.$target" = routes10k.orchestrator ]; then
            stop_orchestrator "$WORK/orch-routes" "$CP_PID" "$DATA_PLANE_PIDS"
            CP_PID=$MAIN_CP_PID DATA_PLANE_PIDS=$MAIN_PIDS
        fi
        RESULT[$case,$target]="$RPS $P99 $CPU_US"
        printf "$ROW" "$case" "$target" "$RPS" "$P50" "$P99" "$TRANSFER" "$CPU_US" "$ERRORS"
    done
done

echo
echo "orchestrator against the better of nginx and haproxy for each figure"
printf '%-9s %-20s %-28s %s\n' "case" "throughput vs best" "p99 vs best (lower=better)" "cpu/req vs best (lower=better)"
for case in $CASES; do
    read -r n_rps n_p99 n_cpu <<<"${RESULT[$case,nginx]}"
    read -r h_rps h_p99 h_cpu <<<"${RESULT[$case,haproxy]}"
    read -r o_rps o_p99 o_cpu <<<"${RESULT[$case,orchestrator]}"
    awk -v c="$case" -v n="$n_rps" -v h="$h_rps" -v o="$o_rps" -v np="$n_p99" -v hp="$h_p99" -v op="$o_p99" \
        -v nc="$n_cpu" -v hc="$h_cpu" -v oc="$o_cpu" 'function lower(a, b, mine,   low) {
            low = a < b ? a : b
            return sprintf("%.2fx (%s)", (low > 0 ? mine / low : 0), a < b ? "nginx" : "haproxy")
        }
        BEGIN {
            best = n > h ? n : h
            printf "%-9s %-20s %-28s %s\n", c, sprintf("%.2fx (%s)", (best > 0 ? o / best : 0), n > h ? "nginx" : "haproxy"),
                lower(np, hp, op), lower(nc, hc, oc)
        }'
done

echo
echo "orch-control-plane's own CPU per request during Orchestrator's measured runs (not in cpu us/req):"
printf '  %s\n' "${CONTROL_PLANE_CPU[@]}" | awk '{printf "  %-9s %6s us/req\n", $1, $2}'

# --- memory while streaming 1 GiB ---------------------------------------------------------------

# Runs a curl command in the background, sampling the data plane's RSS until it finishes.
stream_and_sample() { # LABEL OUTPUT-FILE curl-args...
    local label="$1" output="$2"; shift 2
    local before peak now result
    before=$(rss_kb "$MAIN_PIDS")
    peak=$before
    : >"$WORK/curl.out"
    curl -sS -o "$output" -w '%{http_code} %{size_download} %{size_upload} %{speed_download} %{speed_upload}' "$@" \
        >"$WORK/curl.stats" &
    local curl_pid=$!
    while kill -0 "$curl_pid" 2>/dev/null; do
        now=$(rss_kb "$MAIN_PIDS")
        [ "$now" -gt "$peak" ] && peak=$now
        sleep 0.05
    done
    wait "$curl_pid" || die "$label: curl failed"
    result=$(cat "$WORK/curl.stats")
    awk -v label="$label" -v b="$before" -v p="$peak" -v r="$result" -v body="$(head -c 40 "$WORK/curl.out")" 'BEGIN {
        split(r, s, " ")
        bytes = (s[2] > s[3] ? s[2] : s[3]); speed = (s[4] > s[5] ? s[4] : s[5])
        printf "%-14s status %s, %.0f MiB at %.1f MiB/s, RSS before %.1f MB, peak %.1f MB, growth %.1f MB%s\n",
            label, s[1], bytes / 1048576, speed / 1048576, b / 1024, p / 1024, (p - b) / 1024,
            (body != "" && label ~ /upload/ ? " (upstream received " body " bytes)" : "")
    }'
}

if [ "$MEMORY" = 1 ]; then
    echo
    echo "data-plane memory (pids $MAIN_PIDS, RSS added up; $((RSS_IDLE / 1024)) MB when idle before the wrk runs) while streaming 1 GiB through it:"
    stream_and_sample "1 GiB download" /dev/null "http://127.0.0.1:$ORCH_PORT/orchestrator/bench/1g"
    stream_and_sample "1 GiB upload" "$WORK/curl.out" -T "$WORK/www/1g" "http://127.0.0.1:$ORCH_PORT/orchestrator/sink/upload"
fi

echo
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) after the run"
