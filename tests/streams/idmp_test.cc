// IdmpState (XADD IDMP/IDMPAUTO's per-producer memory) and IdmpAutoId.
#include "streams/idmp.h"

#include <doctest/doctest.h>

#include <deque>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace runnel::streams {
namespace {

using Dump = std::map<std::string, std::vector<std::pair<std::string, StreamId>>>;

Dump DumpOf(const IdmpState& s) {
  Dump out;
  s.ForEachProducer([&](std::string_view pid, const IdmpState::Producer& p) {
    auto& v = out[std::string(pid)];
    p.ForEachIid([&](std::string_view iid, StreamId id) { v.emplace_back(iid, id); });
    CHECK(v.size() == p.size());
  });
  return out;
}

void CheckOk(const IdmpState& s) {
  std::string why;
  bool ok = s.CheckInvariants(&why);
  INFO(why);
  REQUIRE(ok);
}

TEST_CASE("duplicates are per producer") {
  IdmpState s;
  CHECK(s.empty());
  CHECK_FALSE(s.Find("p1", "a"));
  s.Record("p1", "a", {5, 0}, 100);
  CHECK(s.Find("p1", "a") == StreamId{5, 0});
  CHECK_FALSE(s.Find("p2", "a"));  // same iid, other producer: not a duplicate
  CHECK_FALSE(s.Find("p1", "b"));
  s.Record("p2", "a", {6, 0}, 100);
  CHECK(s.Find("p2", "a") == StreamId{6, 0});
  CHECK(s.Find("p1", "a") == StreamId{5, 0});
  s.CountDuplicate();
  CHECK(s.producers() == 2);
  CHECK(s.iids() == 2);
  CHECK(s.added() == 2);
  CHECK(s.duplicates() == 1);
  CHECK_FALSE(s.empty());
  CheckOk(s);
}

TEST_CASE("binary-safe pids and iids") {
  IdmpState s;
  std::string pid("p\0x", 3), iid("\0\0", 2), long_iid(1000, 'z');
  s.Record(pid, iid, {1, 1}, 10);
  s.Record(pid, long_iid, {1, 2}, 10);
  CHECK(s.Find(pid, iid) == StreamId{1, 1});
  CHECK(s.Find(pid, long_iid) == StreamId{1, 2});
  CHECK_FALSE(s.Find("p", iid));
  CHECK_FALSE(s.Find(pid, std::string("\0", 1)));
  CheckOk(s);
}

TEST_CASE("maxsize evicts the producer's own oldest iid") {
  IdmpState s;
  s.Record("other", "x", {1, 0}, 3);
  for (int i = 1; i <= 3; ++i) s.Record("p", "r" + std::to_string(i), {uint64_t(10 + i), 0}, 3);
  CHECK(s.iids() == 4);
  s.Record("p", "r4", {14, 0}, 3);
  CHECK_FALSE(s.Find("p", "r1"));
  CHECK(s.Find("p", "r2") == StreamId{12, 0});
  CHECK(s.Find("p", "r4") == StreamId{14, 0});
  CHECK(s.Find("other", "x") == StreamId{1, 0});
  CHECK(s.iids() == 4);
  CHECK(s.added() == 5);
  CHECK(s.NextExpiryMs() == 1);
  CheckOk(s);
}

TEST_CASE("Expire takes only from the head and stops at the first unexpired") {
  IdmpState s;
  s.Restore("p", "a", {10, 0});
  s.Restore("p", "b", {30, 0});
  s.Restore("p", "c", {20, 0});  // expired by 25, but behind b
  s.Restore("q", "d", {40, 0});
  CHECK(s.NextExpiryMs() == 10);
  CHECK(s.Expire(9) == 0);
  CHECK(s.Expire(25) == 1);
  CHECK_FALSE(s.Find("p", "a"));
  CHECK(s.Find("p", "c") == StreamId{20, 0});
  CHECK(s.NextExpiryMs() == 30);
  CheckOk(s);
  CHECK(s.Expire(30) == 2);   // b, then c (now at the head)
  CHECK(s.producers() == 1);  // p emptied and removed
  CHECK_FALSE(s.Find("p", "b"));
  CHECK(s.NextExpiryMs() == 40);
  CHECK(s.Expire(40) == 1);
  CHECK(s.empty());
  CHECK(s.iids() == 0);
  CHECK_FALSE(s.NextExpiryMs());
  CHECK(s.Expire(UINT64_MAX) == 0);
  CheckOk(s);
}

TEST_CASE("maxsize 0 keeps nothing but counts the add") {
  IdmpState s;
  s.Record("p", "a", {1, 0}, 0);
  CHECK(s.empty());
  CHECK(s.added() == 1);
  CheckOk(s);
}

TEST_CASE("Clear forgets producers but keeps the counters") {
  IdmpState s;
  s.Record("p", "a", {1, 0}, 10);
  s.Record("q", "b", {2, 0}, 10);
  s.CountDuplicate();
  uint64_t before = s.MemoryUsage();
  s.Clear();
  CHECK(s.empty());
  CHECK(s.iids() == 0);
  CHECK(s.producers() == 0);
  CHECK(s.added() == 2);
  CHECK(s.duplicates() == 1);
  CHECK_FALSE(s.Find("p", "a"));
  CHECK_FALSE(s.NextExpiryMs());
  CHECK(s.MemoryUsage() < before);
  CheckOk(s);
  s.Record("p", "a", {3, 0}, 10);
  CHECK(s.added() == 3);
  CheckOk(s);
}

TEST_CASE("Restore and iteration round trip") {
  IdmpState s;
  s.Record("b", "x", {5, 1}, 10);
  s.Record("a", "y", {6, 0}, 10);
  s.Record("b", "w", {7, 0}, 10);
  s.Record("a", "z", {8, 0}, 10);
  s.CountDuplicate();
  Dump dump = DumpOf(s);
  CHECK(dump.size() == 2);
  CHECK(dump["b"] == std::vector<std::pair<std::string, StreamId>>{{"x", {5, 1}}, {"w", {7, 0}}});

  IdmpState t(1234);
  t.RestoreCounters(s.added(), s.duplicates());
  std::vector<std::string> order;
  s.ForEachProducer([&](std::string_view pid, const IdmpState::Producer& p) {
    order.emplace_back(pid);
    p.ForEachIid([&](std::string_view iid, StreamId id) { t.Restore(pid, iid, id); });
  });
  CHECK(order == std::vector<std::string>{"a", "b"});
  CHECK(DumpOf(t) == dump);
  CHECK(t.added() == 4);
  CHECK(t.duplicates() == 1);
  CHECK(t.iids() == 4);
  CHECK(t.NextExpiryMs() == s.NextExpiryMs());
  t.Restore("a", "y", {99, 0});  // already present: ignored
  CHECK(t.Find("a", "y") == StreamId{6, 0});
  CHECK(t.MemoryUsage() > sizeof(IdmpState));
  CheckOk(t);

  IdmpState moved(std::move(t));
  CHECK(DumpOf(moved) == dump);
  CHECK(moved.Expire(6) == 2);
  CheckOk(moved);
}

std::string Auto(std::vector<std::string_view> fv) { return IdmpAutoId(fv); }

TEST_CASE("IdmpAutoId") {
  std::string base = Auto({"a", "1", "b", "2", "c", ""});
  CHECK(base.size() == 16);
  CHECK(Auto({"c", "", "a", "1", "b", "2"}) == base);  // pair order does not matter
  CHECK(Auto({"b", "2", "c", "", "a", "1"}) == base);
  CHECK(Auto({"a", "1", "b", "2", "c", "x"}) != base);  // values matter
  CHECK(Auto({"a", "1", "b", "2", "d", ""}) != base);   // fields matter
  CHECK(Auto({"1", "a", "b", "2", "c", ""}) != base);   // field vs value matters
  CHECK(Auto({"ab", "c"}) != Auto({"a", "bc"}));        // the boundary matters
  CHECK(Auto({"a", "1", "a", "1"}) != Auto({}));        // repeated pairs do not cancel
  CHECK(Auto({"a", "1", "a", "1"}) != Auto({"a", "1"}));
  CHECK(Auto({}).size() == 16);
  CHECK(Auto({"f", ""}) != Auto({"f", std::string_view("\0", 1)}));
  CHECK(Auto({"f", "v"}) == Auto({"f", "v"}));
}

// The reference: per pid, (iid, id) in insertion order.
struct Model {
  std::map<std::string, std::deque<std::pair<std::string, StreamId>>> producers;
  uint64_t added = 0, duplicates = 0;

