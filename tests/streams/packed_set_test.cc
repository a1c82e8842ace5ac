// PackedSet and the PEL codecs (streams/packed_set.h, streams/pel_codecs.h).
//
// Codecs: every codec round-trips random records against random earlier records and every
// pair of boundary IDs (seq deltas of 2^62 and more, ms deltas of 2^61 - 2, 2^61 - 1 and
// beyond, the largest ID, negative and extreme times, counts up to UINT64_MAX, consumer
// indexes up to UINT32_MAX); the tombstone bit is clear when written and ignored when read;
// chains of records decode back; the common cases stay a few bytes.
//
// PackedSet: a model-based random test against std::map for each codec and each ID shape of
// group_test_util.h: Insert (duplicates return false and change nothing), Erase (present,
// absent, already erased), Replace, Find, LowerBound walks, full Begin/Next and ForEach walks,
// Last(), size() and empty(). Phases grow the set past many leaves (in-order appends take the
// fast path, others split leaves) and shrink it to empty (tombstones pass half a leaf, leaves
// are repacked and removed); leaf_count() must stay between size()/64 and size(), and
// CheckInvariants (leaf sizes, tombstone counts, order, map keys) must hold throughout.
// Plus fixed scenarios at leaf boundaries.
#include "streams/packed_set.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "streams/pel_codecs.h"
#include "tests/streams/group_test_util.h"

