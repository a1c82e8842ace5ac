#!/usr/bin/python3
"""TLS against real clients: certificates made by the openssl command line (a CA, a server
certificate, a client certificate, and a client certificate from a CA the server does not
trust), Runnel started with tls-port, then redis-cli --tls, redis-py, ioredis and node-redis.

    tls_test.py --server BIN [--node-path DIR]

Checked: every client works over TLS with a trusted client certificate (commands, a consumer
group, pipelines, a large value, a blocking read woken over another TLS connection, redis-cli
--pipe); a client without a certificate, with an untrusted one, or speaking plain RESP to the
TLS port is refused; tls-auth-clients optional and no; a command sent together with
close_notify still runs; a TLS connection past maxclients is dropped without a handshake; CONFIG SET of a certificate that does
not load fails with Redis's error and changes nothing; an encrypted key loads with
tls-key-file-pass, and the server refuses to start with a wrong one. CONFIG SET tls-port, port
and bind move the listeners of a running server, and a port that is taken, or TLS settings that
do not load, fail with Redis's errors and leave the old listeners serving.
"""

import argparse
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile

from harness import RunnelServer, free_port

HERE = os.path.dirname(os.path.abspath(__file__))


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificates(d):
    """CA, server (CN localhost, SAN localhost and 127.0.0.1), client, and an untrusted client
    signed by a second CA; plus the server key encrypted with the passphrase 'secret'."""
    def ca(name):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key",
                "-out", name + ".crt", "-days", "2", "-subj", "/CN=" + name, cwd=d)

    def signed(name, by, cn, ext=None):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out",
                name + ".csr", "-subj", "/CN=" + cn, cwd=d)
        extra = ["-extfile", ext] if ext else []
        openssl("x509", "-req", "-in", name + ".csr", "-CA", by + ".crt", "-CAkey", by + ".key",
                "-CAcreateserial", "-out", name + ".crt", "-days", "2", *extra, cwd=d)

    ca("ca")
    ca("rogue-ca")
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    signed("server", "ca", "localhost", "san.ext")
    signed("client", "ca", "client")
    signed("rogue", "rogue-ca", "rogue")
    openssl("pkey", "-in", "server.key", "-aes256", "-passout", "pass:secret", "-out",
            "server-encrypted.key", cwd=d)
    return {n: os.path.join(d, n) for n in os.listdir(d)}


def tls_args(port, files, *more):
    return ["--tls-port", str(port), "--tls-cert-file", files["server.crt"], "--tls-key-file",
            files["server.key"], "--tls-ca-cert-file", files["ca.crt"], *more]


def cli(port, files, *words, cert="client", stdin=None):
    flags = ["--tls", "--cacert", files["ca.crt"]]
    if cert:
        flags += ["--cert", files[cert + ".crt"], "--key", files[cert + ".key"]]
    out = subprocess.run(["redis-cli", "-p", str(port), *flags, *words], input=stdin,
                         capture_output=True, timeout=60)
    return (out.stdout + out.stderr).decode(errors="replace").strip()


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def check_redis_cli(port, files):
    check(cli(port, files, "PING") == "PONG", "redis-cli --tls PING")
    check(cli(port, files, "XADD", "cli", "1-1", "f", "v") == "1-1", "redis-cli --tls XADD")
    check(cli(port, files, "XRANGE", "cli", "-", "+") == "1-1\nf\nv", "redis-cli --tls XRANGE")
    mass = "".join("XADD cli * n %d\r\n" % i for i in range(20000)).encode()
    out = cli(port, files, "--pipe", stdin=mass)
    check("errors: 0, replies: 20000" in out, "redis-cli --tls --pipe: " + out)
    check(cli(port, files, "XLEN", "cli") == "20001", "entries after --pipe")
    for cert, who in ((None, "no client certificate"), ("rogue", "an untrusted certificate")):
        out = cli(port, files, "PING", cert=cert)
        check("PONG" not in out, "redis-cli with %s was served: %s" % (who, out))


def check_plain_to_tls_port(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"PING\r\n")
        data = s.recv(100)
        check(b"PONG" not in data, "plain RESP on the TLS port was answered")


