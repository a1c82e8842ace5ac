// Consumer groups across connections: several consumers sharing a group with XREADGROUP BLOCK
// (each entry delivered to exactly one of them), redelivery through XCLAIM and XAUTOCLAIM when a
// consumer stops acknowledging, waiters whose entries another consumer took (they keep waiting,
// deadline unchanged), key deletion / XGROUP DESTROY / FLUSHALL / a type change waking a blocked
// XREADGROUP with an error, and RESP3 replies. Tests wait on observable state (INFO's
// blocked_clients, XPENDING's idle times), never on fixed sleeps.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "server_process.h"

using namespace runnel::testing;
using runnel::resp::Reply;

namespace {

// The entry IDs of a RESP2 XREADGROUP reply for one stream: [[key, [[id, fields] ...]]].
std::vector<std::string> ReadIds(const Reply& r) {
  std::vector<std::string> ids;
  if (r.elements.size() != 1 || r.elements[0].elements.size() != 2) return ids;
  for (const Reply& entry : r.elements[0].elements[1].elements) {
    if (!entry.elements.empty()) ids.push_back(entry.elements[0].str);
  }
  return ids;
}

// One row of XPENDING's extended form.
struct PendingRow {
  std::string id, consumer;
  int64_t idle = -1, deliveries = -1;
};

std::vector<PendingRow> Pending(RawClient& c, const std::string& key, const std::string& group,
                                const std::string& consumer = "") {
  std::vector<std::string> args{"XPENDING", key, group, "-", "+", "1000"};
  if (!consumer.empty()) args.push_back(consumer);
  Reply r = c.Call(args);
  std::vector<PendingRow> rows;
  for (const Reply& e : r.elements) {
    if (e.elements.size() != 4) continue;
    rows.push_back(
        {e.elements[0].str, e.elements[1].str, e.elements[2].integer, e.elements[3].integer});
  }
  return rows;
}

// A field of one consumer in XINFO CONSUMERS (RESP2: flat name/value arrays).
int64_t ConsumerField(RawClient& c, const std::string& key, const std::string& group,
                      const std::string& name, const std::string& field) {
  Reply r = c.Call({"XINFO", "CONSUMERS", key, group});
  for (const Reply& consumer : r.elements) {
    const auto& kv = consumer.elements;
    bool match = false;
    for (size_t i = 0; i + 1 < kv.size(); i += 2) {
      if (kv[i].str == "name" && kv[i + 1].str == name) match = true;
    }
    if (!match) continue;
    for (size_t i = 0; i + 1 < kv.size(); i += 2) {
      if (kv[i].str == field) return kv[i + 1].integer;
    }
  }
  return -999;
}

// A field of a RESP2 flat name/value array (one group of XINFO GROUPS).
Reply Field(const Reply& flat, const std::string& name) {
  for (size_t i = 0; i + 1 < flat.elements.size(); i += 2) {
    if (flat.elements[i].str == name) return flat.elements[i + 1];
  }
  Reply missing;
  missing.type = Reply::Type::kError;
  missing.str = "no field " + name;
  return missing;
}

constexpr const char* kNoGroupK =
    "NOGROUP No such key 'k' or consumer group 'g' in XREADGROUP with GROUP option";

}  // namespace

