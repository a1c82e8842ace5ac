// Consumer-group policies (docs/queues.md) over real connections, where time and blocking
// matter: a blocked CLAIM reader woken when a backoff ends, a MAXPENDING reader woken by its own
// XACK, the cron expiring consumers, dead letters in RESP2 and RESP3 and their wake-up of the
// dead-letter stream's readers, and everything surviving kill -9 under appendfsync always.
// The rules themselves are model-tested in tests/streams/group_policy_test.cc, and every policy
// command runs in the replay-equals-live workloads.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "server_process.h"

using namespace runnel::testing;
using runnel::resp::Reply;

namespace {

// A field of one XINFO GROUPS map (RESP2 flat pairs) of group `group`.
Reply GroupField(RawClient& c, const std::string& key, const std::string& group,
                 const std::string& name) {
  Reply groups = c.Call({"XINFO", "GROUPS", key});
  for (const Reply& g : groups.elements) {
    if (g.elements.size() < 2 || g.elements[1].str != group) continue;
    for (size_t i = 0; i + 1 < g.elements.size(); i += 2) {
      if (g.elements[i].str == name) return g.elements[i + 1];
    }
  }
  FAIL("XINFO GROUPS has no " << name << " for " << group << ": " << groups.ToString());
  return Reply{};
}

// Stream jobs with entries 1-0..n-0 and group workers reading from the start.
void Jobs(RawClient& c, int n) {
  for (int i = 1; i <= n; ++i)
    c.Call({"XADD", "jobs", std::to_string(i) + "-0", "job", "j" + std::to_string(i)});
  c.Call({"XGROUP", "CREATE", "jobs", "workers", "0"});
}

}  // namespace

TEST_CASE(
    "policies: an entry past MAXDELIVERIES goes to the dead-letter stream, in RESP2 and RESP3") {
  ServerProcess server;
  REQUIRE(server.Start());
  for (int protocol : {2, 3}) {
    CAPTURE(protocol);
    RawClient c(server.port()), dlq_reader(server.port());
    c.Call({"FLUSHALL"});
    if (protocol == 3) c.Call({"HELLO", "3"});
    Jobs(c, 2);
    CHECK(c.Call({"XGROUP", "SETPOLICY", "jobs", "workers", "MAXDELIVERIES", "2", "DEADLETTER",
                  "jobs:dead"})
              .str == "OK");
    // A reader blocked on the dead-letter stream wakes when the first letter arrives.
    dlq_reader.SendCommand({"XREAD", "BLOCK", "5000", "STREAMS", "jobs:dead", "$"});
    REQUIRE(WaitBlocked(c, 1));
    c.Call({"XREADGROUP", "GROUP", "workers", "w1", "COUNT", "2", "STREAMS", "jobs", ">"});
    c.Call({"XCLAIM", "jobs", "workers", "w2", "0", "1-0"});  // delivery 2 of 1-0
    Reply claimed = c.Call({"XCLAIM", "jobs", "workers", "w3", "0", "1-0"});
    CHECK(claimed.elements.empty());  // not delivered a third time
    Reply woke = dlq_reader.Read();
    REQUIRE(woke.elements.size() == 1);
    // XNACK FAIL of 2-0 after its second delivery: dead-lettered, and counted as processed.
    c.Call({"XCLAIM", "jobs", "workers", "w1", "0", "2-0"});
    CHECK(c.Call({"XNACK", "jobs", "workers", "FAIL", "IDS", "1", "2-0"}).integer == 1);
    CHECK(c.Call({"XPENDING", "jobs", "workers"}).elements[0].integer == 0);
    Reply letters = c.Call({"XRANGE", "jobs:dead", "-", "+"});
    REQUIRE(letters.elements.size() == 2);
    const Reply& fields = letters.elements[0].elements[1];
    std::vector<std::string> want = {"job",          "j1",           "dlq-stream",     "jobs",
                                     "dlq-id",       "1-0",          "dlq-group",      "workers",
                                     "dlq-consumer", "w2",           "dlq-deliveries", "2",
                                     "dlq-reason",   "maxdeliveries"};
    REQUIRE(fields.elements.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) CHECK(fields.elements[i].str == want[i]);
    if (protocol == 2) CHECK(GroupField(c, "jobs", "workers", "dead-lettered").integer == 2);
    // GETPOLICY: a map in RESP3, flat pairs in RESP2.
    Reply policy = c.Call({"XGROUP", "GETPOLICY", "jobs", "workers"});
    CHECK(policy.type == (protocol == 3 ? Reply::Type::kMap : Reply::Type::kArray));
    CHECK(policy.elements.size() == 10);
    CHECK(policy.elements[3].str == "jobs:dead");
  }
}

