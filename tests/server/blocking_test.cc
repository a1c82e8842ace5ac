// Blocking, in process: the registry's bookkeeping, and the dispatcher serving blocked XREAD and
// XREADGROUP clients — in arrival order, never before their deadline, re-run only when a change
// could let them answer, woken by time for XREADGROUP CLAIM.
#include "dispatch/blocking.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/server/harness.h"

namespace runnel::testing {
namespace {

using dispatch::BlockingRegistry;

std::vector<uint64_t> Waiters(const BlockingRegistry& r, int db, const char* key) {
  std::vector<uint64_t> out{99};  // Waiters replaces what the buffer held
  r.Waiters(db, key, &out);
  return out;
}

TEST_CASE("BlockingRegistry: FIFO per key, deadlines and wakes in time order") {
  BlockingRegistry r(2);
  auto a = r.Add(1, 0, {"k", "j"}, 500);
  auto b = r.Add(2, 0, {"k"}, 0);
  auto c = r.Add(3, 1, {"k"}, 300);
  CHECK(Waiters(r, 0, "k") == std::vector<uint64_t>{1, 2});
  CHECK(Waiters(r, 0, "j") == std::vector<uint64_t>{1});
  CHECK(Waiters(r, 1, "k") == std::vector<uint64_t>{3});
  CHECK(r.blocked_clients() == 3);
  CHECK(*r.NextTimeUs(true) == 300);
  r.SetWake(2, b, 200);
  CHECK(*r.NextTimeUs(true) == 200);
  CHECK(*r.NextTimeUs(false) == 300);  // deadlines only
  CHECK(r.DueWakes(250) == std::vector<uint64_t>{2});
  CHECK(r.Expired(499) == std::vector<uint64_t>{3});
  CHECK(r.Expired(500) == std::vector<uint64_t>{3, 1});
  r.MarkReady(0, "k");
  r.MarkReady(0, "k");
  r.MarkReady(0, "nobody");  // no waiters: not ready
  CHECK(r.TakeReady() == std::vector<std::pair<int, std::string>>{{0, "k"}});
  r.Remove(1, a);
  CHECK(Waiters(r, 0, "k") == std::vector<uint64_t>{2});
  CHECK_FALSE(r.HasWaiters(0, "j"));
  CHECK(Waiters(r, 0, "j").empty());
  r.Remove(2, b);
  r.Remove(3, c);
  CHECK(r.blocked_clients() == 0);
  CHECK_FALSE(r.NextTimeUs(true));
}

TEST_CASE("a BLOCK timeout answers at its deadline, never a millisecond before") {
  Harness h;
  h.Send({"XREAD", "BLOCK", "100", "STREAMS", "s", "$"}, 1);
  CHECK(h.Take(1).empty());
  h.Advance(99);
  CHECK(h.Take(1).empty());
  h.Advance(1);
  std::vector<resp::Reply> replies = h.Take(1);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].is_null());
  CHECK(h.dispatcher().blocking().blocked_clients() == 0);
}

// The range check (timeout + now must fit) is made when the client blocks; the re-run after a
// write, a little later, must not fail it against the new time.
TEST_CASE("a blocked read whose timeout just fit is served, not refused, when it re-runs") {
  Harness h;
  const std::string longest = std::to_string(INT64_MAX - h.now_ms);
  h.Send({"XREAD", "BLOCK", longest, "STREAMS", "s", "$"}, 1);
  CHECK(h.Take(1).empty());
  h.Advance(5);
  h.Run({"XADD", "s", "1-1", "f", "v"});
  std::vector<resp::Reply> replies = h.Take(1);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].ToString() == R"([["s", [["1-1", ["f", "v"]]]]])");
}

