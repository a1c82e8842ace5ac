// XNACK (Redis 8.8): a consumer gives pending entries back without acknowledging them.
//
//   XNACK key group <SILENT | FAIL | FATAL> IDS numids id [id ...] [RETRYCOUNT n] [FORCE]
//
// Each pending ID named loses its owner and joins the back of the group's NACK zone
// (consumer_group.h), where XREADGROUP CLAIM finds it before any idle entry; XCLAIM and
// XAUTOCLAIM take it whatever their min-idle-time. The mode says what happened to the
// delivery: SILENT did not count (one delivery less), FAIL counts as tried (unchanged), FATAL
// is hopeless (the count becomes the maximum, so retry limits see it at once). RETRYCOUNT
// sets the count instead. FORCE also releases IDs that are not pending, if the stream still
// holds them. The reply is how many IDs were released.
//
// Checks run in Redis's order: the key's type, the key and group (NOGROUP), the mode, the
// options, then every ID, before anything changes. The release rule is streams/group_ops.h's
// Release; each released ID is logged with the count it got (group_log.h).
#include <cstdint>
#include <vector>

#include "commands/streams/dead_letters.h"
#include "commands/streams/group_log.h"
#include "commands/streams/register.h"
#include "commands/streams/stream_args.h"
#include "dispatch/args.h"
#include "streams/group_ops.h"

namespace runnel::commands {
namespace {

using dispatch::ArgParser;
using dispatch::CommandContext;
using dispatch::CommandSpec;
using dispatch::IEquals;
using streams::ConsumerGroup;
using streams::NackMode;
using streams::Stream;
using streams::StreamId;
namespace errors = dispatch::errors;

struct NackArgs {
  streams::ReleaseRule rule;
  size_t ids_at = 0;  // 0 = no IDS block
  size_t numids = 0;
};

bool ParseMode(CommandContext& ctx, std::string_view text, NackMode* mode) {
  if (IEquals(text, "SILENT")) {
    *mode = NackMode::kSilent;
  } else if (IEquals(text, "FAIL")) {
    *mode = NackMode::kFail;
  } else if (IEquals(text, "FATAL")) {
    *mode = NackMode::kFatal;
  } else {
    ctx.Error(errors::kXNackMode);
    return false;
  }
  return true;
}

// The options after the mode, in any order. A second IDS block replaces the first.
bool ParseOptions(CommandContext& ctx, NackArgs* a) {
  ArgParser p(ctx, 4);
  while (p.HasNext()) {
    if (p.Check("IDS", 1)) {
      auto n = streams::ParseStrictInt64(p.Next());
      if (!n || *n < 1 || *n > INT32_MAX) {
        p.Fail(errors::kXNackNumIds);
      } else if (static_cast<uint64_t>(*n) > ctx.argc() - p.pos()) {
        p.Fail(errors::kXNackNumIdsMismatch);
      } else {
        a->ids_at = p.pos();
        a->numids = static_cast<size_t>(*n);
        for (size_t k = 0; k < a->numids; ++k) p.Next();
      }
    } else if (p.Check("RETRYCOUNT", 1)) {
      a->rule.retry_count = p.Int();
      if (p.ok() && a->rule.retry_count < 0) p.Fail(errors::kXNackRetryCount);
    } else if (p.Check("FORCE")) {
      a->rule.force = true;
    } else {
      p.Fail(errors::UnrecognizedXNackOption(ctx.arg(p.pos())));
    }
  }
  if (!p.Finish()) return false;
  if (a->ids_at == 0) {
    ctx.Error(errors::kXNackNeedsIds);
    return false;
  }
  return true;
}

void CmdXNack(CommandContext& ctx) {
  auto found = StreamOrReply(ctx, ctx.arg(1));
  if (!found) return;
  Stream* s = *found;
  ConsumerGroup* g = s != nullptr ? s->FindGroup(ctx.arg(2)) : nullptr;
  if (g == nullptr) return ctx.Error(errors::NoGroup(ctx.arg(1), ctx.arg(2)));
  NackArgs a;
  if (!ParseMode(ctx, ctx.arg(3), &a.rule.mode) || !ParseOptions(ctx, &a)) return;
  std::vector<StreamId> ids;
  for (size_t i = 0; i < a.numids; ++i) {
    auto id = StrictIdOrReply(ctx, ctx.arg(a.ids_at + i));
    if (!id) return;  // nothing is released if one ID is malformed
    ids.push_back(*id);
  }
  DeadLetterWriter dead_letters(ctx, ctx.arg(1));
  a.rule.dead_letters = &dead_letters;
  streams::GroupChanges changes;
  for (StreamId id : ids) streams::Release(*s, *g, id, a.rule, ctx.now_ms, &changes);
  size_t released = changes.released.size() + changes.dead_lettered.size();
  // A change of the key: WATCHers fail, and blocked XREADGROUP CLAIM readers look again.
  if (released > 0) ctx.db().NotifyChanged(ctx.arg(1));
  LogGroupChanges(ctx, ctx.arg(1), *g, changes);
  ctx.Changed(released);
  ctx.reply.Integer(static_cast<int64_t>(released));
}

}  // namespace

void RegisterXNackCommand(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  out.push_back({.name = "xnack",
                 .arity = -7,
                 .flags = kCmdWrite | kCmdFast,
                 .handler = CmdXNack,
                 .keys = {1, 1, 1},
                 .acl_categories = "@write @stream @fast"});
}

}  // namespace runnel::commands
