#!/usr/bin/python3
"""Runs one language's queue examples (docs/examples: retry_worker, delayed_producer) against a
fresh runnel-server each, so the examples cannot rot.

    queue_examples_test.py --server BIN --retry-worker CMD --delayed CMD [--skip-unless F]

Each CMD is a shell-style command line; the harness appends the program's arguments.

Retries: the harness adds 12 jobs: 3 fail on every delivery (`fail always`), 2 on their first
one only (`fail 1`). Two retry workers run at once. Every other job must be done exactly once,
on its first delivery; a fail-once job done on its second; each always-failing one delivered
3 times and then found in jobs:dead (dlq-reason maxdeliveries, dlq-deliveries 3); deliveries of
one job at least the BACKOFF apart; nothing left pending; XINFO GROUPS counting 3 dead letters.

Delayed entries: delayed_producer checks its own jobs' order and lateness; the harness checks
its output and that the schedule is empty and the stream holds exactly its jobs afterwards.

Exit status 77 (skip) when --skip-unless names a path that does not exist.
"""

import argparse
import os
import re
import shlex
import subprocess
import sys

from harness import RunnelServer

JOBS = 12
ALWAYS = {2, 5, 9}   # job numbers that fail on every delivery
ONCE = {3, 7}        # ... on their first delivery only
MAX_DELIVERIES = 3
BACKOFF = [100, 200]  # as retry_worker sets them
DELAYED = 5

EVENT = re.compile(r"(\S+) (done|failed) (\S+) \((\d+-\d+)\) delivery (\d+) at (\d+)")
DEAD = re.compile(r"(\S+) dead (\S+) \((\d+-\d+)\) deliveries (\d+) reason (\S+)")


def argv_of(command, args):
    return shlex.split(command) + [str(a) for a in args]


