// Dict, Database, Keyspace and GlobMatch: Dict against std::unordered_map under random inserts
// and erases; SCAN returning every key present throughout while the table grows and shrinks
// between steps; node addresses stable across rehashing; Database expiry (lazy at now >=
// expire_ms, active in expiry order with a budget), TTL handling in Set/SetExpire/Move, typed
// lookups, Flush, and the observer calls; Redis's glob patterns, including hostile ones.
#include "streams/keyspace.h"

#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "streams/dict.h"
#include "streams/glob.h"

namespace runnel::streams {
namespace {

// ---- Dict -----------------------------------------------------------------------------------

TEST_CASE("Dict: random inserts and erases against std::unordered_map") {
  for (uint64_t seed : {1, 2, 3}) {
    Dict<int> d(seed);
    std::unordered_map<std::string, int> m;
    std::mt19937_64 rng(seed);
    size_t failures = 0;
    for (int op = 0; op < 30000; ++op) {
      // Phases of growth and shrinkage so the table resizes both ways.
      bool growing = (op / 5000) % 2 == 0;
      std::string key = "k" + std::to_string(rng() % 3000);
      int r = static_cast<int>(rng() % 10);
      if (r < (growing ? 6 : 2)) {
        bool created = false;
        auto* n = d.FindOrInsert(key, &created);
        bool model_created = m.emplace(key, op).second;
        if (created != model_created) ++failures;
        if (created) n->value = op;
        if (n->key != key || n->value != m.at(key)) ++failures;
      } else if (r < 8) {
        if (d.Erase(key) != (m.erase(key) > 0)) ++failures;
      } else {
        auto* n = d.Find(key);
        auto it = m.find(key);
        if ((n != nullptr) != (it != m.end())) ++failures;
        if (n != nullptr && it != m.end() && n->value != it->second) ++failures;
      }
      if (d.size() != m.size()) ++failures;
      // Load factor stays within (1/8, 1] except at the minimum size.
      if (d.bucket_count() != 0) {
        if (d.size() > d.bucket_count()) ++failures;
        if ((d.bucket_count() & (d.bucket_count() - 1)) != 0) ++failures;
      }
    }
    CHECK(failures == 0);
    std::unordered_map<std::string, int> seen;
    d.ForEach([&](const Dict<int>::Node& n) { seen.emplace(n.key, n.value); });
    CHECK(seen == m);
  }
}

TEST_CASE("Dict: empty table, Clear, move, EraseNode") {
  Dict<int> d;
  CHECK(d.Find("x") == nullptr);
  CHECK_FALSE(d.Erase("x"));
  CHECK(d.ScanStep(0, [](const Dict<int>::Node&) {}) == 0);
  bool created = false;
  auto* a = d.FindOrInsert("a", &created);
  CHECK(created);
  a->value = 1;
  auto* again = d.FindOrInsert("a", &created);
  CHECK_FALSE(created);
  CHECK(again == a);
  CHECK(again->value == 1);
  d.FindOrInsert("b", &created)->value = 2;
  d.FindOrInsert("", &created)->value = 3;  // the empty key is a key like any other
  CHECK(created);
  CHECK(d.Find("")->value == 3);
  d.EraseNode(d.Find("a"));
  CHECK(d.size() == 2);
  CHECK(d.Find("a") == nullptr);
  CHECK(d.Find("b")->value == 2);
  Dict<int> moved(std::move(d));
  CHECK(moved.size() == 2);
  CHECK(d.size() == 0);
  CHECK(d.Find("b") == nullptr);
  CHECK(moved.Find("b")->value == 2);
  moved.Clear();
  CHECK(moved.empty());
  CHECK(moved.bucket_count() == 0);
  CHECK(moved.Find("b") == nullptr);
}

TEST_CASE("Dict: EraseNode of every node, with shrinking, leaves the others intact") {
  Dict<int> d;
  std::vector<Dict<int>::Node*> nodes;
  bool created;
  for (int i = 0; i < 1000; ++i) {
    auto* n = d.FindOrInsert("key:" + std::to_string(i), &created);
    n->value = i;
    nodes.push_back(n);
  }
  size_t grown = d.bucket_count();
  CHECK(grown >= 1000);
  // Node addresses survive rehashing.
  for (int i = 0; i < 1000; ++i)
    CHECK(d.Find("key:" + std::to_string(i)) == nodes[static_cast<size_t>(i)]);
  for (int i = 0; i < 1000; i += 2) d.EraseNode(nodes[static_cast<size_t>(i)]);
  CHECK(d.size() == 500);
  for (int i = 1; i < 1000; i += 2) {
    auto* n = d.Find("key:" + std::to_string(i));
    CHECK(n == nodes[static_cast<size_t>(i)]);
  }
  for (int i = 1; i < 1000; i += 2) {
    if (i > 10) d.EraseNode(nodes[static_cast<size_t>(i)]);
  }
  CHECK(d.size() == 5);
  CHECK(d.bucket_count() < grown);
  CHECK(d.bucket_count() <= 64);
  for (int i : {1, 3, 5, 7, 9}) CHECK(d.Find("key:" + std::to_string(i))->value == i);
}

// Runs a full SCAN, calling `between` after each step; returns every key seen (with repeats).
template <typename V, typename F>
std::vector<std::string> FullScan(const Dict<V>& d, F&& between) {
  std::vector<std::string> seen;
  uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor = d.ScanStep(cursor, [&](const typename Dict<V>::Node& n) { seen.push_back(n.key); });
    between();
    REQUIRE(++steps < 1000000);
  } while (cursor != 0);
  return seen;
}

TEST_CASE("Dict SCAN: without changes every key exactly once") {
  for (int n : {0, 1, 3, 4, 5, 100, 1000, 4097}) {
    Dict<int> d(static_cast<uint64_t>(n));
    bool created;
    for (int i = 0; i < n; ++i) d.FindOrInsert("k" + std::to_string(i), &created);
    std::vector<std::string> seen = FullScan(d, [] {});
    std::multiset<std::string> counts(seen.begin(), seen.end());
    CHECK(seen.size() == static_cast<size_t>(n));
    CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == static_cast<size_t>(n));
  }
}

