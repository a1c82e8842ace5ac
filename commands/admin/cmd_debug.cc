// DEBUG, behind enable-debug-command (no | yes | local, default no, as in Redis 7): the
// subcommands tests use to exercise persistence and expiry the way Redis's own tests do.
//
//   RELOAD [NOSAVE]     save the snapshot (unless NOSAVE), then load it in place of the data
//   LOADAOF             write and fsync the log, then load its whole history in place
//   SLEEP <seconds>     stop the server (decimals allowed)
//   SET-ACTIVE-EXPIRE <0|1>, OBJECT <key>, ERROR <string>, LOG <message>, HELP
//
// Replies and errors are redis-server's, except where Redis accepts nonsense: SLEEP and
// SET-ACTIVE-EXPIRE read "x" as 0 in Redis, and Runnel refuses it; RELOAD MERGE and NOFLUSH,
// which load into the live data, are refused (Runnel loads a snapshot only as a whole); and
// LOADAOF with appendonly off, on which redis-server 7.0 exits, is refused.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "commands/admin/register.h"
#include "dispatch/args.h"
#include "dispatch/dispatcher.h"
#include "dispatch/help.h"
#include "dispatch/object_info.h"
#include "streams/numbers.h"

namespace runnel::commands {
namespace {

using dispatch::CommandContext;
using dispatch::CommandSpec;
using dispatch::IEquals;
namespace errors = dispatch::errors;

// The longest DEBUG SLEEP: the server answers nobody meanwhile.
constexpr double kMaxSleepSeconds = 3600;

void DebugHelp(CommandContext& ctx) {
  dispatch::WriteHelp(
      ctx.reply, "DEBUG",
      {"ERROR <string>",
       "    Return a Redis protocol error with <string> as message. Useful for clients",
       "    unit tests to simulate Redis errors.",
       "LOG <message>",
       "    Write <message> to the server log.",
       "LOADAOF",
       "    Flush the AOF buffers on disk and reload the AOF in memory.",
       "OBJECT <key>",
       "    Show low level info about `key` and associated value.",
       "RELOAD [option ...]",
       "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
       "    * NOSAVE: the database will be loaded from an existing RDB file.",
       "    Examples:",
       "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
       "      the database.",
       "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
       "      existing RDB file.",
       "SET-ACTIVE-EXPIRE <0|1>",
       "    Setting it to 0 disables expiring keys in background when they are not",
       "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
       "    default.",
       "SLEEP <seconds>",
       "    Stop the server for <seconds>. Decimals allowed."});
}

void DebugReload(CommandContext& ctx) {
  bool nosave = false;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    if (IEquals(ctx.arg(i), "NOSAVE")) {
      nosave = true;
    } else if (IEquals(ctx.arg(i), "MERGE") || IEquals(ctx.arg(i), "NOFLUSH")) {
      return ctx.Error(errors::kReloadMergeUnsupported);
    } else {
      return ctx.Error(errors::kReloadOptions);
    }
  }
  std::string error;
  if (!ctx.admin().Reload(/*from_log=*/false, nosave, &error)) return ctx.Error(error);
  ctx.reply.Ok();
}

void DebugLoadAof(CommandContext& ctx) {
  // The transaction's earlier effects would be written as a record of their own.
  if (ctx.in_exec) return ctx.Error(errors::kLoadAofInExec);
  std::string error;
  if (!ctx.admin().Reload(/*from_log=*/true, false, &error)) return ctx.Error(error);
  ctx.reply.Ok();
}

void DebugSleep(CommandContext& ctx) {
  auto seconds = streams::ParseDouble(ctx.arg(2));
  if (!seconds || !std::isfinite(*seconds) || *seconds < 0 || *seconds > kMaxSleepSeconds) {
    return ctx.Error(errors::kDebugSleepRange);
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(*seconds));
  ctx.reply.Ok();
}

void DebugSetActiveExpire(CommandContext& ctx) {
  std::string_view v = ctx.arg(2);
  if (v != "0" && v != "1") return ctx.Error(errors::kDebugActiveExpireValue);
  ctx.dispatcher().set_active_expire(v == "1");
  ctx.reply.Ok();
}

// As redis-server formats it. serializedlength is what the value's payload takes here (a
// string's bytes, a stream's entry blocks), not Redis's RDB encoding of it. As in Redis, the key
// as stored: one past its TTL is shown, and not expired by the look.
void DebugObject(CommandContext& ctx) {
  const streams::Database::Node* node = ctx.db().Peek(ctx.arg(2));
  if (node == nullptr) return ctx.Error(errors::kNoSuchKey);
  const streams::Value& v = node->value.value;
  size_t serialized = 0;
  if (const std::string* s = v.string()) {
    serialized = s->size();
  } else {
    v.stream()->blocks().ForEach([&](const streams::Stream::BlockTree::Entry& e) {
      serialized += e.value->bytes();
    });
  }
  const uint32_t access = node->value.access_s;
  const int64_t idle = std::max<int64_t>(ctx.now_ms / 1000 - access, 0);
  char address[32];
  std::snprintf(address, sizeof address, "%p", static_cast<const void*>(&v));
  ctx.reply.Simple("Value at:" + std::string(address) +
                   " refcount:" + std::to_string(dispatch::ObjectRefCount(node->value)) +
                   " encoding:" + std::string(dispatch::ObjectEncoding(node->value)) +
                   " serializedlength:" + std::to_string(serialized) +
                   " lru:" + std::to_string(access & ((1U << 24) - 1)) +
                   " lru_seconds_idle:" + std::to_string(idle));
}

// enable-debug-command is checked by the dispatcher, before MULTI queues (Dispatcher::Run).
void CmdDebug(CommandContext& ctx) {
  std::string_view sub = ctx.arg(1);
  const size_t n = ctx.argc();
  if (n == 2 && IEquals(sub, "HELP")) return DebugHelp(ctx);
  if (n >= 2 && IEquals(sub, "RELOAD")) return DebugReload(ctx);
  if (n == 2 && IEquals(sub, "LOADAOF")) return DebugLoadAof(ctx);
  if (n == 3 && IEquals(sub, "SLEEP")) return DebugSleep(ctx);
  if (n == 3 && IEquals(sub, "SET-ACTIVE-EXPIRE")) return DebugSetActiveExpire(ctx);
  if (n == 3 && IEquals(sub, "OBJECT")) return DebugObject(ctx);
  if (n == 3 && IEquals(sub, "ERROR")) return ctx.Error(ctx.arg(2));
  if (n == 3 && IEquals(sub, "LOG")) {
    ctx.Warn("DEBUG LOG: " + std::string(ctx.arg(2)));
    return ctx.reply.Ok();
  }
  ctx.Error(errors::SubcommandSyntax(ctx.args));
}

}  // namespace

void RegisterDebugCommand(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  out.push_back({.name = "debug",
                 .arity = -2,
                 .flags = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale,
                 .handler = CmdDebug,
                 .acl_categories = "@admin @slow @dangerous"});
}

}  // namespace runnel::commands
