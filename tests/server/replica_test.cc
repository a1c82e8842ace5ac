// The dispatcher as a replica, in-process: records a master made, applied one by one
// (Dispatcher::ApplyReplicated), give the master's data exactly and wake readers on the way;
// a replica's own clock changes nothing (no expiry, no delayed entries); WAIT's timeout is
// answered by WAIT itself.
#include <doctest/doctest.h>

#include <random>

#include "../integration/replay_workload.h"
#include "harness.h"

using runnel::testing::Harness;

namespace {

// Applies every record `master` has made since `*next` to `replica`.
void Apply(Harness& master, Harness& replica, size_t* next) {
  for (; *next < master.records.size(); ++*next) {
    const auto& r = master.records[*next];
    std::string error;
    REQUIRE_MESSAGE(replica.dispatcher().ApplyReplicated(r.db, r.time_ms, r.payload, &error),
                    error);
  }
}

}  // namespace

TEST_CASE("a replica applying its master's records holds its master's data, step by step") {
  const uint64_t seed = std::random_device{}();
  CAPTURE(seed);
  Harness master, replica;
  replica.dispatcher().set_replica(true);
  size_t next = 0;
  runnel::testing::ReplayWorkload work(seed);
  auto call = [&](const std::vector<std::string>& args) { return master.Run(args); };
  for (int round = 0; round < 20; ++round) {
    work.Run(call, 25);
    master.Advance(1000);  // timers fire, seen times are flushed; the replica's own do nothing
    replica.Advance(1000);
    Apply(master, replica, &next);
    REQUIRE(replica.Dump() == master.Dump());
  }
}

TEST_CASE("a replica wakes its blocked readers with what its master appended") {
  Harness master, replica;
  replica.dispatcher().set_replica(true);
  size_t next = 0;
  master.Run({"XADD", "s", "1-1", "f", "v"});
  Apply(master, replica, &next);
  replica.Send({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  CHECK(replica.Take().empty());
  master.Run({"XADD", "s", "2-1", "f", "w"});
  Apply(master, replica, &next);
  auto replies = replica.Take();
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].elements[0].elements[1].elements[0].elements[0].str == "2-1");
}

TEST_CASE("a replica's own clock expires nothing and fires nothing") {
  Harness replica;
  replica.Run({"SET", "k", "v", "PX", "10"});
  replica.Run({"XADD", "q", "1-1", "f", "v"});
  replica.Run({"XADD", "q", "DELAY", "10", "*", "f", "later"});
  replica.dispatcher().set_replica(true);
  replica.Advance(1000);
  CHECK(replica.Run({"GET", "k"}).is_null());      // reads as expired ...
  CHECK(replica.Run({"DBSIZE"}).integer == 2);     // ... but stays until the master's DEL
  CHECK(replica.Run({"XLEN", "q"}).integer == 1);  // the delayed entry waits for the master
  replica.dispatcher().set_replica(false);         // promoted: its own clock rules again
  replica.Advance(200);
  CHECK(replica.Run({"DBSIZE"}).integer == 1);
  CHECK(replica.Run({"XLEN", "q"}).integer == 2);
}

TEST_CASE("WAIT answers its own timeout with the count, and at once inside MULTI") {
  Harness h;
  h.Send({"WAIT", "1", "100"});
  CHECK(h.Take().empty());
  h.Advance(99);
  CHECK(h.Take().empty());
  h.Advance(2);
  auto replies = h.Take();
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].integer == 0);
  CHECK(h.Run({"MULTI"}).str == "OK");
  CHECK(h.Run({"WAIT", "5", "0"}).str == "QUEUED");
  auto exec = h.Run({"EXEC"});
  REQUIRE(exec.elements.size() == 1);
  CHECK(exec.elements[0].integer == 0);
}