namespace runnel::streams {
namespace {

using namespace runnel::streams::testing;  // NOLINT: test helpers

// How each codec's records are made up: any record of a shape, a record with a given key
// (for Replace), and a record after a given one (in-order appends).
template <typename Codec>
struct Gen;

template <>
struct Gen<IdCodec> {
  static StreamId Make(std::mt19937_64& rng, IdShape shape) { return RandomId(rng, shape); }
  static StreamId WithKey(std::mt19937_64&, const StreamId& key) { return key; }
  static std::optional<StreamId> After(std::mt19937_64& rng, const StreamId& last) {
    if (rng() % 4 == 0 && last.ms < kU64Max) return StreamId{last.ms + 1 + rng() % 90, 0};
    return last.Next();
  }
};

template <>
struct Gen<PendingCodec> {
  static PendingRecord Make(std::mt19937_64& rng, IdShape shape) {
    return {RandomId(rng, shape), RandomTime(rng), RandomCount(rng), RandomConsumer(rng)};
  }
  static PendingRecord WithKey(std::mt19937_64& rng, const StreamId& key) {
    PendingRecord r = Make(rng, IdShape::kDense);
    r.id = key;
    return r;
  }
  static std::optional<PendingRecord> After(std::mt19937_64& rng, const PendingRecord& last) {
    auto id = Gen<IdCodec>::After(rng, last.id);
    if (!id) return std::nullopt;
    // Deliveries in ID order: the same or a slightly later time, count 1, a few consumers.
    int64_t t = last.delivery_ms < kI64Max - 10 ? last.delivery_ms + rng() % 3 : last.delivery_ms;
    return PendingRecord{*id, t, 1, static_cast<uint32_t>(rng() % 10)};
  }
};

template <>
struct Gen<TimeCodec> {
  static int64_t Time(std::mt19937_64& rng, IdShape shape) {
    switch (shape) {
      case IdShape::kDense:
      case IdShape::kSameMs:
      case IdShape::kSeqWrap:
        return Pick<int64_t>(rng, {-2, -1, 0, 1, 2});
      case IdShape::kReal:
        return static_cast<int64_t>(kRealBaseMs + rng() % 50);
      case IdShape::kHuge:
      case IdShape::kWide:
        return Pick<int64_t>(rng, {kI64Min, kI64Min + 1, -1, 0, 1, kI64Max - 1, kI64Max});
      case IdShape::kMixed:
        return rng() % 4 ? Time(rng, kAllShapes[rng() % 6]) : RandomTime(rng);
    }
    return 0;
  }
  static TimedId Make(std::mt19937_64& rng, IdShape shape) {
    return {Time(rng, shape), RandomId(rng, shape)};
  }
  static TimedId WithKey(std::mt19937_64&, const std::pair<int64_t, StreamId>& key) {
    return {key.first, key.second};
  }
  static std::optional<TimedId> After(std::mt19937_64& rng, const TimedId& last) {
    // Later times with any ID, or the same time with a later ID.
    if (rng() % 3 == 0 && last.delivery_ms < kI64Max) {
      return TimedId{last.delivery_ms + 1, RandomId(rng, IdShape::kReal)};
    }
    auto id = last.id.Next();
    if (!id) return std::nullopt;
    return TimedId{last.delivery_ms, *id};
  }
};

// ---- codecs ---------------------------------------------------------------------------------

template <typename Codec>
std::string Encoded(const typename Codec::Record& prev, const typename Codec::Record& r) {
  std::string out;
  Codec::Encode(prev, r, &out);
  return out;
}

// Encodes `r` after `prev` behind some unrelated bytes, then decodes it plain and with the
// tombstone bit set; returns a description of the first problem, or "".
template <typename Codec>
std::string RoundTrip(const typename Codec::Record& prev, const typename Codec::Record& r) {
  std::string buf = "\x81\x01junk";
  size_t at = buf.size();
  Codec::Encode(prev, r, &buf);
  if (buf.size() == at) return "nothing written";
  if (buf[at] & 1) return "tombstone bit set by Encode";
  for (int tomb = 0; tomb < 2; ++tomb) {
    if (tomb) buf[at] = static_cast<char>(buf[at] | 1);
    const auto* base = reinterpret_cast<const uint8_t*>(buf.data());
    typename Codec::Record out{};
    const uint8_t* end = Codec::Decode(prev, base + at, &out);
    if (end != base + buf.size()) return "Decode consumed the wrong number of bytes";
    if (!Same(out, r)) {
      return std::string(tomb ? "(tombstoned) " : "") + "decoded " + Show(out) + " after " +
             Show(prev) + ", wrote " + Show(r);
    }
  }
  return "";
}

// IDs at every boundary the ID encoding has.
std::vector<StreamId> BoundaryIds() {
  std::vector<uint64_t> ms = {0,
                              1,
                              2,
                              kWideMs - 2,
                              kWideMs - 1,
                              kWideMs,
                              kWideMs + 1,
                              kWideMs + 2,
                              2 * kWideMs,
                              2 * kWideMs + 1,
                              uint64_t{1} << 62,
                              uint64_t{1} << 63,
                              kU64Max - kWideMs,
                              kU64Max - 1,
                              kU64Max};
  std::vector<uint64_t> seq = {0,
                               1,
                               (uint64_t{1} << 62) - 1,
                               uint64_t{1} << 62,
                               (uint64_t{1} << 62) + 1,
                               uint64_t{1} << 63,
                               kU64Max - 1,
                               kU64Max};
  std::vector<StreamId> ids;
  for (uint64_t m : ms) {
    for (uint64_t s : seq) ids.push_back({m, s});
  }
  return ids;
}

TEST_CASE("PEL codecs: every pair of boundary IDs round-trips") {
  auto ids = BoundaryIds();
  for (const StreamId& a : ids) {
    for (const StreamId& b : ids) {
      if (b < a) continue;
      INFO("prev " << a.ToString() << " id " << b.ToString());
      REQUIRE(RoundTrip<IdCodec>(a, b) == "");
      REQUIRE(RoundTrip<PendingCodec>({a, 7, 1, 0}, {b, 7, 1, 0}) == "");
      // The time index orders by time first, so any ID may follow any other.
      REQUIRE(RoundTrip<TimeCodec>({5, a}, {5, b}) == "");
      REQUIRE(RoundTrip<TimeCodec>({5, b}, {5, a}) == "");
      REQUIRE(RoundTrip<TimeCodec>({5, b}, {6, a}) == "");
    }
  }
  // And from the value-initialised record that starts every leaf.
  for (const StreamId& b : ids) {
    INFO("id " << b.ToString());
    REQUIRE(RoundTrip<IdCodec>(StreamId{}, b) == "");
    REQUIRE(RoundTrip<PendingCodec>(PendingRecord{}, {b, 0, 0, 0}) == "");
    REQUIRE(RoundTrip<TimeCodec>(TimedId{}, {0, b}) == "");
  }
}

TEST_CASE("PEL codecs: extreme times, counts and consumer indexes round-trip") {
  const int64_t times[] = {kI64Min, kI64Min + 1,       -1'700'000'000'000, -1,     0,
                           1,       1'700'000'000'000, kI64Max - 1,        kI64Max};
  const uint64_t counts[] = {0, 1, 127, 128, uint64_t{kI64Max}, uint64_t{kI64Max} + 1, kU64Max};
  const uint32_t consumers[] = {0, 1, 127, 128, UINT32_MAX - 1, UINT32_MAX};
  StreamId a{5, 1}, b{5, 2};
  for (int64_t t0 : times) {
    for (int64_t t1 : times) {
      INFO("times " << t0 << " then " << t1);
      for (uint64_t n : counts) {
        for (uint32_t c : consumers) {
          REQUIRE(RoundTrip<PendingCodec>({a, t0, n, c}, {b, t1, n, c}) == "");
        }
      }
      // The time index needs only ascending times, but any pair must survive.
      if (t0 <= t1) REQUIRE(RoundTrip<TimeCodec>({t0, b}, {t1, a}) == "");
    }
    REQUIRE(RoundTrip<PendingCodec>(PendingRecord{}, {a, t0, kU64Max, UINT32_MAX}) == "");
    REQUIRE(RoundTrip<TimeCodec>(TimedId{}, {t0, a}) == "");
  }
}

template <typename Codec>
void RandomRoundTrips(uint64_t seed, int n) {
  using Record = typename Codec::Record;
  std::mt19937_64 rng(seed);
  for (int i = 0; i < n; ++i) {
    IdShape shape = kAllShapes[rng() % 7];
    Record prev = Gen<Codec>::Make(rng, shape);
    Record r = Gen<Codec>::Make(rng, rng() % 2 ? shape : IdShape::kMixed);
    if (Codec::KeyOf(r) < Codec::KeyOf(prev)) std::swap(prev, r);  // the codecs' contract
    std::string problem = RoundTrip<Codec>(prev, r);
    if (!problem.empty()) FAIL("seed " << seed << " #" << i << ": " << problem);
  }
}

TEST_CASE("PEL codecs: random records round-trip against random earlier records") {
  RandomRoundTrips<IdCodec>(11, 20000);
  RandomRoundTrips<PendingCodec>(12, 20000);
  RandomRoundTrips<TimeCodec>(13, 20000);
}

template <typename Codec>
void ChainRoundTrip(uint64_t seed) {
  using Record = typename Codec::Record;
  std::mt19937_64 rng(seed);
  for (IdShape shape : kAllShapes) {
    std::map<typename Codec::Key, Record> sorted;
    for (int i = 0; i < 300; ++i) {
      Record r = Gen<Codec>::Make(rng, shape);
      sorted.emplace(Codec::KeyOf(r), r);
    }
    std::string bytes;
    Record prev{};
    for (const auto& [k, r] : sorted) {
      Codec::Encode(prev, r, &bytes);
      prev = r;
    }
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
    const auto* end = p + bytes.size();
    prev = Record{};
    for (const auto& [k, r] : sorted) {
      REQUIRE(p < end);
      Record out{};
      p = Codec::Decode(prev, p, &out);
      if (!Same(out, r))
        FAIL(std::string(ShapeName(shape)) << ": decoded " << Show(out) << " want " << Show(r));
      prev = out;
    }
    CHECK(p == end);
  }
}

TEST_CASE("PEL codecs: sorted chains decode back") {
  ChainRoundTrip<IdCodec>(21);
  ChainRoundTrip<PendingCodec>(22);
  ChainRoundTrip<TimeCodec>(23);
}

TEST_CASE("PEL codecs: a batch delivery costs a few bytes per record") {
  StreamId a{kRealBaseMs, 7};
  StreamId same_ms{kRealBaseMs, 8}, next_ms{kRealBaseMs + 1, 0};
  CHECK(Encoded<IdCodec>(a, same_ms).size() == 1);
  CHECK(Encoded<IdCodec>(a, next_ms).size() == 2);
  int64_t t = 1'700'000'000'123;
  CHECK(Encoded<PendingCodec>({a, t, 1, 3}, {same_ms, t, 1, 3}).size() == 4);
  CHECK(Encoded<PendingCodec>({a, t, 1, 3}, {next_ms, t + 1, 1, 4}).size() == 5);
  CHECK(Encoded<TimeCodec>({t, a}, {t, same_ms}).size() == 3);
  CHECK(Encoded<TimeCodec>({t, a}, {t + 1, next_ms}).size() == 3);
}

// ---- PackedSet: model-based ------------------------------------------------------------------

struct Stats {
  size_t duplicate_inserts = 0;
  size_t absent_erases = 0;
  size_t appended = 0;  // TryAppend calls that took their record
  size_t refused = 0;   // ... and that refused it
  size_t erases = 0;
  size_t max_leaves = 0;
  size_t emptied = 0;  // times the set went from some leaves to none
};

template <typename Codec>
class Harness {
 public:
  using Set = PackedSet<Codec>;
  using Record = typename Codec::Record;
  using Key = typename Codec::Key;

