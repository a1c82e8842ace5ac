// Stream: a model-based random test against std::map<StreamId, fields> with tiny node limits
// (so blocks split, compact and merge constantly): appends through NextId with a clock that
// sometimes goes backwards, deletes, exact and approximate trims, SetId, ranges both ways,
// Find and LastLiveId, comparing all bookkeeping, the full contents both ways and the block
// structure after every operation. Values mix canonical and non-canonical numbers, empty and
// long strings, which must round-trip byte-exactly. Plus unit cases for the NextId rules,
// SetId's errors and effects, and first_id after the last entry goes.
// (Fixed scenarios at block boundaries are in stream_blocks_test.cc.)
#include "streams/stream.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tests/streams/stream_test_util.h"

namespace runnel::streams {
namespace {

using namespace runnel::streams::testing;  // NOLINT: test helpers

struct ModelStream {
  Model entries;
  StreamId last_id;
  StreamId max_deleted;
  uint64_t entries_added = 0;
  StreamId first() const { return entries.empty() ? StreamId::Min() : entries.begin()->first; }
};

// Redis's rules for the ID of a new entry, written out independently.
OpResult<StreamId> ModelNextId(const ModelStream& m, const AddIdSpec& spec, uint64_t now) {
  StreamId last = m.last_id;
  if (last == StreamId::Max()) return Errc::kStreamExhausted;
  switch (spec.kind) {
    case AddIdSpec::Kind::kAuto:
      if (now > last.ms) return StreamId{now, 0};
      if (last.seq < kMax) return StreamId{last.ms, last.seq + 1};
      return StreamId{last.ms + 1, 0};
    case AddIdSpec::Kind::kAutoSeq:
      if (spec.id.ms == last.ms) {
        if (last.seq == kMax) return Errc::kStreamIdTooSmall;
        return StreamId{last.ms, last.seq + 1};
      }
      if (spec.id.ms < last.ms) return Errc::kStreamIdTooSmall;
      return StreamId{spec.id.ms, 0};
    case AddIdSpec::Kind::kExplicit:
      if (spec.id <= last) return Errc::kStreamIdTooSmall;
      return spec.id;
  }
  return Errc::kOk;
}

std::string SameResult(const OpResult<StreamId>& a, const OpResult<StreamId>& b) {
  if (a.ok() != b.ok()) return "ok differs";
  if (!a.ok()) return a.error() == b.error() ? "" : "error differs";
  return *a == *b ? "" : "id " + a->ToString() + " vs " + b->ToString();
}

class Values {
 public:
  explicit Values(std::mt19937_64& rng) : rng_(rng) {}

  std::string Value() {
    static const char* kFixed[] = {"0",
                                   "-5",
                                   "9223372036854775807",
                                   "-9223372036854775808",
                                   "007",
                                   "+1",
                                   "-0",
                                   "1.5",
                                   "",
                                   "127",
                                   "128",
                                   "-1",
                                   "-4096",
                                   "-4097",
                                   "4095",
                                   "4096",
                                   "32767",
                                   "32768",
                                   "-32768",
                                   "-32769",
                                   "8388607",
                                   "8388608",
                                   "-8388608",
                                   "-8388609",
                                   "2147483647",
                                   "2147483648",
                                   "-2147483648",
                                   "-2147483649",
                                   "9223372036854775808",
                                   "-9223372036854775809",
                                   " 1",
                                   "1 ",
                                   "00",
                                   "0x1",
                                   "1e3",
                                   "-",
                                   "+"};
    switch (rng_() % 10) {
      case 0:
      case 1:
      case 2:
        return kFixed[rng_() % (sizeof(kFixed) / sizeof(kFixed[0]))];
      case 3:
        return std::to_string(static_cast<int64_t>(rng_()) >> (rng_() % 64));
      case 4: {  // longer than the 1-byte length form
        return Bytes(64 + rng_() % 200);
      }
      case 5:
        // Rarely longer than the 12-bit length form.
        if (rng_() % 8 == 0) return Bytes(4096 + rng_() % 1500);
        return Bytes(rng_() % 64);
      default:
        return Bytes(rng_() % 12);
    }
  }