TEST_CASE("three blocked consumers share 300 entries, each delivered to exactly one") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient writer(server.port()), admin(server.port());
  REQUIRE(writer.Call({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}).str == "OK");
  constexpr int kConsumers = 3, kEntries = 300;
  std::vector<std::unique_ptr<RawClient>> consumers;
  for (int i = 0; i < kConsumers; ++i)
    consumers.push_back(std::make_unique<RawClient>(server.port()));
  std::vector<bool> waiting(kConsumers, false);
  std::map<std::string, int> owner;  // entry ID -> consumer that got it
  std::vector<int> got(kConsumers, 0);
  int added = 0, batch = 1;
  while (added < kEntries) {
    // Every idle consumer asks for up to 4 entries and blocks.
    for (int i = 0; i < kConsumers; ++i) {
      if (waiting[i]) continue;
      consumers[i]->SendCommand({"XREADGROUP", "GROUP", "g", "c" + std::to_string(i), "COUNT", "4",
                                 "BLOCK", "0", "STREAMS", "s", ">"});
      waiting[i] = true;
    }
    REQUIRE(WaitBlocked(admin, kConsumers));
    // A batch of 1..10 entries in one transaction: the waiters are served in arrival order,
    // at most 4 entries each, and the ones left over stay blocked.
    int n = std::min(batch, kEntries - added);
    writer.Call({"MULTI"});
    for (int j = 0; j < n; ++j) writer.Call({"XADD", "s", "*", "n", std::to_string(added + j)});
    REQUIRE(writer.Call({"EXEC"}).elements.size() == static_cast<size_t>(n));
    int expected = added + n, received = added;
    bool all_in = WaitFor([&] {
      for (int i = 0; i < kConsumers; ++i) {
        if (!waiting[i]) continue;
        std::string raw = consumers[i]->ReadRaw(1);
        if (raw.empty()) continue;
        waiting[i] = false;
        Reply r;
        size_t used;
        CHECK(runnel::resp::ParseReply(raw, &r, &used) == runnel::resp::ParseReplyStatus::kOk);
        std::vector<std::string> ids = ReadIds(r);
        CHECK(!ids.empty());
        CHECK(ids.size() <= 4);
        for (const std::string& id : ids) {
          CHECK(owner.emplace(id, i).second);  // never delivered twice
          ++received;
          ++got[i];
        }
        // Acknowledge on the consumer's own connection before it reads again.
        std::vector<std::string> ack{"XACK", "s", "g"};
        ack.insert(ack.end(), ids.begin(), ids.end());
        CHECK(consumers[i]->Call(ack).integer == static_cast<int64_t>(ids.size()));
      }
      return received == expected;
    });
    REQUIRE(all_in);
    added = expected;
    batch = batch % 10 + 1;
  }
  CHECK(owner.size() == static_cast<size_t>(kEntries));
  for (int i = 0; i < kConsumers; ++i) CHECK(got[i] > 0);
  // Every entry of the stream was handed out exactly once and acknowledged.
  Reply all = writer.Call({"XRANGE", "s", "-", "+"});
  REQUIRE(all.elements.size() == static_cast<size_t>(kEntries));
  for (const Reply& e : all.elements) CHECK(owner.count(e.elements[0].str) == 1);
  CHECK(writer.Call({"XPENDING", "s", "g"}).elements[0].integer == 0);
  Reply groups = writer.Call({"XINFO", "GROUPS", "s"});
  REQUIRE(groups.elements.size() == 1);
  CHECK(Field(groups.elements[0], "entries-read").integer == kEntries);
  CHECK(Field(groups.elements[0], "lag").integer == 0);
  CHECK(Field(groups.elements[0], "consumers").integer == kConsumers);
  // Consumers the last batch did not reach are still waiting, with nothing pending.
  int64_t still_waiting = 0;
  for (int i = 0; i < kConsumers; ++i) still_waiting += waiting[i] ? 1 : 0;
  CHECK(BlockedClients(admin) == still_waiting);
}

