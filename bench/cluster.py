#!/usr/bin/env python3
"""Two control planes on one PostgreSQL database, each with one local replica: how fast a write
through one is served by the other's replica, what a database restart under load costs, and how
long the survivor takes to lead after the leader is killed. Run through bench/cluster.sh, which
installs what is missing and builds; documented in docs/developer-guide/benchmarks.md."""

import argparse
import http.client
import http.server
import json
import os
import pwd
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TOKEN = "bench-cluster-token-" + os.urandom(8).hex()


def log(text):
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(port, method, path, body=None, timeout=10):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"}
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_until(what, condition, timeout=60, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except OSError:
            pass
        time.sleep(interval)
    raise SystemExit(f"[bench] error: timed out waiting for {what}")


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def milliseconds(values):
    return (
        f"{statistics.median(values) * 1000:.1f} ms | {percentile(values, 0.9) * 1000:.1f} ms | "
        f"{percentile(values, 0.99) * 1000:.1f} ms | {max(values) * 1000:.1f} ms"
    )


class Upstream(http.server.BaseHTTPRequestHandler):
    """Answers 200 to any GET: every endpoint the bench registers points here."""

    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes: without this, Nagle's algorithm holds the body until
    # the proxy's delayed ACK (40 ms), which would be measured as propagation.
    disable_nagle_algorithm = True

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_):
        pass