  Harness(uint64_t seed, IdShape shape) : seed_(seed), rng_(seed), shape_(shape) {}

  void Run(int ops, size_t high) {
    bool growing = true;
    int phase_start = 0;
    for (op_ = 0; op_ < ops; ++op_) {
      // Grow to `high` (or for a while, in small key spaces), then shrink to empty.
      if (growing && (model_.size() >= high || op_ - phase_start > 1500)) {
        growing = false;
      } else if (!growing && model_.empty()) {
        growing = true;
        phase_start = op_;
      }
      Step(growing);
      if (model_.size() <= 80 || op_ % 16 == 0) FullCheck();
    }
    FullCheck();
  }

  const Stats& stats() const { return stats_; }

 private:
  void Step(bool growing) {
    int r = static_cast<int>(rng_() % 100);
    int insert = growing ? 45 : 12, append = growing ? 20 : 3, erase = growing ? 12 : 60;
    if (r < insert) {
      Record any = Gen<Codec>::Make(rng_, shape_);
      if (rng_() % 4 == 0) {
        TryAppend(any);
      } else {
        Insert(any);
      }
    } else if ((r -= insert) < append) {
      // In key order after everything: the fast path, and new leaves at the end.
      Record last = model_.empty() ? Gen<Codec>::Make(rng_, shape_) : model_.rbegin()->second;
      if (auto next = Gen<Codec>::After(rng_, last)) {
        if (rng_() % 2) {
          TryAppend(*next);
        } else {
          Insert(*next);
        }
      }
    } else if ((r -= append) < erase) {
      Erase(growing || rng_() % 8 == 0 ? AnyKey() : PresentKey());
    } else if ((r -= erase) < 8) {
      Replace();
    } else if ((r -= 8) < 8) {
      Find(AnyKey());
    } else {
      Walk(AnyKey(), 1 + static_cast<int>(rng_() % 150));
    }
  }

