#!/usr/bin/env python3
"""A worker whose failed jobs are retried, and dead-lettered by the server when hopeless.
    python3 retry_worker.py NAME JOBS

Sets the group's policy (docs/queues.md): at most 3 deliveries per job, then the dead-letter
stream `jobs:dead`; 100 ms before the 2nd delivery, 200 ms before the 3rd. Reads with
XREADGROUP ... CLAIM, which hands out released (XNACKed) jobs whose backoff has passed before
new ones. A job whose field `fail` is `always`, or a number N, fails (XNACK ... FAIL) on every
delivery, or on its first N; the others are done (XACK). One line per event:
    NAME done TASK (ID) delivery N at UNIX-MS
    NAME failed TASK (ID) delivery N at UNIX-MS
Exits once the group has read JOBS entries and holds none pending (each one done or
dead-lettered, by any worker), printing the dead letters:
    NAME dead TASK (ID) deliveries N reason REASON
"""
import os
import sys
import time

import redis

name, jobs = sys.argv[1], int(sys.argv[2])
r = redis.Redis(port=int(os.environ.get("RUNNEL_PORT", 6379)), decode_responses=True)
# With CLAIM every entry comes with two more elements, which redis-py's XREADGROUP parser
# drops; take the reply as the server sends it.
r.set_response_callback("XREADGROUP", lambda reply, **_: reply)

try:
    r.xgroup_create("jobs", "workers", id="0", mkstream=True)
except redis.ResponseError as e:
    if "BUSYGROUP" not in str(e):  # the group exists already: fine
        raise
# No client library knows SETPOLICY or XNACK yet: send them as generic commands.
r.execute_command("XGROUP", "SETPOLICY", "jobs", "workers", "MAXDELIVERIES", 3,
                  "DEADLETTER", "jobs:dead", "BACKOFF", 100, 200)


def finished():
    """Every job read by the group and none pending: all done or dead-lettered."""
    [group] = [g for g in r.xinfo_groups("jobs") if g["name"] == "workers"]
    return (group["entries-read"] or 0) >= jobs and group["pending"] == 0


def fails(job, delivery):
    rule = job.get("fail")
    return rule == "always" or (rule is not None and delivery <= int(rule))


while True:
    # CLAIM 60000: take over a job another worker has held for a minute (it crashed). A job
    # released by XNACK is offered as soon as its backoff has passed, whatever this value.
    reply = r.execute_command("XREADGROUP", "GROUP", "workers", name, "COUNT", 10,
                              "BLOCK", 200, "CLAIM", 60000, "STREAMS", "jobs", ">")
    if not reply:
        if finished():
            break
        continue
    for _stream, entries in (reply.items() if isinstance(reply, dict) else reply):
        # The two extra elements: ms since the last delivery, deliveries before this one.
        for entry_id, fields, _idle_ms, delivered in entries:
            job = dict(zip(fields[::2], fields[1::2]))
            delivery, now = int(delivered) + 1, int(time.time() * 1000)
            if fails(job, delivery):
                print(f"{name} failed {job['task']} ({entry_id}) delivery {delivery} at {now}")
                # Back to the group, to be offered again after the backoff; the server
                # dead-letters it instead when this was its last delivery.
                r.execute_command("XNACK", "jobs", "workers", "FAIL", "IDS", 1, entry_id)
            else:
                print(f"{name} done {job['task']} ({entry_id}) delivery {delivery} at {now}")
                r.xack("jobs", "workers", entry_id)

for _dead_id, dead in r.xrange("jobs:dead"):
    print(f"{name} dead {dead['task']} ({dead['dlq-id']}) deliveries {dead['dlq-deliveries']}"
          f" reason {dead['dlq-reason']}")
