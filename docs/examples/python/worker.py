#!/usr/bin/env python3
"""A consumer-group worker.   python3 worker.py NAME

Joins the group `workers` on the stream `jobs` (creating both if needed), handles new jobs
and acknowledges each one after handling it. A job it read but did not acknowledge (because
it crashed) stays pending, for reclaimer.py. Exits after 1 s without new jobs, so that the
example ends; a real worker would loop forever.
"""
import os
import sys

import redis

name = sys.argv[1]
r = redis.Redis(port=int(os.environ.get("RUNNEL_PORT", 6379)), decode_responses=True)
try:
    r.xgroup_create("jobs", "workers", id="0", mkstream=True)
except redis.ResponseError as e:
    if "BUSYGROUP" not in str(e):  # the group exists already: fine
        raise

while True:
    reply = r.xreadgroup("workers", name, {"jobs": ">"}, count=10, block=1000)
    if not reply:
        break
    for _stream, entries in reply:
        for entry_id, job in entries:
            print(f"{name} handled {job['task']} ({entry_id})")
            r.xack("jobs", "workers", entry_id)