TEST_CASE("blocked XREADGROUP clients are served in arrival order, one entry each") {
  Harness h;
  REQUIRE(h.Run({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}).str == "OK");
  for (int c = 1; c <= 3; ++c) {
    h.Send({"XREADGROUP", "GROUP", "g", "c" + std::to_string(c), "COUNT", "1", "BLOCK", "0",
            "STREAMS", "s", ">"},
           c);
  }
  CHECK(h.dispatcher().blocking().blocked_clients() == 3);
  size_t before = h.records.size();
  h.Run({"XADD", "s", "1-1", "f", "v"});
  CHECK(h.Take(1).size() == 1);
  CHECK(h.Take(2).empty());  // passed over: the group has nothing left
  CHECK(h.Take(3).empty());
  // The served read's effects are logged after the XADD's, in a record of their own.
  CHECK(h.records.size() == before + 2);
  h.Run({"XADD", "s", "2-1", "f", "v"});
  CHECK(h.Take(2).size() == 1);
  CHECK(h.Take(3).empty());
  h.Disconnect(3);  // a disconnect cancels the wait
  CHECK(h.dispatcher().blocking().blocked_clients() == 0);
  CHECK(h.DumpReplayed() == h.Dump());
}

TEST_CASE("dropping the group wakes its blocked readers with NOGROUP; XREAD waits on") {
  Harness h;
  REQUIRE(h.Run({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}).str == "OK");
  h.Send({"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"}, 1);
  h.Send({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"}, 2);
  h.Run({"XGROUP", "DESTROY", "s", "g"});
  std::vector<resp::Reply> replies = h.Take(1);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].str.rfind("NOGROUP", 0) == 0);
  h.Run({"DEL", "s"});
  CHECK(h.Take(2).empty());
  h.Run({"XADD", "s", "1-1", "f", "v"});
  CHECK(h.Take(2).size() == 1);
}

TEST_CASE("a blocked XREADGROUP CLAIM wakes when a pending entry becomes idle enough") {
  Harness h;
  REQUIRE(h.Run({"XGROUP", "CREATE", "s", "g", "0", "MKSTREAM"}).str == "OK");
  h.Run({"XADD", "s", "1-1", "f", "v"});
  h.Run({"XREADGROUP", "GROUP", "g", "first", "STREAMS", "s", ">"});
  h.Send({"XREADGROUP", "GROUP", "g", "second", "CLAIM", "500", "BLOCK", "0", "STREAMS", "s", ">"},
         1);
  h.Advance(499);
  CHECK(h.Take(1).empty());
  h.Advance(1);
  std::vector<resp::Reply> replies = h.Take(1);
  REQUIRE(replies.size() == 1);
  // [[s, [[1-1, [f, v], idle, deliveries]]]]
  const resp::Reply& entry = replies[0].elements.at(0).elements.at(1).elements.at(0);
  CHECK(entry.elements.at(0).str == "1-1");
  CHECK(entry.elements.at(2).integer == 500);
  CHECK(entry.elements.at(3).integer == 1);
  CHECK(h.DumpReplayed() == h.Dump());
}

// As a connection holds its input while it is blocked, so does the harness: a command sent to a
// blocked client runs once the client is served. (The harness once ran it at once, building a
// second registration over the first whose deadline then fired forever: found by
// fuzz/dispatcher as a 10-minute program, corpus file regression_command_to_blocked_client.)

TEST_CASE("harness: commands sent to a blocked client wait until it is served") {
  Harness h;
  h.Send({"XREAD", "BLOCK", "2", "STREAMS", "s", "$"}, 0);
  h.Send({"XREAD", "BLOCK", "0", "STREAMS", "t", "$"}, 0);
  h.Send({"PING"}, 0);
  CHECK(h.Take(0).empty());
  h.Advance(5);  // the first read times out; the second blocks; PING waits behind it
  std::vector<resp::Reply> first = h.Take(0);
  REQUIRE(first.size() == 1);
  CHECK(first[0].type == resp::Reply::Type::kNull);
  CHECK(h.Run({"XADD", "t", "1-1", "f", "v"}, 1).str == "1-1");
  std::vector<resp::Reply> rest = h.Take(0);
  REQUIRE(rest.size() == 2);
  CHECK(rest[1].str == "PONG");
  CHECK_FALSE(h.dispatcher().NextTimerUs().has_value());  // nothing left to fire
}

}  // namespace
}  // namespace runnel::testing