def run(command, args, port):
    argv = argv_of(command, args)
    out = subprocess.run(argv, env=dict(os.environ, RUNNEL_PORT=str(port)),
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise AssertionError(f"{argv} exited {out.returncode}:\n{out.stdout}{out.stderr}")
    return out.stdout.splitlines()


def pairs(flat):
    """A RESP2 flat [name, value, ...] reply as a dict with str keys."""
    return {k.decode(): v for k, v in zip(flat[::2], flat[1::2])}


def test_retries(server, worker_command):
    control = server.client()
    ids, kind = {}, {}  # task -> entry ID; task -> "always", "once" or "ok"
    for i in range(JOBS):
        task = f"job-{i}"
        fail = ["fail", "always"] if i in ALWAYS else ["fail", "1"] if i in ONCE else []
        kind[task] = "always" if i in ALWAYS else "once" if i in ONCE else "ok"
        ids[task] = control.call("XADD", "jobs", "*", "task", task, *fail).decode()

    # Both workers at once, so that retries and dead letters cross between them.
    env = dict(os.environ, RUNNEL_PORT=str(server.port))
    procs = {name: subprocess.Popen(argv_of(worker_command, [name, JOBS]), env=env, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for name in ("w1", "w2")}
    outputs = {}
    for name, proc in procs.items():
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            for p in procs.values():
                p.kill()
            raise AssertionError(f"retry worker {name} did not finish within 60 s")
        if proc.returncode != 0:
            raise AssertionError(f"retry worker {name} exited {proc.returncode}:\n{out}{err}")
        outputs[name] = out.splitlines()

    events = {task: [] for task in ids}  # task -> [(delivery, verb, worker, unix ms)]
    printed_dead = {}                    # worker -> [(task, id, deliveries, reason)]
    for name, lines in outputs.items():
        printed_dead[name] = []
        for line in lines:
            if m := EVENT.fullmatch(line):
                worker, verb, task, entry_id, delivery, at = m.groups()
                assert worker == name and ids.get(task) == entry_id, line
                events[task].append((int(delivery), verb, worker, int(at)))
            elif m := DEAD.fullmatch(line):
                assert m.group(1) == name, line
                printed_dead[name].append(m.groups()[1:])
            else:
                raise AssertionError(f"{name} printed an unexpected line: {line!r}")

    expected = {"ok": ["done"], "once": ["failed", "done"], "always": ["failed"] * MAX_DELIVERIES}
    for task, evs in events.items():
        evs.sort()
        # Deliveries 1, 2, ... each once, failing and then done as the job's payload says.
        assert [d for d, *_ in evs] == list(range(1, len(evs) + 1)), (task, evs)
        assert [verb for _, verb, *_ in evs] == expected[kind[task]], (task, evs)
        for (d, _, _, t1), (_, _, _, t2) in zip(evs, evs[1:]):
            # Each stamp is taken before the failure is reported, so the next delivery can
            # only come the backoff after it.
            wait = BACKOFF[min(d, len(BACKOFF)) - 1]
            assert t2 - t1 >= wait, f"{task}: delivery {d + 1} {t2 - t1} ms after {d}, not {wait}"

    dead = [(entry_id.decode(), [f.decode() for f in fields[::2]], pairs(fields))
            for entry_id, fields in control.call("XRANGE", "jobs:dead", "-", "+")]
    dead_tasks = sorted(fields["task"].decode() for _, _, fields in dead)
    assert dead_tasks == sorted(t for t in ids if kind[t] == "always"), dead
    for _, names, fields in dead:
        task = fields["task"].decode()
        assert names == ["task", "fail", "dlq-stream", "dlq-id", "dlq-group", "dlq-consumer",
                         "dlq-deliveries", "dlq-reason"], names
        last_worker = events[task][-1][2]
        assert {k: v.decode() for k, v in fields.items()} == {
            "task": task, "fail": "always", "dlq-stream": "jobs", "dlq-id": ids[task],
            "dlq-group": "workers", "dlq-consumer": last_worker,
            "dlq-deliveries": str(MAX_DELIVERIES), "dlq-reason": "maxdeliveries"}, fields
    server_dead = sorted((f["task"].decode(), f["dlq-id"].decode(), str(MAX_DELIVERIES),
                          "maxdeliveries") for _, _, f in dead)
    for name, printed in printed_dead.items():
        assert sorted(printed) == server_dead, (name, printed)

    assert control.call("XPENDING", "jobs", "workers") == [0, None, None, None]
    [group] = [pairs(g) for g in control.call("XINFO", "GROUPS", "jobs")]
    assert group["pending"] == 0 and group["dead-lettered"] == len(ALWAYS), group
    policy = pairs(control.call("XGROUP", "GETPOLICY", "jobs", "workers"))
    assert policy["maxdeliveries"] == MAX_DELIVERIES and policy["backoff"] == BACKOFF, policy
    control.close()

    per_worker = {name: sum(1 for evs in events.values() for e in evs if e[2] == name)
                  for name in outputs}
    print(f"PASS retries: {JOBS} jobs, deliveries per worker {per_worker}, "
          f"{len(dead)} dead-lettered")


def test_delayed(server, producer_command):
    lines = run(producer_command, [DELAYED], server.port)
    handles = dict(m.groups() for line in lines
                   if (m := re.fullmatch(r"scheduled (\S+) delay \d+ handle (\d+-\d+)", line)))
    arrived = [m.group(1) for line in lines
               if (m := re.fullmatch(r"arrived (\S+) \(\d+-\d+\) delay \d+ late \d+", line))]
    tasks = {f"delayed-{i}" for i in range(DELAYED)}
    assert set(handles) == tasks, lines
    due = sorted(tasks, key=lambda t: tuple(map(int, handles[t].split("-"))))
    assert arrived == due, (arrived, due)

    control = server.client()
    assert control.call("XSCHEDULE", "LIST", "jobs", "-", "+") == []
    in_stream = [pairs(fields)["task"].decode()
                 for _, fields in control.call("XRANGE", "jobs", "-", "+")]
    assert in_stream == due, in_stream  # due order, and no trace of the cancelled job
    control.close()
    print(f"PASS delayed: {DELAYED} jobs arrived in due order, the cancelled one never")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--retry-worker", required=True)
    ap.add_argument("--delayed", required=True, help="the delayed_producer command")
    ap.add_argument("--skip-unless", help="skip (77) unless this path exists")
    args = ap.parse_args()
    if args.skip_unless and not os.path.exists(args.skip_unless):
        print(f"SKIP: {args.skip_unless} does not exist")
        return 77

    with RunnelServer(args.server) as server:
        test_retries(server, args.retry_worker)
    with RunnelServer(args.server) as server:
        test_delayed(server, args.delayed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
