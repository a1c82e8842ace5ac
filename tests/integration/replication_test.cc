// Replication between Runnel servers, each a real process: full syncs and the stream after
// them (a replica must end up with exactly its master's data, compared as a whole keyspace),
// continuing from the backlog after a broken link, WAIT, a read-only replica serving reads and
// waking blocked readers, a paused replica holding its master's stream, promotion with
// REPLICAOF NO ONE, and a chain of replicas.
#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "dataset.h"
#include "replay_workload.h"
#include "server_process.h"

using namespace runnel::testing;

namespace {

std::string Addr(const ServerProcess& master) {
  return "127.0.0.1 " + std::to_string(master.port());
}

std::string Info(int port, const std::string& field) {
  RawClient c(port);
  return InfoField(c, field);
}

// The replica's link is up and it has applied everything the master has sent.
bool InSync(const ServerProcess& master, const ServerProcess& replica) {
  return Info(replica.port(), "master_link_status") == "up" &&
         Info(replica.port(), "master_repl_offset") == Info(master.port(), "master_repl_offset");
}

// Polls until both servers show the same whole keyspace (the master may still be acting on
// timers of its own: delayed entries, retention, consumer expiry); then checks it.
void CheckConverges(const ServerProcess& master, const ServerProcess& replica) {
  std::string expected, actual;
  WaitFor(
      [&] {
        if (!InSync(master, replica)) return false;
        RawClient m(master.port()), r(replica.port());
        expected = DumpKeyspace(m);
        actual = DumpKeyspace(r);
        return expected == actual;
      },
      15000);
  CHECK(expected.size() > 0);
  CheckSameDump(expected, actual);
}

int64_t Integer(RawClient& c, const std::vector<std::string>& args) { return c.Call(args).integer; }

}  // namespace

TEST_CASE("replication: a replica holds exactly its master's data, after a full sync and on") {
  const uint64_t seed = std::random_device{}();
  CAPTURE(seed);
  ServerProcess master({"--stream-node-max-entries", "4"});
  REQUIRE(master.Start());
  ReplayWorkload work(seed, /*short_timers=*/true);
  auto run = [&](int ops) {
    RawClient c(master.port());
    auto call = [&](const std::vector<std::string>& args) { return c.Call(args); };
    CHECK(work.Run(call, ops).empty());
  };
  run(300);  // the full sync carries these
  ServerProcess replica({"--replicaof", Addr(master)});
  REQUIRE(replica.Start());
  REQUIRE(WaitFor([&] { return InSync(master, replica); }, 15000));
  run(600);  // the stream carries these, while timers fire on the master
  CheckConverges(master, replica);

  RawClient r(replica.port());
  auto role = r.Call({"ROLE"});
  REQUIRE(role.elements.size() == 5);
  CHECK(role.elements[0].str == "slave");
  CHECK(role.elements[2].integer == master.port());
  CHECK(role.elements[3].str == "connected");
  RawClient m(master.port());
  auto master_role = m.Call({"ROLE"});
  REQUIRE(master_role.elements.size() == 3);
  CHECK(master_role.elements[0].str == "master");
  REQUIRE(master_role.elements[2].elements.size() == 1);
  CHECK(master_role.elements[2].elements[0].elements[1].str == std::to_string(replica.port()));
  CHECK(InfoField(m, "slave0").find("port=" + std::to_string(replica.port()) + ",state=online") !=
        std::string::npos);
  CHECK(InfoField(m, "sync_full") == "1");

  // Restarted cleanly, the replica loads what it applied from its own log and asks to
  // continue from there; killed, it has no position it can trust and syncs in full.
  REQUIRE(replica.Stop(15) == 0);
  run(50);
  REQUIRE(replica.Start());
  REQUIRE(WaitLoaded(replica.port()));
  run(200);
  CheckConverges(master, replica);
  CHECK(InfoField(m, "sync_partial_ok") == "1");
  CHECK(InfoField(m, "sync_full") == "1");
  REQUIRE(replica.Stop(9) == 128 + 9);
  REQUIRE(replica.Start());
  run(100);
  CheckConverges(master, replica);
  CHECK(InfoField(m, "sync_full") == "2");
}

