// Delayed entries: XADD ... DELAY / AT schedules (ScheduleEntry), XSCHEDULE lists and cancels.
// Runnel's extensions (docs/queues.md).
//
//   XSCHEDULE LIST key start end [COUNT count]
//       scheduled entries with handles in [start, end] in due order, in XRANGE's shape:
//       [[handle, [field, value ...]] ...]. start and end are handles ("due-seq"), due times
//       (a missing seq is 0 for start, the largest for end), "-", "+", or "(" and a handle
//       for an exclusive bound. A missing key is an empty list.
//   XSCHEDULE CANCEL key handle [handle ...]
//       removes the entries with those handles; replies how many were scheduled.
//   XSCHEDULE HELP
//
// A handle names a scheduled entry, never a stream entry: the entry gets its ID when it is
// appended.
#include <string>
#include <vector>

#include "commands/streams/register.h"
#include "commands/streams/schedule_cmds.h"
#include "commands/streams/stream_args.h"
#include "commands/streams/stream_reply.h"
#include "config/config.h"
#include "dispatch/args.h"
#include "dispatch/help.h"

namespace runnel::commands {

using dispatch::CommandContext;
using dispatch::CommandSpec;
using streams::Schedule;
using streams::StreamId;
namespace errors = dispatch::errors;

void ScheduleEntry(CommandContext& ctx, std::string_view key, streams::Stream* s, int64_t due_ms,
                   std::span<const std::string_view> fields) {
  bool created = s == nullptr;
  if (created) s = CreateStream(ctx, key);
  Schedule& schedule = s->mutable_schedule();
  StreamId handle = schedule.Add(due_ms, fields);
  ctx.effects().Schedule(key, handle, fields);
  if (created) LogNewStreamSettings(ctx, key, *s);
  // The index needs a filing only when the entry is its stream's earliest.
  if (schedule.NextDueMs() == due_ms) ctx.db().NoteScheduled(key, due_ms);
  ctx.Notify(config::kNotifyStream, "xschedule", key);
  ctx.Changed();
  ctx.db().NotifyChanged(key);
  WriteStreamId(ctx.reply, handle);
}

namespace {

void CmdXScheduleList(CommandContext& ctx) {
  auto start = IntervalIdOrReply(ctx, ctx.arg(3), true);
  if (!start) return;
  auto end = IntervalIdOrReply(ctx, ctx.arg(4), false);
  if (!end) return;
  int64_t count = 0;  // all
  bool count_given = false;
  if (ctx.argc() == 7 && dispatch::IEquals(ctx.arg(5), "COUNT")) {
    auto n = dispatch::IntArgOrReply(ctx, ctx.arg(6));
    if (!n) return;
    count = *n;
    count_given = true;
  } else if (ctx.argc() != 5) {
    return ctx.Error(errors::kSyntax);
  }
  auto found = StreamOrReply(ctx, ctx.arg(2));
  if (!found) return;
  const Schedule* schedule = *found != nullptr ? (*found)->schedule() : nullptr;
  if (schedule == nullptr || (count_given && count <= 0) || *end < *start) {
    return ctx.reply.Array(0);
  }
  std::vector<streams::ScheduledEntry> entries =
      schedule->Range(*start, *end, static_cast<size_t>(count));
  std::vector<std::string_view> fields;
  ctx.reply.Array(entries.size());
  for (const streams::ScheduledEntry& e : entries) {
    Schedule::DecodeFields(e.payload, &fields);
    ctx.reply.Array(2);
    WriteStreamId(ctx.reply, e.handle);
    ctx.reply.Array(fields.size());
    for (std::string_view f : fields) ctx.reply.Bulk(f);
  }
}

void CmdXScheduleCancel(CommandContext& ctx) {
  std::vector<StreamId> handles;
  for (size_t i = 3; i < ctx.argc(); ++i) {
    auto h = StrictIdOrReply(ctx, ctx.arg(i));
    if (!h) return;
    handles.push_back(*h);
  }
  auto found = StreamOrReply(ctx, ctx.arg(2));
  if (!found) return;
  streams::Stream* s = *found;
  std::vector<StreamId> cancelled;
  for (StreamId h : handles) {
    if (s != nullptr && s->schedule() != nullptr && s->mutable_schedule().Cancel(h)) {
      cancelled.push_back(h);
    }
  }
  if (!cancelled.empty()) {
    ctx.effects().Unschedule(ctx.arg(2), cancelled);
    ctx.Notify(config::kNotifyStream, "xunschedule", ctx.arg(2));
    ctx.Changed(cancelled.size());
    ctx.db().NotifyChanged(ctx.arg(2));
  }
  ctx.reply.Integer(static_cast<int64_t>(cancelled.size()));
}

void CmdXScheduleHelp(CommandContext& ctx) {
  dispatch::WriteHelp(
      ctx.reply, "XSCHEDULE",
      {"LIST <key> <start> <end> [COUNT <count>]",
       "    List the delayed entries of a stream (XADD ... DELAY/AT) with handles in",
       "    [start, end], in due order. Handles are <due-ms>-<seq>; '-', '+' and '(' work",
       "    as in XRANGE.", "CANCEL <key> <handle> [<handle> ...]",
       "    Cancel delayed entries; returns how many were scheduled."});
}

}  // namespace

void RegisterXScheduleCommands(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  const KeyPositions key2 = {2, 2, 1};
  std::vector<CommandSpec> sub;
  sub.push_back({.name = "list",
                 .arity = -5,
                 .flags = kCmdReadOnly,
                 .handler = CmdXScheduleList,
                 .keys = key2,
                 .acl_categories = "@read @stream @slow"});
  sub.push_back({.name = "cancel",
                 .arity = -4,
                 .flags = kCmdWrite | kCmdFast,
                 .handler = CmdXScheduleCancel,
                 .keys = key2,
                 .acl_categories = "@write @stream @fast"});
  sub.push_back({.name = "help",
                 .arity = 2,
                 .flags = kCmdLoading | kCmdStale,
                 .handler = CmdXScheduleHelp,
                 .acl_categories = "@stream @slow"});
  out.push_back(
      {.name = "xschedule", .arity = -2, .acl_categories = "@slow", .subcommands = std::move(sub)});
}

}  // namespace runnel::commands