  Fields Entry() {
    static const std::vector<std::vector<std::string>> kNames = {
        {"a", "b"},      {"a", "b"},
        {"a", "b"},      {"a"},
        {"b", "a"},      {"1", "2"},
        {"1", "3"},      {"a", "c"},
        {"a", "b", "c"}, {"a", "b", "d"},
        {"007"},         {"", "x"},
        {"-1"},          {"temperature", "humidity"}};
    const auto& names = kNames[rng_() % kNames.size()];
    Fields f;
    for (const auto& n : names) {
      f.push_back(n);
      f.push_back(Value());
    }
    return f;
  }

 private:
  std::string Bytes(size_t n) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng_() % 5 == 0 ? rng_() : 'a' + rng_() % 26);
    return s;
  }
  std::mt19937_64& rng_;
};

class ModelTest {
 public:
  ModelTest(uint64_t seed, StreamLimits limits) : rng_(seed), values_(rng_), limits_(limits) {}

  void Run(int ops) {
    for (op_ = 0; op_ < ops && failures_ == 0; ++op_) {
      int choice = static_cast<int>(rng_() % 100);
      if (choice < 45) {
        DoAppend();
      } else if (choice < 60) {
        DoDelete();
      } else if (choice < 68) {
        DoTrim();
      } else if (choice < 85) {
        DoRange();
      } else if (choice < 95) {
        DoFind();
      } else {
        DoSetId();
      }
      CheckAll();
    }
    INFO("limits ", limits_.node_max_entries, "/", limits_.node_max_bytes, " op ", op_,
         " first failure: ", first_failure_);
    CHECK(failures_ == 0);
  }

  uint64_t appended() const { return appended_; }
  uint64_t trimmed_approx() const { return trimmed_approx_; }

 private:
  void Expect(bool ok, const std::string& what) {
    if (!ok && failures_++ == 0) first_failure_ = what;
  }

  StreamId RandomIdNear() {
    if (!model_.entries.empty() && rng_() % 2 == 0) {
      auto it = model_.entries.begin();
      std::advance(it, static_cast<long>(rng_() % model_.entries.size()));
      StreamId id = it->first;
      switch (rng_() % 3) {
        case 0:
          return id;
        case 1:
          return id.Next().value_or(id);
        default:
          return id.Prev().value_or(id);
      }
    }
    switch (rng_() % 5) {
      case 0:
        return StreamId::Min();
      case 1:
        return StreamId::Max();
      case 2:
        return model_.last_id;
      case 3:
        return model_.first();
      default: {
        uint64_t lo = model_.first().ms, hi = model_.last_id.ms;
        uint64_t ms = hi > lo ? lo + rng_() % (hi - lo + 1) : lo;
        return StreamId{ms, rng_() % 4};
      }
    }
  }

  void DoAppend() {
    // The clock mostly moves forward, sometimes stalls or goes back.
    int64_t step = static_cast<int64_t>(rng_() % 10) - 3;
    if (rng_() % 50 == 0) step = -100;
    now_ = static_cast<uint64_t>(std::max<int64_t>(0, static_cast<int64_t>(now_) + step));

    AddIdSpec spec;
    StreamId last = model_.last_id;
    uint64_t r = rng_() % 10;
    if (r < 5) {
      spec.kind = AddIdSpec::Kind::kAuto;
    } else if (r < 7) {
      spec.kind = AddIdSpec::Kind::kAutoSeq;
      switch (rng_() % 4) {
        case 0:
          spec.id.ms = last.ms;
          break;
        case 1:
          spec.id.ms = last.ms + 1;
          break;
        case 2:
          spec.id.ms = last.ms > 0 ? last.ms - 1 : 0;
          break;
        default:
          spec.id.ms = now_;
          break;
      }
    } else {
      spec.kind = AddIdSpec::Kind::kExplicit;
      switch (rng_() % 8) {
        case 0:
          spec.id = last;
          break;
        case 1:
          spec.id = StreamId{last.ms, last.seq > 0 ? last.seq - 1 : 0};
          break;
        case 2:
          spec.id = StreamId{last.ms, last.seq + 1 + rng_() % 3};
          break;
        case 3:
          spec.id = StreamId{last.ms + 1 + rng_() % 1000, rng_() % 3};
          break;
        case 4:  // a big jump in ms, so the ms delta needs a long varint
          spec.id = StreamId{last.ms + (rng_() % 20 == 0 ? (1ULL << 40) : 70000), 0};
          break;
        case 5:  // a huge sequence number
          spec.id = StreamId{last.ms + 1, kMax - 1 - rng_() % 2};
          break;
        default:
          spec.id = *last.Next();
          break;
      }
    }
    OpResult<StreamId> want = ModelNextId(model_, spec, now_);
    OpResult<StreamId> got = stream_.NextId(spec, now_);
    std::string diff = SameResult(got, want);
    Expect(diff.empty(), "NextId: " + diff);
    if (!got.ok() || !diff.empty()) return;

    Fields f = values_.Entry();
    Add(stream_, *got, f, limits_);
    model_.entries.emplace(*got, f);
    model_.last_id = *got;
    ++model_.entries_added;
    ++appended_;
  }

