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
// options, then every ID, before anything changes. The command is logged as sent: given the
// same state it does the same thing, and it reads no clock.
#include <cstdint>
#include <vector>

#include "server/arg_util.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/server.h"
#include "server/stream_args.h"

namespace runnel::server {
namespace {

using streams::ConsumerGroup;
using streams::Stream;
using streams::StreamId;

enum class NackMode { kSilent, kFail, kFatal };

struct NackArgs {
  NackMode mode = NackMode::kFail;
  size_t ids_at = 0;  // 0 = no IDS block
  size_t numids = 0;
  int64_t retry_count = -1;  // -1 = by mode
  bool force = false;
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

// The options after the mode, in any order.
bool ParseOptions(CommandContext& ctx, NackArgs* a) {
  for (size_t i = 4; i < ctx.argc(); ++i) {
    std::string_view opt = ctx.arg(i);
    bool more = i + 1 < ctx.argc();
    if (IEquals(opt, "IDS") && more) {
      auto n = streams::ParseStrictInt64(ctx.arg(i + 1));
      if (!n || *n < 1 || *n > INT32_MAX) {
        ctx.Error(errors::kXNackNumIds);
        return false;
      }
      if (static_cast<uint64_t>(*n) > ctx.argc() - i - 2) {
        ctx.Error(errors::kXNackNumIdsMismatch);
        return false;
      }
      a->ids_at = i + 2;
      a->numids = static_cast<size_t>(*n);
      i += 1 + a->numids;
    } else if (IEquals(opt, "RETRYCOUNT") && more) {
      auto v = IntArgOrReply(ctx, ctx.arg(++i));
      if (!v) return false;
      if (*v < 0) {
        ctx.Error(errors::kXNackRetryCount);
        return false;
      }
      a->retry_count = *v;
    } else if (IEquals(opt, "FORCE")) {
      a->force = true;
    } else {
      ctx.Error(errors::UnrecognizedXNackOption(opt));
      return false;
    }
  }
  if (a->ids_at == 0) {
    ctx.Error(errors::kXNackNeedsIds);
    return false;
  }
  return true;
}

// The delivery count a released entry keeps, from the one it had (0 if it was not pending).
uint64_t CountAfter(const NackArgs& a, uint64_t count) {
  if (a.retry_count >= 0) return static_cast<uint64_t>(a.retry_count);
  switch (a.mode) {
    case NackMode::kSilent:
      return count > 0 ? count - 1 : 0;
    case NackMode::kFail:
      return count;
    case NackMode::kFatal:
      return INT64_MAX;
  }
  return count;
}

void CmdXNack(CommandContext& ctx) {
  auto found = StreamOrReply(ctx, ctx.arg(1));
  if (!found) return;
  Stream* s = *found;
  ConsumerGroup* g = s != nullptr ? s->FindGroup(ctx.arg(2)) : nullptr;
  if (g == nullptr) return ctx.Error(errors::NoGroup(ctx.arg(1), ctx.arg(2)));
  NackArgs a;
  if (!ParseMode(ctx, ctx.arg(3), &a.mode) || !ParseOptions(ctx, &a)) return;
  std::vector<StreamId> ids;
  for (size_t i = 0; i < a.numids; ++i) {
    auto id = StrictIdOrReply(ctx, ctx.arg(a.ids_at + i));
    if (!id) return;  // nothing is released if one ID is malformed
    ids.push_back(*id);
  }
  int64_t released = 0;
  for (StreamId id : ids) {
    auto pending = g->FindPending(id);
    // Only FORCE releases an ID that is not pending, and only one the stream still holds.
    if (!pending && !(a.force && s->Find(id))) continue;
    g->Release(id, CountAfter(a, pending ? pending->delivery_count : 0));
    ++released;
  }
  // A change of the key: WATCHers fail, and blocked XREADGROUP CLAIM readers look again.
  if (released > 0) ctx.db().NotifyChanged(ctx.arg(1));
  ctx.reply.Integer(released);
}

}  // namespace

void RegisterXNackCommand(std::vector<CommandSpec>& out) {
  out.push_back(
      MakeCommand("xnack", -7, kCmdWrite | kCmdFast, CmdXNack, 1, 1, 1, "@write @stream @fast"));
}

}  // namespace runnel::server
