#include "server/status_history.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>

namespace runnel::server {
namespace {

// A group that may be kept: its figures at this sample.
struct Candidate {
  int db = 0;
  std::string stream, group;
  uint64_t backlog = 0;  // lag + pending: the ranking
  std::optional<int64_t> lag;
  uint64_t delivered = 0, acknowledged = 0;
};

// Min-heap on backlog: the front is the first to give way to a larger group.
bool LargerBacklog(const Candidate& a, const Candidate& b) { return a.backlog > b.backlog; }

float Rate(uint64_t now, uint64_t before, double seconds) {
  if (seconds <= 0) return NAN;
  return now < before ? 0.0f : static_cast<float>(static_cast<double>(now - before) / seconds);
}

}  // namespace

class StatusHistory::Gatherer : public StreamWalk::Visitor {
 public:
  void Visit(int db, std::string_view key, const streams::Stream& s) override {
    ++streams;
    added += s.entries_added();
    for (const auto& [name, g] : s.groups()) {
      const std::optional<int64_t> lag = s.Lag(*g);
      const uint64_t known_lag = static_cast<uint64_t>(std::max<int64_t>(lag.value_or(0), 0));
      const streams::GroupActivity& a = g->activity();
      total_lag += known_lag;
      pending += g->pending();
      delivered += a.delivered;
      acknowledged += a.acknowledged;
      Offer(db, key, name, known_lag + g->pending(), lag, a);
    }
  }

  void Restart() override { *this = Gatherer(); }

  uint64_t streams = 0, added = 0, delivered = 0, acknowledged = 0, total_lag = 0, pending = 0;
  std::vector<Candidate> top;  // a heap (LargerBacklog) of at most kMaxGroups

 private:
  void Offer(int db, std::string_view key, std::string_view group, uint64_t backlog,
             std::optional<int64_t> lag, const streams::GroupActivity& a) {
    if (top.size() == kMaxGroups) {
      if (backlog <= top.front().backlog) return;  // ties keep the group met first
      std::pop_heap(top.begin(), top.end(), LargerBacklog);
      top.pop_back();
    }
    top.push_back(
        {db, std::string(key), std::string(group), backlog, lag, a.delivered, a.acknowledged});
    std::push_heap(top.begin(), top.end(), LargerBacklog);
  }
};

StatusHistory::StatusHistory() = default;
StatusHistory::~StatusHistory() = default;

void StatusHistory::Begin(int64_t now_ms, uint64_t mono_us) {
  started_ = true;
  last_start_us_ = mono_us;
  walk_time_ms_ = now_ms;
  walk_ = std::make_unique<StreamWalk>();
  gatherer_ = std::make_unique<Gatherer>();
  stats_.last_walk_us = stats_.last_walk_slices = 0;
}

bool StatusHistory::Step(const streams::Keyspace& keyspace, int64_t now_ms,
                         const std::function<uint64_t()>& clock_us, uint64_t budget_us) {
  if (!walk_) return true;
  const uint64_t start = clock_us();
  const uint64_t deadline = start + std::min(budget_us, kSliceUs);
  const bool done = walk_->Step(keyspace, now_ms, clock_us, deadline, *gatherer_);
  const uint64_t spent = clock_us() - start;
  stats_.longest_slice_us = std::max(stats_.longest_slice_us, spent);
  stats_.last_walk_us += spent;
  ++stats_.last_walk_slices;
  if (!done) return false;
  Record();
  walk_.reset();
  gatherer_.reset();
  return true;
}

// Writes the finished walk into the next slot: the totals, then the kept groups' series.
void StatusHistory::Record() {
  const Gatherer& g = *gatherer_;
  const size_t slot = next_;
  Totals& t = totals_[slot];
  const int64_t previous_ms = count_ == 0 ? walk_time_ms_ : totals_[Slot(count_ - 1)].time_ms;
  const double seconds = static_cast<double>(walk_time_ms_ - previous_ms) / 1e3;
  t = Totals{walk_time_ms_,
             Rate(g.added, last_added_, seconds),
             Rate(g.delivered, last_delivered_, seconds),
             Rate(g.acknowledged, last_acknowledged_, seconds),
             g.total_lag,
             g.pending};
  last_added_ = g.added;
  last_delivered_ = g.delivered;
  last_acknowledged_ = g.acknowledged;

  std::vector<std::unique_ptr<GroupSeries>> kept;
  for (const Candidate& c : g.top) {
    auto same = std::find_if(groups_.begin(), groups_.end(), [&](const auto& s) {
      return s && s->db == c.db && s->stream == c.stream && s->group == c.group;
    });
    std::unique_ptr<GroupSeries> series;
    double since = 0;
    if (same != groups_.end()) {
      series = std::move(*same);
      since = static_cast<double>(walk_time_ms_ - series->last_ms) / 1e3;
    } else {
      series = std::make_unique<GroupSeries>();
      series->db = c.db;
      series->stream = c.stream;
      series->group = c.group;
      series->lag.fill(NAN);
      series->delivered.fill(NAN);
      series->acknowledged.fill(NAN);
    }
    series->lag[slot] = c.lag ? static_cast<float>(*c.lag) : NAN;
    // A counter that went down belongs to a group deleted and made again: no rate this time.
    const bool fresh = since <= 0 || c.delivered < series->last_delivered ||
                       c.acknowledged < series->last_acknowledged;
    series->delivered[slot] = fresh ? NAN : Rate(c.delivered, series->last_delivered, since);
    series->acknowledged[slot] =
        fresh ? NAN : Rate(c.acknowledged, series->last_acknowledged, since);
    series->last_delivered = c.delivered;
    series->last_acknowledged = c.acknowledged;
    series->last_ms = walk_time_ms_;
    kept.push_back(std::move(series));
  }
  // In name order, so a page listing them keeps them in place from one sample to the next.
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
    return std::tie(a->db, a->stream, a->group) < std::tie(b->db, b->stream, b->group);
  });
  groups_ = std::move(kept);
  next_ = (next_ + 1) % kSamples;
  count_ = std::min(count_ + 1, kSamples);
  ++stats_.walks;
  stats_.last_walk_streams = g.streams;
}

}  // namespace runnel::server