def check_redis_py(port, files):
    import redis

    def connect(cert="client"):
        extra = {"ssl_certfile": files[cert + ".crt"], "ssl_keyfile": files[cert + ".key"]} \
            if cert else {}
        return redis.Redis(port=port, ssl=True, ssl_ca_certs=files["ca.crt"],
                           ssl_cert_reqs="required", socket_timeout=10, **extra)

    r = connect()
    check(r.ping(), "redis-py ping")
    r.xgroup_create("py", "g", id="$", mkstream=True)
    entry = r.xadd("py", {"job": "1"})
    got = r.xreadgroup("g", "c", {"py": ">"})
    check(got[0][1][0][0] == entry, "redis-py XREADGROUP over TLS")
    check(r.xack("py", "g", entry) == 1, "redis-py XACK")
    pipe = r.pipeline(transaction=False)
    for i in range(1000):
        pipe.xadd("py", {"n": i})
    check(len(pipe.execute()) == 1000, "redis-py pipeline of 1000")
    big = b"v" * (8 << 20)
    r.set("py:big", big)
    check(r.get("py:big") == big, "an 8 MB value over TLS")
    for cert in (None, "rogue"):
        try:
            connect(cert).ping()
            raise AssertionError("redis-py with %s certificate was served" % (cert or "no"))
        except (redis.ConnectionError, ssl.SSLError, OSError):
            pass
    return r


def check_config_set(port, files, r):
    import redis
    try:
        r.config_set("tls-cert-file", "/nonexistent/cert.pem")
        raise AssertionError("CONFIG SET of a missing certificate succeeded")
    except redis.ResponseError as e:
        check(str(e) == "CONFIG SET failed (possibly related to argument 'tls-cert-file') - "
              "Unable to update TLS configuration. Check server logs.", "error text: %s" % e)
    check(r.config_get("tls-cert-file")["tls-cert-file"] == files["server.crt"],
          "a failed CONFIG SET changed tls-cert-file")
    check(cli(port, files, "PING") == "PONG", "TLS still served after the failed CONFIG SET")
    r.config_set("tls-auth-clients", "optional")
    check(cli(port, files, "PING", cert=None) == "PONG", "optional: no certificate is fine")
    check("PONG" not in cli(port, files, "PING", cert="rogue"), "optional: untrusted refused")
    r.config_set("tls-auth-clients", "no")
    check(cli(port, files, "PING", cert=None) == "PONG", "no: served without a certificate")
    r.config_set("tls-auth-clients", "yes")
    check("PONG" not in cli(port, files, "PING", cert=None), "yes again: certificate required")


