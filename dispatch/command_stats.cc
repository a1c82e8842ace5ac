#include "dispatch/command_stats.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace runnel::dispatch {

size_t LatencyHistogram::BucketOf(uint64_t usec) {
  constexpr uint64_t kExact = uint64_t{2} << kSubBits;  // 128: one bucket per value below
  if (usec < kExact) return static_cast<size_t>(usec);
  // 2^m <= usec < 2^(m+1): keep the top kSubBits + 1 bits, so shift = m - kSubBits.
  const int shift = std::min(static_cast<int>(std::bit_width(usec)) - 1 - kSubBits, kMaxShift);
  const uint64_t top = std::min<uint64_t>(usec >> shift, (kExact - 1));  // 64..127
  return static_cast<size_t>((static_cast<uint64_t>(shift) << kSubBits) + top);
}

uint64_t LatencyHistogram::UpperBound(size_t bucket) {
  constexpr size_t kExact = size_t{2} << kSubBits;
  if (bucket < kExact) return bucket;
  const size_t shift = (bucket >> kSubBits) - 1;
  const uint64_t top = (bucket & ((size_t{1} << kSubBits) - 1)) + (uint64_t{1} << kSubBits);
  return ((top + 1) << shift) - 1;
}

void LatencyHistogram::Record(uint64_t usec) {
  if (!buckets_) buckets_ = std::make_unique<std::array<uint32_t, kBuckets>>();
  uint32_t& n = (*buckets_)[std::min(BucketOf(usec), kBuckets - 1)];
  if (n < UINT32_MAX) ++n;
  ++count_;
}

double LatencyHistogram::Percentile(double percentile) const {
  if (!buckets_ || count_ == 0) return 0;
  const auto wanted =
      static_cast<uint64_t>(std::ceil(static_cast<double>(count_) * percentile / 100));
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += (*buckets_)[i];
    if (seen >= std::max<uint64_t>(wanted, 1)) return static_cast<double>(UpperBound(i));
  }
  return static_cast<double>(UpperBound(kBuckets - 1));
}

std::vector<std::pair<uint64_t, uint64_t>> LatencyHistogram::CumulativePowersOfTwo() const {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  if (!buckets_) return out;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    const uint32_t n = (*buckets_)[i];
    if (n == 0) continue;
    cumulative += n;
    const uint64_t bound = std::bit_ceil(std::max<uint64_t>(UpperBound(i), 1));
    if (!out.empty() && out.back().first == bound) {
      out.back().second = cumulative;
    } else {
      out.emplace_back(bound, cumulative);
    }
  }
  return out;
}

const CommandCounters* CommandStats::Find(const CommandSpec& spec) const {
  auto it = commands_.find(&spec);
  return it == commands_.end() ? nullptr : &it->second;
}

void CommandStats::CountError(std::string_view message) {
  ++total_errors_;
  std::string_view code = message.substr(0, message.find(' '));
  auto it = error_codes_.find(std::string(code));
  if (it != error_codes_.end()) {
    ++it->second;
  } else if (error_codes_.size() < kMaxErrorCodes) {
    error_codes_.emplace(std::string(code), 1);
  }
}

void CommandStats::Reset() {
  commands_.clear();
  error_codes_.clear();
  total_errors_ = 0;
}

}  // namespace runnel::dispatch