  void DoDelete() {
    StreamId id;
    uint64_t r = rng_() % 4;
    if (r == 0 && !deleted_.empty()) {
      id = deleted_[rng_() % deleted_.size()];
    } else {
      id = RandomIdNear();
    }
    bool want = model_.entries.erase(id) > 0;
    bool got = stream_.Delete(id, limits_);
    Expect(got == want, "Delete " + id.ToString());
    if (want) {
      if (id > model_.max_deleted) model_.max_deleted = id;
      deleted_.push_back(id);
    }
  }

  void DoTrim() {
    TrimSpec spec;
    spec.strategy = rng_() % 2 ? TrimSpec::Strategy::kMaxLen : TrimSpec::Strategy::kMinId;
    spec.approx = rng_() % 2 == 0;
    if (spec.approx && rng_() % 2) spec.limit = static_cast<int64_t>(1 + rng_() % 10);
    uint64_t exact = 0;  // what an exact trim removes
    const uint64_t len = model_.entries.size();
    if (spec.strategy == TrimSpec::Strategy::kMaxLen) {
      spec.maxlen = rng_() % (len + 3);
      if (rng_() % 4 == 0) spec.maxlen = len > 3 ? len - 3 : 0;
      exact = len > spec.maxlen ? len - spec.maxlen : 0;
    } else {
      spec.minid = RandomIdNear();
      for (auto it = model_.entries.begin(); it != model_.entries.end() && it->first < spec.minid;
           ++it) {
        ++exact;
      }
    }
    uint64_t removed = stream_.Trim(spec, limits_);
    std::string what =
        std::string(spec.approx ? "approx " : "exact ") +
        (spec.strategy == TrimSpec::Strategy::kMaxLen ? "MAXLEN " + std::to_string(spec.maxlen)
                                                      : "MINID " + spec.minid.ToString()) +
        " LIMIT " + std::to_string(spec.limit) + " removed " + std::to_string(removed) + " exact " +
        std::to_string(exact);
    if (spec.approx) {
      Expect(removed <= exact, "approx trim removed more than exact: " + what);
      if (spec.limit > 0) {
        Expect(removed <= static_cast<uint64_t>(spec.limit), "approx trim over LIMIT: " + what);
      }
      trimmed_approx_ += removed;
    } else {
      Expect(removed == exact, "exact trim count: " + what);
    }
    // Only a prefix goes: drop the first `removed` model entries; CheckAll compares the rest.
    uint64_t n = std::min<uint64_t>(removed, model_.entries.size());
    for (uint64_t i = 0; i < n; ++i) model_.entries.erase(model_.entries.begin());
    if (failures_ == 0) last_op_ = what;
  }

  void DoRange() {
    StreamId a = RandomIdNear(), b = RandomIdNear();
    if (rng_() % 5 != 0 && b < a) std::swap(a, b);  // sometimes leave start > end
    bool reverse = rng_() % 2 == 0;
    Listing got = ReadRange(stream_, a, b, reverse);
    Listing want = ModelRange(model_.entries, a, b, reverse);
    Expect(got == want, "Range " + a.ToString() + " " + b.ToString() + (reverse ? " rev" : "") +
                            "\n got  " + Show(got) + "\n want " + Show(want));
  }

  void DoFind() {
    StreamId id =
        rng_() % 4 == 0 && !deleted_.empty() ? deleted_[rng_() % deleted_.size()] : RandomIdNear();
    std::optional<Stream::Iterator> it = stream_.Find(id);
    auto m = model_.entries.find(id);
    Expect(it.has_value() == (m != model_.entries.end()), "Find presence " + id.ToString());
    if (it && m != model_.entries.end()) {
      Expect(it->id() == id, "Find id");
      Expect(ReadFields(*it) == m->second, "Find fields " + id.ToString());
      Expect(!it->Next(), "Find iterator runs past its ID");
    }
  }

