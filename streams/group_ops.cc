#include "streams/group_ops.h"

#include <algorithm>

namespace runnel::streams {

namespace {

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum;
  return __builtin_add_overflow(a, b, &sum) ? INT64_MAX : sum;
}

// The deliveries of a pending entry given its time-index record (the count is in the PEL).
uint64_t DeliveriesOf(const ConsumerGroup& g, const TimedId& r) {
  return g.policy().backoff.empty() ? 0 : g.FindPending(r.id)->delivery_count;
}

}  // namespace

int64_t ClaimableAt(const GroupPolicy& policy, int64_t time, uint64_t deliveries,
                    int64_t min_idle) {
  int64_t wait = policy.BackoffAfter(deliveries);
  if (time < 0) {  // a NACK-zone ticket: min-idle-time does not apply, a FAIL's backoff does
    if (wait == 0 || !TicketBacksOff(time)) return INT64_MIN;
    return SaturatingAdd(TicketReleaseMs(time), wait);
  }
  int64_t need = std::max(min_idle, wait);
  return need <= 0 ? INT64_MIN : SaturatingAdd(time, need);
}

bool HasUndelivered(const Stream& s, const ConsumerGroup& g) {
  std::optional<StreamId> last = s.LastLiveId();
  return last && *last > g.last_delivered();
}

Consumer& TouchConsumer(ConsumerGroup& g, std::string_view name, int64_t now_ms,
                        GroupChanges* out) {
  auto [consumer, created] = g.GetOrCreateConsumer(name, now_ms);
  consumer->set_seen_ms(now_ms);
  out->consumer = consumer;
  out->consumer_created = out->consumer_created || created;
  return *consumer;
}

namespace group_detail {

bool SendToDeadLetters(ConsumerGroup& g, const PendingRecord& rec, const Stream::Iterator& entry,
                       std::string_view reason, DeadLetterSink* sink, GroupChanges* out) {
  DeadLetter letter{rec.id, &entry, g.OwnerName(rec), rec.delivery_count, reason};
  const bool appended = sink->Append(g, letter);
  g.set_dead_letter_refusing(!appended);
  if (!appended) {
    ++g.counters().dead_letter_failures;
    out->counters_changed = true;
    return false;
  }
  g.Ack(rec.id);
  ++g.counters().dead_lettered;
  out->dead_lettered.push_back(rec.id);
  return true;
}

void HandOut(ConsumerGroup& g, Consumer& c, StreamId id, int64_t delivery_ms, uint64_t count,
             int64_t now_ms, GroupChanges* out) {
  g.SetPending(id, c, delivery_ms, count);
  c.set_active_ms(now_ms);
  out->consumer_active = true;
  out->delivered.push_back(id);
}

std::vector<StreamId> AutoClaimWindow(const ConsumerGroup& g, StreamId start, int64_t attempts) {
  // Collected first, because claiming changes the PEL under a cursor.
  std::vector<StreamId> window;
  for (auto c = g.pel().LowerBound(start); c.valid(); c.Next()) {
    window.push_back(c.record().id);
    if (static_cast<int64_t>(window.size()) > attempts) break;
  }
  return window;
}

}  // namespace group_detail

std::vector<StreamId> FindIdle(const Stream& s, const ConsumerGroup& g, int64_t min_idle,
                               uint64_t limit, int64_t now_ms) {
  // No owned entry is claimable before it has been idle this long, whatever its count.
  const int64_t least_idle = std::max(min_idle, g.policy().MinBackoff());
  std::vector<StreamId> out;
  for (auto c = g.by_time().Begin(); c.valid() && out.size() < limit; c.Next()) {
    const TimedId& r = c.record();
    if (!s.Find(r.id)) continue;
    if (!Claimable(r.delivery_ms, r.delivery_ms < 0, now_ms, least_idle)) break;
    if (ClaimableAt(g.policy(), r.delivery_ms, DeliveriesOf(g, r), min_idle) > now_ms) continue;
    out.push_back(r.id);
  }
  return out;
}

void DeadLetterExhausted(Stream& s, ConsumerGroup& g, std::vector<StreamId>* candidates,
                         DeadLetterSink* sink, GroupChanges* out) {
  if (g.policy().max_deliveries == 0) return;
  std::erase_if(*candidates, [&](StreamId id) {
    PendingRecord rec = *g.FindPending(id);
    if (!group_detail::PastLimit(g, rec.delivery_count, sink)) return false;
    group_detail::SendToDeadLetters(g, rec, *s.Find(id), kReasonMaxDeliveries, sink, out);
    return true;  // dead-lettered, or kept pending: not claimed either way
  });
}

