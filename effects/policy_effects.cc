// Effects of Runnel's queue extensions to consumer groups (streams/group_policy.h): a group's
// policy, a dead-lettered entry, and the policy's counters, written and replayed side by side.
//
//   XGROUP SETPOLICY key group MAXDELIVERIES n DEADLETTER key BACKOFF ms [ms ...]
//          MAXPENDING n CONSUMER-EXPIRE ms            the whole policy, every name present
//   RUNNEL-DEADLETTER key group id dlkey dlid field value [field value ...]
//          entry `id` of `key` was appended to `dlkey` as `dlid` with these fields (the
//          original's, then its origin's) and acknowledged in `group`, whose dead-lettered
//          count grows by one: the move is one effect, so no log can hold half of it
//   RUNNEL-GROUP-COUNTERS key group DEAD-LETTER-FAILURES n CONSUMERS-EXPIRED n
//          the counters no other effect implies, as they are now
#include <string>
#include <vector>

#include "effects/catalogue.h"
#include "effects/writer.h"
#include "resp/command_encoder.h"
#include "streams/group_policy.h"

namespace runnel::effects {

using resp::CommandWriter;
using streams::ConsumerGroup;
using streams::Stream;
using streams::StreamId;

// ---- encoders ----

void Writer::GroupPolicy(std::string_view key, const ConsumerGroup& g) {
  if (!out_) return;
  std::vector<std::string> args = streams::PolicyArgs(g.policy());
  CommandWriter w(out_, 4 + args.size());
  w.Arg("XGROUP").Arg("SETPOLICY").Arg(key).Arg(g.name());
  for (const std::string& a : args) w.Arg(a);
}

void Writer::DeadLetter(std::string_view key, std::string_view group, StreamId id,
                        std::string_view dead_letter_key, StreamId dead_letter_id,
                        std::span<const std::string_view> fields) {
  if (!out_) return;
  CommandWriter w(out_, 6 + fields.size());
  w.Arg("RUNNEL-DEADLETTER").Arg(key).Arg(group).Arg(IdText(id).view());
  w.Arg(dead_letter_key).Arg(IdText(dead_letter_id).view());
  for (std::string_view f : fields) w.Arg(f);
}

void Writer::GroupCounters(std::string_view key, const ConsumerGroup& g) {
  if (!out_) return;
  CommandWriter(out_, 7)
      .Arg("RUNNEL-GROUP-COUNTERS")
      .Arg(key)
      .Arg(g.name())
      .Arg("DEAD-LETTER-FAILURES")
      .Uint(g.counters().dead_letter_failures)
      .Arg("CONSUMERS-EXPIRED")
      .Uint(g.counters().consumers_expired);
}

// ---- replay ----

namespace {

ConsumerGroup* GroupOf(ApplyContext& ctx, std::string_view key, std::string_view group) {
  Stream* s = StreamAt(ctx, key);
  return s != nullptr ? s->FindGroup(group) : nullptr;
}

// RUNNEL-DEADLETTER key group id dlkey dlid field value [field value ...]
Result ApplyDeadLetter(ApplyContext& ctx, const EffectArgs& a) {
  auto id = a.size() >= 8 && a.size() % 2 == 0 ? a.Id(3) : std::nullopt;
  auto dl_id = id ? a.Id(5) : std::nullopt;
  if (!dl_id) return Result::Malformed();
  std::vector<std::string_view> fields;
  for (size_t i = 6; i < a.size(); ++i) fields.push_back(a[i]);
  Result appended = AppendEntry(ctx, a[4], *dl_id, fields);
  if (appended.outcome != Outcome::kApplied) return appended;
  if (ConsumerGroup* g = GroupOf(ctx, a[1], a[2])) {
    g->Ack(*id);
    ++g->counters().dead_lettered;
  }
  return Result::Applied();
}

// RUNNEL-GROUP-COUNTERS key group DEAD-LETTER-FAILURES n CONSUMERS-EXPIRED n
Result ApplyGroupCounters(ApplyContext& ctx, const EffectArgs& a) {
  if (a.size() != 7 || !a.Is(3, "DEAD-LETTER-FAILURES") || !a.Is(5, "CONSUMERS-EXPIRED")) {
    return Result::Malformed();
  }
  auto failures = a.Int(4);
  auto expired = a.Int(6);
  if (!failures || !expired || *failures < 0 || *expired < 0) return Result::Malformed();
  ConsumerGroup* g = GroupOf(ctx, a[1], a[2]);
  if (g == nullptr) return Result::Skipped();
  g->counters().dead_letter_failures = static_cast<uint64_t>(*failures);
  g->counters().consumers_expired = static_cast<uint64_t>(*expired);
  return Result::Applied();
}

}  // namespace

// XGROUP SETPOLICY key group name value [name value ...]: the policy replaces the group's.
Result ApplyGroupSetPolicy(ApplyContext& ctx, const EffectArgs& a) {
  if (a.size() < 6) return Result::Malformed();
  std::vector<std::string_view> args;
  for (size_t i = 4; i < a.size(); ++i) args.push_back(a[i]);
  streams::GroupPolicy policy;
  size_t at = 0;
  if (streams::ParsePolicy(args, /*key=*/{}, &policy, &at) != streams::PolicyError::kOk) {
    return Result::Malformed();
  }
  ConsumerGroup* g = GroupOf(ctx, a[2], a[3]);
  if (g == nullptr) return Result::Skipped();
  g->set_policy(std::move(policy));
  ctx.database().TrackTimed(a[2]);
  return Result::Applied();
}

void AddPolicyAppliers(std::vector<Entry>& out) {
  out.insert(out.end(), {{"RUNNEL-DEADLETTER", ApplyDeadLetter},
                         {"RUNNEL-GROUP-COUNTERS", ApplyGroupCounters}});
}

}  // namespace runnel::effects
