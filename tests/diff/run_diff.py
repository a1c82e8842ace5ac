#!/usr/bin/python3
"""Differential tests: the same command scripts against redis-server and runnel-server.

Usage: run_diff.py --runnel PATH/runnel-server [--redis redis-server] [-k SUBSTR] SCRIPTS_DIR

Both servers are started on free ports with their own temporary directories. Every
*.redis script in SCRIPTS_DIR is run against both; the raw reply bytes are compared
(after the masks a line asks for). Before each script both servers get FLUSHALL and the
config reset below, and every connection the script uses is new. After each script Runnel
is killed (SIGKILL) and restarted on its data, and everything a client can observe of the
data must be as before: every script is also a test of the append-only log's replay.
Standard library only.

Script format (see tests/diff/README.md for examples)
-----------------------------------------------------
One command per line, split like redis-cli splits its input: double quotes with the
escapes \\n \\r \\t \\b \\a \\xHH and \\<char>, single quotes ('\\'' is a quote). Blank lines and
lines starting with # are ignored; an unquoted word starting with # ends the line
(a trailing comment). Quote any argument that starts with ! or #.

    CMD args...               run on the default connection "main", compare the replies
    @b CMD args...            run on connection "b" (opened on first use, per script)
    !send[@b] CMD args...     send without reading; the reply stays pending on that connection
    !recv[@b]                 read and compare the oldest pending reply of that connection
    !wait-blocked N           poll INFO until blocked_clients is N on both servers
    !raw[@b] b"..."           send these bytes (a Python bytes literal) as they are, read
                              the replies (1, or !replies N), then probe with PING whether
                              the server closed the connection; both parts are compared.
                              The bytes must not end inside a command (the probe would
                              become part of it)
    !reconnect[@b]            drop that connection; the next use opens a new one

Modifiers, at the end of a command, !recv or !raw line (each masks both replies):
    !mask-ids                 stream IDs whose ms part looks like a clock (>= 10^12) become
                              <id1>, <id2> ... numbered by first appearance in the script
    !mask-field NAME...       in maps (and RESP2 flat key/value arrays) the values of these
                              keys become <masked>
    !drop-field NAME...       in maps (and RESP2 flat key/value arrays) remove these keys and
                              their values (a field only one server has, for a stated reason)
    !mask-text 'RE' 'REPL'    re.sub on every string in the reply (single-quote the regex)
    !mask-client              in CLIENT LIST/INFO text, the values that differ per connection
                              or run (id addr laddr fd age idle) and the buffer accounting that
                              depends on each server's own buffers (qbuf qbuf-free argv-mem
                              multi-mem rbs rbp obl oll omem tot-mem) become *
    !mask-int                 positive integers become <int> (TTLs, times); 0 and
                              negative integers (-1 "no TTL", -2 "no key") stay compared
    !mask-int-all             every integer becomes <int> (durations that may be 0)
    !mask-clock               integers that look like a unix time in ms (10^12 to 10^13)
                              become <clock>: delivery times in PELs, which the two servers
                              may take a millisecond apart
    !sort                     sort a top-level array/set (or a map's pairs): unordered replies
    !sort-pairs               sort a top-level flat key/value array by pairs (RESP2 maps)
    !sort-lines               sort the lines (CRLF-separated, or LF where a string has no CRLF)
                              of every string in the reply (after !mask-text): INFO sections
                              that list in hash order, CLIENT LIST in each server's own order
    !scan                     the line is a SCAN: repeat it with the returned cursor until 0
                              and compare the sorted union of the keys
    !until b"..."             repeat the command on each server (polling, 5 s deadline) until
                              it answers these bytes, then compare the last replies: for
                              states that arrive with time (a key's TTL running out)
    !replies N                !raw only: how many replies to read (default 1)
    !why "TEXT"               the reason for a mask or override (required by !expect)
    !expect b"..."            Runnel intentionally follows newer Redis here: its reply must
                              equal these bytes (after masks); redis-server's reply is read
                              but not compared. Must come with !why.
    !runnel-only              with !expect: do not send the line to redis-server at all (for
                              input that would wedge redis-server's connection)

Exit status 0 when every reply matched, 1 otherwise; a one-line summary is printed last.
"""

import argparse
import ast
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

READ_TIMEOUT = 10.0  # seconds to wait for one reply before calling it a timeout
PUSH_TIMEOUT = 2  # seconds to wait for a message a !push line expects
START_TIMEOUT = 10.0
BLOCKED_TIMEOUT = 5.0
# Applied to both servers before every script, so no script sees another's settings.
RESET_CONFIG = [
    ("stream-node-max-entries", "100"),
    ("stream-node-max-bytes", "4096"),
    ("timeout", "0"),
    ("requirepass", ""),
    ("loglevel", "notice"),
    ("maxclients", "10000"),
    ("acllog-max-len", "128"),
    ("acl-pubsub-default", "resetchannels"),
]
POLL_TIMEOUT = 5.0  # !until's deadline
RAW_TIMEOUT = 3.0  # !raw's wait for each reply and for the probe

