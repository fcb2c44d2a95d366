"""Driver of bench/config-scale.sh: measures how the control plane's endpoint writes, and their
delivery to the data-plane replicas, scale with the number of endpoints. The shell script starts
and stops the gateway; each subcommand here measures one phase against a running control plane
and appends one JSON line to --results; `report` turns those lines into Markdown tables.

  one     register endpoints svc0..svcN-1 through POST /registry/endpoints, one request after
          another, until N or --budget seconds
  bulk    the same N endpoints in one change: PUT /registry/endpoints when the control plane
          answers it with 2xx, else (or with --via file) the config file (rewritten, then
          POST /config/reload)
  burst   with N endpoints registered (topped up with POST /registry/import), --seconds of
          POST /registry/endpoints updates at --rate writes/s from --connections connections
  listings  time GET /registry/endpoints, /snapshots and /dataplanes (first page and a page
          further in, by cursor) against the endpoints and versions the phases left
  report  Markdown tables of every result line

"Live on every replica" of a version V: a poller thread with its own connection sends
GET /dataplanes back to back (--poll-interval apart) and keeps, for each answer, the time it
arrived, current_version and the lowest acked_version of the connected replicas. V is live at the
arrival of the first answer in which at least --replicas replicas are connected and all of them
have acked_version >= V. The resolution is one poll round trip (its p50 is in the results).

Which version a write produced: a write that changes content stores exactly one snapshot,
version = newest + 1, and the registry's current version is updated before the write is
answered. One at a time (nothing else writes: health checks are off, the file does not change),
write i of a run that started at version B produced B + i; the poller's current_version checks
it (mismatches are counted). In the burst several writes are in flight, so a write's version is
bounded by the current_version of the first poll sent after its answer: its live time is an
upper bound (it may wait for writes committed just after it).

Only the standard library.
"""

import argparse
import bisect
import http.client
import json
import os
import platform
import signal
import statistics
import sys
import threading
import time

# --- HTTP -----------------------------------------------------------------------------------------