  // A present key most of the time, else one erased before, else any key of the shape.
  Key AnyKey() {
    int r = static_cast<int>(rng_() % 10);
    if (r < 6 && !model_.empty()) return PresentKey();
    if (r < 8 && !gone_.empty()) return gone_[rng_() % gone_.size()];
    return Codec::KeyOf(Gen<Codec>::Make(rng_, shape_));
  }
  // A present key near a random one of the shape (or any key, when the set is empty).
  Key PresentKey() {
    Key k = Codec::KeyOf(Gen<Codec>::Make(rng_, shape_));
    if (model_.empty()) return k;
    auto it = model_.lower_bound(k);
    if (it == model_.end()) it = rng_() % 2 ? model_.begin() : std::prev(it);
    return it->first;
  }

  template <typename... Args>
  [[noreturn]] void Fail(const Args&... args) {
    std::string msg = "seed " + std::to_string(seed_) + " shape " + ShapeName(shape_) + " op " +
                      std::to_string(op_) + ": ";
    ((msg += args), ...);
    FAIL(msg);
    throw 0;  // not reached: FAIL throws
  }

  void Insert(const Record& r) {
    Key k = Codec::KeyOf(r);
    bool fresh = model_.find(k) == model_.end();
    if (set_.Insert(r) != fresh) Fail("Insert ", Show(r), " returned ", fresh ? "false" : "true");
    if (fresh) {
      model_.emplace(k, r);
    } else {
      ++stats_.duplicate_inserts;
      // The stored record is untouched.
      auto found = set_.Find(k);
      if (!found || !Same(*found, model_.at(k))) Fail("duplicate Insert changed ", Show(r));
    }
  }

  // TryAppend takes only a record after every live one (it may refuse one after a trailing
  // tombstone), and a refusal changes nothing; the record then goes in with Insert.
  void TryAppend(const Record& r) {
    Key k = Codec::KeyOf(r);
    bool after_all = model_.empty() || model_.rbegin()->first < k;
    size_t before = set_.size();
    if (set_.TryAppend(r)) {
      if (!after_all) Fail("TryAppend took ", Show(r), ", which is not after every record");
      model_.emplace(k, r);
      ++stats_.appended;
      return;
    }
    if (set_.size() != before) Fail("a refused TryAppend changed the size");
    ++stats_.refused;
    Insert(r);
  }

