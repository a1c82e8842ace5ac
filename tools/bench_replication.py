"""Replication benchmarks for tools/bench (`--only replication`): Runnel and redis-server with the
same settings, one setup at a time.

- XADD throughput with 0, 1 and 2 replicas, and the master's CPU per XADD;
- the replicas' lag under that load: the largest gap between the master's offset and a
  replica's while redis-benchmark runs (bytes), and how long the replica takes to catch up
  once it stops;
- a full sync of 1,000,000 and 10,000,000 entries: the time from REPLICAOF until the replica's
  link is up with its offset at the master's, the master's fork (INFO latest_fork_usec) and the
  longest PING another client waited on the master meanwhile;
- WAIT 1 latency: one client sending XADD and WAIT 1 0 back to back, one replica.

Both servers make a full sync's snapshot on disk (redis-server with repl-diskless-sync no:
Runnel has only that kind), persistence otherwise off. Every server runs on CPU 0 (tools/bench
pins them there) and the load generator on CPU 1, so replicas compete with their master for
one core on both sides alike.
"""

import multiprocessing
import subprocess
import time

import bench as b

REPL_BEGIN = "<!-- bench:replication:begin -->"
REPL_END = "<!-- bench:replication:end -->"


def offset(server, role, client=None):
    """master_repl_offset from INFO replication (a replica's: what it applied), or None for a
    replica whose link is not up. `client`: a connection to reuse (the lag sampler's)."""
    c = client or b.Client(server)
    try:
        text = c.call("INFO", "replication")
    finally:
        if client is None:
            c.close()
    text = text.decode() if isinstance(text, bytes) else text
    fields = dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line)
    if role == "replica" and fields.get("master_link_status") != "up":
        return None
    return int(fields["master_repl_offset"])


def wait_synced(master, replica, timeout=600):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = offset(replica, "replica")
        if r is not None and r == offset(master, "master"):
            return
        time.sleep(0.01)
    raise RuntimeError(f"{replica.name} did not catch up with its master")


def replicaof_args(name, master):
    # runnel-server takes replicaof as one "host port" value; redis-server as two words.
    if name == "runnel":
        return ["--replicaof", f"127.0.0.1 {master.port}"]
    return ["--replicaof", "127.0.0.1", str(master.port)]


def sample_gap(master, replicas, stop, out):
    """Runs in its own process: every 10 ms the gap between the master's offset and each
    replica's, each replica read before the master, so a gap is never under-counted; puts the
    largest on `out`."""
    m = b.Client(master)
    rs = [b.Client(r) for r in replicas]
    worst = 0
    while not stop.is_set():
        for r, c in zip(replicas, rs):
            got = offset(r, "replica", c)
            if got is not None:
                worst = max(worst, offset(master, "master", m) - got)
        time.sleep(0.01)
    out.put(worst)


def throughput(name, start, replicas_n, requests):
    master = start([])
    replicas = []
    try:
        for _ in range(replicas_n):
            replicas.append(start(replicaof_args(name, master)))
        for r in replicas:
            wait_synced(master, r)
        stop, gap = multiprocessing.Event(), multiprocessing.Queue()
        sampler = multiprocessing.Process(target=sample_gap, args=(master, replicas, stop, gap))
        sampler.start()
        rps, cpu = b.benchmark(master, requests, 50, 1, ["XADD", "q", "*", "f", "v"])
        stop.set()
        worst_gap = gap.get()
        sampler.join()
        ended = time.monotonic()
        for r in replicas:
            wait_synced(master, r)
        catch_up_ms = (time.monotonic() - ended) * 1000
        return {"rps": rps, "cpu": cpu, "gap": worst_gap if replicas else 0,
                "catch_up_ms": catch_up_ms if replicas else 0}
    finally:
        for s in replicas + [master]:
            s.stop()


def full_sync(name, start, entries):
    master = start(["--stream-node-max-entries", "100"])
    replica = None
    try:
        b.fill(master, "big", entries)
        stop, worst = multiprocessing.Event(), multiprocessing.Queue()
        pinger = multiprocessing.Process(target=b.ping_worst, args=(master.port, stop, worst))
        pinger.start()
        time.sleep(0.2)
        started = time.monotonic()
        replica = start(replicaof_args(name, master))
        wait_synced(master, replica, timeout=1800)
        took = time.monotonic() - started
        stop.set()
        pause = worst.get()
        pinger.join()
        # redis-benchmark's pipeline may add a few beyond `entries`: the master's count rules.
        replica.expect_length("big", int(master.cli("XLEN", "big")))
        return {"seconds": took, "fork_us": master.info_field("stats", "latest_fork_usec"),
                "ping_worst_ms": pause * 1000}
    finally:
        if replica is not None:
            replica.stop()
        master.stop()


