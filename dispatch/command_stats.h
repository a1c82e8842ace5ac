// What the dispatcher counts per command and per error (INFO commandstats, errorstats and
// latencystats; CONFIG RESETSTAT clears it), with redis-server 7.0's meanings:
//   - calls: commands that ran (a blocking one once, when it first ran, however often it was
//     woken again);
//   - usec: time spent running it (every run of a blocking command, not the wait);
//   - rejected: refused before running (arity, NOAUTH, -LOADING, MISCONF ...);
//   - failed: ran and replied an error;
//   - a latency histogram of each call's usec, for percentiles (a blocking command's once it
//     is answered, with all its runs; a timeout records none);
//   - error replies by their code (the first word: ERR, WRONGTYPE ...), every one sent, at
//     most kMaxErrorCodes different codes (then only the total grows, as in Redis).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace runnel::dispatch {

struct CommandSpec;

// Call durations in µs, in buckets a few percent wide: exact below 128 µs, then 64 buckets per
// power of two up to 2^36 µs (19 hours; longer ones count in the last bucket).
class LatencyHistogram {
 public:
  void Record(uint64_t usec);
  uint64_t count() const { return count_; }
  // The smallest bucket bound that `percentile` (0..100) of the calls do not exceed.
  double Percentile(double percentile) const;
  // LATENCY HISTOGRAM's form: (power of two in µs, calls that took at most that long) for each
  // power of two some call falls under, ascending; a call counts under the smallest power of
  // two not below its bucket's upper bound.
  std::vector<std::pair<uint64_t, uint64_t>> CumulativePowersOfTwo() const;

 private:
  static constexpr int kSubBits = 6;  // 64 buckets per power of two above 128
  static constexpr int kMaxShift = 30;
  static constexpr size_t kBuckets = (kMaxShift + 2) << kSubBits;
  static size_t BucketOf(uint64_t usec);
  static uint64_t UpperBound(size_t bucket);

  std::unique_ptr<std::array<uint32_t, kBuckets>> buckets_;  // allocated on the first call
  uint64_t count_ = 0;
};

struct CommandCounters {
  uint64_t calls = 0, usec = 0, rejected = 0, failed = 0;
  LatencyHistogram latency;
};

class CommandStats {
 public:
  static constexpr size_t kMaxErrorCodes = 128;

  CommandCounters& For(const CommandSpec& spec) { return commands_[&spec]; }
  // nullptr when the command has not been counted since the last reset.
  const CommandCounters* Find(const CommandSpec& spec) const;
  // An error reply ("ERR syntax error"): counted under its code.
  void CountError(std::string_view message);
  uint64_t total_errors() const { return total_errors_; }
  const std::map<std::string, uint64_t>& error_codes() const { return error_codes_; }
  void Reset();

 private:
  std::unordered_map<const CommandSpec*, CommandCounters> commands_;
  std::map<std::string, uint64_t> error_codes_;
  uint64_t total_errors_ = 0;
};

}  // namespace runnel::dispatch
