#!/usr/bin/python3
"""redis-cli against Runnel: scripted use compared with the same invocations against Debian's
redis-server, mass insertion with --pipe, and an interactive session driven through tmux.

    redis_cli_test.py --server BIN [--redis redis-server]

Scripted: every invocation in SCRIPTED runs against both servers (same keys, same order);
their outputs must be equal once stream IDs are replaced by their order of appearance.
Interactive: the prompt, the hints redis-cli shows for X* commands (which it builds from
COMMAND DOCS), `help XADD`, and a command's formatted reply.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
import uuid

from harness import RunnelServer, free_port, die_with_parent

# (extra redis-cli flags, command words); run in order on each server.
SCRIPTED = [
    ([], ["XADD", "s", "1-1", "a", "1", "b", "two"]),
    ([], ["XADD", "s", "*", "a", "3"]),
    ([], ["XRANGE", "s", "-", "+"]),
    (["--no-raw"], ["XRANGE", "s", "-", "+"]),
    (["--no-raw"], ["XLEN", "s"]),
    (["--no-raw"], ["XREAD", "COUNT", "1", "STREAMS", "s", "0"]),
    (["-3", "--no-raw"], ["XREAD", "COUNT", "1", "STREAMS", "s", "0"]),
    (["-3", "--no-raw"], ["XINFO", "STREAM", "s"]),
    (["--no-raw"], ["XGROUP", "CREATE", "s", "g", "0"]),
    (["--no-raw"], ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"]),
    (["-3", "--no-raw"], ["XPENDING", "s", "g"]),
    (["--no-raw"], ["XACK", "s", "g", "1-1"]),
    (["--no-raw"], ["XADD", "s", "0-1", "a", "1"]),  # an error reply
    (["--no-raw"], ["XREAD", "STREAMS", "nosuch", "0"]),  # a nil reply
    (["-3", "--no-raw"], ["XREAD", "STREAMS", "nosuch", "0"]),
    ([], ["XINFO", "GROUPS", "s"]),
]

PIPE_ENTRIES = 100_000


def cli(port, flags, words, stdin=None):
    out = subprocess.run(["redis-cli", "-p", str(port), *flags, *words], input=stdin,
                         capture_output=True, timeout=120)
    return out.stdout + out.stderr


def mask_ids(text):
    """Replaces each distinct ms-seq ID with <idN> in order of appearance; idle times and
    the like differ run to run and are masked too."""
    names = {}
    def name(m):
        return names.setdefault(m.group(0), b"<id%d>" % len(names))
    text = re.sub(rb"\b\d{13}-\d+\b", name, text)
    # The radix tree's shape is Redis's internal layout, not behaviour (Runnel's differs).
    text = re.sub(rb'"radix-tree-(keys|nodes)" => \(integer\) \d+', rb'"radix-tree-\1" => <n>',
                  text)
    return re.sub(rb'"(idle|seen-time|active-time|inactive)"\n(\s*\d+\)) \(integer\) \d+',
                  rb'"\1"\n\2 (integer) <t>', text)


# XINFO STREAM fields Redis 8.6 added (the IDMP settings and counters): Runnel has them,
# redis-server 7.0 does not. They are one-line integers at the top level of the map.
NEWER_FIELDS = (b"idmp-duration", b"idmp-maxsize", b"pids-tracked", b"iids-tracked",
                b"iids-added", b"iids-duplicates")
TOP_ITEM = re.compile(rb'^ *(\d+)# "([^"]*)" => ')


def drop_newer_fields(text):
    """Removes NEWER_FIELDS from a formatted RESP3 map and renumbers its items as redis-cli
    would have numbered the shorter map."""
    lines = [l for l in text.split(b"\n")
             if not (TOP_ITEM.match(l) and TOP_ITEM.match(l).group(2) in NEWER_FIELDS)]
    items = [i for i, l in enumerate(lines) if TOP_ITEM.match(l)]
    width = len(str(len(items)))
    for n, i in enumerate(items, 1):
        lines[i] = TOP_ITEM.sub(lambda m: b"%*d# \"%s\" => " % (width, n, m.group(2)), lines[i])
    return b"\n".join(lines)


def scripted(runnel_port, redis_port):
    failures = 0
    outputs = {}
    for label, port in (("runnel", runnel_port), ("redis", redis_port)):
        outputs[label] = [drop_newer_fields(mask_ids(cli(port, flags, words)))
                          for flags, words in SCRIPTED]
    for (flags, words), ours, theirs in zip(SCRIPTED, outputs["runnel"], outputs["redis"]):
        if ours != theirs:
            failures += 1
            print(f"MISMATCH redis-cli {' '.join(flags + words)}\n runnel: {ours!r}\n"
                  f"  redis: {theirs!r}")
    return failures


def pipe(port):
    """--pipe mass insertion: 100,000 XADDs in the RESP protocol on stdin."""
    cmd = b"*5\r\n$4\r\nXADD\r\n$4\r\nmass\r\n$1\r\n*\r\n$1\r\nn\r\n$1\r\n1\r\n"
    out = cli(port, ["--pipe"], [], stdin=cmd * PIPE_ENTRIES)
    expected = b"errors: 0, replies: %d" % PIPE_ENTRIES
    if expected not in out or cli(port, [], ["XLEN", "mass"]).strip() != b"%d" % PIPE_ENTRIES:
        print("--pipe failed:", out.decode(errors="replace"))
        return 1
    return 0


class Tmux:
    """A redis-cli session in a detached tmux session on its own socket (-L): nothing of the
    user's tmux is touched."""

    def __init__(self, port):
        self.socket = "runnel-test-" + uuid.uuid4().hex[:8]
        self.run("new-session", "-d", "-x", "200", "-y", "50", "-s", "cli",
                 f"redis-cli -p {port}")

    def run(self, *args):
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              text=True, check=True).stdout

    def keys(self, *keys):
        self.run("send-keys", "-t", "cli", *keys)

    def screen(self):
        return self.run("capture-pane", "-p", "-t", "cli")

    def wait_for(self, pattern, what):
        """Polls the screen until `pattern` matches (the observable state)."""
        deadline = time.monotonic() + 10
        while True:
            text = self.screen()
            m = re.search(pattern, text, re.S)
            if m:
                return m
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: {pattern!r} never appeared; screen:\n{text}")
            time.sleep(0.02)

    def close(self):
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