# Modifier -> how many words it takes (-1: every word up to the next modifier).
MODIFIERS_WITH_ARGS = {"!mask-field": -1, "!drop-field": -1, "!mask-text": 2, "!replies": 1,
                       "!why": 1, "!expect": 1, "!until": 1}
MODIFIERS = {"!mask-ids", "!mask-int", "!mask-client", "!runnel-only", "!sort", "!sort-pairs",
             "!sort-lines", "!mask-int-all", "!mask-clock",
             "!scan"} | set(MODIFIERS_WITH_ARGS)


# CLIENT LIST/INFO fields whose values differ per run (ids, ports, fds, times) or come from
# each server's own buffer allocation; every other field is compared.
CLIENT_FIELDS = re.compile(
    rb"(?<![\w-])(id|addr|laddr|fd|age|idle|qbuf|qbuf-free|argv-mem|multi-mem|rbs|rbp|obl|oll"
    rb"|omem|tot-mem)=\S*")


class ScriptError(Exception):
    """A malformed script line; reported like a mismatch."""


# ---------------------------------------------------------------------------------------------
# Splitting lines like redis-cli (sdssplitargs), remembering which words were quoted.

def _hex(c):
    return c in "0123456789abcdefABCDEF"


ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "a": "\a"}


def split_line(line):
    """Returns [(word, quoted)], or raises ScriptError. A word after !raw, !expect or !until
    that starts with b" or b' is kept verbatim (a Python bytes expression), quoted="bytes"."""
    words = []
    i = 0
    while True:
        while i < len(line) and line[i].isspace():
            i += 1
        if i >= len(line) or line[i] == "#":  # the end, or a trailing comment
            return words
        prev = words[-1] if words else None
        if prev and prev[1] is False and re.fullmatch(r"!expect|!until|!raw(@\w+)?", prev[0]) \
                and line.startswith(('b"', "b'"), i):
            end = _bytes_expression_end(line, i)
            words.append((line[i:end], "bytes"))
            i = end
            continue
        word, quoted, i = _read_word(line, i)
        words.append((word, quoted))


def _read_word(line, i):
    """One word at line[i:], as sdssplitargs reads it: (text, quoted, index after it)."""
    cur, quoted = [], False
    while i < len(line) and line[i] not in " \n\r\t\0":
        if line[i] == '"':
            i = _read_quoted(line, i + 1, '"', cur)
            quoted = True
        elif line[i] == "'":
            i = _read_quoted(line, i + 1, "'", cur)
            quoted = True
        else:
            cur.append(line[i])
            i += 1
    return "".join(cur), quoted, i


def _read_quoted(line, i, quote, cur):
    """Appends the quoted text starting at line[i] to cur; returns the index after the closing
    quote, which must end the word. Double quotes take escapes, single quotes only \\'."""
    n = len(line)
    while i < n:
        c = line[i]
        if quote == '"' and c == "\\" and i + 3 < n and line[i + 1] == "x" and \
                _hex(line[i + 2]) and _hex(line[i + 3]):
            cur.append(chr(int(line[i + 2:i + 4], 16)))
            i += 4
        elif quote == '"' and c == "\\" and i + 1 < n:
            cur.append(ESCAPES.get(line[i + 1], line[i + 1]))
            i += 2
        elif quote == "'" and c == "\\" and i + 1 < n and line[i + 1] == "'":
            cur.append("'")
            i += 2
        elif c == quote:
            if i + 1 < n and not line[i + 1].isspace():
                raise ScriptError("closing quote must be followed by a space")
            return i + 1
        else:
            cur.append(c)
            i += 1
    raise ScriptError("unbalanced quotes")


def _bytes_expression_end(line, i):
    """End of b"..." [(+|*) (b"..."|N)]... starting at line[i]."""
    end = _python_literal_end(line, i + 1)
    while True:
        m = re.match(r"\s*([+*])\s*(?:(b[\"'])|(\d+))", line[end:])
        if not m:
            return end
        if m.group(2):
            end = _python_literal_end(line, end + m.end(2) - 1)
        else:
            end += m.end()


def _python_literal_end(line, quote_at):
    q = line[quote_at]
    i = quote_at + 1
    while i < len(line):
        if line[i] == "\\":
            i += 2
            continue
        if line[i] == q:
            return i + 1
        i += 1
    raise ScriptError("unterminated bytes literal")


