// Consumer groups and their pending entries: XGROUP (CREATE, SETID, DESTROY, CREATECONSUMER,
// DELCONSUMER, HELP), XACK and XPENDING, with current Redis's semantics (see
// ../shared/reference/redis-streams.md). XCLAIM and XAUTOCLAIM are in cmd_claims.cc.
#include <string>
#include <vector>

#include "commands/streams/group_log.h"
#include "commands/streams/register.h"
#include "commands/streams/stream_args.h"
#include "commands/streams/stream_reply.h"
#include "config/config.h"
#include "dispatch/args.h"
#include "dispatch/help.h"
#include "streams/group_ops.h"

namespace runnel::commands {
namespace {

using dispatch::ArgParser;
using dispatch::CommandContext;
using dispatch::CommandSpec;
using dispatch::IEquals;
using streams::Consumer;
using streams::ConsumerGroup;
using streams::Stream;
using streams::StreamId;
namespace errors = dispatch::errors;

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
  ArgParser p(ctx, 5);
  while (p.HasNext()) {
    if (create && p.Check("MKSTREAM")) {
      t->mkstream = true;
    } else if ((create || setid) && p.Check("ENTRIESREAD", 1)) {
      t->entries_read = p.Int();
      if (p.ok() && t->entries_read < 0 && t->entries_read != streams::kUnknownEntriesRead) {
        p.Fail(errors::kEntriesReadInvalid);
      }
    } else {
      p.Fail(errors::SubcommandSyntax(ctx.args));
    }
  }
  if (!p.Finish()) return false;
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
  return IdOrReply(ctx, ctx.arg(4), {.strict = strict});
}

void CmdXGroupCreate(CommandContext& ctx) {
  XGroupTarget t;
  if (!PrepareXGroup(ctx, false, &t)) return;
  if (ctx.argc() > 8) return ctx.Error(errors::SubcommandSyntax(ctx.args));
  auto id = GroupIdOrReply(ctx, t.stream, true);
  if (!id) return;
  if (t.stream != nullptr && t.stream->FindGroup(ctx.arg(3)) != nullptr) {
    return ctx.Error(errors::kBusyGroup);
  }
  bool created = t.stream == nullptr;
  if (created) t.stream = CreateStream(ctx, ctx.arg(2));
  ConsumerGroup* g =
      t.stream->CreateGroup(ctx.arg(3), *id, ClampEntriesRead(*t.stream, t.entries_read));
  // Logged with the concrete ID "$" stood for; MKSTREAM is harmless when the key exists.
  ctx.effects().GroupCreate(ctx.arg(2), *g);
  if (created) LogNewStreamSettings(ctx, ctx.arg(2), *t.stream);
  ctx.Notify(config::kNotifyStream, "xgroup-create", ctx.arg(2));
  ctx.Changed();
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
  ctx.effects().GroupPosition(ctx.arg(2), *t.group);
  ctx.Notify(config::kNotifyStream, "xgroup-setid", ctx.arg(2));
  ctx.Changed();
  ctx.reply.Ok();
}

void CmdXGroupDestroy(CommandContext& ctx) {
  XGroupTarget t;
  if (!PrepareXGroup(ctx, false, &t)) return;
  if (t.group == nullptr) return ctx.reply.Integer(0);
  t.stream->DestroyGroup(ctx.arg(3));
  // Wake blocked XREADGROUPs, which re-run and answer NOGROUP. Only that: as in Redis, dropping
  // a group is not a change of the key for WATCH (NotifyChanged would fail WATCHers' EXEC).
  ctx.WakeReaders(ctx.arg(2));
  ctx.effects().GroupDestroy(ctx.arg(2), ctx.arg(3));
  ctx.Notify(config::kNotifyStream, "xgroup-destroy", ctx.arg(2));
  ctx.Changed();
  ctx.reply.Integer(1);
}

void CmdXGroupCreateConsumer(CommandContext& ctx) {
  XGroupTarget t;
  if (!PrepareXGroup(ctx, true, &t)) return;
  bool created = t.group->GetOrCreateConsumer(ctx.arg(4), ctx.now_ms).second;
  if (created) {
    ctx.effects().ConsumerCreate(ctx.arg(2), ctx.arg(3), ctx.arg(4));
    ctx.Notify(config::kNotifyStream, "xgroup-createconsumer", ctx.arg(2));
    ctx.Changed();
  }
  ctx.reply.Integer(created ? 1 : 0);
}

void CmdXGroupDelConsumer(CommandContext& ctx) {
  XGroupTarget t;
  if (!PrepareXGroup(ctx, true, &t)) return;
  auto dropped = t.group->DeleteConsumer(ctx.arg(4));
  if (dropped) {
    ctx.effects().ConsumerDelete(ctx.arg(2), ctx.arg(3), ctx.arg(4));
    ctx.Notify(config::kNotifyStream, "xgroup-delconsumer", ctx.arg(2));
    ctx.Changed();
    // Under MAXPENDING the consumer's blocked reader (if any) starts again with nothing pending.
    if (*dropped > 0 && t.group->policy().max_pending > 0) ctx.WakeReaders(ctx.arg(2));
  }
  ctx.reply.Integer(static_cast<int64_t>(dropped.value_or(0)));
}

void CmdXGroupHelp(CommandContext& ctx) {
  dispatch::WriteHelp(
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
  streams::GroupChanges changes;
  for (StreamId id : ids) streams::Acknowledge(*g, id, &changes);
  LogGroupChanges(ctx, ctx.arg(1), *g, changes);
  ctx.Changed(changes.acked.size());
  ctx.reply.Integer(static_cast<int64_t>(changes.acked.size()));
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
  using dispatch::IntArgOrReply;
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
    if (!streams::Claimable(rec, ctx.now_ms, q.min_idle)) return;
    int64_t idle =
        streams::IsUnowned(rec) ? -1 : std::max<int64_t>(ctx.now_ms - rec.delivery_ms, 0);
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

}  // namespace

void RegisterGroupCommands(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  const KeyPositions key2 = {2, 2, 1};
  std::vector<CommandSpec> xgroup;
  xgroup.push_back({.name = "create",
                    .arity = -5,
                    .flags = kW,
                    .handler = CmdXGroupCreate,
                    .keys = key2,
                    .acl_categories = "@write @stream @slow",
                    .key_flags = "RW insert"});
  xgroup.push_back({.name = "setid",
                    .arity = -5,
                    .flags = kCmdWrite,
                    .handler = CmdXGroupSetId,
                    .keys = key2,
                    .acl_categories = "@write @stream @slow"});
  xgroup.push_back({.name = "destroy",
                    .arity = 4,
                    .flags = kCmdWrite,
                    .handler = CmdXGroupDestroy,
                    .keys = key2,
                    .acl_categories = "@write @stream @slow",
                    .key_flags = "RW delete"});
  xgroup.push_back({.name = "createconsumer",
                    .arity = 5,
                    .flags = kW,
                    .handler = CmdXGroupCreateConsumer,
                    .keys = key2,
                    .acl_categories = "@write @stream @slow",
                    .key_flags = "RW insert"});
  xgroup.push_back({.name = "delconsumer",
                    .arity = 5,
                    .flags = kCmdWrite,
                    .handler = CmdXGroupDelConsumer,
                    .keys = key2,
                    .acl_categories = "@write @stream @slow",
                    .key_flags = "RW delete"});
  xgroup.push_back({.name = "help",
                    .arity = 2,
                    .flags = kCmdLoading | kCmdStale,
                    .handler = CmdXGroupHelp,
                    .acl_categories = "@stream @slow"});
  AddXGroupPolicySubcommands(xgroup);
  out.push_back(
      {.name = "xgroup", .arity = -2, .acl_categories = "@slow", .subcommands = std::move(xgroup)});
  out.push_back({.name = "xack",
                 .arity = -4,
                 .flags = kCmdWrite | kCmdFast,
                 .handler = CmdXAck,
                 .keys = {1, 1, 1},
                 .acl_categories = "@write @stream @fast"});
  out.push_back({.name = "xpending",
                 .arity = -3,
                 .flags = kCmdReadOnly,
                 .handler = CmdXPending,
                 .keys = {1, 1, 1},
                 .acl_categories = "@read @stream @slow",
                 .tips = "nondeterministic_output"});
}

}  // namespace runnel::commands
