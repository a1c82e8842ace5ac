// XCFGSET (Redis 8.6): a stream's settings. Redis has the idempotent-production ones; Runnel
// adds retention (docs/queues.md).
//
//   XCFGSET key [IDMP-DURATION seconds] [IDMP-MAXSIZE count]
//               [RETENTION-MS ms] [RETENTION-MAXLEN count] [RETENTION-REFS KEEPREF|ACKED]
//
// The key must hold a stream. Changing either IDMP value forgets every producer's iids (the
// counters stay); setting the values a stream already has changes nothing and is not logged,
// so producers can call it on every start. Checks run in Redis's order: the key, then each
// parameter as it comes, then that at least one was given. A change is logged as the whole
// set of settings (effects::Writer::XCfgSet).
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

// One parameter's value: a strict integer within [min, max], else `range_error`.
std::optional<int64_t> SettingOrReply(CommandContext& ctx, std::string_view text, int64_t min,
                                      int64_t max, std::string_view range_error) {
  auto v = IntArgOrReply(ctx, text);
  if (!v) return std::nullopt;
  if (*v < min || *v > max) {
    ctx.Error(range_error);
    return std::nullopt;
  }
  return v;
}

enum Setting { kIdmpDuration, kIdmpMaxSize, kRetentionMs, kRetentionMaxLen, kRetentionRefs };
constexpr std::string_view kNames[] = {"IDMP-DURATION", "IDMP-MAXSIZE", "RETENTION-MS",
                                       "RETENTION-MAXLEN", "RETENTION-REFS"};

std::optional<Setting> ParseSetting(std::string_view name) {
  for (size_t i = 0; i < std::size(kNames); ++i) {
    if (IEquals(name, kNames[i])) return static_cast<Setting>(i);
  }
  return std::nullopt;
}

// Reads one setting's value into the copies; false after replying an error.
bool ReadSetting(CommandContext& ctx, Setting which, std::string_view text,
                 streams::IdmpConfig& idmp, streams::Retention& retention) {
  if (which == kRetentionRefs) {
    bool acked = IEquals(text, "ACKED");
    if (!acked && !IEquals(text, "KEEPREF")) {
      ctx.Error(errors::kRetentionRefsValue);
      return false;
    }
    retention.refs = acked ? streams::RefPolicy::kAcked : streams::RefPolicy::kKeepRef;
    return true;
  }
  std::optional<int64_t> v;
  switch (which) {
    case kIdmpDuration:
      v = SettingOrReply(ctx, text, 1, streams::kIdmpMaxDuration, errors::kIdmpDurationRange);
      if (v) idmp.duration_s = *v;
      break;
    case kIdmpMaxSize:
      v = SettingOrReply(ctx, text, 1, streams::kIdmpMaxMaxSize, errors::kIdmpMaxSizeRange);
      if (v) idmp.maxsize = *v;
      break;
    case kRetentionMs:
      v = SettingOrReply(ctx, text, 0, streams::kRetentionMaxAgeMs,
                         errors::PolicyValueRange("RETENTION-MS", streams::kRetentionMaxAgeMs));
      if (v) retention.max_age_ms = *v;
      break;
    case kRetentionMaxLen:
      v = SettingOrReply(ctx, text, 0, INT64_MAX,
                         errors::PolicyValueRange("RETENTION-MAXLEN", INT64_MAX));
      if (v) retention.maxlen = static_cast<uint64_t>(*v);
      break;
    case kRetentionRefs:
      break;  // handled above
  }
  return v.has_value();
}

void CmdXCfgSet(CommandContext& ctx) {
  auto found = StreamOrReply(ctx, ctx.arg(1));
  if (!found) return;
  if (*found == nullptr) return ctx.Error(errors::kNoSuchKey);
  streams::Stream& s = **found;
  streams::IdmpConfig idmp = s.idmp_config();
  streams::Retention retention = s.retention();
  bool given[std::size(kNames)] = {};
  for (size_t i = 2; i < ctx.argc(); i += 2) {
    std::optional<Setting> which = ParseSetting(ctx.arg(i));
    if (!which || i + 1 >= ctx.argc()) return ctx.Error(errors::kSyntax);
    if (given[*which]) {
      if (*which == kIdmpDuration) return ctx.Error(errors::kIdmpDurationTwice);
      if (*which == kIdmpMaxSize) return ctx.Error(errors::kIdmpMaxSizeTwice);
      return ctx.Error(errors::SpecifiedTwice(kNames[*which]));
    }
    given[*which] = true;
    if (!ReadSetting(ctx, *which, ctx.arg(i + 1), idmp, retention)) return;
  }
  if (ctx.argc() == 2) return ctx.Error(errors::kXCfgSetNothing);
  bool changed = s.SetIdmpConfig(idmp);
  if (!(retention == s.retention())) {
    s.set_retention(retention);
    if (retention.max_age_ms > 0) ctx.db().TrackTimed(ctx.arg(1));  // for the age-out cron
    changed = true;
  }
  if (changed) {
    ctx.db().NotifyChanged(ctx.arg(1));
    ctx.effects().XCfgSet(ctx.arg(1), s);
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
