// The slow log (SLOWLOG GET / LEN / RESET): the most recent commands whose run took at least
// slowlog-log-slower-than µs (negative: none; 0: every one), at most slowlog-max-len of them,
// newest first, each with an ID that keeps growing across resets, as redis-server keeps them.
//
// An entry keeps at most kMaxArgs arguments (the last says how many more there were) and at
// most kMaxArgBytes of each (with how many more bytes there were); passwords are redacted by
// the caller before logging.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace runnel::dispatch {

struct SlowLogEntry {
  uint64_t id = 0;
  int64_t unix_s = 0;  // when it ran
  uint64_t usec = 0;   // how long it ran
  std::vector<std::string> args;
  std::string addr, name;  // the client's, as CLIENT LIST shows them
};

class SlowLog {
 public:
  static constexpr size_t kMaxArgs = 32;
  static constexpr size_t kMaxArgBytes = 128;

  // Adds an entry, dropping the oldest beyond `max_len` (0 keeps none).
  void Add(std::span<const std::string_view> args, uint64_t usec, int64_t unix_s,
           std::string_view addr, std::string_view name, uint64_t max_len);
  // The newest `count` entries, newest first.
  std::vector<const SlowLogEntry*> Newest(size_t count) const;
  size_t size() const { return entries_.size(); }
  void Reset() { entries_.clear(); }  // the IDs go on

 private:
  std::deque<SlowLogEntry> entries_;  // newest at the front
  uint64_t next_id_ = 0;
};

}  // namespace runnel::dispatch
