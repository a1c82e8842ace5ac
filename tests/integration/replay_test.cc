// Replay equals live: random sequences over every write command (replay_workload.h), the
// server killed with SIGKILL at a random point, restarted, and the whole dataset compared with
// what it showed before the kill — under appendfsync always, where every reply was durable
// before it left. Keys with short TTLs are left out of the comparison (they may expire between
// the two dumps); consumers' seen times may come back up to one flush older (dataset.h,
// SeenTimes::kCoalesced). Every start must succeed, and no effect of the log may find its
// target gone: a log this version wrote applies exactly.
//
// The default run does 24 cycles (about 6,000 commands) with small random block limits,
// BGREWRITEAOF now and then (so some kills land during a rewrite); RUNNEL_LONG_TESTS=1 runs 400.
#include <doctest/doctest.h>

#include <cstdlib>
#include <random>
#include <string>

#include "dataset.h"
#include "replay_workload.h"
#include "server_process.h"

using namespace runnel::testing;

namespace {

int Cycles() {
  const char* long_tests = std::getenv("RUNNEL_LONG_TESTS");
  return long_tests != nullptr && std::string(long_tests) == "1" ? 400 : 24;
}

}  // namespace

TEST_CASE("replay equals live: random writes of every kind, SIGKILL at random points") {
  const char* fixed = std::getenv("RUNNEL_REPLAY_SEED");  // to run a failure again
  const uint64_t seed = fixed != nullptr ? std::stoull(fixed) : std::random_device{}();
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  ServerProcess server({"--appendfsync", "always", "--save", "", "--stream-node-max-entries", "4",
                        "--auto-aof-rewrite-percentage", "0"});
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  ReplayWorkload work(seed, /*short_timers=*/false);
  for (int cycle = 0, cycles = Cycles(); cycle < cycles; ++cycle) {
    CAPTURE(cycle);
    {
      RawClient c(server.port());
      auto call = [&](const std::vector<std::string>& args) { return c.Call(args); };
      std::vector<std::string> bad = work.Run(call, 20 + static_cast<int>(rng() % 400));
      CHECK_MESSAGE(bad.empty(), (bad.empty() ? "" : bad.front()));
      // Now and then a rewrite is under way when the server dies.
      if (rng() % 4 == 0) c.Call({"BGREWRITEAOF"});
    }
    RawClient c(server.port());
    const std::string before = DumpKeyspace(c, DumpFilter::kSkipShortTtl);
    REQUIRE_MESSAGE(server.Stop(9) == 128 + 9, server.Log());  // still running: no crash
    REQUIRE_MESSAGE(server.Start(), server.Log());
    REQUIRE_MESSAGE(WaitLoaded(server.port()), server.Log());
    RawClient after(server.port());
    CheckSameDump(before, DumpKeyspace(after, DumpFilter::kSkipShortTtl), SeenTimes::kCoalesced);
    CHECK_MESSAGE(server.Log().find("found nothing to change") == std::string::npos, server.Log());
  }
  MESSAGE(work.commands() << " commands (" << work.errors() << " replied with an error) over "
                          << Cycles() << " kill-and-restart cycles");
}
