#include "streams/consumer_group.h"

#include <algorithm>

namespace runnel::streams {

Consumer* ConsumerGroup::FindConsumer(std::string_view name) const {
  auto it = consumers_.find(name);
  return it == consumers_.end() ? nullptr : it->second.get();
}

std::pair<Consumer*, bool> ConsumerGroup::GetOrCreateConsumer(std::string_view name,
                                                              int64_t now_ms) {
  if (Consumer* c = FindConsumer(name)) return {c, false};
  uint32_t index;
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    index = static_cast<uint32_t>(slots_.size());
    slots_.push_back(nullptr);
  }
  auto consumer = std::make_unique<Consumer>(std::string(name), index, now_ms);
  Consumer* raw = consumer.get();
  slots_[index] = raw;
  consumers_.emplace(std::string(name), std::move(consumer));
  return {raw, true};
}

std::optional<uint64_t> ConsumerGroup::DeleteConsumer(std::string_view name) {
  auto it = consumers_.find(name);
  if (it == consumers_.end()) return std::nullopt;
  Consumer& c = *it->second;
  uint64_t dropped = c.pel_.size();
  c.pel_.ForEach([&](const StreamId& id) {
    if (auto rec = pel_.Erase(id)) by_time_.Erase({rec->delivery_ms, id});
  });
  slots_[c.index_] = nullptr;
  free_slots_.push_back(c.index_);
  consumers_.erase(it);
  return dropped;
}

std::string_view ConsumerGroup::OwnerName(const PendingRecord& r) const {
  return IsUnowned(r) ? std::string_view() : std::string_view(slots_[r.consumer]->name_);
}

void ConsumerGroup::SetPending(StreamId id, Consumer& owner, int64_t delivery_ms, uint64_t count) {
  delivery_ms = std::max<int64_t>(delivery_ms, 0);
  PendingRecord next{id, delivery_ms, count, owner.index_};
  // A first delivery, the common case, is an append: try it before looking anything up. Then
  // Find, not Insert: a claim finds the record present, and a failed Insert would unpack its
  // whole leaf to learn that.
  if (!pel_.TryAppend(next)) {
    if (std::optional<PendingRecord> current = pel_.Find(id)) {
      Move(*current, next, owner);
      return;
    }
    pel_.Insert(next);
  }
  owner.pel_.Insert(id);
  by_time_.Insert(TimedId{delivery_ms, id});
}

void ConsumerGroup::Move(const PendingRecord& current, const PendingRecord& next, Consumer& owner) {
  if (current.consumer != owner.index_) {
    Disown(current);
    owner.pel_.Insert(next.id);
  }
  if (current.delivery_ms != next.delivery_ms) {
    by_time_.Erase({current.delivery_ms, next.id});
    by_time_.Insert(TimedId{next.delivery_ms, next.id});
  }
  pel_.Replace(next);
}

void ConsumerGroup::Disown(const PendingRecord& r) {
  if (IsUnowned(r)) {
    --nacked_;
  } else {
    slots_[r.consumer]->pel_.Erase(r.id);
  }
}

bool ConsumerGroup::Ack(StreamId id) {
  auto rec = pel_.Erase(id);
  if (!rec) return false;
  Disown(*rec);
  by_time_.Erase({rec->delivery_ms, id});
  return true;
}

void ConsumerGroup::Release(StreamId id, uint64_t count, int64_t release_ms, bool backs_off) {
  // Slots count from kNackZoneBase in steps of two (the low bit is the backoff flag). The release
  // time is clamped to [0, 2^50] ms (35,000 years), so the ticket stays below 0.
  std::optional<TimedId> last = by_time_.Before({0, StreamId::Min()});  // the zone's last ticket
  int64_t next_slot = last ? (last->delivery_ms - kNackZoneBase) / 2 + 1 : 0;
  int64_t ms = std::clamp<int64_t>(release_ms, 0, int64_t{1} << 50);
  int64_t slot = std::max(next_slot, ms * kTicketsPerMs);
  RestoreUnowned(id, kNackZoneBase + 2 * slot + (backs_off ? 1 : 0), count);
}

void ConsumerGroup::RestoreUnowned(StreamId id, int64_t ticket, uint64_t count) {
  if (auto current = pel_.Find(id)) {
    Disown(*current);
    by_time_.Erase({current->delivery_ms, id});
    pel_.Replace(PendingRecord{id, ticket, count, kNoOwner});
  } else {
    pel_.Insert(PendingRecord{id, ticket, count, kNoOwner});
  }
  by_time_.Insert(TimedId{ticket, id});
  ++nacked_;
}

bool ConsumerGroup::CheckInvariants(std::string* why) const {
  std::string inner;
  if (!pel_.CheckInvariants(&inner) || !by_time_.CheckInvariants(&inner)) {
    *why = "a group index is malformed: " + inner;
    return false;
  }
  size_t owned = 0;
  for (const auto& [name, c] : consumers_) {
    if (c->index_ >= slots_.size() || slots_[c->index_] != c.get()) {
      *why = "consumer " + name + " is not in its slot";
      return false;
    }
    if (!c->pel_.CheckInvariants(&inner)) {
      *why = "consumer " + name + "'s PEL is malformed: " + inner;
      return false;
    }
    owned += c->pel_.size();
    bool ok = true;
    // A copy for the lambda: clang before 16 cannot capture a structured binding.
    const auto index = c->index_;
    c->pel_.ForEach([&](const StreamId& id) {
      auto rec = pel_.Find(id);
      if (!rec || rec->consumer != index) ok = false;
    });
    if (!ok) {
      *why = "consumer " + name + " owns an ID the group PEL gives to another (or lacks)";
      return false;
    }
  }
  if (by_time_.size() != pel_.size()) {
    *why = "time index has " + std::to_string(by_time_.size()) + " entries, PEL " +
           std::to_string(pel_.size());
    return false;
  }
  if (owned + nacked_ != pel_.size()) {
    *why = "consumers own " + std::to_string(owned) + " IDs and " + std::to_string(nacked_) +
           " are unowned, the group PEL has " + std::to_string(pel_.size());
    return false;
  }
  bool ok = true;
  size_t unowned = 0;
  pel_.ForEach([&](const PendingRecord& r) {
    if (IsUnowned(r)) {
      ++unowned;
      if (r.delivery_ms >= 0 || r.delivery_ms < kNackZoneBase) ok = false;
    } else if (r.consumer >= slots_.size() || slots_[r.consumer] == nullptr || r.delivery_ms < 0) {
      ok = false;
    }
    if (!by_time_.Find({r.delivery_ms, r.id})) ok = false;
  });
  if (unowned != nacked_) ok = false;
  if (!ok) *why = "a pending entry has no owner, a bad time, or no time-index entry";
  return ok;
}

size_t ConsumerGroup::MemoryUsage() const {
  size_t bytes = sizeof(*this) + pel_.MemoryUsage() + by_time_.MemoryUsage();
  for (const auto& [name, c] : consumers_) {
    bytes += sizeof(Consumer) + 64 + name.capacity() + c->pel_.MemoryUsage();
  }
  return bytes + slots_.capacity() * sizeof(Consumer*);
}

}  // namespace runnel::streams
