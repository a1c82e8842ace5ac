#include "streams/idmp.h"

// The streaming state on the stack, not malloc'd per pair; the header matches the library.
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <bit>
#include <cstring>
#include <unordered_set>

namespace runnel::streams {

namespace {

// One pair's hash: field bytes, the field's length (so "ab"+"c" differs from "a"+"bc"), then
// value bytes. The value needs no length: it ends where the pair's input ends.
XXH128_hash_t HashPair(std::string_view field, std::string_view value) {
  XXH3_state_t state;
  XXH3_128bits_reset(&state);
  XXH3_128bits_update(&state, field.data(), field.size());
  uint8_t len[8];
  uint64_t n = field.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(n >> (8 * i));
  XXH3_128bits_update(&state, len, sizeof(len));
  XXH3_128bits_update(&state, value.data(), value.size());
  return XXH3_128bits_digest(&state);
}

void PutLittleEndian(uint64_t v, char* out) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (8 * i));
}

}  // namespace

// Sums and xors are both order-independent; mixing the two keeps a repeated pair (which
// cancels out of the xor) from vanishing, and a pair set from colliding with its sum alone.
std::string IdmpAutoId(std::span<const std::string_view> fields_and_values) {
  uint64_t sum_lo = 0, sum_hi = 0, xor_lo = 0, xor_hi = 0;
  for (size_t i = 0; i < fields_and_values.size(); i += 2) {
    std::string_view value = i + 1 < fields_and_values.size() ? fields_and_values[i + 1] : "";
    XXH128_hash_t h = HashPair(fields_and_values[i], value);
    sum_lo += h.low64;
    sum_hi += h.high64;
    xor_lo ^= h.low64;
    xor_hi ^= h.high64;
  }
  std::string out(16, '\0');
  PutLittleEndian(sum_lo ^ std::rotl(xor_hi, 1), out.data());
  PutLittleEndian(sum_hi ^ std::rotl(xor_lo, 1), out.data() + 8);
  return out;
}

size_t IdmpState::Producer::Hash::operator()(std::string_view s) const {
  return static_cast<size_t>(XXH3_64bits_withSeed(s.data(), s.size(), seed));
}

bool IdmpState::Producer::PushBack(std::string_view iid, StreamId id) {
  auto [it, inserted] = map_.try_emplace(std::string(iid), Slot{id, nullptr});
  if (!inserted) return false;
  Entry* e = &*it;
  if (tail_ != nullptr) {
    tail_->second.next = e;
  } else {
    head_ = e;
  }
  tail_ = e;
  return true;
}

void IdmpState::Producer::PopFront() {
  Entry* e = head_;
  head_ = e->second.next;
  if (head_ == nullptr) tail_ = nullptr;
  // Erase by iterator: erase(key) with a key that lives in the erased node is unsafe.
  map_.erase(map_.find(std::string_view(e->first)));
}

std::optional<StreamId> IdmpState::Find(std::string_view pid, std::string_view iid) const {
  auto p = producers_.find(pid);
  if (p == producers_.end()) return std::nullopt;
  auto e = p->second.map_.find(iid);
  if (e == p->second.map_.end()) return std::nullopt;
  return e->second.id;
}

IdmpState::ProducerMap::iterator IdmpState::FindOrAddProducer(std::string_view pid) {
  auto it = producers_.lower_bound(pid);
  if (it != producers_.end() && it->first == pid) return it;
  return producers_.try_emplace(it, std::string(pid), hash_seed_);
}

void IdmpState::Unindex(ProducerMap::iterator it) {
  if (it->second.size() > 0) by_head_.erase(HeadKey{it->second.head_ms(), &*it});
}

void IdmpState::Reindex(ProducerMap::iterator it) {
  if (it->second.size() == 0) {
    producers_.erase(it);
  } else {
    by_head_.insert(HeadKey{it->second.head_ms(), &*it});
  }
}

