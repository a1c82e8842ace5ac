// The writes the server makes to streams on its own (dispatch/stream_upkeep.cc), in process:
// delayed entries that cannot be appended for a while and then can, the index of due streams
// staying one filing per key, and RETENTION-MS sharing its budget fairly between streams. Each
// ends by replaying the log and comparing.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/server/harness.h"

namespace runnel::testing {
namespace {

TEST_CASE("delayed entries of an exhausted stream wait, and are appended once XSETID lowers it") {
  Harness h;
  REQUIRE(h.Run({"XADD", "k", "DELAY", "300", "*", "a", "1"}).type == resp::Reply::Type::kBulk);
  REQUIRE(h.Run({"XSETID", "k", "18446744073709551615-18446744073709551615"}).str == "OK");
  h.Advance(2000);
  CHECK(h.Run({"XLEN", "k"}).integer == 0);
  CHECK(h.Run({"XSCHEDULE", "LIST", "k", "-", "+"}).elements.size() == 1);
  // A later entry than the stuck one: the stream must not be forgotten by the timer.
  REQUIRE(h.Run({"XSETID", "k", "5-5"}).str == "OK");
  h.Run({"XADD", "k", "DELAY", "100000", "*", "b", "2"});
  h.Advance(1500);
  CHECK(h.Run({"XLEN", "k"}).integer == 1);
  CHECK(h.Run({"XSCHEDULE", "LIST", "k", "-", "+"}).elements.size() == 1);
  CHECK(h.DumpReplayed() == h.Dump());
}

TEST_CASE("the index of due streams holds one filing per key, and none for a deleted key") {
  Harness h;
  streams::Database& db = h.dispatcher().keyspace().db(0);
  for (int i = 0; i < 500; ++i) {
    // Each new entry is earlier than the last: the filing moves, it is not added to.
    std::string at = std::to_string(h.now_ms + 3'600'000 - i);
    std::string handle = h.Run({"XADD", "churn", "AT", at, "*", "f", "v"}).str;
    h.Run({"XSCHEDULE", "CANCEL", "churn", handle});
    h.Run({"XADD", "gone" + std::to_string(i), "DELAY", "100000000", "*", "f", "v"});
    h.Run({"DEL", "gone" + std::to_string(i)});
  }
  CHECK(db.scheduled_filings() == 1);  // churn's; the deleted keys took theirs with them
  h.Run({"FLUSHDB"});
  CHECK(db.scheduled_filings() == 0);
}

TEST_CASE("RETENTION-MS under ACKED: a stream of held entries does not starve the others") {
  config::Config config;
  config.stream_node_max_entries = 50;
  Harness h(config);
  // Stream a: exactly 1,000 old entries (one age-out slice), all pending in a group. Before
  // the fix, its walk went round and round until the cycle's budget was gone.
  std::vector<std::string> add{"XADD", "a", "", "f", "v"};
  for (int i = 1; i <= 1000; ++i) {
    add[2] = std::to_string(i) + "-0";
    h.Run(add);
  }
  h.Run({"XGROUP", "CREATE", "a", "g", "0"});
  h.Run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", ">"});
  h.Run({"XCFGSET", "a", "RETENTION-MS", "1", "RETENTION-REFS", "ACKED"});
  for (int i = 1; i <= 10; ++i) h.Run({"XADD", "b", std::to_string(i) + "-0", "f", "v"});
  h.Run({"XCFGSET", "b", "RETENTION-MS", "1", "RETENTION-REFS", "ACKED"});
  h.Advance(300);
  CHECK(h.Run({"XLEN", "a"}).integer == 1000);  // all held
  CHECK(h.Run({"XLEN", "b"}).integer == 0);     // no group: all gone
  h.Run({"XACK", "a", "g", "500-0"});
  h.Advance(300);
  CHECK(h.Run({"XLEN", "a"}).integer == 999);
  CHECK(h.DumpReplayed() == h.Dump());
}

}  // namespace
}  // namespace runnel::testing
