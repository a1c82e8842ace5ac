// Redis 8.4–8.8 behaviour that needs a running server and time to pass: a blocked XREADGROUP
// CLAIM woken when a pending entry ages into eligibility (no write happens) and by XNACK; the
// CLAIM reply's shape in RESP3; XADD IDMP iids expired by the cron after IDMP-DURATION, and the
// IDMP settings and counters surviving a crash. Reply details without timing are in the
// differential scripts 125–127, whose restart check covers the log replay of each effect.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "server_process.h"

using namespace runnel::testing;
using runnel::resp::Reply;

namespace {

// XINFO STREAM's field `name` (a flat RESP2 key/value array).
int64_t StreamInfoInt(RawClient& c, const std::string& key, const std::string& name) {
  Reply info = c.Call({"XINFO", "STREAM", key});
  for (size_t i = 0; i + 1 < info.elements.size(); i += 2) {
    if (info.elements[i].str == name) return info.elements[i + 1].integer;
  }
  FAIL("XINFO STREAM has no " << name << ": " << info.ToString());
  return -1;
}

// Stream s, group g, entry 1-0 delivered to `consumer` and pending.
void OnePendingEntry(RawClient& c, const std::string& consumer) {
  c.Call({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"});
  c.Call({"XADD", "s", "1-0", "job", "1"});
  c.Call({"XREADGROUP", "GROUP", "g", consumer, "STREAMS", "s", ">"});
}

}  // namespace

TEST_CASE("a blocked XREADGROUP CLAIM wakes when a pending entry becomes idle enough") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient reader(server.port()), admin(server.port());
  OnePendingEntry(admin, "crashed");
  auto start = std::chrono::steady_clock::now();
  reader.SendCommand(
      {"XREADGROUP", "GROUP", "g", "rescuer", "BLOCK", "5000", "CLAIM", "400", "STREAMS", "s", ">"});
  REQUIRE(WaitBlocked(admin, 1));
  Reply r = reader.Read();
  int64_t waited = MsSince(start);
  // Not before the entry was 400 ms idle, and not at the 5 s timeout either.
  CHECK(waited >= 390);
  CHECK(waited < 2500);
  REQUIRE(r.elements.size() == 1);
  const Reply& entry = r.elements[0].elements[1].elements[0];
  REQUIRE(entry.elements.size() == 4);
  CHECK(entry.elements[0].str == "1-0");
  CHECK(entry.elements[2].integer >= 400);  // idle before the claim
  CHECK(entry.elements[3].integer == 1);    // delivered once before
  Reply pending = admin.Call({"XPENDING", "s", "g", "-", "+", "10"});
  CHECK(pending.elements[0].elements[1].str == "rescuer");
  CHECK(pending.elements[0].elements[3].integer == 2);
}

TEST_CASE("XNACK wakes a blocked CLAIM reader at once; entries delivered later wake it too") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient reader(server.port()), admin(server.port());
  OnePendingEntry(admin, "worker");
  // An hour of min-idle: only a release can make the entry claimable.
  reader.SendCommand({"XREADGROUP", "GROUP", "g", "other", "BLOCK", "0", "CLAIM", "3600000",
                      "STREAMS", "s", ">"});
  REQUIRE(WaitBlocked(admin, 1));
  CHECK(reader.Silent(100));
  auto start = std::chrono::steady_clock::now();
  CHECK(admin.Call({"XNACK", "s", "g", "FAIL", "IDS", "1", "1-0"}).integer == 1);
  Reply r = reader.Read();
  CHECK(MsSince(start) < 1000);
  REQUIRE(r.elements.size() == 1);
  CHECK(r.elements[0].elements[1].elements[0].elements[0].str == "1-0");
  CHECK(r.elements[0].elements[1].elements[0].elements[3].integer == 1);

