// PackedSet<Codec>: an ordered set of small records, stored as runs of delta-encoded bytes.
//
// Why: a consumer group keeps one record per delivered-but-unacknowledged entry, and a busy
// group has millions. Redis spends about 76 bytes on each (a rax node per index plus a
// separately allocated struct). Here consecutive records are encoded as varint deltas from the
// record before them, so a pending entry delivered in a batch costs a handful of bytes, and
// leaves of up to kLeafRecords records are indexed by their first key in a std::map.
//
//   std::map<Key, Leaf>   Leaf.bytes = rec0 | rec1 - rec0 | rec2 - rec1 | ...
//
// Invariants:
//   - records are unique by key and sorted by key across and within leaves; a leaf's map key
//     is the key of its first record (live or dead);
//   - each leaf holds 1..kLeafRecords records; `dead` of them are tombstones, and a leaf with
//     no live record is removed;
//   - erasing only sets a record's tombstone bit (bit 0 of its first byte, reserved by every
//     codec), so the deltas of the records after it stay valid; a leaf whose tombstones
//     outnumber its live records is rewritten without them.
//
// Codec contract:
//   using Record = ...;  using Key = ...;  static Key KeyOf(const Record&);
//   static void Encode(const Record& prev, const Record& r, std::string* out);   // bit 0 of the
//       first byte written must be 0 (live)
//   static const uint8_t* Decode(const Record& prev, const uint8_t* p, Record* out);
// `prev` is a value-initialised Record for the first record of a leaf.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace runnel::streams {

template <typename Codec>
class PackedSet {
 public:
  using Record = typename Codec::Record;
  using Key = typename Codec::Key;
  static constexpr uint32_t kLeafRecords = 64;

  struct Leaf {
    std::string bytes;
    uint32_t records = 0;  // live and dead
    uint32_t dead = 0;
    Record last{};  // the last record, live or dead (appends encode against it)
    // Everything before live_at is a tombstone; live_prev is the record just before it (what
    // the record at live_at is encoded against). Entries are mostly acknowledged in delivery
    // order, so finding the one to erase starts here instead of walking the tombstones.
    uint32_t live_at = 0;
    Record live_prev{};
  };
  using LeafMap = std::map<Key, Leaf>;

  // A position on one live record; stays valid until the set is modified.
  class Cursor {
   public:
    bool valid() const { return leaf_ != end_; }
    const Record& record() const { return record_; }
    // Moves to the next live record.
    void Next() {
      Advance();
      SkipDead();
    }

   private:
    friend class PackedSet;
    void Load() {
      offset_ = leaf_->second.live_at;
      prev_ = leaf_->second.live_prev;
      Advance();
    }
    // Decodes the record at offset_ (or moves to the next leaf at the end of this one).
    void Advance() {
      while (leaf_ != end_ && offset_ >= leaf_->second.bytes.size()) {
        ++leaf_;
        offset_ = 0;
        prev_ = Record{};
      }
      if (leaf_ == end_) return;
      const auto* base = reinterpret_cast<const uint8_t*>(leaf_->second.bytes.data());
      at_ = offset_;
      dead_ = base[offset_] & 1;
      const uint8_t* next = Codec::Decode(prev_, base + offset_, &record_);
      offset_ = static_cast<size_t>(next - base);
      prev_ = record_;
    }
    void SkipDead() {
      while (valid() && dead_) Advance();
    }

    typename LeafMap::const_iterator leaf_, end_;
    size_t offset_ = 0;  // where the next record starts
    size_t at_ = 0;      // where the current record starts
    bool dead_ = false;
    Record prev_{};
    Record record_{};
  };

  size_t size() const { return live_; }
  bool empty() const { return live_ == 0; }
  size_t leaf_count() const { return leaves_.size(); }
  // Bytes held (leaves, their buffers and the index), for memory accounting.
  size_t MemoryUsage() const {
    size_t bytes = sizeof(*this);
    for (const auto& [k, leaf] : leaves_) bytes += sizeof(Leaf) + 48 + leaf.bytes.capacity();
    return bytes;
  }

