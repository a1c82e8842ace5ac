#include "commands/streams/stream_refs.h"

#include <vector>

#include "dispatch/args.h"

namespace runnel::commands {
namespace {

using dispatch::CommandContext;
using streams::Stream;
using streams::StreamId;
using streams::TrimSpec;

// A KEEPREF trim as the log records it: exact, to the length or first ID it left, so replay
// removes the same entries however the blocks fall.
void LogExactTrim(CommandContext& ctx, std::string_view key, const Stream& s,
                  const TrimSpec& spec) {
  if (spec.strategy == TrimSpec::Strategy::kMaxLen) {
    ctx.effects().XTrimMaxLen(key, s.length());
  } else {
    ctx.effects().XTrimMinId(key, s.length() > 0 ? s.first_id() : spec.minid);
  }
}

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
  const streams::StreamLimits& limits = ctx.limits().stream;
  if (policy == RefPolicy::kKeepRef) {
    uint64_t removed = s.Trim(spec, limits);
    if (removed > 0) LogExactTrim(ctx, key, s, spec);
    return removed;
  }
  std::vector<StreamId> planned = s.PlanTrim(
      spec, [&](StreamId id) { return policy == RefPolicy::kDelRef || !s.ReferencedByGroups(id); });
  if (planned.empty()) return 0;
  if (policy == RefPolicy::kDelRef) {
    for (StreamId id : planned) DropReferences(ctx, key, s, id);
  }
  uint64_t removed = s.RemoveAsTrim(planned, limits);
  ctx.effects().TrimIds(key, planned);
  return removed;
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
