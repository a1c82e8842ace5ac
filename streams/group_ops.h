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
// The group's policy (group_policy.h) adds, each in one place:
//   MAXDELIVERIES an entry delivered max_deliveries times that a claim would deliver again
//                 (ClaimId, AutoClaim, DeadLetterExhausted for XREADGROUP CLAIM), or that XNACK
//                 FAIL releases, goes to the DeadLetterSink and is acknowledged instead; XNACK
//                 FATAL sends it there at once (Release). JUSTID and RETRYCOUNT claims are not
//                 deliveries by the count and are exempt. Without a sink (replay, which has the
//                 dead letters as effects of their own) no entry is dead-lettered.
//   BACKOFF       XAUTOCLAIM and XREADGROUP CLAIM take an entry only once its backoff has passed
//                 (ClaimableAt); XCLAIM of named IDs ignores it.
//   MAXPENDING    XREADGROUP hands a consumer entries only while it holds fewer (HasRoom).
//   CONSUMER-EXPIRE  ExpireConsumers.
//
// Time comes in as now_ms. Operations that hand out entries call back with each one
// (positioned on the entry, so the caller writes its reply as it goes) and ask before each one
// whether another may go (COUNT and the reply caps of XREAD's MAXCOUNT / MAXSIZE).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
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

  std::vector<StreamId> dead_lettered;  // sent to the dead-letter stream and acknowledged
  bool counters_changed = false;        // a GroupCounters field other than dead_lettered moved
};

// Whether a pending entry delivered at `delivery_ms` (or unowned) may be claimed now.
inline bool Claimable(int64_t delivery_ms, bool unowned, int64_t now_ms, int64_t min_idle) {
  return unowned || min_idle <= 0 || now_ms - delivery_ms >= min_idle;
}
inline bool Claimable(const PendingRecord& r, int64_t now_ms, int64_t min_idle) {
  return Claimable(r.delivery_ms, IsUnowned(r), now_ms, min_idle);
}

// When a pending entry (its time-index time: a delivery time or a NACK-zone ticket, and its
// delivery count) may be claimed by XAUTOCLAIM or XREADGROUP CLAIM under `min_idle` and the
// group's BACKOFF: INT64_MIN for at once.
int64_t ClaimableAt(const GroupPolicy& policy, int64_t time, uint64_t deliveries,
                    int64_t min_idle);

// MAXPENDING: whether `c` may be handed another entry.
inline bool HasRoom(const ConsumerGroup& g, const Consumer& c) {
  return g.policy().max_pending == 0 || c.pending() < g.policy().max_pending;
}

// ---- dead letters ----

// An entry on its way to the dead-letter stream.
struct DeadLetter {
  StreamId id;
  const Stream::Iterator* entry;  // positioned on the source entry: its fields go first
  std::string_view consumer;      // its last owner, "" if it had none
  uint64_t deliveries;
  std::string_view reason;  // kReasonMaxDeliveries or kReasonFatal
};
inline constexpr std::string_view kReasonMaxDeliveries = "maxdeliveries";
inline constexpr std::string_view kReasonFatal = "fatal";

// Where a group's dead letters go: the handler's, which appends to the policy's DEADLETTER key
// in its database and logs the move as one effect. Append returns false when the key cannot
// take it (it holds another type); the entry then stays pending. The group's
// dead_letter_refusing() tells, during Append, whether the previous attempt was refused too.
class DeadLetterSink {
 public:
  virtual ~DeadLetterSink() = default;
  virtual bool Append(const ConsumerGroup& g, const DeadLetter& letter) = 0;
};

// Whether the group has entries it has not handed out yet.
bool HasUndelivered(const Stream& s, const ConsumerGroup& g);

// The consumer that reads or claims: created if missing, seen now.
Consumer& TouchConsumer(ConsumerGroup& g, std::string_view name, int64_t now_ms, GroupChanges* out);

// ---- reads ----