  void Erase(const Key& k) {
    auto got = set_.Erase(k);
    auto it = model_.find(k);
    if (it == model_.end()) {
      if (got) Fail("Erase of absent ", Show(k), " returned ", Show(*got));
      ++stats_.absent_erases;
      return;
    }
    if (!got || !Same(*got, it->second)) Fail("Erase of ", Show(k), " lost the record");
    model_.erase(it);
    ++stats_.erases;
    if (gone_.size() < 500) {
      gone_.push_back(k);
    } else {
      gone_[rng_() % gone_.size()] = k;
    }
  }

  void Replace() {
    if (model_.empty()) return;
    Key k = AnyKey();
    if (model_.find(k) == model_.end()) return;  // Replace requires a present key
    Record r = Gen<Codec>::WithKey(rng_, k);
    set_.Replace(r);
    model_[k] = r;
    auto found = set_.Find(k);
    if (!found || !Same(*found, r)) Fail("Replace of ", Show(k), " did not take");
  }

  void Find(const Key& k) {
    auto got = set_.Find(k);
    auto it = model_.find(k);
    if (got.has_value() != (it != model_.end())) Fail("Find ", Show(k), " presence differs");
    if (got && !Same(*got, it->second)) Fail("Find ", Show(k), " returned ", Show(*got));
  }

  void Walk(const Key& from, int steps) {
    auto c = set_.LowerBound(from);
    auto it = model_.lower_bound(from);
    for (int i = 0; i < steps; ++i, c.Next(), ++it) {
      if (c.valid() != (it != model_.end())) Fail("LowerBound(", Show(from), ") walk ends early");
      if (!c.valid()) return;
      if (!Same(c.record(), it->second)) {
        Fail("LowerBound(", Show(from), ") step ", std::to_string(i), ": ", Show(c.record()),
             " want ", Show(it->second));
      }
    }
  }

  void FullCheck() {
    if (set_.size() != model_.size()) {
      Fail("size ", std::to_string(set_.size()), " want ", std::to_string(model_.size()));
    }
    if (set_.empty() != model_.empty()) Fail("empty() wrong");
    auto it = model_.begin();
    for (auto c = set_.Begin(); c.valid(); c.Next(), ++it) {
      if (it == model_.end()) Fail("walk has extra ", Show(c.record()));
      if (!Same(c.record(), it->second))
        Fail("walk: ", Show(c.record()), " want ", Show(it->second));
    }
    if (it != model_.end()) Fail("walk misses ", Show(it->second));
    size_t n = 0;
    set_.ForEach([&](const Record&) { ++n; });
    if (n != model_.size()) Fail("ForEach count");
    auto last = set_.Last();
    if (last.has_value() == model_.empty()) Fail("Last() presence");
    if (last && !Same(*last, model_.rbegin()->second)) Fail("Last() is ", Show(*last));

    // No empty leaves, none above kLeafRecords records.
    size_t leaves = set_.leaf_count();
    if ((leaves == 0) != model_.empty() || leaves > model_.size() ||
        leaves * Set::kLeafRecords < model_.size()) {
      Fail(std::to_string(leaves), " leaves for ", std::to_string(model_.size()), " records");
    }
    if (stats_.max_leaves > 0 && leaves == 0 && had_leaves_) ++stats_.emptied;
    had_leaves_ = leaves > 0;
    stats_.max_leaves = std::max(stats_.max_leaves, leaves);
    std::string why;
    if (!set_.CheckInvariants(&why)) Fail("CheckInvariants: ", why);
  }

