// MONITOR: from now on the connection is sent a line for every command the server runs
// (dispatch/monitor.h has the format; the dispatcher decides what is fed). As in redis-server,
// a monitor may still send commands that leave the keyspace alone (PING, INFO, CLIENT ...);
// RESET or closing the connection ends monitoring.
#include <vector>

#include "commands/admin/register.h"
#include "dispatch/dispatcher.h"
#include "dispatch/errors.h"

namespace runnel::commands {
namespace {

using dispatch::CommandContext;
namespace errors = dispatch::errors;

void CmdMonitor(CommandContext& ctx) {
  // Each command of a transaction expects one reply in EXEC's array; a feed has no end.
  if (ctx.in_exec) return ctx.Error(errors::kMonitorInMulti);
  if (ctx.client().monitor) return;  // already monitoring: no reply, as redis-server
  ctx.dispatcher().StartMonitoring(ctx.client());
  ctx.reply.Ok();
}

}  // namespace

void RegisterMonitorCommand(std::vector<dispatch::CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  out.push_back({.name = "monitor", .arity = 1,
                 .flags = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale,
                 .handler = CmdMonitor, .acl_categories = "@admin @slow @dangerous"});
}

}  // namespace runnel::commands