def to_bytes(word):
    """A script word as the bytes to send: \\xHH escapes give single bytes."""
    if isinstance(word, bytes):
        return word
    return word.encode("latin-1") if all(ord(c) < 256 for c in word) else word.encode()


# ---------------------------------------------------------------------------------------------
# RESP2/RESP3 replies: framing, a tree for masks, and encoding back.

class Incomplete(Exception):
    pass


LINE_TYPES = b"+-:_,#("
BULK_TYPES = b"$=!"
AGG_TYPES = b"*~>"
PAIR_TYPES = b"%|"


def parse_reply(buf, pos=0):
    """Parses one reply at buf[pos:]. Returns (node, end). A node is (type, value): bytes for
    simple types, None for nulls ($-1, *-1), a list of nodes for aggregates (maps and
    attributes hold 2n nodes). Raises Incomplete if buf ends first."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise Incomplete()
    t, head = buf[pos:pos + 1], buf[pos + 1:end]
    pos = end + 2
    if t and t[0] in LINE_TYPES:
        return (t, head), pos
    if t and t[0] in BULK_TYPES:
        n = int(head)
        if n < 0:
            return (t, None), pos
        if len(buf) < pos + n + 2:
            raise Incomplete()
        return (t, buf[pos:pos + n]), pos + n + 2
    if t and (t[0] in AGG_TYPES or t[0] in PAIR_TYPES):
        n = int(head)
        if n < 0:
            return (t, None), pos
        items = []
        for _ in range(n * 2 if t[0] in PAIR_TYPES else n):
            node, pos = parse_reply(buf, pos)
            items.append(node)
        return (t, items), pos
    raise ValueError("not a RESP reply: %r" % buf[pos - len(head) - 3:pos + 20])


def encode_reply(node):
    t, v = node
    if t[0] in LINE_TYPES:
        return t + v + b"\r\n"
    if v is None:
        return t + b"-1\r\n"
    if t[0] in BULK_TYPES:
        return t + b"%d\r\n" % len(v) + v + b"\r\n"
    n = len(v) // 2 if t[0] in PAIR_TYPES else len(v)
    return t + b"%d\r\n" % n + b"".join(encode_reply(c) for c in v)


def encode_command(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


STRING_TYPES = (b"+", b"$", b"=", b"-", b"!")


def map_strings(node, fn):
    t, v = node
    if v is None:
        return node
    if isinstance(v, list):
        return (t, [map_strings(c, fn) for c in v])
    if t in STRING_TYPES:
        return (t, fn(v))
    return node


class Masks:
    """The masks and orderings of one line, applied to a parsed reply."""

    def __init__(self):
        self.ids = False
        self.fields = []
        self.dropped = []
        self.texts = []  # (compiled regex, replacement)
        self.ints = False
        self.sort = False
        self.sort_pairs = False
        self.sort_lines = False

    def active(self):
        return self.ids or self.fields or self.dropped or self.texts or self.ints or \
            self.sort or self.sort_pairs or self.sort_lines

    def apply(self, raw, id_names):
        """Masked bytes of one raw reply. id_names is the per-server ID numbering."""
        if not self.active() or raw.startswith(b"<"):
            return raw
        node, end = parse_reply(raw)
        if end != len(raw):
            raise ValueError("masks apply to one reply, got %d extra bytes" % (len(raw) - end))
        if self.ids:
            node = map_strings(node, lambda s: self._mask_id(s, id_names))
        if self.fields or self.dropped:
            node = self._mask_fields(node)
        for rx, repl in self.texts:
            node = map_strings(node, lambda s, rx=rx, repl=repl: rx.sub(repl, s))
        if self.sort_lines:
            node = map_strings(node, self._sort_lines)
        if self.ints:
            node = self._mask_ints(node)
        if self.sort or self.sort_pairs:
            node = self._sorted(node)
        return encode_reply(node)

    @staticmethod
    def _sort_lines(s):
        sep = b"\r\n" if b"\r\n" in s else b"\n"
        return sep.join(sorted(s.split(sep)))

    @staticmethod
    def _mask_id(s, names):
        m = re.fullmatch(rb"(\d+)-(\d+)", s)
        if not m or int(m.group(1)) < 10 ** 12:
            return s
        if s not in names:
            names[s] = b"<id%d>" % (len(names) + 1)
        return names[s]

    def _mask_fields(self, node):
        t, v = node
        if not isinstance(v, list):
            return node
        items = [self._mask_fields(c) for c in v]
        if t in (b"%", b"*", b"|") and len(items) % 2 == 0:
            kept = []
            for k, value in zip(items[0::2], items[1::2]):
                name = k[1] if k[0] in STRING_TYPES else None
                if name in self.dropped:
                    continue
                kept += [k, (b"+", b"<masked>") if name in self.fields else value]
            items = kept
        return (t, items)

    def _mask_ints(self, node):
        t, v = node
        if isinstance(v, list):
            return (t, [self._mask_ints(c) for c in v])
        if t == b":" and self.ints == "clock":
            return (t, b"<clock>") if 10 ** 12 <= int(v) < 10 ** 13 else node
        if t == b":" and (int(v) > 0 or self.ints == "all"):
            return (t, b"<int>")
        return node

    def _sorted(self, node):
        t, v = node
        if not isinstance(v, list):
            return node
        if t in (b"%", b"|") or self.sort_pairs:
            pairs = sorted(zip(v[0::2], v[1::2]), key=lambda p: encode_reply(p[0]))
            return (t, [x for p in pairs for x in p])
        return (t, sorted(v, key=encode_reply))


# ---------------------------------------------------------------------------------------------
# Connections and servers.

class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.pending = 0  # replies sent for with !send, not read yet
        self.closed = False

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError:
            self.closed = True

    def read_reply(self, timeout=READ_TIMEOUT):
        """The raw bytes of the next reply, or b"<closed>" / b"<timeout>"."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                _, end = parse_reply(self.buf)
                raw, self.buf = self.buf[:end], self.buf[end:]
                return raw
            except Incomplete:
                pass
            except ValueError:  # not RESP at all: report the bytes, give up on the stream
                raw, self.buf, self.closed = self.buf, b"", True
                return b"<unparseable>" + raw
            if self.closed:
                return b"<closed>"
            left = deadline - time.monotonic()
            if left <= 0:
                return b"<timeout>"
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                self.closed = True
            self.buf += chunk

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def without_layout(raw):
    """XINFO STREAM FULL without radix-tree-keys/-nodes: how entries are packed into blocks
    depends on the stream-node-max-* settings at insertion time (a script may change them; a
    restart brings the configured ones back), not on the data."""
    try:
        (t, items), _ = parse_reply(raw)
    except (Incomplete, ValueError):
        return raw
    if t != b"*" or items is None:
        return raw
    kept = []
    for i in range(0, len(items) - 1, 2):
        if items[i][1] not in (b"radix-tree-keys", b"radix-tree-nodes"):
            kept += items[i:i + 2]
    return encode_reply((t, kept))