# A command typed (not entered) -> the start of the hint redis-cli must show after it. The
# prefixes hold both for redis-cli 7.0, which hints from its own built-in table, and for
# newer ones, which build hints from the server's COMMAND DOCS.
HINTS = {
    "XADD ": "key [NOMKSTREAM]",
    "XREADGROUP ": "GROUP group consumer",
    "XAUTOCLAIM ": "key group consumer min-idle-time start",
    "XGROUP CREATE ": "key group",
    "XINFO STREAM ": "key [FULL [COUNT count]]",
}


def interactive(port):
    if shutil.which("tmux") is None:
        print("tmux is not installed")
        return 1
    session = Tmux(port)
    try:
        prompt = f"127.0.0.1:{port}> "
        # capture-pane drops trailing blanks, so the bare prompt shows without its space.
        session.wait_for(re.escape(prompt.rstrip()), "the prompt")
        for typed, hint in HINTS.items():
            session.keys("-l", typed)
            session.wait_for(re.escape(prompt + typed + hint), f"the hint for {typed.strip()}")
            session.keys("C-u")
        session.keys("-l", "help XADD")
        session.keys("Enter")
        session.wait_for(r"XADD key \[NOMKSTREAM\].*summary: Appends a new (entry|message) to a "
                         r"stream.*since: 5\.0\.0.*group: stream", "help XADD")
        session.keys("-l", "XLEN mass")
        session.keys("Enter")
        session.wait_for(r"XLEN mass\n\(integer\) %d\n" % PIPE_ENTRIES, "a formatted reply")
        session.keys("-l", "quit")
        session.keys("Enter")
    finally:
        session.close()
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--redis", default="redis-server")
    args = ap.parse_args()
    redis_port = free_port()
    redis_dir = os.path.abspath(f"redis-cli-oracle-{redis_port}")
    os.makedirs(redis_dir, exist_ok=True)
    oracle = subprocess.Popen(
        [args.redis, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", redis_dir], stdout=subprocess.DEVNULL,
        preexec_fn=die_with_parent)
    try:
        while cli(redis_port, [], ["PING"]).strip() != b"PONG":
            if oracle.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.01)
        with RunnelServer(args.server) as server:
            failures = scripted(server.port, redis_port)
            failures += pipe(server.port)
            failures += interactive(server.port)
    finally:
        oracle.kill()
        oracle.wait()
        shutil.rmtree(redis_dir, ignore_errors=True)
    print("redis-cli:", "PASS" if failures == 0 else f"{failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
