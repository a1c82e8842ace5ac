// RadixTree: model-based random tests against std::map. Keys come from tiny byte alphabets (so
// they share long prefixes and inner nodes split and merge constantly), from real stream IDs,
// and include the all-0x00 and all-0xff boundary keys. Every operation's result is compared
// with the model; the whole tree is walked with ForEach, and forwards and backwards with
// Next/Prev, and checked against the model periodically.
#include "streams/radix_tree.h"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "streams/stream_id.h"

namespace runnel::streams {
namespace {

using Tree = RadixTree<int>;
using Key = Tree::Key;
using Model = std::map<Key, int>;

std::string Hex(const Key& k) {
  static const char* kDigits = "0123456789abcdef";
  std::string s;
  for (uint8_t b : k) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 15]);
  }
  return s;
}

Key Filled(uint8_t b) {
  Key k;
  k.fill(b);
  return k;
}

// Describes an entry pointer vs a model iterator, for failure messages and comparison.
std::string Describe(const Tree::Entry* e) {
  return e == nullptr ? "end" : Hex(e->key) + "=" + std::to_string(e->value);
}
std::string Describe(const Model& m, Model::const_iterator it) {
  return it == m.end() ? "end" : Hex(it->first) + "=" + std::to_string(it->second);
}

// Model versions of the seeks.
Model::const_iterator ModelFloor(const Model& m, const Key& k) {  // last <= k
  auto it = m.upper_bound(k);
  return it == m.begin() ? m.end() : std::prev(it);
}
Model::const_iterator ModelLower(const Model& m, const Key& k) {  // last < k
  auto it = m.lower_bound(k);
  return it == m.begin() ? m.end() : std::prev(it);
}

class KeyGen {
 public:
  explicit KeyGen(uint32_t seed) : rng_(seed) {}

  Key Next() {
    switch (rng_() % 6) {
      case 0: {  // every byte from {00, 01}
        Key k;
        for (auto& b : k) b = static_cast<uint8_t>(rng_() % 2);
        return k;
      }
      case 1: {  // every byte from {00, 01, 80, ff}
        static const uint8_t kAlpha[] = {0x00, 0x01, 0x80, 0xff};
        Key k;
        for (auto& b : k) b = kAlpha[rng_() % 4];
        return k;
      }
      case 2: {  // a shared prefix of random length, then a few random bytes
        Key k = base_;
        size_t from = rng_() % 16;
        for (size_t i = from; i < 16; ++i) k[i] = static_cast<uint8_t>(rng_() % 3);
        return k;
      }
      case 3: {  // increasing stream IDs, as a stream inserts its blocks
        next_id_.seq += rng_() % 3;
        if (rng_() % 4 == 0) {
          next_id_.ms += rng_() % 300;
          next_id_.seq = rng_() % 2;
        }
        return next_id_.ToKey();
      }
      case 4:  // the boundaries and their neighbours
        switch (rng_() % 4) {
          case 0:
            return Filled(0x00);
          case 1:
            return Filled(0xff);
          case 2: {
            Key k = Filled(0x00);
            k[15] = 1;
            return k;
          }
          default: {
            Key k = Filled(0xff);
            k[15] = 0xfe;
            return k;
          }
        }
      default: {  // differs from base_ in exactly one byte
        Key k = base_;
        k[rng_() % 16] ^= static_cast<uint8_t>(1 + rng_() % 255);
        return k;
      }
    }
  }

 private:
  std::mt19937 rng_;
  Key base_ = [] {
    Key k;
    for (size_t i = 0; i < 16; ++i) k[i] = static_cast<uint8_t>(0x30 + i);
    return k;
  }();
  StreamId next_id_{1700000000000, 0};
};

