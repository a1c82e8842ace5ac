#include "streams/group_ops.h"

#include <algorithm>

namespace runnel::streams {

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
  std::vector<StreamId> out;
  for (auto c = g.by_time().Begin(); c.valid() && out.size() < limit; c.Next()) {
    const TimedId& r = c.record();
    if (!s.Find(r.id)) continue;
    if (!Claimable(r.delivery_ms, r.delivery_ms < 0, now_ms, min_idle)) break;
    out.push_back(r.id);
  }
  return out;
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
  for (auto c = g.by_time().Begin(); c.valid(); c.Next()) {
    if (!s.Find(c.record().id)) continue;
    int64_t at;
    // A NACK-zone ticket stands for no time at all: claimable at once.
    if (__builtin_add_overflow(std::max<int64_t>(c.record().delivery_ms, 0), min_idle, &at)) {
      at = INT64_MAX;
    }
    return at;
  }
  return std::nullopt;
}

bool Release(const Stream& s, ConsumerGroup& g, StreamId id, const ReleaseRule& rule,
             GroupChanges* out) {
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
  g.Release(id, count);
  out->released.push_back(id);
  return true;
}

bool Acknowledge(ConsumerGroup& g, StreamId id, GroupChanges* out) {
  if (!g.Ack(id)) return false;
  out->acked.push_back(id);
  return true;
}

}  // namespace runnel::streams