def wait_latency(name, start, calls):
    master = start([])
    replica = start(replicaof_args(name, master))
    try:
        wait_synced(master, replica)
        c = b.Client(master)
        times = []
        for _ in range(calls):
            t = time.perf_counter()
            c.pipeline([("XADD", "w", "*", "f", "v"), ("WAIT", "1", "0")])
            times.append((time.perf_counter() - t) * 1e6)
        c.close()
        times.sort()
        return {"p50": b.percentile(times, 0.50), "p99": b.percentile(times, 0.99)}
    finally:
        replica.stop()
        master.stop()


def replication(start_runnel_with, start_redis_with, quick):
    requests = 100_000 if quick else 1_000_000
    sizes = [100_000] if quick else [1_000_000, 10_000_000]
    calls = 2_000 if quick else 20_000
    out = {"sizes": sizes, "requests": requests, "calls": calls}
    for name, start_with in (("runnel", start_runnel_with), ("redis", start_redis_with)):
        extra = [] if name == "runnel" else ["--repl-diskless-sync", "no"]
        start = lambda more, s=start_with, e=extra: s(e + more)  # noqa: E731
        for n in (0, 1, 2):
            out[name, "xadd", n] = throughput(name, start, n, requests)
        for size in sizes:
            out[name, "sync", size] = full_sync(name, start, size)
        out[name, "wait"] = wait_latency(name, start, calls)
    return out


def render_replication(r):
    lines = [REPL_BEGIN, "",
             f"Measured {time.strftime('%Y-%m-%d')} by `tools/bench --only replication`, Runnel "
             "and redis-server 7.0 with the same settings (persistence off, full syncs through a "
             "snapshot on disk: redis-server with `repl-diskless-sync no`), one setup at a time, "
             "master, replicas and load generator sharing the machine's two cores.", "",
             f"XADD (1 field, 50 clients, {r['requests']:,} requests, median of "
             f"{b.RUNS} runs); lag is the largest offset gap a replica showed during the run, "
             "and the time it took to catch up after it:", "",
             "| replicas | Runnel req/s | Redis req/s | ratio | Runnel master µs/op | "
             "Redis master µs/op | Runnel lag (bytes, catch-up) | Redis lag (bytes, catch-up) |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n in (0, 1, 2):
        a, z = r["runnel", "xadd", n], r["redis", "xadd", n]
        lag = lambda x: "—" if n == 0 else f"{x['gap']:,}, {x['catch_up_ms']:.0f} ms"  # noqa
        lines.append(f"| {n} | {a['rps']:,.0f} | {z['rps']:,.0f} | {b.ratio(a['rps'], z['rps'])} "
                     f"| {a['cpu']:.2f} | {z['cpu']:.2f} | {lag(a)} | {lag(z)} |")
    lines += ["", "A full sync of one stream, from REPLICAOF until the replica's offset is the "
              "master's; the master's fork, and the longest PING another client waited on it "
              "meanwhile:", "",
              "| entries | Runnel sync | Redis sync | ratio | Runnel fork | Redis fork | "
              "Runnel longest PING | Redis longest PING |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for size in r["sizes"]:
        a, z = r["runnel", "sync", size], r["redis", "sync", size]
        lines.append(f"| {size:,} | {a['seconds']:.2f} s | {z['seconds']:.2f} s | "
                     f"{b.ratio(a['seconds'], z['seconds'])} | {a['fork_us'] / 1000:.1f} ms | "
                     f"{z['fork_us'] / 1000:.1f} ms | {a['ping_worst_ms']:.1f} ms | "
                     f"{z['ping_worst_ms']:.1f} ms |")
    a, z = r["runnel", "wait"], r["redis", "wait"]
    lines += ["", f"XADD then WAIT 1 0, one client, one replica, {r['calls']:,} times "
              "(round trip of the pair):", "",
              "| | Runnel | Redis | ratio |", "|---|---:|---:|---:|",
              f"| p50 | {a['p50']:.0f} µs | {z['p50']:.0f} µs | {b.ratio(a['p50'], z['p50'])} |",
              f"| p99 | {a['p99']:.0f} µs | {z['p99']:.0f} µs | {b.ratio(a['p99'], z['p99'])} |",
              "", REPL_END]
    return "\n".join(lines)


def run(start_runnel_with, start_redis_with, quick):
    with b.load_generator_cpu():
        return render_replication(replication(start_runnel_with, start_redis_with, quick))


if __name__ == "__main__":
    raise SystemExit("run it through tools/bench --only replication")
