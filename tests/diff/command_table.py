"""COMMAND INFO and COMMAND DOCS of every command Runnel has, against redis-server.

The scripts in scripts/ compare the commands someone listed; this compares all of them, so a
command added later is checked without anyone remembering to list it. For each name in
Runnel's COMMAND LIST that redis-server also knows, both replies must be equal in RESP2 and
in RESP3, except:
  - containers (CLIENT, CONFIG, ...): Runnel has fewer subcommands, so their subcommand lists
    are left out of the comparison (each subcommand Runnel has is compared by itself);
  - the differences listed in NEWER, where Runnel documents what a newer Redis added.
A name only Runnel knows (Redis 8.x commands, Runnel's own) is listed and skipped.

Usage: command_table.py --runnel PATH/runnel-server [--redis redis-server]
"""
import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_diff import Server, encode_reply, parse_reply  # noqa: E402

# Commands whose DOCS differ because Runnel follows a newer Redis than the redis-server 7.0
# these tests run against. Each names the version and what it added.
NEWER = {
    "xadd": "Redis 8.2 (KEEPREF/DELREF/ACKED) and 8.6 (IDMP) arguments and history",
    "xtrim": "Redis 8.2 KEEPREF/DELREF/ACKED arguments and history",
    "xread": "Redis 7.4 '+' ID and 8.10 MAXCOUNT/MAXSIZE history and arguments",
    "xreadgroup": "Redis 8.4 CLAIM and 8.10 MAXCOUNT/MAXSIZE arguments and history",
    "xinfo|consumers": "Redis 7.2 'inactive' field history entry",
    "client|info": "Redis 7.2 lib-name/lib-ver history entry",
    "client|list": "Redis 7.2 lib-name/lib-ver history entry",
    "set": "Redis 8.4 IFEQ/IFNE/IFDEQ/IFDNE arguments and history",
}


def strip_subcommands(kind, node):
    """A container's reply without its list of subcommands (INFO keeps the list's type)."""
    t, items = node
    if items is None or not items:
        return node
    if kind == "INFO":  # [[name, arity, flags, first, last, step, acl, tips, keyspecs, subs]]
        t0, info = items[0]
        return (t, [(t0, info[:9] + [(info[9][0], [])])])
    # DOCS: {name: {summary .. subcommands {...}}}
    name, doc = items[0], items[1]
    dt, fields = doc
    kept = []
    for i in range(0, len(fields) - 1, 2):
        if fields[i][1] != b"subcommands":
            kept += fields[i:i + 2]
    return (t, [name, (dt, kept)])


def reply(server, *args):
    node, _ = parse_reply(server.call(*args))
    return node


def names(server):
    t, items = reply(server, "COMMAND", "LIST")
    return {v.decode() for _, v in items}


def compare(redis, runnel, protocol):
    failures = []
    ours, theirs = names(runnel), names(redis)
    containers = {n.split("|")[0] for n in ours if "|" in n}
    for name in sorted(ours):
        if name not in theirs:
            continue
        for kind in ("INFO", "DOCS"):
            if kind == "DOCS" and name in NEWER:
                continue
            a, b = reply(redis, "COMMAND", kind, name), reply(runnel, "COMMAND", kind, name)
            if name in containers:
                a, b = strip_subcommands(kind, a), strip_subcommands(kind, b)
            if a != b:
                failures.append("RESP%d COMMAND %s %s\n    redis:  %r\n    runnel: %r" % (
                    protocol, kind, name, encode_reply(a)[:800], encode_reply(b)[:800]))
    only = sorted(ours - theirs)
    return failures, only


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runnel", required=True)
    ap.add_argument("--redis", default="redis-server")
    opts = ap.parse_args()
    redis_bin = shutil.which(opts.redis)
    if redis_bin is None:
        print("command_table.py: %s not found on PATH" % opts.redis)
        return 2
    workdir = tempfile.mkdtemp(prefix="runnel-cmdtable-")
    servers = []
    try:
        servers.append(Server("redis", lambda p, d: [
            redis_bin, "--save", "", "--appendonly", "no", "--port", str(p), "--dir", d,
            "--bind", "127.0.0.1"], workdir))
        servers.append(Server("runnel", lambda p, d: [
            os.path.abspath(opts.runnel), "--port", str(p), "--dir", d,
            "--bind", "127.0.0.1"], workdir))
        for s in servers:
            s.wait_ready()
        failures, only = compare(servers[0], servers[1], 2)
        for s in servers:
            s.call("HELLO", "3")
        more, _ = compare(servers[0], servers[1], 3)
        failures += more
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print("only in Runnel (not compared): %s" % " ".join(only))
    for f in failures:
        print("MISMATCH " + f)
    print("command table: %d mismatches" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
