// Helpers shared by the consumer-group tests (packed_set_test.cc, consumer_group_test.cc):
// random stream IDs of several shapes (dense, one ms, seq wrap-arounds, real clock IDs, IDs
// near the top of the ID space, ms jumps of 2^61 and more that take the codecs' wide escape),
// delivery times, counts and consumer indexes at their extremes, and comparison and printing
// of the records kept in PackedSets.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <random>
#include <string>
#include <utility>

#include "streams/pel_codecs.h"
#include "streams/stream_id.h"

namespace runnel::streams::testing {

inline constexpr uint64_t kU64Max = UINT64_MAX;
inline constexpr int64_t kI64Max = INT64_MAX;
inline constexpr int64_t kI64Min = INT64_MIN;
inline constexpr uint64_t kWideMs = pel_detail::kWideMs;  // 2^61 - 1

template <typename T>
T Pick(std::mt19937_64& rng, std::initializer_list<T> values) {
  return values.begin()[rng() % values.size()];
}

enum class IdShape {
  kDense,    // ms 0..3, seq 0..5: a tiny key space, so most operations hit existing keys
  kSameMs,   // one ms, seq 0..399
  kSeqWrap,  // seq at 0, near 2^62 (where same-ms deltas stop fitting) and near UINT64_MAX
  kReal,     // a window of real clock IDs, a few per ms
  kHuge,     // ms near UINT64_MAX, up to the largest ID
  kWide,     // ms values whose differences are 2^61 - 2, 2^61 - 1 (the escape), and beyond
  kMixed,    // any of the above
};

inline constexpr IdShape kAllShapes[] = {IdShape::kDense, IdShape::kSameMs, IdShape::kSeqWrap,
                                         IdShape::kReal,  IdShape::kHuge,   IdShape::kWide,
                                         IdShape::kMixed};

inline const char* ShapeName(IdShape s) {
  switch (s) {
    case IdShape::kDense:
      return "dense";
    case IdShape::kSameMs:
      return "same-ms";
    case IdShape::kSeqWrap:
      return "seq-wrap";
    case IdShape::kReal:
      return "real";
    case IdShape::kHuge:
      return "huge";
    case IdShape::kWide:
      return "wide";
    case IdShape::kMixed:
      return "mixed";
  }
  return "?";
}

inline constexpr uint64_t kRealBaseMs = 1'700'000'000'000;

inline uint64_t EdgeSeq(std::mt19937_64& rng) {
  constexpr uint64_t k62 = uint64_t{1} << 62;
  return Pick<uint64_t>(rng, {0, 1, 2, 3, k62 - 2, k62 - 1, k62, k62 + 1, uint64_t{1} << 63,
                              kU64Max - 2, kU64Max - 1, kU64Max});
}

inline StreamId RandomId(std::mt19937_64& rng, IdShape shape) {
  switch (shape) {
    case IdShape::kDense:
      return {rng() % 4, rng() % 6};
    case IdShape::kSameMs:
      return {1000, rng() % 400};
    case IdShape::kSeqWrap:
      return {41 + rng() % 3, EdgeSeq(rng)};
    case IdShape::kReal:
      return {kRealBaseMs + rng() % 600, rng() % 3};
    case IdShape::kHuge:
      return {kU64Max - rng() % 4, rng() % 2 ? rng() % 50 : EdgeSeq(rng)};
    case IdShape::kWide: {
      uint64_t ms = Pick<uint64_t>(
          rng, {0, 1, 2, kWideMs - 1, kWideMs, kWideMs + 1, kWideMs + 2, 2 * kWideMs + 1,
                uint64_t{1} << 62, uint64_t{1} << 63, kU64Max - kWideMs, kU64Max - 1, kU64Max});
      return {ms, rng() % 3 ? rng() % 40 : EdgeSeq(rng)};
    }
    case IdShape::kMixed:
      return RandomId(rng, kAllShapes[rng() % 6]);
  }
  return {};
}

inline int64_t RandomTime(std::mt19937_64& rng) {
  switch (rng() % 8) {
    case 0:
      return Pick<int64_t>(rng, {0, -1, 1, kI64Min, kI64Min + 1, kI64Max, kI64Max - 1});
    case 1:
      return -static_cast<int64_t>(rng() % 5'000'000'000'000);
    case 2:
      return static_cast<int64_t>(rng() % 4);
    case 3:
      return static_cast<int64_t>(rng());  // anything, including negatives
    default:
      return static_cast<int64_t>(kRealBaseMs + rng() % 100);
  }
}

inline uint64_t RandomCount(std::mt19937_64& rng) {
  if (rng() % 4) return 1 + rng() % 3;
  return Pick<uint64_t>(
      rng, {0, 1, 127, 128, uint64_t{kI64Max}, uint64_t{kI64Max} + 1, kU64Max - 1, kU64Max});
}

inline uint32_t RandomConsumer(std::mt19937_64& rng) {
  if (rng() % 3) return static_cast<uint32_t>(rng() % 10);
  return Pick<uint32_t>(rng, {0, 127, 128, UINT32_MAX - 1, UINT32_MAX});
}

// ---- comparison and printing ----

inline bool Same(const StreamId& a, const StreamId& b) { return a == b; }
inline bool Same(const PendingRecord& a, const PendingRecord& b) {
  return a.id == b.id && a.delivery_ms == b.delivery_ms && a.delivery_count == b.delivery_count &&
         a.consumer == b.consumer;
}
inline bool Same(const TimedId& a, const TimedId& b) {
  return a.delivery_ms == b.delivery_ms && a.id == b.id;
}

inline std::string Show(const StreamId& id) { return id.ToString(); }
inline std::string Show(const PendingRecord& r) {
  return "{" + r.id.ToString() + " t=" + std::to_string(r.delivery_ms) +
         " n=" + std::to_string(r.delivery_count) + " c=" + std::to_string(r.consumer) + "}";
}
inline std::string Show(const TimedId& r) {
  return "{t=" + std::to_string(r.delivery_ms) + " " + r.id.ToString() + "}";
}
inline std::string Show(const std::pair<int64_t, StreamId>& k) {
  return "(" + std::to_string(k.first) + ", " + k.second.ToString() + ")";
}

}  // namespace runnel::streams::testing