class Postgres:
    """A server in WORK/pg on a free port, as the postgres user when run as root."""

    def __init__(self, binaries, work):
        self.binaries, self.directory, self.port = binaries, os.path.join(work, "pg"), free_port()
        os.makedirs(self.directory)
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            entry = pwd.getpwnam("postgres")
            os.chown(work, entry.pw_uid, entry.pw_gid)
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)
        self.run("initdb", "-D", self.data, "-U", "orch", "--auth=trust")
        self.start()
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "orch", "orchestrator")

    @property
    def data(self):
        return os.path.join(self.directory, "data")

    @property
    def url(self):
        return f"postgres://orch@127.0.0.1:{self.port}/orchestrator?sslmode=disable"

    def run(self, tool, *arguments):
        command = [os.path.join(self.binaries, tool), *arguments]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def options(self):
        return ["-o", f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"]

    def start(self):
        self.run("pg_ctl", "start", "-w", "-D", self.data, "-l", os.path.join(self.directory, "log"), *self.options())

    def restart(self):
        self.run("pg_ctl", "restart", "-m", "fast", "-w", "-D", self.data, *self.options())

    def stop(self):
        try:
            self.run("pg_ctl", "stop", "-m", "immediate", "-w", "-D", self.data)
        except subprocess.CalledProcessError:
            pass


class ControlPlane:
    """orch-control-plane NAME on the shared database, with one replica."""

    def __init__(self, binaries, work, name, database, lease_ttl):
        self.binaries, self.name, self.database, self.lease_ttl = binaries, name, database, lease_ttl
        self.directory = os.path.join(work, name)
        os.makedirs(self.directory, exist_ok=True)
        self.admin, self.proxy = free_port(), free_port()
        self.process = None
        self.start()

    def start(self):
        environment = dict(os.environ, ORCH_ADMIN_TOKEN=TOKEN, ORCH_ACCESS_LOG="off", ORCH_LEASE_TTL=str(self.lease_ttl))
        with open(os.path.join(self.directory, "log"), "ab") as log_file:
            self.process = subprocess.Popen(
                [
                    os.path.join(self.binaries, "orch-control-plane"),
                    "--data-dir", os.path.join(self.directory, "data"),
                    "--config", os.path.join(self.directory, "config.yaml"),
                    "--admin-address", f"127.0.0.1:{self.admin}",
                    "--proxy-address", f"127.0.0.1:{self.proxy}",
                    "--replicas", "1", "--database", self.database, "--node-name", self.name,
                    "--log-level", "warning",
                ],
                env=environment, stdout=log_file, stderr=log_file, stdin=subprocess.DEVNULL)
        wait_until(f"{self.name}'s replica", self.replica_synced)

    def replica_synced(self):
        status, body = request(self.admin, "GET", "/dataplanes")
        listing = json.loads(body) if status == 200 else {}
        return any(
            replica["connected"] and replica["acked_version"] == listing["current_version"]
            for replica in listing.get("dataplanes", []))

    def cluster(self):
        return json.loads(request(self.admin, "GET", "/cluster")[1])

    def serves(self, name):
        return request(self.proxy, "GET", f"/orchestrator/{name}/x", timeout=5)[0] == 200

    def kill(self):
        self.process.kill()
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        registry = os.path.join(self.directory, "data", "replicas.json")
        if os.path.exists(registry):
            for replica in json.load(open(registry)).get("replicas", []):
                try:
                    os.kill(replica["pid"], signal.SIGKILL)
                except (OSError, KeyError, TypeError):
                    pass


def register(plane, name, upstream):
    return request(plane.admin, "POST", "/registry/endpoints", {"name": name, "url": f"http://127.0.0.1:{upstream}/{name}"})


def propagation(planes, upstream, writes):
    """Writes alternately through each control plane; the time from each answer until both
    replicas serve the endpoint, and the write's own latency."""
    live, answered, own, others = [], [], [], []
    for index in range(writes):
        via = planes[index % 2]
        name = f"p{index}"
        sent = time.monotonic()
        status, body = register(via, name, upstream)
        if status != 200:
            raise SystemExit(f"[bench] error: write {name} answered {status}: {body[:200]!r}")
        acknowledged = time.monotonic()
        answered.append(acknowledged - sent)
        other = planes[1 - index % 2]
        served = {}
        while len(served) < 2:
            for plane in planes:
                if plane.name not in served and plane.serves(name):
                    served[plane.name] = time.monotonic() - acknowledged
        own.append(served[via.name])
        others.append(served[other.name])
        live.append(max(served.values()))
    return answered, own, others, live


def restart_under_load(database, planes, upstream):
    """Proxied requests through both replicas and writes through both control planes while the
    database restarts; then every acknowledged write must be on both control planes."""
    register(planes[0], "steady", upstream)
    wait_until("steady served", lambda: all(plane.serves("steady") for plane in planes))
    stop = threading.Event()
    proxied, failed, outcomes = [0], [0], []

    def load():
        while not stop.is_set():
            for plane in planes:
                try:
                    ok = plane.serves("steady")
                except OSError:
                    ok = False
                proxied[0] += ok
                failed[0] += not ok

    def writer():
        index = 0
        while not stop.is_set():
            name = f"r{index}"
            sent = time.monotonic()
            try:
                status = register(planes[index % 2], name, upstream)[0]
            except OSError:
                status = 0
            outcomes.append((name, status, time.monotonic() - sent))
            index += 1
            time.sleep(0.02)

    threads = [threading.Thread(target=load), threading.Thread(target=writer)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    started = time.monotonic()
    database.restart()
    restart_seconds = time.monotonic() - started
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join()
    acknowledged = [name for name, status, _ in outcomes if status == 200]
    missing = []
    for plane in planes:
        for name in acknowledged:
            if request(plane.admin, "GET", f"/registry/endpoints/{name}")[0] != 200:
                missing.append(f"{plane.name}:{name}")
    refused = [status for _, status, _ in outcomes if status != 200]
    slowest = max(seconds for _, _, seconds in outcomes)
    return restart_seconds, len(outcomes), len(acknowledged), refused, slowest, missing, proxied[0], failed[0]


def takeovers(planes, rounds):
    """Kills the leader with SIGKILL; the time until the survivor says it leads, then the killed
    one starts again (adopting its replica) before the next round."""
    results = []
    for _ in range(rounds):
        wait_until("a leader", lambda: any(plane.cluster()["role"] == "leader" for plane in planes))
        leader = next(plane for plane in planes if plane.cluster()["role"] == "leader")
        survivor = next(plane for plane in planes if plane is not leader)
        epoch = leader.cluster()["leader"]["epoch"]
        killed = time.monotonic()
        leader.kill()
        wait_until("the survivor leads", lambda: survivor.cluster()["role"] == "leader", timeout=300, interval=0.02)
        results.append((leader.name, epoch, survivor.cluster()["leader"]["epoch"], time.monotonic() - killed))
        leader.start()
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--pg-bin", required=True)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--takeovers", type=int, default=3)
    parser.add_argument("--lease-ttl", type=float, default=10)
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args()

    work = tempfile.mkdtemp(prefix="orch-cluster-bench-")
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    upstream_port = upstream.server_address[1]
    database, planes = None, []
    try:
        log(f"PostgreSQL in {work}/pg")
        database = Postgres(options.pg_bin, work)
        for name in ("cp-a", "cp-b"):
            log(f"starting {name}")
            planes.append(ControlPlane(options.bin, work, name, database.url, options.lease_ttl))
        log(f"{options.writes} writes, alternately through each control plane")
        answered, own, others, live = propagation(planes, upstream_port, options.writes)
        log("restarting PostgreSQL under load")
        restart = restart_under_load(database, planes, upstream_port)
        log(f"{options.takeovers} leader takeovers (lease TTL {options.lease_ttl:g} s)")
        taken = takeovers(planes, options.takeovers)

        load = os.getloadavg()
        print("# Control planes on one PostgreSQL database\n")
        print(f"- machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end")
        print(f"- two control planes (`--replicas 1` each), lease TTL {options.lease_ttl:g} s, PostgreSQL from {options.pg_bin}\n")
        print("## A write through either control plane, until both replicas serve it\n")
        print("| writes | | p50 | p90 | p99 | max |\n|---|---|---|---|---|---|")
        print(f"| {len(live)} | write (sent to answer) | {milliseconds(answered)} |")
        print(f"| {len(live)} | served by the writer's replica (from the answer; polled) | {milliseconds(own)} |")
        print(f"| {len(live)} | served by the other control plane's replica | {milliseconds(others)} |")
        print(f"| {len(live)} | served by both | {milliseconds(live)} |\n")
        seconds, sent, acked, refused, slowest, missing, proxied, failed = restart
        print("## PostgreSQL restarted (`pg_ctl restart -m fast`) under load\n")
        print("| restart | writes | acknowledged | refused | slowest write | acknowledged but missing | proxied | proxied failed |")
        print("|---|---|---|---|---|---|---|---|")
        statuses = ", ".join(f"{refused.count(s)}× {s}" for s in sorted(set(refused))) or "none"
        print(f"| {seconds:.2f} s | {sent} | {acked} | {statuses} | {slowest:.2f} s | {len(missing)} | {proxied} | {failed} |\n")
        print("## Leader killed with SIGKILL, until the survivor leads\n")
        print("| killed | epoch | new epoch | takeover |\n|---|---|---|---|")
        for name, before, after, took in taken:
            print(f"| {name} | {before} | {after} | {took:.2f} s |")
    finally:
        for plane in planes:
            plane.stop()
        if database:
            database.stop()
        upstream.shutdown()
        if options.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