  void DoSetId() {
    StreamId cand;
    switch (rng_() % 5) {
      case 0:
        cand = model_.last_id;
        break;
      case 1:
        cand = model_.last_id.Next().value_or(model_.last_id);
        break;
      case 2:
        cand = model_.entries.empty() ? model_.max_deleted : model_.entries.rbegin()->first;
        break;
      case 3:
        cand = model_.last_id.Prev().value_or(model_.last_id);
        break;
      default:
        cand = StreamId{model_.last_id.ms + rng_() % 50, rng_() % 3};
        break;
    }
    std::optional<uint64_t> added;
    if (rng_() % 2) {
      uint64_t len = model_.entries.size();
      switch (rng_() % 3) {
        case 0:
          added = len;
          break;
        case 1:
          added = len > 0 ? len - 1 : 0;
          break;
        default:
          added = model_.entries_added + rng_() % 5;
          break;
      }
    }
    std::optional<StreamId> maxdel;
    switch (rng_() % 4) {
      case 0:
        maxdel = model_.max_deleted;
        break;
      case 1:
        maxdel = StreamId::Min();
        break;
      case 2:
        maxdel = cand;
        break;
      default:
        break;
    }
    Errc want = Errc::kOk;
    if (cand < model_.max_deleted) {
      want = Errc::kSetIdSmallerThanCurrentMaxDeleted;
    } else if (!model_.entries.empty()) {
      if (cand < model_.entries.rbegin()->first) {
        want = Errc::kSetIdSmallerThanTop;
      } else if (added && model_.entries.size() > *added) {
        want = Errc::kSetIdEntriesAddedTooSmall;
      }
    }
    Errc got = stream_.SetId(cand, added, maxdel);
    Expect(got == want, "SetId " + cand.ToString() + " errc " +
                            std::to_string(static_cast<int>(got)) + " want " +
                            std::to_string(static_cast<int>(want)));
    if (want == Errc::kOk) {
      model_.last_id = cand;
      if (added) model_.entries_added = *added;
      if (maxdel && !maxdel->IsMin()) model_.max_deleted = *maxdel;
    }
  }

  void CheckAll() {
    const std::string at = " (after op " + std::to_string(op_) + " " + last_op_ + ")";
    Expect(stream_.length() == model_.entries.size(),
           "length " + std::to_string(stream_.length()) + " want " +
               std::to_string(model_.entries.size()) + at);
    Expect(stream_.first_id() == model_.first(),
           "first_id " + stream_.first_id().ToString() + " want " + model_.first().ToString() + at);
    Expect(stream_.last_id() == model_.last_id, "last_id" + at);
    Expect(stream_.max_deleted_id() == model_.max_deleted, "max_deleted_id" + at);
    Expect(stream_.entries_added() == model_.entries_added, "entries_added" + at);
    std::optional<StreamId> last_live = stream_.LastLiveId();
    Expect(last_live.has_value() == !model_.entries.empty(), "LastLiveId presence" + at);
    if (last_live && !model_.entries.empty()) {
      Expect(*last_live == model_.entries.rbegin()->first, "LastLiveId" + at);
    }
    Listing fwd = ReadRange(stream_, StreamId::Min(), StreamId::Max(), false);
    Listing want = ModelRange(model_.entries, StreamId::Min(), StreamId::Max(), false);
    Expect(fwd == want,
           "contents forwards" + at + "\n got  " + Show(fwd) + "\n want " + Show(want));
    Listing back = ReadRange(stream_, StreamId::Min(), StreamId::Max(), true);
    std::reverse(want.begin(), want.end());
    Expect(back == want, "contents backwards" + at);
    std::string blocks = CheckBlocks(stream_, limits_);
    Expect(blocks.empty(), "blocks: " + blocks + at);
  }

  std::mt19937_64 rng_;
  Values values_;
  StreamLimits limits_;
  Stream stream_;
  ModelStream model_;
  std::vector<StreamId> deleted_;
  uint64_t now_ = 1000;
  int op_ = 0;
  std::string last_op_;
  size_t failures_ = 0;
  std::string first_failure_;
  uint64_t appended_ = 0;
  uint64_t trimmed_approx_ = 0;
};