TEST_CASE("policies: a dead-letter key of another type stops nothing; the entry stays pending") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient c(server.port());
  Jobs(c, 1);
  c.Call({"SET", "jobs:dead", "not a stream"});
  c.Call(
      {"XGROUP", "SETPOLICY", "jobs", "workers", "MAXDELIVERIES", "1", "DEADLETTER", "jobs:dead"});
  c.Call({"XREADGROUP", "GROUP", "workers", "w1", "STREAMS", "jobs", ">"});
  Reply auto_claim = c.Call({"XAUTOCLAIM", "jobs", "workers", "w2", "0", "0"});
  CHECK(auto_claim.elements[1].elements.empty());
  CHECK(c.Call({"XPENDING", "jobs", "workers"}).elements[0].integer == 1);
  CHECK(GroupField(c, "jobs", "workers", "dead-letter-failures").integer == 1);
  c.Call({"XAUTOCLAIM", "jobs", "workers", "w2", "0", "0"});
  CHECK(GroupField(c, "jobs", "workers", "dead-letter-failures").integer == 2);
  // The operator hears of it once, with the reason, not once per attempt.
  auto warnings = [&] {
    std::string log = server.Log();
    size_t n = 0;
    for (size_t at = log.find("cannot dead-letter into 'jobs:dead': the key holds another type");
         at != std::string::npos; at = log.find("cannot dead-letter into", at + 1)) {
      ++n;
    }
    return n;
  };
  CHECK(warnings() == 1);
  CHECK(c.Call({"GET", "jobs:dead"}).str == "not a stream");
  c.Call({"DEL", "jobs:dead"});
  c.Call({"XAUTOCLAIM", "jobs", "workers", "w2", "0", "0"});
  CHECK(c.Call({"XLEN", "jobs:dead"}).integer == 1);
  CHECK(c.Call({"XPENDING", "jobs", "workers"}).elements[0].integer == 0);
}

TEST_CASE("policies: a blocked CLAIM reader wakes when the entry's backoff ends, not before") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient c(server.port()), reader(server.port());
  Jobs(c, 1);
  c.Call({"XGROUP", "SETPOLICY", "jobs", "workers", "BACKOFF", "400", "5000"});
  c.Call({"XREADGROUP", "GROUP", "workers", "w1", "STREAMS", "jobs", ">"});
  c.Call({"XNACK", "jobs", "workers", "FAIL", "IDS", "1", "1-0"});
  auto start = std::chrono::steady_clock::now();
  // XAUTOCLAIM does not take it yet; a blocked CLAIM read waits for it.
  CHECK(c.Call({"XAUTOCLAIM", "jobs", "workers", "w3", "0", "0"}).elements[1].elements.empty());
  reader.SendCommand({"XREADGROUP", "GROUP", "workers", "w2", "BLOCK", "5000", "CLAIM", "0",
                      "STREAMS", "jobs", ">"});
  Reply r = reader.Read();
  int64_t waited = MsSince(start);
  CHECK(waited >= 390);
  CHECK(waited < 2500);
  REQUIRE(r.elements.size() == 1);
  CHECK(r.elements[0].elements[1].elements[0].elements[0].str == "1-0");
  // After its second delivery the wait is the second step: XAUTOCLAIM at once gets nothing.
  c.Call({"XNACK", "jobs", "workers", "FAIL", "IDS", "1", "1-0"});
  CHECK(c.Call({"XAUTOCLAIM", "jobs", "workers", "w3", "0", "0"}).elements[1].elements.empty());
  // XCLAIM of the ID ignores the backoff; a SILENT release does not wait.
  CHECK(c.Call({"XCLAIM", "jobs", "workers", "w3", "0", "1-0", "JUSTID"}).elements.size() == 1);
  c.Call({"XNACK", "jobs", "workers", "SILENT", "IDS", "1", "1-0"});
  CHECK(c.Call({"XAUTOCLAIM", "jobs", "workers", "w3", "0", "0"}).elements[1].elements.size() == 1);
}