TEST_CASE(
    "a consumer that stops acknowledging has its entries redelivered by XCLAIM and "
    "XAUTOCLAIM") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient stuck(server.port()), claimer(server.port()), sweeper(server.port()),
      admin(server.port());
  for (int i = 1; i <= 5; ++i) admin.Call({"XADD", "s", std::to_string(i) + "-1", "f", "v"});
  admin.Call({"XGROUP", "CREATE", "s", "g", "0"});
  REQUIRE(ReadIds(stuck.Call({"XREADGROUP", "GROUP", "g", "stuck", "STREAMS", "s", ">"})).size() ==
          5);

  // Its pending entries age: idle times only grow while nobody touches them.
  std::vector<PendingRow> first = Pending(admin, "s", "g");
  REQUIRE(first.size() == 5);
  for (const PendingRow& row : first) {
    CHECK(row.consumer == "stuck");
    CHECK(row.deliveries == 1);
  }
  REQUIRE(WaitFor([&] { return Pending(admin, "s", "g")[0].idle >= 500; }));
  std::vector<PendingRow> later = Pending(admin, "s", "g");
  for (size_t i = 0; i < later.size(); ++i) CHECK(later[i].idle >= first[i].idle);
  CHECK(ConsumerField(admin, "s", "g", "stuck", "idle") >= 500);
  CHECK(ConsumerField(admin, "s", "g", "stuck", "inactive") >= 500);

  // XCLAIM: entries idle for at least 500 ms move to the claimer, counted as delivered again.
  // (500 ms leaves room for a loaded machine between the claims below.)
  Reply claimed = claimer.Call({"XCLAIM", "s", "g", "claimer", "500", "1-1", "2-1"});
  REQUIRE(claimed.elements.size() == 2);
  CHECK(claimed.elements[0].elements[0].str == "1-1");
  // Claimed again at once, they are too fresh for a second claim with the same min-idle-time.
  CHECK(sweeper.Call({"XCLAIM", "s", "g", "sweeper", "500", "1-1", "2-1"}).elements.empty());
  std::vector<PendingRow> rows = Pending(admin, "s", "g");
  REQUIRE(rows.size() == 5);
  CHECK(rows[0].consumer == "claimer");
  CHECK(rows[0].deliveries == 2);
  CHECK(rows[0].idle < later[0].idle);
  CHECK(rows[2].consumer == "stuck");
  CHECK(rows[2].deliveries == 1);

  // XAUTOCLAIM sweeps the rest from a cursor, COUNT at a time.
  Reply swept = sweeper.Call({"XAUTOCLAIM", "s", "g", "sweeper", "500", "0", "COUNT", "2"});
  REQUIRE(swept.elements.size() == 3);
  CHECK(swept.elements[0].str == "5-1");  // where to go on
  REQUIRE(swept.elements[1].elements.size() == 2);
  CHECK(swept.elements[1].elements[0].elements[0].str == "3-1");
  CHECK(swept.elements[1].elements[1].elements[0].str == "4-1");
  // An entry deleted meanwhile is dropped from the PEL and reported.
  admin.Call({"XDEL", "s", "5-1"});
  swept = sweeper.Call({"XAUTOCLAIM", "s", "g", "sweeper", "500", "5-1"});
  CHECK(swept.elements[0].str == "0-0");
  CHECK(swept.elements[1].elements.empty());
  REQUIRE(swept.elements[2].elements.size() == 1);
  CHECK(swept.elements[2].elements[0].str == "5-1");

  rows = Pending(admin, "s", "g");
  REQUIRE(rows.size() == 4);
  CHECK(Pending(admin, "s", "g", "stuck").empty());
  CHECK(Pending(admin, "s", "g", "sweeper").size() == 2);
  for (const PendingRow& row : rows) CHECK(row.deliveries == 2);
  CHECK(ConsumerField(admin, "s", "g", "stuck", "pending") == 0);

  // The new owners re-read their history: each read counts as one more delivery.
  CHECK(
      ReadIds(sweeper.Call({"XREADGROUP", "GROUP", "g", "sweeper", "STREAMS", "s", "0"})).size() ==
      2);
  for (const PendingRow& row : Pending(admin, "s", "g", "sweeper")) CHECK(row.deliveries == 3);
  CHECK(claimer.Call({"XACK", "s", "g", "1-1", "2-1"}).integer == 2);
  CHECK(sweeper.Call({"XACK", "s", "g", "3-1", "4-1"}).integer == 2);
  CHECK(admin.Call({"XPENDING", "s", "g"}).elements[0].integer == 0);
  // The consumer that went quiet keeps aging: its idle time grew past the claims.
  CHECK(ConsumerField(admin, "s", "g", "stuck", "idle") >=
        ConsumerField(admin, "s", "g", "sweeper", "idle"));
}

