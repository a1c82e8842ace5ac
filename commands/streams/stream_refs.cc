#include "commands/streams/stream_refs.h"

#include <vector>

#include "dispatch/args.h"
#include "streams/trim.h"

namespace runnel::commands {
namespace {

using dispatch::CommandContext;
using streams::Stream;
using streams::StreamId;
using streams::TrimSpec;

// DELREF: drops every group's reference to `id`, logging an XACK for each.
void DropReferences(CommandContext& ctx, std::string_view key, Stream& s, StreamId id) {
  for (std::string_view group : s.DropReferences(id)) ctx.effects().Ack(key, group, {&id, 1});
}

}  // namespace

std::optional<RefPolicy> ParseRefPolicy(std::string_view word) {
  if (dispatch::IEquals(word, "KEEPREF")) return RefPolicy::kKeepRef;
  if (dispatch::IEquals(word, "DELREF")) return RefPolicy::kDelRef;
  if (dispatch::IEquals(word, "ACKED")) return RefPolicy::kAcked;
  return std::nullopt;
}

uint64_t TrimWithPolicy(CommandContext& ctx, std::string_view key, Stream& s, const TrimSpec& spec,
                        RefPolicy policy) {
  streams::TrimOutcome t = streams::TrimWithRefs(s, spec, policy, ctx.limits().stream);
  ctx.effects().Trimmed(key, s, t);
  return t.removed;
}

uint64_t TrimToRetention(CommandContext& ctx, std::string_view key, Stream& s) {
  streams::TrimOutcome t =
      streams::TrimToRetention(s, ctx.limits().approx_trim_limit, ctx.limits().stream);
  ctx.effects().Trimmed(key, s, t);
  return t.removed;
}

int64_t DeleteWithPolicy(CommandContext& ctx, std::string_view key, Stream& s, StreamId id,
                         RefPolicy policy) {
  if (policy == RefPolicy::kAcked && s.ReferencedByGroups(id)) return kRefKept;
  if (policy == RefPolicy::kDelRef) DropReferences(ctx, key, s, id);
  if (!s.Delete(id, ctx.limits().stream)) return kRefNotFound;
  ctx.effects().XDel(key, {&id, 1});
  return kRefDeleted;
}

}  // namespace runnel::commands
