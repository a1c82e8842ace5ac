// Dict: a chained hash table from string keys to values, with Redis's SCAN cursor.
//
// Why not std::unordered_map: SCAN needs a cursor that survives the table growing or
// shrinking between calls and still returns every key that was present throughout. Redis gets
// that by walking buckets in reverse-binary order over a power-of-two table; that needs control
// of the bucket layout, so the table is our own.
//
// Invariants: buckets_.size() is 0 or a power of two; every node sits in bucket
// (hash & mask); a node's address never changes while it is in the table (rehashing relinks
// nodes, it does not move them), so other structures may point at nodes.
// Keys are hashed with a per-table seed so clients cannot aim collisions at one bucket.
// Rehashing is done all at once when the load passes 1 (or drops under 1/8).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace runnel::streams {

uint64_t HashKey(std::string_view key, uint64_t seed);

template <typename V>
class Dict {
 public:
  struct Node {
    Node* next = nullptr;
    uint64_t hash = 0;
    std::string key;
    V value{};
  };

  explicit Dict(uint64_t seed = 0) : seed_(seed) {}
  Dict(const Dict&) = delete;
  Dict& operator=(const Dict&) = delete;
  Dict(Dict&& o) noexcept
      : buckets_(std::move(o.buckets_)), size_(std::exchange(o.size_, 0)), seed_(o.seed_) {}
  ~Dict() { Clear(); }
  void Swap(Dict& o) noexcept {
    std::swap(buckets_, o.buckets_);
    std::swap(size_, o.size_);
    std::swap(seed_, o.seed_);
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t bucket_count() const { return buckets_.size(); }

  Node* Find(std::string_view key) const {
    if (size_ == 0) return nullptr;
    uint64_t h = HashKey(key, seed_);
    for (Node* n = buckets_[h & Mask()]; n != nullptr; n = n->next) {
      if (n->hash == h && n->key == key) return n;
    }
    return nullptr;
  }

  // The node for `key`, inserted with a value-initialised V if absent.
  Node* FindOrInsert(std::string_view key, bool* created) {
    if (Node* n = Find(key)) {
      *created = false;
      return n;
    }
    if (size_ + 1 > buckets_.size()) Resize(buckets_.empty() ? 4 : buckets_.size() * 2);
    auto* n = new Node;
    n->hash = HashKey(key, seed_);
    n->key = std::string(key);
    Link(n);
    ++size_;
    *created = true;
    return n;
  }

  bool Erase(std::string_view key) {
    if (size_ == 0) return false;
    uint64_t h = HashKey(key, seed_);
    for (Node* n = buckets_[h & Mask()]; n != nullptr; n = n->next) {
      if (n->hash == h && n->key == key) {
        EraseNode(n);
        return true;
      }
    }
    return false;
  }

  // Erases a node known to be in the table.
  void EraseNode(Node* node) {
    for (Node** p = &buckets_[node->hash & Mask()]; *p != nullptr; p = &(*p)->next) {
      if (*p == node) {
        *p = node->next;
        delete node;
        --size_;
        if (buckets_.size() > 4 && size_ < buckets_.size() / 8) Resize(buckets_.size() / 2);
        return;
      }
    }
  }

  void Clear() {
    for (Node* head : buckets_) {
      while (head != nullptr) {
        Node* next = head->next;
        delete head;
        head = next;
      }
    }
    buckets_.clear();
    buckets_.shrink_to_fit();
    size_ = 0;
  }

  template <typename F>
  void ForEach(F&& f) const {
    for (Node* head : buckets_) {
      for (Node* n = head; n != nullptr;) {
        Node* next = n->next;  // f may not erase, but reading next first is harmless
        f(*n);
        n = next;
      }
    }
  }

  // Visits the nodes of the bucket at `cursor` and returns the next cursor (0 = done).
  // Reverse-binary order: growing or shrinking the table between calls never skips a bucket
  // already due, so a key present for the whole scan is returned at least once.
  template <typename F>
  uint64_t ScanStep(uint64_t cursor, F&& f) const {
    if (buckets_.empty()) return 0;
    uint64_t mask = Mask();
    for (Node* n = buckets_[cursor & mask]; n != nullptr; n = n->next) f(*n);
    cursor |= ~mask;
    cursor = Reverse(cursor);
    ++cursor;
    return Reverse(cursor);
  }

 private:
  uint64_t Mask() const { return buckets_.size() - 1; }
  static uint64_t Reverse(uint64_t v) {
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
    return __builtin_bswap64(v);
  }
  void Link(Node* n) {
    Node*& head = buckets_[n->hash & Mask()];
    n->next = head;
    head = n;
  }
  void Resize(size_t count) {
    std::vector<Node*> old = std::move(buckets_);
    buckets_.assign(count, nullptr);
    for (Node* head : old) {
      while (head != nullptr) {
        Node* next = head->next;
        Link(head);
        head = next;
      }
    }
  }

  std::vector<Node*> buckets_;
  size_t size_ = 0;
  uint64_t seed_;
};

}  // namespace runnel::streams