TEST_CASE("Dict SCAN: keys present throughout are returned while the table grows and shrinks") {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(seed);
    Dict<int> d(seed);
    bool created;
    // Stable keys stay for the whole scan; churn keys come and go between steps.
    std::vector<std::string> stable;
    size_t n_stable = 1 + rng() % 300;
    for (size_t i = 0; i < n_stable; ++i) {
      stable.push_back("stable:" + std::to_string(i));
      d.FindOrInsert(stable.back(), &created);
    }
    std::vector<std::string> churn;
    int next_churn = 0;
    size_t max_buckets = d.bucket_count(), min_buckets = d.bucket_count();
    // Each scan alternates between growing bursts and shrinking bursts.
    int phase = 0;
    std::vector<std::string> seen = FullScan(d, [&] {
      ++phase;
      bool grow = (phase / 3) % 2 == 0;
      size_t burst = rng() % 200;
      for (size_t i = 0; i < burst; ++i) {
        if (grow) {
          churn.push_back("churn:" + std::to_string(next_churn++));
          d.FindOrInsert(churn.back(), &created);
        } else if (!churn.empty()) {
          size_t j = rng() % churn.size();
          CHECK(d.Erase(churn[j]));
          churn[j] = churn.back();
          churn.pop_back();
        }
      }
      max_buckets = std::max(max_buckets, d.bucket_count());
      min_buckets = std::min(min_buckets, d.bucket_count());
    });
    std::unordered_set<std::string> got(seen.begin(), seen.end());
    size_t missing = 0;
    for (const auto& k : stable) missing += got.count(k) == 0;
    INFO("seed ", seed, " buckets ", min_buckets, "..", max_buckets);
    CHECK(missing == 0);
  }
}

