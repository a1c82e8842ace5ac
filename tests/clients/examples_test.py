#!/usr/bin/python3
"""Runs one language's docs/examples (producer, worker, reclaimer) against a fresh
runnel-server, so the examples cannot rot.

    examples_test.py --server BIN --producer CMD --worker CMD --reclaimer CMD [--skip-unless F]

Each CMD is a shell-style command line; the harness appends the program's arguments. The
story: the producer adds 20 jobs; a worker "dead" (the harness itself) reads 5 and never
acknowledges them; the example worker handles the other 15; the reclaimer takes over the
dead worker's 5. Every job must be handled exactly once and nothing left pending.
Exit status 77 (skip) when --skip-unless names a path that does not exist.
"""

import argparse
import os
import re
import shlex
import subprocess
import sys
import time

from harness import RunnelServer

JOBS = 20
DEAD = 5
MIN_IDLE_MS = 50


def run(command, args, port):
    argv = shlex.split(command) + [str(a) for a in args]
    out = subprocess.run(argv, env=dict(os.environ, RUNNEL_PORT=str(port)),
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise AssertionError(f"{argv} exited {out.returncode}:\n{out.stdout}{out.stderr}")
    return out.stdout.splitlines()


def handled(lines, verb):
    """task name -> entry ID for the lines `<name> <verb> <task> (<id>)`."""
    found = {}
    for line in lines:
        m = re.fullmatch(r"\S+ " + verb + r" (\S+) \((\d+-\d+)\)", line)
        if m:
            if m.group(1) in found:
                raise AssertionError(f"{m.group(1)} handled twice")
            found[m.group(1)] = m.group(2)
    return found


def main():
    ap = argparse.ArgumentParser()
    for name in ("server", "producer", "worker", "reclaimer"):
        ap.add_argument("--" + name, required=True)
    ap.add_argument("--skip-unless", help="skip (77) unless this path exists")
    args = ap.parse_args()
    if args.skip_unless and not os.path.exists(args.skip_unless):
        print(f"SKIP: {args.skip_unless} does not exist")
        return 77

    with RunnelServer(args.server) as server:
        ids = run(args.producer, [JOBS], server.port)
        assert len(ids) == JOBS and all(re.fullmatch(r"\d+-\d+", i) for i in ids), ids

        control = server.client()
        control.call("XGROUP", "CREATE", "jobs", "workers", "0")
        [[_, taken]] = control.call("XREADGROUP", "GROUP", "workers", "dead", "COUNT", DEAD,
                                    "STREAMS", "jobs", ">")
        dead_ids = [entry[0].decode() for entry in taken]
        assert dead_ids == ids[:DEAD], dead_ids

        worker = handled(run(args.worker, ["w1"], server.port), "handled")
        assert sorted(worker.values()) == sorted(ids[DEAD:]), worker
        pending = control.call("XPENDING", "jobs", "workers")
        assert pending[0] == DEAD and pending[3] == [[b"dead", str(DEAD).encode()]], pending

        # The worker waited a second for more jobs before it exited, so the dead worker's
        # entries are idle for far longer than MIN_IDLE_MS already; wait on that anyway.
        while control.call("XPENDING", "jobs", "workers", "IDLE", MIN_IDLE_MS,
                           "-", "+", DEAD)[:1] == []:
            time.sleep(0.01)
        reclaimer = handled(run(args.reclaimer, ["rescuer", MIN_IDLE_MS], server.port),
                            "took over")
        assert sorted(reclaimer.values()) == sorted(dead_ids), reclaimer
        assert set(worker) | set(reclaimer) == {f"resize-{i}" for i in range(JOBS)}
        assert control.call("XPENDING", "jobs", "workers")[0] == 0
        control.close()
    print(f"PASS: {JOBS} jobs, {len(worker)} by the worker, {len(reclaimer)} taken over")
    return 0


if __name__ == "__main__":
    sys.exit(main())