def check_close_notify_with_data(port, files, r):
    """A command and close_notify in one TCP write: the command runs (as redis-server runs it)
    before the connection closes."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(files["ca.crt"])
    ctx.load_cert_chain(files["client.crt"], files["client.key"])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                sock.sendall(outgoing.read())
                incoming.write(sock.recv(65536))
        sock.sendall(outgoing.read())
        tls.write(b"*3\r\n$3\r\nSET\r\n$12\r\nclose:notify\r\n$1\r\nv\r\n")
        try:
            tls.unwrap()  # queues close_notify behind the command
        except ssl.SSLWantReadError:
            pass
        sock.sendall(outgoing.read())
        while sock.recv(65536):  # the server answers, then closes
            pass
    check(r.get("close:notify") == b"v", "a command sent with close_notify was lost")


def check_maxclients_drops_tls(port, r):
    """Past maxclients a TLS connection is closed at once, no handshake (as redis-server)."""
    r.config_set("maxclients", 1)  # redis-py's connection is the one
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            check(s.recv(100) == b"", "a TLS connection past maxclients was kept open")
    finally:
        r.config_set("maxclients", 10000)


def check_node(port, files, node_path):
    env = dict(os.environ, NODE_PATH=node_path)
    out = subprocess.run(["node", os.path.join(HERE, "tls_node.js"), str(port), files["ca.crt"],
                          files["client.crt"], files["client.key"]],
                         capture_output=True, timeout=120, env=env)
    text = (out.stdout + out.stderr).decode(errors="replace")
    check(out.returncode == 0 and "PASS ioredis" in text and "PASS node-redis" in text,
          "node clients over TLS:\n" + text)


def check_passphrase(binary, files):
    port = free_port()
    args = ["--tls-port", str(port), "--tls-cert-file", files["server.crt"],
            "--tls-key-file", files["server-encrypted.key"], "--tls-auth-clients", "no"]
    with RunnelServer(binary, *args, "--tls-key-file-pass", "secret"):
        check(cli(port, files, "PING", cert=None) == "PONG", "encrypted key with its passphrase")
    bad = RunnelServer(binary, *args, "--tls-key-file-pass", "wrong")
    try:
        with bad:
            raise AssertionError("the server started with a wrong passphrase")
    except RuntimeError as e:
        check("Failed to configure TLS" in str(e), "no reason given: %s" % e)


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        return False
    except OSError:
        return True


def check_listeners_at_runtime(binary, files):
    """CONFIG SET tls-port / port / bind on a running server, as redis-server allows."""
    import redis
    with RunnelServer(binary) as server:
        r = redis.Redis(port=server.port, socket_timeout=10)
        tls_port = free_port()
        try:
            r.config_set("tls-port", tls_port)
            raise AssertionError("tls-port set with no certificate")
        except redis.ResponseError as e:
            check("Unable to update TLS configuration" in str(e), "tls-port error: %s" % e)
        check(refused(tls_port), "a TLS port opened although its settings failed")
        r.config_set("tls-cert-file", files["server.crt"], "tls-key-file", files["server.key"],
                     "tls-ca-cert-file", files["ca.crt"])
        r.config_set("tls-port", tls_port)
        check(cli(tls_port, files, "PING") == "PONG", "TLS after CONFIG SET tls-port")
        check(r.config_get("tls-port")["tls-port"] == str(tls_port), "CONFIG GET tls-port")
        # A port some other socket holds: refused, and the old ports keep serving.
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            busy = taken.getsockname()[1]
            for key in ("port", "tls-port"):
                try:
                    r.config_set(key, busy)
                    raise AssertionError("%s set to a port in use" % key)
                except redis.ResponseError as e:
                    check(str(e) == "CONFIG SET failed (possibly related to argument '%s') - "
                          "Unable to listen on this port. Check server logs." % key,
                          "%s error: %s" % (key, e))
            check(cli(tls_port, files, "PING") == "PONG", "TLS port kept after a failed move")
            check(r.ping(), "plain port kept after a failed move")
        try:
            r.config_set("bind", "127.0.0.1 192.0.2.1")
            raise AssertionError("bind to an address this host does not have")
        except redis.ResponseError as e:
            check("Failed to bind to specified addresses." in str(e), "bind error: %s" % e)
        check(r.ping(), "plain port kept after a failed bind")
        # Moving the plain port: the connection that asked stays, new ones go to the new port.
        new_port = free_port()
        r.config_set("port", new_port)
        check(r.ping(), "the asking connection survives the move")
        moved = redis.Redis(port=new_port, socket_timeout=10)
        check(moved.ping() and moved.config_get("port")["port"] == str(new_port), "new port")
        check(refused(server.port), "the old port still accepts")
        moved.config_set("tls-port", 0)
        check(refused(tls_port), "tls-port 0 left the TLS port open")
        moved.config_set("port", server.port)  # so the harness can shut it down
        check(server.alive(), "the server died")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--node-path", default=os.path.join(HERE, "node", "node_modules"))
    args = ap.parse_args()
    d = tempfile.mkdtemp(prefix="runnel-tls-")
    try:
        files = make_certificates(d)
        port = free_port()
        with RunnelServer(args.server, *tls_args(port, files)) as server:
            check_redis_cli(port, files)
            check_plain_to_tls_port(port)
            r = check_redis_py(port, files)
            check_node(port, files, args.node_path)
            check_config_set(port, files, r)
            check_close_notify_with_data(port, files, r)
            check_maxclients_drops_tls(port, r)
            check(server.alive(), "the server died")
        check_passphrase(args.server, files)
        check_listeners_at_runtime(args.server, files)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    print("PASS tls: redis-cli, redis-py, ioredis, node-redis")


if __name__ == "__main__":
    sys.exit(main())
