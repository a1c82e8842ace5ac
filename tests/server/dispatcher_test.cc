// The dispatcher, in process (harness.h): what a command logs and counts, the refusals before a
// command runs, MULTI, and the rule that an error changes nothing.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/server/harness.h"

namespace runnel::testing {
namespace {

using Names = std::vector<std::string>;

TEST_CASE("a write that fails after its key expired logs the expiry alone, and replays") {
  Harness h;
  // The repro of the durability bug: SET lock x PX 20; 30 ms later RENAME lock lock2 fails,
  // yet the log said "DEL lock | RENAME lock lock2" and the server then refused to start.
  REQUIRE(h.Run({"SET", "lock", "x", "PX", "20"}).str == "OK");
  size_t before = h.records.size();
  h.now_ms += 30;  // past the TTL, and no cron has run
  CHECK(h.Run({"RENAME", "lock", "lock2"}).str == "ERR no such key");
  CHECK(h.EffectNames(before) == Names{"DEL"});
  CHECK(h.DumpReplayed() == h.Dump());

  SUBCASE("XGROUP CREATECONSUMER and XSETID on an expired stream") {
    REQUIRE(h.Run({"XADD", "s", "1-1", "f", "v"}).str == "1-1");
    REQUIRE(h.Run({"XGROUP", "CREATE", "s", "g", "0"}).str == "OK");
    REQUIRE(h.Run({"PEXPIRE", "s", "10"}).integer == 1);
    h.now_ms += 20;
    before = h.records.size();
    CHECK(h.Run({"XGROUP", "CREATECONSUMER", "s", "g", "c"}).is_error());
    CHECK(h.EffectNames(before) == Names{"DEL"});
    REQUIRE(h.Run({"XADD", "t", "1-1", "f", "v"}).str == "1-1");
    REQUIRE(h.Run({"PEXPIRE", "t", "10"}).integer == 1);
    h.now_ms += 20;
    before = h.records.size();
    CHECK(h.Run({"XSETID", "t", "5-5"}).str == "ERR no such key");
    CHECK(h.EffectNames(before) == Names{"DEL"});
    CHECK(h.DumpReplayed() == h.Dump());
  }
}

TEST_CASE("an error reply logs nothing and counts no change") {
  Harness h;
  REQUIRE(h.Run({"XADD", "s", "5-0", "f", "v"}).str == "5-0");
  size_t before = h.records.size();
  uint64_t changes = h.dispatcher().changes();
  CHECK(h.Run({"XADD", "s", "1-0", "f", "v"}).is_error());  // ID too small
  CHECK(h.Run({"XGROUP", "CREATE", "s", "g", "nope"}).is_error());
  CHECK(h.Run({"INCR", "s"}).is_error());  // wrong type
  CHECK(h.records.size() == before);
  CHECK(h.dispatcher().changes() == changes);
}

TEST_CASE("a read that changes nothing durable writes no record") {
  Harness h;
  REQUIRE(h.Run({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}).str == "OK");
  // The first read creates the consumer: that is durable and logged.
  size_t before = h.records.size();
  CHECK(h.Run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"}).is_null());
  CHECK(h.EffectNames(before) == Names{"XGROUP CREATECONSUMER"});
  before = h.records.size();
  for (int i = 0; i < 10; ++i) {
    h.now_ms += 5;
    CHECK(h.Run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"}).is_null());
    CHECK(h.Run({"XCLAIM", "s", "g", "c", "0", "1-1"}).elements.empty());
    CHECK(h.Run({"XAUTOCLAIM", "s", "g", "c", "0", "0"}).elements.size() == 3);
  }
  CHECK(h.records.size() == before);
  // The seen time those reads moved is written once, coalesced, by the cron.
  h.Advance(1000);
  CHECK(h.EffectNames(before) == Names{"RUNNEL-CONSUMER-TIMES"});
  CHECK(h.DumpReplayed() == h.Dump());
}

TEST_CASE("changes count as Redis counts them, group changes included") {
  Harness h;
  auto changes_of = [&](const std::vector<std::string>& args) {
    uint64_t before = h.dispatcher().changes();
    h.Run(args);
    return h.dispatcher().changes() - before;
  };
  CHECK(changes_of({"XADD", "s", "1-1", "f", "v"}) == 1);
  CHECK(changes_of({"XADD", "s", "MAXLEN", "0", "2-1", "f", "v"}) == 1);  // trim not counted
  CHECK(changes_of({"XADD", "s", "3-1", "f", "v"}) == 1);
  CHECK(changes_of({"XADD", "s", "4-1", "f", "v"}) == 1);
  CHECK(changes_of({"XGROUP", "CREATE", "s", "g", "0"}) == 1);
  CHECK(changes_of({"XGROUP", "CREATECONSUMER", "s", "g", "a"}) == 1);
  CHECK(changes_of({"XGROUP", "CREATECONSUMER", "s", "g", "a"}) == 0);
  // A delivery of several entries counts one, plus one for the consumer it creates.
  CHECK(changes_of({"XREADGROUP", "GROUP", "g", "b", "STREAMS", "s", ">"}) == 2);
  CHECK(changes_of({"XREADGROUP", "GROUP", "g", "b", "STREAMS", "s", ">"}) == 0);
  CHECK(changes_of({"XREADGROUP", "GROUP", "g", "b", "STREAMS", "s", "0"}) == 0);  // history
  CHECK(changes_of({"XCLAIM", "s", "g", "a", "0", "3-1", "4-1"}) == 2);
  CHECK(changes_of({"XACK", "s", "g", "3-1", "4-1", "9-9"}) == 2);
  CHECK(changes_of({"XGROUP", "SETID", "s", "g", "0"}) == 1);
  CHECK(changes_of({"XGROUP", "DELCONSUMER", "s", "g", "a"}) == 1);
  CHECK(changes_of({"XGROUP", "DESTROY", "s", "g"}) == 1);
  CHECK(changes_of({"XTRIM", "s", "MAXLEN", "0"}) == 2);
  CHECK(changes_of({"SET", "k", "v", "PX", "10"}) == 1);
  CHECK(changes_of({"MSET", "a", "1", "b", "2"}) == 2);
  h.now_ms += 20;
  CHECK(changes_of({"GET", "k"}) == 0);  // an expiry is no change (as in Redis)
  CHECK(changes_of({"FLUSHDB"}) == 3);
}

TEST_CASE("refusals come before the command, in redis-server's order") {
  Harness h;
  CHECK(h.Run({"NOSUCH", "x"}).str.rfind("ERR unknown command 'NOSUCH'", 0) == 0);
  CHECK(h.Run({"XADD", "s"}).str == "ERR wrong number of arguments for 'xadd' command");
  h.client(1).authenticated = false;
  CHECK(h.Run({"XLEN", "s"}, 1).str == "NOAUTH Authentication required.");
  CHECK(h.Run({"MULTI"}).str == "OK");
  CHECK(h.Run({"SET", "a", "1"}).str == "QUEUED");
  CHECK(h.Run({"XADD", "s", "*"}).is_error());  // arity: the transaction is doomed
  CHECK(h.Run({"EXEC"}).str.rfind("EXECABORT", 0) == 0);
  CHECK(h.Run({"GET", "a"}).is_null());
}

TEST_CASE("MULTI/EXEC with SELECT inside is one record that replays whole") {
  Harness h;
  size_t before = h.records.size();
  REQUIRE(h.Run({"MULTI"}).str == "OK");
  h.Run({"XADD", "s", "1-1", "f", "v"});
  h.Run({"SELECT", "2"});
  h.Run({"SET", "k", "v"});
  h.Run({"XADD", "s", "0-0", "f", "v"});  // fails inside EXEC: logs nothing
  h.Run({"SELECT", "0"});
  h.Run({"INCR", "n"});
  resp::Reply r = h.Run({"EXEC"});
  REQUIRE(r.elements.size() == 6);
  CHECK(r.elements[3].is_error());
  CHECK(h.records.size() == before + 1);
  CHECK(h.EffectNames(before) == Names{"XADD", "XCFGSET", "SELECT", "SET", "SELECT", "SET"});
  CHECK(h.DumpReplayed() == h.Dump());
}

// Found by fuzz/dispatcher: SCAN's bucket budget (COUNT * 10) overflowed for a COUNT near
// INT64_MAX, undefined behaviour that in practice ended the scan after one bucket.
TEST_CASE("SCAN with the largest COUNT walks the whole database in one call") {
  Harness h;
  for (int i = 0; i < 200; ++i) h.Run({"SET", "k" + std::to_string(i), "v"});
  resp::Reply r = h.Run({"SCAN", "0", "COUNT", "9223372036854775807"});
  REQUIRE(r.elements.size() == 2);
  CHECK(r.elements[0].str == "0");
  CHECK(r.elements[1].elements.size() == 200);
}

// Found by fuzz/dispatcher (UBSan): the length check formed offset + length, which overflowed
// for an offset near INT64_MAX. Both are refused as too long, as Redis refuses them.
TEST_CASE("SETRANGE with an offset near INT64_MAX is too long, not an overflow") {
  Harness h;
  CHECK(h.Run({"SETRANGE", "k", "9223372036854775807", "abc"}).str ==
        "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  CHECK(h.Run({"SET", "k", "v"}).str == "OK");
  CHECK(h.Run({"APPEND", "k", "w"}).integer == 2);
  CHECK(h.Run({"EXISTS", "k"}).integer == 1);
}

}  // namespace
}  // namespace runnel::testing