class Admin:
    """One kept-alive connection to the admin API; reconnects after an error."""

    def __init__(self, base, token, timeout):
        host, port = base.rsplit(":", 1)
        self.host, self.port, self.timeout = host, int(port), timeout
        self.headers = {"Authorization": "Bearer " + token}
        self.conn = None

    def request(self, method, path, body=None, content_type="application/json", timeout=None):
        """(status, body bytes); raises OSError/HTTPException on a transport error."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout or self.timeout)
        elif timeout is not None:
            self.conn.timeout = timeout
            if self.conn.sock is not None:
                self.conn.sock.settimeout(timeout)
        headers = dict(self.headers)
        if body is not None:
            if not isinstance(body, bytes):
                body = body.encode()
            headers["Content-Type"] = content_type
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, data

    def json(self, method, path, body=None, **kwargs):
        try:
            status, data = self.request(method, path, body, **kwargs)
        except (OSError, http.client.HTTPException):
            if method != "GET":
                raise
            # A kept-alive connection the server closed while idle: once more on a new one.
            status, data = self.request(method, path, body, **kwargs)
        if not 200 <= status < 300:
            raise RuntimeError(f"{method} {path}: {status} {data[:300]!r}")
        return json.loads(data)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def endpoint(i, upstream, timeout=30):
    """Endpoint svcI: its own name and URL (a path on the upstream, which need not answer)."""
    return {"name": f"svc{i}", "url": f"http://127.0.0.1:{upstream}/svc{i}", "timeout": timeout}


def endpoints_yaml(count, upstream, extra=""):
    lines = [extra] if extra else []
    lines.append("endpoints:" if count else "endpoints: []")
    for i in range(count):
        lines.append(f"  - name: svc{i}\n    url: http://127.0.0.1:{upstream}/svc{i}\n    timeout: 30")
    return "\n".join(lines) + "\n"


# --- the poller -----------------------------------------------------------------------------------


class Poller(threading.Thread):
    """GET /dataplanes back to back; keeps (sent, arrived, current_version, lowest acked_version
    of the connected replicas or None when fewer than `replicas` are connected)."""

    def __init__(self, args):
        super().__init__(daemon=True)
        self.admin = Admin(args.admin, args.token, 30)
        self.replicas = args.replicas
        self.interval = args.poll_interval
        self.samples = []
        self.sent = []  # sending times of the samples, for bisect
        self.errors = 0
        self.stopping = threading.Event()
        self.changed = threading.Condition()
        self.most_behind = 0  # largest current_version - lowest acked seen

    def run(self):
        while not self.stopping.is_set():
            sent = time.monotonic()
            try:
                state = self.admin.json("GET", "/dataplanes")
            except (OSError, http.client.HTTPException, RuntimeError, ValueError):
                self.errors += 1
                time.sleep(0.05)
                continue
            arrived = time.monotonic()
            connected = [r for r in state.get("dataplanes", []) if r.get("connected")]
            acked = [r.get("acked_version") or 0 for r in connected]
            lowest = min(acked) if len(connected) >= self.replicas else None
            current = state.get("current_version") or 0
            if lowest is not None:
                self.most_behind = max(self.most_behind, current - lowest)
            with self.changed:
                self.sent.append(sent)
                self.samples.append((sent, arrived, current, lowest))
                self.changed.notify_all()
            if self.interval:
                time.sleep(self.interval)

    def stop(self):
        self.stopping.set()
        self.join(5)
        self.admin.close()

    def first_after(self, after):
        """Index of the first sample sent at or after `after` (samples are in sending order)."""
        return bisect.bisect_left(self.sent, after)

    def live_at(self, version, after):
        """Arrival time of the first sample sent at or after `after` showing every replica at
        >= version, or None."""
        samples = self.samples
        for i in range(self.first_after(after), len(samples)):
            lowest = samples[i][3]
            if lowest is not None and lowest >= version:
                return samples[i][1]
        return None

    def wait_live(self, version, after, deadline):
        """Blocks until `version` is live (arrival time) or `deadline` (None)."""
        while True:
            with self.changed:
                found = self.live_at(version, after)
                if found is not None:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self.is_alive():
                    return None
                self.changed.wait(min(remaining, 0.5))

    def current_after(self, after, wait=30):
        """current_version of the first sample sent at or after `after`, waiting up to `wait`
        seconds for it; None if none came."""
        deadline = time.monotonic() + wait
        with self.changed:
            while True:
                i = self.first_after(after)
                if i < len(self.samples):
                    return self.samples[i][2]
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self.is_alive():
                    return None
                self.changed.wait(min(remaining, 0.5))

    def round_trip_ms(self):
        trips = sorted((b - a) * 1000 for a, b, _, _ in self.samples)
        return percentile(trips, 50)


# --- figures --------------------------------------------------------------------------------------


def percentile(values, p):
    """Nearest-rank percentile of sorted values, or None."""
    if not values:
        return None
    rank = max(1, min(len(values), int(-(-p * len(values) // 100))))
    return values[rank - 1]


def kb(path, key):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def memory(pid):
    """{pid, rss_kb, hwm_kb} from /proc."""
    return {"pid": pid, "rss_kb": kb(f"/proc/{pid}/status", "VmRSS"), "hwm_kb": kb(f"/proc/{pid}/status", "VmHWM")}


def resources(args, admin):
    """Store size and the memory of the control plane and each connected replica, now."""
    store = {}
    for suffix in ("", "-wal"):
        path = os.path.join(args.data_dir, "orchestrator.sqlite" + suffix)
        store["sqlite" + suffix.replace("-", "_")] = os.path.getsize(path) if os.path.exists(path) else 0
    replicas = []
    try:
        state = admin.json("GET", "/dataplanes")
        for r in state.get("dataplanes", []):
            if r.get("connected") and r.get("pid"):
                replicas.append(dict(memory(r["pid"]), slot=r.get("slot"), acked_version=r.get("acked_version")))
        current = state.get("current_version")
    except (OSError, http.client.HTTPException, RuntimeError, ValueError) as error:
        current = None
        store["error"] = str(error)
    return {
        "store": store,
        "control_plane": memory(args.cp_pid),
        "replicas": sorted(replicas, key=lambda r: r.get("slot") or 0),
        "current_version": current,
    }


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def version_now(admin):
    return admin.json("GET", "/dataplanes").get("current_version") or 0


def endpoint_count(admin):
    return admin.json("GET", "/registry/endpoints?limit=1").get("total_count", 0)


def emit(args, record):
    record.update(size=args.count, replica_count=args.replicas, load=loadavg())
    with open(args.results, "a") as f:
        f.write(json.dumps(record) + "\n")


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- phases ---------------------------------------------------------------------------------------


def phase_one(args):
    admin = Admin(args.admin, args.token, args.request_timeout)
    base = version_now(admin)
    poller = Poller(args)
    poller.start()
    writes = []  # (sent, answered, version)
    errors = {}
    stopped = None
    started = time.monotonic()
    next_log = started + 10
    try:
        for i in range(args.count):
            if time.monotonic() - started > args.budget:
                stopped = "budget"
                break
            body = json.dumps(endpoint(i, args.upstream_port))
            sent = time.monotonic()
            try:
                status, data = admin.request("POST", "/registry/endpoints", body)
            except (OSError, http.client.HTTPException) as error:
                errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
                stopped = f"transport error: {error}"
                break
            answered = time.monotonic()
            if status != 200:
                errors[str(status)] = errors.get(str(status), 0) + 1
                if sum(errors.values()) >= 10:
                    stopped = f"10 failed writes (last {status} {data[:200]!r})"
                    break
                continue
            writes.append((sent, answered, base + len(writes) + 1))
            if answered >= next_log:
                log(f"one at a time, {args.count}: {len(writes)} registered after {answered - started:.0f} s, "
                    f"last write {(answered - sent) * 1000:.1f} ms")
                next_log = answered + 10
        elapsed = time.monotonic() - started
        # Every write must have been delivered before the live times are read: wait for the last.
        tail_deadline = time.monotonic() + args.converge_budget
        last_live = poller.wait_live(writes[-1][2], writes[-1][0], tail_deadline) if writes else None
    finally:
        poller.stop()
    final_version = version_now(admin)
    mismatches = 0
    live = []
    for sent, answered, version in writes:
        found = poller.live_at(version, sent)
        if found is not None:
            live.append(found - sent)
        seen = poller.current_after(answered, wait=0)
        if seen is not None and seen < version:
            mismatches += 1
    latencies = [answered - sent for sent, answered, _ in writes]
    record = {
        "phase": "one",
        "registered": len(writes),
        "elapsed_s": elapsed,
        "stopped": stopped,
        "budget_s": args.budget,
        "errors": errors,
        "write_ms": summary(latencies),
        "write_last100_ms": summary(latencies[-100:]),
        "live_ms": summary(live),
        "live_count": len(live),
        "last_live": last_live is not None,
        "versions": {"before": base, "after": final_version, "expected_after": base + len(writes),
                     "below_expected_after_answer": mismatches},
        "poll": {"count": len(poller.samples), "errors": poller.errors, "round_trip_p50_ms": poller.round_trip_ms(),
                 "most_versions_behind": poller.most_behind},
    }
    record.update(resources(args, admin))
    emit(args, record)
    log(f"one at a time, {args.count}: {len(writes)} registered in {elapsed:.1f} s"
        + (f" (stopped: {stopped})" if stopped else ""))


def summary(seconds):
    values = sorted(v * 1000 for v in seconds)
    return {"n": len(values), "p50": percentile(values, 50), "p99": percentile(values, 99),
            "max": values[-1] if values else None}


LISTINGS = ["/registry/endpoints", "/snapshots", "/dataplanes"]


def phase_listings(args):
    """Each listing's first page and the page after it (by next_cursor), 30 times each, back to
    back on one connection: p50 and p99 of the answer time, and the page's size."""
    admin = Admin(args.admin, args.token, args.request_timeout)
    endpoints = endpoint_count(admin)
    versions = admin.json("GET", "/snapshots?limit=1").get("total_count", 0)
    rows = []
    for path in LISTINGS:
        first = admin.json("GET", path)
        cursor = first.get("next_cursor")
        pages = [("first page", path)]
        if cursor:
            pages.append(("next page", f"{path}?cursor={cursor}"))
        for label, url in pages:
            times, size = [], 0
            for _ in range(30):
                sent = time.monotonic()
                status, data = admin.request("GET", url)
                times.append(time.monotonic() - sent)
                if status != 200:
                    raise RuntimeError(f"GET {url} answered {status}: {data[:200]!r}")
                size = len(data)
            rows.append({"path": path, "page": label, "ms": summary(times), "bytes": size})
    record = {"phase": "listings", "endpoints": endpoints, "versions": versions, "rows": rows}
    emit(args, record)
    log(f"listings at {endpoints} endpoints and {versions} versions: "
        + ", ".join(f"{r['path']} ({r['page']}) p99 {r['ms']['p99']:.1f} ms" for r in rows))


