"""RDB import benchmark for tools/bench (`--only import`): one RDB file that redis-server 7.0
wrote, loaded by redis-server and carried into Runnel by `runnel-check --import-rdb`.

The file holds one stream of 10,000,000 entries (1,000,000 with --quick) of three small fields
(the memory table's "one varying value" workload), with a consumer group that has delivered
the first 10,000 entries to two consumers, so its PEL has 10,000 pending entries. Measured:

- redis-server loading it at start: the seconds until it answers PING (its data loaded) and
  its peak resident memory (VmHWM) by then;
- runnel-check --import-rdb: wall seconds and peak resident memory (its whole keyspace is held
  while the file is read, then written as a snapshot);
- runnel-server starting on the imported snapshot: seconds until PING, and peak memory;
- the sizes of the RDB file and of Runnel's snapshot.

Servers run on CPU 0 (tools/bench pins them) and the import on CPU 0 too; the loader is
redis-benchmark on CPU 1.
"""

import os
import shutil
import subprocess
import tempfile
import time

import bench as b

IMPORT_BEGIN = "<!-- bench:import:begin -->"
IMPORT_END = "<!-- bench:import:end -->"


def peak_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def make_rdb(redis, entries, workdir):
    """The RDB file: written by redis-server with its defaults (compression on)."""
    source = redis([])
    try:
        b.fill(source, "big", entries, b.MEMORY_WORKLOADS[1][1])
        source.cli("XGROUP", "CREATE", "big", "workers", "0")
        for consumer in ("c1", "c2"):
            source.cli("XREADGROUP", "GROUP", "workers", consumer, "COUNT", "5000",
                       "STREAMS", "big", ">")
        length = int(source.cli("XLEN", "big"))
        source.cli("SAVE")
        path = os.path.join(workdir, "dump.rdb")
        shutil.copy(os.path.join(source.dir, "dump.rdb"), path)
        return path, length
    finally:
        source.stop()


def redis_load(redis, rdb, length):
    def argv(port, d):
        shutil.copy(rdb, os.path.join(d, "dump.rdb"))
        return ["redis-server", "--port", str(port), "--dir", d, "--appendonly", "no",
                "--save", ""]
    server = b.Server("redis", argv)
    try:
        # Server() waits for PONG; its spawn time is what loading took.
        seconds = server.spawn_seconds
        server.expect_length("big", length)
        return {"seconds": seconds, "peak_mb": peak_kb(server.proc.pid) / 1024}
    finally:
        server.stop()


def runnel_import(check, rdb, workdir):
    out = os.path.join(workdir, "imported")
    os.mkdir(out)
    started = time.monotonic()
    proc = subprocess.Popen(b.cpu_prefix(0) + [check, "--import-rdb", rdb, "--dir", out],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = proc.stdout.read()
    # wait4: the resource use of this child alone (its peak RSS, in KB on Linux).
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise RuntimeError("runnel-check --import-rdb failed:\n" + output)
    peak = usage.ru_maxrss
    return out, {"seconds": seconds, "peak_mb": peak / 1024,
                 "snapshot_mb": os.path.getsize(os.path.join(out, "dump.rnl")) / 2**20}


def runnel_start(binary, data, length):
    def argv(port, d):
        shutil.copy(os.path.join(data, "dump.rnl"), os.path.join(d, "dump.rnl"))
        return [binary, "--port", str(port), "--dir", d, "--appendonly", "no", "--save", ""]
    server = b.Server("runnel", argv)
    try:
        server.expect_length("big", length)
        pending = server.cli("XPENDING", "big", "workers").splitlines()[0]
        if pending != "10000":
            raise RuntimeError(f"runnel: {pending} pending entries after the import")
        return {"seconds": server.spawn_seconds, "peak_mb": peak_kb(server.proc.pid) / 1024}
    finally:
        server.stop()


def run(runnel_binary, redis, quick):
    entries = 1_000_000 if quick else 10_000_000
    check = os.path.join(os.path.dirname(runnel_binary), "runnel-check")
    workdir = tempfile.mkdtemp(prefix="bench-import-")
    try:
        rdb, length = make_rdb(redis, entries, workdir)
        rdb_mb = os.path.getsize(rdb) / 2**20
        loaded = redis_load(redis, rdb, length)
        imported_dir, imported = runnel_import(check, rdb, workdir)
        started = runnel_start(runnel_binary, imported_dir, length)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return render(length, rdb_mb, loaded, imported, started)


def render(length, rdb_mb, loaded, imported, started):
    lines = [IMPORT_BEGIN, "",
             f"Measured {time.strftime('%Y-%m-%d')} by `tools/bench --only import`: an RDB file "
             f"of one stream with {length:,} entries (three small fields, one varying) and a "
             f"group with 10,000 pending entries, {rdb_mb:.0f} MB as redis-server 7.0 wrote it "
             "(compression on). Peak memory is the process's VmHWM.", "",
             "| step | seconds | peak memory (MB) |", "|---|---:|---:|",
             f"| redis-server loads the RDB at start | {loaded['seconds']:.2f} | "
             f"{loaded['peak_mb']:.0f} |",
             f"| `runnel-check --import-rdb` reads it and writes a snapshot | "
             f"{imported['seconds']:.2f} | {imported['peak_mb']:.0f} |",
             f"| runnel-server loads that snapshot at start | {started['seconds']:.2f} | "
             f"{started['peak_mb']:.0f} |", "",
             f"Runnel's snapshot: {imported['snapshot_mb']:.0f} MB "
             f"({imported['snapshot_mb'] / rdb_mb:.2f}x the RDB file).", "", IMPORT_END]
    return "\n".join(lines)
