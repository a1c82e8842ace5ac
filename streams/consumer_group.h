// ConsumerGroup: a named reader of a stream that hands each entry to one of its consumers and
// remembers what was delivered and not yet acknowledged.
//
//   name             the group's name (the key it has in its stream's group map)
//   last_delivered   the highest ID the group has handed out (its read position)
//   entries_read     how many entries precede and include last_delivered in the stream's
//                    history, or kUnknownEntriesRead; with the stream's counters it gives lag
//   pel              the group's pending-entry list, by ID: last delivery time, delivery
//                    count and owning consumer of every delivered-but-unacknowledged entry
//   by_time          the same entries ordered by (last delivery time, ID), so the longest idle
//                    ones are found without scanning the PEL
//   consumers        by name; each keeps its own PEL (the IDs it owns), its seen and active
//                    times
//
// Unowned entries (Redis 8.8's XNACK): a pending entry released by XNACK has no consumer
// (kNoOwner) and waits in the "NACK zone", the head of by_time, to be offered first to
// XREADGROUP CLAIM. The zone is FIFO in release order, so its entries are keyed in by_time
// (and their PEL record's delivery_ms) by a release ticket below every real time:
// kNackZoneBase + n, n counting releases. Real delivery times are >= 0, so nothing delivered
// ever sorts into the zone. Clients see an unowned entry's delivery time as 0.
//
// A ticket also says when the entry was released and whether a group BACKOFF applies to it
// (group_policy.h): ticket = kNackZoneBase + 2 * slot + backoff, slot = max(slot of the last
// ticket still in the zone + 1, release_ms * kTicketsPerMs). So tickets rise in release order,
// and the release time read back (TicketReleaseMs) is the true one unless more than
// kTicketsPerMs entries were released in one ms, when it runs late by a ms per kTicketsPerMs
// releases. The next slot follows from the zone alone, no counter beside it: a group loaded
// from a snapshot (or copied) continues exactly as the one that was saved, which log replay
// needs.
//
// Invariants (CheckInvariants verifies them, and the PackedSets' own; the model test runs it
// after every operation):
//   - the group PEL is the disjoint union of the consumers' PELs: an ID is pending in the
//     group with owner c exactly when it is in c's PEL, and in no other consumer's;
//   - by_time holds exactly one (delivery time, ID) for every pending ID, with the time the
//     PEL records for it;
//   - every consumer index in the PEL names a live consumer or is kNoOwner;
//   - an entry is unowned exactly when its delivery_ms is a NACK-zone ticket (< 0), and
//     nacked() counts them.
//
// Records are stored packed (see packed_set.h and pel_codecs.h): a pending entry costs a few
// bytes in each of the three indexes instead of a heap node in each. Times are unix ms and
// come in from the caller; nothing here reads a clock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "streams/group_policy.h"
#include "streams/packed_set.h"
#include "streams/pel_codecs.h"
#include "streams/stream_id.h"

namespace runnel::streams {

inline constexpr int64_t kUnknownEntriesRead = -1;
// The owner of a pending entry nobody owns (released by XNACK).
inline constexpr uint32_t kNoOwner = UINT32_MAX;
// NACK-zone tickets are kNackZoneBase + n: negative, so below every real delivery time.
inline constexpr int64_t kNackZoneBase = INT64_MIN / 2;

inline constexpr int64_t kTicketsPerMs = 1024;

inline bool IsUnowned(const PendingRecord& r) { return r.consumer == kNoOwner; }
// What a NACK-zone ticket says: when its entry was released, and whether BACKOFF applies.
inline int64_t TicketReleaseMs(int64_t ticket) {
  return ((ticket - kNackZoneBase) >> 1) / kTicketsPerMs;
}
inline bool TicketBacksOff(int64_t ticket) { return ((ticket - kNackZoneBase) & 1) != 0; }
// The count after one more delivery. It stops at INT64_MAX (what XNACK FATAL sets): replies
// and the log carry it as a signed integer, so it must never wrap.
inline uint64_t NextDeliveryCount(uint64_t count) {
  return count >= static_cast<uint64_t>(INT64_MAX) ? static_cast<uint64_t>(INT64_MAX) : count + 1;
}
// The delivery time clients see: an unowned entry's is 0.
inline int64_t ShownDeliveryMs(const PendingRecord& r) { return IsUnowned(r) ? 0 : r.delivery_ms; }

class Consumer {
 public:
  Consumer(std::string name, uint32_t index, int64_t now_ms)
      : name_(std::move(name)), index_(index), seen_ms_(now_ms) {}

  const std::string& name() const { return name_; }
  uint32_t index() const { return index_; }
  // Last time the consumer tried to read or claim (XINFO CONSUMERS' idle).
  int64_t seen_ms() const { return seen_ms_; }
  // Last time it was handed entries (its inactive), or -1 if never.
  int64_t active_ms() const { return active_ms_; }
  void set_seen_ms(int64_t ms) { seen_ms_ = ms; }
  void set_active_ms(int64_t ms) { active_ms_ = ms; }
  size_t pending() const { return pel_.size(); }
  const PackedSet<IdCodec>& pel() const { return pel_; }