TEST_CASE("replication: a replica whose link broke continues from the backlog") {
  ServerProcess master;
  REQUIRE(master.Start());
  ServerProcess replica({"--replicaof", Addr(master)});
  REQUIRE(replica.Start());
  RawClient m(master.port());
  REQUIRE(WaitFor([&] { return InSync(master, replica); }, 15000));
  RandomWorkload work(3);
  CHECK(work.Run(m, 300) == 0);
  for (int round = 1; round <= 3; ++round) {
    CAPTURE(round);
    // The master closes the link; writes go on meanwhile.
    CHECK(Integer(m, {"CLIENT", "KILL", "TYPE", "replica"}) == 1);
    CHECK(work.Run(m, 100) == 0);
    REQUIRE(WaitFor([&] { return InSync(master, replica); }, 15000));
    CHECK(InfoField(m, "sync_partial_ok") == std::to_string(round));
  }
  CHECK(InfoField(m, "sync_full") == "1");
  CheckConverges(master, replica);
}

TEST_CASE("replication: WAIT counts the replicas that acknowledged the client's writes") {
  ServerProcess master;
  REQUIRE(master.Start());
  ServerProcess one({"--replicaof", Addr(master)}), two({"--replicaof", Addr(master)});
  REQUIRE(one.Start());
  REQUIRE(two.Start());
  REQUIRE(WaitFor([&] { return InSync(master, one) && InSync(master, two); }, 15000));
  RawClient m(master.port());
  CHECK(m.Call({"XADD", "q", "*", "f", "v"}).is_error() == false);
  CHECK(Integer(m, {"WAIT", "2", "5000"}) == 2);
  // With one replica stopped, WAIT answers at its timeout with the one that acknowledged.
  kill(two.pid(), SIGSTOP);
  CHECK(m.Call({"XADD", "q", "*", "f", "v2"}).is_error() == false);
  const auto started = std::chrono::steady_clock::now();
  CHECK(Integer(m, {"WAIT", "2", "300"}) == 1);
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(300));
  CHECK(Integer(m, {"WAIT", "1", "5000"}) == 1);
  kill(two.pid(), SIGCONT);
  CHECK(Integer(m, {"WAIT", "2", "5000"}) == 2);
  // Inside MULTI it answers at once; a replica refuses it.
  CHECK(m.Call({"MULTI"}).str == "OK");
  CHECK(m.Call({"WAIT", "3", "0"}).str == "QUEUED");
  auto exec = m.Call({"EXEC"});
  REQUIRE(exec.elements.size() == 1);
  CHECK(exec.elements[0].integer == 2);
  RawClient r(one.port());
  CHECK(r.Call({"WAIT", "1", "0"}).str.rfind("ERR WAIT cannot be used with replica instances", 0) ==
        0);

  // WAITAOF: the write is in this server's log on disk, and in both replicas' (their FACK).
  CHECK(m.Call({"XADD", "q", "*", "f", "v3"}).is_error() == false);
  auto both = m.Call({"WAITAOF", "1", "2", "5000"});
  REQUIRE(both.elements.size() == 2);
  CHECK(both.elements[0].integer == 1);
  CHECK(both.elements[1].integer == 2);
  CHECK(
      r.Call({"WAITAOF", "0", "0", "0"}).str.rfind("ERR WAITAOF cannot be used with replica", 0) ==
      0);
  CHECK(m.Call({"WAITAOF", "-1", "0", "0"}).str == "ERR value is out of range, must be positive");
  CHECK(m.Call({"CONFIG", "SET", "appendonly", "no"}).str == "OK");
  CHECK(m.Call({"WAITAOF", "1", "0", "0"}).str ==
        "ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.");
  auto remote_only = m.Call({"WAITAOF", "0", "2", "5000"});
  REQUIRE(remote_only.elements.size() == 2);
  CHECK(remote_only.elements[0].integer == 0);
  CHECK(remote_only.elements[1].integer == 2);
}

