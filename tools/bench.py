#!/usr/bin/python3
"""Runs Runnel and redis-server side by side with the same settings and compares them.

Each workload runs against one server at a time (server pinned to CPU 0, redis-benchmark to
CPU 1 when the machine has two), and reports for both: requests per second, the server's own
CPU time per operation (utime + stime from /proc/<pid>/stat, before and after), and the ratio
Runnel / Redis. Memory per stream entry is INFO used_memory after minus before 1,000,000 XADDs
of three small fields, divided by the entries added.

Usage: tools/bench.py --runnel build/runnel-server [--quick] [--write docs/benchmarks.md]
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
        argv = cpu_prefix(0) + argv_for_port(self.port, self.dir)
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"{name} did not start")

    def cli(self, *args):
        out = subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True,
                             text=True, check=True)
        return out.stdout.strip()

    def info_field(self, section, field):
        for line in self.cli("INFO", section).splitlines():
            if line.startswith(field + ":"):
                return int(line.split(":", 1)[1])
        raise KeyError(field)

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def start_redis(settings):
    def argv(port, d):
        return ["redis-server", "--port", str(port), "--dir", d, "--save", "",
                "--appendonly", "no"] + settings
    return Server("redis", argv)


def start_runnel(binary, settings):
    def argv(port, d):
        return [binary, "--port", str(port), "--dir", d] + settings
    return Server("runnel", argv)


def benchmark(server, requests, clients, pipeline, command):
    """Runs redis-benchmark; returns (requests per second, server CPU microseconds per op)."""
    before = server.cpu_seconds()
    argv = cpu_prefix(1) + ["redis-benchmark", "-p", str(server.port), "-n", str(requests),
                            "-c", str(clients), "-P", str(pipeline), "--csv", *command]
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


def render(results, memory, settings, entries):
    lines = [MARK_BEGIN, "",
             f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores "
             f"({os.uname().machine}), by `tools/bench`. Servers run one at a time, pinned to "
             "CPU 0, redis-benchmark on CPU 1. Settings for both: "
             f"`{' '.join(settings) or 'defaults'}`, no persistence.", "",
             "| workload | Runnel req/s | Redis req/s | throughput ratio | Runnel CPU µs/op | "
             "Redis CPU µs/op | CPU ratio |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, _, _, _, _, _ in WORKLOADS:
        (r_rps, r_cpu), (d_rps, d_cpu) = results["runnel"][name], results["redis"][name]
        lines.append(f"| {name} | {r_rps:,.0f} | {d_rps:,.0f} | {r_rps / d_rps:.2f}x | "
                     f"{r_cpu:.2f} | {d_cpu:.2f} | {r_cpu / d_cpu:.2f}x |")
    lines += ["",
              f"Memory per entry after {entries:,} pipelined XADDs (INFO used_memory after minus "
              "before, divided by entries added):", "",
              "| fields | Runnel bytes/entry | Redis bytes/entry | ratio |", "|---|---:|---:|---:|"]
    for name, fields in MEMORY_WORKLOADS:
        r, d = memory["runnel"][name], memory["redis"][name]
        lines.append(f"| {name}: `{' '.join(fields)}` | {r:.1f} | {d:.1f} | {r / d:.2f}x |")
    lines += ["", MARK_END]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runnel", required=True)
    ap.add_argument("--quick", action="store_true", help="a tenth of the requests")
    ap.add_argument("--write", help="markdown file whose bench section is replaced")
    args = ap.parse_args()
    settings = []  # both servers on their defaults (stream-node-max-entries 100, -bytes 4096)
    entries = 100_000 if args.quick else 1_000_000
    results, memory = {}, {}
    for name, make in (("runnel", lambda: start_runnel(args.runnel, settings)),
                       ("redis", lambda: start_redis(settings))):
        results[name] = run_workloads(make, args.quick)
        memory[name] = {w: memory_per_entry(make, entries, f) for w, f in MEMORY_WORKLOADS}
    text = render(results, memory, settings, entries)
    print(text)
    if args.write:
        try:
            with open(args.write) as f:
                doc = f.read()
        except FileNotFoundError:
            doc = ""
        if MARK_BEGIN in doc and MARK_END in doc:
            head, rest = doc.split(MARK_BEGIN, 1)
            doc = head + text + rest.split(MARK_END, 1)[1]
        else:
            doc += "\n" + text + "\n"
        with open(args.write, "w") as f:
            f.write(doc)


if __name__ == "__main__":
    sys.exit(main())
