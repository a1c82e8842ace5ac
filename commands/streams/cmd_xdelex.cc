// XDELEX and XACKDEL (Redis 8.2): deleting entries with a say over the consumer groups'
// references to them (KEEPREF, DELREF, ACKED: see stream_refs.h), one reply code per ID.
//
//   XDELEX key [KEEPREF | DELREF | ACKED] IDS numids id [id ...]
//   XACKDEL key group [KEEPREF | DELREF | ACKED] IDS numids id [id ...]
//
// A missing key (or, for XACKDEL, group) answers -1 for every ID without looking at them, as
// Redis does; otherwise every ID is validated before anything changes.
#include <optional>
#include <vector>

#include "commands/streams/group_log.h"
#include "commands/streams/register.h"
#include "commands/streams/stream_args.h"
#include "commands/streams/stream_refs.h"
#include "config/config.h"
#include "dispatch/args.h"
#include "streams/group_ops.h"

namespace runnel::commands {
namespace {

using dispatch::ArgParser;
using dispatch::CommandContext;
using dispatch::CommandSpec;
using streams::ConsumerGroup;
using streams::Stream;
using streams::StreamId;
namespace errors = dispatch::errors;

struct RefArgs {
  RefPolicy policy = RefPolicy::kKeepRef;
  size_t ids_at = 0;  // first ID
  size_t numids = 0;
};

// Parses the options from `from` on: one reference policy and the IDS block, in any order.
// A second IDS block replaces the first, as in Redis.
bool ParseRefArgs(CommandContext& ctx, size_t from, RefArgs* a) {
  bool policy_given = false;
  ArgParser p(ctx, from);
  while (p.HasNext()) {
    auto policy = ParseRefPolicy(ctx.arg(p.pos()));
    if (p.Check("IDS", 1)) {
      auto n = streams::ParseStrictInt64(p.Next());
      if (!n || *n <= 0) {
        p.Fail(errors::kNumIdsNotPositive);
      } else if (static_cast<uint64_t>(*n) > ctx.argc() - p.pos()) {
        p.Fail(errors::kNumIdsMismatch);
      } else {
        a->numids = static_cast<size_t>(*n);
        a->ids_at = p.pos();
        for (size_t k = 0; k < a->numids; ++k) p.Next();
      }
    } else if (policy && !policy_given) {
      a->policy = *policy;
      policy_given = true;
      p.Next();
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  if (!p.Finish()) return false;
  if (a->numids == 0) {
    ctx.Error(errors::kIdsRequired);
    return false;
  }
  return true;
}

std::optional<std::vector<StreamId>> IdsOrReply(CommandContext& ctx, const RefArgs& a) {
  std::vector<StreamId> ids;
  for (size_t i = 0; i < a.numids; ++i) {
    auto id = StrictIdOrReply(ctx, ctx.arg(a.ids_at + i));
    if (!id) return std::nullopt;
    ids.push_back(*id);
  }
  return ids;
}

void ReplyCodes(CommandContext& ctx, const std::vector<int64_t>& codes) {
  ctx.reply.Array(codes.size());
  for (int64_t c : codes) ctx.reply.Integer(c);
}

void CmdXDelEx(CommandContext& ctx) {
  auto found = StreamOrReply(ctx, ctx.arg(1));
  if (!found) return;
  RefArgs a;
  if (!ParseRefArgs(ctx, 2, &a)) return;
  if (*found == nullptr) return ReplyCodes(ctx, std::vector<int64_t>(a.numids, kRefNotFound));
  auto ids = IdsOrReply(ctx, a);
  if (!ids) return;
  std::vector<int64_t> codes;
  uint64_t deleted = 0;
  for (StreamId id : *ids) {
    codes.push_back(DeleteWithPolicy(ctx, ctx.arg(1), **found, id, a.policy));
    deleted += codes.back() == kRefDeleted ? 1 : 0;
  }
  if (deleted > 0) {
    ctx.db().NotifyChanged(ctx.arg(1));
    ctx.Notify(config::kNotifyStream, "xdel", ctx.arg(1));
  }
  ctx.Changed(deleted);
  ReplyCodes(ctx, codes);
}

// XACKDEL: acknowledges each ID in the group, then deletes it under the policy. An ID the
// group did not hold pending is -1 and stays in the stream; one acknowledged whose entry was
// already gone is 1.
void CmdXAckDel(CommandContext& ctx) {
  auto found = StreamOrReply(ctx, ctx.arg(1));
  if (!found) return;
  RefArgs a;
  if (!ParseRefArgs(ctx, 3, &a)) return;
  Stream* s = *found;
  ConsumerGroup* g = s != nullptr ? s->FindGroup(ctx.arg(2)) : nullptr;
  if (g == nullptr) return ReplyCodes(ctx, std::vector<int64_t>(a.numids, kRefNotFound));
  auto ids = IdsOrReply(ctx, a);
  if (!ids) return;
  std::vector<int64_t> codes;
  bool deleted = false;
  streams::GroupChanges changes;
  for (StreamId id : *ids) {
    if (!streams::Acknowledge(*g, id, &changes)) {
      codes.push_back(kRefNotFound);
      continue;
    }
    ctx.Changed();  // as Redis counts: each ID acknowledged, deleted or not
    int64_t code = DeleteWithPolicy(ctx, ctx.arg(1), *s, id, a.policy);
    deleted = deleted || code == kRefDeleted;
    codes.push_back(code == kRefKept ? kRefKept : kRefDeleted);
  }
  // The acknowledgements are logged after the deletions; replay gives the same state either
  // way, and this way they share the one place that also wakes readers MAXPENDING held back.
  LogGroupChanges(ctx, ctx.arg(1), *g, changes);
  if (deleted) {
    ctx.db().NotifyChanged(ctx.arg(1));
    ctx.Notify(config::kNotifyStream, "xdel", ctx.arg(1));
  }
  ReplyCodes(ctx, codes);
}

}  // namespace

void RegisterRefCommands(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  out.push_back({.name = "xdelex",
                 .arity = -5,
                 .flags = kCmdWrite | kCmdFast,
                 .handler = CmdXDelEx,
                 .keys = {1, 1, 1},
                 .acl_categories = "@write @stream @fast",
                 .key_flags = "RW delete"});
  out.push_back({.name = "xackdel",
                 .arity = -6,
                 .flags = kCmdWrite | kCmdFast,
                 .handler = CmdXAckDel,
                 .keys = {1, 1, 1},
                 .acl_categories = "@write @stream @fast",
                 .key_flags = "RW delete"});
}

}  // namespace runnel::commands
