// StatusHistory: the last hour of the status page's charts, kept in the server as a ring
// buffer so the page never recomputes it from logs. The server's cron (every 100 ms) begins a
// sample when one is Due, every status-sample-interval seconds (default 10); kSamples = 360 of
// them cover an hour at the default.
//
// What a sample holds:
//   - server-wide, always: entries added, delivered and acknowledged per second (the growth of
//     the summed counters since the previous sample), and the total lag and pending of every
//     group. A stream or group deleted between two samples takes its counters out of the sums;
//     a rate that comes out negative is shown as 0.
//   - per group, for at most kMaxGroups groups: lag, delivered/s and acknowledged/s. The groups
//     kept are those with the largest backlog (lag + pending) at the sample: the charts exist
//     to find the groups falling behind, and the small ones are in the totals. With kMaxGroups
//     groups or fewer, every group is kept. A group that drops out of the largest loses its
//     series; one that enters starts with gaps (null) before it.
//
// Bounding the loop pause: a sample walks every stream (StreamWalk) in slices of at most
// kSliceUs, which the server runs one per loop iteration beside the metrics scrapes, so with many
// streams a sample spans several iterations and commands are served in between. The pause a
// sample adds is one slice (docs/metrics.md has the measurement); the walk's total cost (a few
// microseconds per stream) only decides how soon the sample is complete. A sample that takes
// longer than the interval delays the next (their times are kept, and rates divide by the real
// time between them).
//
// Memory is fixed: 360 totals of 40 bytes (14 KB), and per kept group 360 x 12 bytes (4.3 KB)
// plus its stream and group names: about 230 KB with 50 groups, whatever the keyspace holds.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/stream_walk.h"

namespace runnel::server {

class StatusHistory {
 public:
  static constexpr size_t kSamples = 360;
  static constexpr size_t kMaxGroups = 50;
  static constexpr uint64_t kSliceUs = 1000;

  struct Totals {
    int64_t time_ms = 0;  // wall clock when the sample's walk began
    // Per second since the previous sample; NaN for the first one.
    float added = NAN, delivered = NAN, acknowledged = NAN;
    uint64_t lag = 0, pending = 0;  // a group whose lag is unknown counts 0
  };

  // One kept group's series, by ring slot (as Totals); NaN where the group was not kept.
  struct GroupSeries {
    int db = 0;
    std::string stream, group;
    std::array<float, kSamples> lag, delivered, acknowledged;
    uint64_t last_delivered = 0, last_acknowledged = 0;  // the counters at the last sample
    int64_t last_ms = 0;
  };

  // How sampling went, for the page (and for measuring the pause it causes).
  struct SamplerStats {
    uint64_t walks = 0;             // samples taken
    uint64_t longest_slice_us = 0;  // the longest single slice since the server started
    uint64_t last_walk_us = 0;      // time spent walking for the last sample, all slices
    uint64_t last_walk_slices = 0;
    uint64_t last_walk_streams = 0;
  };

  StatusHistory();
  ~StatusHistory();
  StatusHistory(const StatusHistory&) = delete;
  StatusHistory& operator=(const StatusHistory&) = delete;

  // Whether a sample is due: none in progress, and interval_ms passed since the last began.
  bool Due(uint64_t mono_us, uint64_t interval_ms) const {
    return !walk_ && (!started_ || mono_us - last_start_us_ >= interval_ms * 1000);
  }
  // Starts a sample: the state it describes is the keyspace's from now on.
  void Begin(int64_t now_ms, uint64_t mono_us);
  // Walks one slice of the sample begun, of at most min(budget_us, kSliceUs); records the sample
  // and returns true once it is complete (true also when none is in progress).
  bool Step(const streams::Keyspace& keyspace, int64_t now_ms,
            const std::function<uint64_t()>& clock_us, uint64_t budget_us);

  // Samples held, oldest first: Slot(i) is the ring slot of the i-th.
  size_t size() const { return count_; }
  size_t Slot(size_t i) const { return (next_ + kSamples - count_ + i) % kSamples; }
  const Totals& totals(size_t slot) const { return totals_[slot]; }
  const std::vector<std::unique_ptr<GroupSeries>>& groups() const { return groups_; }
  const SamplerStats& stats() const { return stats_; }

  class Gatherer;  // what one walk sums and ranks (status_history.cc)

 private:
  void Record();

  std::array<Totals, kSamples> totals_;
  size_t next_ = 0, count_ = 0;
  std::vector<std::unique_ptr<GroupSeries>> groups_;
  uint64_t last_added_ = 0, last_delivered_ = 0, last_acknowledged_ = 0;
  // The walk in progress, if any.
  std::unique_ptr<StreamWalk> walk_;
  std::unique_ptr<Gatherer> gatherer_;
  int64_t walk_time_ms_ = 0;
  uint64_t last_start_us_ = 0;
  bool started_ = false;
  SamplerStats stats_;
};

}  // namespace runnel::server
