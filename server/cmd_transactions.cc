// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//
// Commands sent after MULTI are queued by the dispatcher (which answers +QUEUED, or an error
// that makes EXEC answer EXECABORT). EXEC runs the queue in one go, unless a WATCHed key
// changed (or reached its TTL) since WATCH, in which case it answers a null array. Inside EXEC
// nothing blocks: a read that would block answers as if it had timed out.
#include <vector>

#include "server/command_table.h"
#include "server/connection.h"
#include "server/errors.h"
#include "server/server.h"

namespace runnel::server {
namespace {

void EndTransaction(CommandContext& ctx) {
  ctx.conn.multi = MultiState{};
  ctx.server.UnwatchAll(ctx.conn);
}

// True when a key watched while alive has since passed its TTL (even if not yet deleted).
bool WatchedKeyExpired(CommandContext& ctx) {
  for (const auto& w : ctx.conn.watch.keys) {
    if (w.expired_at_watch) continue;
    auto* node = ctx.server.keyspace().db(w.db).Peek(w.key);
    if (node != nullptr && node->value.expire_ms >= 0 && node->value.expire_ms <= ctx.now_ms) {
      return true;
    }
  }
  return false;
}

void CmdMulti(CommandContext& ctx) {
  if (ctx.conn.multi.active) return ctx.Error(errors::kNestedMulti);
  ctx.conn.multi.active = true;
  ctx.reply.Ok();
}

void CmdDiscard(CommandContext& ctx) {
  if (!ctx.conn.multi.active) return ctx.Error(errors::kDiscardWithoutMulti);
  EndTransaction(ctx);
  ctx.reply.Ok();
}

void CmdExec(CommandContext& ctx) {
  Connection& c = ctx.conn;
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
  ctx.server.UnwatchAll(c);
  const size_t n = c.multi.queued.size();
  ctx.reply.Array(n);
  for (size_t i = 0; i < n; ++i) {
    const resp::ArgList& args = c.multi.queued[i];
    std::string error;
    const CommandSpec* spec = ctx.server.commands().Resolve(args, &error);
    if (spec == nullptr) {
      ctx.Error(error);  // cannot happen: it resolved when queued
      continue;
    }
    ctx.server.Call(c, *spec, args, /*in_exec=*/true, ctx.now_ms);  // one time for all
  }
  c.multi = MultiState{};
}

void CmdWatch(CommandContext& ctx) {
  Connection& c = ctx.conn;
  if (c.multi.active) return ctx.Error(errors::kWatchInsideMulti);
  for (size_t i = 1; i < ctx.argc(); ++i) {
    std::string_view key = ctx.arg(i);
    bool already = false;
    for (const auto& w : c.watch.keys) already |= w.db == c.db && w.key == key;
    if (already) continue;
    auto* node = ctx.db().Peek(key);
    bool expired =
        node != nullptr && node->value.expire_ms >= 0 && node->value.expire_ms <= ctx.now_ms;
    c.watch.keys.push_back({c.db, std::string(key), expired});
    ctx.server.watches().Watch(c.id(), c.db, key);
  }
  ctx.reply.Ok();
}

void CmdUnwatch(CommandContext& ctx) {
  ctx.server.UnwatchAll(ctx.conn);
  ctx.reply.Ok();
}

}  // namespace

void RegisterTransactionCommands(std::vector<CommandSpec>& out) {
  constexpr uint32_t kTx = kCmdNoScript | kCmdLoading | kCmdStale | kCmdFast | kCmdAllowBusy;
  out.push_back(MakeCommand("multi", 1, kTx, CmdMulti, 0, 0, 0, "@fast @transaction"));
  out.push_back(MakeCommand("exec", 1, kCmdNoScript | kCmdLoading | kCmdStale | kCmdSkipSlowlog,
                            CmdExec, 0, 0, 0, "@slow @transaction"));
  out.push_back(MakeCommand("discard", 1, kTx, CmdDiscard, 0, 0, 0, "@fast @transaction"));
  out.push_back(
      MakeCommand("watch", -2, kTx, CmdWatch, 1, -1, 1, "@fast @transaction").KeyFlags("RO"));
  out.push_back(MakeCommand("unwatch", 1, kTx, CmdUnwatch, 0, 0, 0, "@fast @transaction"));
}

}  // namespace runnel::server