 private:
  friend class ConsumerGroup;
  std::string name_;
  uint32_t index_;
  int64_t seen_ms_;
  int64_t active_ms_ = -1;
  PackedSet<IdCodec> pel_;
};

class ConsumerGroup {
 public:
  using Pel = PackedSet<PendingCodec>;
  using TimeIndex = PackedSet<TimeCodec>;
  using ConsumerMap = std::map<std::string, std::unique_ptr<Consumer>, std::less<>>;

  ConsumerGroup(std::string name, StreamId last_delivered, int64_t entries_read)
      : name_(std::move(name)), last_delivered_(last_delivered), entries_read_(entries_read) {}
  ConsumerGroup(const ConsumerGroup&) = delete;
  ConsumerGroup& operator=(const ConsumerGroup&) = delete;

  const std::string& name() const { return name_; }
  StreamId last_delivered() const { return last_delivered_; }
  int64_t entries_read() const { return entries_read_; }
  void set_last_delivered(StreamId id) { last_delivered_ = id; }
  void set_entries_read(int64_t n) { entries_read_ = n; }

  // ---- consumers ----
  Consumer* FindConsumer(std::string_view name) const;
  // The named consumer, created (seen now, never active) if missing; .second tells which.
  std::pair<Consumer*, bool> GetOrCreateConsumer(std::string_view name, int64_t now_ms);
  // Removes a consumer and drops its pending entries; returns how many it had, or nullopt
  // if there was no such consumer.
  std::optional<uint64_t> DeleteConsumer(std::string_view name);
  const ConsumerMap& consumers() const { return consumers_; }
  Consumer* ConsumerAt(uint32_t index) const { return slots_[index]; }
  // The owner's name, or "" for an unowned entry (as XPENDING and XINFO show it).
  std::string_view OwnerName(const PendingRecord& r) const;

  // ---- pending entries ----
  size_t pending() const { return pel_.size(); }
  const Pel& pel() const { return pel_; }
  const TimeIndex& by_time() const { return by_time_; }
  std::optional<PendingRecord> FindPending(StreamId id) const { return pel_.Find(id); }
  // Makes `id` pending for `owner` with the given delivery time and count, adding it or moving
  // it from its current owner. Times below 0 are stored as 0.
  void SetPending(StreamId id, Consumer& owner, int64_t delivery_ms, uint64_t count);
  // Acknowledges `id`; false if it was not pending.
  bool Ack(StreamId id);
  // XNACK: makes `id` pending with no owner and `count` deliveries, at the back of the NACK
  // zone, released at `release_ms` and subject to BACKOFF if `backs_off`; it is added if it was
  // not pending (XNACK FORCE).
  void Release(StreamId id, uint64_t count, int64_t release_ms, bool backs_off);
  // Snapshot loading and Release: an unowned entry with its NACK-zone ticket (a delivery_ms
  // below 0), so the zone keeps its order.
  void RestoreUnowned(StreamId id, int64_t ticket, uint64_t count);
  // Pending entries with no owner (XINFO's nacked-count).
  size_t nacked() const { return nacked_; }

  // ---- policy (group_policy.h) ----
  const GroupPolicy& policy() const { return policy_; }
  void set_policy(GroupPolicy p) { policy_ = std::move(p); }
  const GroupCounters& counters() const { return counters_; }
  GroupCounters& counters() { return counters_; }
  // Commands count what they did here even through a const group: it changes no state.
  GroupActivity& activity() const { return activity_; }
  // Whether the last attempt to dead-letter was refused, so that only the first refusal of a run
  // is reported to the operator. Not saved: after a restart the next refusal is reported again.
  bool dead_letter_refusing() const { return dead_letter_refusing_; }
  void set_dead_letter_refusing(bool refusing) { dead_letter_refusing_ = refusing; }

  // Checks the invariants in the header; on failure says which in *why.
  bool CheckInvariants(std::string* why) const;
  // Bytes held by the PEL indexes and consumers (an estimate of heap use).
  size_t MemoryUsage() const;

 private:
  // Takes `r` out of its owner's PEL, or out of the unowned count.
  void Disown(const PendingRecord& r);
  // Makes the pending record `current` into `next` (same ID): a new owner, time or count.
  void Move(const PendingRecord& current, const PendingRecord& next, Consumer& owner);

  std::string name_;
  StreamId last_delivered_;
  int64_t entries_read_;
  Pel pel_;
  TimeIndex by_time_;
  ConsumerMap consumers_;
  std::vector<Consumer*> slots_;  // by consumer index; nullptr = free
  std::vector<uint32_t> free_slots_;
  size_t nacked_ = 0;
  GroupPolicy policy_;
  GroupCounters counters_;
  mutable GroupActivity activity_;
  bool dead_letter_refusing_ = false;
};

}  // namespace runnel::streams
