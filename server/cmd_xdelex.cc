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

#include "server/arg_util.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/server.h"
#include "server/stream_args.h"
#include "server/stream_refs.h"

namespace runnel::server {
namespace {

using streams::ConsumerGroup;
using streams::Stream;
using streams::StreamId;

struct RefArgs {
  RefPolicy policy = RefPolicy::kKeepRef;
  size_t ids_at = 0;  // first ID
  size_t numids = 0;
};

// Parses the options from `from` on: one reference policy and the IDS block, in any order.
// A second IDS block replaces the first, as in Redis.
bool ParseRefArgs(CommandContext& ctx, size_t from, RefArgs* a) {
  bool policy_given = false;
  for (size_t i = from; i < ctx.argc(); ++i) {
    std::string_view opt = ctx.arg(i);
    auto policy = ParseRefPolicy(opt);
    if (IEquals(opt, "IDS") && i + 1 < ctx.argc()) {
      auto n = streams::ParseStrictInt64(ctx.arg(i + 1));
      if (!n || *n <= 0) {
        ctx.Error(errors::kNumIdsNotPositive);
        return false;
      }
      if (static_cast<uint64_t>(*n) > ctx.argc() - (i + 2)) {
        ctx.Error(errors::kNumIdsMismatch);
        return false;
      }
      a->numids = static_cast<size_t>(*n);
      a->ids_at = i + 2;
      i += 1 + a->numids;
    } else if (policy && !policy_given) {
      a->policy = *policy;
      policy_given = true;
    } else {
      ctx.Error(errors::kSyntax);
      return false;
    }
  }
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
  bool deleted = false;
  for (StreamId id : *ids) {
    codes.push_back(DeleteWithPolicy(ctx, ctx.arg(1), **found, id, a.policy));
    deleted = deleted || codes.back() == kRefDeleted;
  }
  if (deleted) ctx.db().NotifyChanged(ctx.arg(1));
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
  for (StreamId id : *ids) {
    if (!g->Ack(id)) {
      codes.push_back(kRefNotFound);
      continue;
    }
    ctx.Propagate({"XACK", ctx.arg(1), ctx.arg(2), id.ToString()});
    int64_t code = DeleteWithPolicy(ctx, ctx.arg(1), *s, id, a.policy);
    deleted = deleted || code == kRefDeleted;
    codes.push_back(code == kRefKept ? kRefKept : kRefDeleted);
  }
  if (deleted) ctx.db().NotifyChanged(ctx.arg(1));
  ReplyCodes(ctx, codes);
}

}  // namespace

void RegisterRefCommands(std::vector<CommandSpec>& out) {
  out.push_back(MakeCommand("xdelex", -5, kCmdWrite | kCmdFast | kCmdCustomEffects, CmdXDelEx, 1,
                            1, 1, "@write @stream @fast")
                    .KeyFlags("RW delete"));
  out.push_back(MakeCommand("xackdel", -6, kCmdWrite | kCmdFast | kCmdCustomEffects, CmdXAckDel,
                            1, 1, 1, "@write @stream @fast")
                    .KeyFlags("RW delete"));
}

}  // namespace runnel::server
