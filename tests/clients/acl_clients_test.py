#!/usr/bin/python3
"""ACL through real client libraries: Runnel started with an aclfile, then redis-py (its ACL
helpers parse ACL GETUSER, LIST, LOG, CAT, DRYRUN, GENPASS replies), ioredis and node-redis
(acl_node.js) log in with a username, work within their rights, and get the libraries' own
permission and authentication errors outside them.

    acl_clients_test.py --server BIN [--node-path DIR]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import redis

from harness import RunnelServer

HERE = os.path.dirname(os.path.abspath(__file__))

USERS = """user default on nopass ~* &* +@all
user producer on >prod-pw ~jobs:* -@all +xadd +ping +hello +client|setinfo +client|setname
user worker on >work-pw ~jobs:* &jobs.* -@all +@stream +@pubsub +@connection +acl|whoami -xadd -xdel
"""


def check(ok, what):
    if not ok:
        raise AssertionError(what)


def raises(kind, call):
    try:
        call()
    except kind as e:
        return str(e)
    raise AssertionError("expected %s" % kind.__name__)


def check_redis_py(port, aclfile):
    admin = redis.Redis(port=port, decode_responses=True)
    check(admin.acl_users() == ["default", "producer", "worker"], admin.acl_users())
    producer = redis.Redis(port=port, username="producer", password="prod-pw",
                           decode_responses=True)
    job = producer.xadd("jobs:email", {"to": "a@example.com"})
    check("-" in job, job)
    error = raises(redis.exceptions.NoPermissionError, lambda: producer.xlen("jobs:email"))
    check("'xlen' command" in error, error)
    error = raises(redis.exceptions.NoPermissionError,
                   lambda: producer.xadd("other", {"f": "v"}))
    check("keys used as arguments" in error, error)
    wrong = redis.Redis(port=port, username="producer", password="nope")
    # redis-py 4.3 raises WRONGPASS as a plain ResponseError (as it does against redis-server).
    check("WRONGPASS" in raises(redis.exceptions.ResponseError, wrong.ping), "wrong password")

    worker = redis.Redis(port=port, username="worker", password="work-pw", decode_responses=True)
    check(worker.acl_whoami() == "worker", "whoami")
    worker.xgroup_create("jobs:email", "mailers", id="0")
    got = worker.xreadgroup("mailers", "w1", {"jobs:email": ">"})
    check(got[0][1][0][0] == job, got)
    check(worker.xack("jobs:email", "mailers", job) == 1, "xack")
    raises(redis.exceptions.NoPermissionError, lambda: worker.xdel("jobs:email", job))

    # The ACL helpers, which parse the replies into Python structures.
    user = admin.acl_getuser("worker")
    check(user["enabled"] is True and "on" in user["flags"], user)
    check(len(user["passwords"]) == 1 and len(user["passwords"][0]) == 64, user)
    check(user["keys"] == ["~jobs:*"] and user["channels"] == ["&jobs.*"], user)
    check(user["categories"] == ["-@all", "+@stream", "+@pubsub", "+@connection"], user)
    check(admin.acl_setuser("temp", enabled=True, passwords=["+tpw"], commands=["+get"],
                            keys=["t:*"]), "setuser")
    check("user temp on #" in " ".join(admin.acl_list()), admin.acl_list())
    check(admin.acl_dryrun("temp", "get", "t:1") == "OK", "dryrun allowed")
    check("no permissions" in admin.acl_dryrun("temp", "set", "t:1", "v"), "dryrun refused")
    check("stream" in admin.acl_cat(), admin.acl_cat())
    check("xadd" in admin.acl_cat("stream"), "acl cat stream")
    check(len(admin.acl_genpass()) == 64, "genpass")
    log = admin.acl_log()
    check(log and {"count", "reason", "object", "username", "age-seconds"} <= set(log[0]), log)
    check(any(e["reason"] == "auth" and e["username"] == "producer" for e in log), log)
    check(admin.acl_log_reset(), "log reset")
    check(admin.acl_deluser("temp") == 1, "deluser")

    # SAVE writes the file; LOAD reads an edited one.
    check(admin.acl_save(), "save")
    check("user worker on #" in open(aclfile).read(), "saved file")
    with open(aclfile, "a") as f:
        f.write("user late on nopass +ping\n")
    check(admin.acl_load(), "load")
    check("late" in admin.acl_users(), admin.acl_users())
    return admin


def check_node(port, node_path):
    env = dict(os.environ, NODE_PATH=node_path)
    out = subprocess.run(["node", os.path.join(HERE, "acl_node.js"), str(port)], env=env,
                         capture_output=True, timeout=120)
    text = (out.stdout + out.stderr).decode(errors="replace")
    check(out.returncode == 0 and "PASS ioredis" in text and "PASS node-redis" in text,
          "node clients with ACL users:\n" + text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--node-path", default=os.path.join(HERE, "node", "node_modules"))
    args = ap.parse_args()
    d = tempfile.mkdtemp(prefix="runnel-acl-")
    try:
        aclfile = os.path.join(d, "users.acl")
        with open(aclfile, "w") as f:
            f.write(USERS)
        with RunnelServer(args.server, "--aclfile", aclfile) as server:
            check_redis_py(server.port, aclfile)
            check_node(server.port, args.node_path)
            check(server.alive(), "the server died")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    print("PASS acl: redis-py, ioredis, node-redis")


if __name__ == "__main__":
    sys.exit(main())