// Compares the whole tree with the model: ForEach, and Next/Prev walks both ways.
void CheckWhole(const Tree& t, const Model& m) {
  REQUIRE(t.size() == m.size());
  CHECK(t.empty() == m.empty());
  // Inner nodes have at least two children, so there are fewer of them than leaves.
  if (!m.empty()) CHECK(t.node_count() <= 2 * m.size() - 1);
  CHECK(t.node_count() >= m.size());

  std::vector<std::pair<Key, int>> seen;
  t.ForEach([&](const Tree::Entry& e) { seen.emplace_back(e.key, e.value); });
  std::vector<std::pair<Key, int>> want(m.begin(), m.end());
  CHECK(seen == want);

  std::vector<std::pair<Key, int>> backwards;
  for (Tree::Entry* e = t.Last(); e != nullptr; e = t.Prev(e))
    backwards.emplace_back(e->key, e->value);
  std::vector<std::pair<Key, int>> want_back(m.rbegin(), m.rend());
  CHECK(backwards == want_back);
}

void RunModel(uint32_t seed, int ops, int erase_weight) {
  Tree t;
  Model m;
  KeyGen gen(seed);
  std::mt19937 rng(seed ^ 0x9e3779b9u);
  int next_value = 0;
  size_t failures = 0;
  std::string first_failure;
  auto expect = [&](bool ok, const std::string& what) {
    if (!ok && failures++ == 0) first_failure = what;
  };

  for (int op = 0; op < ops; ++op) {
    Key k = gen.Next();
    int choice = static_cast<int>(rng() % 100);
    std::string where = "op " + std::to_string(op) + " key " + Hex(k) + ": ";
    if (choice < 40) {
      int v = next_value++;
      bool inserted = t.Insert(k, v);
      bool model_inserted = m.emplace(k, v).second;
      expect(inserted == model_inserted, where + "Insert result");
      // An existing key keeps its value.
      Tree::Entry* e = t.Find(k);
      expect(e != nullptr && e->value == m.at(k), where + "value after Insert");
    } else if (choice < 40 + erase_weight) {
      std::optional<int> got = t.Erase(k);
      auto it = m.find(k);
      if (it == m.end()) {
        expect(!got.has_value(), where + "Erase of absent key");
      } else {
        expect(got.has_value() && *got == it->second, where + "Erase value");
        m.erase(it);
      }
      expect(t.Find(k) == nullptr, where + "Find after Erase");
    } else {
      // Seeks: each compared with the model.
      auto model_find = m.find(k);
      expect(Describe(t.Find(k)) == Describe(m, model_find), where + "Find");
      expect(Describe(t.LowerBound(k)) == Describe(m, m.lower_bound(k)), where + "LowerBound");
      expect(Describe(t.UpperBound(k)) == Describe(m, m.upper_bound(k)), where + "UpperBound");
      expect(Describe(t.Floor(k)) == Describe(m, ModelFloor(m, k)), where + "Floor");
      expect(Describe(t.Lower(k)) == Describe(m, ModelLower(m, k)), where + "Lower");
      expect(Describe(t.First()) == Describe(m, m.begin()), where + "First");
      expect(Describe(t.Last()) == Describe(m, m.empty() ? m.end() : std::prev(m.end())),
             where + "Last");
      if (Tree::Entry* e = t.LowerBound(k)) {
        auto it = m.lower_bound(k);
        expect(Describe(t.Next(e)) == Describe(m, std::next(it)), where + "Next");
        expect(Describe(t.Prev(e)) == Describe(m, it == m.begin() ? m.end() : std::prev(it)),
               where + "Prev");
      }
    }
    expect(t.size() == m.size(), where + "size");
    if (op % 97 == 0 || op == ops - 1) {
      INFO(where);
      CheckWhole(t, m);
    }
  }
  INFO("seed ", seed, " first failure: ", first_failure);
  CHECK(failures == 0);
}

TEST_CASE("model: mostly inserts (the tree grows to thousands of keys)") {
  for (uint32_t seed = 1; seed <= 6; ++seed) RunModel(seed, 8000, 10);
}

TEST_CASE("model: balanced inserts and erases (constant splits and merges)") {
  for (uint32_t seed = 100; seed <= 110; ++seed) RunModel(seed, 8000, 40);
}

TEST_CASE("model: erase-heavy (the tree shrinks back to empty and regrows)") {
  for (uint32_t seed = 200; seed <= 205; ++seed) RunModel(seed, 6000, 55);
}

