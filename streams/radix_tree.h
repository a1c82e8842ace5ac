// RadixTree: an ordered map from 16-byte keys to values, as a path-compressed radix tree.
//
// Streams key their entry blocks by the block's master ID written as 16 big-endian bytes, so
// byte order is ID order and every ordered query a stream needs (the block holding an ID, the
// next block, the last block) is a seek in this tree.
//
// Shape (keys are fixed-length, so no key is a prefix of another):
//
//            Inner{depth=8, prefix=00 00 00 00 00 00 01 7f}
//              /  byte 0x00            \  byte 0x01
//           Leaf{key, value}         Inner{depth=15, prefix=...}
//                                       /            \  (bytes 0x10, 0x20)
//                                    Leaf           Leaf
//
//   - An inner node branches on key byte `depth`; every key below it shares bytes [0, depth),
//     kept in `prefix`. Runs of single-child levels are never materialised (path compression):
//     an inner node always has at least two children.
//   - Children are kept sorted by their byte, so in-order traversal is key order.
//   - Leaves hold the whole key and the value. A child pointer's low bit tells leaf from inner.
//
// Seeks (LowerBound, Floor and friends) are a single descent with at most one step back up, so
// iterating with Next()/Prev() costs O(key length) per step and is never invalidated by
// insertions or erasures of other keys.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

namespace runnel::streams {

template <typename V>
class RadixTree {
 public:
  static constexpr size_t kKeyLen = 16;
  using Key = std::array<uint8_t, kKeyLen>;

  struct Entry {
    Key key;
    V value;
  };

