// CLIENT REPLY, NO-EVICT, NO-TOUCH, UNBLOCK, PAUSE, UNPAUSE and TRACKINGINFO: per-connection
// modes, the unblocking of another connection and the pausing of all, with redis-server's
// replies and errors. (Client-side caching is not implemented: TRACKINGINFO answers as Redis
// does with tracking off.)
#include <string>
#include <vector>

#include "commands/admin/register.h"
#include "dispatch/args.h"
#include "dispatch/dispatcher.h"
#include "streams/numbers.h"

namespace runnel::commands {
namespace {

using dispatch::Client;
using dispatch::CommandContext;
using dispatch::CommandSpec;
using dispatch::IEquals;
namespace errors = dispatch::errors;

// CLIENT REPLY ON|OFF|SKIP. Only ON answers; the dispatcher drops what OFF and SKIP silence.
void CmdClientReply(CommandContext& ctx) {
  std::string_view mode = ctx.arg(2);
  if (IEquals(mode, "ON")) {
    ctx.client().reply_mode = Client::ReplyMode::kOn;
    return ctx.reply.Ok();
  }
  if (IEquals(mode, "OFF")) {
    ctx.client().reply_mode = Client::ReplyMode::kOff;
  } else if (IEquals(mode, "SKIP")) {
    if (ctx.client().reply_mode == Client::ReplyMode::kOn) {
      ctx.client().reply_mode = Client::ReplyMode::kSkipNext;
    }
  } else {
    ctx.Error(errors::kSyntax);
  }
}

// CLIENT NO-EVICT / NO-TOUCH ON|OFF
void SetFlag(CommandContext& ctx, bool Client::*flag) {
  std::string_view v = ctx.arg(2);
  if (!IEquals(v, "ON") && !IEquals(v, "OFF")) return ctx.Error(errors::kSyntax);
  ctx.client().*flag = IEquals(v, "ON");
  ctx.reply.Ok();
}
void CmdClientNoEvict(CommandContext& ctx) { SetFlag(ctx, &Client::no_evict); }
void CmdClientNoTouch(CommandContext& ctx) { SetFlag(ctx, &Client::no_touch); }

// CLIENT UNBLOCK id [TIMEOUT|ERROR]: 1 when that client was blocked and now is not.
void CmdClientUnblock(CommandContext& ctx) {
  auto id = streams::ParseStrictInt64(ctx.arg(2));
  if (!id) return ctx.Error(errors::kNotInteger);
  bool as_error = false;
  if (ctx.argc() == 4) {
    if (IEquals(ctx.arg(3), "ERROR")) {
      as_error = true;
    } else if (!IEquals(ctx.arg(3), "TIMEOUT")) {
      return ctx.Error(errors::kUnblockReason);
    }
  } else if (ctx.argc() > 4) {
    return ctx.Error(errors::SubcommandSyntax(ctx.args));
  }
  Client* target = ctx.dispatcher().host().FindClient(static_cast<uint64_t>(*id));
  if (target == nullptr || !target->blocked) return ctx.reply.Integer(0);
  if (as_error) {
    ctx.dispatcher().command_stats().CountError(errors::kUnblocked);
    target->reply().Error(errors::kUnblocked);
  } else {
    target->reply().NullArray();  // as a timeout answers every blocking command
  }
  ctx.dispatcher().Unblock(*target);
  ctx.reply.Integer(1);
}

// CLIENT PAUSE timeout [WRITE|ALL]: the mode is checked before the timeout, as redis-server.
void CmdClientPause(CommandContext& ctx) {
  auto mode = dispatch::ClientPause::Mode::kAll;
  if (ctx.argc() == 4) {
    if (IEquals(ctx.arg(3), "WRITE")) {
      mode = dispatch::ClientPause::Mode::kWrite;
    } else if (!IEquals(ctx.arg(3), "ALL")) {
      return ctx.Error(errors::kPauseMode);
    }
  } else if (ctx.argc() > 4) {
    return ctx.Error(errors::SubcommandSyntax(ctx.args));
  }
  auto ms = dispatch::TimeoutMsArgOrReply(ctx, ctx.arg(2));
  if (!ms) return;
  ctx.dispatcher().Pause(mode, *ms);
  ctx.reply.Ok();
}

void CmdClientUnpause(CommandContext& ctx) {
  ctx.reply.Ok();  // first: EndPause may run held commands of this very client
  ctx.dispatcher().EndPause();
}

// With tracking off, as redis-server answers.
void CmdClientTrackingInfo(CommandContext& ctx) {
  ctx.reply.Map(3);
  ctx.reply.Bulk("flags");
  ctx.reply.Set(1);
  ctx.reply.Bulk("off");
  ctx.reply.Bulk("redirect");
  ctx.reply.Integer(-1);
  ctx.reply.Bulk("prefixes");
  ctx.reply.Array(0);
}

}  // namespace

void AddClientModeSubcommands(std::vector<CommandSpec>& client) {
  using namespace dispatch;  // NOLINT: the flag names
  constexpr uint32_t kConn = kCmdNoScript | kCmdLoading | kCmdStale;
  client.push_back({.name = "reply",
                    .arity = 3,
                    .flags = kConn,
                    .handler = CmdClientReply,
                    .acl_categories = "@slow @connection"});
  client.push_back({.name = "no-evict",
                    .arity = 3,
                    .flags = kCmdAdmin | kConn,
                    .handler = CmdClientNoEvict,
                    .acl_categories = "@admin @slow @dangerous @connection"});
  client.push_back({.name = "no-touch",
                    .arity = 3,
                    .flags = kConn,
                    .handler = CmdClientNoTouch,
                    .acl_categories = "@slow @connection"});
  client.push_back({.name = "unblock",
                    .arity = -3,
                    .flags = kCmdAdmin | kConn,
                    .handler = CmdClientUnblock,
                    .acl_categories = "@admin @slow @dangerous @connection"});
  client.push_back({.name = "pause",
                    .arity = -3,
                    .flags = kCmdAdmin | kConn,
                    .handler = CmdClientPause,
                    .acl_categories = "@admin @slow @dangerous @connection"});
  client.push_back({.name = "unpause",
                    .arity = 2,
                    .flags = kCmdAdmin | kConn,
                    .handler = CmdClientUnpause,
                    .acl_categories = "@admin @slow @dangerous @connection"});
  client.push_back({.name = "trackinginfo",
                    .arity = 2,
                    .flags = kConn,
                    .handler = CmdClientTrackingInfo,
                    .acl_categories = "@slow @connection"});
}

}  // namespace runnel::commands
