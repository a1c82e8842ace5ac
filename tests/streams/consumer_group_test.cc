// ConsumerGroup (streams/consumer_group.h): a model-based random test against
// std::map<StreamId, {time, count, owner name}> plus each consumer's set of IDs. Random
// GetOrCreateConsumer, SetPending (new IDs, batches of 10 like XREADGROUP COUNT 10, re-delivery
// to the same consumer, moves to another consumer, times that change, including to 0, to
// negative values stored as 0 and to extremes, counts up to UINT64_MAX), Ack of pending and
// non-pending IDs, DeleteConsumer of present and missing names, FindPending; after every
// operation CheckInvariants must hold and the whole state must equal the model: the PEL walk,
// the by_time walk (ordered by (time, ID)), every consumer's own PEL, consumer indexes.
// Release (XNACK) makes random present or absent IDs unowned, with NACK-zone tickets the model
// hands out in order, so the zone's FIFO order and nacked() are checked too.
// Plus targeted cases: index reuse after deletion, missing names, double acks, and
// CheckInvariants failing on states corrupted through the public interface.
#include "streams/consumer_group.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/streams/group_test_util.h"

namespace runnel::streams {
namespace {

using namespace runnel::streams::testing;  // NOLINT: test helpers

struct ModelPending {
  int64_t time = 0;  // a NACK-zone ticket when unowned
  uint64_t count = 0;
  std::string owner;
  bool unowned = false;
};

struct Model {
  std::map<StreamId, ModelPending> pel;
  std::map<std::string, std::set<StreamId>> consumers;
  std::set<uint32_t> free_indexes;  // indexes of deleted consumers, for reuse
  uint32_t next_index = 0;          // the first index never used
  int64_t next_slot = 0;  // NACK-zone tickets: kNackZoneBase + 2 * slot + backoff flag
};

const char* const kNames[] = {"alice",
                              "bob",
                              "carol",
                              "dave",
                              "",
                              "eve",
                              "a-consumer-name-longer-than-any-small-string-buffer",
                              "f",
                              "g"};

// Compares the group with the model; returns the first difference, or "".
std::string Compare(const ConsumerGroup& g, const Model& m) {
  std::string why;
  if (!g.CheckInvariants(&why)) return "CheckInvariants: " + why;
  if (g.pending() != m.pel.size()) return "pending() " + std::to_string(g.pending());
  auto it = m.pel.begin();
  for (auto c = g.pel().Begin(); c.valid(); c.Next(), ++it) {
    const PendingRecord& r = c.record();
    if (it == m.pel.end()) return "PEL has extra " + Show(r);
    const Consumer* owner = IsUnowned(r) ? nullptr : g.ConsumerAt(r.consumer);
    bool owner_ok = it->second.unowned ? IsUnowned(r) && g.OwnerName(r).empty()
                                       : owner != nullptr && owner->name() == it->second.owner;
    if (r.id != it->first || r.delivery_ms != it->second.time ||
        r.delivery_count != it->second.count || !owner_ok) {
      return "PEL has " + Show(r) + ", model " + it->first.ToString() +
             " t=" + std::to_string(it->second.time) + " n=" + std::to_string(it->second.count) +
             " " + it->second.owner;
    }
    auto found = g.FindPending(r.id);
    if (!found || !Same(*found, r)) return "FindPending disagrees with the walk at " + Show(r);
  }
  if (it != m.pel.end()) return "PEL lacks " + it->first.ToString();
  size_t unowned = 0;
  for (const auto& [id, p] : m.pel) unowned += p.unowned ? 1 : 0;
  if (g.nacked() != unowned) return "nacked() " + std::to_string(g.nacked());

  std::vector<std::pair<int64_t, StreamId>> want, got;
  for (const auto& [id, p] : m.pel) want.emplace_back(p.time, id);
  std::sort(want.begin(), want.end());
  g.by_time().ForEach([&](const TimedId& t) { got.emplace_back(t.delivery_ms, t.id); });
  if (got != want) return "by_time differs (or is out of (time, ID) order)";

  if (g.consumers().size() != m.consumers.size()) return "consumer count";
  auto mc = m.consumers.begin();
  for (const auto& [name, c] : g.consumers()) {
    if (name != mc->first || c->name() != name) return "consumer " + name + " vs " + mc->first;
    if (g.ConsumerAt(c->index()) != c.get()) return "ConsumerAt(index) of " + name;
    if (g.FindConsumer(name) != c.get()) return "FindConsumer(" + name + ")";
    if (c->pending() != mc->second.size()) return "pending() of " + name;
    std::vector<StreamId> ids;
    c->pel().ForEach([&](const StreamId& id) { ids.push_back(id); });
    if (ids != std::vector<StreamId>(mc->second.begin(), mc->second.end())) {
      return "PEL of " + name;
    }
    ++mc;
  }
  return "";
}

class GroupHarness {
 public:
  explicit GroupHarness(uint64_t seed) : seed_(seed), rng_(seed), g_("g", StreamId{}, 0) {}

