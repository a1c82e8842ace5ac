#!/usr/bin/python3
"""Prints the client matrix that the client tests recorded, as a Markdown table; with
--write FILE, replaces the table between FILE's markers instead (README.md's is the one users
read, so it shows what the tests produced, not what someone typed).

    matrix.py RESULTS_DIR [--write README.md]      RESULTS_DIR: build/clients
"""
import argparse
import glob
import os
import sys

BEGIN, END = "<!-- clients:begin -->", "<!-- clients:end -->"

# Matrix name -> (library, language), in the order the table lists them.
LIBRARIES = {
    "redis-py": ("redis-py (Debian python3-redis)", "Python"),
    "redis-rb": ("redis-rb (Debian ruby-redis)", "Ruby"),
    "perl-redis": ("Redis.pm (Debian libredis-perl)", "Perl"),
    "redigo": ("redigo (Debian golang-github-gomodule-redigo-dev)", "Go"),
    "hiredis": ("hiredis (Debian libhiredis-dev)", "C"),
    "ioredis": ("ioredis (npm)", "Node.js"),
    "node-redis": ("node-redis (npm `redis`)", "Node.js"),
    "socketio-streams-adapter": ("Socket.IO Redis Streams adapter (npm, over node-redis)",
                                 "Node.js"),
}


def table(results_dir):
    rows = {}
    for path in glob.glob(os.path.join(results_dir, "*.tsv")):
        with open(path) as f:
            name, version, protocol, result = f.read().strip().split("\t")
        rows[name] = (version, protocol, result)
    lines = ["| client | language | version tested | protocol (its default) | result |",
             "|---|---|---|---|---|"]
    for name, (library, language) in LIBRARIES.items():
        version, protocol, result = rows.get(name, ("not installed", "-", "skipped"))
        lines.append(f"| {library} | {language} | {version} | RESP{protocol} | {result} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--write")
    args = ap.parse_args()
    text = table(args.results)
    if not args.write:
        print(text)
        return 0
    with open(args.write) as f:
        doc = f.read()
    if BEGIN not in doc or END not in doc:
        print(f"{args.write} has no {BEGIN} ... {END} markers", file=sys.stderr)
        return 1
    head, rest = doc.split(BEGIN, 1)
    with open(args.write, "w") as f:
        f.write(head + BEGIN + "\n" + text + "\n" + END + rest.split(END, 1)[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