TEST_CASE("Dict SCAN: shrinking many times over during one scan") {
  Dict<int> d(42);
  bool created;
  std::vector<std::string> stable = {"s1", "s2", "s3", "s4", "s5", "s6", "s7"};
  for (const auto& k : stable) d.FindOrInsert(k, &created);
  std::vector<std::string> churn;
  for (int i = 0; i < 20000; ++i) {
    churn.push_back("c" + std::to_string(i));
    d.FindOrInsert(churn.back(), &created);
  }
  size_t start_buckets = d.bucket_count();
  std::vector<std::string> seen = FullScan(d, [&] {
    for (int i = 0; i < 300 && !churn.empty(); ++i) {
      d.Erase(churn.back());
      churn.pop_back();
    }
  });
  CHECK(d.bucket_count() < start_buckets / 64);
  std::unordered_set<std::string> got(seen.begin(), seen.end());
  for (const auto& k : stable) CHECK(got.count(k) == 1);
}

// ---- Database -------------------------------------------------------------------------------

struct Event {
  std::string kind;
  int db;
  std::string key;
  bool operator==(const Event&) const = default;
};

class Recorder : public KeyspaceObserver {
 public:
  void OnKeyChanged(int db, std::string_view key) override {
    events.push_back({"changed", db, std::string(key)});
  }
  void OnKeyExpired(int db, std::string_view key) override {
    events.push_back({"expired", db, std::string(key)});
  }
  void OnFlushed(int db) override { events.push_back({"flushed", db, ""}); }
  std::vector<Event> events;
};

std::unique_ptr<Stream> NewStream() { return std::make_unique<Stream>(); }

TEST_CASE("Database::Find deletes a key lazily once now >= expire_ms") {
  Recorder rec;
  Database db(3, 7, &rec);
  auto* n = db.Set("k", Value(std::string("v")));
  CHECK(rec.events == std::vector<Event>{{"changed", 3, "k"}});
  rec.events.clear();
  CHECK(db.SetExpire(n, 1000));
  CHECK(db.expires_count() == 1);
  CHECK(db.NextExpiry() == 1000);
  CHECK(db.Find("k", 999) == n);
  CHECK(rec.events.empty());
  CHECK(db.Find("k", 1000) == nullptr);  // exactly at the expiry time it is gone
  // Expiry is reported as OnKeyExpired only (OnKeyChanged is for changes made by commands).
  CHECK(rec.events == std::vector<Event>{{"expired", 3, "k"}});
  CHECK(db.size() == 0);
  CHECK(db.expires_count() == 0);
  CHECK(db.NextExpiry() == -1);
  CHECK(db.Find("k", 0) == nullptr);
  CHECK(rec.events.size() == 1);
  // A key with no TTL never expires.
  db.Set("forever", Value(std::string("v")));
  CHECK(db.Find("forever", INT64_MAX) != nullptr);
}

TEST_CASE("Database::SetExpire: change, no change, remove with -1") {
  Recorder rec;
  Database db(0, 0, &rec);
  auto* n = db.Set("k", Value(std::string("v")));
  CHECK_FALSE(db.SetExpire(n, -1));  // already persistent
  CHECK(db.SetExpire(n, 50));
  CHECK_FALSE(db.SetExpire(n, 50));
  CHECK(db.SetExpire(n, 40));
  CHECK(db.expires_count() == 1);
  CHECK(db.NextExpiry() == 40);
  CHECK(n->value.expire_ms == 40);
  CHECK(db.SetExpire(n, -1));
  CHECK(db.expires_count() == 0);
  CHECK(n->value.expire_ms == -1);
  CHECK(db.ExpireDue(1000, 10) == 0);
  CHECK(db.size() == 1);
}

TEST_CASE("Database::ExpireDue deletes due keys in expiry order within the budget") {
  Recorder rec;
  Database db(1, 0, &rec);
  for (auto [key, when] : std::vector<std::pair<std::string, int64_t>>{
           {"c", 30}, {"a", 10}, {"d", 40}, {"b", 20}, {"e", 20}}) {
    db.SetExpire(db.Set(key, Value(std::string("v"))), when);
  }
  db.Set("p", Value(std::string("v")));
  rec.events.clear();
  CHECK(db.ExpireDue(5, 10) == 0);
  CHECK(db.ExpireDue(35, 2) == 2);
  // "a" first, then one of the two keys due at 20.
  REQUIRE(rec.events.size() == 2);
  CHECK(rec.events[0] == Event{"expired", 1, "a"});
  CHECK(rec.events[1].kind == "expired");
  CHECK((rec.events[1].key == "b" || rec.events[1].key == "e"));
  std::string first_20 = rec.events[1].key;
  rec.events.clear();
  CHECK(db.ExpireDue(35, 10) == 2);  // the other 20 and "c"
  REQUIRE(rec.events.size() == 2);
  CHECK(rec.events[0] == Event{"expired", 1, first_20 == "b" ? "e" : "b"});
  CHECK(rec.events[1] == Event{"expired", 1, "c"});
  CHECK(db.size() == 2);
  CHECK(db.NextExpiry() == 40);
  CHECK(db.ExpireDue(40, 0) == 0);
  CHECK(db.ExpireDue(40, 1) == 1);
  CHECK(db.size() == 1);
  CHECK(db.expires_count() == 0);
  CHECK(db.Find("p", 1000000) != nullptr);
}