  Cursor Begin() const { return Make(leaves_.begin()); }
  // The first live record with key >= `key`.
  Cursor LowerBound(const Key& key) const {
    Cursor c = Make(LeafFor(key));
    while (c.valid() && Codec::KeyOf(c.record()) < key) c.Next();
    return c;
  }
  // The last live record, if any.
  std::optional<Record> Last() const {
    if (leaves_.empty()) return std::nullopt;
    // The last leaf always holds a live record (a leaf with none is removed).
    std::optional<Record> last;
    for (auto& [rec, dead] : Unpack(std::prev(leaves_.end())->second)) {
      if (!dead) last = rec;
    }
    return last;
  }
  // The last live record with key < `key`, if any (it may sit in an earlier leaf than the one
  // `key` would go to, when that leaf's records before `key` are all dead).
  std::optional<Record> Before(const Key& key) const {
    for (auto it = leaves_.lower_bound(key); it != leaves_.begin();) {
      --it;
      std::optional<Record> last;
      for (auto& [rec, dead] : Unpack(it->second)) {
        if (!dead && Codec::KeyOf(rec) < key) last = rec;
      }
      if (last) return last;
    }
    return std::nullopt;
  }
  std::optional<Record> Find(const Key& key) const {
    Cursor c = LowerBound(key);
    if (c.valid() && !(key < Codec::KeyOf(c.record()))) return c.record();
    return std::nullopt;
  }

  // Inserts `r`; returns false (and changes nothing) when a live record has its key.
  bool Insert(const Record& r);
  // Inserts `r` only if it sorts after every record, live or dead (deliveries arrive in ID
  // order, so this is the common case); otherwise returns false having looked only at the last
  // leaf. Unlike a failed Insert, a false here says nothing about whether the key is present.
  bool TryAppend(const Record& r);
  // Erases the record with `key`; returns the record, or nullopt if absent.
  std::optional<Record> Erase(const Key& key);
  // Replaces the record with r's key (which must exist). Same as Erase + Insert, cheaper.
  void Replace(const Record& r);
  void Clear() {
    leaves_.clear();
    live_ = 0;
  }

  template <typename F>
  void ForEach(F&& f) const {
    for (Cursor c = Begin(); c.valid(); c.Next()) f(c.record());
  }

  // Checks the invariants above against the bytes (leaf sizes, tombstone counts, order, map
  // keys, each leaf's `last`, the live count); on failure says which in *why. Linear: for
  // tests and ConsumerGroup::CheckInvariants.
  bool CheckInvariants(std::string* why) const;

 private:
  Cursor Make(typename LeafMap::const_iterator leaf) const {
    Cursor c;
    c.leaf_ = leaf;
    c.end_ = leaves_.end();
    if (c.valid()) {
      c.Load();
      c.SkipDead();
    }
    return c;
  }
  // The leaf that holds (or would hold) `key`: the last leaf whose first key is <= key.
  typename LeafMap::const_iterator LeafFor(const Key& key) const {
    auto it = leaves_.upper_bound(key);
    return it == leaves_.begin() ? it : std::prev(it);
  }
  typename LeafMap::iterator MutableLeafFor(const Key& key) {
    auto it = leaves_.upper_bound(key);
    return it == leaves_.begin() ? it : std::prev(it);
  }
  // Decodes every record of a leaf, with its tombstone flag.
  static std::vector<std::pair<Record, bool>> Unpack(const Leaf& leaf);
  // Moves a leaf's live_at past the tombstones starting at `from` (encoded after `before`).
  static void SkipDeadHead(Leaf& leaf, const uint8_t* from, const Record& before);
  // Rebuilds the leaves for `records` (live only) starting at `at`, splitting as needed.
  void Repack(typename LeafMap::iterator at, const std::vector<Record>& records);

  LeafMap leaves_;
  size_t live_ = 0;
};

template <typename Codec>
std::vector<std::pair<typename Codec::Record, bool>> PackedSet<Codec>::Unpack(const Leaf& leaf) {
  std::vector<std::pair<Record, bool>> out;
  out.reserve(leaf.records);
  const auto* p = reinterpret_cast<const uint8_t*>(leaf.bytes.data());
  const auto* end = p + leaf.bytes.size();
  Record prev{};
  while (p < end) {
    bool dead = *p & 1;
    Record r;
    p = Codec::Decode(prev, p, &r);
    out.emplace_back(r, dead);
    prev = r;
  }
  return out;
}

