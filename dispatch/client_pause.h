// ClientPause: the state of CLIENT PAUSE — which commands wait (every command, or those that
// may write), until when, and the commands held meanwhile in the order they arrived.
//
// Invariants: while a pause is on, nothing changes the dataset — held commands do not run, and
// the dispatcher's own timed writes (active expiry, delayed entries, retention, consumer expiry,
// IDMP expiry, seen-time records, blocked readers' wakes) wait too; blocked commands' timeouts
// still answer, and a key past its TTL reads as gone without being deleted. A held command runs
// exactly once after the pause ends (its time, or CLIENT UNPAUSE once that command has
// finished), in arrival order, each held client's pipelined commands right after its held one;
// one whose client has gone is dropped. Monitors are never held (redis-server: replicas).
#pragma once

#include <cstdint>
#include <deque>
#include <iterator>
#include <utility>

#include "resp/arg_list.h"

namespace runnel::dispatch {

class ClientPause {
 public:
  enum class Mode { kOff, kWrite, kAll };
  struct Held {
    uint64_t client_id;
    resp::ArgList args;
  };

  // CLIENT PAUSE: the mode is replaced; the end only moves later, as in redis-server.
  void Start(Mode mode, uint64_t until_us) {
    mode_ = mode;
    if (until_us > until_us_) until_us_ = until_us;
  }
  // Ends the pause and hands over what it held, oldest first.
  std::deque<Held> Stop() {
    mode_ = Mode::kOff;
    until_us_ = 0;
    return std::exchange(held_, {});
  }
  bool active() const { return mode_ != Mode::kOff; }
  uint64_t until_us() const { return until_us_; }
  // Whether a command with these flags (EXEC: with its queued commands' flags too) must wait.
  bool Holds(uint32_t flags) const;
  void Hold(uint64_t client_id, const resp::ArgList& args) { held_.push_back({client_id, args}); }
  // Commands held before the ones held now (a pause that began while they were being run).
  void HoldFirst(std::deque<Held> earlier) {
    earlier.insert(earlier.end(), std::make_move_iterator(held_.begin()),
                   std::make_move_iterator(held_.end()));
    held_ = std::move(earlier);
  }
  // The client closed: what it sent is dropped, never run.
  void Forget(uint64_t client_id) {
    std::erase_if(held_, [&](const Held& h) { return h.client_id == client_id; });
  }
  size_t held() const { return held_.size(); }

 private:
  Mode mode_ = Mode::kOff;
  uint64_t until_us_ = 0;  // monotonic
  std::deque<Held> held_;
};

}  // namespace runnel::dispatch