TEST_CASE("Database::AverageTtl follows SetExpire, Set, expiry, Move and Flush") {
  Keyspace ks(2, 0, nullptr);
  Database& db = ks.db(0);
  CHECK(db.AverageTtl(0) == 0);
  auto* a = db.Set("a", Value(std::string("v")));
  auto* b = db.Set("b", Value(std::string("v")));
  db.Set("p", Value(std::string("v")));  // no TTL: not counted
  db.SetExpire(a, 1000);
  db.SetExpire(b, 3000);
  CHECK(db.AverageTtl(0) == 2000);
  CHECK(db.AverageTtl(500) == 1500);
  CHECK(db.AverageTtl(5000) == 0);  // never negative
  db.SetExpire(b, 5000);
  CHECK(db.AverageTtl(0) == 3000);
  db.Set("b", Value(std::string("w")));  // clears b's TTL
  CHECK(db.AverageTtl(0) == 1000);
  db.SetExpire(db.Find("b", 0), 3000);
  CHECK(db.Find("a", 1000) == nullptr);  // a expires lazily
  CHECK(db.AverageTtl(0) == 3000);
  db.Move(db.Find("b", 0), ks.db(1), "b");
  CHECK(db.AverageTtl(0) == 0);
  CHECK(ks.db(1).AverageTtl(1000) == 2000);
  ks.db(1).SetExpire(ks.db(1).Set("c", Value(std::string("v"))), 4000);
  CHECK(ks.db(1).AverageTtl(0) == 3500);
  ks.db(1).ExpireDue(3000, 10);
  CHECK(ks.db(1).AverageTtl(0) == 4000);
  ks.db(1).Flush();
  CHECK(ks.db(1).AverageTtl(0) == 0);
  // Large absolute times do not overflow the running sum.
  for (int i = 0; i < 100; ++i) {
    db.SetExpire(db.Set("big" + std::to_string(i), Value(std::string("v"))), INT64_MAX - i);
  }
  CHECK(db.AverageTtl(INT64_MAX - 1000) == 950);  // mean INT64_MAX - 49.5, truncated
}

TEST_CASE("Database::Peek sees a key past its TTL without deleting it") {
  Recorder rec;
  Database db(0, 0, &rec);
  auto* n = db.Set("k", Value(std::string("v")));
  db.SetExpire(n, 10);
  rec.events.clear();
  CHECK(db.Peek("k") == n);
  CHECK(db.size() == 1);
  CHECK(rec.events.empty());
  CHECK(db.Peek("absent") == nullptr);
  CHECK(db.Find("k", 10) == nullptr);
  CHECK(db.Peek("k") == nullptr);
}

TEST_CASE("Database::Set clears the TTL unless keep_ttl") {
  Recorder rec;
  Database db(0, 0, &rec);
  auto* n = db.Set("k", Value(std::string("1")));
  db.SetExpire(n, 100);
  auto* n2 = db.Set("k", Value(std::string("2")), /*keep_ttl=*/true);
  CHECK(n2 == n);
  CHECK(n->value.expire_ms == 100);
  CHECK(db.expires_count() == 1);
  CHECK(*n->value.value.string() == "2");
  db.Set("k", Value(std::string("3")));
  CHECK(n->value.expire_ms == -1);
  CHECK(db.expires_count() == 0);
  CHECK(db.Find("k", 1000) != nullptr);
  // Replacing a string with a stream changes its type.
  db.Set("k", Value(NewStream()));
  CHECK(db.Find("k", 0)->value.value.type() == ValueType::kStream);
}