template <typename Codec>
bool PackedSet<Codec>::CheckInvariants(std::string* why) const {
  // Records compare through their encodings (every codec encodes distinct records differently).
  auto same = [](const Record& a, const Record& b) {
    std::string x, y;
    Codec::Encode(Record{}, a, &x);
    Codec::Encode(Record{}, b, &y);
    return x == y;
  };
  auto fail = [why](std::string what) {
    *why = std::move(what);
    return false;
  };
  size_t live = 0;
  std::optional<Key> prev;
  for (const auto& [first, leaf] : leaves_) {
    auto records = Unpack(leaf);
    uint32_t dead = 0;
    for (const auto& [rec, is_dead] : records) {
      if (prev && !(*prev < Codec::KeyOf(rec))) return fail("keys not increasing");
      prev = Codec::KeyOf(rec);
      dead += is_dead ? 1 : 0;
    }
    if (records.empty() || records.size() > kLeafRecords) {
      return fail("a leaf holds " + std::to_string(records.size()) + " records");
    }
    if (records.size() != leaf.records || dead != leaf.dead) {
      return fail("a leaf's counters disagree with its bytes");
    }
    if (dead * 2 > records.size()) return fail("tombstones outnumber live records");
    if (first < Codec::KeyOf(records.front().first) ||
        Codec::KeyOf(records.front().first) < first) {
      return fail("a leaf's map key is not its first record's");
    }
    if (!same(leaf.last, records.back().first)) return fail("a leaf's `last` is stale");
    // live_at must point at the first live record, past only tombstones.
    size_t first_live = 0;
    while (first_live < records.size() && records[first_live].second) ++first_live;
    Leaf probe;
    for (size_t i = 0; i < first_live; ++i) {
      Codec::Encode(i == 0 ? Record{} : records[i - 1].first, records[i].first, &probe.bytes);
    }
    if (leaf.live_at != probe.bytes.size() ||
        (first_live > 0 && !same(leaf.live_prev, records[first_live - 1].first))) {
      return fail("a leaf's live_at hint is wrong");
    }
    live += records.size() - dead;
  }
  if (live != live_) return fail("size() disagrees with the leaves");
  return true;
}

template <typename Codec>
void PackedSet<Codec>::Repack(typename LeafMap::iterator at, const std::vector<Record>& records) {
  if (at != leaves_.end()) leaves_.erase(at);
  // Full leaves, except that the remainder is spread so no leaf is left nearly empty.
  size_t i = 0;
  while (i < records.size()) {
    size_t left = records.size() - i;
    size_t take = left <= kLeafRecords ? left : std::min<size_t>(kLeafRecords, left / 2 + 1);
    Leaf leaf;
    Record prev{};
    for (size_t j = 0; j < take; ++j) {
      Codec::Encode(prev, records[i + j], &leaf.bytes);
      prev = records[i + j];
    }
    leaf.records = static_cast<uint32_t>(take);
    leaf.last = prev;
    leaf.bytes.shrink_to_fit();
    leaves_.emplace(Codec::KeyOf(records[i]), std::move(leaf));
    i += take;
  }
}

template <typename Codec>
bool PackedSet<Codec>::TryAppend(const Record& r) {
  Key key = Codec::KeyOf(r);
  if (!leaves_.empty()) {
    Leaf& last = std::prev(leaves_.end())->second;
    if (!(Codec::KeyOf(last.last) < key)) return false;
    if (last.records < kLeafRecords) {
      Codec::Encode(last.last, r, &last.bytes);
      last.last = r;
      last.records++;
      ++live_;
      return true;
    }
    // The full last leaf is done growing: give back the slack its appends left (up to half of
    // its buffer) before a new leaf starts after it.
    last.bytes.shrink_to_fit();
  }
  Leaf leaf;
  Codec::Encode(Record{}, r, &leaf.bytes);
  leaf.records = 1;
  leaf.last = r;
  leaves_.emplace(key, std::move(leaf));
  ++live_;
  return true;
}

