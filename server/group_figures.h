// Figures about a consumer group that the metrics and the status page both report, computed in
// one place so the two never disagree.
#pragma once

#include <algorithm>
#include <cstdint>

#include "streams/consumer_group.h"

namespace runnel::server {

// Seconds from then_ms to now_ms, never negative (a clock stepping back shows 0, not -1).
inline double Seconds(int64_t now_ms, int64_t then_ms) {
  return static_cast<double>(std::max<int64_t>(now_ms - then_ms, 0)) / 1000.0;
}

// How long the group's oldest pending entry has waited: since its delivery, or for an entry
// released by XNACK, since its release. 0 when nothing is pending.
inline double OldestPendingAge(const streams::ConsumerGroup& g, int64_t now_ms) {
  double age = 0;
  if (g.pending() == 0) return age;
  if (auto owned = g.by_time().LowerBound({0, streams::StreamId::Min()}); owned.valid()) {
    age = Seconds(now_ms, owned.record().delivery_ms);
  }
  if (auto first = g.by_time().Begin(); first.valid() && first.record().delivery_ms < 0) {
    age = std::max(age, Seconds(now_ms, streams::TicketReleaseMs(first.record().delivery_ms)));
  }
  return age;
}

}  // namespace runnel::server
