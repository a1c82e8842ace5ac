// Consumer-group effects: how group and consumer changes, deliveries, purges, acknowledgements,
// releases and consumer times are written, and how they replay (through streams/group_ops.h,
// the same rules the commands follow).
//
// Consumer times follow from the effects that name a consumer: replaying a delivery makes the
// consumer seen and active at the record's time, a purge or a creation makes it seen then, as
// the command did live. What no effect implies — a history read, which re-delivers without
// making the consumer active, and reads that changed nothing durable (their seen times are
// written coalesced, at most once a second) — is written as RUNNEL-CONSUMER-TIMES.
#include <string>
#include <vector>

#include "effects/catalogue.h"
#include "effects/writer.h"
#include "resp/command_encoder.h"
#include "streams/group_ops.h"

namespace runnel::effects {

using resp::CommandWriter;
using streams::ConsumerGroup;
using streams::Stream;
using streams::StreamId;

// ---- encoders ----

void Writer::GroupCreate(std::string_view key, const ConsumerGroup& g) {
  if (!out_) return;
  CommandWriter(out_, 8)
      .Arg("XGROUP")
      .Arg("CREATE")
      .Arg(key)
      .Arg(g.name())
      .Arg(IdText(g.last_delivered()).view())
      .Arg("MKSTREAM")
      .Arg("ENTRIESREAD")
      .Int(g.entries_read());
}

void Writer::GroupPosition(std::string_view key, const ConsumerGroup& g) {
  if (!out_) return;
  CommandWriter(out_, 7)
      .Arg("XGROUP")
      .Arg("SETID")
      .Arg(key)
      .Arg(g.name())
      .Arg(IdText(g.last_delivered()).view())
      .Arg("ENTRIESREAD")
      .Int(g.entries_read());
}

void Writer::GroupDestroy(std::string_view key, std::string_view group) {
  if (out_) CommandWriter(out_, 4).Arg("XGROUP").Arg("DESTROY").Arg(key).Arg(group);
}

void Writer::ConsumerCreate(std::string_view key, std::string_view group,
                            std::string_view consumer) {
  if (!out_) return;
  CommandWriter(out_, 5).Arg("XGROUP").Arg("CREATECONSUMER").Arg(key).Arg(group).Arg(consumer);
}

void Writer::ConsumerDelete(std::string_view key, std::string_view group,
                            std::string_view consumer) {
  if (!out_) return;
  CommandWriter(out_, 5).Arg("XGROUP").Arg("DELCONSUMER").Arg(key).Arg(group).Arg(consumer);
}

void Writer::Delivery(std::string_view key, const ConsumerGroup& g, StreamId id) {
  if (!out_) return;
  streams::PendingRecord rec = *g.FindPending(id);
  CommandWriter(out_, 14)
      .Arg("XCLAIM")
      .Arg(key)
      .Arg(g.name())
      .Arg(g.OwnerName(rec))
      .Arg("0")
      .Arg(IdText(id).view())
      .Arg("TIME")
      .Int(rec.delivery_ms)
      .Arg("RETRYCOUNT")
      .Uint(rec.delivery_count)
      .Arg("FORCE")
      .Arg("JUSTID")
      .Arg("LASTID")
      .Arg(IdText(g.last_delivered()).view());
}

void Writer::Purge(std::string_view key, std::string_view group, std::string_view consumer,
                   StreamId id) {
  if (!out_) return;
  CommandWriter(out_, 6).Arg("XCLAIM").Arg(key).Arg(group).Arg(consumer).Arg("0").Arg(
      IdText(id).view());
}

void Writer::Ack(std::string_view key, std::string_view group, std::span<const StreamId> ids) {
  if (!out_ || ids.empty()) return;
  CommandWriter w(out_, 3 + ids.size());
  w.Arg("XACK").Arg(key).Arg(group);
  for (StreamId id : ids) w.Arg(IdText(id).view());
}

void Writer::Release(std::string_view key, const ConsumerGroup& g, StreamId id) {
  if (!out_) return;
  CommandWriter(out_, 10)
      .Arg("XNACK")
      .Arg(key)
      .Arg(g.name())
      // The mode says whether BACKOFF applies (a SILENT release does not wait); RETRYCOUNT,
      // not the mode, gives the count.
      .Arg(streams::TicketBacksOff(g.FindPending(id)->delivery_ms) ? "FAIL" : "SILENT")
      .Arg("IDS")
      .Arg("1")
      .Arg(IdText(id).view())
      .Arg("RETRYCOUNT")
      .Uint(g.FindPending(id)->delivery_count)
      .Arg("FORCE");
}

void Writer::ConsumerTimes(std::string_view key, std::string_view group,
                           const streams::Consumer& c) {
  if (!out_) return;
  CommandWriter(out_, 6)
      .Arg("RUNNEL-CONSUMER-TIMES")
      .Arg(key)
      .Arg(group)
      .Arg(c.name())
      .Int(c.seen_ms())
      .Int(c.active_ms());
}

// ---- replay ----

namespace {

// The group named by a[at] in the stream at a[key_at]; nullptr when either is gone.
ConsumerGroup* GroupAt(ApplyContext& ctx, const EffectArgs& a, size_t key_at, size_t group_at,
                       Stream** stream = nullptr) {
  Stream* s = StreamAt(ctx, a[key_at]);
  if (stream != nullptr) *stream = s;
  return s != nullptr ? s->FindGroup(a[group_at]) : nullptr;
}

// A group's entries-read counter as an effect states it: a count, or kUnknownEntriesRead. The
// commands refuse anything below (as Redis does), and so does the snapshot loader, so a log
// holding one is damaged: applying it would build a keyspace no snapshot of it could restore.
bool ValidEntriesRead(int64_t n) { return n >= streams::kUnknownEntriesRead; }

// XGROUP CREATE key group id [MKSTREAM] [ENTRIESREAD n]
Result ApplyGroupCreate(ApplyContext& ctx, const EffectArgs& a) {
  auto id = a.size() >= 5 ? a.Id(4) : std::nullopt;
  if (!id) return Result::Malformed();
  bool mkstream = false;
  int64_t entries_read = streams::kUnknownEntriesRead;
  for (size_t i = 5; i < a.size(); ++i) {
    if (a.Is(i, "MKSTREAM")) {
      mkstream = true;
    } else if (a.Is(i, "ENTRIESREAD") && i + 1 < a.size() && a.Int(i + 1) &&
               ValidEntriesRead(*a.Int(i + 1))) {
      entries_read = *a.Int(++i);
    } else {
      return Result::Malformed();
    }
  }
  bool wrong_type = false;
  Stream* s = StreamAt(ctx, a[2], &wrong_type);
  if (wrong_type) return Result::Conflict("the key holds another type");
  if (s == nullptr) {
    if (!mkstream) return Result::Skipped();
    auto fresh = std::make_unique<Stream>();
    fresh->SetIdmpConfig(ctx.new_stream);
    s = fresh.get();
    ctx.database().Set(a[2], streams::Value(std::move(fresh)));
  }
  if (s->CreateGroup(a[3], *id, entries_read) == nullptr) {
    return Result::Conflict("the group exists already");
  }
  return Result::Applied();
}

// XGROUP SETID key group id [ENTRIESREAD n]
Result ApplyGroupSetId(ApplyContext& ctx, const EffectArgs& a) {
  auto id = a.size() == 5 || a.size() == 7 ? a.Id(4) : std::nullopt;
  std::optional<int64_t> entries_read = streams::kUnknownEntriesRead;
  if (a.size() == 7) entries_read = a.Is(5, "ENTRIESREAD") ? a.Int(6) : std::nullopt;
  if (!id || !entries_read || !ValidEntriesRead(*entries_read)) return Result::Malformed();
  ConsumerGroup* g = GroupAt(ctx, a, 2, 3);
  if (g == nullptr) return Result::Skipped();
  // Exactly what the group had: the command clamps ENTRIESREAD to the reads the stream ever
  // had (redis#14259), but reads after it can take a group past that (as in Redis), and the
  // effect of such a read carries that value.
  g->set_last_delivered(*id);
  g->set_entries_read(*entries_read);
  return Result::Applied();
}

Result ApplyGroupDestroy(ApplyContext& ctx, const EffectArgs& a) {
  if (a.size() != 4) return Result::Malformed();
  Stream* s = StreamAt(ctx, a[2]);
  return s != nullptr && s->DestroyGroup(a[3]) ? Result::Applied() : Result::Skipped();
}

Result ApplyConsumerCreate(ApplyContext& ctx, const EffectArgs& a) {
  if (a.size() != 5) return Result::Malformed();
  ConsumerGroup* g = GroupAt(ctx, a, 2, 3);
  if (g == nullptr) return Result::Skipped();
  g->GetOrCreateConsumer(a[4], ctx.time_ms);
  return Result::Applied();
}

Result ApplyConsumerDelete(ApplyContext& ctx, const EffectArgs& a) {
  if (a.size() != 5) return Result::Malformed();
  ConsumerGroup* g = GroupAt(ctx, a, 2, 3);
  return g != nullptr && g->DeleteConsumer(a[4]) ? Result::Applied() : Result::Skipped();
}

Result ApplyXGroup(ApplyContext& ctx, const EffectArgs& a) {
  if (a.size() < 2) return Result::Malformed();
  if (a.Is(1, "CREATE")) return ApplyGroupCreate(ctx, a);
  if (a.Is(1, "SETID")) return ApplyGroupSetId(ctx, a);
  if (a.Is(1, "DESTROY")) return ApplyGroupDestroy(ctx, a);
  if (a.Is(1, "CREATECONSUMER")) return ApplyConsumerCreate(ctx, a);
  if (a.Is(1, "DELCONSUMER")) return ApplyConsumerDelete(ctx, a);
  if (a.Is(1, "SETPOLICY")) return ApplyGroupSetPolicy(ctx, a);
  return Result::Malformed();
}

// XCLAIM's options after its IDs, as the delivery and purge effects use them.
bool ParseClaimRule(const EffectArgs& a, size_t i, int64_t now, streams::ClaimRule* rule,
                    std::optional<StreamId>* last_id) {
  for (; i < a.size(); ++i) {
    bool more = i + 1 < a.size();
    if (a.Is(i, "FORCE")) {
      rule->force = true;
    } else if (a.Is(i, "JUSTID")) {
      rule->justid = true;
    } else if (a.Is(i, "TIME") && more && a.Int(i + 1)) {
      rule->delivery_ms = *a.Int(++i);
    } else if (a.Is(i, "RETRYCOUNT") && more && a.Int(i + 1)) {
      rule->retry_count = *a.Int(++i);
    } else if (a.Is(i, "LASTID") && more && a.Id(i + 1)) {
      *last_id = a.Id(++i);
    } else {
      return false;
    }
  }
  // As XCLAIM: a time in the future or before 1970 is the command's own time.
  if (rule->delivery_ms < 0 || rule->delivery_ms > now) rule->delivery_ms = now;
  return true;
}

// XCLAIM key group consumer min-idle id [id ...] [options]: a delivery or claim (FORCE, with
// its time and count), or a purge of pending entries whose stream entry is gone.
Result ApplyXClaim(ApplyContext& ctx, const EffectArgs& a) {
  auto min_idle = a.size() >= 6 ? a.Int(4) : std::nullopt;
  if (!min_idle) return Result::Malformed();
  std::vector<StreamId> ids;
  size_t i = 5;
  for (; i < a.size() && a.Id(i); ++i) ids.push_back(*a.Id(i));
  streams::ClaimRule rule{.min_idle = *min_idle};
  std::optional<StreamId> last_id;
  if (ids.empty() || !ParseClaimRule(a, i, ctx.time_ms, &rule, &last_id)) {
    return Result::Malformed();
  }
  Stream* s = nullptr;
  ConsumerGroup* g = GroupAt(ctx, a, 1, 2, &s);
  if (g == nullptr) return Result::Skipped();
  if (last_id && *last_id > g->last_delivered()) g->set_last_delivered(*last_id);
  streams::GroupChanges changes;
  streams::Consumer& c = streams::TouchConsumer(*g, a[3], ctx.time_ms, &changes);
  for (StreamId id : ids) {
    std::optional<Stream::Iterator> entry;
    streams::ClaimId(*s, *g, c, id, rule, ctx.time_ms, &entry, &changes);
  }
  return Result::Applied();
}

Result ApplyXAck(ApplyContext& ctx, const EffectArgs& a) {
  if (a.size() < 4) return Result::Malformed();
  std::vector<StreamId> ids;
  for (size_t i = 3; i < a.size(); ++i) {
    auto id = a.Id(i);
    if (!id) return Result::Malformed();
    ids.push_back(*id);
  }
  ConsumerGroup* g = GroupAt(ctx, a, 1, 2);
  if (g == nullptr) return Result::Skipped();
  bool any = false;
  for (StreamId id : ids) any = g->Ack(id) || any;
  return any ? Result::Applied() : Result::Skipped();
}

// XNACK key group mode IDS n id [id ...] [RETRYCOUNT n] [FORCE], options in any order and case
// (earlier versions logged it as sent).
Result ApplyXNack(ApplyContext& ctx, const EffectArgs& a) {
  if (a.size() < 7) return Result::Malformed();
  streams::ReleaseRule rule;
  if (a.Is(3, "SILENT")) {
    rule.mode = streams::NackMode::kSilent;
  } else if (a.Is(3, "FATAL")) {
    rule.mode = streams::NackMode::kFatal;
  } else if (!a.Is(3, "FAIL")) {
    return Result::Malformed();
  }
  std::vector<StreamId> ids;
  for (size_t i = 4; i < a.size(); ++i) {
    if (a.Is(i, "IDS") && i + 1 < a.size()) {
      auto n = a.Int(i + 1);
      if (!n || *n < 1 || static_cast<uint64_t>(*n) > a.size() - i - 2) return Result::Malformed();
      ids.clear();
      for (int64_t k = 0; k < *n; ++k) {
        auto id = a.Id(i + 2 + static_cast<size_t>(k));
        if (!id) return Result::Malformed();
        ids.push_back(*id);
      }
      i += 1 + static_cast<size_t>(*n);
    } else if (a.Is(i, "RETRYCOUNT") && i + 1 < a.size() && a.Int(i + 1) && *a.Int(i + 1) >= 0) {
      rule.retry_count = *a.Int(++i);
    } else if (a.Is(i, "FORCE")) {
      rule.force = true;
    } else {
      return Result::Malformed();
    }
  }
  if (ids.empty()) return Result::Malformed();
  Stream* s = nullptr;
  ConsumerGroup* g = GroupAt(ctx, a, 1, 2, &s);
  if (g == nullptr) return Result::Skipped();
  streams::GroupChanges changes;
  for (StreamId id : ids) streams::Release(*s, *g, id, rule, ctx.time_ms, &changes);
  return changes.released.empty() ? Result::Skipped() : Result::Applied();
}

// RUNNEL-CONSUMER-TIMES key group consumer seen-ms active-ms
Result ApplyConsumerTimes(ApplyContext& ctx, const EffectArgs& a) {
  auto seen = a.size() == 6 ? a.Int(4) : std::nullopt;
  auto active = a.size() == 6 ? a.Int(5) : std::nullopt;
  if (!seen || !active) return Result::Malformed();
  ConsumerGroup* g = GroupAt(ctx, a, 1, 2);
  streams::Consumer* c = g != nullptr ? g->FindConsumer(a[3]) : nullptr;
  if (c == nullptr) return Result::Skipped();
  c->set_seen_ms(*seen);
  c->set_active_ms(*active);
  return Result::Applied();
}

}  // namespace

void AddGroupAppliers(std::vector<Entry>& out) {
  out.insert(out.end(), {{"XGROUP", ApplyXGroup},
                         {"XCLAIM", ApplyXClaim},
                         {"XACK", ApplyXAck},
                         {"XNACK", ApplyXNack},
                         {"RUNNEL-CONSUMER-TIMES", ApplyConsumerTimes}});
}

}  // namespace runnel::effects