TEST_CASE("policies: MAXPENDING holds a reader back until its own XACK makes room") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient c(server.port()), reader(server.port());
  Jobs(c, 5);
  c.Call({"XGROUP", "SETPOLICY", "jobs", "workers", "MAXPENDING", "2"});
  Reply first =
      c.Call({"XREADGROUP", "GROUP", "workers", "w1", "COUNT", "10", "STREAMS", "jobs", ">"});
  CHECK(first.elements[0].elements[1].elements.size() == 2);
  // Another consumer still has room.
  Reply other =
      c.Call({"XREADGROUP", "GROUP", "workers", "w2", "COUNT", "1", "STREAMS", "jobs", ">"});
  CHECK(other.elements[0].elements[1].elements.size() == 1);
  reader.SendCommand({"XREADGROUP", "GROUP", "workers", "w1", "BLOCK", "5000", "COUNT", "10",
                      "STREAMS", "jobs", ">"});
  REQUIRE(WaitBlocked(c, 1));
  c.Call({"XADD", "jobs", "6-0", "job", "j6"});  // new entries do not wake a full consumer
  c.Call({"XACK", "jobs", "workers", "3-0"});    // w2's: no room for w1 either
  CHECK(c.Call({"XACK", "jobs", "workers", "3-0"}).integer == 0);
  CHECK(WaitBlocked(c, 1));
  c.Call({"XACK", "jobs", "workers", "1-0"});
  Reply woke = reader.Read();
  REQUIRE(woke.elements.size() == 1);
  CHECK(woke.elements[0].elements[1].elements.size() == 1);  // room for one
  CHECK(woke.elements[0].elements[1].elements[0].elements[0].str == "4-0");
  // An XACKDEL that keeps its entry (another group has not read it) makes room too.
  c.Call({"XGROUP", "CREATE", "jobs", "audit", "0"});
  reader.SendCommand({"XREADGROUP", "GROUP", "workers", "w1", "BLOCK", "5000", "COUNT", "10",
                      "STREAMS", "jobs", ">"});
  REQUIRE(WaitBlocked(c, 1));
  Reply kept = c.Call({"XACKDEL", "jobs", "workers", "ACKED", "IDS", "1", "2-0"});
  CHECK(kept.elements[0].integer == 2);
  woke = reader.Read();
  REQUIRE(woke.elements.size() == 1);
  CHECK(woke.elements[0].elements[1].elements[0].elements[0].str == "5-0");
  // So does deleting the consumer: its reader starts again with nothing pending.
  reader.SendCommand({"XREADGROUP", "GROUP", "workers", "w1", "BLOCK", "5000", "COUNT", "10",
                      "STREAMS", "jobs", ">"});
  REQUIRE(WaitBlocked(c, 1));
  CHECK(c.Call({"XGROUP", "DELCONSUMER", "jobs", "workers", "w1"}).integer == 2);
  woke = reader.Read();
  REQUIRE(woke.elements.size() == 1);
  CHECK(woke.elements[0].elements[1].elements[0].elements[0].str == "6-0");
}

