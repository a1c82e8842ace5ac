#include "dispatch/latency_monitor.h"

#include <algorithm>
#include <vector>

namespace runnel::dispatch {

void LatencyMonitor::Add(std::string_view event, uint64_t ms, int64_t unix_s) {
  auto it = events_.find(event);
  if (it == events_.end()) it = events_.emplace(std::string(event), LatencyEvent{}).first;
  LatencyEvent& e = it->second;
  e.max_ms = std::max(e.max_ms, ms);
  if (!e.samples.empty() && e.samples.back().unix_s == unix_s) {
    e.samples.back().ms = std::max(e.samples.back().ms, ms);
    return;
  }
  e.samples.push_back({unix_s, ms});
  if (e.samples.size() > kMaxSamples) e.samples.pop_front();
}

size_t LatencyMonitor::Reset(const std::vector<std::string_view>& names) {
  if (names.empty()) {
    const size_t n = events_.size();
    events_.clear();
    return n;
  }
  size_t n = 0;
  for (std::string_view name : names) {
    auto it = events_.find(name);
    if (it == events_.end()) continue;
    events_.erase(it);
    ++n;
  }
  return n;
}

}  // namespace runnel::dispatch