  void Run(int ops, size_t high) {
    bool growing = true;
    for (op_ = 0; op_ < ops; ++op_) {
      if (growing && m_.pel.size() >= high) growing = false;
      if (!growing && m_.pel.size() < high / 8) growing = true;
      now_ += static_cast<int64_t>(rng_() % 3);
      Step(growing);
      std::string diff = Compare(g_, m_);
      if (!diff.empty()) FAIL("seed " << seed_ << " op " << op_ << " (" << last_ << "): " << diff);
    }
  }

  size_t deleted_with_entries() const { return deleted_with_entries_; }
  size_t moves() const { return moves_; }
  size_t reused() const { return reused_; }
  size_t released() const { return released_; }

 private:
  void Step(bool growing) {
    int r = static_cast<int>(rng_() % 100);
    if (r < 6) return Create(kNames[rng_() % std::size(kNames)]);
    if (r < 16) return Batch();
    if (r < (growing ? 50 : 35)) return Deliver(RandomId(rng_, IdShape::kMixed));
    if (r < 62) return Deliver(PresentId());  // re-delivery or a move
    if (r < (growing ? 78 : 92)) return Ack(rng_() % 5 ? PresentId() : AnyId());
    if (r < 95) return Delete(kNames[rng_() % std::size(kNames)]);
    if (r < 98) return Release(rng_() % 4 ? PresentId() : AnyId());
    Find(rng_() % 2 ? PresentId() : AnyId());
  }

  StreamId AnyId() { return RandomId(rng_, rng_() % 2 ? IdShape::kReal : IdShape::kMixed); }
  StreamId PresentId() {
    if (m_.pel.empty()) return AnyId();
    auto it = m_.pel.lower_bound(AnyId());
    if (it == m_.pel.end()) it = m_.pel.begin();
    return it->first;
  }

  Consumer& AnyConsumer() {
    if (m_.consumers.empty() || rng_() % 20 == 0) Create(kNames[rng_() % std::size(kNames)]);
    auto it = m_.consumers.begin();
    std::advance(it, static_cast<long>(rng_() % m_.consumers.size()));
    return *g_.FindConsumer(it->first);
  }

  void Create(const std::string& name) {
    last_ = "GetOrCreateConsumer " + name;
    bool exists = m_.consumers.count(name) > 0;
    auto [c, created] = g_.GetOrCreateConsumer(name, now_);
    REQUIRE(c != nullptr);
    REQUIRE(created == !exists);
    REQUIRE(c->name() == name);
    if (!created) return;
    CHECK(c->seen_ms() == now_);
    CHECK(c->active_ms() == -1);
    CHECK(c->pending() == 0);
    // A freed index is reused before a new one is taken.
    if (!m_.free_indexes.empty()) {
      REQUIRE(m_.free_indexes.erase(c->index()) == 1);
      ++reused_;
    } else {
      REQUIRE(c->index() == m_.next_index++);
    }
    m_.consumers[name];
  }

  void Deliver(StreamId id) { Deliver(id, AnyConsumer(), RandomTime(rng_), RandomCount(rng_)); }

  void Deliver(StreamId id, Consumer& owner, int64_t time, uint64_t count) {
    last_ = "SetPending " + id.ToString() + " to " + owner.name() + " t=" + std::to_string(time);
    g_.SetPending(id, owner, time, count);
    auto [it, fresh] = m_.pel.try_emplace(id);
    if (!fresh && (it->second.unowned || it->second.owner != owner.name())) {
      if (!it->second.unowned) m_.consumers[it->second.owner].erase(id);
      ++moves_;
    }
    it->second = {std::max<int64_t>(time, 0), count, owner.name(), false};
    m_.consumers[owner.name()].insert(id);
  }

