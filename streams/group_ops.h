// Consumer-group operations: the rules by which a group hands out, re-delivers, claims, releases
// and acknowledges entries, in one place. Command handlers parse, call one of these, and turn
// what it reports (GroupChanges) into their reply and log effects; a policy such as "stop
// re-delivering after N deliveries" is one check here, not one per command.
//
// The rules:
//   consumer      the consumer a read or claim names is created if missing, and its seen time
//                 becomes now (TouchConsumer). It becomes active (active time = now) when it is
//                 handed entries — new ones or claimed ones, not its own re-read by a history
//                 read.
//   idle          a pending entry may be claimed under a min-idle-time of 0, or once
//                 now - its delivery time >= min-idle-time; an unowned one (XNACK) at any time.
//   counting      each hand-out is one more delivery (NextDeliveryCount: it saturates), except a
//                 JUSTID claim, which keeps the count; RETRYCOUNT sets it.
//   one door      every delivery and claim — XREADGROUP, XCLAIM, XAUTOCLAIM, XREADGROUP CLAIM —
//                 makes an entry pending through group_detail::HandOut, and every release goes
//                 through Release: a rule such as "no more deliveries after N" is one check in
//                 each. (A history read re-delivers to the entry's own consumer, in place.)
//   gone entries  a pending entry whose stream entry was deleted is dropped from the PEL by
//                 XCLAIM and XAUTOCLAIM (purged), passed over (kept) by XREADGROUP CLAIM, and
//                 shown as [id, nil] by a history read.
//
// Time comes in as now_ms. Operations that hand out entries call back with each one
// (positioned on the entry, so the caller writes its reply as it goes) and ask before each one
// whether another may go (COUNT and the reply caps of XREAD's MAXCOUNT / MAXSIZE).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "streams/consumer_group.h"
#include "streams/stream.h"