TEST_CASE("a waiter whose entries another consumer took keeps waiting, deadline unchanged") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient writer(server.port()), admin(server.port()), slow(server.port());
  writer.Call({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"});
  // Five fast consumers queue up first; the slow one, with a 1500 ms deadline, queues last.
  std::vector<std::unique_ptr<RawClient>> fast;
  for (int i = 0; i < 5; ++i) {
    fast.push_back(std::make_unique<RawClient>(server.port()));
    fast.back()->SendCommand({"XREADGROUP", "GROUP", "g", "fast" + std::to_string(i), "BLOCK", "0",
                              "STREAMS", "s", ">"});
    REQUIRE(WaitBlocked(admin, i + 1));
  }
  auto start = std::chrono::steady_clock::now();
  slow.SendCommand({"XREADGROUP", "GROUP", "g", "slow", "BLOCK", "1500", "STREAMS", "s", ">"});
  REQUIRE(WaitBlocked(admin, 6));
  // Each entry goes to the first fast consumer still waiting; the slow one is passed over.
  for (int i = 0; i < 5; ++i) {
    writer.Call({"XADD", "s", "*", "n", std::to_string(i)});
    CHECK(ReadIds(fast[static_cast<size_t>(i)]->Read()).size() == 1);
    REQUIRE(WaitBlocked(admin, 5 - i));
  }
  // An entry added and deleted in one transaction wakes the slow one, which finds nothing and
  // blocks again (Redis 7.2+; 7.0 answered an empty array here) -- with its first deadline.
  writer.Call({"MULTI"});
  writer.Call({"XADD", "s", "999999999999999-1", "n", "gone"});
  writer.Call({"XDEL", "s", "999999999999999-1"});
  CHECK(writer.Call({"EXEC"}).elements.size() == 2);
  CHECK(slow.Silent(30));
  CHECK(BlockedClients(admin) == 1);
  CHECK(slow.ReadRaw(5000) == "*-1\r\n");
  int64_t took = MsSince(start);
  CHECK(took >= 1490);
  CHECK(took < 4000);
  CHECK(Pending(admin, "s", "g", "slow").empty());
  Reply groups = admin.Call({"XINFO", "GROUPS", "s"});
  REQUIRE(groups.elements.size() == 1);
  CHECK(Field(groups.elements[0], "consumers").integer == 6);
  CHECK(Field(groups.elements[0], "pending").integer == 5);
}

TEST_CASE("DEL, XGROUP DESTROY, FLUSHALL and a type change wake a blocked XREADGROUP") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient reader(server.port()), other(server.port()), admin(server.port());
  auto block = [&](RawClient& c, const std::string& group) {
    c.SendCommand({"XREADGROUP", "GROUP", group, "c", "BLOCK", "0", "STREAMS", "k", ">"});
  };

  SUBCASE("DEL") {
    admin.Call({"XGROUP", "CREATE", "k", "g", "$", "MKSTREAM"});
    block(reader, "g");
    REQUIRE(WaitBlocked(admin, 1));
    admin.Call({"DEL", "k"});
    Reply r = reader.Read();
    CHECK(r.is_error());
    CHECK(r.str == kNoGroupK);
  }
  SUBCASE("DEL and re-create without the group in one transaction") {
    admin.Call({"XGROUP", "CREATE", "k", "g", "$", "MKSTREAM"});
    block(reader, "g");
    REQUIRE(WaitBlocked(admin, 1));
    admin.Call({"MULTI"});
    admin.Call({"DEL", "k"});
    admin.Call({"XADD", "k", "1-1", "a", "1"});
    admin.Call({"EXEC"});
    CHECK(reader.Read().str == kNoGroupK);
  }
  SUBCASE("XGROUP DESTROY wakes only that group's waiters") {
    admin.Call({"XGROUP", "CREATE", "k", "g", "$", "MKSTREAM"});
    admin.Call({"XGROUP", "CREATE", "k", "other", "$"});
    block(reader, "g");
    block(other, "other");
    REQUIRE(WaitBlocked(admin, 2));
    CHECK(admin.Call({"XGROUP", "DESTROY", "k", "g"}).integer == 1);
    CHECK(reader.Read().str == kNoGroupK);
    CHECK(other.Silent(30));
    CHECK(BlockedClients(admin) == 1);
    admin.Call({"XADD", "k", "1-1", "a", "1"});
    CHECK(ReadIds(other.Read()) == std::vector<std::string>{"1-1"});
  }
  SUBCASE("FLUSHALL") {
    admin.Call({"XGROUP", "CREATE", "k", "g", "$", "MKSTREAM"});
    block(reader, "g");
    REQUIRE(WaitBlocked(admin, 1));
    admin.Call({"FLUSHALL"});
    CHECK(reader.Read().str == kNoGroupK);
  }
  SUBCASE("a type change") {
    admin.Call({"XGROUP", "CREATE", "k", "g", "$", "MKSTREAM"});
    block(reader, "g");
    REQUIRE(WaitBlocked(admin, 1));
    admin.Call({"SET", "k", "a string now"});
    Reply r = reader.Read();
    CHECK(r.is_error());
    CHECK(r.str == "WRONGTYPE Operation against a key holding the wrong kind of value");
  }
  REQUIRE(WaitBlocked(admin, 0));
  // The woken connection is usable again.
  CHECK(reader.Call({"PING"}).str == "PONG");
}

