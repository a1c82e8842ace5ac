// XGROUP SETPOLICY and XGROUP GETPOLICY: a consumer group's delivery policy, Runnel's queue
// extensions (streams/group_policy.h has the rules, docs/queues.md the guide).
//
//   XGROUP SETPOLICY key group name value [name value ...]
//       names: MAXDELIVERIES n | DEADLETTER key | BACKOFF ms [ms ...] | MAXPENDING n |
//              CONSUMER-EXPIRE ms. Each changes only itself; 0 (or "" for DEADLETTER) turns it
//              off. The whole call applies or nothing does. Replies OK.
//   XGROUP GETPOLICY key group
//       every name with its value: a map in RESP3, flat pairs in RESP2; DEADLETTER is nil when
//       unset and BACKOFF an array (empty when unset).
//
// The key and group are looked up as the other XGROUP subcommands do, with their errors. The
// whole policy is logged (XGROUP SETPOLICY with every name), so replay needs no earlier state.
#include <string>
#include <vector>

#include "commands/streams/register.h"
#include "commands/streams/stream_args.h"
#include "commands/streams/stream_reply.h"
#include "config/config.h"
#include "dispatch/args.h"
#include "dispatch/errors.h"
#include "streams/group_policy.h"
#include "streams/numbers.h"

namespace runnel::commands {
namespace {

using dispatch::CommandContext;
using dispatch::CommandSpec;
using streams::ConsumerGroup;
using streams::PolicyError;
namespace errors = dispatch::errors;

ConsumerGroup* PolicyGroupOrReply(CommandContext& ctx) {
  auto found = StreamOrReply(ctx, ctx.arg(2));
  if (!found) return nullptr;
  if (*found == nullptr) {
    ctx.Error(errors::kXGroupNeedsKey);
    return nullptr;
  }
  ConsumerGroup* g = (*found)->FindGroup(ctx.arg(3));
  if (g == nullptr) ctx.Error(errors::NoSuchGroupForKey(ctx.arg(3), ctx.arg(2)));
  return g;
}

std::string PolicyErrorText(PolicyError e, std::string_view name) {
  switch (e) {
    case PolicyError::kUnknownName:
      return errors::UnknownPolicy(name);
    case PolicyError::kMissingValue:
      return errors::PolicyNeedsValue(name);
    case PolicyError::kTooManySteps:
      return std::string(errors::kPolicyTooManySteps);
    case PolicyError::kDeadLetterIsSource:
      return std::string(errors::kPolicyDeadLetterIsSource);
    case PolicyError::kNeedsDeadLetter:
      return std::string(errors::kPolicyNeedsDeadLetter);
    case PolicyError::kBadNumber:
    case PolicyError::kOk:
      break;
  }
  bool ms = dispatch::IEquals(name, "BACKOFF") || dispatch::IEquals(name, "CONSUMER-EXPIRE");
  return errors::PolicyValueRange(name, ms ? streams::kMaxPolicyMs : streams::kMaxPolicyCount);
}

// The policy name an error at argument `at` (of the name-value list) is about: that argument,
// or for a bad number the last name before it (BACKOFF's values follow their name).
std::string_view NameAt(std::span<const std::string_view> args, size_t at, PolicyError e) {
  if (e != PolicyError::kBadNumber) return args[at];
  for (size_t i = at; i-- > 0;) {
    if (!streams::ParseStrictInt64(args[i])) return args[i];
  }
  return args[at];
}

void CmdXGroupSetPolicy(CommandContext& ctx) {
  ConsumerGroup* g = PolicyGroupOrReply(ctx);
  if (g == nullptr) return;
  std::vector<std::string_view> args;
  for (size_t i = 4; i < ctx.argc(); ++i) args.push_back(ctx.arg(i));
  streams::GroupPolicy policy = g->policy();
  size_t at = 0;
  PolicyError e = streams::ParsePolicy(args, ctx.arg(2), &policy, &at);
  if (e != PolicyError::kOk) return ctx.Error(PolicyErrorText(e, NameAt(args, at, e)));
  bool was_prefetch = g->policy().max_pending > 0;
  g->set_policy(std::move(policy));
  ctx.db().TrackTimed(ctx.arg(2));  // for CONSUMER-EXPIRE
  ctx.effects().GroupPolicy(ctx.arg(2), *g);
  ctx.Notify(config::kNotifyStream, "xgroup-setpolicy", ctx.arg(2));
  ctx.Changed();
  // Readers held back by MAXPENDING look again: the limit may be higher or gone.
  if (was_prefetch) ctx.WakeReaders(ctx.arg(2));
  ctx.reply.Ok();
}

void CmdXGroupGetPolicy(CommandContext& ctx) {
  ConsumerGroup* g = PolicyGroupOrReply(ctx);
  if (g == nullptr) return;
  ctx.reply.Map(kPolicyPairs);
  WritePolicyPairs(ctx.reply, g->policy());
}

}  // namespace

void AddXGroupPolicySubcommands(std::vector<CommandSpec>& xgroup) {
  using namespace dispatch;  // NOLINT: the flag names
  const KeyPositions key2 = {2, 2, 1};
  xgroup.push_back({.name = "setpolicy",
                    .arity = -6,
                    .flags = kCmdWrite,
                    .handler = CmdXGroupSetPolicy,
                    .keys = key2,
                    .acl_categories = "@write @stream @slow"});
  xgroup.push_back({.name = "getpolicy",
                    .arity = 4,
                    .flags = kCmdReadOnly,
                    .handler = CmdXGroupGetPolicy,
                    .keys = key2,
                    .acl_categories = "@read @stream @slow"});
}

}  // namespace runnel::commands