  uint64_t seed_;
  std::mt19937_64 rng_;
  IdShape shape_;
  int op_ = 0;
  Set set_;
  std::map<Key, Record> model_;
  std::vector<Key> gone_;
  Stats stats_;
  bool had_leaves_ = false;
};

template <typename Codec>
void RunAllShapes(uint64_t seed) {
  Stats total;
  for (IdShape shape : kAllShapes) {
    Harness<Codec> h(seed++, shape);
    h.Run(20000, 1000);
    const Stats& s = h.stats();
    total.duplicate_inserts += s.duplicate_inserts;
    total.absent_erases += s.absent_erases;
    total.appended += s.appended;
    total.refused += s.refused;
    total.erases += s.erases;
    total.emptied += s.emptied;
    total.max_leaves = std::max(total.max_leaves, s.max_leaves);
    INFO("shape " << std::string(ShapeName(shape)));
    CHECK_MESSAGE(s.emptied > 0, "the set never emptied");
  }
  // The runs reached the interesting states.
  CHECK(total.duplicate_inserts > 100);
  CHECK(total.absent_erases > 100);
  CHECK(total.appended > 100);
  CHECK(total.refused > 100);
  CHECK(total.max_leaves >= 12);
}

TEST_CASE("PackedSet<IdCodec> against std::map") { RunAllShapes<IdCodec>(100); }
TEST_CASE("PackedSet<PendingCodec> against std::map") { RunAllShapes<PendingCodec>(200); }
TEST_CASE("PackedSet<TimeCodec> against std::map") { RunAllShapes<TimeCodec>(300); }

// ---- PackedSet: fixed scenarios at leaf boundaries ------------------------------------------

void RequireSound(const PackedSet<IdCodec>& s) {
  std::string why;
  INFO(why);
  REQUIRE(s.CheckInvariants(&why));
}

std::vector<StreamId> All(const PackedSet<IdCodec>& s) {
  std::vector<StreamId> out;
  s.ForEach([&](const StreamId& id) { out.push_back(id); });
  return out;
}

TEST_CASE("PackedSet: appends fill leaves of 64; a middle insert splits a full leaf") {
  PackedSet<IdCodec> s;
  CHECK(s.empty());
  CHECK(s.leaf_count() == 0);
  CHECK_FALSE(s.Begin().valid());
  CHECK_FALSE(s.Last().has_value());
  CHECK_FALSE(s.Erase({1, 1}).has_value());
  for (uint64_t i = 0; i < 640; ++i) REQUIRE(s.Insert({100, 2 * i}));
  CHECK(s.size() == 640);
  CHECK(s.leaf_count() == 10);
  RequireSound(s);
  CHECK(s.Insert({100, 1}));  // into the full first leaf: 65 records become 33 + 32
  CHECK(s.leaf_count() == 11);
  CHECK_FALSE(s.Insert({100, 1}));
  CHECK(s.Insert({99, 0}));  // before everything
  CHECK(s.leaf_count() == 11);
  CHECK(s.Insert({100, 1279}));  // after everything, in a full last leaf: a new leaf
  CHECK(s.leaf_count() == 12);
  RequireSound(s);
  auto all = All(s);
  REQUIRE(all.size() == 643);
  CHECK(std::is_sorted(all.begin(), all.end()));
  CHECK(all.front() == StreamId{99, 0});
  CHECK(all[1] == StreamId{100, 0});
  CHECK(all[2] == StreamId{100, 1});
  CHECK(*s.Last() == StreamId{100, 1279});
}

TEST_CASE("PackedSet: tombstones past half a leaf repack it; a leaf with none live goes") {
  PackedSet<PendingCodec> s;
  for (uint64_t i = 0; i < 192; ++i) REQUIRE(s.Insert({{7, i}, 1000 + int64_t(i), 1, 0}));
  REQUIRE(s.leaf_count() == 3);
  std::string why;
  // Leaf 2 holds 64..127. Erasing 32 of them leaves tombstones at exactly half: no rewrite.
  for (uint64_t i = 64; i < 96; ++i) REQUIRE(s.Erase({7, i}));
  size_t before = s.MemoryUsage();
  CHECK(s.CheckInvariants(&why));
  // One more and they outnumber the live records: the leaf is rewritten, smaller.
  REQUIRE(s.Erase({7, 96}));
  CHECK(s.MemoryUsage() < before);
  CHECK(s.CheckInvariants(&why));
  CHECK(s.leaf_count() == 3);
  CHECK_FALSE(s.Erase({7, 96}).has_value());  // already erased
  CHECK_FALSE(s.Find({7, 80}).has_value());
  // The walk from an erased key lands on the next live one, across the rewritten leaf.
  auto c = s.LowerBound({7, 70});
  REQUIRE(c.valid());
  CHECK(c.record().id == StreamId{7, 97});
  CHECK(c.record().delivery_ms == 1097);
  // Emptying the middle leaf removes it; the walk skips straight over.
  for (uint64_t i = 97; i < 128; ++i) REQUIRE(s.Erase({7, i}));
  CHECK(s.leaf_count() == 2);
  c = s.LowerBound({7, 64});
  REQUIRE(c.valid());
  CHECK(c.record().id == StreamId{7, 128});
  CHECK(s.size() == 128);
  CHECK(s.CheckInvariants(&why));
  // Tombstones at the end of the last leaf: Last() skips them, and appends still decode.
  REQUIRE(s.Erase({7, 191}));
  REQUIRE(s.Erase({7, 190}));
  CHECK(s.Last()->id == StreamId{7, 189});
  REQUIRE(s.Insert({{7, 191}, 5, 2, 3}));  // re-insert over its own tombstone
  REQUIRE(s.Insert({{8, 0}, 6, 1, 4}));
  CHECK(s.Last()->id == StreamId{8, 0});
  CHECK(s.Find({7, 191})->delivery_ms == 5);
  CHECK_FALSE(s.Find({7, 190}).has_value());
  CHECK(s.CheckInvariants(&why));
  // Erasing everything leaves no leaf at all.
  std::vector<StreamId> ids;
  s.ForEach([&](const PendingRecord& r) { ids.push_back(r.id); });
  for (const StreamId& id : ids) REQUIRE(s.Erase(id));
  CHECK(s.empty());
  CHECK(s.leaf_count() == 0);
  CHECK_FALSE(s.Last().has_value());
  CHECK_FALSE(s.LowerBound(StreamId::Min()).valid());
  CHECK(s.Insert({{1, 1}, 0, 1, 0}));
  CHECK(s.leaf_count() == 1);
}

TEST_CASE("PackedSet: a duplicate Insert changes nothing; Replace keeps the key's place") {
  PackedSet<PendingCodec> s;
  REQUIRE(s.Insert({{5, 5}, 100, 1, 2}));
  CHECK_FALSE(s.Insert({{5, 5}, 999, 9, 9}));
  CHECK(s.size() == 1);
  CHECK(Same(*s.Find({5, 5}), PendingRecord{{5, 5}, 100, 1, 2}));
  REQUIRE(s.Insert({{5, 4}, 50, 1, 1}));
  REQUIRE(s.Insert({{5, 6}, 150, 1, 1}));
  s.Replace({{5, 5}, -7, kU64Max, UINT32_MAX});
  CHECK(Same(*s.Find({5, 5}), PendingRecord{{5, 5}, -7, kU64Max, UINT32_MAX}));
  // The record after the replaced one still decodes against it.
  CHECK(Same(*s.Find({5, 6}), PendingRecord{{5, 6}, 150, 1, 1}));
  CHECK(s.size() == 3);
  std::string why;
  CHECK(s.CheckInvariants(&why));
}

TEST_CASE("PackedSet: the largest IDs and times sort and survive in one leaf") {
  PackedSet<TimeCodec> t;
  const int64_t times[] = {kI64Max, kI64Min, -1, 0, 1};
  for (int64_t time : times) {
    REQUIRE(t.Insert({time, StreamId::Max()}));
    REQUIRE(t.Insert({time, StreamId::Min()}));
    REQUIRE(t.Insert({time, {kU64Max, 0}}));
    REQUIRE(t.Insert({time, {0, kU64Max}}));
  }
  std::vector<TimedId> got;
  t.ForEach([&](const TimedId& r) { got.push_back(r); });
  REQUIRE(got.size() == 20);
  CHECK(got.front().delivery_ms == kI64Min);
  CHECK(got.front().id == StreamId::Min());
  CHECK(got.back().delivery_ms == kI64Max);
  CHECK(got.back().id == StreamId::Max());
  for (size_t i = 1; i < got.size(); ++i) {
    CHECK(std::pair(got[i - 1].delivery_ms, got[i - 1].id) <
          std::pair(got[i].delivery_ms, got[i].id));
  }
  PackedSet<IdCodec> s;
  REQUIRE(s.Insert(StreamId::Max()));
  REQUIRE(s.Insert({0, kU64Max}));
  REQUIRE(s.Insert({kU64Max, 0}));
  REQUIRE(s.Insert({0, 1}));
  CHECK(All(s) == std::vector<StreamId>{{0, 1}, {0, kU64Max}, {kU64Max, 0}, StreamId::Max()});
}

}  // namespace
}  // namespace runnel::streams