  // XREADGROUP COUNT 10 ">": ten new IDs after everything, one consumer, one time.
  void Batch() {
    Consumer& c = AnyConsumer();
    StreamId next = m_.pel.empty() ? StreamId{kRealBaseMs, 0} : m_.pel.rbegin()->first;
    for (int i = 0; i < 10; ++i) {
      auto after = next.Next();
      if (!after) return;
      next = rng_() % 3 ? *after : StreamId{after->ms + (after->ms < kU64Max), 0};
      Deliver(next, c, now_, 1);
    }
  }

  void Ack(StreamId id) {
    last_ = "Ack " + id.ToString();
    auto it = m_.pel.find(id);
    bool acked = g_.Ack(id);
    REQUIRE(acked == (it != m_.pel.end()));
    if (!acked) return;
    if (!it->second.unowned) m_.consumers[it->second.owner].erase(id);
    m_.pel.erase(it);
  }

  void Delete(const std::string& name) {
    last_ = "DeleteConsumer " + name;
    Consumer* c = g_.FindConsumer(name);
    std::optional<uint32_t> index;
    if (c != nullptr) index = c->index();
    auto dropped = g_.DeleteConsumer(name);
    auto it = m_.consumers.find(name);
    if (it == m_.consumers.end()) {
      REQUIRE_FALSE(dropped.has_value());
      return;
    }
    REQUIRE(dropped.has_value());
    REQUIRE(*dropped == it->second.size());
    if (*dropped > 0) ++deleted_with_entries_;
    for (const StreamId& id : it->second) m_.pel.erase(id);
    m_.consumers.erase(it);
    m_.free_indexes.insert(*index);
    REQUIRE(g_.FindConsumer(name) == nullptr);
    REQUIRE(g_.ConsumerAt(*index) == nullptr);
  }

  void Find(StreamId id) {
    last_ = "FindPending " + id.ToString();
    auto got = g_.FindPending(id);
    auto it = m_.pel.find(id);
    REQUIRE(got.has_value() == (it != m_.pel.end()));
    if (got) {
      CHECK(got->delivery_ms == it->second.time);
      CHECK(got->delivery_count == it->second.count);
      CHECK(IsUnowned(*got) == it->second.unowned);
      if (!it->second.unowned) CHECK(g_.ConsumerAt(got->consumer)->name() == it->second.owner);
    }
  }

  // XNACK (FORCE): the ID becomes, or is added as, unowned at the back of the NACK zone.
  void Release(StreamId id) {
    last_ = "Release " + id.ToString();
    uint64_t count = RandomCount(rng_);
    bool backs_off = rng_() % 2 == 0;
    g_.Release(id, count, now_, backs_off);
    // The model's ticket, from the rule in consumer_group.h: slots rise, at least now * 1024.
    int64_t slot = std::max(m_.next_slot, now_ * kTicketsPerMs);
    m_.next_slot = slot + 1;
    int64_t ticket = kNackZoneBase + 2 * slot + (backs_off ? 1 : 0);
    auto [it, fresh] = m_.pel.try_emplace(id);
    if (!fresh && !it->second.unowned) m_.consumers[it->second.owner].erase(id);
    it->second = {ticket, count, "", true};
    CHECK(TicketReleaseMs(ticket) == now_);
    CHECK(TicketBacksOff(ticket) == backs_off);
    ++released_;
  }

