// Stream retention and delayed entries (docs/queues.md) over real connections, where the clock
// and the timer matter: delayed entries appended on time and waking blocked readers, listed and
// cancelled in RESP2 and RESP3, carried by RENAME and dropped by DEL and FLUSHDB, appended after
// a restart when they fell due while the server was down; retention ageing out old entries by
// the cron (and not the ones a group still needs under ACKED); everything surviving kill -9
// under appendfsync always. The data structures are model-tested in tests/streams
// (schedule_test.cc, retention_test.cc), and every command runs in the replay-equals-live
// workloads.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

#include "server_process.h"

using namespace runnel::testing;
using runnel::resp::Reply;

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A field of XINFO STREAM's flat RESP2 reply, or a nil reply.
Reply StreamField(RawClient& c, const std::string& key, const std::string& name) {
  Reply info = c.Call({"XINFO", "STREAM", key});
  for (size_t i = 0; i + 1 < info.elements.size(); i += 2) {
    if (info.elements[i].str == name) return info.elements[i + 1];
  }
  return Reply{};
}

uint64_t IdMs(const std::string& id) { return std::stoull(id.substr(0, id.find('-'))); }

}  // namespace

TEST_CASE("delayed: an entry is appended when due, waking a blocked reader, not before") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient c(server.port()), reader(server.port());
  reader.SendCommand({"XREAD", "BLOCK", "5000", "STREAMS", "jobs", "$"});
  REQUIRE(WaitBlocked(c, 1));
  const int64_t asked = NowMs();
  Reply handle = c.Call({"XADD", "jobs", "DELAY", "300", "*", "job", "later"});
  REQUIRE(handle.type == Reply::Type::kBulk);
  const uint64_t due = IdMs(handle.str);
  CHECK(due >= static_cast<uint64_t>(asked + 300));
  CHECK(c.Call({"XLEN", "jobs"}).integer == 0);  // the stream exists, empty
  CHECK(c.Call({"EXISTS", "jobs"}).integer == 1);
  CHECK(StreamField(c, "jobs", "scheduled-entries").integer == 1);
  CHECK(StreamField(c, "jobs", "next-scheduled-ms").integer == static_cast<int64_t>(due));
  Reply woke = reader.Read();
  const int64_t woke_at = NowMs();
  REQUIRE(woke.elements.size() == 1);
  const Reply& entry = woke.elements[0].elements[1].elements[0];
  CHECK(IdMs(entry.elements[0].str) >= due);  // a fresh ID, made when it was appended
  CHECK(entry.elements[1].elements[1].str == "later");
  CHECK(woke_at >= static_cast<int64_t>(due));
  MESSAGE("appended " << woke_at - static_cast<int64_t>(due) << " ms after it was due");
  CHECK(woke_at - static_cast<int64_t>(due) < 200);  // "within 10 ms" is measured in the bench
  CHECK(StreamField(c, "jobs", "scheduled-entries").integer == 0);
  CHECK(StreamField(c, "jobs", "next-scheduled-ms").type == Reply::Type::kNull);
}