template <typename Codec>
bool PackedSet<Codec>::Insert(const Record& r) {
  if (TryAppend(r)) return true;
  Key key = Codec::KeyOf(r);
  auto it = MutableLeafFor(key);
  // General case: rewrite the leaf with the record in place.
  std::vector<Record> live;
  live.reserve(it->second.records + 1);
  bool placed = false;
  for (auto& [rec, dead] : Unpack(it->second)) {
    Key k = Codec::KeyOf(rec);
    if (!dead && !(k < key) && !(key < k)) return false;  // already present
    if (!placed && key < k) {
      live.push_back(r);
      placed = true;
    }
    if (!dead && (k < key || key < k)) live.push_back(rec);
  }
  if (!placed) live.push_back(r);
  Repack(it, live);
  ++live_;
  return true;
}

template <typename Codec>
std::optional<typename Codec::Record> PackedSet<Codec>::Erase(const Key& key) {
  auto it = MutableLeafFor(key);
  if (it == leaves_.end()) return std::nullopt;
  Leaf& leaf = it->second;
  auto* base = reinterpret_cast<uint8_t*>(leaf.bytes.data());
  const uint8_t* p = base + leaf.live_at;
  const uint8_t* end = base + leaf.bytes.size();
  Record prev = leaf.live_prev;
  while (p < end) {
    bool dead = *p & 1;
    Record r;
    const uint8_t* next = Codec::Decode(prev, p, &r);
    Key k = Codec::KeyOf(r);
    if (key < k) return std::nullopt;
    if (!(k < key)) {
      if (dead) return std::nullopt;
      base[p - base] |= 1;
      leaf.dead++;
      --live_;
      if (p == base + leaf.live_at) SkipDeadHead(leaf, next, r);
      if (leaf.dead == leaf.records) {
        leaves_.erase(it);
      } else if (leaf.dead * 2 > leaf.records) {
        std::vector<Record> live;
        for (auto& [rec, is_dead] : Unpack(leaf)) {
          if (!is_dead) live.push_back(rec);
        }
        Repack(it, live);
      }
      return r;
    }
    prev = r;
    p = next;
  }
  return std::nullopt;
}

template <typename Codec>
void PackedSet<Codec>::SkipDeadHead(Leaf& leaf, const uint8_t* from, const Record& before) {
  const auto* base = reinterpret_cast<const uint8_t*>(leaf.bytes.data());
  const uint8_t* end = base + leaf.bytes.size();
  Record prev = before;
  while (from < end && (*from & 1)) {
    Record r;
    from = Codec::Decode(prev, from, &r);
    prev = r;
  }
  leaf.live_at = static_cast<uint32_t>(from - base);
  leaf.live_prev = prev;
}

template <typename Codec>
void PackedSet<Codec>::Replace(const Record& r) {
  // Only two encodings depend on the record: its own, against the record before it, and the
  // next record's, which is a delta from it. So the bytes of those two are spliced in place —
  // no unpacking of the leaf and no new leaf (claims replace a record per entry claimed).
  Key key = Codec::KeyOf(r);
  Leaf& leaf = MutableLeafFor(key)->second;
  const auto* base = reinterpret_cast<const uint8_t*>(leaf.bytes.data());
  const uint8_t* end = base + leaf.bytes.size();
  const uint8_t* p = base + leaf.live_at;  // the record is live: at or after live_at
  Record prev = leaf.live_prev;
  while (p < end) {
    Record current;
    const uint8_t* next = Codec::Decode(prev, p, &current);
    Key k = Codec::KeyOf(current);
    if (k < key) {
      prev = current;
      p = next;
      continue;
    }
    std::string patch;
    Codec::Encode(prev, r, &patch);
    const uint8_t* replaced_end = next;
    if (next < end) {
      const bool dead = *next & 1;
      const size_t at = patch.size();
      Record after;
      replaced_end = Codec::Decode(current, next, &after);
      Codec::Encode(r, after, &patch);
      if (dead) patch[at] = static_cast<char>(patch[at] | 1);
    } else {
      leaf.last = r;
    }
    const size_t from = static_cast<size_t>(p - base);
    leaf.bytes.replace(from, static_cast<size_t>(replaced_end - p), patch);
    return;
  }
}

}  // namespace runnel::streams
