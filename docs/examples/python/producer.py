#!/usr/bin/env python3
"""Adds jobs to the stream `jobs`.   python3 producer.py [COUNT]

Uses redis-py (`apt install python3-redis` or `pip install redis`); RUNNEL_PORT picks the
port (default 6379). Prints the ID of every job it adds.
"""
import os
import sys

import redis

r = redis.Redis(port=int(os.environ.get("RUNNEL_PORT", 6379)))
count = int(sys.argv[1]) if len(sys.argv) > 1 else 10
for i in range(count):
    # MAXLEN ~ keeps the stream bounded; `~` lets the server trim whole blocks cheaply.
    entry_id = r.xadd("jobs", {"task": f"resize-{i}", "size": str(100 + i)},
                      maxlen=1_000_000, approximate=True)
    print(entry_id.decode())