TEST_CASE("boundary keys all-0x00 and all-0xff") {
  Tree t;
  Key lo = Filled(0x00), hi = Filled(0xff);
  CHECK(t.First() == nullptr);
  CHECK(t.Last() == nullptr);
  CHECK(t.LowerBound(lo) == nullptr);
  CHECK(t.Floor(hi) == nullptr);
  CHECK(t.Insert(hi, 2));
  CHECK(t.Insert(lo, 1));
  CHECK(t.First()->key == lo);
  CHECK(t.Last()->key == hi);
  // There is nothing above all-0xff and nothing below all-0x00.
  CHECK(t.UpperBound(hi) == nullptr);
  CHECK(t.Lower(lo) == nullptr);
  CHECK(t.Next(t.Last()) == nullptr);
  CHECK(t.Prev(t.First()) == nullptr);
  CHECK(t.UpperBound(lo)->key == hi);
  CHECK(t.Lower(hi)->key == lo);
  CHECK(t.Floor(lo)->key == lo);
  CHECK(t.LowerBound(hi)->key == hi);
  Key mid = Filled(0x80);
  CHECK(t.Floor(mid)->key == lo);
  CHECK(t.LowerBound(mid)->key == hi);
  CHECK(t.Erase(lo) == 1);
  CHECK(t.Erase(lo) == std::nullopt);
  CHECK(t.Floor(mid) == nullptr);
  CHECK(t.Erase(hi) == 2);
  CHECK(t.empty());
  CHECK(t.node_count() == 0);
}

TEST_CASE("Insert of an existing key returns false and keeps the old value") {
  Tree t;
  Key a = Filled(7);
  Key b = a;
  b[15] = 8;
  CHECK(t.Insert(a, 1));
  CHECK_FALSE(t.Insert(a, 2));
  CHECK(t.Insert(b, 3));
  CHECK_FALSE(t.Insert(b, 4));
  CHECK_FALSE(t.Insert(a, 5));
  CHECK(t.Find(a)->value == 1);
  CHECK(t.Find(b)->value == 3);
  CHECK(t.size() == 2);
  CHECK(t.node_count() == 3);
}

TEST_CASE("move-only values, moves of the tree, Clear") {
  RadixTree<std::unique_ptr<int>> t;
  Key a = Filled(1), b = Filled(2);
  CHECK(t.Insert(a, std::make_unique<int>(10)));
  CHECK(t.Insert(b, std::make_unique<int>(20)));
  RadixTree<std::unique_ptr<int>> u(std::move(t));
  CHECK(t.empty());
  CHECK(u.size() == 2);
  CHECK(*u.Find(a)->value == 10);
  auto erased = u.Erase(b);
  REQUIRE(erased.has_value());
  REQUIRE(*erased != nullptr);
  CHECK(**erased == 20);
  RadixTree<std::unique_ptr<int>> w;
  CHECK(w.Insert(b, std::make_unique<int>(30)));
  w = std::move(u);
  CHECK(w.size() == 1);
  CHECK(w.Find(b) == nullptr);
  CHECK(*w.Find(a)->value == 10);
  w.Clear();
  CHECK(w.empty());
  CHECK(w.First() == nullptr);
  CHECK(w.Insert(a, std::make_unique<int>(1)));
  CHECK(w.size() == 1);
}

TEST_CASE("entries are stable: erasing other keys does not move an entry") {
  Tree t;
  std::vector<Key> keys;
  for (int i = 0; i < 300; ++i) {
    Key k = StreamId{static_cast<uint64_t>(i / 7), static_cast<uint64_t>(i % 7)}.ToKey();
    keys.push_back(k);
    CHECK(t.Insert(k, i));
  }
  Tree::Entry* keep = t.Find(keys[150]);
  REQUIRE(keep != nullptr);
  for (int i = 0; i < 300; ++i) {
    if (i != 150) CHECK(t.Erase(keys[static_cast<size_t>(i)]).has_value());
  }
  CHECK(t.size() == 1);
  CHECK(t.First() == keep);
  CHECK(keep->value == 150);
  CHECK(t.node_count() == 1);
}

}  // namespace
}  // namespace runnel::streams