TEST_CASE("delayed: listing and cancelling in RESP2 and RESP3, and the errors") {
  ServerProcess server;
  REQUIRE(server.Start());
  for (int protocol : {2, 3}) {
    CAPTURE(protocol);
    RawClient c(server.port());
    c.Call({"FLUSHALL"});
    if (protocol == 3) c.Call({"HELLO", "3"});
    const int64_t far = NowMs() + 3600000;
    std::string h3 = c.Call({"XADD", "q", "AT", std::to_string(far + 3), "*", "n", "3"}).str;
    std::string h1 = c.Call({"XADD", "q", "AT", std::to_string(far + 1), "*", "n", "1"}).str;
    std::string h2 = c.Call({"XADD", "q", "AT", std::to_string(far + 1), "*", "n", "2"}).str;
    CHECK(h1 < h2);  // same due time: scheduling order
    Reply all = c.Call({"XSCHEDULE", "LIST", "q", "-", "+"});
    REQUIRE(all.elements.size() == 3);
    CHECK(all.elements[0].elements[0].str == h1);
    CHECK(all.elements[1].elements[0].str == h2);
    CHECK(all.elements[2].elements[0].str == h3);
    CHECK(all.elements[2].elements[1].elements[1].str == "3");
    // Pagination as with XRANGE: an exclusive start after the last handle seen.
    Reply page = c.Call({"XSCHEDULE", "LIST", "q", "(" + h1, "+", "COUNT", "1"});
    REQUIRE(page.elements.size() == 1);
    CHECK(page.elements[0].elements[0].str == h2);
    // Plain due times as bounds.
    CHECK(c.Call({"XSCHEDULE", "LIST", "q", std::to_string(far + 2), "+"}).elements.size() == 1);
    CHECK(c.Call({"XSCHEDULE", "CANCEL", "q", h2, h2, "1-1"}).integer == 1);
    CHECK(c.Call({"XSCHEDULE", "LIST", "q", "-", "+"}).elements.size() == 2);
    CHECK(c.Call({"XSCHEDULE", "CANCEL", "nokey", h1}).integer == 0);
    CHECK(c.Call({"XSCHEDULE", "LIST", "nokey", "-", "+"}).elements.empty());
    CHECK(c.Call({"XLEN", "q"}).integer == 0);
    // NOMKSTREAM: nothing is scheduled on a missing key.
    CHECK(c.Call({"XADD", "none", "NOMKSTREAM", "DELAY", "10", "*", "a", "b"}).type ==
          Reply::Type::kNull);
    CHECK(c.Call({"EXISTS", "none"}).integer == 0);
    // The errors.
    c.Call({"SET", "str", "x"});
    CHECK(c.Call({"XADD", "str", "DELAY", "10", "*", "a", "b"}).str.rfind("WRONGTYPE", 0) == 0);
    CHECK(c.Call({"XSCHEDULE", "LIST", "str", "-", "+"}).str.rfind("WRONGTYPE", 0) == 0);
    CHECK(c.Call({"XADD", "q", "DELAY", "-5", "*", "a", "b"}).str ==
          "ERR The DELAY value must be an integer between 0 and 140737488355327");
    CHECK(c.Call({"XADD", "q", "AT", "x", "*", "a", "b"}).str ==
          "ERR value is not an integer or out of range");
    CHECK(c.Call({"XADD", "q", "DELAY", "5", "5-1", "a", "b"}).str.find("need the * ID") !=
          std::string::npos);
    CHECK(c.Call({"XADD", "q", "IDMP", "p", "i", "DELAY", "5", "*", "a", "b"}).str.find("IDMP") !=
          std::string::npos);
    CHECK(c.Call({"XADD", "q", "MAXLEN", "5", "DELAY", "5", "*", "a", "b"}).str.find("MAXLEN") !=
          std::string::npos);
    CHECK(c.Call({"XADD", "q", "DELAY", "5", "AT", "5", "*", "a", "b"}).str ==
          "ERR DELAY or AT specified multiple times");
    CHECK(c.Call({"XSCHEDULE", "CANCEL", "q", "nope"}).str ==
          "ERR Invalid stream ID specified as stream command argument");
    CHECK(c.Call({"XSCHEDULE", "LIST", "q", "-", "+", "LIMIT", "1"}).str == "ERR syntax error");
    CHECK(c.Call({"XSCHEDULE", "NOPE"}).str.rfind("ERR unknown subcommand 'NOPE'", 0) == 0);
  }
}

