"""Shared pieces of the client-matrix and example tests: a runnel-server started on a free port
in its own temporary directory, and a minimal RESP2 client for the harness's own checks (the
clients under test are the libraries; the harness must not depend on any of them).

Standard library only; runs under /usr/bin/python3.
"""

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

START_TIMEOUT = 30.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent():
    """Runs in the child before exec: SIGKILL it when the harness dies, however it dies."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Resp:
    """One RESP2 connection; call() returns the reply as Python values (bytes, int, list,
    None), raising RespError for an error reply."""

    class Error(Exception):
        pass

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def call(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self._read()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exactly(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest
        if kind == b"-":
            raise Resp.Error(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            return None if rest == b"-1" else self._exactly(int(rest))
        if kind == b"*":
            return None if rest == b"-1" else [self._read() for _ in range(int(rest))]
        raise ValueError("unexpected reply %r" % line)


def stop_process(proc):
    """SIGTERM, then SIGKILL if it has not exited within 20 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class RunnelServer:
    """runnel-server on a free port with its data in a fresh temporary directory; a context
    manager that stops it (SIGTERM, then SIGKILL) and removes the directory on exit. The
    directory is kept when the block raises, and named in the exception's notes."""

    def __init__(self, binary, *extra_args):
        self.binary = binary
        self.extra = list(extra_args)
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="runnel-clients-")
        self.proc = None

    def __enter__(self):
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--dir", self.dir, *self.extra],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir, preexec_fn=die_with_parent)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("runnel-server exited at start:\n" + self.log_text())
            try:
                conn = Resp(self.port)
                try:
                    if conn.call("PING") == b"PONG":
                        return self
                finally:
                    conn.close()
            except (OSError, Resp.Error):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("runnel-server did not answer PING:\n" + self.log_text())
            time.sleep(0.01)  # polling the port until it answers, not a guess at a delay

    def __exit__(self, kind, value, tb):
        stop_process(self.proc)
        self.log.close()
        if kind is None:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print("runnel-server's data directory and log kept in", self.dir)
        return False

    def alive(self):
        return self.proc.poll() is None

    def log_text(self):
        self.log.flush()
        with open(os.path.join(self.dir, "server.log"), "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def client(self):
        return Resp(self.port)