  RadixTree() = default;
  RadixTree(const RadixTree&) = delete;
  RadixTree& operator=(const RadixTree&) = delete;
  RadixTree(RadixTree&& o) noexcept { *this = std::move(o); }
  RadixTree& operator=(RadixTree&& o) noexcept {
    if (this != &o) {
      Clear();
      std::swap(root_, o.root_);
      std::swap(size_, o.size_);
      std::swap(inner_count_, o.inner_count_);
    }
    return *this;
  }
  ~RadixTree() { Clear(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Leaves plus inner nodes (XINFO's radix-tree-nodes).
  size_t node_count() const { return size_ + inner_count_; }

  void Clear() {
    Free(root_);
    root_ = 0;
    size_ = 0;
    inner_count_ = 0;
  }

  // Inserts key -> value. Returns false (and leaves the tree unchanged) if the key exists.
  bool Insert(const Key& key, V value);
  // Removes the key; returns its value, or nullopt if absent.
  std::optional<V> Erase(const Key& key);

  Entry* Find(const Key& key) const {
    Entry* e = LowerBound(key);
    return e != nullptr && e->key == key ? e : nullptr;
  }
  Entry* First() const { return root_ ? Min(root_) : nullptr; }
  Entry* Last() const { return root_ ? Max(root_) : nullptr; }
  Entry* LowerBound(const Key& key) const { return root_ ? SeekGe(root_, key) : nullptr; }
  Entry* Floor(const Key& key) const { return root_ ? SeekLe(root_, key) : nullptr; }
  Entry* UpperBound(const Key& key) const {
    Key k = key;
    return Increment(k) ? LowerBound(k) : nullptr;
  }
  Entry* Lower(const Key& key) const {
    Key k = key;
    return Decrement(k) ? Floor(k) : nullptr;
  }
  Entry* Next(const Entry* e) const { return UpperBound(e->key); }
  Entry* Prev(const Entry* e) const { return Lower(e->key); }

  template <typename F>
  void ForEach(F&& f) const {
    for (Entry* e = First(); e != nullptr; e = Next(e)) f(*e);
  }

 private:
  struct Inner;
  // A tagged pointer: low bit set = Entry (leaf), clear = Inner, 0 = empty.
  using Ptr = uintptr_t;
  struct Child {
    uint8_t byte;
    Ptr ptr;
  };
  struct Inner {
    uint8_t depth;            // the key byte this node branches on
    Key prefix;               // bytes [0, depth) are shared by every key below
    std::vector<Child> kids;  // sorted by byte, size >= 2
  };

  static bool IsLeaf(Ptr p) { return (p & 1) != 0; }
  static Entry* AsLeaf(Ptr p) { return reinterpret_cast<Entry*>(p & ~Ptr{1}); }
  static Inner* AsInner(Ptr p) { return reinterpret_cast<Inner*>(p); }
  static Ptr Tag(Entry* e) { return reinterpret_cast<Ptr>(e) | 1; }
  static Ptr Tag(Inner* n) { return reinterpret_cast<Ptr>(n); }

  static bool Increment(Key& k) {
    for (size_t i = kKeyLen; i-- > 0;) {
      if (++k[i] != 0) return true;
    }
    return false;
  }
  static bool Decrement(Key& k) {
    for (size_t i = kKeyLen; i-- > 0;) {
      if (k[i]-- != 0) return true;
    }
    return false;
  }
  // Compares key[0, n) with prefix[0, n).
  static int ComparePrefix(const Key& key, const Key& prefix, size_t n) {
    return n == 0 ? 0 : std::memcmp(key.data(), prefix.data(), n);
  }
  static size_t FirstDifference(const Key& a, const Key& b, size_t limit) {
    size_t i = 0;
    while (i < limit && a[i] == b[i]) ++i;
    return i;
  }

  static Entry* Min(Ptr p) {
    while (!IsLeaf(p)) p = AsInner(p)->kids.front().ptr;
    return AsLeaf(p);
  }
  static Entry* Max(Ptr p) {
    while (!IsLeaf(p)) p = AsInner(p)->kids.back().ptr;
    return AsLeaf(p);
  }

  // First entry >= key below p, or nullptr.
  static Entry* SeekGe(Ptr p, const Key& key) {
    if (IsLeaf(p)) return AsLeaf(p)->key >= key ? AsLeaf(p) : nullptr;
    const Inner* n = AsInner(p);
    int cmp = ComparePrefix(key, n->prefix, n->depth);
    if (cmp < 0) return Min(p);
    if (cmp > 0) return nullptr;
    uint8_t b = key[n->depth];
    auto it = std::lower_bound(n->kids.begin(), n->kids.end(), b,
                               [](const Child& c, uint8_t v) { return c.byte < v; });
    if (it != n->kids.end() && it->byte == b) {
      if (Entry* e = SeekGe(it->ptr, key)) return e;
      ++it;
    }
    return it == n->kids.end() ? nullptr : Min(it->ptr);
  }

  // Last entry <= key below p, or nullptr.
  static Entry* SeekLe(Ptr p, const Key& key) {
    if (IsLeaf(p)) return AsLeaf(p)->key <= key ? AsLeaf(p) : nullptr;
    const Inner* n = AsInner(p);
    int cmp = ComparePrefix(key, n->prefix, n->depth);
    if (cmp > 0) return Max(p);
    if (cmp < 0) return nullptr;
    uint8_t b = key[n->depth];
    auto it = std::upper_bound(n->kids.begin(), n->kids.end(), b,
                               [](uint8_t v, const Child& c) { return v < c.byte; });
    // `it` is the first child with byte > b; step back to the candidates <= b.
    if (it == n->kids.begin()) return nullptr;
    --it;
    if (it->byte == b) {
      if (Entry* e = SeekLe(it->ptr, key)) return e;
      if (it == n->kids.begin()) return nullptr;
      --it;
    }
    return Max(it->ptr);
  }

  static Ptr NewInner(const Key& key, size_t depth, Child a, Child b) {
    auto* n = new Inner{static_cast<uint8_t>(depth), key, {}};
    if (b.byte < a.byte) std::swap(a, b);
    n->kids = {a, b};
    return Tag(n);
  }

  static const Key& AnyKey(Ptr p) { return IsLeaf(p) ? AsLeaf(p)->key : AsInner(p)->prefix; }

  void Free(Ptr p) {
    if (p == 0) return;
    if (IsLeaf(p)) {
      delete AsLeaf(p);
      return;
    }
    for (const Child& c : AsInner(p)->kids) Free(c.ptr);
    delete AsInner(p);
  }

  Ptr root_ = 0;
  size_t size_ = 0;
  size_t inner_count_ = 0;
};

template <typename V>
bool RadixTree<V>::Insert(const Key& key, V value) {
  Ptr* slot = &root_;
  while (*slot != 0) {
    Ptr p = *slot;
    // How far does `key` agree with this subtree? A leaf agrees on all bytes up to its first
    // difference; an inner node must agree on its whole prefix for the key to go below it.
    size_t limit = IsLeaf(p) ? kKeyLen : AsInner(p)->depth;
    size_t d = FirstDifference(key, AnyKey(p), limit);
    if (IsLeaf(p) && d == kKeyLen) return false;  // already present
    if (d < limit) {
      // Split: a new inner node branching at d, above the current subtree.
      auto* leaf = new Entry{key, std::move(value)};
      *slot = NewInner(key, d, Child{AnyKey(p)[d], p}, Child{key[d], Tag(leaf)});
      ++inner_count_;
      ++size_;
      return true;
    }
    Inner* n = AsInner(p);
    uint8_t b = key[n->depth];
    auto it = std::lower_bound(n->kids.begin(), n->kids.end(), b,
                               [](const Child& c, uint8_t v) { return c.byte < v; });
    if (it == n->kids.end() || it->byte != b) {
      n->kids.insert(it, Child{b, Tag(new Entry{key, std::move(value)})});
      ++size_;
      return true;
    }
    slot = &it->ptr;
  }
  *slot = Tag(new Entry{key, std::move(value)});
  ++size_;
  return true;
}

template <typename V>
std::optional<V> RadixTree<V>::Erase(const Key& key) {
  Ptr* parent_slot = nullptr;  // the slot that points at `parent`
  Inner* parent = nullptr;
  size_t index = 0;  // which of parent's children `slot` is
  Ptr* slot = &root_;
  while (*slot != 0 && !IsLeaf(*slot)) {
    Inner* n = AsInner(*slot);
    if (ComparePrefix(key, n->prefix, n->depth) != 0) return std::nullopt;
    uint8_t b = key[n->depth];
    auto it = std::lower_bound(n->kids.begin(), n->kids.end(), b,
                               [](const Child& c, uint8_t v) { return c.byte < v; });
    if (it == n->kids.end() || it->byte != b) return std::nullopt;
    parent_slot = slot;
    parent = n;
    index = static_cast<size_t>(it - n->kids.begin());
    slot = &it->ptr;
  }
  if (*slot == 0 || AsLeaf(*slot)->key != key) return std::nullopt;
  Entry* leaf = AsLeaf(*slot);
  std::optional<V> out(std::move(leaf->value));
  delete leaf;
  --size_;
  if (parent == nullptr) {
    root_ = 0;
    return out;
  }
  parent->kids.erase(parent->kids.begin() + static_cast<std::ptrdiff_t>(index));
  if (parent->kids.size() == 1) {
    // Keep the invariant "inner nodes have two or more children": splice the survivor up.
    *parent_slot = parent->kids.front().ptr;
    delete parent;
    --inner_count_;
  }
  return out;
}

}  // namespace runnel::streams