TEST_CASE("model: tiny node limits, every combination") {
  uint64_t seed = 1;
  for (uint64_t entries : {1, 2, 3, 5}) {
    for (uint64_t bytes : {0, 16, 40, 100}) {
      for (int round = 0; round < 2; ++round) {
        StreamLimits limits;
        limits.node_max_entries = entries;
        limits.node_max_bytes = bytes;
        ModelTest t(seed++ * 1000003, limits);
        t.Run(1500);
        CHECK(t.appended() > 300);
      }
    }
  }
}

TEST_CASE("model: unlimited entries per block, and the default limits") {
  uint64_t seed = 77;
  for (auto [entries, bytes] :
       {std::pair<uint64_t, uint64_t>{0, 100}, {0, 0}, {100, 4096}, {7, 0}}) {
    StreamLimits limits;
    limits.node_max_entries = entries;
    limits.node_max_bytes = bytes;
    ModelTest t(seed++, limits);
    t.Run(3000);
  }
}

// ---- Unit cases ---------------------------------------------------------------------------

TEST_CASE("NextId: automatic IDs") {
  Stream s;
  AddIdSpec a;  // kAuto
  CHECK(*s.NextId(a, 1000) == StreamId{1000, 0});
  Add(s, {1000, 0}, {"f", "v"});
  // Clock ahead of the last ID: a fresh millisecond.
  CHECK(*s.NextId(a, 1001) == StreamId{1001, 0});
  // Clock equal or behind: the last ID's sequence plus one.
  CHECK(*s.NextId(a, 1000) == StreamId{1000, 1});
  CHECK(*s.NextId(a, 5) == StreamId{1000, 1});
  CHECK(*s.NextId(a, 0) == StreamId{1000, 1});
  // Last sequence at its maximum: the next millisecond, sequence 0.
  Add(s, {1000, kMax}, {"f", "v"});
  CHECK(*s.NextId(a, 999) == StreamId{1001, 0});
  // The very last ID: the stream is exhausted for every kind of ID.
  Add(s, StreamId::Max(), {"f", "v"});
  CHECK(s.NextId(a, 5).error() == Errc::kStreamExhausted);
  AddIdSpec seq;
  seq.kind = AddIdSpec::Kind::kAutoSeq;
  seq.id.ms = kMax;
  CHECK(s.NextId(seq, 5).error() == Errc::kStreamExhausted);
  AddIdSpec exp;
  exp.kind = AddIdSpec::Kind::kExplicit;
  exp.id = StreamId{1, 1};
  CHECK(s.NextId(exp, 5).error() == Errc::kStreamExhausted);
}

TEST_CASE("NextId: ms-* and explicit IDs") {
  Stream s;
  AddIdSpec seq;
  seq.kind = AddIdSpec::Kind::kAutoSeq;
  seq.id.ms = 0;
  CHECK(*s.NextId(seq, 100) == StreamId{0, 1});  // 0-* on an empty stream is 0-1, as in Redis
  seq.id.ms = 5;
  CHECK(*s.NextId(seq, 100) == StreamId{5, 0});
  Add(s, {5, 3}, {"f", "v"});
  CHECK(*s.NextId(seq, 100) == StreamId{5, 4});  // equal ms: last seq + 1
  seq.id.ms = 4;
  CHECK(s.NextId(seq, 100).error() == Errc::kStreamIdTooSmall);
  seq.id.ms = 6;
  CHECK(*s.NextId(seq, 0) == StreamId{6, 0});
  Add(s, {6, kMax}, {"f", "v"});
  seq.id.ms = 6;
  CHECK(s.NextId(seq, 100).error() == Errc::kStreamIdTooSmall);  // equal ms, seq at max

  AddIdSpec exp;
  exp.kind = AddIdSpec::Kind::kExplicit;
  exp.id = StreamId{6, kMax};
  CHECK(s.NextId(exp, 100).error() == Errc::kStreamIdTooSmall);  // equal to last
  exp.id = StreamId{6, 5};
  CHECK(s.NextId(exp, 100).error() == Errc::kStreamIdTooSmall);  // below last
  exp.id = StreamId{7, 0};
  CHECK(*s.NextId(exp, 100) == StreamId{7, 0});

  Stream empty;
  exp.id = StreamId{0, 0};
  CHECK(empty.NextId(exp, 100).error() == Errc::kStreamIdTooSmall);
  exp.id = StreamId{0, 1};
  CHECK(*empty.NextId(exp, 100) == StreamId{0, 1});
}