TEST_CASE("policies: CONSUMER-EXPIRE deletes idle consumers with nothing pending") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient c(server.port());
  Jobs(c, 1);
  c.Call({"XREADGROUP", "GROUP", "workers", "busy", "STREAMS", "jobs", ">"});
  c.Call({"XGROUP", "CREATECONSUMER", "jobs", "workers", "idle"});
  c.Call({"XGROUP", "SETPOLICY", "jobs", "workers", "CONSUMER-EXPIRE", "300"});
  CHECK(WaitFor(
      [&] {
        return c.Call({"XINFO", "CONSUMERS", "jobs", "workers"}).elements.size() == 1;
      },
      3000));
  CHECK(c.Call({"XINFO", "CONSUMERS", "jobs", "workers"}).elements[0].elements[1].str == "busy");
  CHECK(GroupField(c, "jobs", "workers", "consumers-expired").integer == 1);
}

TEST_CASE(
    "policies: policies, dead letters and counters survive kill -9 under appendfsync always") {
  ServerProcess server({"--appendfsync", "always"});
  REQUIRE(server.Start());
  std::string before;
  {
    RawClient c(server.port());
    Jobs(c, 3);
    c.Call({"XGROUP", "SETPOLICY", "jobs", "workers", "MAXDELIVERIES", "1", "DEADLETTER", "dead",
            "BACKOFF", "10", "20", "MAXPENDING", "9", "CONSUMER-EXPIRE", "3600000"});
    c.Call({"XREADGROUP", "GROUP", "workers", "w1", "COUNT", "3", "STREAMS", "jobs", ">"});
    c.Call({"XNACK", "jobs", "workers", "FAIL", "IDS", "1", "1-0"});
    c.Call({"XNACK", "jobs", "workers", "FATAL", "IDS", "1", "2-0"});
    c.Call({"XNACK", "jobs", "workers", "SILENT", "IDS", "1", "3-0"});
    // The cron's consumer expiry, logged as a deletion and the counters.
    c.Call({"XGROUP", "CREATE", "jobs", "short", "0"});
    c.Call({"XGROUP", "CREATECONSUMER", "jobs", "short", "gone"});
    c.Call({"XGROUP", "SETPOLICY", "jobs", "short", "CONSUMER-EXPIRE", "100"});
    REQUIRE(
        WaitFor([&] { return GroupField(c, "jobs", "short", "consumers-expired").integer == 1; }));
    before = c.Call({"XINFO", "STREAM", "jobs", "FULL"}).ToString() +
             c.Call({"XRANGE", "dead", "-", "+"}).ToString() +
             c.Call({"XGROUP", "GETPOLICY", "jobs", "workers"}).ToString();
    CHECK(c.Call({"XLEN", "dead"}).integer == 2);
  }
  CHECK(server.Stop(9) == 128 + 9);
  REQUIRE(server.Start());
  RawClient c(server.port());
  REQUIRE(WaitFor([&] { return c.Call({"XLEN", "jobs"}).integer == 3; }));
  std::string after = c.Call({"XINFO", "STREAM", "jobs", "FULL"}).ToString() +
                      c.Call({"XRANGE", "dead", "-", "+"}).ToString() +
                      c.Call({"XGROUP", "GETPOLICY", "jobs", "workers"}).ToString();
  CHECK(after == before);
  // And through a snapshot (a log rewrite's base), too.
  c.Call({"BGREWRITEAOF"});
  REQUIRE(WaitFor([&] {
    return c.Call({"INFO", "persistence"}).str.find("aof_rewrite_in_progress:0") !=
           std::string::npos;
  }));
  CHECK(server.Stop(9) == 128 + 9);
  REQUIRE(server.Start());
  RawClient again(server.port());
  REQUIRE(WaitFor([&] { return again.Call({"XLEN", "jobs"}).integer == 3; }));
  CHECK(again.Call({"XINFO", "STREAM", "jobs", "FULL"}).ToString() +
            again.Call({"XRANGE", "dead", "-", "+"}).ToString() +
            again.Call({"XGROUP", "GETPOLICY", "jobs", "workers"}).ToString() ==
        before);
}