def phase_bulk(args):
    admin = Admin(args.admin, args.token, args.budget)
    base = version_now(admin)
    record = {"phase": "bulk", "budget_s": args.budget}
    poller = Poller(args)
    poller.start()
    try:
        status = None
        if args.via == "api":
            body = json.dumps({"endpoints": [endpoint(i, args.upstream_port) for i in range(args.count)]})
            sent = time.monotonic()
            try:
                status, data = admin.request("PUT", "/registry/endpoints", body)
            except (OSError, http.client.HTTPException) as error:
                status, data = None, str(error).encode()
            answered = time.monotonic()
        if status is not None and 200 <= status < 300:
            record["path"] = "PUT /registry/endpoints"
        else:
            record["path"] = "config file + POST /config/reload"
            if args.via == "api":
                record["put_answer"] = f"{status} {data[:120].decode(errors='replace')}"
                log(f"bulk, {args.count}: PUT /registry/endpoints answered {status}: using the config file")
            text = endpoints_yaml(args.count, args.upstream_port, "health_check:\n  enabled: false")
            temporary = args.config + ".tmp"
            with open(temporary, "w") as f:
                f.write(text)
            # Rename: the file watcher never sees a half-written file.
            os.replace(temporary, args.config)
            sent = time.monotonic()
            try:
                status, data = admin.request("POST", "/config/reload", b"")
            except (OSError, http.client.HTTPException) as error:
                status, data = None, str(error).encode()
            answered = time.monotonic()
        record["status"] = status
        record["answer"] = data[:300].decode(errors="replace") if not (status and 200 <= status < 300) else None
        record["answered_ms"] = (answered - sent) * 1000
        version = None
        if status is not None and 200 <= status < 300:
            version = poller.current_after(answered)
            record["version"] = version
            live = poller.wait_live(version, sent, time.monotonic() + args.converge_budget) if version else None
            record["live_ms"] = (live - sent) * 1000 if live is not None else None
        record["poll"] = {"round_trip_p50_ms": poller.round_trip_ms(), "errors": poller.errors}
    finally:
        poller.stop()
    record["versions"] = {"before": base}
    record["endpoints"] = endpoint_count(admin)
    record["converge_budget_s"] = args.converge_budget
    record.update(resources(args, admin))
    emit(args, record)
    log(f"bulk, {args.count}: {record['path']}, answered after {record['answered_ms']:.0f} ms, live after "
        + (f"{record['live_ms']:.0f} ms" if record.get("live_ms") is not None else "(not live)"))