TEST_CASE("Database::FindStream and FindString: absent, right type, wrong type") {
  Database db(0, 0, nullptr);  // no observer is fine
  db.Set("s", Value(NewStream()));
  db.Set("t", Value(std::string("text")));
  auto s = db.FindStream("s", 0);
  REQUIRE(s.ok());
  CHECK(*s != nullptr);
  auto missing = db.FindStream("nope", 0);
  REQUIRE(missing.ok());
  CHECK(*missing == nullptr);
  CHECK(db.FindStream("t", 0).error() == Errc::kWrongType);
  auto t = db.FindString("t", 0);
  REQUIRE(t.ok());
  CHECK(**t == "text");
  CHECK(db.FindString("s", 0).error() == Errc::kWrongType);
  auto none = db.FindString("nope", 0);
  REQUIRE(none.ok());
  CHECK(*none == nullptr);
  // An expired key is absent for typed lookups too.
  db.SetExpire(db.Find("s", 0), 10);
  auto expired = db.FindStream("s", 10);
  REQUIRE(expired.ok());
  CHECK(*expired == nullptr);
  CHECK(db.Delete("t"));
  CHECK_FALSE(db.Delete("t"));
  CHECK(db.size() == 0);
}

TEST_CASE("Database::Move carries the value and TTL, and reports both keys") {
  Recorder rec;
  Keyspace ks(2, 9, &rec);
  Database& a = ks.db(0);
  Database& b = ks.db(1);
  auto* n = a.Set("src", Value(std::string("payload")));
  a.SetExpire(n, 5000);
  rec.events.clear();
  a.Move(n, b, "dst");
  CHECK(a.size() == 0);
  CHECK(a.expires_count() == 0);
  auto* m = b.Find("dst", 0);
  REQUIRE(m != nullptr);
  CHECK(*m->value.value.string() == "payload");
  CHECK(m->value.expire_ms == 5000);
  CHECK(b.expires_count() == 1);
  CHECK(rec.events.front() == Event{"changed", 0, "src"});
  CHECK(rec.events.back() == Event{"changed", 1, "dst"});

  // Onto an existing key with a different TTL: value and TTL are the moved key's.
  auto* x = a.Set("x", Value(std::string("new")));
  auto* old = b.Set("x", Value(std::string("old")));
  b.SetExpire(old, 99);
  a.Move(x, b, "x");
  CHECK(*b.Find("x", 0)->value.value.string() == "new");
  CHECK(b.Find("x", 0)->value.expire_ms == -1);
  CHECK(b.expires_count() == 1);  // only "dst"

  // Within one database (RENAME).
  auto* r = b.Set("from", Value(std::string("r")));
  b.SetExpire(r, 7000);
  b.Move(r, b, "to");
  CHECK(b.Find("from", 0) == nullptr);
  CHECK(b.Find("to", 0)->value.expire_ms == 7000);
  CHECK(ks.TotalKeys() == 3);
}

TEST_CASE("Database::Move with the destination name taken from the moved node (MOVE key db)") {
  Recorder rec;
  Keyspace ks(2, 1, &rec);
  auto* n = ks.db(0).Set("samename", Value(std::string("v")));
  ks.db(0).SetExpire(n, 123);
  rec.events.clear();
  // MOVE keeps the name; passing the node's own key must be safe even though the node dies.
  ks.db(0).Move(n, ks.db(1), n->key);
  auto* m = ks.db(1).Find("samename", 0);
  REQUIRE(m != nullptr);
  CHECK(m->key == "samename");
  CHECK(m->value.expire_ms == 123);
  CHECK(ks.db(0).Find("samename", 0) == nullptr);
  REQUIRE(rec.events.size() == 2);
  CHECK(rec.events[1] == Event{"changed", 1, "samename"});
  // Renaming a key onto itself keeps it.
  auto* self = ks.db(1).Find("samename", 0);
  ks.db(1).Move(self, ks.db(1), self->key);
  REQUIRE(ks.db(1).Find("samename", 0) != nullptr);
  CHECK(ks.db(1).Find("samename", 0)->value.expire_ms == 123);
}