class Server:
    def __init__(self, name, argv_fn, workdir):
        self.name = name
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir)
        self.port = free_port()
        self.log_path = os.path.join(self.dir, "server.log")
        self.log = open(self.log_path, "wb")
        self.argv = argv_fn(self.port, self.dir)
        self.proc = self.spawn()
        self.conns = {}
        self.control = None
        self.id_names = {}

    def spawn(self):
        return subprocess.Popen(self.argv, stdout=self.log, stderr=subprocess.STDOUT,
                                cwd=self.dir, preexec_fn=die_with_parent)

    def crash_and_restart(self):
        """SIGKILL, start again on the same data, wait until the data is loaded."""
        for name in list(self.conns):
            self.drop(name)
        if self.control is not None:
            self.control.close()
            self.control = None
        self.proc.kill()
        self.proc.wait()
        self.proc = self.spawn()
        self.wait_ready()
        deadline = time.monotonic() + START_TIMEOUT
        while self.call("PING") != b"+PONG\r\n":
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("%s did not load its data; log:\n%s" % (
                    self.name, self.read_log()))
            time.sleep(0.01)

    def dump(self):
        """Everything a client can observe of the data, as raw replies, in key order. Keys that
        expire within a minute are left out: they may expire between two dumps."""
        now_ms = int(time.time() * 1000)
        parts = []
        for db in range(16):
            self.call("SELECT", str(db))
            (_, items), _ = parse_reply(self.call("KEYS", "*"))
            for key in sorted(value for _, value in items or []):
                expires = self.call("PEXPIRETIME", key)
                at = int(expires[1:-2])
                if 0 < at < now_ms + 60000:
                    continue
                kind = self.call("TYPE", key)
                parts += [b"db%d %r %s %s" % (db, key, kind.strip(), expires.strip())]
                if kind == b"+string\r\n":
                    parts.append(self.call("GET", key))
                else:
                    parts.append(without_layout(
                        self.call("XINFO", "STREAM", key, "FULL", "COUNT", "0")))
                    parts.append(self.call("XINFO", "GROUPS", key))
        self.call("SELECT", "0")
        return parts

    def wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                self.control = Conn(self.port)
                return
            except OSError:
                time.sleep(0.01)  # polling the port, not waiting for a state blindly
        raise RuntimeError("%s did not start; log:\n%s" % (self.name, self.read_log()))

    def read_log(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def call(self, *args):
        """A command on the control connection; returns the raw reply."""
        for _ in range(2):  # a script may have killed the control connection: reopen once
            if self.control is None or self.control.closed:
                self.control = Conn(self.port)
            self.control.send(encode_command([to_bytes(a) for a in args]))
            raw = self.control.read_reply()
            if raw != b"<closed>":
                break
        return raw

    def conn(self, name):
        # A connection the server closed stays closed (its replies read as <closed>) until
        # the script says !reconnect, so an unexpected close cannot go unnoticed.
        c = self.conns.get(name)
        if c is None:
            c = self.conns[name] = Conn(self.port)
        return c

    def drop(self, name):
        c = self.conns.pop(name, None)
        if c:
            c.close()

    def reset(self):
        for name in list(self.conns):
            self.drop(name)
        self.id_names = {}
        for raw in (self.call("FLUSHALL"),
                    self.call("CONFIG", "SET", *[x for kv in RESET_CONFIG for x in kv]),
                    self.call("ACL", "LOG", "RESET")):
            if raw != b"+OK\r\n":
                raise RuntimeError("%s: reset failed: %r" % (self.name, raw))
        # Users a script made go too (the default user is the script's to leave as it was).
        users = re.findall(rb"\$\d+\r\n([^\r]*)\r\n", self.call("ACL", "USERS"))
        extra = [u.decode() for u in users if u != b"default"]
        if extra:
            self.call("ACL", "DELUSER", *extra)

    def blocked_clients(self):
        raw = self.call("INFO", "clients")
        m = re.search(rb"blocked_clients:(\d+)", raw)
        return int(m.group(1)) if m else -1

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.log.close()


def die_with_parent():
    """In the child: ask Linux to kill the server if this script dies (even by SIGKILL, as a
    ctest timeout does), so no server outlives a run. Best effort elsewhere."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# Running scripts.

class Line:
    """One parsed script line: a verb, an optional connection, arguments and modifiers."""

    def __init__(self, path, number, text):
        self.where = "%s:%d" % (os.path.basename(path), number)
        self.text = text.strip()
        self.verb, self.conn, self.args = "cmd", "main", []
        self.masks = Masks()
        self.why = None
        self.expect = None
        self.until = None
        self.replies = 1
        self.scan = False
        self.runnel_only = False
        self._parse(split_line(text))

    def _parse(self, words):
        head, quoted = words[0]
        m = re.fullmatch(r"(!send|!recv|!push|!raw|!reconnect|!wait-blocked|@)(@?)(\w*)", head) \
            if not quoted else None
        if m and head.startswith("!"):
            self.verb = m.group(1)[1:]
            if m.group(2):
                self.conn = m.group(3)
            elif m.group(3):
                raise ScriptError("unknown directive %s" % head)
            words = words[1:]
        elif m and head.startswith("@"):
            self.conn = head[1:]
            words = words[1:]
        elif head.startswith("!") and not quoted:
            raise ScriptError("unknown directive %s" % head)
        rest = 0
        while rest < len(words) and not (words[rest][1] is False and
                                         words[rest][0].startswith("!")):
            rest += 1
        self.args = [w for w, _ in words[:rest]]
        self._parse_modifiers(words[rest:])
        self._check()

    def _parse_modifiers(self, words):
        i = 0
        while i < len(words):
            name, _ = words[i]
            if name not in MODIFIERS:
                raise ScriptError("unknown modifier %s (quote arguments starting with !)" % name)
            want = MODIFIERS_WITH_ARGS.get(name, 0)
            if want < 0:  # takes words up to the next modifier
                vals = []
                while i + 1 < len(words) and not (words[i + 1][1] is False and
                                                  words[i + 1][0] in MODIFIERS):
                    i += 1
                    vals.append(words[i][0])
            else:
                if i + want >= len(words):
                    raise ScriptError("%s needs %d argument(s)" % (name, want))
                vals = [w for w, _ in words[i + 1:i + 1 + want]]
                i += want
            self._apply_modifier(name, vals, words)
            i += 1

    def _apply_modifier(self, name, vals, words):
        mk = self.masks
        if name == "!mask-ids":
            mk.ids = True
        elif name == "!mask-client":
            mk.texts.append((CLIENT_FIELDS, rb"\1=*"))
        elif name == "!mask-int":
            mk.ints = True
        elif name == "!sort":
            mk.sort = True
        elif name == "!sort-pairs":
            mk.sort_pairs = True
        elif name == "!sort-lines":
            mk.sort_lines = True
        elif name == "!mask-int-all":
            mk.ints = "all"
        elif name == "!mask-clock":
            mk.ints = "clock"
        elif name == "!scan":
            self.scan = True
        elif name == "!runnel-only":
            self.runnel_only = True
        elif name == "!mask-field":
            mk.fields += [to_bytes(v) for v in vals]
        elif name == "!drop-field":
            mk.dropped += [to_bytes(v) for v in vals]
        elif name == "!mask-text":
            mk.texts.append((re.compile(to_bytes(vals[0])), to_bytes(vals[1])))
        elif name == "!replies":
            self.replies = int(vals[0])
        elif name == "!why":
            self.why = vals[0]
        elif name == "!expect":
            self.expect = literal_bytes(vals[0])
        elif name == "!until":
            self.until = literal_bytes(vals[0])

    def _check(self):
        if self.verb in ("cmd", "send") and self.args and self.args[0].upper() == "XINFO" \
                and not (self.expect and any(f in self.expect for f in NEWER_XINFO_FIELDS)):
            self.masks.dropped += NEWER_XINFO_FIELDS
        if self.expect is not None and not self.why:
            raise ScriptError("!expect needs a !why reason")
        if self.runnel_only and self.expect is None:
            raise ScriptError("!runnel-only needs !expect")
        if self.verb in ("cmd", "send") and not self.args:
            raise ScriptError("no command")
        if self.verb == "raw":
            if len(self.args) != 1:
                raise ScriptError('!raw takes one bytes literal: !raw b"..."')
            if self.masks.active():
                raise ScriptError("!raw compares raw bytes: masks do not apply")
            self.raw = literal_bytes(self.args[0])
        if self.verb == "wait-blocked" and (len(self.args) != 1 or not self.args[0].isdigit()):
            raise ScriptError("!wait-blocked N")


# Fields newer Redis added to XINFO replies (8.6: IDMP settings and counters; 8.8: a group's
# nacked-count). Runnel has them; redis-server 7.0 does not, so they are dropped from both
# replies of every XINFO line, except where an !expect spells one of them out: such a line
# checks them all on Runnel.
NEWER_XINFO_FIELDS = [b"idmp-duration", b"idmp-maxsize", b"pids-tracked", b"iids-tracked",
                      b"iids-added", b"iids-duplicates", b"nacked-count"]


def literal_bytes(text):
    """A Python bytes literal; `+` and `* N` are allowed for long inputs (b"a" * 70000)."""
    def value(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, (bytes, int)):
            return node.value
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
            a, b = value(node.left), value(node.right)
            return a + b if isinstance(node.op, ast.Add) else a * b
        raise ValueError("only bytes literals, + and * are allowed")
    try:
        result = value(ast.parse(text, mode="eval").body)
    except (ValueError, SyntaxError, TypeError) as e:
        raise ScriptError("bad bytes literal %s: %s" % (text, e))
    if not isinstance(result, bytes):
        raise ScriptError("expected a bytes literal b\"...\", got %s" % text)
    return result


SEEN_TIME = re.compile(rb"(\$9\r\nseen-time\r\n:)(-?\d+)(\r\n)")


def mask_seen_times(parts):
    """The dump with every consumer seen time replaced by "_", and the times, in order."""
    times = []

    def take(match):
        times.append(int(match.group(2)))
        return match.group(1) + b"_" + match.group(3)

    return [SEEN_TIME.sub(take, p) for p in parts], times


def shorten(raw, limit=600):
    """repr() of reply bytes, cut in the middle when long (a 70 KB reply helps nobody)."""
    if len(raw) <= limit:
        return repr(raw)
    half = limit // 2
    return "%r ...(%d bytes)... %r" % (raw[:half], len(raw) - limit, raw[-half:])


class Runner:
    def __init__(self, redis, runnel, verbose):
        self.servers = [redis, runnel]
        self.verbose = verbose
        self.commands = 0
        self.mismatches = 0
        self.warnings = 0

    def run_script(self, path):
        for s in self.servers:
            s.reset()
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        for number, text in enumerate(lines, 1):
            stripped = text.strip()
            if not stripped or stripped.startswith("#"):
                continue
            started = time.monotonic()
            try:
                self.run_line(Line(path, number, text))
            except ScriptError as e:
                self.report("%s:%d: script error: %s\n    %s" % (
                    os.path.basename(path), number, e, stripped))
            if self.verbose and time.monotonic() - started > 0.5:
                print("%s:%d: slow: %.1f s" % (os.path.basename(path), number,
                                               time.monotonic() - started))
        for s in self.servers:
            for name, c in s.conns.items():
                if c.pending:
                    self.report("%s: connection %s of %s still has %d unread replies" % (
                        os.path.basename(path), name, s.name, c.pending))
        self.check_replay(os.path.basename(path))

    def check_replay(self, script):
        """Runnel's log must bring back exactly what the script left: kill it, restart it on
        the same data, and compare everything a client can see. The one allowance is the one
        docs/durability.md makes: a consumer's seen time moved only by reads that changed
        nothing is written coalesced, once a second, so after SIGKILL it may be up to that much
        older (never newer)."""
        runnel = self.servers[1]
        before, seen_before = mask_seen_times(runnel.dump())
        runnel.crash_and_restart()
        after, seen_after = mask_seen_times(runnel.dump())
        stale = [(b, a) for b, a in zip(seen_before, seen_after) if not 0 <= b - a <= 1100]
        if len(seen_before) != len(seen_after) or stale:
            self.report("%s: REPLAY MISMATCH after restart: seen times %s came back as %s" % (
                script, seen_before, seen_after))
            return
        if before == after:
            return
        for i, (b, a) in enumerate(zip(before + [b"<end>"], after + [b"<end>"])):
            if b != a:
                self.report("%s: REPLAY MISMATCH after restart (part %d)\n    before: %s\n"
                            "    after:  %s" % (script, i, shorten(b), shorten(a)))
                return

    def run_line(self, line):
        if line.runnel_only:
            return self.run_runnel_only(line)
        if line.verb == "wait-blocked":
            return self.wait_blocked(line, int(line.args[0]))
        if line.verb == "reconnect":
            for s in self.servers:
                s.drop(line.conn)
            return None
        if line.verb == "send":
            for s in self.servers:
                c = self.open_conn(s, line)
                c.send(encode_command([to_bytes(a) for a in line.args]))
                c.pending += 1
            return None
        self.commands += 1
        if line.verb == "recv":
            replies = [self.recv_pending(s, line) for s in self.servers]
        elif line.verb == "push":
            # What the server sent unprompted: a Pub/Sub message, or the further confirmations
            # of a SUBSCRIBE naming several channels.
            replies = [self.idle_conn(s, line).read_reply(timeout=PUSH_TIMEOUT)
                       for s in self.servers]
            if all(r == b"<timeout>" for r in replies):
                raise ScriptError("!push: neither server sent anything on %s" % line.conn)
        elif line.verb == "raw":
            replies = self.raw(line)
        elif line.scan:
            replies = [self.scan_all(s, line) for s in self.servers]
        elif line.until is not None:
            replies = [self.poll(s, line) for s in self.servers]
        else:
            cmd = encode_command([to_bytes(a) for a in line.args])
            conns = [self.idle_conn(s, line) for s in self.servers]
            for c in conns:
                c.send(cmd)
            replies = [c.read_reply() for c in conns]
        return self.compare(line, replies)

    def run_runnel_only(self, line):
        """Runs the line on Runnel alone; the Redis side of the comparison reads as skipped."""
        servers, self.servers = self.servers, [self.servers[1]]
        try:
            if line.verb == "raw":
                replies = self.raw(line)
            elif line.verb == "cmd":
                c = self.idle_conn(self.servers[0], line)
                c.send(encode_command([to_bytes(a) for a in line.args]))
                replies = [c.read_reply()]
            else:
                raise ScriptError("!runnel-only works on commands and !raw")
        finally:
            self.servers = servers
        self.commands += 1
        return self.compare(line, [b"<not sent>"] + replies)

    def open_conn(self, server, line):
        c = server.conn(line.conn)
        if c.closed and not c.buf:
            raise ScriptError("connection %s was closed by %s: !reconnect@%s first" % (
                line.conn, server.name, line.conn))
        return c

    def idle_conn(self, server, line):
        """The connection, which must have no pending replies (they would be read first)."""
        c = self.open_conn(server, line)
        if c.pending:
            raise ScriptError("connection %s has %d pending replies: !recv@%s first" % (
                line.conn, c.pending, line.conn))
        return c

    def recv_pending(self, server, line):
        c = server.conns.get(line.conn)
        if c is None or not c.pending:
            raise ScriptError("nothing pending on connection %s" % line.conn)
        c.pending -= 1
        return c.read_reply()

    def raw(self, line):
        conns = [self.idle_conn(s, line) for s in self.servers]
        for c in conns:
            c.send(line.raw)
        out = []
        for c in conns:
            got = [c.read_reply(timeout=RAW_TIMEOUT) for _ in range(line.replies)]
            # The probe: a closed connection answers nothing (or resets); an open one PONGs.
            c.send(b"*1\r\n$4\r\nPING\r\n")
            probe = c.read_reply(timeout=RAW_TIMEOUT)
            state = b"[open]" if probe == b"+PONG\r\n" else b"[closed]" \
                if probe == b"<closed>" else b"[probe: " + probe + b"]"
            out.append(b"".join(got) + state)
        return out

    def poll(self, server, line):
        c = self.idle_conn(server, line)
        cmd = encode_command([to_bytes(a) for a in line.args])
        deadline = time.monotonic() + POLL_TIMEOUT
        while True:
            c.send(cmd)
            raw = c.read_reply()
            if raw == line.until or raw.startswith(b"<") or time.monotonic() > deadline:
                return raw
            time.sleep(0.002)  # polling an observable state, with a deadline

    def scan_all(self, server, line):
        c = self.idle_conn(server, line)
        args = [to_bytes(a) for a in line.args]
        keys = set()
        for _ in range(100000):
            c.send(encode_command(args))
            raw = c.read_reply()
            if raw.startswith(b"<") or raw.startswith(b"-"):
                return raw
            (_, [(_, cursor), (_, items)]), _ = parse_reply(raw)
            keys.update(v for _, v in items)
            if cursor == b"0":
                break
            args[1] = cursor
        return encode_reply((b"*", [(b"$", k) for k in sorted(keys)]))

    def wait_blocked(self, line, want):
        deadline = time.monotonic() + BLOCKED_TIMEOUT
        for s in self.servers:
            while True:
                n = s.blocked_clients()
                if n == want:
                    break
                if time.monotonic() > deadline:
                    self.report("%s: %s: blocked_clients is %d, waited for %d" % (
                        line.where, s.name, n, want))
                    return
                time.sleep(0.002)  # polling an observable state, with a deadline

    def compare(self, line, replies):
        redis_raw, runnel_raw = replies
        masks = line.masks
        try:
            if line.expect is not None:
                want = masks.apply(line.expect, dict(self.servers[1].id_names))
                got = masks.apply(runnel_raw, self.servers[1].id_names)
                if got == want and masks.apply(redis_raw, {}) == want:
                    self.warnings += 1
                    print("%s: note: redis-server now agrees with the !expect override; "
                          "drop it\n    %s" % (line.where, shorten(line.text.encode())))
                if got != want:
                    self.mismatch(line, redis_raw, runnel_raw,
                                  "expected (override): %s" % shorten(want))
                return
            a = masks.apply(redis_raw, self.servers[0].id_names)
            b = masks.apply(runnel_raw, self.servers[1].id_names)
        except (ValueError, Incomplete) as e:
            return self.mismatch(line, redis_raw, runnel_raw, "cannot apply masks: %s" % e)
        if a != b:
            self.mismatch(line, redis_raw, runnel_raw, "masked: %s\n        vs %s" % (
                shorten(a), shorten(b)) if masks.active() else None)
        elif self.verbose:
            print("%s: ok %s" % (line.where, line.text))

    def mismatch(self, line, redis_raw, runnel_raw, extra):
        text = "%s: MISMATCH %s\n    redis:  %s\n    runnel: %s" % (
            line.where, shorten(line.text.encode())[2:-1], shorten(redis_raw),
            shorten(runnel_raw))
        if extra:
            text += "\n    " + extra
        self.report(text)

    def report(self, text):
        self.mismatches += 1
        print(text, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runnel", required=True, help="path to runnel-server")
    ap.add_argument("--redis", default="redis-server", help="redis-server to compare with")
    ap.add_argument("-k", dest="only", default="", help="run only scripts containing this")
    ap.add_argument("-v", dest="verbose", action="store_true", help="print every line")
    ap.add_argument("scripts")
    opts = ap.parse_args()
    redis_bin = shutil.which(opts.redis)
    if redis_bin is None:
        print("run_diff.py: %s not found on PATH" % opts.redis)
        return 2
    scripts = sorted(os.path.join(opts.scripts, f) for f in os.listdir(opts.scripts)
                     if f.endswith(".redis") and opts.only in f)
    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="runnel-diff-")
    servers = []
    runner = None
    try:
        servers.append(Server("redis", lambda p, d: [
            redis_bin, "--save", "", "--appendonly", "no", "--port", str(p), "--dir", d,
            "--bind", "127.0.0.1", "--enable-debug-command", "local"], workdir))
        servers.append(Server("runnel", lambda p, d: [
            os.path.abspath(opts.runnel), "--port", str(p), "--dir", d,
            "--bind", "127.0.0.1", "--enable-debug-command", "local"], workdir))
        for s in servers:
            s.wait_ready()
        runner = Runner(servers[0], servers[1], opts.verbose)
        for path in scripts:
            try:
                runner.run_script(path)
            except OSError as e:  # a server went away: report it and stop
                runner.report("%s: connection failed: %s" % (os.path.basename(path), e))
            dead = [s for s in servers if s.proc.poll() is not None]
            for s in dead:
                runner.report("%s: %s exited with %s; log:\n%s" % (
                    os.path.basename(path), s.name, s.proc.returncode, s.read_log()))
            if dead:
                break
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print("differential: %d scripts, %d commands, %d mismatches, %.1f s" % (
        len(scripts), runner.commands, runner.mismatches, time.monotonic() - started))
    return 1 if runner.mismatches or not scripts else 0


if __name__ == "__main__":
    sys.exit(main())
