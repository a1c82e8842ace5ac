// ReplayWorkload: random commands over every write command Runnel has — with the errors they
// can meet, keys that expire in the middle of the sequence, transactions with SELECT inside,
// and changes of the block limits — for the test that replaying the log gives exactly the state
// the clients saw (replay_test.cc).
//
// Unlike RandomWorkload (dataset.h), which keeps to commands that succeed and long TTLs so that
// its dumps compare across restarts, this one goes after the paths where logging can go wrong:
// a command that fails after it found its key expired, a read that changes nothing durable, an
// XNACK, an idempotent XADD and its duplicate, a trim that keeps referenced entries, a CONFIG
// SET of stream-node-max-entries between two XADDs. Keys with short TTLs (t0, t1, ...) expire
// during the run; DumpKeyspace's kSkipShortTtl leaves them out of comparisons (they may expire
// between two dumps), while their expiry itself is logged and replayed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "resp/reply_parser.h"

namespace runnel::testing {

// Sends one command and returns its reply: a real server's (RawClient::Call) or the in-process
// harness's (tests/server/harness.h), so the same workload runs against both.
using CallFn = std::function<resp::Reply(const std::vector<std::string>&)>;

class ReplayWorkload {
 public:
  // `short_timers`: CONSUMER-EXPIRE policies, RETENTION-MS settings and delayed entries of a few
  // ms, and IDMP durations of seconds, which the server acts on during the run. A test that compares dumps taken across a
  // restart turns them off (the restart's own delay would expire consumers, age out entries or
  // append delayed ones between the dumps), and sets only ones that never fire.
  explicit ReplayWorkload(uint64_t seed, bool short_timers = true);
  ~ReplayWorkload();
  ReplayWorkload(const ReplayWorkload&) = delete;
  ReplayWorkload& operator=(const ReplayWorkload&) = delete;

  // Runs `ops` random commands (a transaction counts as one) through `call`, on a fresh
  // connection (database 0, RESP2). Returns the replies that no command may give here: unknown
  // command, MISCONF, LOADING, a wrong arity (a bug in the generator), as messages.
  // `after_each`, if given, runs after every command (in-process tests check replay there).
  std::vector<std::string> Run(const CallFn& call, int ops,
                               const std::function<void()>& after_each = nullptr);
  // Commands sent so far, and how many of them replied with an error.
  uint64_t commands() const;
  uint64_t errors() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace runnel::testing
