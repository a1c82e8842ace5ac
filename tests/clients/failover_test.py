#!/usr/bin/python3
"""Failover under Redis Sentinel, with real processes: three runnel-servers (a master and two
replicas, each with a TOML file that CONFIG REWRITE keeps) and three Debian redis-sentinels on
loopback.

Each round: producers append through redis-py's Sentinel client, each XADD followed by WAIT 1,
and keep the IDs WAIT confirmed; a consumer group reads and acknowledges; the group's state is
noted once both replicas have it. Then the master is killed with SIGKILL. Sentinel must
promote a replica and point the other at it; redis-py (retrying) and ioredis (its sentinel
support, failover_ioredis.js) must find the new master and write there. Every confirmed
entry must be on the new master, the group's last-delivered-id, entries-read, pending entries
and consumers as noted, the other replica in sync. The old master then starts again (its data
and port as before) and Sentinel must turn it into a replica that syncs with the new master.

    failover_test.py --server BIN [--node-path DIR] [--failovers N]

The default is one failover (./tools/test); `--failovers 20` is the long loop whose results go
in docs/replication.md. Standard library, redis-py (Debian python3-redis) and Node.js's ioredis.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import redis
from redis.sentinel import Sentinel

from harness import Resp, die_with_parent, free_port, stop_process

HERE = os.path.dirname(os.path.abspath(__file__))
STREAM = "orders"
GROUP = "workers"


def wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except (OSError, Resp.Error, redis.RedisError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %ss waiting until %s" % (timeout, what))
        time.sleep(0.05)  # polling for a state, with a deadline


def info(port, section="replication"):
    conn = Resp(port, timeout=2.0)
    try:
        text = conn.call("INFO", section).decode()
    finally:
        conn.close()
    return dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line)


class Node:
    """A runnel-server with its own directory and TOML file, restartable on the same port."""

    def __init__(self, binary, root, name, replicaof=None):
        self.binary = binary
        self.name = name
        self.port = free_port()
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir)
        self.config = os.path.join(self.dir, "runnel.toml")
        with open(self.config, "w") as f:
            f.write('# %s of the failover test\nport = %d\ndir = "%s"\nappendfsync = "always"\n'
                    % (name, self.port, self.dir))
            if replicaof is not None:
                f.write('replicaof = "127.0.0.1 %d"\n' % replicaof)
        self.proc = None

    def start(self):
        log = open(os.path.join(self.dir, "server.log"), "ab")
        self.proc = subprocess.Popen([self.binary, self.config], stdout=log,
                                     stderr=subprocess.STDOUT, cwd=self.dir,
                                     preexec_fn=die_with_parent)
        log.close()
        wait_until(lambda: Resp(self.port).call("PING") == b"PONG", 30, self.name + " answers")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc is not None:
            stop_process(self.proc)


class SentinelProc:
    def __init__(self, root, index, master_port):
        self.port = free_port()
        self.dir = os.path.join(root, "sentinel%d" % index)
        os.makedirs(self.dir)
        self.config = os.path.join(self.dir, "sentinel.conf")
        with open(self.config, "w") as f:
            f.write("\n".join([
                "port %d" % self.port,
                "bind 127.0.0.1",
                "daemonize no",
                "dir %s" % self.dir,
                "logfile %s" % os.path.join(self.dir, "sentinel.log"),
                "sentinel resolve-hostnames no",
                "sentinel monitor mq 127.0.0.1 %d 2" % master_port,
                "sentinel down-after-milliseconds mq 1000",
                "sentinel failover-timeout mq 10000",
                "sentinel parallel-syncs mq 2",
                ""]))
        self.proc = subprocess.Popen(["redis-sentinel", self.config], cwd=self.dir,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                     preexec_fn=die_with_parent)

    def call(self, *args):
        conn = Resp(self.port, timeout=2.0)
        try:
            return conn.call(*args)
        finally:
            conn.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)


def group_state(client):
    """What must survive a failover of the group: its position, pending entries (id, owner,
    deliveries) and consumers with their pending counts; not times, which move by themselves."""
    groups = client.xinfo_groups(STREAM)
    group = next(g for g in groups if g["name"] == GROUP)
    pending = client.xpending_range(STREAM, GROUP, "-", "+", 100000)
    consumers = client.xinfo_consumers(STREAM, GROUP)
    return {
        "last-delivered-id": group["last-delivered-id"],
        "entries-read": group.get("entries-read"),
        "pending": [(p["message_id"], p["consumer"], p["times_delivered"]) for p in pending],
        "consumers": sorted((c["name"], c["pending"]) for c in consumers),
    }


def with_retry(call, timeout=30.0):
    """Runs `call` until it succeeds: during a failover the client's errors are expected."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except (redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError,
                redis.ResponseError) as e:
            if time.monotonic() > deadline:
                raise AssertionError("no master found after %ss: %s" % (timeout, e))
            time.sleep(0.05)


def produce(master, count, tag):
    """XADD then WAIT 1 on the same connection; returns the IDs WAIT confirmed."""
    confirmed = []
    for i in range(count):
        pipe = master.pipeline(transaction=False)
        pipe.xadd(STREAM, {"tag": tag, "n": i})
        pipe.execute_command("WAIT", 1, 2000)
        entry_id, acked = with_retry(pipe.execute)
        if acked >= 1:
            confirmed.append(entry_id)
    return confirmed