// XREADGROUP ">": hands `c` the entries after the group's position, in order, while
// may_take() and MAXPENDING allow; each becomes pending for `c` with one delivery, unless
// `noack` (then MAXPENDING does not limit it: nothing becomes pending).
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
  bool backoff = false;      // the group's BACKOFF applies (XAUTOCLAIM; not XCLAIM)
  DeadLetterSink* dead_letters = nullptr;  // where MAXDELIVERIES sends entries; nullptr: nowhere
};

enum class ClaimOutcome {
  kClaimed,
  kPurged,
  kGone,
  kNotPending,
  kNotIdle,
  kDeadLettered,  // past MAXDELIVERIES: moved to the dead-letter stream
  kKept,          // past MAXDELIVERIES, the dead-letter key refused it: still pending
};

// XCLAIM of one ID. On kClaimed, *entry is positioned on the stream entry.
ClaimOutcome ClaimId(Stream& s, ConsumerGroup& g, Consumer& c, StreamId id, const ClaimRule& rule,
                     int64_t now_ms, std::optional<Stream::Iterator>* entry, GroupChanges* out);

// XAUTOCLAIM: looks at the pending entries from `start` on, at most count x 10 of them, claiming
// the claimable ones (the group's BACKOFF applies) and purging those whose stream entry is gone,
// until `count` are claimed, purged or dead-lettered. on_claimed(it) sees each claimed entry.
// Returns where the next call should start (0-0 once the walk reached the end of the PEL).
template <typename OnClaimed>
StreamId AutoClaim(Stream& s, ConsumerGroup& g, Consumer& c, StreamId start, int64_t count,
                   const ClaimRule& rule, int64_t now_ms, OnClaimed&& on_claimed,
                   GroupChanges* out);

// XREADGROUP CLAIM's candidates: pending entries idle at least `min_idle` and past their
// BACKOFF, oldest first (the NACK zone first), at most `limit`. Entries the stream no longer
// holds are passed over and stay pending. Without a BACKOFF the walk stops at the first entry
// not idle enough, so it costs what it returns; with one it walks the whole NACK zone, then
// stops at the first owned entry that no backoff step could have freed.
std::vector<StreamId> FindIdle(const Stream& s, const ConsumerGroup& g, int64_t min_idle,
                               uint64_t limit, int64_t now_ms);

// XREADGROUP CLAIM, before claiming: the candidates MAXDELIVERIES has used up go to `sink` (or,
// refused, stay pending) and leave the list.
void DeadLetterExhausted(Stream& s, ConsumerGroup& g, std::vector<StreamId>* candidates,
                         DeadLetterSink* sink, GroupChanges* out);

// XREADGROUP CLAIM: claims `candidates` (FindIdle's) for `c`, in order, while may_take() and
// MAXPENDING allow; on_claimed(it, idle_ms, deliveries_before) sees each one.
template <typename MayTake, typename OnClaimed>
void ClaimIdle(Stream& s, ConsumerGroup& g, Consumer& c, const std::vector<StreamId>& candidates,
               int64_t now_ms, MayTake&& may_take, OnClaimed&& on_claimed, GroupChanges* out);

// When the first pending entry the stream still holds becomes claimable under `min_idle` and
// the group's BACKOFF (wall-clock ms), or nullopt when nothing is pending. A blocked CLAIM reader
// wakes then.
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
  DeadLetterSink* dead_letters = nullptr;  // where FAIL past MAXDELIVERIES and FATAL send it
};

// XNACK of one ID at `now_ms`: it loses its owner and joins the back of the NACK zone (a FAIL or
// FATAL release waits out the group's BACKOFF there), or, past MAXDELIVERIES under FAIL or at
// once under FATAL, goes to the dead-letter stream if the group has one. Returns whether it was
// released or dead-lettered. An entry the stream no longer holds is only released.
bool Release(const Stream& s, ConsumerGroup& g, StreamId id, const ReleaseRule& rule,
             int64_t now_ms, GroupChanges* out);

