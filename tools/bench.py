#!/usr/bin/python3
"""Runs Runnel and redis-server side by side with the same settings and compares them.

Each workload runs against one server at a time (server pinned to CPU 0, the load generator
to CPU 1 when the machine has two), and reports for both, with the ratio Runnel / Redis:
  - throughput and the server's own CPU time per operation (utime + stime from
    /proc/<pid>/stat, before and after), without persistence;
  - memory per stream entry: INFO used_memory after minus before N pipelined XADDs;
  - XADD throughput with the append-only log under appendfsync always / everysec / no;
  - restart: time from exec to the first PONG after SIGKILL, from the log alone and from a
    rewritten log (base snapshot), with the files' sizes; SAVE time and snapshot size;
  - consumer groups (tools/bench_groups.cc): a consume/ack loop, memory per pending entry and
    XPENDING / XAUTOCLAIM latency on a large PEL, XADD latency with 10,000 blocked consumers.
With --only compare --before <an earlier runnel-server>, the figures that measure a change:
server CPU per XAUTOCLAIM on a large PEL (pipelined, so no round trip hides it), server CPU with
2,000 consumers blocked while each XADD wakes one, and restart from a log of 1M and 10M entries,
for the earlier build, this one and Redis, side by side in one run.
With --only queues: memory per delayed entry (XADD ... AT) against a Redis sorted-set delay
queue, how fast and how late delayed entries fire (Runnel only), ageing out a million old
entries with RETENTION-MS against one XTRIM MINID on Redis (how long other clients wait), and
dead-lettering by XNACK FATAL against the MULTI / XADD / XACK / EXEC a Redis client does by
hand.
With --only scrape (Runnel alone): the longest wait another client sees while /metrics is
scraped with 10,000 streams, at 10,000 and 100,000 series.
With --only connections: XADD and XLEN throughput with 100, 1,000 and 10,000 connections.
With --only import: an RDB file of 10,000,000 stream entries loaded by redis-server and carried
into Runnel by runnel-check --import-rdb (tools/bench_import.py).
With --only tls: what TLS costs, each server measured on its plain port and on its TLS port
(certificates made with the openssl command), Runnel beside redis-server.

Usage: tools/bench.py --runnel build/runnel-server [--quick] [--write docs/benchmarks.md]
       tools/bench.py --runnel build/runnel-server --only compare --before old/runnel-server
       tools/bench.py --runnel build/runnel-server --only queues [--quick]
Standard library only; needs redis-server, redis-benchmark and redis-cli on the PATH.
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MARK_BEGIN = "<!-- bench:begin -->"
IDLE_BEGIN = "<!-- bench-idle:begin -->"
COMPARE_BEGIN = "<!-- bench-compare:begin -->"
COMPARE_END = "<!-- bench-compare:end -->"
IDLE_END = "<!-- bench-idle:end -->"
MARK_END = "<!-- bench:end -->"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_prefix(cpu):
    if shutil.which("taskset") and os.cpu_count() and os.cpu_count() >= 2:
        return ["taskset", "-c", str(cpu)]
    return []


class Server:
    def __init__(self, name, argv_for_port):
        self.name = name
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix=f"bench-{name}-")
        self.argv = cpu_prefix(0) + argv_for_port(self.port, self.dir)
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.proc = None
        self.keep = False  # keep the data directory after stop(), for a failure's evidence
        self.spawn()

    def spawn(self):
        """Starts the process; returns the seconds until it answered PING with PONG (that is,
        until its data was loaded), also kept as spawn_seconds."""
        self.spawn_seconds = self._spawn()
        return self.spawn_seconds

    def _spawn(self):
        started = time.monotonic()
        self.proc = subprocess.Popen(self.argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=self.dir)
        deadline = started + 600
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.dir}/server.log")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.005)
        raise RuntimeError(f"{self.name} did not start")

    def crash_and_restart(self):
        self.proc.kill()
        self.proc.wait()
        return self.spawn()

    def cli(self, *args):
        out = subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True,
                             text=True, check=True)
        return out.stdout.strip()

    def info_field(self, section, field):
        for line in self.cli("INFO", section).splitlines():
            if line.startswith(field + ":"):
                return int(line.split(":", 1)[1])
        raise KeyError(field)

    def wait_info(self, section, field, value):
        while self.info_field(section, field) != value:
            time.sleep(0.02)

    def expect_length(self, key, entries):
        """Fails, keeping the data directory for a look, unless XLEN `key` is `entries`."""
        got = self.cli("XLEN", key)
        if got != str(entries):
            self.keep = True
            raise RuntimeError(f"{self.name}: XLEN {key} is {got!r}, expected {entries}; "
                               f"see {self.dir}")

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime

    def files(self, suffixes):
        """Total size of the files under the data directory ending in one of `suffixes`."""
        total = 0
        for root, _, names in os.walk(self.dir):
            total += sum(os.path.getsize(os.path.join(root, n)) for n in names
                         if n.endswith(suffixes))
        return total

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


# Both servers start without persistence unless a workload's settings turn it on (later
# flags override earlier ones in both).
def start_redis(settings):
    def argv(port, d):
        return ["redis-server", "--port", str(port), "--dir", d, "--save", "",
                "--appendonly", "no"] + settings
    return Server("redis", argv)


def start_runnel(binary, settings):
    def argv(port, d):
        return [binary, "--port", str(port), "--dir", d, "--save", "",
                "--appendonly", "no"] + settings
    return Server("runnel", argv)


RUNS = 3  # each throughput figure is the median of this many redis-benchmark runs


def benchmark(server, requests, clients, pipeline, command, port=None, flags=()):
    """The run with the median throughput of RUNS redis-benchmark runs: one run alone was
    seen 30% off on this shared machine. Returns (requests/s, server CPU µs per op). `port`
    and `flags` point redis-benchmark elsewhere (the TLS port, with --tls ...)."""
    runs = sorted(benchmark_once(server, requests, clients, pipeline, command, port, flags)
                  for _ in range(RUNS))
    return runs[len(runs) // 2]


def benchmark_once(server, requests, clients, pipeline, command, port=None, flags=()):
    before = server.cpu_seconds()
    argv = cpu_prefix(1) + ["redis-benchmark", "-p", str(port or server.port), *flags,
                            "-n", str(requests), "-c", str(clients), "-P", str(pipeline),
                            "--csv", *command]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    after = server.cpu_seconds()
    rps = None
    for line in out.splitlines():
        parts = [p.strip('"') for p in line.split(",")]
        if len(parts) >= 2 and parts[0] != "test":
            rps = float(parts[1])
    if rps is None:
        raise RuntimeError("no result from redis-benchmark:\n" + out)
    return rps, (after - before) * 1e6 / requests


# Three small fields: all constant, and with one value that varies (redis-benchmark's
# __rand_int__, a 12-digit zero-padded number, so a string both servers store as text).
MEMORY_WORKLOADS = [
    ("constant fields", ["sensor", "s17", "temp", "21", "status", "ok"]),
    ("one varying value", ["sensor", "__rand_int__", "temp", "21", "status", "ok"]),
]


def fill(server, key, count, fields=MEMORY_WORKLOADS[0][1]):
    """Adds `count` entries to `key` with a pipelined redis-benchmark."""
    argv = cpu_prefix(1) + ["redis-benchmark", "-p", str(server.port), "-n", str(count),
                            "-c", "1", "-P", "64", "-r", "1000000", "XADD", key, "*", *fields]
    subprocess.run(argv, capture_output=True, check=True)


WORKLOADS = [
    # (name, requests, clients, pipeline, command, setup entries in "bench")
    ("XADD 1 field, 50 clients", 200_000, 50, 1, ["XADD", "w1", "*", "f", "v"], 0),
    ("XADD 3 fields, -P 32", 1_000_000, 50, 32,
     ["XADD", "w3", "*", "sensor", "s17", "temp", "21", "status", "ok"], 0),
    ("XRANGE COUNT 10", 200_000, 50, 1, ["XRANGE", "bench", "-", "+", "COUNT", "10"], 1000),
    ("XREAD COUNT 10", 200_000, 50, 1, ["XREAD", "COUNT", "10", "STREAMS", "bench", "0"], 1000),
]


def run_workloads(make_server, quick):
    results = {}
    for name, requests, clients, pipeline, command, setup in WORKLOADS:
        if quick:
            requests //= 10
        server = make_server()
        try:
            if setup:
                fill(server, "bench", setup)
            results[name] = benchmark(server, requests, clients, pipeline, command)
        finally:
            server.stop()
    return results


def memory_per_entry(make_server, entries, fields):
    server = make_server()
    try:
        server.cli("XADD", "mem", "*", "sensor", "s17", "temp", "21", "status", "ok")
        before = server.info_field("memory", "used_memory")
        fill(server, "mem", entries, fields)
        after = server.info_field("memory", "used_memory")
        length = int(server.cli("XLEN", "mem"))
        return (after - before) / (length - 1)
    finally:
        server.stop()


FSYNC_POLICIES = ["always", "everysec", "no"]
FSYNC_COMMAND = ["XADD", "d3", "*", "sensor", "s17", "temp", "21", "status", "ok"]


def durable_throughput(make_server, quick):
    """XADD with the append-only log on, under each fsync policy: 50 clients, no pipelining
    (each client waits for its reply, so group commit is what helps under always)."""
    results = {}
    for policy in FSYNC_POLICIES:
        server = make_server(["--appendonly", "yes", "--appendfsync", policy])
        try:
            results[policy] = benchmark(server, 20_000 if quick else 200_000, 50, 1,
                                        FSYNC_COMMAND)
        finally:
            server.stop()
    return results


# Files each server's log and snapshots consist of.
LOG_FILES = {"runnel": (".incr.aof",), "redis": (".incr.aof",)}
BASE_FILES = {"runnel": (".base.rnl",), "redis": (".base.rdb",)}
DUMP_FILES = {"runnel": ("dump.rnl",), "redis": ("dump.rdb",)}


def restart(name, make_server, entries):
    """Restart times and file sizes for `entries` XADDs of three small fields (one varying)."""
    server = make_server(["--appendonly", "yes", "--appendfsync", "everysec",
                          "--auto-aof-rewrite-percentage", "0"])
    out = {}
    try:
        fill(server, "r", entries, MEMORY_WORKLOADS[1][1])
        entries = int(server.cli("XLEN", "r"))  # redis-benchmark may overshoot by a pipeline
        out["log_bytes"] = server.files(LOG_FILES[name])
        out["from_log_s"] = server.crash_and_restart()
        server.expect_length("r", entries)
        server.cli("BGREWRITEAOF")
        time.sleep(0.1)
        server.wait_info("persistence", "aof_rewrite_in_progress", 0)
        out["base_bytes"] = server.files(BASE_FILES[name])
        out["fork_us"] = server.info_field("stats", "latest_fork_usec")
        out["from_base_s"] = server.crash_and_restart()
        server.expect_length("r", entries)
        started = time.monotonic()
        server.cli("SAVE")
        out["save_s"] = time.monotonic() - started
        out["dump_bytes"] = server.files(DUMP_FILES[name])
    finally:
        server.stop()
    return out


def bench_groups(binary, server, mode, *args):
    """Runs one runnel-bench-groups mode; returns its name=value results (floats) plus the
    server's CPU seconds used."""
    before = server.cpu_seconds()
    argv = cpu_prefix(1) + [binary, mode, "--port", str(server.port), *map(str, args)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    values = {k: float(v) for k, v in (kv.split("=") for kv in out.split())}
    values["cpu_s"] = server.cpu_seconds() - before
    return values


def groups(make_server, tool, quick):
    entries = 20_000 if quick else 200_000
    out = {}
    server = make_server([])
    try:
        out["consume"] = bench_groups(tool, server, "consume", "--entries", entries,
                                      "--consumers", 4)
    finally:
        server.stop()
    server = make_server([])
    try:
        out["pel"] = bench_groups(tool, server, "pel", "--entries", entries // 2)
    finally:
        server.stop()
    server = make_server(["--maxclients", "12000"])
    try:
        out["blocked"] = bench_groups(tool, server, "blocked", "--waiters",
                                      1000 if quick else 10_000, "--adds", 2000)
    finally:
        server.stop()
    return out


def skip_reply(buf, pos):
    """Where the RESP2 reply starting at buf[pos] ends, or None if it is not all there."""
    nl = buf.find(b"\r\n", pos)
    if nl < 0:
        return None
    kind = buf[pos:pos + 1]
    if kind in (b"+", b"-", b":"):
        return nl + 2
    n = int(buf[pos + 1:nl])
    if kind == b"$":
        end = nl + 2 + n + 2
        return nl + 2 if n < 0 else (end if end <= len(buf) else None)
    at = nl + 2
    for _ in range(max(n, 0)):
        at = skip_reply(buf, at)
        if at is None:
            return None
    return at


def pipelined_cpu_us(server, command, calls, batch=500):
    """The server's CPU µs per call of `command`, sent `batch` at a time on one connection:
    the server's own cost, with no round trip in it."""
    request = b"*%d\r\n" % len(command) + b"".join(
        b"$%d\r\n%s\r\n" % (len(a), a) for a in (c.encode() for c in command))
    with socket.create_connection(("127.0.0.1", server.port)) as conn:
        before = server.cpu_seconds()
        done = 0
        while done < calls:
            n = min(batch, calls - done)
            conn.sendall(request * n)
            buf, pos, got = b"", 0, 0
            while got < n:
                buf += conn.recv(1 << 20)
                while got < n and (end := skip_reply(buf, pos)) is not None:
                    pos, got = end, got + 1
            done += n
        return (server.cpu_seconds() - before) * 1e6 / calls


def autoclaim_cpu(make_server, quick):
    """XAUTOCLAIM COUNT 10 (and with JUSTID) from 0-0 on a PEL of 100,000 entries delivered to
    10 consumers: each call claims the same first 10 again."""
    server = make_server([])
    try:
        fill(server, "pel", 10_000 if quick else 100_000)
        server.cli("XGROUP", "CREATE", "pel", "g", "0")
        for i in range(10 if quick else 100):
            server.cli("XREADGROUP", "GROUP", "g", f"c{i % 10}", "COUNT", "1000", "STREAMS",
                       "pel", ">")
        calls = 2_000 if quick else 20_000
        claim = ["XAUTOCLAIM", "pel", "g", "reclaimer", "0", "0", "COUNT", "10"]
        return {"xautoclaim_us": pipelined_cpu_us(server, claim, calls),
                "justid_us": pipelined_cpu_us(server, claim + ["JUSTID"], calls)}
    finally:
        server.stop()


# Commands whose server-side cost the comparison measures pipelined (on a 1,000-entry stream):
# without a round trip in each call, what remains is the command itself.
PIPELINED = [("XADD 1 field", ["XADD", "w", "*", "f", "v"]),
             ("XRANGE COUNT 10", ["XRANGE", "bench", "-", "+", "COUNT", "10"]),
             ("XREAD COUNT 10", ["XREAD", "COUNT", "10", "STREAMS", "bench", "0"]),
             ("XLEN", ["XLEN", "bench"])]


def pipelined_costs(make_server, quick):
    server = make_server()
    try:
        fill(server, "bench", 1000)
        return {name: pipelined_cpu_us(server, command, 10_000 if quick else 100_000)
                for name, command in PIPELINED}
    finally:
        server.stop()


def compare(make_servers, tool, quick):
    """The change figures for each server in `make_servers` (name -> start function), and the
    everyday ones beside them, so that a change shows what it did not slow down too."""
    out = {}
    restart_entries = [100_000] if quick else [1_000_000, 10_000_000]
    entries = 100_000 if quick else 1_000_000
    for name, start in make_servers.items():
        plain = lambda start=start: start([])  # noqa: E731
        r = out[name] = {"autoclaim": autoclaim_cpu(start, quick)}
        r["pipelined"] = pipelined_costs(plain, quick)
        r["throughput"] = run_workloads(plain, quick)
        r["memory"] = {w: memory_per_entry(plain, entries, f) for w, f in MEMORY_WORKLOADS}
        r["durable"] = durable_throughput(start, quick)
        server = start([])
        try:
            r["consume"] = bench_groups(tool, server, "consume", "--entries",
                                        20_000 if quick else 200_000, "--consumers", 4)
        finally:
            server.stop()
        server = start(["--maxclients", "12000"])
        try:
            r["blocked"] = bench_groups(tool, server, "blocked", "--waiters",
                                        200 if quick else 2_000, "--adds", 2000)
        finally:
            server.stop()
        kind = "redis" if name == "redis" else "runnel"
        r["restart"] = {n: restart(kind, start, n)["from_log_s"] for n in restart_entries}
    return out


def render_compare(r, before_label):
    names = list(r)
    label = {"before": before_label, "runnel": "Runnel now", "redis": "Redis 7.0"}
    lines = [COMPARE_BEGIN, "",
             f"Measured {time.strftime('%Y-%m-%d')} by `tools/bench --only compare --before ...`: "
             "the earlier build, this one and redis-server in one run, one server at a time, "
             "pinned to CPU 0. CPU figures are the server's own user + system time.", "",
             "| measure | " + " | ".join(label[n] for n in names) + " |",
             "|---" + "|---:" * len(names) + "|"]
    def row(title, values, fmt):
        lines.append(f"| {title} | " + " | ".join(fmt.format(v) for v in values) + " |")
    row("XAUTOCLAIM COUNT 10 on a 100,000-entry PEL: server CPU µs/call",
        [r[n]["autoclaim"]["xautoclaim_us"] for n in names], "{:.1f}")
    row("... with JUSTID: server CPU µs/call", [r[n]["autoclaim"]["justid_us"] for n in names],
        "{:.1f}")
    waiters = int(r[names[0]]["blocked"]["waiters"])
    row(f"{waiters:,} consumers blocked, 2,000 XADDs each waking one: server CPU s",
        [r[n]["blocked"]["cpu_s"] for n in names], "{:.2f}")
    row("... XADD round trip p50 µs", [r[n]["blocked"]["xadd_p50_us"] for n in names], "{:.0f}")
    for n in r[names[0]]["restart"]:
        row(f"restart from a log of {n:,} XADDs (exec to first PONG after SIGKILL), s",
            [r[x]["restart"][n] for x in names], "{:.2f}")
    for name, _ in PIPELINED:
        row(f"{name}, pipelined: server CPU µs/call", [r[n]["pipelined"][name] for n in names],
            "{:.2f}")
    for workload, *_ in WORKLOADS:
        row(f"{workload}: req/s (median of {RUNS})",
            [r[n]["throughput"][workload][0] for n in names], "{:,.0f}")
        row("... server CPU µs/op", [r[n]["throughput"][workload][1] for n in names], "{:.2f}")
    for policy in FSYNC_POLICIES:
        row(f"XADD, appendfsync {policy}, 50 clients: req/s",
            [r[n]["durable"][policy][0] for n in names], "{:,.0f}")
        row("... server CPU µs/op", [r[n]["durable"][policy][1] for n in names], "{:.2f}")
    for workload, _ in MEMORY_WORKLOADS:
        row(f"memory per entry, {workload}: bytes", [r[n]["memory"][workload] for n in names],
            "{:.1f}")
    row("consume loop (XREADGROUP COUNT 10 + XACK, 4 clients): entries/s",
        [r[n]["consume"]["entries_per_sec"] for n in names], "{:,.0f}")
    row("... server CPU µs/entry",
        [r[n]["consume"]["cpu_s"] * 1e6 / r[n]["consume"]["consumed"] for n in names], "{:.2f}")
    lines += ["", COMPARE_END]
    return "\n".join(lines)


IDLE_PELS = (1_000, 100_000)
IDLE_ENTRIES = 100


def idle_pel(make_server, tool, claim):
    """XAUTOCLAIM against XREADGROUP CLAIM (Runnel only: Redis 7.0 lacks it) finding the
    IDLE_ENTRIES idle entries at the end of PELs of each size in IDLE_PELS."""
    out = {}
    for n in IDLE_PELS:
        server = make_server([])
        try:
            out[n] = bench_groups(tool, server, "idle", "--entries", n, "--idle", IDLE_ENTRIES,
                                  "--claim", 1 if claim else 0)
        finally:
            server.stop()
    return out


def render_idle(r):
    runnel, redis = r["runnel"]["idle"], r["redis"]["idle"]
    lines = [IDLE_BEGIN, "",
             f"Measured {time.strftime('%Y-%m-%d')} by `tools/bench --only idle` "
             "(`runnel-bench-groups idle`). A PEL whose only idle entries are the "
             f"{IDLE_ENTRIES} with the highest IDs (delivered 2 s before the rest): the time "
             "and calls to find and claim all of them, COUNT 10 per call. XAUTOCLAIM walks the "
             "PEL in ID order, so it pays for the whole PEL; XREADGROUP CLAIM (Redis 8.4, "
             "Runnel only here: Debian's Redis 7.0 lacks it) reads the delivery-time index and "
             "pays for what it returns.", "",
             "| PEL size | Runnel XREADGROUP CLAIM | Runnel XAUTOCLAIM | Redis XAUTOCLAIM |",
             "|---:|---:|---:|---:|"]
    for n in IDLE_PELS:
        a, b = runnel[n], redis[n]
        lines.append(f"| {n:,} | {a['claim_ms']:.2f} ms, {a['claim_calls']:.0f} calls | "
                     f"{a['xautoclaim_ms']:.2f} ms, {a['xautoclaim_calls']:.0f} calls | "
                     f"{b['xautoclaim_ms']:.2f} ms, {b['xautoclaim_calls']:.0f} calls |")
    lines += ["", IDLE_END]
    return "\n".join(lines)


POLICY_BEGIN = "<!-- bench:policies:begin -->"
POLICY_END = "<!-- bench:policies:end -->"


def policies(make_server, tool, quick):
    """The consume loop on Runnel without and with a group policy that sets every rule
    (MAXDELIVERIES + DEADLETTER, BACKOFF, MAXPENDING, CONSUMER-EXPIRE), 7 alternating runs so
    drift hits both alike; the median of each side's server CPU per entry."""
    entries = 20_000 if quick else 200_000
    runs = {False: [], True: []}
    for _ in range(1 if quick else 7):
        for with_policy in (False, True):
            server = make_server([])
            try:
                r = bench_groups(tool, server, "consume", "--entries", entries, "--consumers", 4,
                                 "--policy", int(with_policy))
                runs[with_policy].append(r["cpu_s"] * 1e6 / r["consumed"])
            finally:
                server.stop()
    return {k: sorted(v)[len(v) // 2] for k, v in runs.items()} | {"entries": entries}


def render_policies(r):
    return "\n".join([
        POLICY_BEGIN, "",
        f"Measured {time.strftime('%Y-%m-%d')} by `tools/bench --only policies`. Consume loop "
        f"(4 connections, XREADGROUP COUNT 10 + XACK, {r['entries']:,} entries), Runnel only, "
        "median of 7 alternating runs:",
        "",
        "| | no policy | every policy rule set | ratio |",
        "|---|---|---|---|",
        f"| server CPU µs/entry | {r[False]:.2f} | {r[True]:.2f} | {r[True] / r[False]:.3f} |",
        "", POLICY_END,
    ])


QUEUES_BEGIN = "<!-- bench:queues:begin -->"
QUEUES_END = "<!-- bench:queues:end -->"


class RespError(Exception):
    pass


def read_reply(buf, pos):
    """(value, end) of the RESP2 reply starting at buf[pos], or None if it is not all there.
    Bulk strings come back as bytes, errors as RespError instances (not raised)."""
    nl = buf.find(b"\r\n", pos)
    if nl < 0:
        return None
    kind, line = buf[pos:pos + 1], buf[pos + 1:nl]
    if kind == b"+":
        return line, nl + 2
    if kind == b"-":
        return RespError(line.decode()), nl + 2
    if kind == b":":
        return int(line), nl + 2
    n = int(line)
    if kind == b"$":
        if n < 0:
            return None, nl + 2
        end = nl + 2 + n
        return (buf[nl + 2:end], end + 2) if end + 2 <= len(buf) else None
    items, at = [], nl + 2
    for _ in range(max(n, 0)):
        got = read_reply(buf, at)
        if got is None:
            return None
        items.append(got[0])
        at = got[1]
    return (items if n >= 0 else None), at


def encode(command):
    args = [a if isinstance(a, bytes) else str(a).encode() for a in command]
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


class Client:
    """One connection speaking raw RESP2, for pipelines a Python loop can drive fast."""

    def __init__(self, server):
        self.conn = socket.create_connection(("127.0.0.1", server.port))
        self.conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self):
        self.conn.close()

    def call(self, *command):
        return self.pipeline([command])[0]

    def pipeline(self, commands, batch=1000, keep=True):
        """Sends `commands` (any iterable) `batch` at a time, waiting for each batch's replies
        before the next; returns the replies (None when not `keep`). Raises on an error reply."""
        replies, it = [], iter(commands)
        while True:
            chunk = [encode(c) for _, c in zip(range(batch), it)]
            if not chunk:
                return replies if keep else None
            self.conn.sendall(b"".join(chunk))
            buf, pos, got = b"", 0, 0
            while got < len(chunk):
                data = self.conn.recv(1 << 20)
                if not data:
                    raise RuntimeError("connection closed")
                buf += data
                while got < len(chunk) and (r := read_reply(buf, pos)) is not None:
                    value, pos = r
                    got += 1
                    if isinstance(value, RespError):
                        raise value
                    if keep:
                        replies.append(value)


    def blast(self, commands, batch):
        """Sends `commands` `batch` at a time, each batch encoded beforehand and closed by a PING
        whose +PONG, the batch's last reply, is all that is looked for: the round trips carry
        the server's work and little of this script's. Replies go unchecked (check the result
        after). Returns the seconds taken."""
        batches = [b"".join(encode(c) for c in commands[k:k + batch]) + encode(["PING"])
                   for k in range(0, len(commands), batch)]
        started = time.monotonic()
        for request in batches:
            self.conn.sendall(request)
            tail = b""
            while not tail.endswith(b"+PONG\r\n"):
                data = self.conn.recv(1 << 20)
                if not data:
                    raise RuntimeError("connection closed")
                tail = tail[-8:] + data
        return time.monotonic() - started


def now_ms():
    return int(time.time() * 1000)


def stream_info(client, key):
    r = client.call("XINFO", "STREAM", key)
    return {r[i].decode(): r[i + 1] for i in range(0, len(r), 2)}


def id_ms(stream_id):
    return int(stream_id.split(b"-")[0])


def payload(n):
    return b"%07d" % n


def rss_bytes(server):
    """The server's resident set now (Redis's INFO used_memory_rss is sampled by its cron)."""
    with open(f"/proc/{server.proc.pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def scheduled_memory(server, kind, jobs):
    """used_memory and RSS after minus before `jobs` delayed jobs due over the next hours, held
    as Runnel delayed entries or as a Redis sorted set scored by due time."""
    c = Client(server)
    try:
        due0 = now_ms() + 3_600_000  # none falls due while this runs

        def command(i):
            if kind == "runnel":
                return ["XADD", "jobs", "AT", due0 + i, "*", "job", payload(i)]
            return ["ZADD", "delayed", due0 + i, b"job " + payload(i)]
        c.call(*command(0))  # the key exists before the measure, as in memory_per_entry
        before = server.info_field("memory", "used_memory")
        rss_before = rss_bytes(server)
        c.pipeline((command(i) for i in range(1, jobs + 1)), keep=False)
        after = server.info_field("memory", "used_memory")
        rss_after = rss_bytes(server)
        if kind == "runnel":
            info = stream_info(c, "jobs")
            held, appended = info["scheduled-entries"], info["length"]
        else:
            held, appended = c.call("ZCARD", "delayed"), 0
        if held != jobs + 1 or appended != 0:
            raise RuntimeError(f"{server.name}: {held} scheduled, {appended} appended, "
                               f"expected {jobs + 1} and 0")
        return {"used": (after - before) / jobs, "rss": (rss_after - rss_before) / jobs}
    finally:
        c.close()


def schedule_lead_ms(jobs):
    """How far ahead to set the due time so that scheduling `jobs` ends before it: 2 s, plus
    20 µs a job (this script schedules about 200,000 a second)."""
    return 2000 + jobs // 50


def schedule(c, due_of, jobs):
    """Schedules job i at due_of(i) (`XADD jobs AT`); returns the handles."""
    return c.pipeline(["XADD", "jobs", "AT", due_of(i), "*", "job", payload(i)]
                      for i in range(jobs))


def wait_appended(c, jobs, due, poll_s):
    """Polls XLEN until `jobs` entries are there; returns the longest XLEN round trip (s) from
    the due moment on, and the unix ms when the reply counting them all came."""
    longest = 0.0
    deadline = time.monotonic() + 120 + (due - now_ms()) / 1000
    while True:
        started = time.monotonic()
        n = c.call("XLEN", "jobs")
        if now_ms() >= due:
            longest = max(longest, time.monotonic() - started)
        if n == jobs:
            return longest, time.time() * 1000
        if started > deadline:
            raise RuntimeError(f"XLEN jobs is {n} 2 minutes after the due time, expected {jobs}")
        time.sleep(poll_s)


def burst(server, jobs):
    """`jobs` delayed entries all due at the same ms: how fast the server appends them."""
    c = Client(server)
    try:
        due = now_ms() + schedule_lead_ms(jobs)
        handles = schedule(c, lambda i: due, jobs)
        if now_ms() >= due - 100 or c.call("XLEN", "jobs") != 0:
            raise RuntimeError("scheduling ended too close to the due time; raise the lead")
        if len(handles) != jobs or any(id_ms(h) != due for h in handles[:: max(1, jobs // 100)]):
            raise RuntimeError("a handle's ms part is not the due time")
        time.sleep(max(0.0, (due - now_ms()) / 1000 - 0.05))
        cpu_before = server.cpu_seconds()
        longest, counted = wait_appended(c, jobs, due, 0.001)
        cpu = server.cpu_seconds() - cpu_before
        first = id_ms(c.call("XRANGE", "jobs", "-", "+", "COUNT", 1)[0][0])
        last = id_ms(c.call("XREVRANGE", "jobs", "+", "-", "COUNT", 1)[0][0])
        left = stream_info(c, "jobs")["scheduled-entries"]
        if left != 0:
            raise RuntimeError(f"{left} entries still scheduled after all were appended")
        return {"jobs": jobs, "first_ms": first - due, "last_ms": last - due,
                "per_sec": jobs / (max(last - due, 1) / 1000), "cpu_us": cpu * 1e6 / jobs,
                "longest_xlen_ms": longest * 1000, "counted_ms": counted - due}
    finally:
        c.close()


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(p * len(sorted_values)))]


def steady(server, jobs, span_ms):
    """`jobs` delayed entries due one after another, evenly over `span_ms`: how late each is
    appended (its entry ID's ms minus the due ms its handle carries)."""
    c = Client(server)
    try:
        start = now_ms() + schedule_lead_ms(jobs)
        handles = schedule(c, lambda i: start + i * span_ms // jobs, jobs)
        if now_ms() >= start - 100:
            raise RuntimeError("scheduling ended too close to the first due time")
        due = {payload(i): id_ms(h) for i, h in enumerate(handles)}
        time.sleep(max(0.0, (start + span_ms - now_ms()) / 1000))
        wait_appended(c, jobs, start, 0.01)
        late, after = [], "-"
        while True:
            entries = c.call("XRANGE", "jobs", after, "+", "COUNT", 10_000)
            if not entries:
                break
            late += [id_ms(i) - due[f[1]] for i, f in entries]
            after = b"(" + entries[-1][0]
        if len(late) != jobs:
            raise RuntimeError(f"read back {len(late)} entries, expected {jobs}")
        late.sort()
        return {"jobs": jobs, "span_ms": span_ms, "p50": percentile(late, 0.5),
                "p99": percentile(late, 0.99), "max": late[-1], "min": late[0]}
    finally:
        c.close()


def age_out(server, kind, entries):
    """`entries` entries all older than the retention (IDs 1-0, 2-0, ...). Runnel: XCFGSET
    RETENTION-MS, and the cron ages them out in slices while another connection's XLEN
    (every ms) measures how long the server keeps it waiting. Redis has no retention: the way
    to do it there is one XTRIM MINID, and its round trip is how long the server stalls."""
    c, probe = Client(server), Client(server)
    try:
        c.pipeline((["XADD", "events", f"{i + 1}-0", "job", payload(i)] for i in range(entries)),
                   keep=False)
        started = time.monotonic()
        if kind == "runnel":
            c.call("XCFGSET", "events", "RETENTION-MS", 60_000)
            longest = 0.0
            while True:
                t0 = time.monotonic()
                left = probe.call("XLEN", "events")
                longest = max(longest, time.monotonic() - t0)
                if left == 0:
                    break
                if t0 - started > 120:
                    raise RuntimeError(f"{left} entries left 2 minutes after RETENTION-MS")
                time.sleep(0.001)
        else:
            removed = c.call("XTRIM", "events", "MINID", now_ms() - 60_000)
            longest = time.monotonic() - started
            if removed != entries:
                raise RuntimeError(f"XTRIM removed {removed}, expected {entries}")
        wall = time.monotonic() - started
        return {"wall_s": wall, "longest_ms": longest * 1000}
    finally:
        c.close()
        probe.close()


DL_IDS = 10  # IDs per XNACK: a worker giving up on what one XREADGROUP COUNT 10 returned
DL_ROUND_TRIP = 1000  # entries dead-lettered per pipelined round trip, on every side
DL_FIELDS = ["dlq-stream", "jobs", "dlq-id", None, "dlq-group", "g", "dlq-consumer", "c",
             "dlq-deliveries", "1", "dlq-reason", "fatal"]


def dead_letter(server, how, entries):
    """`entries` pending entries of group g moved to jobs:dead: by Runnel's XNACK FATAL under a
    DEADLETTER policy, or by hand as a Redis client must (MULTI, XADD to jobs:dead with the
    fields Runnel adds, XACK, EXEC). Returns entries/s and server CPU µs/entry."""
    c = Client(server)
    try:
        c.pipeline((["XADD", "jobs", "*", "job", payload(i)] for i in range(entries)),
                   keep=False)
        c.call("XGROUP", "CREATE", "jobs", "g", "0")
        if how == "xnack":
            c.call("XGROUP", "SETPOLICY", "jobs", "g", "MAXDELIVERIES", 1,
                   "DEADLETTER", "jobs:dead")
        pending = []
        while len(pending) < entries:
            reply = c.call("XREADGROUP", "GROUP", "g", "c", "COUNT", 10_000, "STREAMS", "jobs",
                           ">")
            pending += reply[0][1]
        if how == "xnack":
            ids = [i for i, _ in pending]
            commands = [["XNACK", "jobs", "g", "FATAL", "IDS", len(ids[k:k + DL_IDS]),
                         *ids[k:k + DL_IDS]] for k in range(0, entries, DL_IDS)]
            batch = DL_ROUND_TRIP // DL_IDS
        else:
            commands = []
            for i, fields in pending:
                extra = list(DL_FIELDS)
                extra[3] = i
                commands += [["MULTI"], ["XADD", "jobs:dead", "*", *fields, *extra],
                             ["XACK", "jobs", "g", i], ["EXEC"]]
            batch = 4 * DL_ROUND_TRIP
        cpu_before = server.cpu_seconds()
        wall = c.blast(commands, batch)
        cpu = server.cpu_seconds() - cpu_before
        dead, still = c.call("XLEN", "jobs:dead"), c.call("XPENDING", "jobs", "g")[0]
        if dead != entries or still != 0:
            raise RuntimeError(f"{server.name} {how}: {dead} dead letters, {still} pending, "
                               f"expected {entries} and 0")
        return {"per_sec": entries / wall, "cpu_us": cpu * 1e6 / entries}
    finally:
        c.close()


class load_generator_cpu:
    """Runs this script itself on CPU 1 (where redis-benchmark runs in the other parts) while it
    is the load generator, away from the server on CPU 0."""

    def __enter__(self):
        self.saved = os.sched_getaffinity(0)
        if cpu_prefix(1):
            os.sched_setaffinity(0, {1})

    def __exit__(self, *exc):
        os.sched_setaffinity(0, self.saved)


def queues(start_runnel_with, start_redis_with, quick):
    """Delayed entries (memory against a Redis sorted set; firing, Runnel only) and
    dead-lettering (XNACK FATAL against the by-hand transaction)."""
    jobs = 100_000 if quick else 1_000_000
    out = {"memory": {}, "dead": {}}
    with load_generator_cpu():
        for name, start in (("runnel", start_runnel_with), ("redis", start_redis_with)):
            server = start([])
            try:
                out["memory"][name] = scheduled_memory(server, name, jobs)
            finally:
                server.stop()
        server = start_runnel_with([])
        try:
            out["burst"] = burst(server, jobs)
        finally:
            server.stop()
        server = start_runnel_with([])
        try:
            out["steady"] = steady(server, jobs // 10, 10_000)
        finally:
            server.stop()
        out["age_out"] = {}
        for name, start in (("runnel", start_runnel_with), ("redis", start_redis_with)):
            server = start([])
            try:
                out["age_out"][name] = age_out(server, name, jobs)
            finally:
                server.stop()
        out["age_out_entries"] = jobs
        entries = 20_000 if quick else 200_000
        sides = [("runnel", "xnack", start_runnel_with), ("runnel", "manual", start_runnel_with),
                 ("redis", "manual", start_redis_with)]
        runs = {(name, how): [] for name, how, _ in sides}
        for _ in range(1 if quick else 3):  # alternating, so drift hits every side alike
            for name, how, start in sides:
                server = start([])
                try:
                    runs[name, how].append(dead_letter(server, how, entries))
                finally:
                    server.stop()
        for side, values in runs.items():
            out["dead"][side] = {k: sorted(v[k] for v in values)[len(values) // 2]
                                 for k in values[0]}
        out["dead_entries"], out["dead_runs"] = entries, len(values)
    return out


def render_queues(r):
    mem, b, s, d = r["memory"], r["burst"], r["steady"], r["dead"]
    ao, az = r["age_out"]["runnel"], r["age_out"]["redis"]
    a, z = mem["runnel"], mem["redis"]
    xn, rm, dm = d["runnel", "xnack"], d["runnel", "manual"], d["redis", "manual"]
    runs = r["dead_runs"]
    return "\n".join([
        QUEUES_BEGIN, "",
        f"Measured {time.strftime('%Y-%m-%d')} by `tools/bench --only queues`, one server at a "
        "time pinned to CPU 0, the script's own pipelined connection on CPU 1.", "",
        f"**Memory of {b['jobs']:,} scheduled jobs** (`job <7-digit n>`, one per ms from an "
        "hour ahead, 1,000 commands per round trip): INFO used_memory, and the resident set "
        "from /proc, after minus before, per job. Runnel holds them as delayed entries "
        "(`XADD jobs AT <due> * job <n>`); Redis the way delay queues are built on it "
        "today, in a sorted set scored by due time whose member is the payload "
        "(`ZADD delayed <due> \"job <n>\"`).", "",
        "| bytes per scheduled job | Runnel delayed entries | Redis sorted set | ratio |",
        "|---|---:|---:|---:|",
        f"| used_memory | {a['used']:.1f} | {z['used']:.1f} | {ratio(a['used'], z['used'])} |",
        f"| RSS | {a['rss']:.1f} | {z['rss']:.1f} | {ratio(a['rss'], z['rss'])} |",
        "",
        "**Firing**, Runnel only: redis-server has no delayed entries, so there is no server "
        "side to time (a Redis delay queue's client polls the sorted set and moves due members "
        "itself). Times come from the appended entries' IDs (the server's clock) against the "
        "due ms each handle carries; the burst's CPU is the server's from just before the due "
        "moment until XLEN (polled every ms) counted them all.", "",
        "| measure | Runnel |", "|---|---:|",
        f"| {b['jobs']:,} entries due at the same ms: appended per second | "
        f"{b['per_sec']:,.0f} |",
        f"| ... due moment to the first append / to the last, ms | {b['first_ms']} / "
        f"{b['last_ms']} |",
        f"| ... due moment to the XLEN reply that counted them all, ms | "
        f"{b['counted_ms']:.0f} |",
        f"| ... server CPU µs per entry appended | {b['cpu_us']:.2f} |",
        f"| ... longest XLEN round trip meanwhile, ms | {b['longest_xlen_ms']:.1f} |",
        f"| {s['jobs']:,} entries due evenly over {s['span_ms'] / 1000:.0f} s: lateness "
        f"p50 / p99 / max, ms | {s['p50']} / {s['p99']} / {s['max']} |",
        "",
        f"**Ageing out {r['age_out_entries']:,} entries** that are all past the retention. "
        "Runnel: `XCFGSET events RETENTION-MS 60000`; the cron removes them in slices (at most "
        "3 ms of each 100 ms cycle) while another connection sends `XLEN` every ms; the longest "
        "of those round trips is how long a client waited. Redis has no retention: a client "
        "sends `XTRIM events MINID <now - 60 s>`, and the server answers nothing else until "
        "that one command is done, so its round trip is the stall.", "",
        "| measure | Runnel RETENTION-MS | Redis XTRIM MINID | ratio |", "|---|---:|---:|---:|",
        f"| longest wait for another client, ms | {ao['longest_ms']:.1f} | "
        f"{az['longest_ms']:.1f} | {ratio(ao['longest_ms'], az['longest_ms'])} |",
        f"| all removed after, ms (Runnel: from XCFGSET, so up to one 100 ms cycle of waiting "
        f"for the cron) | {ao['wall_s'] * 1000:.0f} | {az['wall_s'] * 1000:.1f} | |",
        "",
        f"**Dead-lettering {r['dead_entries']:,} pending entries** of a group (delivered once "
        f"each), {DL_ROUND_TRIP:,} entries per pipelined round trip, "
        f"{f'median of {runs} alternating runs' if runs > 1 else 'one run'}. Runnel: "
        "`XGROUP SETPOLICY jobs g MAXDELIVERIES 1 DEADLETTER jobs:dead`, then "
        f"`XNACK jobs g FATAL IDS {DL_IDS} <id> ...`. By hand, what a Redis "
        "client must do for each (Debian's Redis 7.0 has no XNACK, and no Redis routes dead "
        "letters): `MULTI`, `XADD jobs:dead * <fields> dlq-stream jobs dlq-id <id> ...` (the six "
        "fields Runnel adds), `XACK jobs g <id>`, `EXEC`; on Runnel too, for comparison.", "",
        "| measure | Runnel XNACK FATAL | Runnel by hand | Redis by hand | "
        "XNACK / Redis by hand |",
        "|---|---:|---:|---:|---:|",
        f"| entries dead-lettered per second | {xn['per_sec']:,.0f} | {rm['per_sec']:,.0f} | "
        f"{dm['per_sec']:,.0f} | {ratio(xn['per_sec'], dm['per_sec'])} |",
        f"| server CPU µs per entry | {xn['cpu_us']:.2f} | {rm['cpu_us']:.2f} | "
        f"{dm['cpu_us']:.2f} | {ratio(xn['cpu_us'], dm['cpu_us'])} |",
        "", QUEUES_END,
    ])


PUBSUB_BEGIN = "<!-- bench:pubsub:begin -->"
PUBSUB_END = "<!-- bench:pubsub:end -->"
PUBSUB_MESSAGE = b"hello"
# What a subscriber receives for one message on channel "ch": *3 message ch hello.
PUBSUB_WIRE = len(b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n")


def pubsub_cost(server, subscribers, publishes):
    """Server CPU for `publishes` PUBLISH to a channel with `subscribers` subscribers, counted
    until every subscriber has received every message (a thread drains their sockets)."""
    import selectors
    import threading
    subs = []
    for _ in range(subscribers):
        s = socket.create_connection(("127.0.0.1", server.port))
        s.sendall(encode(["SUBSCRIBE", "ch"]))
        subs.append(s)
    confirm = len(b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n")
    for s in subs:
        got = b""
        while len(got) < confirm:
            got += s.recv(confirm - len(got))
        s.setblocking(False)
    pub = Client(server)
    try:
        want = publishes * PUBSUB_WIRE
        received = [0] * subscribers
        sel = selectors.DefaultSelector()
        for i, s in enumerate(subs):
            sel.register(s, selectors.EVENT_READ, i)
        done = threading.Event()

        def drain():
            left = subscribers
            while left and not done.is_set():
                for key, _ in sel.select(timeout=0.1):
                    data = key.fileobj.recv(1 << 16)
                    received[key.data] += len(data)
                    if received[key.data] == want:
                        sel.unregister(key.fileobj)
                        left -= 1
            done.set()
        reader = threading.Thread(target=drain)
        cpu_before = server.cpu_seconds()
        started = time.monotonic()
        reader.start()
        replies = pub.blast([["PUBLISH", "ch", PUBSUB_MESSAGE]] * publishes, 1000)
        if not done.wait(300):
            raise RuntimeError(f"{server.name}: subscribers did not get every message")
        wall = time.monotonic() - started
        cpu = server.cpu_seconds() - cpu_before
        reader.join()
        del replies
        if sum(received) != subscribers * want:
            raise RuntimeError(f"{server.name}: {sum(received)} bytes, expected "
                               f"{subscribers * want}")
        return {"cpu_us_publish": cpu * 1e6 / publishes,
                "ns_delivery": cpu * 1e9 / (publishes * subscribers),
                "deliveries_per_sec": publishes * subscribers / wall}
    finally:
        pub.close()
        for s in subs:
            s.close()


def pubsub(start_runnel_with, start_redis_with, quick):
    """PUBLISH to 1, 100 and 10,000 subscribers, each server in turn."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    cases = [(1, 1_000_000), (100, 100_000), (10_000, 1_000)]
    if quick:
        cases = [(n, p // 10) for n, p in cases]
    out = {}
    with load_generator_cpu():
        for subscribers, publishes in cases:
            for name, start in (("runnel", start_runnel_with), ("redis", start_redis_with)):
                server = start(["--maxclients", "20000"])
                try:
                    out[name, subscribers] = pubsub_cost(server, subscribers, publishes)
                finally:
                    server.stop()
            out["publishes", subscribers] = publishes
    out["cases"] = [n for n, _ in cases]
    return out


def render_pubsub(r):
    lines = [PUBSUB_BEGIN, "",
             f"Measured {time.strftime('%Y-%m-%d')} by `tools/bench --only pubsub`, one server at a "
             "time pinned to CPU 0, this script on CPU 1: one connection pipelines `PUBLISH ch "
             "hello` (1,000 per round trip) while every subscriber's socket is drained; server "
             "CPU is counted until each subscriber has every message.", "",
             "| subscribers | PUBLISHes | Runnel CPU µs / PUBLISH | Redis CPU µs / PUBLISH | "
             "ratio | Runnel ns / delivery | Redis ns / delivery |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for n in r["cases"]:
        a, z = r["runnel", n], r["redis", n]
        lines.append(f"| {n:,} | {r['publishes', n]:,} | {a['cpu_us_publish']:.2f} | "
                     f"{z['cpu_us_publish']:.2f} | "
                     f"{ratio(a['cpu_us_publish'], z['cpu_us_publish'])} | "
                     f"{a['ns_delivery']:.0f} | {z['ns_delivery']:.0f} |")
    lines += ["", PUBSUB_END]
    return "\n".join(lines)


CONNECTIONS_BEGIN = "<!-- bench:connections:begin -->"
CONNECTIONS_END = "<!-- bench:connections:end -->"
CONNECTION_COUNTS = [100, 1_000, 10_000]


def connections(start_runnel_with, start_redis_with, quick):
    """XADD and XLEN throughput with 100, 1,000 and 10,000 connections at once (redis-benchmark
    -c), each server run with --maxclients 12000; the script raises its own file limit, which
    the servers and redis-benchmark inherit."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 12_500:
        raise RuntimeError(f"the open-file hard limit ({hard}) is below 12,500")
    resource.setrlimit(resource.RLIMIT_NOFILE, (12_500, hard))
    r = {"requests": 50_000 if quick else 500_000}
    for name, start in (("runnel", start_runnel_with), ("redis", start_redis_with)):
        server = start(["--maxclients", "12000"])
        try:
            for n in CONNECTION_COUNTS:
                r[name, n, "XADD"] = benchmark(server, r["requests"], n, 1,
                                               ["XADD", "s", "MAXLEN", "~", "1000", "*", "f", "v"])
                r[name, n, "XLEN"] = benchmark(server, r["requests"], n, 1, ["XLEN", "s"])
        finally:
            server.stop()
    return r


def render_connections(r):
    lines = [CONNECTIONS_BEGIN, "",
             f"Measured {time.strftime('%Y-%m-%d')} by `tools/bench --only connections`: each "
             "server pinned to CPU 0 with `--maxclients 12000`, redis-benchmark on CPU 1 with "
             f"`-c` connections and no pipelining, {r['requests']:,} requests per run, median "
             f"of {RUNS} runs. XADD is `XADD s MAXLEN ~ 1000 * f v`. Server CPU is per request.",
             "",
             "| connections | Runnel XADD/s | Redis XADD/s | ratio | Runnel CPU µs | Redis CPU µs "
             "| Runnel XLEN/s | Redis XLEN/s | ratio |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n in CONNECTION_COUNTS:
        (a, ac), (z, zc) = r["runnel", n, "XADD"], r["redis", n, "XADD"]
        b, y = r["runnel", n, "XLEN"][0], r["redis", n, "XLEN"][0]
        lines.append(f"| {n:,} | {a:,.0f} | {z:,.0f} | {ratio(a, z)} | {ac:.2f} | {zc:.2f} | "
                     f"{b:,.0f} | {y:,.0f} | {ratio(b, y)} |")
    first, last = CONNECTION_COUNTS[0], CONNECTION_COUNTS[-1]
    lines += ["", f"XADD throughput with {last:,} connections over that with {first:,}: Runnel "
              f"{r['runnel', last, 'XADD'][0] / r['runnel', first, 'XADD'][0]:.3f}, Redis "
              f"{r['redis', last, 'XADD'][0] / r['redis', first, 'XADD'][0]:.3f}.", "",
              CONNECTIONS_END]
    return "\n".join(lines)


TLS_BEGIN = "<!-- bench:tls:begin -->"
TLS_END = "<!-- bench:tls:end -->"
TLS_CASES = [  # (label, clients, pipeline, command)
    ("XADD, 50 clients", 50, 1, ["XADD", "s", "*", "f", "v"]),
    ("XADD, 1 client, pipeline 64", 1, 64, ["XADD", "s", "*", "f", "v"]),
    ("XRANGE of 100 entries, 50 clients", 50, 1, ["XRANGE", "r", "-", "+", "COUNT", "100"]),
]


def tls_certificates(d):
    """A CA and a server certificate for 127.0.0.1, made with the openssl command."""
    def run(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
        "-days", "2", "-subj", "/CN=bench-ca")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=localhost")
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext")
    return {n: os.path.join(d, n) for n in ("ca.crt", "server.crt", "server.key")}


def tls_cost(start_runnel_with, start_redis_with, quick):
    """Each case over the plain port and over the TLS port (same server, same settings, no client
    certificates), Runnel and redis-server one after the other."""
    d = tempfile.mkdtemp(prefix="bench-tls-")
    try:
        certs = tls_certificates(d)
        r = {"requests": 20_000 if quick else 200_000}
        for name, start in (("runnel", start_runnel_with), ("redis", start_redis_with)):
            tls_port = free_port()
            server = start(["--tls-port", str(tls_port), "--tls-cert-file", certs["server.crt"],
                            "--tls-key-file", certs["server.key"], "--tls-auth-clients", "no"])
            try:
                fill(server, "r", 1000)
                tls_flags = ["--tls", "--cacert", certs["ca.crt"]]
                for label, clients, pipeline, command in TLS_CASES:
                    r[name, label, "plain"] = benchmark(server, r["requests"], clients, pipeline,
                                                        command)
                    r[name, label, "tls"] = benchmark(server, r["requests"], clients, pipeline,
                                                      command, tls_port, tls_flags)
            finally:
                server.stop()
        return r
    finally:
        shutil.rmtree(d, ignore_errors=True)


def render_tls(r):
    lines = [TLS_BEGIN, "",
             f"Measured {time.strftime('%Y-%m-%d')} by `tools/bench --only tls`: each server "
             "pinned to CPU 0, redis-benchmark on CPU 1, the same server measured on its plain "
             f"port and on its TLS port (TLS 1.3, no client certificates); {r['requests']:,} "
             f"requests per run, median of {RUNS} runs. The XRANGE replies are 100 entries of 3 "
             "fields (about 9 KB).", "",
             "| workload | Runnel plain req/s | Runnel TLS req/s | Runnel TLS / plain | "
             "Redis plain req/s | Redis TLS req/s | Redis TLS / plain | TLS: Runnel / Redis |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for label, *_ in TLS_CASES:
        ap, at = r["runnel", label, "plain"][0], r["runnel", label, "tls"][0]
        zp, zt = r["redis", label, "plain"][0], r["redis", label, "tls"][0]
        lines.append(f"| {label} | {ap:,.0f} | {at:,.0f} | {at / ap:.2f} | {zp:,.0f} | "
                     f"{zt:,.0f} | {zt / zp:.2f} | {ratio(at, zt)} |")
    lines += ["", "Server CPU µs per request over TLS (Runnel / Redis): " + ", ".join(
        f"{label} {r['runnel', label, 'tls'][1]:.2f} / {r['redis', label, 'tls'][1]:.2f}"
        for label, *_ in TLS_CASES) + ".", "", TLS_END]
    return "\n".join(lines)


SCRAPE_BEGIN = "<!-- bench:scrape:begin -->"
SCRAPE_END = "<!-- bench:scrape:end -->"
SCRAPE_STREAMS = 10_000


def ping_worst(port, stop, out):
    """Runs in its own process (its own interpreter lock): PINGs back to back until `stop`,
    then puts the longest wait for a reply, in seconds, on `out`."""
    conn = socket.create_connection(("127.0.0.1", port))
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    worst = 0.0
    while not stop.is_set():
        t = time.perf_counter()
        conn.sendall(b"PING\r\n")
        conn.recv(64)
        worst = max(worst, time.perf_counter() - t)
    out.put(worst)


def scrape_pause(start_runnel_with, quick):
    """The longest PING wait another client sees while /metrics is scraped, against none, with
    SCRAPE_STREAMS streams that each have a group and a consumer holding a pending entry."""
    import multiprocessing
    import urllib.request
    out = {}
    for cap in (10_000, 100_000):
        mport = free_port()
        server = start_runnel_with(["--metrics-port", str(mport),
                                    "--metrics-max-series", str(cap)])
        try:
            c = Client(server)
            keys = [f"s{i}" for i in range(SCRAPE_STREAMS)]
            c.pipeline((("XADD", k, "1-1", "f", "v") for k in keys), keep=False)
            c.pipeline((("XGROUP", "CREATE", k, "g", "0") for k in keys), keep=False)
            c.pipeline((("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", k, ">")
                        for k in keys), keep=False)
            for scraping in (False, True):
                stop, worst = multiprocessing.Event(), multiprocessing.Queue()
                pinger = multiprocessing.Process(target=ping_worst,
                                                 args=(server.port, stop, worst))
                pinger.start()
                time.sleep(0.2)
                times, size = [], 0
                for _ in range(2 if quick else 5):
                    t = time.perf_counter()
                    if scraping:
                        url = f"http://127.0.0.1:{mport}/metrics"
                        size = len(urllib.request.urlopen(url).read())
                    else:
                        time.sleep(0.05)
                    times.append(time.perf_counter() - t)
                stop.set()
                out[cap, scraping] = {"worst_ms": worst.get() * 1000, "bytes": size,
                                      "min_ms": min(times) * 1000, "max_ms": max(times) * 1000}
                pinger.join()
            c.close()
        finally:
            server.stop()
    return out


def render_scrape(r):
    lines = [SCRAPE_BEGIN, "",
             f"Measured {time.strftime('%Y-%m-%d')} by `tools/bench --only scrape` (Runnel "
             f"alone: Redis has no metrics endpoint): {SCRAPE_STREAMS:,} streams, each with a "
             "group and a consumer holding a pending entry, log off; five scrapes of /metrics "
             "in a row while another process PINGs back to back.", "",
             "| `metrics-max-series` | scrape size | time per scrape | longest PING wait, "
             "scraping | longest PING wait, idle |", "|---:|---:|---:|---:|---:|"]
    for cap in (10_000, 100_000):
        a, idle = r[cap, True], r[cap, False]
        lines.append(f"| {cap:,} | {a['bytes'] / 1e6:.1f} MB | {a['min_ms']:.0f}–{a['max_ms']:.0f} "
                     f"ms | {a['worst_ms']:.1f} ms | {idle['worst_ms']:.1f} ms |")
    lines += ["", SCRAPE_END]
    return "\n".join(lines)


def replace_block(path, begin, end, text):
    """Replaces the text between `begin` and `end` in the file (appends it if missing)."""
    try:
        with open(path) as f:
            doc = f.read()
    except FileNotFoundError:
        doc = ""
    if begin in doc and end in doc:
        head, rest = doc.split(begin, 1)
        doc = head + text + rest.split(end, 1)[1]
    else:
        doc += "\n" + text + "\n"
    with open(path, "w") as f:
        f.write(doc)


def ratio(a, b):
    return f"{a / b:.2f}x" if b else "n/a"


def render(r, settings, entries, restart_entries):
    runnel, redis = r["runnel"], r["redis"]
    lines = [MARK_BEGIN, "",
             f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores "
             f"({os.uname().machine}), by `tools/bench`. Servers run one at a time, pinned to "
             "CPU 0, the load generator on CPU 1; each req/s figure is the median of "
             f"{RUNS} redis-benchmark runs. Common settings: "
             f"`{' '.join(settings) or 'defaults'}`; persistence off unless a table says so.", "",
             "### Throughput, no persistence", "",
             "| workload | Runnel req/s | Redis req/s | throughput ratio | Runnel CPU µs/op | "
             "Redis CPU µs/op | CPU ratio |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, _, _, _, _, _ in WORKLOADS:
        (r_rps, r_cpu), (d_rps, d_cpu) = runnel["throughput"][name], redis["throughput"][name]
        lines.append(f"| {name} | {r_rps:,.0f} | {d_rps:,.0f} | {ratio(r_rps, d_rps)} | "
                     f"{r_cpu:.2f} | {d_cpu:.2f} | {ratio(r_cpu, d_cpu)} |")
    lines += ["", "### Memory per entry", "",
              f"After {entries:,} pipelined XADDs (INFO used_memory after minus before, divided "
              "by entries added):", "",
              "| fields | Runnel bytes/entry | Redis bytes/entry | ratio |", "|---|---:|---:|---:|"]
    for name, fields in MEMORY_WORKLOADS:
        a, b = runnel["memory"][name], redis["memory"][name]
        lines.append(f"| {name}: `{' '.join(fields)}` | {a:.1f} | {b:.1f} | {ratio(a, b)} |")
    lines += ["", "### XADD with the append-only log", "",
              f"`{' '.join(FSYNC_COMMAND)}`, 50 clients, no pipelining, `--appendonly yes` and "
              "the policy below on both servers.", "",
              "| appendfsync | Runnel req/s | Redis req/s | throughput ratio | Runnel CPU µs/op | "
              "Redis CPU µs/op | CPU ratio |", "|---|---:|---:|---:|---:|---:|---:|"]
    for policy in FSYNC_POLICIES:
        (r_rps, r_cpu), (d_rps, d_cpu) = runnel["durable"][policy], redis["durable"][policy]
        lines.append(f"| {policy} | {r_rps:,.0f} | {d_rps:,.0f} | {ratio(r_rps, d_rps)} | "
                     f"{r_cpu:.2f} | {d_cpu:.2f} | {ratio(r_cpu, d_cpu)} |")
    lines += ["", "### Restart and snapshots", "",
              f"One stream (`{' '.join(MEMORY_WORKLOADS[1][1])}`), appendfsync everysec. "
              "Restart = exec to the first PONG after SIGKILL. A rewritten log starts from a base "
              "snapshot: Runnel's own format, Redis's RDB (its AOF base is an RDB file). The fork "
              "is the loop's pause when BGREWRITEAOF starts the child.", ""]
    for n in restart_entries:
        a, b = runnel["restart"][n], redis["restart"][n]
        lines += [f"{n:,} entries:", "",
                  "| measure | Runnel | Redis | ratio |", "|---|---:|---:|---:|"]
        rows = [("log size before any rewrite", "log_bytes", "{:,} B"),
                ("restart from that log", "from_log_s", "{:.2f} s"),
                ("fork pause for BGREWRITEAOF", "fork_us", "{:,} µs"),
                ("base after BGREWRITEAOF", "base_bytes", "{:,} B"),
                ("restart from the base (Redis: its RDB)", "from_base_s", "{:.2f} s"),
                ("SAVE (foreground)", "save_s", "{:.2f} s"),
                ("snapshot file", "dump_bytes", "{:,} B")]
        for label, key, fmt in rows:
            lines.append(f"| {label} | {fmt.format(a[key])} | {fmt.format(b[key])} | "
                         f"{ratio(a[key], b[key])} |")
        lines.append("")
    a, b = runnel["groups"], redis["groups"]
    ca, cb = a["consume"], b["consume"]
    pa, pb = a["pel"], b["pel"]
    ba, bb = a["blocked"], b["blocked"]
    lines += ["### Consumer groups", "",
              "`runnel-bench-groups` (tools/bench_groups.cc): *consume* = 4 connections loop "
              "XREADGROUP COUNT 10 `>` and XACK until the stream is drained; *pel* = entries "
              "delivered to 10 consumers and left pending; *blocked* = consumers blocked in "
              "XREADGROUP BLOCK 0 on one group, XADD round trip while each add wakes one.", "",
              "| measure | Runnel | Redis | ratio |", "|---|---:|---:|---:|",
              f"| consume: entries/s ({ca['consumed']:,.0f} entries) | "
              f"{ca['entries_per_sec']:,.0f} | {cb['entries_per_sec']:,.0f} | "
              f"{ratio(ca['entries_per_sec'], cb['entries_per_sec'])} |",
              f"| consume: server CPU µs/entry | {ca['cpu_s'] * 1e6 / ca['consumed']:.2f} | "
              f"{cb['cpu_s'] * 1e6 / cb['consumed']:.2f} | "
              f"{ratio(ca['cpu_s'] / ca['consumed'], cb['cpu_s'] / cb['consumed'])} |",
              f"| pel: bytes per pending entry ({pa['pending']:,.0f} pending) | "
              f"{pa['bytes_per_pending']:.1f} | {pb['bytes_per_pending']:.1f} | "
              f"{ratio(pa['bytes_per_pending'], pb['bytes_per_pending'])} |"]
    for key, label in (("xpending_summary_us", "XPENDING summary µs"),
                       ("xpending_range_us", "XPENDING - + 10 µs"),
                       ("xautoclaim_us", "XAUTOCLAIM COUNT 10 µs")):
        lines.append(f"| pel: {label} | {pa[key]:.1f} | {pb[key]:.1f} | {ratio(pa[key], pb[key])} |")
    for key, label in (("xadd_p50_us", "p50"), ("xadd_p99_us", "p99"), ("xadd_max_us", "max")):
        lines.append(f"| blocked ({ba['waiters']:,.0f} waiters): XADD {label} µs | {ba[key]:.0f} | "
                     f"{bb[key]:.0f} | {ratio(ba[key], bb[key])} |")
    lines.append(f"| blocked: duplicate / missing deliveries | {ba['duplicates']:.0f} / "
                 f"{ba['missing']:.0f} | {bb['duplicates']:.0f} / {bb['missing']:.0f} | |")
    lines += ["", MARK_END]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runnel", required=True)
    ap.add_argument("--groups-tool", help="runnel-bench-groups (default: beside --runnel)")
    ap.add_argument("--quick", action="store_true", help="a tenth of the requests")
    ap.add_argument("--write", help="markdown file whose bench section is replaced")
    ap.add_argument("--only", choices=["idle", "compare", "policies", "queues", "pubsub",
                                       "scrape", "tls", "connections", "replication",
                                       "import"],
                    help="run only this part")
    ap.add_argument("--before", help="an earlier runnel-server, for --only compare")
    ap.add_argument("--before-label", default="Runnel before",
                    help="what to call it in the table (a commit, a version)")
    args = ap.parse_args()
    args.runnel = os.path.abspath(args.runnel)  # servers run with their data dir as cwd
    tool = args.groups_tool or os.path.join(os.path.dirname(args.runnel), "runnel-bench-groups")
    runnel = lambda extra: start_runnel(args.runnel, extra)  # noqa: E731
    redis = lambda extra: start_redis(extra)  # noqa: E731
    # The parts that run alone: how each is measured and rendered, and its block's markers.
    single = {
        "policies": (lambda: render_policies(policies(runnel, tool, args.quick)),
                     POLICY_BEGIN, POLICY_END),
        "queues": (lambda: render_queues(queues(runnel, redis, args.quick)),
                   QUEUES_BEGIN, QUEUES_END),
        "pubsub": (lambda: render_pubsub(pubsub(runnel, redis, args.quick)),
                   PUBSUB_BEGIN, PUBSUB_END),
        "scrape": (lambda: render_scrape(scrape_pause(runnel, args.quick)),
                   SCRAPE_BEGIN, SCRAPE_END),
        "tls": (lambda: render_tls(tls_cost(runnel, redis, args.quick)), TLS_BEGIN, TLS_END),
        "connections": (lambda: render_connections(connections(runnel, redis, args.quick)),
                        CONNECTIONS_BEGIN, CONNECTIONS_END),
    }
    if args.only == "replication":  # its own module, which imports this one
        import bench_replication
        single["replication"] = (lambda: bench_replication.run(runnel, redis, args.quick),
                                 bench_replication.REPL_BEGIN, bench_replication.REPL_END)
    if args.only == "import":  # its own module, which imports this one
        import bench_import
        single["import"] = (lambda: bench_import.run(args.runnel, redis, args.quick),
                            bench_import.IMPORT_BEGIN, bench_import.IMPORT_END)
    if args.only in single:
        measure, begin, end = single[args.only]
        text = measure()
        print(text)
        if args.write:
            replace_block(args.write, begin, end, text)
        return
    if args.only == "compare":
        if not args.before:
            ap.error("--only compare needs --before")
        before = os.path.abspath(args.before)
        servers = {"before": lambda extra: start_runnel(before, extra),
                   "runnel": lambda extra: start_runnel(args.runnel, extra),
                   "redis": lambda extra: start_redis(extra)}
        text = render_compare(compare(servers, tool, args.quick), args.before_label)
        print(text)
        if args.write:
            replace_block(args.write, COMPARE_BEGIN, COMPARE_END, text)
        return
    settings = []  # both servers on their defaults (stream-node-max-entries 100, -bytes 4096)
    entries = 100_000 if args.quick else 1_000_000
    restart_entries = [100_000] if args.quick else [1_000_000, 10_000_000]
    results = {}
    for name, start in (("runnel", lambda extra: start_runnel(args.runnel, settings + extra)),
                        ("redis", lambda extra: start_redis(settings + extra))):
        plain = lambda: start([])  # noqa: E731
        r = results[name] = {}
        r["idle"] = idle_pel(start, tool, name == "runnel")
        if args.only == "idle":
            continue
        r["throughput"] = run_workloads(plain, args.quick)
        r["memory"] = {w: memory_per_entry(plain, entries, f) for w, f in MEMORY_WORKLOADS}
        r["durable"] = durable_throughput(start, args.quick)
        r["restart"] = {n: restart(name, start, n) for n in restart_entries}
        r["groups"] = groups(start, tool, args.quick)
    idle_text = render_idle(results)
    print(idle_text)
    if args.write:
        replace_block(args.write, IDLE_BEGIN, IDLE_END, idle_text)
    if args.only == "idle":
        return
    text = render(results, settings, entries, restart_entries)
    print(text)
    if args.write:
        replace_block(args.write, MARK_BEGIN, MARK_END, text)


if __name__ == "__main__":
    sys.exit(main())