  std::optional<StreamId> Find(const std::string& pid, const std::string& iid) const {
    auto p = producers.find(pid);
    if (p == producers.end()) return std::nullopt;
    for (const auto& [i, id] : p->second) {
      if (i == iid) return id;
    }
    return std::nullopt;
  }
  void Record(const std::string& pid, const std::string& iid, StreamId id, uint64_t maxsize) {
    auto& q = producers[pid];
    q.emplace_back(iid, id);
    ++added;
    while (q.size() > maxsize) q.pop_front();
    if (q.empty()) producers.erase(pid);
  }
  size_t Expire(uint64_t cutoff) {
    size_t removed = 0;
    for (auto it = producers.begin(); it != producers.end();) {
      auto& q = it->second;
      while (!q.empty() && q.front().second.ms <= cutoff) {
        q.pop_front();
        ++removed;
      }
      it = q.empty() ? producers.erase(it) : std::next(it);
    }
    return removed;
  }
  std::optional<uint64_t> NextExpiry() const {
    std::optional<uint64_t> best;
    for (const auto& [pid, q] : producers) {
      if (!best || q.front().second.ms < *best) best = q.front().second.ms;
    }
    return best;
  }
  Dump ToDump() const {
    Dump d;
    for (const auto& [pid, q] : producers) d[pid].assign(q.begin(), q.end());
    return d;
  }
};

void CheckSame(const IdmpState& s, const Model& m) {
  CheckOk(s);
  REQUIRE(DumpOf(s) == m.ToDump());
  CHECK(s.producers() == m.producers.size());
  CHECK(s.added() == m.added);
  CHECK(s.duplicates() == m.duplicates);
  CHECK(s.NextExpiryMs() == m.NextExpiry());
}

TEST_CASE("model test against a map of deques") {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 40; ++round) {
    IdmpState s(rng());
    Model m;
    uint64_t now = 1000, seq = 0;
    int pids = 1 + int(rng() % 6), iids = 2 + int(rng() % 40);
    for (int op = 0; op < 600; ++op) {
      std::string pid = "p" + std::to_string(rng() % pids);
      std::string iid = "i" + std::to_string(rng() % iids);
      uint64_t r = rng() % 100;
      if (r < 60) {
        // An XADD: the clock mostly advances, IDs grow; sometimes a restore-like older ms.
        if (rng() % 3 == 0) now += rng() % 20;
        StreamId id{now, seq++};
        if (rng() % 10 == 0) id.ms = now - rng() % 50;
        uint64_t maxsize = rng() % 8;
        auto found = s.Find(pid, iid);
        REQUIRE(found == m.Find(pid, iid));
        if (found) {
          s.CountDuplicate();
          ++m.duplicates;
        } else {
          s.Record(pid, iid, id, maxsize);
          m.Record(pid, iid, id, maxsize);
        }
      } else if (r < 85) {
        uint64_t cutoff = now - rng() % 60;
        REQUIRE(s.Expire(cutoff) == m.Expire(cutoff));
      } else if (r < 88) {
        s.Clear();
        m.producers.clear();
      } else {
        REQUIRE(s.Find(pid, iid) == m.Find(pid, iid));
      }
      CheckSame(s, m);
    }
  }
}

}  // namespace
}  // namespace runnel::streams