def consume(master, consumer, count):
    got = master.xreadgroup(GROUP, consumer, {STREAM: ">"}, count=count)
    ids = [entry_id for _, entries in got for entry_id, _ in entries]
    if ids:
        master.xack(STREAM, GROUP, *ids[: len(ids) // 2])  # half stay pending
    return ids


def in_sync(master_port, replica_port):
    r = info(replica_port)
    return (r.get("master_link_status") == "up" and int(r["master_port"]) == master_port and
            r["master_repl_offset"] == info(master_port)["master_repl_offset"])


def current_master(sentinels):
    return int(sentinels[0].call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mq")[1])


def settled(sentinels, ports):
    """Every one of `ports` is Sentinel's current master or a replica in sync with it. Asked of
    Sentinel each time: on a loaded machine it may fail over once more (the newly promoted
    master missed its down-after-milliseconds), which loses nothing WAIT confirmed."""
    m = current_master(sentinels)
    return all(p == m or in_sync(m, p) for p in ports)


def run_ioredis(node_path, sentinels):
    env = dict(os.environ, NODE_PATH=node_path,
               SENTINELS=json.dumps([{"host": "127.0.0.1", "port": s.port} for s in sentinels]))
    out = subprocess.run(["node", os.path.join(HERE, "failover_ioredis.js"), STREAM], env=env,
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise AssertionError("ioredis failed:\n" + out.stdout + out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def failover_round(round_no, nodes, sentinels, sentinel_client, node_path, confirmed):
    by_port = {n.port: n for n in nodes}
    master_port = int(sentinels[0].call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mq")[1])
    old = by_port[master_port]
    master = sentinel_client.master_for("mq", socket_timeout=2.0)
    confirmed += produce(master, 40, "round%d" % round_no)
    consume(master, "c%d" % round_no, 15)
    # Both replicas hold the group's state before the kill; note it.
    wait_until(lambda: master.execute_command("WAIT", 2, 1000) == 2, 30, "both replicas ack")
    before = group_state(master)

    started = time.monotonic()
    old.kill()
    confirmed += produce(master, 10, "after%d" % round_no)  # retried until a master takes it
    took = time.monotonic() - started
    new_port = int(sentinels[0].call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mq")[1])
    assert new_port != old.port, "Sentinel did not move the master"
    new = redis.Redis(port=new_port, decode_responses=True)
    assert new.execute_command("ROLE")[0] == "master"

    present = {entry_id for entry_id, _ in new.xrange(STREAM)}
    lost = [i for i in confirmed if i not in present]
    assert not lost, "confirmed entries lost in round %d: %s" % (round_no, lost[:10])
    after = group_state(new)
    assert after == before, "group state changed:\n%s\n%s" % (before, after)

    # The other replica follows the new master.
    other = next(n for n in nodes if n.port not in (old.port, new_port))
    wait_until(lambda: settled(sentinels, [new_port, other.port]), 60,
               "the other replica follows")
    if node_path:
        reached = run_ioredis(node_path, sentinels)
        assert reached["port"] == new_port, "ioredis reached %s" % reached
        confirmed.append(reached["id"])

    # The old master returns with its data and is made a replica of the new one.
    old.start()
    wait_until(lambda: settled(sentinels, [n.port for n in nodes]), 90,
               "the old master is a synced replica")
    latest = redis.Redis(port=current_master(sentinels), decode_responses=True)
    assert redis.Redis(port=old.port, decode_responses=True).xrange(STREAM) == latest.xrange(STREAM)
    print("round %d: master %d -> %d, writes resumed after %.2fs, %d confirmed entries kept"
          % (round_no, old.port, new_port, took, len(confirmed)), flush=True)
    return took


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--node-path", default="")
    parser.add_argument("--failovers", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("redis-sentinel") is None:
        print("SKIP: redis-sentinel is not installed")
        return 77
    node_path = args.node_path
    if node_path and not os.path.isdir(os.path.join(node_path, "ioredis")):
        print("ioredis is not installed: only redis-py is checked")
        node_path = ""
    root = tempfile.mkdtemp(prefix="runnel-failover-")
    nodes, sentinels = [], []
    ok = False
    try:
        a = Node(args.server, root, "a")
        a.start()
        nodes = [a, Node(args.server, root, "b", a.port), Node(args.server, root, "c", a.port)]
        for n in nodes[1:]:
            n.start()
        for n in nodes[1:]:
            wait_until(lambda n=n: in_sync(a.port, n.port), 30, n.name + " syncs")
        master = redis.Redis(port=a.port, decode_responses=True)
        master.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        sentinels = [SentinelProc(root, i, a.port) for i in range(3)]
        for s in sentinels:
            wait_until(lambda s=s: len(s.call("SENTINEL", "REPLICAS", "mq")) == 2 and
                       len(s.call("SENTINEL", "SENTINELS", "mq")) == 2, 60,
                       "every sentinel knows both replicas and the other sentinels")
        client = Sentinel([("127.0.0.1", s.port) for s in sentinels], socket_timeout=2.0,
                          decode_responses=True)
        confirmed, times = [], []
        for round_no in range(1, args.failovers + 1):
            times.append(failover_round(round_no, nodes, sentinels, client, node_path, confirmed))
        print("PASS: %d failovers, %d confirmed entries, none lost; writes resumed after "
              "%.2fs at most (median %.2fs)" % (len(times), len(confirmed), max(times),
                                                sorted(times)[len(times) // 2]))
        ok = True
        return 0
    finally:
        for s in sentinels:
            s.stop()
        for n in nodes:
            n.stop()
        if ok:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print("logs and data kept in", root)


if __name__ == "__main__":
    sys.exit(main())