TEST_CASE("a blocked consumer that disconnects leaves its entries to the others") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient admin(server.port()), next(server.port());
  admin.Call({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"});
  {
    RawClient gone(server.port());
    gone.SendCommand({"XREADGROUP", "GROUP", "g", "gone", "BLOCK", "0", "STREAMS", "s", ">"});
    REQUIRE(WaitBlocked(admin, 1));
  }
  REQUIRE(WaitBlocked(admin, 0));
  admin.Call({"XADD", "s", "1-1", "a", "1"});
  CHECK(admin.Call({"XPENDING", "s", "g"}).elements[0].integer == 0);
  CHECK(ReadIds(next.Call({"XREADGROUP", "GROUP", "g", "next", "STREAMS", "s", ">"})) ==
        std::vector<std::string>{"1-1"});
}

TEST_CASE("XREADGROUP in RESP3: a map per stream, nulls for nothing and for deleted entries") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient c(server.port()), writer(server.port()), admin(server.port());
  REQUIRE(c.Call({"HELLO", "3"}).type == Reply::Type::kMap);
  writer.Call({"XADD", "s", "1-1", "a", "1"});
  writer.Call({"XADD", "t", "2-1", "b", "2"});
  writer.Call({"XGROUP", "CREATE", "s", "g", "0"});
  writer.Call({"XGROUP", "CREATE", "t", "g", "0"});

  Reply r = c.Call({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "t", ">", ">"});
  REQUIRE(r.type == Reply::Type::kMap);
  REQUIRE(r.elements.size() == 4);  // key, entries, key, entries
  CHECK(r.elements[0].str == "s");
  CHECK(r.elements[1].type == Reply::Type::kArray);
  CHECK(r.elements[1].elements[0].elements[0].str == "1-1");
  CHECK(r.elements[2].str == "t");
  c.SendCommand({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"});
  CHECK(c.ReadRaw() == "_\r\n");
  c.SendCommand({"XREADGROUP", "GROUP", "g", "alice", "BLOCK", "10", "STREAMS", "s", ">"});
  CHECK(c.ReadRaw() == "_\r\n");

  // Woken in RESP3
  c.SendCommand({"XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">"});
  REQUIRE(WaitBlocked(admin, 1));
  writer.Call({"XADD", "s", "3-1", "c", "3"});
  CHECK(c.ReadRaw() == "%1\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n3-1\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n");

  // History with an entry deleted since: [id, null]
  writer.Call({"XDEL", "s", "1-1"});
  c.SendCommand({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"});
  CHECK(c.ReadRaw() ==
        "%1\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n1-1\r\n_\r\n*2\r\n$3\r\n3-1\r\n*2\r\n$1\r\nc\r\n$"
        "1\r\n3\r\n");
  // An empty history is an empty array, not a null
  c.SendCommand({"XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", "0"});
  CHECK(c.ReadRaw() == "%1\r\n$1\r\ns\r\n*0\r\n");
  // Errors are the same in RESP3
  Reply err = c.Call({"XREADGROUP", "GROUP", "nogroup", "alice", "STREAMS", "s", ">"});
  CHECK(err.str ==
        "NOGROUP No such key 's' or consumer group 'nogroup' in XREADGROUP with GROUP "
        "option");
  // XPENDING's empty summary uses RESP3 nulls
  writer.Call({"XGROUP", "CREATE", "e", "g", "$", "MKSTREAM"});
  c.SendCommand({"XPENDING", "e", "g"});
  CHECK(c.ReadRaw() == "*4\r\n:0\r\n_\r\n_\r\n_\r\n");
}

TEST_CASE("XINFO CONSUMERS: idle restarts at every attempt, inactive only when entries come") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient c(server.port()), admin(server.port());
  admin.Call({"XADD", "s", "1-1", "a", "1"});
  admin.Call({"XGROUP", "CREATE", "s", "g", "0"});
  CHECK(ConsumerField(admin, "s", "g", "c", "idle") == -999);  // no such consumer yet
  REQUIRE(ReadIds(c.Call({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"})).size() == 1);
  REQUIRE(WaitFor([&] { return ConsumerField(admin, "s", "g", "c", "inactive") >= 200; }));
  // A read that gets nothing is an attempt (Redis 7.2, issue #9996): idle restarts, inactive
  // keeps counting from the last read that delivered something.
  CHECK(c.Call({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"}).is_null());
  CHECK(ConsumerField(admin, "s", "g", "c", "idle") < 200);
  CHECK(ConsumerField(admin, "s", "g", "c", "inactive") >= 200);
  // XPENDING and XINFO are not interactions of the consumer; a NOACK read adds nothing pending.
  int64_t idle_before = ConsumerField(admin, "s", "g", "c", "idle");
  REQUIRE(WaitFor([&] { return ConsumerField(admin, "s", "g", "c", "idle") > idle_before; }));
  admin.Call({"XPENDING", "s", "g", "-", "+", "10", "c"});
  CHECK(ConsumerField(admin, "s", "g", "c", "idle") > idle_before);
  admin.Call({"XADD", "s", "2-1", "b", "2"});
  CHECK(ReadIds(c.Call({"XREADGROUP", "GROUP", "g", "c", "NOACK", "STREAMS", "s", ">"})).size() ==
        1);
  CHECK(ConsumerField(admin, "s", "g", "c", "pending") == 1);
  // A consumer that never got entries reports inactive -1.
  admin.Call({"XGROUP", "CREATECONSUMER", "s", "g", "fresh"});
  CHECK(ConsumerField(admin, "s", "g", "fresh", "inactive") == -1);
  CHECK(ConsumerField(admin, "s", "g", "fresh", "idle") >= 0);
}