TEST_CASE("delayed: RENAME carries the schedule, DEL and FLUSHDB drop it") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient c(server.port());
  c.Call({"XADD", "a", "DELAY", "200", "*", "job", "moved"});
  c.Call({"XADD", "gone", "DELAY", "200", "*", "job", "deleted"});
  c.Call({"RENAME", "a", "b"});
  c.Call({"DEL", "gone"});
  CHECK(c.Call({"XSCHEDULE", "LIST", "b", "-", "+"}).elements.size() == 1);
  c.Call({"SELECT", "1"});
  c.Call({"XADD", "flushed", "DELAY", "200", "*", "job", "db1"});
  c.Call({"FLUSHDB"});
  c.Call({"SELECT", "0"});
  REQUIRE(WaitFor([&] { return c.Call({"XLEN", "b"}).integer == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  // Nothing was appended under the old name, the deleted key or the flushed database.
  CHECK(c.Call({"EXISTS", "a", "gone"}).integer == 0);
  c.Call({"SELECT", "1"});
  CHECK(c.Call({"DBSIZE"}).integer == 0);
}

TEST_CASE("retention: RETENTION-MS ages entries out; ACKED keeps what a group has not finished") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient c(server.port());
  const int64_t old = NowMs() - 60000;
  for (int i = 0; i < 6; ++i) {
    c.Call({"XADD", "events", std::to_string(old + i) + "-0", "n", std::to_string(i)});
  }
  c.Call({"XADD", "events", "*", "n", "fresh"});
  c.Call({"XGROUP", "CREATE", "events", "g", "0"});
  c.Call({"XREADGROUP", "GROUP", "g", "c", "COUNT", "3", "STREAMS", "events", ">"});
  c.Call({"XACK", "events", "g", std::to_string(old) + "-0"});
  CHECK(c.Call({"XCFGSET", "events", "RETENTION-MS", "30000", "RETENTION-REFS", "ACKED"}).str ==
        "OK");
  // Only old+0 is delivered and acknowledged; old+1, old+2 are pending, the rest undelivered.
  REQUIRE(WaitFor([&] { return c.Call({"XLEN", "events"}).integer == 6; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // three more cron cycles
  CHECK(c.Call({"XLEN", "events"}).integer == 6);
  CHECK(StreamField(c, "events", "retention-refs").str == "acked");
  CHECK(StreamField(c, "events", "retention-ms").integer == 30000);
  c.Call({"XCFGSET", "events", "RETENTION-REFS", "KEEPREF"});
  REQUIRE(WaitFor([&] { return c.Call({"XLEN", "events"}).integer == 1; }));
  CHECK(c.Call({"XRANGE", "events", "-", "+"}).elements[0].elements[1].elements[1].str == "fresh");
  // Errors.
  CHECK(c.Call({"XCFGSET", "events", "RETENTION-MS", "-1"}).str ==
        "ERR The RETENTION-MS value must be an integer between 0 and 1099511627776");
  CHECK(c.Call({"XCFGSET", "events", "RETENTION-REFS", "DELREF"}).str ==
        "ERR RETENTION-REFS must be KEEPREF or ACKED");
  CHECK(c.Call({"XCFGSET", "events", "RETENTION-MAXLEN", "1", "RETENTION-MAXLEN", "2"}).str ==
        "ERR RETENTION-MAXLEN specified multiple times");
  CHECK(c.Call({"XCFGSET", "nokey", "RETENTION-MS", "5"}).str == "ERR no such key");
}

TEST_CASE("retention: the stream-retention-* defaults apply to new streams only") {
  ServerProcess server({"--stream-retention-maxlen", "100", "--stream-retention-refs", "acked"});
  REQUIRE(server.Start());
  RawClient c(server.port());
  CHECK(c.Call({"CONFIG", "GET", "stream-retention-maxlen"}).elements[1].str == "100");
  c.Call({"XADD", "s", "*", "a", "b"});
  CHECK(StreamField(c, "s", "retention-maxlen").integer == 100);
  CHECK(StreamField(c, "s", "retention-refs").str == "acked");
  c.Call({"CONFIG", "SET", "stream-retention-maxlen", "0", "stream-retention-refs", "keepref"});
  c.Call({"XADD", "t", "*", "a", "b"});
  CHECK(StreamField(c, "t", "retention-maxlen").type == Reply::Type::kNull);  // not shown: none
  CHECK(StreamField(c, "s", "retention-maxlen").integer == 100);
  CHECK(c.Call({"CONFIG", "SET", "stream-retention-refs", "delref"}).str.rfind("ERR", 0) == 0);
  // RETENTION-MAXLEN trims every XADD at block granularity.
  c.Call({"XCFGSET", "t", "RETENTION-MAXLEN", "150"});
  for (int i = 0; i < 1000; ++i) c.Call({"XADD", "t", "*", "n", std::to_string(i)});
  int64_t len = c.Call({"XLEN", "t"}).integer;
  CHECK(len >= 150);
  CHECK(len < 150 + 100);  // one block of stream-node-max-entries
}

TEST_CASE("delayed and retention: kill -9 under appendfsync always loses and repeats nothing") {
  ServerProcess server({"--appendfsync", "always"});
  REQUIRE(server.Start());
  std::string before;
  std::string soon_handle;
  {
    RawClient c(server.port());
    c.Call({"XADD", "jobs", "DELAY", "100", "*", "job", "fired"});
    soon_handle = c.Call({"XADD", "jobs", "DELAY", "1500", "*", "job", "due-while-down"}).str;
    c.Call({"XADD", "jobs", "DELAY", "3600000", "*", "job", "much-later"});
    std::string cancelled = c.Call({"XADD", "jobs", "DELAY", "3600000", "*", "job", "x"}).str;
    c.Call({"XSCHEDULE", "CANCEL", "jobs", cancelled});
    c.Call({"XCFGSET", "jobs", "RETENTION-MS", "3600000", "RETENTION-MAXLEN", "1000"});
    REQUIRE(WaitFor([&] { return c.Call({"XLEN", "jobs"}).integer == 1; }));
    before = c.Call({"XRANGE", "jobs", "-", "+"}).ToString();
  }
  CHECK(server.Stop(9) == 128 + 9);
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));  // the second one falls due
  REQUIRE(server.Start());
  RawClient c(server.port());
  // Appended right after loading, once, after the one appended before the kill.
  REQUIRE(WaitFor([&] { return c.Call({"XLEN", "jobs"}).integer == 2; }));
  Reply entries = c.Call({"XRANGE", "jobs", "-", "+"});
  CHECK(entries.elements[1].elements[1].elements[1].str == "due-while-down");
  CHECK(IdMs(entries.elements[1].elements[0].str) >= IdMs(soon_handle));
  Reply left = c.Call({"XSCHEDULE", "LIST", "jobs", "-", "+"});
  REQUIRE(left.elements.size() == 1);
  CHECK(left.elements[0].elements[1].elements[1].str == "much-later");
  CHECK(StreamField(c, "jobs", "retention-maxlen").integer == 1000);
  std::string after_fire = c.Call({"XRANGE", "jobs", "-", "+"}).ToString();
  // Through a snapshot (a log rewrite's base) too, and the appended entry is not appended again.
  c.Call({"BGREWRITEAOF"});
  REQUIRE(WaitFor([&] {
    return c.Call({"INFO", "persistence"}).str.find("aof_rewrite_in_progress:0") !=
           std::string::npos;
  }));
  const std::string full = c.Call({"XINFO", "STREAM", "jobs", "FULL"}).ToString() +
                           c.Call({"XSCHEDULE", "LIST", "jobs", "-", "+"}).ToString();
  CHECK(server.Stop(9) == 128 + 9);
  REQUIRE(server.Start());
  RawClient again(server.port());
  REQUIRE(WaitFor([&] { return again.Call({"XLEN", "jobs"}).integer == 2; }));
  CHECK(again.Call({"XINFO", "STREAM", "jobs", "FULL"}).ToString() +
            again.Call({"XSCHEDULE", "LIST", "jobs", "-", "+"}).ToString() ==
        full);
  CHECK(again.Call({"XRANGE", "jobs", "-", "+"}).ToString() == after_fire);
  CHECK(after_fire.find(before.substr(0, 20)) != std::string::npos);
}
