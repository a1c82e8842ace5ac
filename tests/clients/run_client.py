#!/usr/bin/python3
"""Runs one client of the compatibility matrix against a fresh runnel-server.

    run_client.py --server BIN --results DIR --name NAME (--deb PKG | --npm DIR/PKG)
                  -- COMMAND [ARGS...]

COMMAND is a program that uses the client library with its default settings against
127.0.0.1:$RUNNEL_PORT, checks every result itself, and prints `PASS protocol=N` as its last
line (N: the protocol the connection ended up speaking, read from CLIENT INFO). This harness
only checks that line, the exit status, and that the server survived.

Exit status 77 (ctest's SKIP_RETURN_CODE) when the library is not installed; once it is
installed, any failure is a failure. The outcome is written to DIR/NAME.tsv as
`name, version, protocol, result` for tests/clients/matrix.py.
"""

import argparse
import json
import os
import subprocess
import sys

from harness import RunnelServer

SKIP = 77
CLIENT_TIMEOUT = 120


def deb_version(package):
    out = subprocess.run(["dpkg-query", "-W", "-f=${Status}\t${Version}", package],
                         capture_output=True, text=True)
    if out.returncode != 0 or not out.stdout.startswith("install ok installed"):
        return None
    return out.stdout.split("\t", 1)[1]


def npm_version(module_dir):
    try:
        with open(os.path.join(module_dir, "package.json")) as f:
            return json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--deb", help="Debian package that provides the library")
    ap.add_argument("--npm", help="installed npm module directory (node_modules/NAME)")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command

    version = deb_version(args.deb) if args.deb else npm_version(args.npm)
    if version is None:
        print(f"SKIP {args.name}: {args.deb or args.npm} is not installed")
        return SKIP

    result, protocol = "FAIL", "?"
    try:
        with RunnelServer(args.server) as server:
            env = dict(os.environ, RUNNEL_PORT=str(server.port))
            run = subprocess.run(command, env=env, capture_output=True, text=True,
                                 timeout=CLIENT_TIMEOUT)
            sys.stdout.write(run.stdout)
            sys.stdout.write(run.stderr)
            lines = run.stdout.strip().splitlines()
            last = lines[-1] if lines else ""
            if run.returncode == 0 and last.startswith("PASS protocol="):
                protocol = last.split("=", 1)[1]
                result = "PASS"
            if not server.alive():
                print("runnel-server died:\n" + server.log_text())
                result = "FAIL"
    except subprocess.TimeoutExpired as e:
        print(f"{args.name} did not finish in {CLIENT_TIMEOUT} s; its output:\n{e.stdout}")
    finally:
        os.makedirs(args.results, exist_ok=True)
        with open(os.path.join(args.results, args.name + ".tsv"), "w") as f:
            f.write(f"{args.name}\t{version}\t{protocol}\t{result}\n")
    print(f"{args.name} {version}: {result} (RESP{protocol})")
    return 0 if result == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
