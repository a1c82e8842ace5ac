// Redis 8.2's reference-aware deletion in the stream layer: PlanTrim (the entries a DELREF or
// ACKED trim removes), RemoveAsTrim, ReferencedByGroups and DropReferences.
#include <doctest/doctest.h>

#include <random>
#include <set>

#include "stream_test_util.h"

namespace runnel::streams {
namespace {

using testing::Add;
using testing::ReadRange;

std::vector<StreamId> LiveIds(const Stream& s) {
  std::vector<StreamId> ids;
  for (const auto& [id, fields] : ReadRange(s, StreamId::Min(), StreamId::Max(), false)) {
    ids.push_back(id);
  }
  return ids;
}

// A stream of `n` entries 1-0 .. n-0 with some deleted, under tiny block limits.
void Fill(Stream& s, uint64_t n, std::mt19937& rng, const StreamLimits& limits) {
  for (uint64_t i = 1; i <= n; ++i) Add(s, StreamId{i, 0}, {"f", std::to_string(i)}, limits);
  for (uint64_t i = 1; i <= n; ++i) {
    if (rng() % 5 == 0) s.Delete(StreamId{i, 0}, limits);
  }
}

TEST_CASE("PlanTrim taking everything removes what an exact trim removes") {
  std::mt19937 rng(7);
  const StreamLimits limits{64, 3};
  for (int round = 0; round < 300; ++round) {
    uint64_t n = rng() % 40;
    Stream a;
    Fill(a, n, rng, limits);
    TrimSpec spec;
    if (rng() % 2) {
      spec.strategy = TrimSpec::Strategy::kMaxLen;
      spec.maxlen = rng() % (n + 2);
    } else {
      spec.strategy = TrimSpec::Strategy::kMinId;
      spec.minid = StreamId{rng() % (n + 2), 0};
    }
    std::vector<StreamId> before = LiveIds(a);
    std::vector<StreamId> planned = a.PlanTrim(spec, [](StreamId) { return true; });
    StreamId max_deleted = a.max_deleted_id();
    CHECK(a.RemoveAsTrim(planned, limits) == planned.size());
    CHECK(a.max_deleted_id() == max_deleted);  // a trim is not an XDEL

    // The same trim, exact, on a copy built the same way.
    Stream b;
    for (uint64_t i = 1; i <= n; ++i) Add(b, StreamId{i, 0}, {"f", std::to_string(i)}, limits);
    std::set<StreamId> live(before.begin(), before.end());
    for (uint64_t i = 1; i <= n; ++i) {
      if (!live.count(StreamId{i, 0})) b.Delete(StreamId{i, 0}, limits);
    }
    b.Trim(spec, limits);
    CHECK(LiveIds(a) == LiveIds(b));
    CHECK(a.length() == b.length());
    CHECK(a.first_id() == b.first_id());
  }
}

TEST_CASE("ACKED: referenced entries stay, trimming goes past them and leaves gaps") {
  const StreamLimits limits{4096, 2};
  Stream s;
  for (uint64_t i = 1; i <= 5; ++i) Add(s, StreamId{i, 0}, {"f", "v"}, limits);
  ConsumerGroup* g = s.CreateGroup("g", StreamId{5, 0}, 5);
  auto [c, created] = g->GetOrCreateConsumer("c", 0);
  g->SetPending(StreamId{3, 0}, *c, 0, 1);
  g->SetPending(StreamId{5, 0}, *c, 0, 1);

  CHECK_FALSE(s.ReferencedByGroups(StreamId{1, 0}));
  CHECK(s.ReferencedByGroups(StreamId{3, 0}));     // pending
  CHECK(s.ReferencedByGroups(StreamId{6, 0}));     // not delivered yet
  TrimSpec spec{TrimSpec::Strategy::kMinId, true, 0, StreamId{6, 0}, 100};
  auto planned = s.PlanTrim(spec, [&](StreamId id) { return !s.ReferencedByGroups(id); });
  CHECK(planned == std::vector<StreamId>{{1, 0}, {2, 0}, {4, 0}});
  s.RemoveAsTrim(planned, limits);
  CHECK(LiveIds(s) == std::vector<StreamId>{{3, 0}, {5, 0}});
  CHECK(s.first_id() == StreamId{3, 0});

  // DELREF's half: the references go from every group that held them.
  ConsumerGroup* h = s.CreateGroup("h", StreamId{5, 0}, 5);
  auto [d, made] = h->GetOrCreateConsumer("d", 0);
  h->SetPending(StreamId{3, 0}, *d, 0, 1);
  auto held = s.DropReferences(StreamId{3, 0});
  CHECK(held.size() == 2);
  CHECK_FALSE(g->FindPending(StreamId{3, 0}));
  CHECK_FALSE(h->FindPending(StreamId{3, 0}));
  std::string why;
  CHECK_MESSAGE(g->CheckInvariants(&why), why);
  CHECK_MESSAGE(h->CheckInvariants(&why), why);
}

TEST_CASE("ACKED with MAXLEN stops after a block it could not remove whole") {
  const StreamLimits limits{4096, 2};
  Stream s;
  for (uint64_t i = 1; i <= 6; ++i) Add(s, StreamId{i, 0}, {"f", "v"}, limits);
  ConsumerGroup* g = s.CreateGroup("g", StreamId{6, 0}, 6);
  auto [c, created] = g->GetOrCreateConsumer("c", 0);
  g->SetPending(StreamId{1, 0}, *c, 0, 1);  // blocks: [1 2] [3 4] [5 6]
  TrimSpec spec{TrimSpec::Strategy::kMaxLen, false, 1, StreamId{}, 0};
  auto planned = s.PlanTrim(spec, [&](StreamId id) { return !s.ReferencedByGroups(id); });
  // 6 entries, MAXLEN 1: every block could go whole, so the walk continues past the pending
  // 1-0 and takes all the others; 1-0 is the one entry left.
  CHECK(planned == std::vector<StreamId>{{2, 0}, {3, 0}, {4, 0}, {5, 0}, {6, 0}});
  spec.maxlen = 5;  // the first block cannot go whole (6 - 2 < 5): stop after it
  planned = s.PlanTrim(spec, [&](StreamId id) { return !s.ReferencedByGroups(id); });
  CHECK(planned == std::vector<StreamId>{{2, 0}});
}

}  // namespace
}  // namespace runnel::streams
