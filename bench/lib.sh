# Shared by the bench scripts (sourced after they define log and die): tool installation, free
# loopback ports and the common part of an nginx configuration.

# nginx and haproxy live in /usr/sbin, which a user's PATH may lack.
have() { command -v "$1" >/dev/null || [ -x "/usr/sbin/$1" ]; }

# Installs the given Debian packages with apt-get (through sudo when not root).
install_packages() { # PACKAGE...
    [ $# -gt 0 ] || return 0
    log "installing $*"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Sets variable NAME to a free loopback port (a refused connection means nobody listens there),
# below the kernel's ephemeral range: a port in it may be taken between the check and the bind by
# the local end of an outgoing connection (wrk and the proxies open thousands).
USED_PORTS=""
free_port() { # NAME
    local port low=32768
    read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
    [ "$low" -gt 12000 ] || die "the ephemeral port range starts at $low: no room for fixed ports below it"
    while :; do
        port=$((10000 + RANDOM % (low - 10000)))
        case " $USED_PORTS " in *" $port "*) continue ;; esac
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            USED_PORTS="$USED_PORTS $port"
            printf -v "$1" '%s' "$port"
            return
        fi
    done
}

# The start of an nginx.conf running in the foreground with its files under DIR; the caller
# adds its own http-level blocks and the closing brace.
nginx_common() { # DIR
    cat <<CONF
daemon off;
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $1/body;
    proxy_temp_path $1/proxy;
    fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi;
    scgi_temp_path $1/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
CONF
}

# Builds PRODUCT... in release from the project root when BUILD is 1, sets BIN to the release
# folder unless it is given, and stops with an error when a product is missing there.
build_products() { # PRODUCT...
    local product
    cd "$ROOT"
    if [ "$BUILD" = 1 ]; then
        log "building $* (release)"
        for product in "$@"; do swift build -c release --product "$product" >&2; done
    fi
    [ -n "$BIN" ] || BIN="$(swift build -c release --show-bin-path)"
    for product in "$@"; do
        [ -x "$BIN/$product" ] || die "no $product in $BIN (run without --skip-build, or give --bin-dir)"
    done
}

# Stops what a bench started (an EXIT trap): each pid in PIDS with SIGTERM (a control plane stops
# the replicas it started), SIGKILL after 10 s, then any replica a control plane under WORK still
# lists as running; removes WORK unless KEEP is 1.
stop_started() {
    local pid registry
    # A process a bench stopped (SIGSTOP) acts on SIGTERM only once continued.
    for pid in "${PIDS[@]}"; do kill -CONT "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    for registry in "$WORK"/orch*/data/replicas.json; do
        [ -s "$registry" ] || continue
        for pid in $(grep -o '"pid":[0-9]*' "$registry" | cut -d: -f2); do
            kill -9 "$pid" 2>/dev/null || true
        done
    done
    if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}

# The pids of the replicas of the control plane with admin port ADMIN (asked with ADMIN_TOKEN)
# that are connected, not draining, and have acknowledged its current snapshot, once there are
# REPLICAS of them; else nothing.
synced_replicas() { # ADMIN
    curl -fsS -H "Authorization: Bearer $ADMIN_TOKEN" "http://127.0.0.1:$1/dataplanes" 2>/dev/null |
        python3 -c '
import json, sys
state = json.load(sys.stdin)
version, want = state["current_version"], int(sys.argv[1])
ready = [r for r in state["dataplanes"] if r["connected"] and not r["draining"] and r["acked_version"] == version]
if version is not None and len(ready) >= want:
    print(" ".join(str(r["pid"]) for r in ready))
' "$REPLICAS" || true
}

# CPU time (clock ticks, user + system, all threads) of processes.
process_ticks() { # "PID..."
    local total=0 pid
    for pid in $1; do
        [ -r "/proc/$pid/stat" ] || continue
        total=$((total + $(sed 's/.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')))
    done
    echo "$total"
}
