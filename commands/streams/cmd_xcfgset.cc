// XCFGSET (Redis 8.6): a stream's idempotent-production settings.
//
//   XCFGSET key [IDMP-DURATION seconds] [IDMP-MAXSIZE count]
//
// The key must hold a stream. Changing either value forgets every producer's iids (the
// counters stay); setting the values a stream already has changes nothing and is not logged,
// so producers can call it on every start. Checks run in Redis's order: the key, then each
// parameter as it comes, then that at least one was given.
#include <optional>
#include <vector>

#include "commands/streams/register.h"
#include "commands/streams/stream_args.h"
#include "dispatch/args.h"

namespace runnel::commands {
namespace {

using dispatch::CommandContext;
using dispatch::CommandSpec;
using dispatch::IEquals;
using dispatch::IntArgOrReply;
namespace errors = dispatch::errors;

// One parameter's value: a strict integer within [1, max], else the Redis error.
std::optional<int64_t> SettingOrReply(CommandContext& ctx, std::string_view text, int64_t max,
                                      std::string_view range_error) {
  auto v = IntArgOrReply(ctx, text);
  if (!v) return std::nullopt;
  if (*v < 1 || *v > max) {
    ctx.Error(range_error);
    return std::nullopt;
  }
  return v;
}

void CmdXCfgSet(CommandContext& ctx) {
  auto found = StreamOrReply(ctx, ctx.arg(1));
  if (!found) return;
  if (*found == nullptr) return ctx.Error(errors::kNoSuchKey);
  streams::Stream& s = **found;
  streams::IdmpConfig config = s.idmp_config();
  bool duration_given = false, maxsize_given = false;
  for (size_t i = 2; i < ctx.argc(); i += 2) {
    std::string_view name = ctx.arg(i);
    bool duration = IEquals(name, "IDMP-DURATION");
    if ((!duration && !IEquals(name, "IDMP-MAXSIZE")) || i + 1 >= ctx.argc()) {
      return ctx.Error(errors::kSyntax);
    }
    bool& given = duration ? duration_given : maxsize_given;
    if (given) return ctx.Error(duration ? errors::kIdmpDurationTwice : errors::kIdmpMaxSizeTwice);
    given = true;
    auto v = duration ? SettingOrReply(ctx, ctx.arg(i + 1), streams::kIdmpMaxDuration,
                                       errors::kIdmpDurationRange)
                      : SettingOrReply(ctx, ctx.arg(i + 1), streams::kIdmpMaxMaxSize,
                                       errors::kIdmpMaxSizeRange);
    if (!v) return;
    (duration ? config.duration_s : config.maxsize) = *v;
  }
  if (!duration_given && !maxsize_given) return ctx.Error(errors::kXCfgSetNothing);
  if (s.SetIdmpConfig(config)) {
    ctx.db().NotifyChanged(ctx.arg(1));
    ctx.effects().XCfgSet(ctx.arg(1), config);
    ctx.Changed();
  }
  ctx.reply.Ok();
}

}  // namespace

void RegisterXCfgSetCommand(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  out.push_back({.name = "xcfgset",
                 .arity = -2,
                 .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
                 .handler = CmdXCfgSet,
                 .keys = {1, 1, 1},
                 .acl_categories = "@write @stream @fast"});
}

}  // namespace runnel::commands