namespace runnel::streams {

// What one operation changed in a group. Effects for the log are written from it: a delivery
// record per delivered ID, a purge per purged ID, and so on.
struct GroupChanges {
  Consumer* consumer = nullptr;  // the consumer that read or claimed (TouchConsumer)
  bool consumer_created = false;
  bool consumer_active = false;     // it was handed entries: its active time is now
  std::vector<StreamId> delivered;  // now pending for `consumer`, with a new time and count
  std::vector<StreamId> purged;     // dropped from the PEL: the stream no longer holds them
  std::vector<StreamId> acked;      // acknowledged
  std::vector<StreamId> released;   // XNACK: unowned now, at the back of the NACK zone
  bool position_moved = false;      // last_delivered / entries_read changed
  uint64_t read_new = 0;            // entries read for the first time (delivered or NOACK)
};

// Whether a pending entry delivered at `delivery_ms` (or unowned) may be claimed now.
inline bool Claimable(int64_t delivery_ms, bool unowned, int64_t now_ms, int64_t min_idle) {
  return unowned || min_idle <= 0 || now_ms - delivery_ms >= min_idle;
}
inline bool Claimable(const PendingRecord& r, int64_t now_ms, int64_t min_idle) {
  return Claimable(r.delivery_ms, IsUnowned(r), now_ms, min_idle);
}

// Whether the group has entries it has not handed out yet.
bool HasUndelivered(const Stream& s, const ConsumerGroup& g);

// The consumer that reads or claims: created if missing, seen now.
Consumer& TouchConsumer(ConsumerGroup& g, std::string_view name, int64_t now_ms, GroupChanges* out);

// ---- reads ----

// XREADGROUP ">": hands `c` the entries after the group's position, in order, while
// may_take() allows; each becomes pending for `c` with one delivery, unless `noack`.
// on_entry(it) sees each one, the iterator positioned on it.
template <typename MayTake, typename OnEntry>
void DeliverNew(Stream& s, ConsumerGroup& g, Consumer& c, int64_t now_ms, bool noack,
                MayTake&& may_take, OnEntry&& on_entry, GroupChanges* out);

// XREADGROUP <id>: `c`'s own pending entries after `after`, at most `count` (0: all), while
// may_take() allows. Each the stream still holds is delivered again (time now, one more
// delivery) and passed to on_entry(id, &it); one deleted since stays pending, unchanged, and is
// passed as on_entry(id, nullptr).
template <typename MayTake, typename OnEntry>
void RedeliverOwn(Stream& s, ConsumerGroup& g, Consumer& c, StreamId after, uint64_t count,
                  int64_t now_ms, MayTake&& may_take, OnEntry&& on_entry, GroupChanges* out);

// ---- claims ----

struct ClaimRule {
  int64_t min_idle = 0;      // see Claimable
  int64_t delivery_ms = -1;  // the claimed entries' delivery time; -1: now
  int64_t retry_count = -1;  // their delivery count; -1: counted by the rules above
  bool justid = false;       // JUSTID: the claim is not a delivery
  bool force = false;        // XCLAIM FORCE: claim an ID that is not pending, if the stream has it
};

enum class ClaimOutcome { kClaimed, kPurged, kGone, kNotPending, kNotIdle };

// XCLAIM of one ID. On kClaimed, *entry is positioned on the stream entry.
ClaimOutcome ClaimId(Stream& s, ConsumerGroup& g, Consumer& c, StreamId id, const ClaimRule& rule,
                     int64_t now_ms, std::optional<Stream::Iterator>* entry, GroupChanges* out);

// XAUTOCLAIM: looks at the pending entries from `start` on, at most count x 10 of them, claiming
// the claimable ones and purging those whose stream entry is gone, until `count` are claimed or
// purged. on_claimed(it) sees each claimed entry. Returns where the next call should start
// (0-0 once the walk reached the end of the PEL).
template <typename OnClaimed>
StreamId AutoClaim(Stream& s, ConsumerGroup& g, Consumer& c, StreamId start, int64_t count,
                   const ClaimRule& rule, int64_t now_ms, OnClaimed&& on_claimed,
                   GroupChanges* out);

// XREADGROUP CLAIM's candidates: pending entries idle at least `min_idle`, oldest first (the
// NACK zone first), at most `limit`. Entries the stream no longer holds are passed over and stay
// pending. The walk stops at the first entry not idle enough, so it costs what it returns.
std::vector<StreamId> FindIdle(const Stream& s, const ConsumerGroup& g, int64_t min_idle,
                               uint64_t limit, int64_t now_ms);

// XREADGROUP CLAIM: claims `candidates` (FindIdle's) for `c`, in order, while may_take()
// allows; on_claimed(it, idle_ms, deliveries_before) sees each one.
template <typename MayTake, typename OnClaimed>
void ClaimIdle(Stream& s, ConsumerGroup& g, Consumer& c, const std::vector<StreamId>& candidates,
               int64_t now_ms, MayTake&& may_take, OnClaimed&& on_claimed, GroupChanges* out);

// When the oldest pending entry the stream still holds becomes claimable under `min_idle`
// (wall-clock ms), or nullopt when nothing is pending. A blocked CLAIM reader wakes then.
std::optional<int64_t> NextClaimableAt(const Stream& s, const ConsumerGroup& g, int64_t min_idle);

// ---- releases and acknowledgements ----

// XNACK's modes: what the release says about the delivery that failed.
enum class NackMode {
  kSilent,  // it did not count: one delivery less
  kFail,    // it counts as tried: the count stays
  kFatal,   // hopeless: the count becomes the maximum, so retry limits see it at once
};

struct ReleaseRule {
  NackMode mode = NackMode::kFail;
  int64_t retry_count = -1;  // RETRYCOUNT: the count instead of the mode's; -1: by mode
  bool force = false;        // FORCE: release an ID that is not pending, if the stream has it
};

// XNACK of one ID: it loses its owner and joins the back of the NACK zone. Returns whether it
// was released.
bool Release(const Stream& s, ConsumerGroup& g, StreamId id, const ReleaseRule& rule,
             GroupChanges* out);

// XACK of one ID; false if it was not pending.
bool Acknowledge(ConsumerGroup& g, StreamId id, GroupChanges* out);

// ---- internals the templates share (group_ops.cc) ----

namespace group_detail {
// Makes `id` pending for `c` with `delivery_ms` and `count`, marks `c` active, and reports it.
void HandOut(ConsumerGroup& g, Consumer& c, StreamId id, int64_t delivery_ms, uint64_t count,
             int64_t now_ms, GroupChanges* out);
// The IDs XAUTOCLAIM looks at: up to `attempts` pending IDs from `start`, plus the one after
// them (the next cursor) if there is one.
std::vector<StreamId> AutoClaimWindow(const ConsumerGroup& g, StreamId start, int64_t attempts);
}  // namespace group_detail

template <typename MayTake, typename OnEntry>
void DeliverNew(Stream& s, ConsumerGroup& g, Consumer& c, int64_t now_ms, bool noack,
                MayTake&& may_take, OnEntry&& on_entry, GroupChanges* out) {
  std::optional<StreamId> start = g.last_delivered().Next();
  if (!start) return;  // the group has read up to the largest ID there is
  Stream::Iterator it = s.Range(*start, StreamId::Max(), false);
  while (may_take() && it.Next()) {
    s.AdvanceGroup(g, it.id());
    out->position_moved = true;
    ++out->read_new;
    if (!noack) group_detail::HandOut(g, c, it.id(), now_ms, 1, now_ms, out);
    on_entry(it);
  }
}

template <typename MayTake, typename OnEntry>
void RedeliverOwn(Stream& s, ConsumerGroup& g, Consumer& c, StreamId after, uint64_t count,
                  int64_t now_ms, MayTake&& may_take, OnEntry&& on_entry, GroupChanges* out) {
  std::optional<StreamId> start = after.Next();
  if (!start) return;
  // Collected first: re-delivering moves entries in the group's time index.
  std::vector<StreamId> ids;
  for (auto cur = c.pel().LowerBound(*start); cur.valid(); cur.Next()) {
    if (count != 0 && ids.size() >= count) break;
    ids.push_back(cur.record());
  }
  for (StreamId id : ids) {
    if (!may_take()) break;
    std::optional<Stream::Iterator> entry = s.Find(id);
    if (!entry) {
      on_entry(id, static_cast<const Stream::Iterator*>(nullptr));
      continue;
    }
    uint64_t next = NextDeliveryCount(g.FindPending(id)->delivery_count);
    g.SetPending(id, c, now_ms, next);
    out->delivered.push_back(id);
    on_entry(id, &*entry);
  }
}

template <typename OnClaimed>
StreamId AutoClaim(Stream& s, ConsumerGroup& g, Consumer& c, StreamId start, int64_t count,
                   const ClaimRule& rule, int64_t now_ms, OnClaimed&& on_claimed,
                   GroupChanges* out) {
  const int64_t attempts = count * 10;
  std::vector<StreamId> window = group_detail::AutoClaimWindow(g, start, attempts);
  size_t i = 0;
  for (; i < window.size() && static_cast<int64_t>(i) < attempts && count > 0; ++i) {
    std::optional<Stream::Iterator> entry;
    ClaimOutcome o = ClaimId(s, g, c, window[i], rule, now_ms, &entry, out);
    if (o == ClaimOutcome::kClaimed) on_claimed(*entry);
    if (o == ClaimOutcome::kClaimed || o == ClaimOutcome::kPurged) --count;
  }
  return i < window.size() ? window[i] : StreamId::Min();
}

template <typename MayTake, typename OnClaimed>
void ClaimIdle(Stream& s, ConsumerGroup& g, Consumer& c, const std::vector<StreamId>& candidates,
               int64_t now_ms, MayTake&& may_take, OnClaimed&& on_claimed, GroupChanges* out) {
  for (StreamId id : candidates) {
    if (!may_take()) break;
    PendingRecord rec = *g.FindPending(id);
    int64_t idle = now_ms - ShownDeliveryMs(rec);
    uint64_t before = std::min<uint64_t>(rec.delivery_count, INT64_MAX);
    group_detail::HandOut(g, c, id, now_ms, NextDeliveryCount(before), now_ms, out);
    on_claimed(*s.Find(id), idle, static_cast<int64_t>(before));
  }
}

}  // namespace runnel::streams
