#include "server/stream_refs.h"

#include <string>
#include <vector>

#include "server/arg_util.h"
#include "server/group_effects.h"
#include "server/server.h"

namespace runnel::server {
namespace {

using streams::Stream;
using streams::StreamId;
using streams::TrimSpec;

// A KEEPREF trim as the log records it: exact, to the length or first ID it left, so replay
// removes the same entries however the blocks fall.
void PropagateExactTrim(CommandContext& ctx, std::string_view key, const Stream& s,
                        const TrimSpec& spec) {
  if (spec.strategy == TrimSpec::Strategy::kMaxLen) {
    ctx.Propagate({"XTRIM", key, "MAXLEN", "=", std::to_string(s.length())});
  } else {
    StreamId bound = s.length() > 0 ? s.first_id() : spec.minid;
    ctx.Propagate({"XTRIM", key, "MINID", "=", bound.ToString()});
  }
}

// DELREF: drops every group's reference to `id`, logging an XACK for each.
void DropReferences(CommandContext& ctx, std::string_view key, Stream& s, StreamId id) {
  std::string text;
  for (std::string_view group : s.DropReferences(id)) {
    if (text.empty()) text = id.ToString();
    ctx.Propagate({"XACK", key, group, text});
  }
}

}  // namespace

std::optional<RefPolicy> ParseRefPolicy(std::string_view word) {
  if (IEquals(word, "KEEPREF")) return RefPolicy::kKeepRef;
  if (IEquals(word, "DELREF")) return RefPolicy::kDelRef;
  if (IEquals(word, "ACKED")) return RefPolicy::kAcked;
  return std::nullopt;
}

uint64_t TrimWithPolicy(CommandContext& ctx, std::string_view key, Stream& s,
                        const TrimSpec& spec, RefPolicy policy) {
  auto limits = ctx.server.stream_limits();
  if (policy == RefPolicy::kKeepRef) {
    uint64_t removed = s.Trim(spec, limits);
    if (removed > 0) PropagateExactTrim(ctx, key, s, spec);
    return removed;
  }
  std::vector<StreamId> planned = s.PlanTrim(spec, [&](StreamId id) {
    return policy == RefPolicy::kDelRef || !s.ReferencedByGroups(id);
  });
  if (planned.empty()) return 0;
  if (policy == RefPolicy::kDelRef) {
    for (StreamId id : planned) DropReferences(ctx, key, s, id);
  }
  uint64_t removed = s.RemoveAsTrim(planned, limits);
  PropagateTrimmedIds(ctx, key, planned);
  return removed;
}

int64_t DeleteWithPolicy(CommandContext& ctx, std::string_view key, Stream& s, StreamId id,
                         RefPolicy policy) {
  if (policy == RefPolicy::kAcked && s.ReferencedByGroups(id)) return kRefKept;
  if (policy == RefPolicy::kDelRef) DropReferences(ctx, key, s, id);
  if (!s.Delete(id, ctx.server.stream_limits())) return kRefNotFound;
  ctx.Propagate({"XDEL", key, id.ToString()});
  return kRefDeleted;
}

}  // namespace runnel::server