TEST_CASE("SetId: errors and effects") {
  Stream s;
  Add(s, {1, 0}, {"f", "v"});
  Add(s, {2, 0}, {"f", "v"});
  Add(s, {3, 0}, {"f", "v"});
  CHECK(s.Delete({3, 0}, {}));
  CHECK(s.max_deleted_id() == StreamId{3, 0});
  CHECK(s.SetId({2, 5}, std::nullopt, std::nullopt) == Errc::kSetIdSmallerThanCurrentMaxDeleted);
  CHECK(s.Delete({2, 0}, {}));
  Stream t;
  Add(t, {1, 0}, {"f", "v"});
  Add(t, {5, 0}, {"f", "v"});
  CHECK(t.SetId({4, 0}, std::nullopt, std::nullopt) == Errc::kSetIdSmallerThanTop);
  CHECK(t.SetId({5, 0}, 1, std::nullopt) == Errc::kSetIdEntriesAddedTooSmall);
  CHECK(t.last_id() == StreamId{5, 0});
  CHECK(t.entries_added() == 2);
  CHECK(t.SetId({9, 0}, 10, StreamId{7, 0}) == Errc::kOk);
  CHECK(t.last_id() == StreamId{9, 0});
  CHECK(t.entries_added() == 10);
  CHECK(t.max_deleted_id() == StreamId{7, 0});
  // A max-deleted-id of 0-0 leaves the recorded one alone.
  CHECK(t.SetId({9, 0}, std::nullopt, StreamId{0, 0}) == Errc::kOk);
  CHECK(t.max_deleted_id() == StreamId{7, 0});
  // New IDs continue after the set ID.
  CHECK(*t.NextId(AddIdSpec{}, 3) == StreamId{9, 1});
  // On an empty stream only the max-deleted-id constrains.
  Stream e;
  CHECK(e.SetId({5, 0}, 0, std::nullopt) == Errc::kOk);
  CHECK(e.last_id() == StreamId{5, 0});
  CHECK(e.length() == 0);
  // So XSETID may lower last_id once the entries above are trimmed away (Redis allows it).
  Stream z;
  Add(z, {100, 0}, {"f", "v"});
  TrimSpec all;
  all.strategy = TrimSpec::Strategy::kMaxLen;
  CHECK(z.Trim(all, {}) == 1);
  CHECK(z.SetId({1, 0}, std::nullopt, std::nullopt) == Errc::kOk);
  CHECK(z.last_id() == StreamId{1, 0});
  CHECK(*z.NextId(AddIdSpec{}, 0) == StreamId{1, 1});
}

TEST_CASE("first_id: 0-0 on an empty stream and after the last entry goes") {
  Stream s;
  CHECK(s.first_id() == StreamId::Min());
  Add(s, {5, 1}, {"f", "v"});
  Add(s, {6, 1}, {"f", "v"});
  CHECK(s.first_id() == StreamId{5, 1});
  CHECK(s.Delete({5, 1}, {}));
  CHECK(s.first_id() == StreamId{6, 1});
  CHECK_FALSE(s.Delete({5, 1}, {}));
  CHECK(s.Delete({6, 1}, {}));
  CHECK(s.length() == 0);
  CHECK(s.first_id() == StreamId::Min());
  CHECK(s.last_id() == StreamId{6, 1});
  CHECK(s.max_deleted_id() == StreamId{6, 1});
  CHECK(s.entries_added() == 2);
  CHECK(s.block_count() == 0);
  CHECK_FALSE(s.LastLiveId());
  // Appending again sets first_id to the new entry.
  Add(s, {7, 0}, {"f", "v"});
  CHECK(s.first_id() == StreamId{7, 0});
  // And after a trim to zero.
  TrimSpec all;
  all.strategy = TrimSpec::Strategy::kMaxLen;
  all.maxlen = 0;
  CHECK(s.Trim(all, {}) == 1);
  CHECK(s.first_id() == StreamId::Min());
  CHECK(s.max_deleted_id() == StreamId{6, 1});  // trims do not touch max-deleted-id
}

}  // namespace
}  // namespace runnel::streams