def phase_burst(args):
    admin = Admin(args.admin, args.token, args.request_timeout)
    record = {"phase": "burst", "rate": args.rate, "seconds": args.seconds, "connections": args.connections,
              "converge_budget_s": args.converge_budget}
    have = endpoint_count(admin)
    record["registered_before"] = have
    if have < args.count:
        # Top up with one import (one snapshot): phase one may have stopped early.
        started = time.monotonic()
        status, data = admin.request("POST", "/registry/import", endpoints_yaml(args.count, args.upstream_port),
                                     content_type="application/yaml", timeout=max(args.request_timeout, args.budget))
        record["top_up"] = {"status": status, "seconds": time.monotonic() - started,
                            "answer": data[:200].decode(errors="replace")}
        if status != 200:
            record["error"] = f"could not register {args.count} endpoints: {status} {data[:200]!r}"
            emit(args, record)
            log(f"burst, {args.count}: {record['error']}")
            return
        log(f"burst, {args.count}: topped up from {have} endpoints with one import in {record['top_up']['seconds']:.1f} s")
    # Start from a settled state: every replica on the current version.
    poller = Poller(args)
    poller.start()
    try:
        settled = poller.wait_live(version_now(admin), time.monotonic(), time.monotonic() + args.converge_budget)
        record["settled_before"] = settled is not None
        record["versions"] = {"before": version_now(admin)}
        total = int(args.rate * args.seconds)
        lock = threading.Lock()
        state = {"next": 0}
        outcomes = []  # (k, scheduled, sent, answered, status)
        start = time.monotonic() + 0.2
        end = start + args.seconds

        def worker():
            connection = Admin(args.admin, args.token, args.request_timeout)
            while True:
                with lock:
                    k = state["next"]
                    scheduled = start + k / args.rate
                    if k >= total or scheduled >= end or time.monotonic() >= end:
                        break
                    state["next"] = k + 1
                delay = scheduled - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                i = k % args.count
                # A new timeout every round over the endpoints, so that each write changes content.
                body = json.dumps(endpoint(i, args.upstream_port, timeout=31 + (k // args.count) % 200))
                sent = time.monotonic()
                try:
                    status, _ = connection.request("POST", "/registry/endpoints", body)
                except (OSError, http.client.HTTPException) as error:
                    status = type(error).__name__
                outcomes.append((k, scheduled, sent, time.monotonic(), status))
            connection.close()

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.connections)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        finished = time.monotonic()
        ok = [o for o in outcomes if o[4] == 200]
        failed = {}
        for o in outcomes:
            if o[4] != 200:
                failed[str(o[4])] = failed.get(str(o[4]), 0) + 1
        record.update(scheduled=total, sent=len(outcomes), succeeded=len(ok), failed=failed,
                      sent_in_window=sum(1 for o in outcomes if o[2] < end),
                      achieved_rate=len(ok) / max(1e-9, max((o[3] for o in ok), default=start) - start),
                      sending_rate=sum(1 for o in outcomes if o[2] < end) / args.seconds,
                      drain_s=finished - end)
        record["write_ms"] = summary([o[3] - o[2] for o in ok])
        record["from_schedule_ms"] = summary([o[3] - o[1] for o in ok])
        record["behind_schedule_ms"] = summary([o[2] - o[1] for o in outcomes])
        latest = version_now(admin)
        record["versions"]["after"] = latest
        last_answer = max((o[3] for o in ok), default=None)
        converged = poller.wait_live(latest, last_answer or finished, time.monotonic() + args.converge_budget)
        # Upper bound of each write's live time: its version is at most the current_version of the
        # first poll sent after its answer.
        live = []
        unmeasured = 0
        for k, scheduled, sent, answered, status in ok:
            bound = poller.current_after(answered)
            found = poller.live_at(bound, sent) if bound is not None else None
            if found is None:
                unmeasured += 1
            else:
                live.append(found - sent)
        record["live_ms"] = summary(live)
        record["live_unmeasured"] = unmeasured
        if converged is None:
            record["converged_ms"] = None
        else:
            record["converged_ms"] = max(0.0, converged - (last_answer or finished)) * 1000
        record["poll"] = {"round_trip_p50_ms": poller.round_trip_ms(), "errors": poller.errors,
                          "most_versions_behind": poller.most_behind}
    finally:
        poller.stop()
    record.update(resources(args, admin))
    emit(args, record)
    log(f"burst, {args.count}: {record['succeeded']}/{record['sent']} writes ok, "
        f"{rate(record['achieved_rate'])}, converged "
        + (f"after {record['converged_ms']:.0f} ms" if record["converged_ms"] is not None
           else f"not after {args.converge_budget:.0f} s"))


# --- report ---------------------------------------------------------------------------------------


def ms(value):
    if value is None:
        return "–"
    if value >= 10000:
        return f"{value / 1000:.1f} s"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    if value >= 100:
        return f"{value:.0f} ms"
    return f"{value:.1f} ms"


def rate(per_second):
    return f"{per_second:.1f}/s" if per_second < 10 else f"{per_second:.0f}/s"


def mib(kilobytes):
    return "–" if kilobytes is None else f"{kilobytes / 1024:.0f} MiB"


def size(nbytes):
    if nbytes >= 1 << 20:
        return f"{nbytes / (1 << 20):.1f} MiB"
    return f"{nbytes / 1024:.0f} KiB"


def store_text(r):
    s = r.get("store", {})
    return f"{size(s.get('sqlite', 0))} + {size(s.get('sqlite_wal', 0))} wal"


def memory_text(r):
    cp = r.get("control_plane", {})
    text = f"{mib(cp.get('rss_kb'))} (peak {mib(cp.get('hwm_kb'))})"
    return text


def replicas_text(r):
    parts = [f"{mib(x.get('rss_kb'))} (peak {mib(x.get('hwm_kb'))})" for x in r.get("replicas", [])]
    return ", ".join(parts) if parts else "none connected"


def count(n):
    return f"{n:,}"


def report(args):
    records = []
    with open(args.results) as f:
        for line in f:
            if line.strip():
                records.append(json.loads(line))
    out = []
    meta = next((r for r in records if r.get("phase") == "meta"), {})
    out.append("# Control plane at scale")
    out.append("")
    if meta:
        out.append(f"- machine: {meta.get('machine')}")
        out.append(f"- control plane: {meta.get('orchestrator')}")
        out.append(f"- run: {meta.get('options')}")
        out.append("")

    ones = [r for r in records if r.get("phase") == "one"]
    if ones:
        out.append("## One at a time (POST /registry/endpoints, back to back)")
        out.append("")
        out.append("write: request sent to answer. live: request sent until every replica has acked_version >= the "
                   "write's version (upper bound, resolution one /dataplanes poll). Memory and store at the end "
                   "of the phase.")
        out.append("")
        out.append("| endpoints | registered | time | write p50 | write p99 | write p50, last 100 | live p50 | live p99 "
                   "| store | control plane RSS | replica RSS |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in ones:
            if r.get("stopped") == "budget":
                registered = f"**stopped at {count(r['registered'])} endpoints after {r['elapsed_s']:.0f} s** (budget {r['budget_s']:.0f} s)"
            elif r.get("stopped"):
                registered = f"**stopped at {count(r['registered'])}: {r['stopped']}**"
            else:
                registered = f"all {count(r['registered'])}"
            w, l, t = r["write_ms"], r["live_ms"], r["write_last100_ms"]
            out.append(f"| {count(r['size'])} | {registered} | {r['elapsed_s']:.1f} s | {ms(w['p50'])} | {ms(w['p99'])} "
                       f"| {ms(t['p50'])} | {ms(l['p50'])} | {ms(l['p99'])} | {store_text(r)} | {memory_text(r)} "
                       f"| {replicas_text(r)} |")
        out.append("")
        for r in ones:
            notes = []
            if r.get("errors"):
                notes.append(f"failed writes {r['errors']}")
            if r["live_count"] < r["registered"]:
                notes.append(f"live measured for {r['live_count']} of {r['registered']} writes")
            v = r["versions"]
            if v["after"] != v["expected_after"] or v["below_expected_after_answer"]:
                notes.append(f"versions {v}")
            notes.append(f"replicas at most {r['poll']['most_versions_behind']} versions behind; "
                         f"poll round trip p50 {ms(r['poll']['round_trip_p50_ms'])}; load average {r.get('load')} at the end")
            out.append(f"- {count(r['size'])}: " + "; ".join(notes))
        out.append("")

    bulks = [r for r in records if r.get("phase") == "bulk"]
    if bulks:
        out.append("## In bulk (the same endpoints in one change, on an empty control plane)")
        out.append("")
        out.append("answered: the change's request sent to its answer. live: until every replica acknowledged "
                   "the version it produced.")
        out.append("")
        out.append("| endpoints | path | answered | live on every replica | store | control plane RSS | replica RSS |")
        out.append("|---|---|---|---|---|---|---|")
        for r in bulks:
            if r.get("status") is None or not 200 <= r["status"] < 300:
                answered = f"**failed: {r.get('answer')}**"
            else:
                answered = ms(r["answered_ms"])
            live = ms(r.get("live_ms")) if r.get("live_ms") is not None else f"**not live after {r['converge_budget_s']:.0f} s**"
            out.append(f"| {count(r['size'])} | {r['path']} | {answered} | {live} | {store_text(r)} | "
                       f"{memory_text(r)} | {replicas_text(r)} |")
        out.append("")
        for r in bulks:
            put = f"PUT /registry/endpoints answered {r['put_answer']!r}; " if r.get("put_answer") else ""
            out.append(f"- {count(r['size'])}: {put}{r['endpoints']:,} endpoints afterwards; "
                       f"load average {r.get('load')} at the end")
        out.append("")

    bursts = [r for r in records if r.get("phase") == "burst"]
    if bursts:
        b0 = bursts[0]
        out.append(f"## Burst ({b0['rate']:g} writes/s scheduled for {b0['seconds']:g} s, "
                   f"{b0['connections']} connections, updates of existing endpoints)")
        out.append("")
        out.append("Open loop as far as the connections allow: each write has a scheduled time and is sent then, "
                   "or as soon as a connection is free. write: sent to answer. behind: sent minus scheduled. "
                   "live: sent until every replica acked a version >= the write's (upper bound). "
                   "converged: from the last answered write until every replica acked the latest version.")
        out.append("")
        out.append("| endpoints | scheduled | sent | ok | failed | achieved | write p50 | write p99 | behind p99 "
                   "| live p50 | live p99 | converged | store | control plane RSS | replica RSS |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in bursts:
            if r.get("error"):
                out.append(f"| {count(r['size'])} | **{r['error']}** |" + " |" * 13)
                continue
            converged = ms(r["converged_ms"]) if r["converged_ms"] is not None else f"**not converged after {r['converge_budget_s']:.0f} s**"
            failed = sum(r["failed"].values())
            out.append(f"| {count(r['size'])} | {count(r['scheduled'])} | {count(r['sent'])} | {count(r['succeeded'])} "
                       f"| {failed} | {rate(r['achieved_rate'])} | {ms(r['write_ms']['p50'])} | {ms(r['write_ms']['p99'])} "
                       f"| {ms(r['behind_schedule_ms']['p99'])} | {ms(r['live_ms']['p50'])} | {ms(r['live_ms']['p99'])} "
                       f"| {converged} | {store_text(r)} | {memory_text(r)} | {replicas_text(r)} |")
        out.append("")
        for r in bursts:
            if r.get("error"):
                continue
            notes = []
            if r.get("top_up"):
                notes.append(f"{r['registered_before']:,} endpoints from the phase before, topped up with one "
                             f"POST /registry/import in {r['top_up']['seconds']:.1f} s")
            if r["failed"]:
                notes.append(f"failed {r['failed']}")
            notes.append(f"last writes answered {r['drain_s']:.1f} s after the burst's end")
            notes.append(f"versions {r['versions']['before']} to {r['versions']['after']}")
            notes.append(f"replicas at most {r['poll']['most_versions_behind']} versions behind")
            if r.get("live_unmeasured"):
                notes.append(f"live not measured for {r['live_unmeasured']} writes")
            notes.append(f"load average {r.get('load')} at the end")
            out.append(f"- {count(r['size'])}: " + "; ".join(notes))
        out.append("")

    listings = [r for r in records if r.get("phase") == "listings"]
    if listings:
        out.append("## Listings (30 GETs each, back to back, after the phases above)")
        out.append("")
        out.append("| endpoints | versions kept | listing | page | p50 | p99 | bytes |")
        out.append("|---|---|---|---|---|---|---|")
        for r in listings:
            for row in r["rows"]:
                out.append(f"| {count(r['endpoints'])} | {count(r['versions'])} | `GET {row['path']}` | {row['page']} | "
                           f"{ms(row['ms']['p50'])} | {ms(row['ms']['p99'])} | {count(row['bytes'])} |")
        out.append("")

    proxies = [r for r in records if r.get("phase") == "proxy"]
    if proxies:
        r = proxies[0]
        out.append(f"## Proxy throughput (wrk {r['wrk']}, 1 KiB from nginx, requests spread over the endpoints)")
        out.append("")
        out.append("| round | endpoints | requests/s | p50 | p99 | errors | replicas' CPU µs/req | control plane's CPU µs/req |")
        out.append("|---|---|---|---|---|---|---|---|")
        for p in r["runs"]:
            out.append(f"| {p.get('round', 1)} | {count(p['endpoints'])} | {count(p['rps'])} | {p['p50']} ms | {p['p99']} ms | "
                       f"{p['errors']} | {p['replica_us']:.1f} | {p['control_us']:.1f} |")
        # Each round's largest size against its 1: the rounds' median, the machine's drift aside.
        rounds = {}
        for p in r["runs"]:
            rounds.setdefault(p.get("round", 1), []).append(p)
        pairs = [sorted(runs, key=lambda p: p["endpoints"]) for runs in rounds.values() if len(runs) == 2]
        pairs = [pair for pair in pairs if pair[0]["rps"]]
        if pairs:
            largest = pairs[0][1]["endpoints"]
            by_rps = sorted(last["rps"] / first["rps"] for first, last in pairs)
            cpu = lambda p: p["replica_us"] + p["control_us"]
            by_cpu = sorted(cpu(first) / cpu(last) for first, last in pairs if cpu(last))
            median = lambda values: statistics.median(values)
            out.append("")
            out.append(f"{count(largest)} endpoints against 1, per round: requests/s "
                       f"{', '.join(f'{v:.2f}' for v in by_rps)} (median {median(by_rps):.2f})"
                       + (f"; throughput per CPU second of the gateway (replicas and control plane) "
                          f"{', '.join(f'{v:.2f}' for v in by_cpu)} (median {median(by_cpu):.2f})" if by_cpu else "")
                       + ".")
        out.append("")

    text = "\n".join(out).rstrip() + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


def meta(args):
    record = {"phase": "meta", "machine": f"{os.cpu_count()} cores, {platform.system()} {platform.release()}, "
              f"load average {' '.join(open('/proc/loadavg').read().split()[:3])} at the start",
              "orchestrator": args.orchestrator, "options": args.options}
    with open(args.results, "a") as f:
        f.write(json.dumps(record) + "\n")


def proxy(args):
    runs = []
    for item in args.runs:
        round_, endpoints, rps, p50, p99, errors, replica_ticks, control_ticks, requests = item.split(",")
        # CPU per request: steadier than requests/s on a machine the load generator shares.
        per_request = lambda ticks: int(ticks) / args.ticks_per_second * 1e6 / max(int(requests), 1)
        runs.append({"round": int(round_), "endpoints": int(endpoints), "rps": int(rps), "p50": p50, "p99": p99, "errors": int(errors),
                     "replica_us": per_request(replica_ticks), "control_us": per_request(control_ticks)})
    with open(args.results, "a") as f:
        f.write(json.dumps({"phase": "proxy", "wrk": args.wrk, "runs": runs}) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p):
        p.add_argument("--admin", required=True, help="HOST:PORT of the admin API")
        p.add_argument("--token", required=True)
        p.add_argument("--count", type=int, required=True, help="endpoints")
        p.add_argument("--replicas", type=int, required=True)
        p.add_argument("--cp-pid", type=int, required=True)
        p.add_argument("--data-dir", required=True)
        p.add_argument("--upstream-port", type=int, required=True)
        p.add_argument("--results", required=True)
        p.add_argument("--budget", type=float, default=300)
        p.add_argument("--converge-budget", type=float, default=120)
        p.add_argument("--request-timeout", type=float, default=120)
        p.add_argument("--poll-interval", type=float, default=0.001)

    one = sub.add_parser("one")
    common(one)
    bulk = sub.add_parser("bulk")
    common(bulk)
    bulk.add_argument("--config", required=True, help="the control plane's --config file")
    bulk.add_argument("--via", choices=["api", "file"], default="api",
                      help="api: PUT /registry/endpoints (the config file if that fails); file: the config file")
    burst = sub.add_parser("burst")
    common(burst)
    burst.add_argument("--rate", type=float, default=1000)
    burst.add_argument("--seconds", type=float, default=10)
    burst.add_argument("--connections", type=int, default=8)
    listings = sub.add_parser("listings")
    common(listings)
    rep = sub.add_parser("report")
    rep.add_argument("--results", required=True)
    rep.add_argument("--out")
    m = sub.add_parser("meta")
    m.add_argument("--results", required=True)
    m.add_argument("--orchestrator", default="")
    m.add_argument("--options", default="")
    p = sub.add_parser("proxy")
    p.add_argument("--results", required=True)
    p.add_argument("--wrk", default="")
    p.add_argument("--ticks-per-second", type=float, default=100)
    p.add_argument("runs", nargs="+", help="ENDPOINTS,RPS,P50,P99,ERRORS")
    args = parser.parse_args()
    {"one": phase_one, "bulk": phase_bulk, "burst": phase_burst, "listings": phase_listings, "report": report,
     "meta": meta, "proxy": proxy}[args.command](args)


if __name__ == "__main__":
    # Ctrl-C or SIGTERM: stop at once, whatever thread or lock the phase is in (an interrupted
    # phase has no results worth writing); the shell script stops the gateway.
    signal.signal(signal.SIGINT, lambda *_: os._exit(130))
    signal.signal(signal.SIGTERM, lambda *_: os._exit(143))
    main()
