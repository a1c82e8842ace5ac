// Retention in the stream layer (streams/trim.h): RETENTION-MAXLEN's trim on append and the
// RETENTION-MS age-out slices, checked against a model of which entries must remain.
#include <doctest/doctest.h>

#include <random>
#include <set>

#include "stream_test_util.h"
#include "streams/trim.h"

namespace runnel::streams {
namespace {

using testing::Add;
using testing::ReadRange;

std::set<StreamId> LiveIds(const Stream& s) {
  std::set<StreamId> ids;
  for (const auto& [id, fields] : ReadRange(s, StreamId::Min(), StreamId::Max(), false)) {
    ids.insert(id);
  }
  return ids;
}

TEST_CASE("KEEPREF age-out removes exactly the entries older than the cutoff, in slices") {
  std::mt19937 rng(11);
  const StreamLimits limits{200, 3};
  for (int round = 0; round < 200; ++round) {
    Stream s;
    std::set<StreamId> model;
    uint64_t n = 1 + rng() % 60;
    for (uint64_t i = 1; i <= n; ++i) {
      StreamId id{i * 10, rng() % 3};
      if (!model.empty() && id <= *model.rbegin()) id = StreamId{id.ms, model.rbegin()->seq + 1};
      Add(s, id, {"f", "v"}, limits);
      model.insert(id);
    }
    s.set_retention({.max_age_ms = 1000});
    int64_t now = 1000 + static_cast<int64_t>(rng() % (n * 10 + 20));
    size_t budget = 1 + rng() % 10;
    std::set<StreamId> want;
    for (StreamId id : model) {
      if (id.ms >= static_cast<uint64_t>(now - 1000)) want.insert(id);
    }
    for (int slice = 0; slice < 100; ++slice) {
      size_t before = s.length();
      TrimOutcome t = AgeOut(s, now, budget, limits);
      CHECK(t.removed <= budget);
      CHECK(t.examined <= budget);
      CHECK(t.examined >= t.removed);
      CHECK_FALSE(t.listed);
      CHECK(before - s.length() == t.removed);
      if (t.removed == 0) break;
    }
    CHECK(LiveIds(s) == want);
  }
}

TEST_CASE("ACKED age-out keeps what a group still references and resumes past it") {
  const StreamLimits limits{4096, 4};
  Stream s;
  for (uint64_t i = 1; i <= 40; ++i) Add(s, StreamId{i, 0}, {"f", "v"}, limits);
  ConsumerGroup* g = s.CreateGroup("g", StreamId{30, 0}, 30);  // 31..40 not delivered
  auto [c, created] = g->GetOrCreateConsumer("c", 0);
  for (uint64_t i : {2, 3, 5, 7, 11, 13}) g->SetPending(StreamId{i, 0}, *c, 0, 1);
  s.set_retention({.max_age_ms = 100, .refs = RefPolicy::kAcked});
  const int64_t now = 136;  // cutoff 36-0: 31..35 are old but undelivered
  std::set<StreamId> want;
  for (uint64_t i : {2, 3, 5, 7, 11, 13}) want.insert(StreamId{i, 0});
  for (uint64_t i = 31; i <= 40; ++i) want.insert(StreamId{i, 0});
  // A budget of 4: the first slices examine the pending ones and must still get past them.
  for (int slice = 0; slice < 40; ++slice) {
    TrimOutcome t = AgeOut(s, now, 4, limits);
    CHECK(t.examined <= 4);
    CHECK((t.removed == 0 || t.listed));
    CHECK(t.ids.size() == t.removed);
    for (StreamId id : t.ids) CHECK(want.count(id) == 0);
  }
  CHECK(LiveIds(s) == want);
  // Acknowledging makes them go at the next pass over the start.
  g->Ack(StreamId{5, 0});
  want.erase(StreamId{5, 0});
  for (int slice = 0; slice < 10; ++slice) AgeOut(s, now, 4, limits);
  CHECK(LiveIds(s) == want);
}

TEST_CASE("RETENTION-MAXLEN trims at block granularity, and not under ACKED references") {
  const StreamLimits limits{4096, 5};
  Stream s;
  s.set_retention({.maxlen = 10});
  for (uint64_t i = 1; i <= 23; ++i) {
    Add(s, StreamId{i, 0}, {"f", "v"}, limits);
    TrimToRetention(s, 1000, limits);
    CHECK(s.length() < 10 + 5);  // about maxlen: within one block
    CHECK(s.length() >= std::min<uint64_t>(i, 10));
  }
  Stream a;
  a.set_retention({.maxlen = 2, .refs = RefPolicy::kAcked});
  for (uint64_t i = 1; i <= 12; ++i) Add(a, StreamId{i, 0}, {"f", "v"}, limits);
  a.CreateGroup("g", StreamId{0, 0}, 0);  // nothing delivered: everything referenced
  CHECK(TrimToRetention(a, 1000, limits).removed == 0);
  CHECK(a.length() == 12);
}

}  // namespace
}  // namespace runnel::streams

namespace runnel::streams {
namespace {

TEST_CASE("RETENTION-MAXLEN under ACKED looks at a bounded window, never past a group's position") {
  const StreamLimits limits{4096, 10};
  Stream s;
  for (uint64_t i = 1; i <= 5000; ++i) Add(s, StreamId{i, 0}, {"f", "v"}, limits);
  ConsumerGroup* g = s.CreateGroup("g", StreamId{3000, 0}, 3000);  // 3001.. not delivered
  auto [c, created] = g->GetOrCreateConsumer("c", 0);
  for (uint64_t i = 1; i <= 1500; ++i) g->SetPending(StreamId{i, 0}, *c, 0, 1);
  s.set_retention({.maxlen = 10, .refs = RefPolicy::kAcked});
  // The head's 1,500 held entries fill the window: nothing goes, and the call stays cheap.
  CHECK(TrimToRetention(s, 100000, limits).removed == 0);
  for (uint64_t i = 1; i <= 1500; ++i) g->Ack(StreamId{i, 0});
  // Now the window's entries go; the undelivered 3001.. never do.
  uint64_t removed = 0;
  for (int call = 0; call < 10; ++call) removed += TrimToRetention(s, 100000, limits).removed;
  CHECK(removed == 3000);
  CHECK(s.first_id() == StreamId{3001, 0});
  // PlanTrim's bounds themselves.
  TrimSpec all{.strategy = TrimSpec::Strategy::kMaxLen, .maxlen = 0};
  auto any = [](StreamId) { return true; };
  CHECK(s.PlanTrim(all, any, StreamId{3011, 0}).size() == 10);
  CHECK(s.PlanTrim(all, any, StreamId::Max(), 7).size() == 7);
}

}  // namespace
}  // namespace runnel::streams
