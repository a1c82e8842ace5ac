// DurationHistogram: how long a repeated operation took (a log write, an fsync), counted into
// fixed buckets so the metrics port can expose it as a Prometheus histogram.
//
// The bounds are fixed for the life of the process, as Prometheus requires of a histogram's
// `le` labels; they span 50 µs (a buffered write) to 10 s (a disk that has stopped answering).
// Counters only grow. Not thread-safe: record on the loop thread (a background job hands its
// measured time back to the loop).
#pragma once

#include <array>
#include <cstdint>

namespace runnel::server {

class DurationHistogram {
 public:
  static constexpr std::array<double, 17> kBounds = {
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};

  void Record(double seconds) {
    size_t i = 0;
    while (i < kBounds.size() && seconds > kBounds[i]) ++i;
    ++counts_[i];
    ++count_;
    sum_ += seconds;
  }
  // Observations at most kBounds[i] (i == kBounds.size(): all of them), as `le` buckets count.
  uint64_t CumulativeCount(size_t i) const {
    uint64_t n = 0;
    for (size_t j = 0; j <= i && j < counts_.size(); ++j) n += counts_[j];
    return n;
  }
  uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::array<uint64_t, kBounds.size() + 1> counts_{};  // the last: above every bound
  uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace runnel::server
