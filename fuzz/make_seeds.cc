// Writes the seed corpora of the fuzz targets that need real data (fuzz/corpus/<target>/):
// log records and snapshots made by running the replay test's random workload
// (tests/integration/replay_workload.h: every write command, with errors, expiring keys,
// transactions, block-limit changes) through the in-process harness, and command programs for
// the dispatcher target. Deterministic: the same build writes the same files.
//
//   fuzz_make_seeds <corpus dir>      (tools/fuzz --seeds runs it)
//
// Each file starts with the mode byte its target reads first (see the targets' headers).
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "effects/writer.h"
#include "fuzz/fuzz_util.h"
#include "fuzz/harness_support.h"
#include "persistence/log_record.h"
#include "tests/integration/replay_workload.h"
#include "tests/server/harness.h"

namespace {

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

// One workload run: its records as a log file and as separated payloads, and its end state as
// a snapshot.
void WorkloadSeeds(const std::string& dir, uint64_t seed, int ops) {
  runnel::config::Config config;
  config.stream_node_max_entries = 4;
  runnel::testing::Harness h(config);
  runnel::testing::ReplayWorkload work(seed, /*short_timers=*/true);
  std::mt19937_64 rng(seed);
  work.Run(
      [&](const std::vector<std::string>& args) {
        h.Advance(static_cast<int64_t>(rng() % 6));
        return h.Run(args);
      },
      ops);
  h.dispatcher().FlushConsumerTimes();
  h.dispatcher().FinishRecord(h.now_ms);

  std::string log(1, '\0');
  std::string payloads(1, '\1');
  uint64_t sequence = 1;
  for (const auto& r : h.records) {
    runnel::persistence::AppendLogRecord(&log, sequence++, r.time_ms, static_cast<uint32_t>(r.db),
                                         r.payload);
    if (payloads.size() > 1) payloads += "\n@@\n";
    payloads += static_cast<char>(r.db);
    payloads += r.payload;
  }
  const std::string name = "workload_" + std::to_string(seed);
  WriteFile(dir + "/log_records/" + name + "_file", log);
  WriteFile(dir + "/log_records/" + name + "_payloads", payloads);

  runnel::persistence::SnapshotInfo info;
  info.created_ms = h.now_ms;
  info.next_log_sequence = sequence;
  std::string snapshot = runnel::fuzz::WriteSnapshotText(h.dispatcher().keyspace(), info);
  WriteFile(dir + "/snapshot_loader/" + name + "_raw", std::string(1, '\0') + snapshot);
  WriteFile(dir + "/snapshot_loader/" + name + "_fixed", std::string(1, '\1') + snapshot);
}

// Programs for the dispatcher target: any bytes are a program, so these are random, of the
// lengths that give a few dozen commands.
void DispatcherSeeds(const std::string& dir) {
  std::mt19937_64 rng(16);
  for (int i = 0; i < 24; ++i) {
    std::string program(static_cast<size_t>(40 + rng() % 320), '\0');
    for (char& c : program) c = static_cast<char>(rng() & 0xff);
    WriteFile(dir + "/dispatcher/random_" + std::to_string(i), program);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  runnel::fuzz::InstallAssertHandler();
  const std::string dir = argv[1];
  for (uint64_t seed = 1; seed <= 10; ++seed) WorkloadSeeds(dir, seed, 15 + 6 * int(seed));
  {
    // An empty keyspace's snapshot and the records of no command at all.
    runnel::testing::Harness h;
    std::string snapshot = runnel::fuzz::WriteSnapshotText(h.dispatcher().keyspace(), {});
    WriteFile(dir + "/snapshot_loader/empty", std::string(1, '\1') + snapshot);
  }
  DispatcherSeeds(dir);
  return 0;
}