  uint64_t seed_;
  std::mt19937_64 rng_;
  ConsumerGroup g_;
  Model m_;
  int op_ = 0;
  int64_t now_ = static_cast<int64_t>(kRealBaseMs);
  std::string last_;
  size_t deleted_with_entries_ = 0, moves_ = 0, reused_ = 0, released_ = 0;
};

TEST_CASE("ConsumerGroup against a model, checked after every operation") {
  size_t deleted = 0, moves = 0, reused = 0, released = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    GroupHarness h(seed);
    h.Run(5000, 250);
    deleted += h.deleted_with_entries();
    moves += h.moves();
    reused += h.reused();
    released += h.released();
  }
  CHECK(released > 200);
  // The runs reached the interesting states.
  CHECK(deleted > 20);
  CHECK(moves > 100);
  CHECK(reused > 20);
}

// ---- targeted cases -------------------------------------------------------------------------

std::string Invariants(const ConsumerGroup& g) {
  std::string why;
  return g.CheckInvariants(&why) ? "" : why;
}

TEST_CASE("ConsumerGroup: a new consumer takes a freed index and inherits nothing") {
  ConsumerGroup g("g", StreamId{}, 0);
  Consumer* a = g.GetOrCreateConsumer("a", 10).first;
  Consumer* b = g.GetOrCreateConsumer("b", 11).first;
  Consumer* c = g.GetOrCreateConsumer("c", 12).first;
  CHECK(a->index() == 0);
  CHECK(b->index() == 1);
  CHECK(c->index() == 2);
  for (uint64_t i = 0; i < 100; ++i) g.SetPending({100, i}, i % 3 == 1 ? *b : *a, 50, 1);
  CHECK(b->pending() == 33);
  uint32_t b_index = b->index();
  CHECK(g.DeleteConsumer("b") == std::optional<uint64_t>(33));
  CHECK(g.ConsumerAt(b_index) == nullptr);
  CHECK(g.pending() == 67);
  CHECK_FALSE(g.FindPending({100, 1}).has_value());
  CHECK(g.by_time().size() == 67);
  CHECK(Invariants(g) == "");

  auto [d, created] = g.GetOrCreateConsumer("d", 20);
  CHECK(created);
  CHECK(d->index() == b_index);
  CHECK(d->pending() == 0);
  CHECK(d->seen_ms() == 20);
  CHECK(d->active_ms() == -1);
  CHECK(g.ConsumerAt(b_index) == d);
  bool any_for_d = false;
  g.pel().ForEach([&](const PendingRecord& r) { any_for_d |= r.consumer == b_index; });
  CHECK_FALSE(any_for_d);
  CHECK(Invariants(g) == "");
  // The next new consumer takes a fresh index.
  CHECK(g.GetOrCreateConsumer("e", 21).first->index() == 3);
  // The same name again is found, not created.
  auto again = g.GetOrCreateConsumer("d", 99);
  CHECK_FALSE(again.second);
  CHECK(again.first == d);
  CHECK(d->seen_ms() == 20);
}

TEST_CASE("ConsumerGroup: missing consumers, double acks and acks of unknown IDs") {
  ConsumerGroup g("g", StreamId{5, 0}, 3);
  CHECK(g.last_delivered() == StreamId{5, 0});
  CHECK(g.entries_read() == 3);
  CHECK_FALSE(g.DeleteConsumer("nobody").has_value());
  CHECK(g.FindConsumer("nobody") == nullptr);
  Consumer& a = *g.GetOrCreateConsumer("a", 0).first;
  CHECK(g.DeleteConsumer("a") == std::optional<uint64_t>(0));  // no entries: 0, not nullopt
  CHECK_FALSE(g.DeleteConsumer("a").has_value());
  Consumer& b = *g.GetOrCreateConsumer("b", 0).first;
  (void)a;
  CHECK_FALSE(g.Ack({1, 1}));
  g.SetPending({1, 1}, b, 7, 1);
  CHECK(g.Ack({1, 1}));
  CHECK_FALSE(g.Ack({1, 1}));
  CHECK(g.pending() == 0);
  CHECK(b.pending() == 0);
  CHECK(g.by_time().empty());
  CHECK(Invariants(g) == "");
}

TEST_CASE("ConsumerGroup: re-delivery and moves keep one entry per ID in every index") {
  ConsumerGroup g("g", StreamId{}, 0);
  Consumer& a = *g.GetOrCreateConsumer("a", 0).first;
  Consumer& b = *g.GetOrCreateConsumer("b", 0).first;
  StreamId id{10, 0};
  g.SetPending(id, a, 1000, 1);
  g.SetPending(id, a, 2000, 2);  // re-delivery: new time and count, same owner
  auto rec = g.FindPending(id);
  REQUIRE(rec);
  CHECK(rec->delivery_ms == 2000);
  CHECK(rec->delivery_count == 2);
  CHECK(rec->consumer == a.index());
  CHECK(a.pending() == 1);
  g.SetPending(id, b, 2000, 3);  // XCLAIM at the same time: moves, time index unchanged
  CHECK(a.pending() == 0);
  CHECK(b.pending() == 1);
  CHECK(g.FindPending(id)->consumer == b.index());
  g.SetPending(id, b, -5, kU64Max);  // a time below 0 is stored as 0
  CHECK(g.FindPending(id)->delivery_ms == 0);
  CHECK(g.FindPending(id)->delivery_count == kU64Max);
  REQUIRE(g.by_time().size() == 1);
  CHECK(g.by_time().Begin().record().delivery_ms == 0);
  g.SetPending(id, a, kI64Min, 0);
  CHECK(g.FindPending(id)->delivery_ms == 0);
  g.SetPending(id, a, kI64Max, 1);
  CHECK(g.by_time().Begin().record().delivery_ms == kI64Max);
  CHECK(Invariants(g) == "");
  // by_time orders by time, then ID.
  g.SetPending({5, 0}, b, kI64Max, 1);
  g.SetPending({20, 0}, b, 3, 1);
  std::vector<StreamId> order;
  g.by_time().ForEach([&](const TimedId& t) { order.push_back(t.id); });
  CHECK(order == std::vector<StreamId>{{20, 0}, {5, 0}, {10, 0}});
  CHECK(Invariants(g) == "");
}

// CheckInvariants must notice each kind of damage. The group hands out its indexes only as
// const references, but the objects behind them are not const, so a test may write through
// const_cast; and SetPending with another group's consumer breaks both groups.
TEST_CASE("ConsumerGroup: released (XNACK) entries are unowned, FIFO at the head of by_time") {
  ConsumerGroup g("g", StreamId{}, 0);
  Consumer& a = *g.GetOrCreateConsumer("a", 0).first;
  Consumer& b = *g.GetOrCreateConsumer("b", 0).first;
  g.SetPending({1, 0}, a, 100, 1);
  g.SetPending({2, 0}, a, 50, 2);
  g.SetPending({3, 0}, b, 0, 1);  // a real time of 0 still sorts after the zone
  g.Release({2, 0}, 2, 1000, true);
  g.Release({1, 0}, 0, 1000, false);
  g.Release({9, 0}, 5, 999, true);  // FORCE: added unowned; a clock step back keeps the order
  CHECK(g.nacked() == 3);
  CHECK(a.pending() == 0);
  std::vector<StreamId> order;
  g.by_time().ForEach([&](const TimedId& t) { order.push_back(t.id); });
  CHECK(order == std::vector<StreamId>{{2, 0}, {1, 0}, {9, 0}, {3, 0}});
  CHECK(ShownDeliveryMs(*g.FindPending({2, 0})) == 0);
  CHECK(g.OwnerName(*g.FindPending({2, 0})).empty());
  CHECK(g.OwnerName(*g.FindPending({3, 0})) == "b");
  // Releasing again moves to the back; taking one gives it an owner and a real time.
  g.Release({2, 0}, 7, 2000, true);
  g.SetPending({1, 0}, b, 200, 1);
  order.clear();
  g.by_time().ForEach([&](const TimedId& t) { order.push_back(t.id); });
  CHECK(order == std::vector<StreamId>{{9, 0}, {2, 0}, {3, 0}, {1, 0}});
  CHECK(g.nacked() == 2);
  CHECK(g.FindPending({2, 0})->delivery_count == 7);
  // Deleting a consumer leaves unowned entries; acking one takes it out.
  CHECK(g.DeleteConsumer("b") == 2);
  CHECK(g.pending() == 2);
  CHECK(g.Ack({9, 0}));
  CHECK(g.nacked() == 1);
  std::string why;
  CHECK(g.CheckInvariants(&why));
}

// Log replay needs a group restored from a snapshot (which keeps the zone, no counter) to hand
// out the same tickets as the group that was saved; so the next ticket follows from the zone.
TEST_CASE("ConsumerGroup: the next NACK ticket follows from the entries in the zone alone") {
  auto build = [](ConsumerGroup& g) {
    Consumer& a = *g.GetOrCreateConsumer("a", 0).first;
    for (uint64_t i = 0; i < 300; ++i) g.SetPending({5, i}, a, 10, 1);
    for (uint64_t i = 0; i < 300; ++i) g.Release({5, i}, 1, 1000 + int64_t(i % 3), i % 2 == 0);
  };
  ConsumerGroup live("g", StreamId{}, 0);
  build(live);
  // A copy made the way the snapshot loader restores groups.
  ConsumerGroup restored("g", StreamId{}, 0);
  restored.GetOrCreateConsumer("a", 0);
  live.pel().ForEach([&](const PendingRecord& r) {
    restored.RestoreUnowned(r.id, r.delivery_ms, r.delivery_count);
  });
  // Same-ms releases after entries left the zone (acked at its back, claimed at its front).
  for (ConsumerGroup* g : {&live, &restored}) {
    for (uint64_t i = 290; i < 300; ++i) CHECK(g->Ack({5, i}));
    g->SetPending({5, 0}, *g->FindConsumer("a"), 20, 2);
    g->Release({6, 0}, 1, 1001, false);
    g->Release({6, 1}, 1, 900, true);  // the clock stepped back: still after the zone
  }
  CHECK(live.FindPending({6, 0})->delivery_ms == restored.FindPending({6, 0})->delivery_ms);
  CHECK(live.FindPending({6, 1})->delivery_ms == restored.FindPending({6, 1})->delivery_ms);
  CHECK(live.FindPending({6, 1})->delivery_ms > live.FindPending({6, 0})->delivery_ms);
  // Once the zone is empty, a release is ticketed by its own time again.
  ConsumerGroup empty("g", StreamId{}, 0);
  Consumer& a = *empty.GetOrCreateConsumer("a", 0).first;
  empty.SetPending({1, 0}, a, 0, 1);
  empty.Release({1, 0}, 1, 5000, false);
  empty.SetPending({1, 0}, a, 6000, 2);  // taken again: the zone is empty
  empty.Release({1, 0}, 1, 100, false);
  CHECK(TicketReleaseMs(empty.FindPending({1, 0})->delivery_ms) == 100);
  CHECK(Invariants(live) == "");
}

TEST_CASE("ConsumerGroup: CheckInvariants fails on corrupted states") {
  auto fresh = [](ConsumerGroup& g) {
    Consumer& a = *g.GetOrCreateConsumer("a", 0).first;
    Consumer& b = *g.GetOrCreateConsumer("b", 0).first;
    for (uint64_t i = 0; i < 150; ++i) g.SetPending({7, i}, i % 2 ? a : b, 100 + int64_t(i), 1);
    REQUIRE(Invariants(g) == "");
  };
  SUBCASE("a time-index entry missing") {
    ConsumerGroup g("g", StreamId{}, 0);
    fresh(g);
    const_cast<ConsumerGroup::TimeIndex&>(g.by_time()).Erase({140, {7, 40}});
    CHECK(Invariants(g) != "");
  }
  SUBCASE("a time-index entry with the wrong time") {
    ConsumerGroup g("g", StreamId{}, 0);
    fresh(g);
    auto& t = const_cast<ConsumerGroup::TimeIndex&>(g.by_time());
    REQUIRE(t.Erase({140, {7, 40}}));
    REQUIRE(t.Insert({141, {7, 40}}));
    CHECK(Invariants(g) != "");
  }
  SUBCASE("a PEL entry owned by a consumer whose PEL lacks it") {
    ConsumerGroup g("g", StreamId{}, 0);
    fresh(g);
    auto rec = *g.FindPending({7, 3});
    rec.consumer = g.FindConsumer("b")->index();
    const_cast<ConsumerGroup::Pel&>(g.pel()).Replace(rec);
    CHECK(Invariants(g) != "");
  }
  SUBCASE("a PEL entry owned by a deleted consumer") {
    ConsumerGroup g("g", StreamId{}, 0);
    fresh(g);
    auto rec = *g.FindPending({7, 3});
    rec.consumer = g.GetOrCreateConsumer("c", 0).first->index();
    REQUIRE(g.DeleteConsumer("c"));
    const_cast<ConsumerGroup::Pel&>(g.pel()).Replace(rec);
    CHECK(Invariants(g) != "");
  }
  SUBCASE("a consumer PEL holding an ID the group does not") {
    ConsumerGroup g("g", StreamId{}, 0);
    fresh(g);
    REQUIRE(const_cast<PackedSet<IdCodec>&>(g.FindConsumer("a")->pel()).Insert({9, 9}));
    CHECK(Invariants(g) != "");
  }
  SUBCASE("a PEL entry missing from the group but not from its consumer") {
    ConsumerGroup g("g", StreamId{}, 0);
    fresh(g);
    REQUIRE(const_cast<ConsumerGroup::Pel&>(g.pel()).Erase({7, 5}));
    CHECK(Invariants(g) != "");
  }
  SUBCASE("SetPending with another group's consumer breaks both groups") {
    ConsumerGroup g("g", StreamId{}, 0), other("other", StreamId{}, 0);
    fresh(g);
    Consumer& stranger = *other.GetOrCreateConsumer("x", 0).first;
    g.SetPending({8, 0}, stranger, 5, 1);
    CHECK(Invariants(g) != "");
    CHECK(Invariants(other) != "");
  }
}

}  // namespace
}  // namespace runnel::streams
