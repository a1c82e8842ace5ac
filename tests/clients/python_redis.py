#!/usr/bin/python3
"""Client matrix: redis-py (Debian's python3-redis) with its default settings.

The scenario every client in tests/clients runs, through the library's own API: XADD, XREAD
BLOCK woken by another connection, XGROUP CREATE, XREADGROUP, XACK, XPENDING, XCLAIM,
XAUTOCLAIM, XINFO, a MULTI/EXEC transaction and a plain pipeline; and Pub/Sub (a channel and
a pattern subscription, PUBLISH, PUBSUB NUMSUB / CHANNELS / NUMPAT). Prints `PASS protocol=N`.
"""

import os
import threading
import time

import redis

PORT = int(os.environ["RUNNEL_PORT"])


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def wait_blocked(r, n):
    """Polls INFO until n clients are blocked: the observable state, not a sleep."""
    deadline = time.monotonic() + 10
    while r.info("clients")["blocked_clients"] < n:
        check(time.monotonic() < deadline, "the XREAD never blocked")
        time.sleep(0.005)


def next_message(p):
    """The subscriber's next message (or confirmation), waiting up to 5 s for it."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        m = p.get_message(timeout=0.1)
        if m is not None:
            return m
    raise AssertionError("no Pub/Sub message arrived")


def pubsub(r):
    """redis-py's PubSub object on its own connection, and PUBLISH / PUBSUB on the main one."""
    p = r.pubsub()
    p.subscribe("news")
    p.psubscribe("n*")
    check(next_message(p)["type"] == "subscribe", "SUBSCRIBE confirmation")
    check(next_message(p)["type"] == "psubscribe", "PSUBSCRIBE confirmation")
    check(r.publish("news", "hello") == 2, "PUBLISH reaches the channel and the pattern")
    m = next_message(p)
    check(m["type"] == "message" and m["channel"] == b"news" and m["data"] == b"hello",
          "message %r" % m)
    m = next_message(p)
    check(m["type"] == "pmessage" and m["pattern"] == b"n*" and m["data"] == b"hello",
          "pmessage %r" % m)
    check(r.pubsub_numsub("news", "none") == [(b"news", 1), (b"none", 0)], "PUBSUB NUMSUB")
    check(r.pubsub_channels() == [b"news"], "PUBSUB CHANNELS")
    check(r.pubsub_numpat() == 1, "PUBSUB NUMPAT")
    p.unsubscribe()
    p.punsubscribe()
    check(next_message(p)["type"] == "unsubscribe", "UNSUBSCRIBE confirmation")
    check(next_message(p)["type"] == "punsubscribe", "PUNSUBSCRIBE confirmation")
    check(r.publish("news", "nobody") == 0, "PUBLISH after UNSUBSCRIBE")
    p.close()


def keyspace_notifications(r):
    """Stream events through redis-py's keyspace-notification pattern subscription."""
    r.config_set("notify-keyspace-events", "Et")
    p = r.pubsub()
    try:
        p.psubscribe("__keyevent@0__:x*")
        check(next_message(p)["type"] == "psubscribe", "PSUBSCRIBE confirmation")
        r.xadd("events", {"f": "v"})
        r.xgroup_create("events", "g", id="0")
        for event in (b"xadd", b"xgroup-create"):
            m = next_message(p)
            check(m["type"] == "pmessage" and m["channel"] == b"__keyevent@0__:" + event and
                  m["data"] == b"events", "keyevent %r" % m)
    finally:
        r.config_set("notify-keyspace-events", "")
        r.delete("events")
        p.close()


def main():
    r = redis.Redis(port=PORT)
    r.delete("s", "t", "p")

    id1 = r.xadd("s", {"n": "1"})
    id2 = r.xadd("s", {"n": "2"})
    check(r.xlen("s") == 2, "XLEN")
    check(r.xrange("s") == [(id1, {b"n": b"1"}), (id2, {b"n": b"2"})], "XRANGE")

    # XREAD BLOCK on a second connection, woken by an XADD on the first.
    got = {}
    reader = threading.Thread(target=lambda: got.update(
        reply=redis.Redis(port=PORT).xread({"s": "$"}, block=10000)))
    reader.start()
    wait_blocked(r, 1)
    id3 = r.xadd("s", {"n": "3"})
    reader.join()
    check(got["reply"] == [[b"s", [(id3, {b"n": b"3"})]]], "XREAD BLOCK: %r" % got)

    # Consumer groups.
    check(r.xgroup_create("s", "g", id="0") is True, "XGROUP CREATE")
    read = r.xreadgroup("g", "c1", {"s": ">"}, count=2)
    check(read == [[b"s", [(id1, {b"n": b"1"}), (id2, {b"n": b"2"})]]], "XREADGROUP")
    check(r.xack("s", "g", id1) == 1, "XACK")
    pending = r.xpending("s", "g")
    check(pending == {"pending": 1, "min": id2, "max": id2,
                      "consumers": [{"name": b"c1", "pending": 1}]}, "XPENDING %r" % pending)
    claimed = r.xclaim("s", "g", "c2", min_idle_time=0, message_ids=[id2])
    check(claimed == [(id2, {b"n": b"2"})], "XCLAIM")
    auto = r.xautoclaim("s", "g", "c3", min_idle_time=0, start_id="0-0")
    check(auto == [b"0-0", [(id2, {b"n": b"2"})], []], "XAUTOCLAIM %r" % auto)
    detail = r.xpending_range("s", "g", min="-", max="+", count=10)
    check(len(detail) == 1 and detail[0]["consumer"] == b"c3"
          and detail[0]["times_delivered"] == 3, "XPENDING range %r" % detail)

    info = r.xinfo_stream("s")
    check(info["length"] == 3 and info["groups"] == 1 and info["last-generated-id"] == id3,
          "XINFO STREAM %r" % info)
    groups = r.xinfo_groups("s")
    check(len(groups) == 1 and groups[0]["name"] == b"g" and groups[0]["pending"] == 1,
          "XINFO GROUPS %r" % groups)
    consumers = r.xinfo_consumers("s", "g")
    check(sorted(c["name"] for c in consumers) == [b"c1", b"c2", b"c3"], "XINFO CONSUMERS")

    # MULTI/EXEC (redis-py's default pipeline) and a plain pipeline.
    tx = r.pipeline()
    tx.xadd("t", {"a": "1"}).xadd("t", {"a": "2"}).xlen("t")
    results = tx.execute()
    check(len(results) == 3 and results[2] == 2, "MULTI/EXEC %r" % results)
    pipe = r.pipeline(transaction=False)
    for i in range(100):
        pipe.xadd("p", {"i": str(i)})
    pipe.xlen("p")
    results = pipe.execute()
    check(len(results) == 101 and results[-1] == 100, "pipeline")

    pubsub(r)
    keyspace_notifications(r)
    resp = r.client_info().get("resp")
    print("PASS protocol=%s" % resp)


if __name__ == "__main__":
    main()
