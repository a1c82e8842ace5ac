// SLOWLOG (GET, LEN, RESET, HELP) over the dispatcher's slow log (dispatch/slowlog.h), with
// redis-server's replies and errors.
#include <string>
#include <vector>

#include "commands/admin/register.h"
#include "dispatch/args.h"
#include "dispatch/dispatcher.h"
#include "dispatch/help.h"
#include "streams/numbers.h"

namespace runnel::commands {
namespace {

using dispatch::CommandContext;
using dispatch::CommandSpec;
namespace errors = dispatch::errors;

// SLOWLOG GET [count]: the newest `count` entries (default 10, -1 all), each as
// [id, unix time, µs, [args...], "ip:port", client name].
void CmdSlowlogGet(CommandContext& ctx) {
  if (ctx.argc() > 3) return ctx.Error(errors::SubcommandSyntax(ctx.args));
  int64_t count = 10;
  if (ctx.argc() == 3) {
    auto v = streams::ParseStrictInt64(ctx.arg(2));
    if (!v || *v < -1) return ctx.Error(errors::kSlowlogCount);
    count = *v;
  }
  const dispatch::SlowLog& log = ctx.dispatcher().slowlog();
  auto entries = log.Newest(count < 0 ? log.size() : static_cast<size_t>(count));
  ctx.reply.Array(entries.size());
  for (const dispatch::SlowLogEntry* e : entries) {
    ctx.reply.Array(6);
    ctx.reply.Integer(static_cast<int64_t>(e->id));
    ctx.reply.Integer(e->unix_s);
    ctx.reply.Integer(static_cast<int64_t>(e->usec));
    ctx.reply.Array(e->args.size());
    for (const std::string& a : e->args) ctx.reply.Bulk(a);
    ctx.reply.Bulk(e->addr);
    ctx.reply.Bulk(e->name);
  }
}

void CmdSlowlogLen(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.dispatcher().slowlog().size()));
}

void CmdSlowlogReset(CommandContext& ctx) {
  ctx.dispatcher().slowlog().Reset();
  ctx.reply.Ok();
}

void CmdSlowlogHelp(CommandContext& ctx) {
  dispatch::WriteHelp(
      ctx.reply, "SLOWLOG",
      {"GET [<count>]",
       "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
       "    Entries are made of:",
       "    id, timestamp, time in microseconds, arguments array, client IP and port,",
       "    client name",
       "LEN",
       "    Return the length of the slowlog.",
       "RESET",
       "    Reset the slowlog."});
}

}  // namespace

void RegisterSlowlogCommands(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  constexpr uint32_t kFlags = kCmdAdmin | kCmdLoading | kCmdStale;
  std::vector<CommandSpec> subs;
  subs.push_back({.name = "get",
                  .arity = -2,
                  .flags = kFlags,
                  .handler = CmdSlowlogGet,
                  .acl_categories = "@admin @slow @dangerous",
                  .tips = "request_policy:all_nodes nondeterministic_output"});
  subs.push_back({.name = "len",
                  .arity = 2,
                  .flags = kFlags,
                  .handler = CmdSlowlogLen,
                  .acl_categories = "@admin @slow @dangerous",
                  .tips = "request_policy:all_nodes response_policy:agg_sum "
                          "nondeterministic_output"});
  subs.push_back({.name = "reset",
                  .arity = 2,
                  .flags = kFlags,
                  .handler = CmdSlowlogReset,
                  .acl_categories = "@admin @slow @dangerous",
                  .tips = "request_policy:all_nodes response_policy:all_succeeded"});
  subs.push_back({.name = "help",
                  .arity = 2,
                  .flags = kCmdLoading | kCmdStale,
                  .handler = CmdSlowlogHelp,
                  .acl_categories = "@slow"});
  out.push_back(
      {.name = "slowlog", .arity = -2, .acl_categories = "@slow", .subcommands = std::move(subs)});
}

}  // namespace runnel::commands
