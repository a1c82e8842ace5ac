// The latency monitor (LATENCY LATEST / HISTORY / RESET / DOCTOR): per event class, the samples
// of operations that took at least latency-monitor-threshold ms (0: the monitor is off), as
// redis-server keeps them: at most kMaxSamples per event, one per second (a second's samples
// merge into their maximum), with the event's all-time maximum.
//
// Events recorded: "command" (a command that is not flagged fast), "fast-command", and the
// log's "aof-write" (one loop iteration's records written) and "aof-fsync-always" (the fsync
// before replies under appendfsync always).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace runnel::dispatch {

struct LatencySample {
  int64_t unix_s = 0;
  uint64_t ms = 0;
};

struct LatencyEvent {
  std::deque<LatencySample> samples;  // oldest first
  uint64_t max_ms = 0;
};

class LatencyMonitor {
 public:
  static constexpr size_t kMaxSamples = 160;

  void Add(std::string_view event, uint64_t ms, int64_t unix_s);
  const std::map<std::string, LatencyEvent, std::less<>>& events() const { return events_; }
  // Forgets the named events (all when `names` is empty); returns how many were there.
  size_t Reset(const std::vector<std::string_view>& names);

 private:
  std::map<std::string, LatencyEvent, std::less<>> events_;
};

}  // namespace runnel::dispatch