TEST_CASE("Flush and FlushAll empty the databases and call OnFlushed") {
  Recorder rec;
  Keyspace ks(3, 0, &rec);
  CHECK(ks.size() == 3);
  for (int i = 0; i < 3; ++i) {
    for (int k = 0; k < 10; ++k) {
      auto* n = ks.db(i).Set("k" + std::to_string(k), Value(NewStream()));
      if (k % 2) ks.db(i).SetExpire(n, 1000 + k);
    }
  }
  CHECK(ks.TotalKeys() == 30);
  rec.events.clear();
  ks.db(1).Flush();
  CHECK(rec.events == std::vector<Event>{{"flushed", 1, ""}});
  CHECK(ks.db(1).size() == 0);
  CHECK(ks.db(1).expires_count() == 0);
  CHECK(ks.db(1).NextExpiry() == -1);
  CHECK(ks.TotalKeys() == 20);
  // Usable after a flush.
  ks.db(1).Set("again", Value(std::string("x")));
  CHECK(ks.db(1).Find("again", 0) != nullptr);
  rec.events.clear();
  ks.FlushAll();
  CHECK(rec.events ==
        std::vector<Event>{{"flushed", 0, ""}, {"flushed", 1, ""}, {"flushed", 2, ""}});
  CHECK(ks.TotalKeys() == 0);
  CHECK(ks.db(0).ExpireDue(INT64_MAX, 100) == 0);
}

TEST_CASE("Database SCAN and ForEach see expired-but-not-deleted keys too") {
  Database db(0, 0, nullptr);
  db.SetExpire(db.Set("old", Value(std::string("v"))), 1);
  db.Set("new", Value(std::string("v")));
  std::set<std::string> scanned;
  uint64_t cursor = 0;
  do {
    cursor = db.ScanStep(cursor, [&](const Database::Node& n) { scanned.insert(n.key); });
  } while (cursor != 0);
  CHECK(scanned == std::set<std::string>{"new", "old"});
  std::set<std::string> each;
  db.ForEach([&](const Database::Node& n) { each.insert(n.key); });
  CHECK(each == scanned);
}

// ---- GlobMatch ------------------------------------------------------------------------------

TEST_CASE("GlobMatch: wildcards") {
  CHECK_FALSE(GlobMatch("*", ""));  // as Redis: only an empty pattern matches an empty subject
  CHECK_FALSE(GlobMatch("**", ""));
  CHECK(GlobMatch("*", "anything"));
  CHECK(GlobMatch("", ""));
  CHECK_FALSE(GlobMatch("", "a"));
  CHECK(GlobMatch("?", "a"));
  CHECK_FALSE(GlobMatch("?", ""));
  CHECK_FALSE(GlobMatch("?", "ab"));
  CHECK(GlobMatch("h?llo", "hello"));
  CHECK(GlobMatch("h?llo", "hallo"));
  CHECK_FALSE(GlobMatch("h?llo", "hllo"));
  CHECK(GlobMatch("h*llo", "hllo"));
  CHECK(GlobMatch("h*llo", "heeeello"));
  CHECK_FALSE(GlobMatch("h*llo", "hellow"));
  CHECK(GlobMatch("*llo", "hello"));
  CHECK(GlobMatch("he*", "hello"));
  CHECK(GlobMatch("**", "x"));
  CHECK(GlobMatch("a*b*c", "a__b__c"));
  CHECK_FALSE(GlobMatch("a*b*c", "a__c__b"));
  CHECK(GlobMatch("*a", "aaa"));
  CHECK(GlobMatch("user:*:name", "user:42:name"));
  CHECK_FALSE(GlobMatch("user:*:name", "user:42:age"));
}

