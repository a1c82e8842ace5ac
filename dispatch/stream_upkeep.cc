// The writes the server makes to streams on its own, on a clock rather than for a command:
// consumer expiry (CONSUMER-EXPIRE), retention age-out (RETENTION-MS), and the appending of
// delayed entries (XADD ... DELAY / AT). Each is logged as exact effects, so replay repeats
// what was done and never decides anything by its own clock.
#include <string>
#include <vector>

#include "config/config.h"
#include "dispatch/dispatcher.h"
#include "effects/writer.h"
#include "streams/group_ops.h"
#include "streams/trim.h"

namespace runnel::dispatch {

void Dispatcher::StreamUpkeep(int db, int64_t now_ms, UpkeepBudget* budget) {
  // Each cycle starts where the last one's age-out budget ran out, so a stream with a large
  // backlog cannot take every cycle from the streams after it.
  std::string& resume = upkeep_resume_[static_cast<size_t>(db)];
  const std::string from = std::move(resume);
  resume.clear();
  keyspace_->db(db).VisitTimed(from, [&](std::string_view key, streams::Stream& s) {
    bool timed = false;
    ExpireConsumers(key, s, db, now_ms, &timed);
    if (s.retention().max_age_ms > 0) {
      timed = true;
      if (!AgeOut(key, s, db, now_ms, budget) && resume.empty()) resume = key;
    }
    return timed;
  });
}

void Dispatcher::ExpireConsumers(std::string_view key, streams::Stream& s, int db, int64_t now_ms,
                                 bool* timed) {
  std::string encoded;
  for (auto& [name, group] : s.groups()) {
    if (group->policy().consumer_expire_ms <= 0) continue;
    *timed = true;
    std::vector<std::string> expired = streams::ExpireConsumers(*group, now_ms);
    if (expired.empty()) continue;
    encoded.clear();
    effects::Writer w(effects_wanted_ ? &encoded : nullptr);
    for (const std::string& consumer : expired) {
      w.ConsumerDelete(key, name, consumer);
      Notify(db, config::kNotifyStream, "xgroup-delconsumer", key);
    }
    w.GroupCounters(key, *group);
    record_.Append(db, encoded);
  }
}

bool Dispatcher::AgeOut(std::string_view key, streams::Stream& s, int db, int64_t now_ms,
                        UpkeepBudget* budget) {
  // Slices of this many entries, each one effect (an exact trim), until the stream has nothing
  // old left or the cycle's budget is spent.
  constexpr size_t kAgeOutSlice = 1000;
  std::string encoded;
  uint64_t removed = 0;
  bool finished = false;
  while (budget->entries > 0 && host_.MonotonicUs() < budget->deadline_us) {
    const size_t slice = std::min(kAgeOutSlice, budget->entries);
    streams::TrimOutcome t = streams::AgeOut(s, now_ms, slice, limits_.stream);
    // Counted as examined: an ACKED slice may look at many entries and remove none.
    budget->entries -= std::min<size_t>(budget->entries, std::max<uint64_t>(t.examined, 1));
    if (t.removed > 0) {
      encoded.clear();
      effects::Writer(effects_wanted_ ? &encoded : nullptr).Trimmed(key, s, t);
      record_.Append(db, encoded);
      removed += t.removed;
    }
    if (!t.more) {  // it reached the cutoff (under ACKED: the end of its round)
      finished = true;
      break;
    }
  }
  if (removed > 0) {
    changes_ += removed;
    keyspace_->db(db).NotifyChanged(key);
    Notify(db, config::kNotifyStream, "xtrim", key);
  }
  return finished;
}

void Dispatcher::FireScheduled(int db, int64_t now_ms, size_t* budget) {
  // When to look again at a stream whose due entries cannot be appended now.
  constexpr int64_t kExpiringRetryMs = 100;    // past its TTL: the cron's expiry comes first
  constexpr int64_t kExhaustedRetryMs = 1000;  // at the last possible ID: until XSETID lowers it
  streams::Database& d = keyspace_->db(db);
  while (*budget > 0) {
    std::optional<std::string> key = d.PopScheduledKey(now_ms);
    if (!key) break;
    // Peek, not Find: a key past its TTL is left to expiry, which logs its DEL; its schedule
    // goes with it. Filed again meanwhile, in case the clock stepped back and it lives on.
    streams::Database::Node* node = d.Peek(*key);
    streams::Stream* s = node != nullptr ? node->value.value.stream() : nullptr;
    if (s == nullptr || s->schedule() == nullptr || s->schedule()->empty()) continue;  // stale
    if (node->value.expire_ms >= 0 && node->value.expire_ms <= now_ms) {
      d.NoteScheduled(*key, now_ms + kExpiringRetryMs);
      continue;
    }
    if (!FireDue(*key, *s, db, now_ms, budget)) {
      d.NoteScheduled(*key, now_ms + kExhaustedRetryMs);
      continue;
    }
    if (auto next = s->schedule()->NextDueMs()) d.NoteScheduled(*key, *next);
  }
}

bool Dispatcher::FireDue(std::string_view key, streams::Stream& s, int db, int64_t now_ms,
                         size_t* budget) {
  streams::Schedule& schedule = s.mutable_schedule();
  auto due = schedule.NextDueMs();
  if (!due || *due > now_ms) return true;
  if (s.last_id().IsMax()) {
    // Nothing can be appended until the stream's last ID goes down (XSETID after XDEL): the
    // entries stay scheduled and the caller looks again later. One warning per stall.
    if (!schedule.stalled()) {
      host_.Warn("Delayed entries of stream '" + std::string(key) +
                 "' cannot be appended: the stream has exhausted the last possible ID");
    }
    schedule.set_stalled(true);
    return false;
  }
  schedule.set_stalled(false);
  std::string encoded;
  effects::Writer w(effects_wanted_ ? &encoded : nullptr);
  std::vector<std::string_view> fields;
  uint64_t appended = 0;
  while (*budget > 0 && !s.last_id().IsMax()) {
    std::optional<streams::ScheduledEntry> e = schedule.PopDue(now_ms);
    if (!e) break;
    --*budget;
    if (!streams::Schedule::DecodeFields(e->payload, &fields)) {
      // Every way in checks payloads, so this cannot happen; if it did, the log says so.
      w.Unschedule(key, {&e->handle, 1});
      continue;
    }
    auto id = s.NextId(streams::AddIdSpec{}, static_cast<uint64_t>(now_ms));
    s.Append(*id, fields, limits_.stream);
    w.Fire(key, e->handle, *id);
    Notify(db, config::kNotifyStream, "xadd", key);
    streams::TrimOutcome t = streams::TrimToRetention(s, limits_.approx_trim_limit, limits_.stream);
    w.Trimmed(key, s, t);
    if (t.removed > 0) Notify(db, config::kNotifyStream, "xtrim", key);
    ++appended;
  }
  record_.Append(db, encoded);
  changes_ += appended;
  keyspace_->db(db).NotifyChanged(key);
  return true;
}

}  // namespace runnel::dispatch