ClaimOutcome ClaimId(Stream& s, ConsumerGroup& g, Consumer& c, StreamId id, const ClaimRule& rule,
                     int64_t now_ms, std::optional<Stream::Iterator>* entry, GroupChanges* out) {
  std::optional<PendingRecord> pending = g.FindPending(id);
  std::optional<Stream::Iterator> found = s.Find(id);
  if (!found) {
    if (!pending) return ClaimOutcome::kGone;
    g.Ack(id);
    out->purged.push_back(id);
    return ClaimOutcome::kPurged;
  }
  if (!pending && !rule.force) return ClaimOutcome::kNotPending;
  if (pending && !Claimable(*pending, now_ms, rule.min_idle)) return ClaimOutcome::kNotIdle;
  if (pending && rule.backoff &&
      ClaimableAt(g.policy(), pending->delivery_ms, pending->delivery_count, rule.min_idle) >
          now_ms) {
    return ClaimOutcome::kNotIdle;
  }
  // A JUSTID or RETRYCOUNT claim does not count a delivery, so it cannot exceed the limit.
  if (pending && !rule.justid && rule.retry_count < 0 &&
      group_detail::PastLimit(g, pending->delivery_count, rule.dead_letters)) {
    return group_detail::SendToDeadLetters(g, *pending, *found, kReasonMaxDeliveries,
                                           rule.dead_letters, out)
               ? ClaimOutcome::kDeadLettered
               : ClaimOutcome::kKept;
  }
  // An entry FORCE makes pending starts at one delivery, before this claim (as in Redis).
  uint64_t count = pending ? pending->delivery_count : 1;
  if (rule.retry_count >= 0) {
    count = static_cast<uint64_t>(rule.retry_count);
  } else if (!rule.justid) {
    count = NextDeliveryCount(count);
  }
  group_detail::HandOut(g, c, id, rule.delivery_ms < 0 ? now_ms : rule.delivery_ms, count, now_ms,
                        out);
  *entry = std::move(found);
  return ClaimOutcome::kClaimed;
}

std::optional<int64_t> NextClaimableAt(const Stream& s, const ConsumerGroup& g, int64_t min_idle) {
  const int64_t least_idle = std::max(min_idle, g.policy().MinBackoff());
  std::optional<int64_t> first;
  for (auto c = g.by_time().Begin(); c.valid(); c.Next()) {
    const TimedId& r = c.record();
    // Owned entries come in delivery-time order: once one cannot beat the best so far, no later
    // one can.
    if (first && r.delivery_ms >= 0 && SaturatingAdd(r.delivery_ms, least_idle) >= *first) break;
    if (!s.Find(r.id)) continue;
    int64_t at = std::max<int64_t>(ClaimableAt(g.policy(), r.delivery_ms, DeliveriesOf(g, r),
                                               min_idle),
                                   0);  // "at once" as a time: 1970
    first = first ? std::min(*first, at) : at;
    if (g.policy().backoff.empty()) break;  // without backoff the first live entry is first
  }
  return first;
}

bool Release(const Stream& s, ConsumerGroup& g, StreamId id, const ReleaseRule& rule,
             int64_t now_ms, GroupChanges* out) {
  std::optional<PendingRecord> pending = g.FindPending(id);
  if (!pending && !(rule.force && s.Find(id))) return false;
  uint64_t count = pending ? pending->delivery_count : 0;
  if (rule.retry_count >= 0) {
    count = static_cast<uint64_t>(rule.retry_count);
  } else if (rule.mode == NackMode::kSilent) {
    count = count > 0 ? count - 1 : 0;
  } else if (rule.mode == NackMode::kFatal) {
    count = INT64_MAX;
  }
  if (pending && rule.dead_letters != nullptr && !g.policy().dead_letter.empty() &&
      (rule.mode == NackMode::kFatal ||
       (rule.mode == NackMode::kFail && group_detail::PastLimit(g, count, rule.dead_letters)))) {
    if (std::optional<Stream::Iterator> entry = s.Find(id)) {
      PendingRecord rec = *pending;
      // The letter tells the deliveries made: FATAL's maximum count is a mark, not a number.
      if (rule.mode != NackMode::kFatal) rec.delivery_count = count;
      std::string_view reason =
          rule.mode == NackMode::kFatal ? kReasonFatal : kReasonMaxDeliveries;
      if (group_detail::SendToDeadLetters(g, rec, *entry, reason, rule.dead_letters, out)) {
        return true;
      }
    }
  }
  g.Release(id, count, now_ms, rule.mode != NackMode::kSilent);
  out->released.push_back(id);
  return true;
}

std::vector<std::string> ExpireConsumers(ConsumerGroup& g, int64_t now_ms) {
  std::vector<std::string> expired;
  const int64_t after = g.policy().consumer_expire_ms;
  if (after <= 0) return expired;
  for (const auto& [name, c] : g.consumers()) {
    if (c->pending() == 0 && now_ms - c->seen_ms() >= after) expired.push_back(name);
  }
  for (const std::string& name : expired) g.DeleteConsumer(name);
  g.counters().consumers_expired += expired.size();
  return expired;
}

bool Acknowledge(ConsumerGroup& g, StreamId id, GroupChanges* out) {
  if (!g.Ack(id)) return false;
  out->acked.push_back(id);
  return true;
}

}  // namespace runnel::streams