TEST_CASE("GlobMatch: sets, negation, ranges") {
  CHECK(GlobMatch("h[ae]llo", "hello"));
  CHECK(GlobMatch("h[ae]llo", "hallo"));
  CHECK_FALSE(GlobMatch("h[ae]llo", "hillo"));
  CHECK(GlobMatch("h[^e]llo", "hallo"));
  CHECK_FALSE(GlobMatch("h[^e]llo", "hello"));
  CHECK_FALSE(GlobMatch("h[^e]llo", "hllo"));
  CHECK(GlobMatch("h[a-b]llo", "hallo"));
  CHECK(GlobMatch("h[a-b]llo", "hbllo"));
  CHECK_FALSE(GlobMatch("h[a-b]llo", "hcllo"));
  CHECK(GlobMatch("[z-a]", "m"));  // a range given backwards is swapped
  CHECK(GlobMatch("[z-a]", "a"));
  CHECK(GlobMatch("[z-a]", "z"));
  CHECK_FALSE(GlobMatch("[z-a]", "A"));
  CHECK(GlobMatch("[0-9][0-9]", "42"));
  CHECK_FALSE(GlobMatch("[0-9]", "x"));
  CHECK(GlobMatch("[\\]]", "]"));
  CHECK(GlobMatch("[\\-a]", "-"));
  CHECK(GlobMatch("[^a-c]x", "dx"));
  CHECK_FALSE(GlobMatch("[^a-c]x", "bx"));
  // An open set runs to the end of the pattern.
  CHECK(GlobMatch("[abc", "b"));
  CHECK_FALSE(GlobMatch("[abc", "d"));
  CHECK_FALSE(GlobMatch("[abc", "bb"));
  CHECK_FALSE(GlobMatch("[", "["));
  CHECK(GlobMatch("x[", "x") == false);
  // "[]" is an empty set (the first ']' closes it, as in Redis): it matches nothing.
  CHECK_FALSE(GlobMatch("[]", "]"));
  CHECK_FALSE(GlobMatch("[]", ""));
}

TEST_CASE("GlobMatch: escapes") {
  CHECK(GlobMatch("\\*", "*"));
  CHECK_FALSE(GlobMatch("\\*", "a"));
  CHECK(GlobMatch("\\?", "?"));
  CHECK_FALSE(GlobMatch("\\?", "x"));
  CHECK(GlobMatch("a\\[b", "a[b"));
  CHECK(GlobMatch("\\\\", "\\"));
  CHECK(GlobMatch("a\\", "a\\"));  // a trailing backslash is literal
  CHECK(GlobMatch("*\\*", "abc*"));
  CHECK_FALSE(GlobMatch("*\\*", "abc"));
}

TEST_CASE("GlobMatch: nocase") {
  CHECK(GlobMatch("HeLLo", "hello", true));
  CHECK_FALSE(GlobMatch("HeLLo", "hello", false));
  CHECK(GlobMatch("h[A-C]llo", "hbllo", true));
  CHECK(GlobMatch("h[a-c]llo", "HBLLO", true));
  CHECK_FALSE(GlobMatch("h[a-c]llo", "hBllo", false));
  CHECK(GlobMatch("H*", "hello", true));
  CHECK(GlobMatch("[^A]", "b", true));
  CHECK_FALSE(GlobMatch("[^A]", "a", true));
}

TEST_CASE("GlobMatch: binary subjects and patterns") {
  CHECK(GlobMatch(std::string_view("a\0*", 3), std::string_view("a\0zz", 4)));
  CHECK_FALSE(GlobMatch(std::string_view("a\0*", 3), std::string_view("a\1zz", 4)));
  CHECK(GlobMatch("?", "\xff"));
  CHECK(GlobMatch("[\x80-\xff]", "\xc0"));
}

TEST_CASE("GlobMatch: many stars against long subjects stays fast") {
  std::string subject(20000, 'a');
  std::string pattern;
  for (int i = 0; i < 30; ++i) pattern += "*a";
  pattern += "*b";
  auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(GlobMatch(pattern, subject));
  CHECK(GlobMatch(pattern.substr(0, pattern.size() - 2), subject));
  std::string qpattern;
  for (int i = 0; i < 50; ++i) qpattern += "*?";
  qpattern += "b";
  CHECK_FALSE(GlobMatch(qpattern, subject));
  CHECK(GlobMatch("*[a-z]*[^b]*a", subject));
  auto elapsed = std::chrono::steady_clock::now() - start;
  // Exponential backtracking would take years; O(pattern x subject) takes milliseconds.
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() < 2000);
}

}  // namespace
}  // namespace runnel::streams