TEST_CASE("replication: a replica serves reads, refuses writes, and wakes blocked readers") {
  ServerProcess master;
  REQUIRE(master.Start());
  ServerProcess replica({"--replicaof", Addr(master)});
  REQUIRE(replica.Start());
  RawClient m(master.port());
  CHECK(m.Call({"XADD", "s", "1-1", "f", "v"}).str == "1-1");
  CHECK(m.Call({"XGROUP", "CREATE", "s", "g", "0"}).str == "OK");
  REQUIRE(WaitFor([&] { return InSync(master, replica); }, 15000));
  RawClient reader(replica.port());
  reader.SendCommand({"XREAD", "BLOCK", "5000", "STREAMS", "s", "$"});
  RawClient admin(replica.port());
  REQUIRE(WaitBlocked(admin, 1));
  CHECK(m.Call({"XADD", "s", "2-1", "f", "w"}).str == "2-1");
  auto woken = reader.Read();
  REQUIRE(woken.elements.size() == 1);
  CHECK(woken.elements[0].elements[1].elements[0].elements[0].str == "2-1");

  RawClient r(replica.port());
  const std::string kReadOnly = "READONLY You can't write against a read only replica.";
  CHECK(r.Call({"XADD", "s", "*", "f", "v"}).str == kReadOnly);
  CHECK(r.Call({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"}).str == kReadOnly);
  CHECK(r.Call({"MULTI"}).str == "OK");
  CHECK(r.Call({"XACK", "s", "g", "1-1"}).str == kReadOnly);
  CHECK(r.Call({"EXEC"}).str.rfind("EXECABORT", 0) == 0);
  CHECK(Integer(r, {"XLEN", "s"}) == 2);
  CHECK(r.Call({"XRANGE", "s", "-", "+"}).elements.size() == 2);
  CHECK(r.Call({"XPENDING", "s", "g"}).elements.size() == 4);
  CHECK(Integer(r, {"PUBLISH", "ch", "local"}) == 0);  // Pub/Sub is not a write
  // A replica that is told it may write accepts writes of its own (they go nowhere else).
  CHECK(r.Call({"CONFIG", "SET", "replica-read-only", "no"}).str == "OK");
  CHECK(r.Call({"SET", "local", "1"}).str == "OK");
}

TEST_CASE("replication: CLIENT PAUSE WRITE on a replica holds its master's stream until unpaused") {
  // As on redis-server, whose replicas postpone the master client's writes like any client's.
  ServerProcess master;
  REQUIRE(master.Start());
  ServerProcess replica({"--replicaof", Addr(master)});
  REQUIRE(replica.Start());
  REQUIRE(WaitFor([&] { return InSync(master, replica); }, 15000));
  RawClient r(replica.port());
  CHECK(r.Call({"CLIENT", "PAUSE", "60000", "WRITE"}).str == "OK");
  RawClient m(master.port());
  CHECK(m.Call({"XADD", "s", "1-1", "f", "v"}).str == "1-1");
  CHECK(m.Call({"SET", "k", "v"}).str == "OK");
  // The replica has had time to receive both; while paused it applies neither, but serves reads.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(Integer(r, {"XLEN", "s"}) == 0);
  CHECK(Integer(r, {"EXISTS", "k"}) == 0);
  CHECK(r.Call({"CLIENT", "UNPAUSE"}).str == "OK");
  CHECK(WaitFor([&] { return Integer(r, {"XLEN", "s"}) == 1; }, 5000));
  CHECK(r.Call({"GET", "k"}).str == "v");
  CheckConverges(master, replica);
}

TEST_CASE("replication: PUBLISH on a master reaches subscribers of its replicas") {
  ServerProcess master;
  REQUIRE(master.Start());
  ServerProcess replica({"--replicaof", Addr(master)});
  REQUIRE(replica.Start());
  REQUIRE(WaitFor([&] { return InSync(master, replica); }, 15000));
  RawClient sub(replica.port());
  sub.SendCommand({"SUBSCRIBE", "news"});
  CHECK(sub.Read().elements.size() == 3);
  RawClient m(master.port());
  CHECK(Integer(m, {"PUBLISH", "news", "hello"}) == 0);  // no subscriber on the master itself
  auto message = sub.Read();
  REQUIRE(message.elements.size() == 3);
  CHECK(message.elements[2].str == "hello");
}

TEST_CASE("replication: REPLICAOF NO ONE promotes, and the old master follows the new one") {
  ServerProcess a;
  REQUIRE(a.Start());
  ServerProcess b({"--replicaof", Addr(a)});
  REQUIRE(b.Start());
  RawClient ca(a.port());
  RandomWorkload work(5);
  CHECK(work.Run(ca, 300) == 0);
  REQUIRE(WaitFor([&] { return InSync(a, b); }, 15000));
  const std::string a_replid = InfoField(ca, "master_replid");

  RawClient cb(b.port());
  CHECK(cb.Call({"REPLICAOF", "NO", "ONE"}).str == "OK");
  CHECK(InfoField(cb, "role") == "master");
  CHECK(InfoField(cb, "master_replid2") == a_replid);
  CHECK(cb.Call({"XADD", "after", "*", "f", "v"}).is_error() == false);

  // The old master follows the promoted one and continues where it stood.
  CHECK(ca.Call({"REPLICAOF", "127.0.0.1", std::to_string(b.port())}).str == "OK");
  CHECK(ca.Call({"REPLICAOF", "127.0.0.1", std::to_string(b.port())}).str ==
        "OK Already connected to specified master");
  REQUIRE(WaitFor([&] { return InSync(b, a); }, 15000));
  CHECK(InfoField(cb, "sync_partial_ok") == "1");
  CHECK(InfoField(cb, "sync_full") == "0");
  CheckConverges(b, a);
  CHECK(ca.Call({"CONFIG", "GET", "replicaof"}).elements[1].str == Addr(b));
}

TEST_CASE("replication: a replica of a replica gets the same stream, at the same offsets") {
  ServerProcess a;
  REQUIRE(a.Start());
  ServerProcess b({"--replicaof", Addr(a)});
  REQUIRE(b.Start());
  ServerProcess c({"--replicaof", Addr(b)});
  REQUIRE(c.Start());
  RawClient ca(a.port());
  RandomWorkload work(9);
  CHECK(work.Run(ca, 400) == 0);
  REQUIRE(WaitFor([&] { return InSync(a, b) && InSync(b, c); }, 15000));
  CheckConverges(a, c);
  RawClient cc(c.port());
  CHECK(InfoField(cc, "master_replid") == InfoField(ca, "master_replid"));
}

TEST_CASE("replication: a replica that stops reading is dropped at its output limit") {
  // As Redis advises, the limit is above the backlog: a replica that fell further behind than
  // the backlog holds syncs in full when it returns.
  ServerProcess master(
      {"--client-output-buffer-limit", "replica 4mb 0 0", "--repl-backlog-size", "2mb"});
  REQUIRE(master.Start());
  ServerProcess replica({"--replicaof", Addr(master)});
  REQUIRE(replica.Start());
  REQUIRE(WaitFor([&] { return InSync(master, replica); }, 15000));
  kill(replica.pid(), SIGSTOP);
  RawClient m(master.port());
  const std::string value(10000, 'v');
  for (int i = 0; i < 1000; ++i)
    CHECK(m.Call({"XADD", "big", "*", "v", value}).is_error() == false);
  CHECK(WaitFor([&] { return InfoField(m, "connected_slaves") == "0"; }, 10000));
  CHECK(master.Log().find("closed for overcoming of output buffer limits") != std::string::npos);
  kill(replica.pid(), SIGCONT);
  CheckConverges(master, replica);
  CHECK(InfoField(m, "sync_full") == "2");
}

TEST_CASE("replication: min-replicas-to-write and replica-serve-stale-data") {
  ServerProcess master({"--min-replicas-to-write", "1", "--min-replicas-max-lag", "10"});
  REQUIRE(master.Start());
  RawClient m(master.port());
  CHECK(m.Call({"XADD", "s", "*", "f", "v"}).str ==
        "NOREPLICAS Not enough good replicas to write.");
  CHECK(Integer(m, {"XLEN", "s"}) == 0);  // reads go on
  CHECK(InfoField(m, "min_slaves_good_slaves") == "0");
  ServerProcess replica({"--replicaof", Addr(master), "--replica-serve-stale-data", "no"});
  REQUIRE(replica.Start());
  REQUIRE(WaitFor([&] { return InSync(master, replica); }, 15000));
  CHECK(InfoField(m, "min_slaves_good_slaves") == "1");
  CHECK(m.Call({"XADD", "s", "1-1", "f", "v"}).str == "1-1");
  REQUIRE(WaitFor([&] { return InSync(master, replica); }, 15000));
  RawClient r(replica.port());
  CHECK(Integer(r, {"XLEN", "s"}) == 1);
  // With its master gone, a replica told not to serve stale data answers only commands flagged
  // stale: INFO, CONFIG, REPLICAOF ...
  REQUIRE(master.Stop(9) == 128 + 9);
  REQUIRE(WaitFor([&] { return InfoField(r, "master_link_status") == "down"; }, 10000));
  CHECK(r.Call({"XLEN", "s"}).str ==
        "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
  CHECK(r.Call({"PING"}).str.rfind("MASTERDOWN", 0) == 0);  // PING is not flagged stale either
  CHECK(InfoField(r, "master_link_down_since_seconds").empty() == false);
  CHECK(r.Call({"CONFIG", "SET", "replica-serve-stale-data", "yes"}).str == "OK");
  CHECK(Integer(r, {"XLEN", "s"}) == 1);
}

TEST_CASE("replication: a replica logs in with masterauth and masteruser") {
  ServerProcess master({"--requirepass", "secret"});
  REQUIRE(master.Start());
  RawClient m(master.port());
  CHECK(m.Call({"AUTH", "secret"}).str == "OK");
  CHECK(m.Call({"ACL", "SETUSER", "repl", "on", ">replpw", "+psync", "+replconf", "+ping"}).str ==
        "OK");
  CHECK(m.Call({"XADD", "s", "1-1", "f", "v"}).str == "1-1");
  auto synced = [&](const ServerProcess& replica) {
    RawClient r(replica.port());
    return InfoField(r, "master_link_status") == "up" &&
           InfoField(r, "master_repl_offset") == InfoField(m, "master_repl_offset");
  };
  ServerProcess with_password({"--replicaof", Addr(master), "--masterauth", "secret"});
  REQUIRE(with_password.Start());
  CHECK(WaitFor([&] { return synced(with_password); }, 15000));
  ServerProcess with_user(
      {"--replicaof", Addr(master), "--masteruser", "repl", "--masterauth", "replpw"});
  REQUIRE(with_user.Start());
  CHECK(WaitFor([&] { return synced(with_user); }, 15000));
  RawClient u(with_user.port());
  CHECK(Integer(u, {"XLEN", "s"}) == 1);
  // A wrong password never gets a link up; the replica keeps trying and says why.
  ServerProcess wrong({"--replicaof", Addr(master), "--masterauth", "nope"});
  REQUIRE(wrong.Start());
  CHECK(WaitFor([&] { return wrong.Log().find("Unable to AUTH to MASTER") != std::string::npos; },
                10000));
  RawClient w(wrong.port());
  CHECK(InfoField(w, "master_link_status") == "down");
}