// XACK of one ID; false if it was not pending.
bool Acknowledge(ConsumerGroup& g, StreamId id, GroupChanges* out);

// ---- consumers ----

// CONSUMER-EXPIRE: deletes the consumers of `g` with nothing pending and not seen for the
// policy's time, counts them, and returns their names (none without the policy).
std::vector<std::string> ExpireConsumers(ConsumerGroup& g, int64_t now_ms);

// ---- internals the templates share (group_ops.cc) ----

namespace group_detail {
// Makes `id` pending for `c` with `delivery_ms` and `count`, marks `c` active, and reports it.
void HandOut(ConsumerGroup& g, Consumer& c, StreamId id, int64_t delivery_ms, uint64_t count,
             int64_t now_ms, GroupChanges* out);
// The IDs XAUTOCLAIM looks at: up to `attempts` pending IDs from `start`, plus the one after
// them (the next cursor) if there is one.
std::vector<StreamId> AutoClaimWindow(const ConsumerGroup& g, StreamId start, int64_t attempts);
// Sends pending `rec` (its entry at `entry`) to `sink` and acknowledges it; false if the sink
// refused it (counted, and the entry left as it was).
bool SendToDeadLetters(ConsumerGroup& g, const PendingRecord& rec, const Stream::Iterator& entry,
                       std::string_view reason, DeadLetterSink* sink, GroupChanges* out);
// Whether MAXDELIVERIES (with somewhere to send) stops another delivery after `deliveries`.
inline bool PastLimit(const ConsumerGroup& g, uint64_t deliveries, const DeadLetterSink* sink) {
  return sink != nullptr && g.policy().max_deliveries > 0 &&
         deliveries >= g.policy().max_deliveries;
}
}  // namespace group_detail

template <typename MayTake, typename OnEntry>
void DeliverNew(Stream& s, ConsumerGroup& g, Consumer& c, int64_t now_ms, bool noack,
                MayTake&& may_take, OnEntry&& on_entry, GroupChanges* out) {
  std::optional<StreamId> start = g.last_delivered().Next();
  if (!start) return;  // the group has read up to the largest ID there is
  Stream::Iterator it = s.Range(*start, StreamId::Max(), false);
  while (may_take() && (noack || HasRoom(g, c)) && it.Next()) {
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
  ClaimRule with_backoff = rule;
  with_backoff.backoff = true;
  size_t i = 0;
  for (; i < window.size() && static_cast<int64_t>(i) < attempts && count > 0; ++i) {
    std::optional<Stream::Iterator> entry;
    ClaimOutcome o = ClaimId(s, g, c, window[i], with_backoff, now_ms, &entry, out);
    if (o == ClaimOutcome::kClaimed) on_claimed(*entry);
    if (o == ClaimOutcome::kClaimed || o == ClaimOutcome::kPurged ||
        o == ClaimOutcome::kDeadLettered) {
      --count;
    }
  }
  return i < window.size() ? window[i] : StreamId::Min();
}

template <typename MayTake, typename OnClaimed>
void ClaimIdle(Stream& s, ConsumerGroup& g, Consumer& c, const std::vector<StreamId>& candidates,
               int64_t now_ms, MayTake&& may_take, OnClaimed&& on_claimed, GroupChanges* out) {
  for (StreamId id : candidates) {
    if (!may_take() || !HasRoom(g, c)) break;
    PendingRecord rec = *g.FindPending(id);
    int64_t idle = now_ms - ShownDeliveryMs(rec);
    uint64_t before = std::min<uint64_t>(rec.delivery_count, INT64_MAX);
    group_detail::HandOut(g, c, id, now_ms, NextDeliveryCount(before), now_ms, out);
    on_claimed(*s.Find(id), idle, static_cast<int64_t>(before));
  }
}

}  // namespace runnel::streams
