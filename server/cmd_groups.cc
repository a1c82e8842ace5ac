// Consumer-group commands: XGROUP (CREATE, SETID, DESTROY, CREATECONSUMER, DELCONSUMER, HELP),
// XACK, XPENDING, XCLAIM and XAUTOCLAIM, with current Redis's semantics (see
// ../shared/reference/redis-streams.md): XCLAIM and XAUTOCLAIM create their consumer even when
// they claim nothing, drop pending entries whose stream entry was deleted, and XAUTOCLAIM
// reports those as its third reply element.
#include <string>
#include <vector>

#include "server/arg_util.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/group_effects.h"
#include "server/help.h"
#include "server/server.h"
#include "server/stream_args.h"
#include "server/stream_reply.h"

namespace runnel::server {
namespace {

using streams::Consumer;
using streams::ConsumerGroup;
using streams::Stream;
using streams::StreamId;

// ---- XGROUP ----

// What every XGROUP subcommand but HELP looks up first, in Redis's order: options (CREATE and
// SETID), the key (which must exist unless MKSTREAM), then the group where it must exist.
struct XGroupTarget {
  Stream* stream = nullptr;
  ConsumerGroup* group = nullptr;
  bool mkstream = false;
  int64_t entries_read = streams::kUnknownEntriesRead;
};

bool PrepareXGroup(CommandContext& ctx, bool group_must_exist, XGroupTarget* t) {
  bool create = ctx.spec.name == "create", setid = ctx.spec.name == "setid";
  for (size_t i = 5; i < ctx.argc();) {
    if (create && IEquals(ctx.arg(i), "MKSTREAM")) {
      t->mkstream = true;
      ++i;
    } else if ((create || setid) && IEquals(ctx.arg(i), "ENTRIESREAD") && i + 1 < ctx.argc()) {
      auto v = IntArgOrReply(ctx, ctx.arg(i + 1));
      if (!v) return false;
      if (*v < 0 && *v != streams::kUnknownEntriesRead) {
        ctx.Error(errors::kEntriesReadInvalid);
        return false;
      }
      t->entries_read = *v;
      i += 2;
    } else {
      ctx.Error(errors::SubcommandSyntax(ctx.args));
      return false;
    }
  }
  auto found = StreamOrReply(ctx, ctx.arg(2));
  if (!found) return false;
  t->stream = *found;
  if (t->mkstream) return true;
  if (t->stream == nullptr) {
    ctx.Error(errors::kXGroupNeedsKey);
    return false;
  }
  t->group = t->stream->FindGroup(ctx.arg(3));
  if (group_must_exist && t->group == nullptr) {
    ctx.Error(errors::NoSuchGroupForKey(ctx.arg(3), ctx.arg(2)));
    return false;
  }
  return true;
}

// ENTRIESREAD can not claim more reads than the stream ever had (redis#14259).
int64_t ClampEntriesRead(const Stream& s, int64_t entries_read) {
  auto added = static_cast<int64_t>(s.entries_added());
  return entries_read != streams::kUnknownEntriesRead && entries_read > added ? added
                                                                              : entries_read;
}

// "$" is the stream's last ID; anything else an ID ("-" and "+" allowed only for SETID).
std::optional<StreamId> GroupIdOrReply(CommandContext& ctx, const Stream* s, bool strict) {
  if (ctx.arg(4) == "$") return s ? s->last_id() : StreamId::Min();
  return IdOrReply(ctx, ctx.arg(4), streams::IdParseOptions{0, strict, false});
}

void CmdXGroupCreate(CommandContext& ctx) {
  XGroupTarget t;
  if (!PrepareXGroup(ctx, false, &t)) return;
  if (ctx.argc() > 8) return ctx.Error(errors::SubcommandSyntax(ctx.args));
  auto id = GroupIdOrReply(ctx, t.stream, true);
  if (!id) return;
  bool created = t.stream == nullptr;
  if (created) t.stream = CreateStream(ctx, ctx.arg(2));
  int64_t entries_read = ClampEntriesRead(*t.stream, t.entries_read);
  if (t.stream->CreateGroup(ctx.arg(3), *id, entries_read) == nullptr) {
    return ctx.Error(errors::kBusyGroup);
  }
  // Logged with the concrete ID "$" stood for; MKSTREAM is harmless when the key exists.
  ctx.Propagate({"XGROUP", "CREATE", ctx.arg(2), ctx.arg(3), id->ToString(), "MKSTREAM",
                 "ENTRIESREAD", std::to_string(entries_read)});
  if (created) PropagateStreamSettings(ctx, ctx.arg(2), *t.stream);
  ctx.reply.Ok();
}

void CmdXGroupSetId(CommandContext& ctx) {
  XGroupTarget t;
  if (!PrepareXGroup(ctx, true, &t)) return;
  if (ctx.argc() != 5 && ctx.argc() != 7) return ctx.Error(errors::SubcommandSyntax(ctx.args));
  auto id = GroupIdOrReply(ctx, t.stream, false);
  if (!id) return;
  t.group->set_last_delivered(*id);
  t.group->set_entries_read(ClampEntriesRead(*t.stream, t.entries_read));
  PropagateGroupPosition(ctx, ctx.arg(2), ctx.arg(3), *t.group);
  ctx.reply.Ok();
}

void CmdXGroupDestroy(CommandContext& ctx) {
  XGroupTarget t;
  if (!PrepareXGroup(ctx, false, &t)) return;
  if (t.group == nullptr) return ctx.reply.Integer(0);
  t.stream->DestroyGroup(ctx.arg(3));
  // Wake blocked XREADGROUPs, which re-run and answer NOGROUP. Only that: as in Redis, dropping
  // a group is not a change of the key for WATCH (NotifyChanged would fail WATCHers' EXEC).
  ctx.server.blocking().MarkReady(ctx.conn.db, ctx.arg(2));
  ctx.MarkDirty();
  ctx.reply.Integer(1);
}

void CmdXGroupCreateConsumer(CommandContext& ctx) {
  XGroupTarget t;
  if (!PrepareXGroup(ctx, true, &t)) return;
  bool created = t.group->GetOrCreateConsumer(ctx.arg(4), ctx.now_ms).second;
  if (created) ctx.MarkDirty();
  ctx.reply.Integer(created ? 1 : 0);
}

void CmdXGroupDelConsumer(CommandContext& ctx) {
  XGroupTarget t;
  if (!PrepareXGroup(ctx, true, &t)) return;
  auto dropped = t.group->DeleteConsumer(ctx.arg(4));
  if (dropped) ctx.MarkDirty();
  ctx.reply.Integer(static_cast<int64_t>(dropped.value_or(0)));
}

void CmdXGroupHelp(CommandContext& ctx) {
  WriteHelp(
      ctx.reply, "XGROUP",
      {"CREATE <key> <groupname> <id|$> [option]",
       "    Create a new consumer group. Options are:", "    * MKSTREAM",
       "      Create the empty stream if it does not exist.", "    * ENTRIESREAD entries_read",
       "      Set the group's entries_read counter (internal use).",
       "CREATECONSUMER <key> <groupname> <consumer>",
       "    Create a new consumer in the specified group.",
       "DELCONSUMER <key> <groupname> <consumer>", "    Remove the specified consumer.",
       "DESTROY <key> <groupname>", "    Remove the specified group.",
       "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
       "    Set the current group ID and entries_read counter."});
}

// ---- XACK ----

void CmdXAck(CommandContext& ctx) {
  auto found = StreamOrReply(ctx, ctx.arg(1));
  if (!found) return;
  ConsumerGroup* g = *found ? (*found)->FindGroup(ctx.arg(2)) : nullptr;
  if (g == nullptr) return ctx.reply.Integer(0);
  std::vector<StreamId> ids;
  for (size_t i = 3; i < ctx.argc(); ++i) {
    auto id = StrictIdOrReply(ctx, ctx.arg(i));
    if (!id) return;  // all or nothing: no ID is acknowledged if one is malformed
    ids.push_back(*id);
  }
  int64_t acked = 0;
  for (StreamId id : ids) acked += g->Ack(id) ? 1 : 0;
  if (acked > 0) ctx.MarkDirty();
  ctx.reply.Integer(acked);
}

// The group for XPENDING/XCLAIM/XAUTOCLAIM, or nullptr after replying NOGROUP/WRONGTYPE.
ConsumerGroup* GroupOrReply(CommandContext& ctx, Stream** stream) {
  auto found = StreamOrReply(ctx, ctx.arg(1));
  if (!found) return nullptr;
  *stream = *found;
  ConsumerGroup* g = *found ? (*found)->FindGroup(ctx.arg(2)) : nullptr;
  if (g == nullptr) ctx.Error(errors::NoGroup(ctx.arg(1), ctx.arg(2)));
  return g;
}

// ---- XPENDING ----

void WritePendingSummary(CommandContext& ctx, const ConsumerGroup& g) {
  auto& r = ctx.reply;
  r.Array(4);
  r.Integer(static_cast<int64_t>(g.pending()));
  if (g.pending() == 0) {
    r.Null();
    r.Null();
    r.NullArray();
    return;
  }
  WriteStreamId(r, g.pel().Begin().record().id);
  WriteStreamId(r, g.pel().Last()->id);
  auto header = r.Begin();
  size_t n = 0;
  for (const auto& [name, c] : g.consumers()) {
    if (c->pending() == 0) continue;
    r.Array(2);
    r.Bulk(name);
    r.BulkInt(static_cast<int64_t>(c->pending()));
    ++n;
  }
  r.EndArray(header, n);
}

struct PendingQuery {
  int64_t min_idle = 0;
  StreamId start, end;
  int64_t count = 0;
  std::optional<std::string_view> consumer;
};

bool ParsePendingQuery(CommandContext& ctx, PendingQuery* q) {
  size_t at = 3;
  if (IEquals(ctx.arg(3), "IDLE")) {
    auto idle = IntArgOrReply(ctx, ctx.arg(4));
    if (!idle) return false;
    if (ctx.argc() < 8) {
      ctx.Error(errors::kSyntax);
      return false;
    }
    q->min_idle = *idle;
    at += 2;
  }
  auto count = IntArgOrReply(ctx, ctx.arg(at + 2));
  if (!count) return false;
  q->count = *count < 0 ? 0 : *count;
  auto start = IntervalIdOrReply(ctx, ctx.arg(at), true);
  if (!start) return false;
  auto end = IntervalIdOrReply(ctx, ctx.arg(at + 1), false);
  if (!end) return false;
  q->start = *start;
  q->end = *end;
  if (at + 3 < ctx.argc()) q->consumer = ctx.arg(at + 3);
  return true;
}

void WritePendingRange(CommandContext& ctx, const ConsumerGroup& g, const PendingQuery& q) {
  const Consumer* only = nullptr;
  if (q.consumer) {
    only = g.FindConsumer(*q.consumer);
    if (only == nullptr) return ctx.reply.Array(0);
  }
  auto header = ctx.reply.Begin();
  int64_t n = 0;
  auto emit = [&](const streams::PendingRecord& rec) {
    // An unowned entry (XNACK) has no delivery to be idle since: idle -1, never filtered out.
    bool unowned = streams::IsUnowned(rec);
    int64_t idle = unowned ? -1 : std::max<int64_t>(ctx.now_ms - rec.delivery_ms, 0);
    if (!unowned && q.min_idle && ctx.now_ms - rec.delivery_ms < q.min_idle) return;
    ctx.reply.Array(4);
    WriteStreamId(ctx.reply, rec.id);
    ctx.reply.Bulk(g.OwnerName(rec));
    ctx.reply.Integer(idle);
    ctx.reply.Integer(static_cast<int64_t>(rec.delivery_count));
    ++n;
  };
  if (only != nullptr) {
    for (auto c = only->pel().LowerBound(q.start); c.valid() && n < q.count; c.Next()) {
      if (c.record() > q.end) break;
      emit(*g.FindPending(c.record()));
    }
  } else {
    for (auto c = g.pel().LowerBound(q.start); c.valid() && n < q.count; c.Next()) {
      if (c.record().id > q.end) break;
      emit(c.record());
    }
  }
  ctx.reply.EndArray(header, static_cast<size_t>(n));
}

void CmdXPending(CommandContext& ctx) {
  size_t argc = ctx.argc();
  if (argc != 3 && (argc < 6 || argc > 9)) return ctx.Error(errors::kSyntax);
  PendingQuery q;
  if (argc >= 6 && !ParsePendingQuery(ctx, &q)) return;
  Stream* s = nullptr;
  ConsumerGroup* g = GroupOrReply(ctx, &s);
  if (g == nullptr) return;
  if (argc == 3) return WritePendingSummary(ctx, *g);
  WritePendingRange(ctx, *g, q);
}

// ---- XCLAIM ----

struct ClaimOptions {
  int64_t min_idle = 0;
  int64_t delivery_ms = -1;  // -1: now
  int64_t retry_count = -1;  // -1: keep counting
  bool force = false, justid = false;
  StreamId last_id;
};

// Options after the IDs; `i` is the first argument that did not parse as an ID.
bool ParseClaimOptions(CommandContext& ctx, size_t i, ClaimOptions* o) {
  for (; i < ctx.argc(); ++i) {
    std::string_view opt = ctx.arg(i);
    bool more = i + 1 < ctx.argc();
    if (IEquals(opt, "FORCE")) {
      o->force = true;
    } else if (IEquals(opt, "JUSTID")) {
      o->justid = true;
    } else if (IEquals(opt, "IDLE") && more) {
      auto v = IntArgOrReply(ctx, ctx.arg(++i), errors::kXClaimIdle);
      if (!v) return false;
      // An IDLE so large (or so negative) that now - IDLE overflows is as bogus as a time
      // before 1970 or in the future: it becomes now below (Redis gets there by wrapping).
      if (__builtin_sub_overflow(ctx.now_ms, *v, &o->delivery_ms)) o->delivery_ms = -1;
    } else if (IEquals(opt, "TIME") && more) {
      auto v = IntArgOrReply(ctx, ctx.arg(++i), errors::kXClaimTime);
      if (!v) return false;
      o->delivery_ms = *v;
    } else if (IEquals(opt, "RETRYCOUNT") && more) {
      auto v = IntArgOrReply(ctx, ctx.arg(++i), errors::kXClaimRetryCount);
      if (!v) return false;
      o->retry_count = *v;
    } else if (IEquals(opt, "LASTID") && more) {
      auto v = StrictIdOrReply(ctx, ctx.arg(++i));
      if (!v) return false;
      o->last_id = *v;
    } else {
      ctx.Error(errors::UnrecognizedXClaimOption(opt));
      return false;
    }
  }
  // A time in the future or before 1970 is taken as now: clients compute it from their clocks.
  if (o->delivery_ms < 0 || o->delivery_ms > ctx.now_ms) o->delivery_ms = ctx.now_ms;
  return true;
}

// Claims one ID for XCLAIM; returns whether it was claimed (and replied).
bool ClaimOne(CommandContext& ctx, Stream& s, ConsumerGroup& g, Consumer& consumer, StreamId id,
              const ClaimOptions& o) {
  auto pending = g.FindPending(id);
  auto entry = s.Find(id);
  if (!entry) {
    if (pending) {  // the entry was deleted: drop it from the PEL
      g.Ack(id);
      PropagatePurge(ctx, ctx.arg(1), ctx.arg(2), consumer.name(), id);
    }
    return false;
  }
  if (!pending && !o.force) return false;
  // An unowned entry (XNACK) was released to be taken: no idle time applies.
  if (pending && !streams::IsUnowned(*pending) && o.min_idle &&
      ctx.now_ms - pending->delivery_ms < o.min_idle) {
    return false;
  }
  // A pending entry FORCE creates starts at one delivery, as Redis's does, before this claim.
  uint64_t count = pending ? pending->delivery_count : 1;
  if (o.retry_count >= 0) {
    count = static_cast<uint64_t>(o.retry_count);
  } else if (!o.justid) {
    count = streams::NextDeliveryCount(count);
  }
  g.SetPending(id, consumer, o.delivery_ms, count);
  PropagateDelivery(ctx, ctx.arg(1), ctx.arg(2), g, id);
  if (o.justid) {
    WriteStreamId(ctx.reply, id);
  } else {
    WriteEntry(ctx.reply, *entry);
  }
  consumer.set_active_ms(ctx.now_ms);
  return true;
}

// The consumer XCLAIM and XAUTOCLAIM act for, created if missing (and logged as created).
Consumer& ClaimingConsumer(CommandContext& ctx, ConsumerGroup& g) {
  auto [consumer, created] = g.GetOrCreateConsumer(ctx.arg(3), ctx.now_ms);
  if (created) PropagateConsumerCreated(ctx, ctx.arg(1), ctx.arg(2), ctx.arg(3));
  consumer->set_seen_ms(ctx.now_ms);
  return *consumer;
}

void CmdXClaim(CommandContext& ctx) {
  Stream* s = nullptr;
  ConsumerGroup* g = GroupOrReply(ctx, &s);
  if (g == nullptr) return;
  auto min_idle = IntArgOrReply(ctx, ctx.arg(4), errors::kXClaimMinIdle);
  if (!min_idle) return;
  ClaimOptions o;
  o.min_idle = std::max<int64_t>(*min_idle, 0);
  std::vector<StreamId> ids;
  size_t i = 5;
  for (; i < ctx.argc(); ++i) {
    auto parsed = streams::ParseStreamId(ctx.arg(i), streams::IdParseOptions{0, true, false});
    if (!parsed) break;  // the options start here
    ids.push_back(parsed->id);
  }
  if (!ParseClaimOptions(ctx, i, &o)) return;
  if (o.last_id > g->last_delivered()) {
    g->set_last_delivered(o.last_id);
    PropagateGroupPosition(ctx, ctx.arg(1), ctx.arg(2), *g);
  }
  Consumer& consumer = ClaimingConsumer(ctx, *g);
  auto header = ctx.reply.Begin();
  size_t n = 0;
  for (StreamId id : ids) n += ClaimOne(ctx, *s, *g, consumer, id, o) ? 1 : 0;
  ctx.reply.EndArray(header, n);
  if (n > 0) NotifyClaimable(ctx, ctx.arg(1));  // FORCE and TIME can make entries claimable
  PropagateConsumerTimes(ctx, ctx.arg(1), ctx.arg(2), consumer);
}

// ---- XAUTOCLAIM ----

// Redis allocates COUNT slots for deleted IDs up front and fails when that is impossible;
// Runnel allocates as it goes, and refuses the same absurd COUNTs with the same error.
constexpr int64_t kAutoClaimMaxCount = int64_t{1} << 32;

void CmdXAutoClaim(CommandContext& ctx) {
  auto min_idle = IntArgOrReply(ctx, ctx.arg(4), errors::kXAutoClaimMinIdle);
  if (!min_idle) return;
  auto start = IntervalIdOrReply(ctx, ctx.arg(5), true);
  if (!start) return;
  int64_t count = 100;
  bool justid = false;
  for (size_t i = 6; i < ctx.argc(); ++i) {
    if (IEquals(ctx.arg(i), "COUNT") && i + 1 < ctx.argc()) {
      auto v = streams::ParseStrictInt64(ctx.arg(++i));
      if (!v || *v < 1 || *v > INT64_MAX / 16) return ctx.Error(errors::kCountMustBePositive);
      count = *v;
    } else if (IEquals(ctx.arg(i), "JUSTID")) {
      justid = true;
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  Stream* s = nullptr;
  ConsumerGroup* g = GroupOrReply(ctx, &s);
  if (g == nullptr) return;
  if (count > kAutoClaimMaxCount) return ctx.Error(errors::kXAutoClaimCountTooHigh);
  Consumer& consumer = ClaimingConsumer(ctx, *g);

  // Examine at most COUNT x 10 pending entries from `start`, claiming the idle ones and dropping
  // those whose entry is gone, until COUNT is used up. The IDs are collected first (claiming
  // changes the PEL under a cursor), plus one more for the reply's cursor.
  int64_t attempts = count * 10;
  std::vector<StreamId> window;
  for (auto c = g->pel().LowerBound(*start); c.valid(); c.Next()) {
    window.push_back(c.record().id);
    if (static_cast<int64_t>(window.size()) > attempts) break;
  }
  std::string claimed_bytes;  // the claimed entries, written before their count is known
  resp::ReplyWriter claimed_reply(&claimed_bytes, ctx.reply.protocol());
  std::vector<StreamId> deleted;
  size_t claimed = 0, i = 0;
  for (; i < window.size() && static_cast<int64_t>(i) < attempts && count > 0; ++i) {
    StreamId id = window[i];
    auto rec = *g->FindPending(id);
    auto entry = s->Find(id);
    if (!entry) {
      g->Ack(id);
      PropagatePurge(ctx, ctx.arg(1), ctx.arg(2), consumer.name(), id);
      deleted.push_back(id);
      --count;
      continue;
    }
    if (!streams::IsUnowned(rec) && *min_idle > 0 && ctx.now_ms - rec.delivery_ms < *min_idle) {
      continue;
    }
    g->SetPending(id, consumer, ctx.now_ms,
                  justid ? rec.delivery_count : streams::NextDeliveryCount(rec.delivery_count));
    PropagateDelivery(ctx, ctx.arg(1), ctx.arg(2), *g, id);
    if (justid) {
      WriteStreamId(claimed_reply, id);
    } else {
      WriteEntry(claimed_reply, *entry);
    }
    consumer.set_active_ms(ctx.now_ms);
    ++claimed;
    --count;
  }
  auto& r = ctx.reply;
  r.Array(3);
  WriteStreamId(r, i < window.size() ? window[i] : StreamId::Min());  // where to go on
  r.Array(claimed);
  r.Raw(claimed_bytes);
  r.Array(deleted.size());
  for (StreamId id : deleted) WriteStreamId(r, id);
  PropagateConsumerTimes(ctx, ctx.arg(1), ctx.arg(2), consumer);
}

}  // namespace

void RegisterGroupCommands(std::vector<CommandSpec>& out) {
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  std::vector<CommandSpec> xgroup;
  xgroup.push_back(MakeCommand("create", -5, kW | kCmdCustomEffects, CmdXGroupCreate, 2, 2, 1,
                               "@write @stream @slow")
                       .KeyFlags("RW insert"));
  xgroup.push_back(MakeCommand("setid", -5, kCmdWrite | kCmdCustomEffects, CmdXGroupSetId, 2, 2, 1,
                               "@write @stream @slow"));
  xgroup.push_back(
      MakeCommand("destroy", 4, kCmdWrite, CmdXGroupDestroy, 2, 2, 1, "@write @stream @slow")
          .KeyFlags("RW delete"));
  xgroup.push_back(
      MakeCommand("createconsumer", 5, kW, CmdXGroupCreateConsumer, 2, 2, 1, "@write @stream @slow")
          .KeyFlags("RW insert"));
  xgroup.push_back(MakeCommand("delconsumer", 5, kCmdWrite, CmdXGroupDelConsumer, 2, 2, 1,
                               "@write @stream @slow")
                       .KeyFlags("RW delete"));
  xgroup.push_back(
      MakeCommand("help", 2, kCmdLoading | kCmdStale, CmdXGroupHelp, 0, 0, 0, "@stream @slow"));
  out.push_back(MakeContainer("xgroup", -2, 0, "@slow", std::move(xgroup)));
  out.push_back(
      MakeCommand("xack", -4, kCmdWrite | kCmdFast, CmdXAck, 1, 1, 1, "@write @stream @fast"));
  out.push_back(
      MakeCommand("xpending", -3, kCmdReadOnly, CmdXPending, 1, 1, 1, "@read @stream @slow")
          .Tips("nondeterministic_output"));
  out.push_back(MakeCommand("xclaim", -6, kCmdWrite | kCmdFast | kCmdCustomEffects, CmdXClaim, 1, 1,
                            1, "@write @stream @fast")
                    .Tips("nondeterministic_output"));
  // RW delete, as Redis declares it: XAUTOCLAIM drops deleted entries from the PEL.
  out.push_back(MakeCommand("xautoclaim", -6, kCmdWrite | kCmdFast | kCmdCustomEffects,
                            CmdXAutoClaim, 1, 1, 1, "@write @stream @fast")
                    .Tips("nondeterministic_output")
                    .KeyFlags("RW delete"));
}

}  // namespace runnel::server