void IdmpState::Record(std::string_view pid, std::string_view iid, StreamId id, uint64_t maxsize) {
  auto it = FindOrAddProducer(pid);
  Producer& p = it->second;
  Unindex(it);
  if (p.PushBack(iid, id)) {
    ++iids_;
    added_ = SaturatingIncrement(added_);
  }
  while (p.size() > maxsize) {
    p.PopFront();
    --iids_;
  }
  Reindex(it);
}

size_t IdmpState::Expire(uint64_t cutoff_ms) {
  size_t removed = 0;
  while (!by_head_.empty() && by_head_.begin()->first <= cutoff_ms) {
    auto it = producers_.find(std::string_view(by_head_.begin()->second->first));
    by_head_.erase(by_head_.begin());
    Producer& p = it->second;
    while (p.size() > 0 && p.head_ms() <= cutoff_ms) {
      p.PopFront();
      ++removed;
    }
    Reindex(it);
  }
  iids_ -= removed;
  return removed;
}

std::optional<uint64_t> IdmpState::NextExpiryMs() const {
  if (by_head_.empty()) return std::nullopt;
  return by_head_.begin()->first;
}

void IdmpState::Clear() {
  by_head_.clear();
  producers_.clear();
  iids_ = 0;
}

void IdmpState::RestoreCounters(uint64_t added, uint64_t duplicates) {
  added_ = added;
  duplicates_ = duplicates;
}

void IdmpState::Restore(std::string_view pid, std::string_view iid, StreamId id) {
  auto it = FindOrAddProducer(pid);
  Unindex(it);
  if (it->second.PushBack(iid, id)) ++iids_;
  Reindex(it);
}

namespace {

bool Fail(std::string* why, std::string message) {
  *why = std::move(message);
  return false;
}

// Heap bytes of a string beyond its inline (SSO) buffer.
size_t StringHeap(const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; }

}  // namespace

// An estimate, as Redis's MEMORY USAGE is: node overheads are libstdc++'s on 64-bit.
size_t IdmpState::MemoryUsage() const {
  constexpr size_t kTreeNode = 32;  // colour + three links
  constexpr size_t kHashNode = 16;  // next link + cached hash
  size_t bytes = sizeof(*this);
  for (const auto& [pid, p] : producers_) {
    bytes += kTreeNode + sizeof(ProducerMap::value_type) + StringHeap(pid);
    bytes += kTreeNode + sizeof(HeadKey);
    bytes += p.map_.bucket_count() * sizeof(void*);
    for (const auto& [iid, slot] : p.map_) {
      bytes += kHashNode + sizeof(Producer::Entry) + StringHeap(iid);
    }
  }
  return bytes;
}

bool IdmpState::CheckProducer(const Producer& p, std::string* why) const {
  if (p.size() == 0) return Fail(why, "empty producer");
  std::unordered_set<const Producer::Entry*> seen;
  const Producer::Entry* last = nullptr;
  for (const Producer::Entry* e = p.head_; e != nullptr; e = e->second.next) {
    auto found = p.map_.find(std::string_view(e->first));
    if (found == p.map_.end() || &*found != e) return Fail(why, "list node not in map");
    if (!seen.insert(e).second) return Fail(why, "list cycle");
    last = e;
  }
  if (seen.size() != p.size()) return Fail(why, "list misses map elements");
  if (last != p.tail_) return Fail(why, "tail is not the last node");
  return true;
}

bool IdmpState::CheckInvariants(std::string* why) const {
  size_t total = 0;
  for (const auto& node : producers_) {
    if (!CheckProducer(node.second, why)) return Fail(why, node.first + ": " + *why);
    if (!by_head_.count(HeadKey{node.second.head_ms(), &node})) {
      return Fail(why, node.first + ": not in by_head_ under its head ms");
    }
    total += node.second.size();
  }
  if (by_head_.size() != producers_.size()) return Fail(why, "by_head_ size");
  if (total != iids_) return Fail(why, "iids_ is not the sum of producer sizes");
  return true;
}

}  // namespace runnel::streams
