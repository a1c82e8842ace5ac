// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//
// Commands sent after MULTI are queued by the dispatcher (which answers +QUEUED, or an error
// that makes EXEC answer EXECABORT). EXEC runs the queue in one go, unless a WATCHed key
// changed (or reached its TTL) since WATCH, in which case it answers a null array. Inside EXEC
// nothing blocks: a read that would block answers as if it had timed out.
#include <vector>

#include "commands/keys/register.h"
#include "dispatch/dispatcher.h"
#include "dispatch/errors.h"

namespace runnel::commands {
namespace {

using dispatch::Client;
using dispatch::CommandContext;
using dispatch::CommandSpec;
namespace errors = dispatch::errors;

void EndTransaction(CommandContext& ctx) {
  ctx.client().multi = dispatch::MultiState{};
  ctx.dispatcher().UnwatchAll(ctx.client());
}

// True when a key watched while alive has since passed its TTL (even if not yet deleted).
bool WatchedKeyExpired(CommandContext& ctx) {
  for (const auto& w : ctx.client().watch.keys) {
    if (w.expired_at_watch) continue;
    auto* node = ctx.keyspace().db(w.db).Peek(w.key);
    if (node != nullptr && node->value.expire_ms >= 0 && node->value.expire_ms <= ctx.now_ms) {
      return true;
    }
  }
  return false;
}

void CmdMulti(CommandContext& ctx) {
  if (ctx.client().multi.active) return ctx.Error(errors::kNestedMulti);
  ctx.client().multi.active = true;
  ctx.reply.Ok();
}

void CmdDiscard(CommandContext& ctx) {
  if (!ctx.client().multi.active) return ctx.Error(errors::kDiscardWithoutMulti);
  EndTransaction(ctx);
  ctx.reply.Ok();
}

void CmdExec(CommandContext& ctx) {
  Client& c = ctx.client();
  if (!c.multi.active) return ctx.Error(errors::kExecWithoutMulti);
  if (c.multi.aborted) {
    EndTransaction(ctx);
    return ctx.Error(errors::kExecAbort);
  }
  if (c.watch.dirty || WatchedKeyExpired(ctx)) {
    EndTransaction(ctx);
    return ctx.reply.NullArray();
  }
  // The transaction stays visible while it runs (CLIENT LIST shows flag x and the queue, as
  // in Redis); nothing a queued command does can queue more or end it, since MULTI, EXEC,
  // DISCARD, WATCH and RESET are never queued.
  ctx.dispatcher().UnwatchAll(c);
  const size_t n = c.multi.queued.size();
  ctx.reply.Array(n);
  for (size_t i = 0; i < n; ++i) {
    const resp::ArgList& args = c.multi.queued[i];
    std::string error;
    const CommandSpec* spec = ctx.dispatcher().commands().Resolve(args, &error);
    if (spec == nullptr) {
      c.reply().Error(error);  // cannot happen: it resolved when queued
      continue;
    }
    // The user may have lost the right since the command queued (ACL SETUSER meanwhile).
    if (!ctx.dispatcher().PermittedInExec(c, *spec, args)) continue;
    ctx.dispatcher().Call(c, *spec, args, /*in_exec=*/true, ctx.now_ms);  // one time for all
  }
  c.multi = dispatch::MultiState{};
}

void CmdWatch(CommandContext& ctx) {
  if (ctx.client().multi.active) return ctx.Error(errors::kWatchInsideMulti);
  for (size_t i = 1; i < ctx.argc(); ++i)
    ctx.dispatcher().Watch(ctx.client(), ctx.arg(i), ctx.now_ms);
  ctx.reply.Ok();
}

void CmdUnwatch(CommandContext& ctx) {
  ctx.dispatcher().UnwatchAll(ctx.client());
  ctx.reply.Ok();
}

}  // namespace

void RegisterTransactionCommands(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  constexpr uint32_t kTx = kCmdNoScript | kCmdLoading | kCmdStale | kCmdFast | kCmdAllowBusy;
  out.push_back({.name = "multi",
                 .arity = 1,
                 .flags = kTx,
                 .handler = CmdMulti,
                 .acl_categories = "@fast @transaction"});
  out.push_back({.name = "exec",
                 .arity = 1,
                 .flags = kCmdNoScript | kCmdLoading | kCmdStale | kCmdSkipSlowlog,
                 .handler = CmdExec,
                 .acl_categories = "@slow @transaction"});
  out.push_back({.name = "discard",
                 .arity = 1,
                 .flags = kTx,
                 .handler = CmdDiscard,
                 .acl_categories = "@fast @transaction"});
  out.push_back({.name = "watch",
                 .arity = -2,
                 .flags = kTx,
                 .handler = CmdWatch,
                 .keys = {1, -1, 1},
                 .acl_categories = "@fast @transaction",
                 .key_flags = "RO"});
  out.push_back({.name = "unwatch",
                 .arity = 1,
                 .flags = kTx,
                 .handler = CmdUnwatch,
                 .acl_categories = "@fast @transaction"});
}

}  // namespace runnel::commands
