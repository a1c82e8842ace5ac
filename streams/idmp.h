// IdmpState: a stream's memory of idempotent producers (Redis 8.6 XADD IDMP / IDMPAUTO), so a
// producer that retries an XADD gets the original entry's ID back instead of a second entry.
//
//   producers_   pid -> Producer, sorted by pid so snapshots come out in a stable order
//   Producer     iid -> StreamId of the entry that iid added; the map's nodes are also
//                threaded, oldest first, on a singly linked list (head_ .. tail_) that gives
//                the insertion order. Nodes of an unordered_map never move on rehash, so the
//                links stay valid, an iid's bytes are stored once and the order costs one
//                pointer per iid (a deque would cost ~600 bytes per producer up front)
//   by_head_     one (head ms, producer) per producer: the ms part of the ID recorded for
//                its oldest iid. Expire and NextExpiryMs read only its front, so a cron tick
//                with nothing due costs O(1) and never walks every producer
//   added_, duplicates_   lifetime counters (iids-added, iids-duplicates); Clear keeps them
//
// Invariants (CheckInvariants verifies them; the model test runs it after every operation):
//   - no producer is empty: a producer that loses its last iid is removed;
//   - a producer's list, from head_ to tail_, visits each of its map's elements exactly once;
//   - by_head_ has exactly one entry per producer, keyed by the ms of its order's front;
//   - iids() is the sum of the producers' sizes.
//
// Eviction (maxsize) and expiry both take from the front of one producer's insertion order,
// never across producers. Expiry stops at the first unexpired iid even if later ones are
// older, as Redis does. Find does not check expiry: an iid counts until the cron drops it.
// Time comes in as a cutoff in ms; nothing here reads a clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "streams/stream_id.h"

namespace runnel::streams {

// The IDMPAUTO iid: a 16-byte hash of the field/value pairs that does not depend on the pairs'
// order but does on each field, each value and where a field ends. `fields_and_values` is
// field, value, field, value...; an odd trailing element counts as a field with empty value.
std::string IdmpAutoId(std::span<const std::string_view> fields_and_values);

// The counters are shown as signed integers (XINFO) and carried as such: they stop at the
// largest rather than wrap.
inline uint64_t SaturatingIncrement(uint64_t n) {
  return n >= static_cast<uint64_t>(INT64_MAX) ? n : n + 1;
}

class IdmpState {
 public:
  // Hashes of client-chosen iids are seeded so clients cannot aim collisions at one bucket.
  explicit IdmpState(uint64_t hash_seed = 0) : hash_seed_(hash_seed) {}
  IdmpState(const IdmpState&) = delete;
  IdmpState& operator=(const IdmpState&) = delete;
  IdmpState(IdmpState&&) = default;
  IdmpState& operator=(IdmpState&&) = default;

  // The ID recorded for (pid, iid), if any: a hit means the XADD is a duplicate.
  std::optional<StreamId> Find(std::string_view pid, std::string_view iid) const;
  // After appending entry `id` for a new (pid, iid): remember it, count it, then drop that
  // producer's oldest iids while it holds more than `maxsize`. Precondition: !Find(pid, iid).
  void Record(std::string_view pid, std::string_view iid, StreamId id, uint64_t maxsize);
  void CountDuplicate() { duplicates_ = SaturatingIncrement(duplicates_); }
  // Drops, per producer, the leading iids whose ID ms <= cutoff_ms; returns how many.
  size_t Expire(uint64_t cutoff_ms);
  // The smallest ms among the producers' oldest iids: nothing expires before this.
  std::optional<uint64_t> NextExpiryMs() const;
  // Forgets every producer; the lifetime counters stay.
  void Clear();

  size_t producers() const { return producers_.size(); }
  size_t iids() const { return iids_; }
  uint64_t added() const { return added_; }
  uint64_t duplicates() const { return duplicates_; }
  bool empty() const { return producers_.empty(); }

  // Snapshot support. ForEachProducer calls fn(std::string_view pid, const Producer&) in pid
  // order; Producer::ForEachIid then gives (iid, id) oldest first. Restore appends as recorded
  // (no counters, no eviction); restoring a present (pid, iid) is ignored.
  template <typename Fn>
  void ForEachProducer(Fn&& fn) const {
    for (const auto& [pid, producer] : producers_) fn(std::string_view(pid), producer);
  }
  void RestoreCounters(uint64_t added, uint64_t duplicates);
  void Restore(std::string_view pid, std::string_view iid, StreamId id);

  size_t MemoryUsage() const;
  bool CheckInvariants(std::string* why) const;

  class Producer {
    struct Slot;
    struct Hash {
      using is_transparent = void;
      uint64_t seed;
      size_t operator()(std::string_view s) const;
    };
    using Map = std::unordered_map<std::string, Slot, Hash, std::equal_to<>>;
    using Entry = Map::value_type;
    struct Slot {
      StreamId id;
      Entry* next = nullptr;  // the next-younger iid of this producer
    };

   public:
    explicit Producer(uint64_t seed) : map_(0, Hash{seed}) {}
    Producer(const Producer&) = delete;
    Producer& operator=(const Producer&) = delete;

    size_t size() const { return map_.size(); }
    template <typename Fn>
    void ForEachIid(Fn&& fn) const {
      for (const Entry* e = head_; e != nullptr; e = e->second.next) {
        fn(std::string_view(e->first), e->second.id);
      }
    }

   private:
    friend class IdmpState;
    // Appends (iid, id) at the young end; false if iid is already present.
    bool PushBack(std::string_view iid, StreamId id);
    void PopFront();
    uint64_t head_ms() const { return head_->second.id.ms; }

    Map map_;
    Entry* head_ = nullptr;  // oldest
    Entry* tail_ = nullptr;  // youngest
  };

 private:
  using ProducerMap = std::map<std::string, Producer, std::less<>>;
  // (head ms, producer node); the node pointer also names the pid for erasing from the map.
  using HeadKey = std::pair<uint64_t, const ProducerMap::value_type*>;

  ProducerMap::iterator FindOrAddProducer(std::string_view pid);
  // Take `it` out of by_head_ before changing its head, and put it back (or remove the
  // producer, if it is now empty) after.
  void Unindex(ProducerMap::iterator it);
  void Reindex(ProducerMap::iterator it);
  bool CheckProducer(const Producer& p, std::string* why) const;

  uint64_t hash_seed_ = 0;
  ProducerMap producers_;
  std::set<HeadKey> by_head_;
  size_t iids_ = 0;
  uint64_t added_ = 0;
  uint64_t duplicates_ = 0;
};

}  // namespace runnel::streams
