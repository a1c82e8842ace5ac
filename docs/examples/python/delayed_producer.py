#!/usr/bin/env python3
"""Adds delayed jobs to the stream `jobs` and watches them arrive.
    python3 delayed_producer.py [COUNT]

Schedules COUNT jobs (`XADD jobs DELAY ms * ...`, the first one `XADD jobs AT unix-ms * ...`),
the later ones with the shorter delays so that due order is not the order they were added in;
schedules one more and cancels it (XSCHEDULE CANCEL); lists the schedule (XSCHEDULE LIST);
then reads the stream until every job has arrived. An XADD with DELAY or AT replies with a
handle, `due-ms`-`sequence`, not an entry ID: the entry gets its ID when it is due. Prints:
    scheduled TASK delay MS handle HANDLE
    cancelled TASK handle HANDLE
    listed TASK handle HANDLE
    arrived TASK (ID) delay MS late MS
Lateness is the time this program saw the entry minus its due time, so it assumes the server's
clock is this machine's. Exits 1 if a job arrives early or out of due order, the cancelled one
arrives, or one does not arrive within 10 s of its due time.
"""
import os
import sys
import time

import redis

r = redis.Redis(port=int(os.environ.get("RUNNEL_PORT", 6379)), decode_responses=True)
count = int(sys.argv[1]) if len(sys.argv) > 1 else 5
violations = []


def now_ms():
    return int(time.time() * 1000)


def due_key(handle):
    """A handle as (due ms, sequence), which sorts in due order."""
    ms, seq = handle.split("-")
    return int(ms), int(seq)


# Read from the stream's last entry as it is now: every job arrives after it.
last = r.xrevrange("jobs", count=1)
start = last[0][0] if last else "0-0"

delays, handles = {}, {}  # task -> ms asked; task -> handle
for i in range(count):
    task = f"delayed-{i}"
    delays[task] = 200 + 150 * (count - i)
    if i == 0:  # AT takes the due time itself, in Unix ms
        at = now_ms() + delays[task]
        handles[task] = r.execute_command("XADD", "jobs", "AT", at, "*", "task", task)
        if due_key(handles[task])[0] != at:
            violations.append(f"{task}: AT {at} but handle {handles[task]}")
    else:
        handles[task] = r.execute_command("XADD", "jobs", "DELAY", delays[task], "*",
                                          "task", task)
    print(f"scheduled {task} delay {delays[task]} handle {handles[task]}")

# Due before the last job: if the cancel did not take, it would arrive while we wait.
extra = r.execute_command("XADD", "jobs", "DELAY", 200 + 150 * count // 2, "*",
                          "task", "delayed-cancelled")
if r.execute_command("XSCHEDULE", "CANCEL", "jobs", extra) != 1:
    violations.append(f"XSCHEDULE CANCEL of {extra} did not cancel it")
if r.execute_command("XSCHEDULE", "CANCEL", "jobs", extra) != 0:
    violations.append(f"{extra} was cancelled twice")
print(f"cancelled delayed-cancelled handle {extra}")

listed = r.execute_command("XSCHEDULE", "LIST", "jobs", "-", "+", "COUNT", 1000)
listed_at = now_ms()
for handle, fields in listed:
    print(f"listed {dict(zip(fields[::2], fields[1::2]))['task']} handle {handle}")
listed_handles = [handle for handle, _ in listed]
if listed_handles != sorted(listed_handles, key=due_key):
    violations.append(f"XSCHEDULE LIST not in due order: {listed_handles}")
if extra in listed_handles:
    violations.append("the cancelled job is still listed")
# A job due by the time LIST answered may have left the schedule; a later one must be listed.
for task, handle in handles.items():
    if due_key(handle)[0] > listed_at and handle not in listed_handles:
        violations.append(f"{task} ({handle}) is not listed")

arrived = []  # tasks in the order they arrived
deadline = max(due_key(h)[0] for h in handles.values()) + 10_000
while len(arrived) < count and now_ms() < deadline:
    reply = r.xread({"jobs": start}, count=100, block=1000)
    seen = now_ms()
    for _stream, entries in (reply.items() if isinstance(reply, dict) else reply):
        for entry_id, job in entries:
            start, task = entry_id, job.get("task")
            if task == "delayed-cancelled":
                violations.append(f"the cancelled job arrived as {entry_id}")
            if task not in handles:
                continue  # another producer's job
            if task in arrived:
                violations.append(f"{task} arrived twice")
            late = seen - due_key(handles[task])[0]
            print(f"arrived {task} ({entry_id}) delay {delays[task]} late {late}")
            if late < 0:
                violations.append(f"{task} arrived {-late} ms before its due time")
            arrived.append(task)

if len(arrived) < count:
    violations.append(f"only {len(arrived)} of {count} jobs arrived")
if arrived != sorted(arrived, key=lambda task: due_key(handles[task])):
    violations.append(f"jobs arrived out of due order: {arrived}")
for v in violations:
    print("violation:", v, file=sys.stderr)
sys.exit(1 if violations else 0)