  // CLAIM 0 with nothing pending: an entry another consumer takes becomes pending, and so
  // claimable at once.
  admin.Call({"XACK", "s", "g", "1-0"});
  reader.SendCommand(
      {"XREADGROUP", "GROUP", "g", "thief", "BLOCK", "0", "CLAIM", "0", "STREAMS", "s", ">"});
  REQUIRE(WaitBlocked(admin, 1));
  admin.Call({"XADD", "s", "2-0", "job", "2"});
  Reply first = reader.Read();  // the XADD itself wakes the reader with the new entry
  CHECK(first.elements[0].elements[1].elements[0].elements[0].str == "2-0");
  CHECK(first.elements[0].elements[1].elements[0].elements[3].integer == 0);  // a new entry
}

TEST_CASE("XREADGROUP CLAIM entries in RESP3: integers for idle time and delivery count") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient c(server.port());
  c.Call({"HELLO", "3"});
  c.Call({"XGROUP", "CREATE", "s", "g", "0", "MKSTREAM"});
  c.Call({"XADD", "s", "1-0", "a", "1"});
  c.Call({"XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">"});
  c.Call({"XADD", "s", "2-0", "b", "2"});
  Reply r = c.Call({"XREADGROUP", "GROUP", "g", "c2", "CLAIM", "0", "STREAMS", "s", ">"});
  REQUIRE(r.type == Reply::Type::kMap);
  REQUIRE(r.elements.size() == 2);
  CHECK(r.elements[0].str == "s");
  const Reply& entries = r.elements[1];
  REQUIRE(entries.elements.size() == 2);
  CHECK(entries.elements[0].elements[0].str == "1-0");
  CHECK(entries.elements[0].elements[2].type == Reply::Type::kInteger);
  CHECK(entries.elements[0].elements[3].integer == 1);
  CHECK(entries.elements[1].elements[0].str == "2-0");
  CHECK(entries.elements[1].elements[2].integer == 0);
  CHECK(entries.elements[1].elements[3].integer == 0);
}

TEST_CASE("IDMP iids expire after IDMP-DURATION, and the expiry survives a crash") {
  ServerProcess server({"--appendfsync", "always"});
  REQUIRE(server.Start());
  {
    RawClient c(server.port());
    std::string first = c.Call({"XADD", "s", "IDMP", "p", "req-1", "*", "f", "v"}).str;
    CHECK(c.Call({"XADD", "s", "IDMP", "p", "req-1", "*", "f", "v"}).str == first);
    CHECK(c.Call({"XCFGSET", "s", "IDMP-DURATION", "1"}).str == "OK");  // clears req-1
    c.Call({"XADD", "s", "IDMP", "p", "req-2", "*", "f", "v"});
    CHECK(StreamInfoInt(c, "s", "iids-tracked") == 1);
    // The cron drops req-2 once its entry is more than a second old.
    CHECK(WaitFor([&] { return StreamInfoInt(c, "s", "iids-tracked") == 0; }, 4000));
    CHECK(StreamInfoInt(c, "s", "pids-tracked") == 0);
    c.Call({"XADD", "s", "IDMP", "p", "req-3", "*", "f", "v"});
  }
  CHECK(server.Stop(9) == 128 + 9);
  REQUIRE(server.Start());
  RawClient c(server.port());
  REQUIRE(WaitFor([&] { return c.Call({"XLEN", "s"}).integer == 3; }));
  CHECK(StreamInfoInt(c, "s", "idmp-duration") == 1);
  CHECK(StreamInfoInt(c, "s", "iids-added") == 3);
  CHECK(StreamInfoInt(c, "s", "iids-duplicates") == 1);
  // req-2 expired before the crash (the log's expiry effect, or the cron again after the
  // load), so it is new again.
  Reply again = c.Call({"XADD", "s", "IDMP", "p", "req-2", "*", "f", "v"});
  CHECK(again.type == Reply::Type::kBulk);
  CHECK(c.Call({"XLEN", "s"}).integer == 4);
}
