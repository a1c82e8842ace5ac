// Replay equals live, in process, after every single command: the random workload of the
// kill-and-restart test (tests/integration/replay_workload.h) runs on the harness, with time
// moving a few milliseconds per command so short TTLs expire lazily and by the cron; after
// each command the seen times waiting to be written are written, everything logged so far is
// replayed into a fresh keyspace, and the two are compared. The first command after which they
// differ is named, which the kill-and-restart test (a dump per cycle) cannot do.
#include <doctest/doctest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "tests/integration/replay_workload.h"
#include "tests/server/harness.h"

namespace runnel::testing {
namespace {

TEST_CASE("replay equals live after every command of a random workload") {
  const char* fixed = std::getenv("RUNNEL_REPLAY_SEED");  // to run a failure again
  const uint64_t seed = fixed != nullptr ? std::stoull(fixed) : std::random_device{}();
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  config::Config config;
  config.stream_node_max_entries = 4;
  Harness h(config);
  ReplayWorkload work(seed);
  std::string last;
  auto call = [&](const std::vector<std::string>& args) {
    h.Advance(static_cast<int64_t>(rng() % 6));
    last.clear();
    for (const std::string& a : args) last += a.substr(0, 40) + " ";
    return h.Run(args);
  };
  bool same = true;
  auto check = [&] {
    if (!same) return;
    h.dispatcher().FlushConsumerTimes();
    h.dispatcher().FinishRecord(h.now_ms);
    std::string live = h.Dump();
    std::string replayed = h.DumpReplayed();
    same = live == replayed;
    CHECK_MESSAGE(same, "after " << last << "\nlive:     " << live << "\nreplayed: " << replayed);
  };
  for (int round = 0; round < 8 && same; ++round) {
    std::vector<std::string> bad = work.Run(call, 150, check);
    CHECK_MESSAGE(bad.empty(), (bad.empty() ? "" : bad.front()));
  }
  MESSAGE(work.commands() << " commands, " << work.errors() << " errors, " << h.records.size()
                          << " records");
}

}  // namespace
}  // namespace runnel::testing
