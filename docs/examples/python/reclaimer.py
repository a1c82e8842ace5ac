#!/usr/bin/env python3
"""Takes over jobs a dead worker left pending.   python3 reclaimer.py NAME MIN_IDLE_MS

Walks the group's pending entries with XAUTOCLAIM, claiming those idle for at least
MIN_IDLE_MS for consumer NAME, handles and acknowledges each. XAUTOCLAIM also reports
pending IDs whose entries were deleted from the stream; those are dropped from the PEL.
"""
import os
import sys

import redis

name, min_idle = sys.argv[1], int(sys.argv[2])
r = redis.Redis(port=int(os.environ.get("RUNNEL_PORT", 6379)), decode_responses=True)

cursor = "0-0"
while True:
    cursor, entries, deleted = r.xautoclaim("jobs", "workers", name, min_idle,
                                            start_id=cursor, count=10)
    for entry_id, job in entries:
        print(f"{name} took over {job['task']} ({entry_id})")
        r.xack("jobs", "workers", entry_id)
    for entry_id in deleted:
        print(f"{name} dropped {entry_id}: deleted from the stream")
    if cursor == "0-0":  # the whole PEL has been scanned
        break
