// XCLAIM and XAUTOCLAIM: taking pending entries over from other consumers, with current Redis's
// semantics (see ../shared/reference/redis-streams.md): both create their consumer even when
// they claim nothing, and drop pending entries whose stream entry was deleted (XAUTOCLAIM
// reports those as its third reply element). The claiming rules themselves — idle times,
// delivery counts, purging — are streams/group_ops.h's.
#include <string>
#include <vector>

#include "commands/streams/dead_letters.h"
#include "commands/streams/group_log.h"
#include "commands/streams/register.h"
#include "commands/streams/stream_args.h"
#include "commands/streams/stream_reply.h"
#include "dispatch/args.h"
#include "dispatch/client.h"
#include "streams/group_ops.h"

namespace runnel::commands {
namespace {

using dispatch::ArgParser;
using dispatch::CommandContext;
using dispatch::CommandSpec;
using dispatch::IntArgOrReply;
using streams::ConsumerGroup;
using streams::Stream;
using streams::StreamId;
namespace errors = dispatch::errors;

// As Redis counts them: each entry claimed or purged, the consumer's creation, and a LASTID
// that moved the group when nothing else changed.
uint64_t ClaimChanges(const streams::GroupChanges& c) {
  uint64_t n = c.delivered.size() + c.purged.size() + (c.consumer_created ? 1 : 0);
  return n == 0 && c.position_moved ? 1 : n;
}

// ---- XCLAIM ----

struct ClaimArgs {
  streams::ClaimRule rule;
  std::optional<StreamId> last_id;
};

// Options after the IDs, from argument `from` (the first that did not parse as an ID).
bool ParseClaimOptions(CommandContext& ctx, size_t from, ClaimArgs* a) {
  int64_t delivery_ms = -1;
  ArgParser p(ctx, from);
  while (p.HasNext()) {
    if (p.Check("FORCE")) {
      a->rule.force = true;
    } else if (p.Check("JUSTID")) {
      a->rule.justid = true;
    } else if (p.Check("IDLE", 1)) {
      int64_t idle = p.Int(errors::kXClaimIdle);
      // An IDLE so large (or so negative) that now - IDLE overflows is as bogus as a time
      // before 1970 or in the future: it becomes now below (Redis gets there by wrapping).
      if (__builtin_sub_overflow(ctx.now_ms, idle, &delivery_ms)) delivery_ms = -1;
    } else if (p.Check("TIME", 1)) {
      delivery_ms = p.Int(errors::kXClaimTime);
    } else if (p.Check("RETRYCOUNT", 1)) {
      a->rule.retry_count = p.Int(errors::kXClaimRetryCount);
    } else if (p.Check("LASTID", 1)) {
      a->last_id = p.Id();
    } else {
      p.Fail(errors::UnrecognizedXClaimOption(ctx.arg(p.pos())));
    }
  }
  // A time in the future or before 1970 is taken as now: clients compute it from their clocks.
  a->rule.delivery_ms = delivery_ms < 0 || delivery_ms > ctx.now_ms ? ctx.now_ms : delivery_ms;
  return p.Finish();
}

// From a Redis 7.0-7.2 master, XCLAIM ... LASTID is how an XREADGROUP delivery arrives, with no
// SETID after it. The group steps over the entries up to `to` as XREADGROUP stepped on the
// master (Stream::AdvanceGroup), so entries-read and lag come out as the master's, which
// Redis's own replicas leave stale. Far jumps (not a delivery's) fall back to the estimate.
void FollowDelivery(const Stream& s, streams::ConsumerGroup& g, StreamId to) {
  constexpr int kMaxSteps = 10000;
  std::optional<StreamId> from = g.last_delivered().Next();
  if (!from) return;
  Stream::Iterator it = s.Range(*from, to, false);
  int steps = 0;
  while (steps < kMaxSteps && it.Next()) {
    s.AdvanceGroup(g, it.id());
    ++steps;
  }
  if (steps == kMaxSteps) g.set_entries_read(s.EstimateEntriesRead(to));
}

void CmdXClaim(CommandContext& ctx) {
  Stream* s = nullptr;
  ConsumerGroup* g = GroupOrReply(ctx, &s);
  if (g == nullptr) return;
  auto min_idle = IntArgOrReply(ctx, ctx.arg(4), errors::kXClaimMinIdle);
  if (!min_idle) return;
  ClaimArgs a;
  a.rule.min_idle = *min_idle;
  DeadLetterWriter dead_letters(ctx, ctx.arg(1));
  a.rule.dead_letters = &dead_letters;
  std::vector<StreamId> ids;
  size_t i = 5;
  for (; i < ctx.argc(); ++i) {
    auto parsed = streams::ParseStreamId(ctx.arg(i), {.strict = true});
    if (!parsed) break;  // the options start here
    ids.push_back(parsed->id);
  }
  if (!ParseClaimOptions(ctx, i, &a)) return;
  streams::GroupChanges changes;
  if (a.last_id && *a.last_id > g->last_delivered()) {
    if (ctx.client().master) FollowDelivery(*s, *g, *a.last_id);
    g->set_last_delivered(*a.last_id);
    changes.position_moved = true;
  }
  streams::Consumer& c = streams::TouchConsumer(*g, ctx.arg(3), ctx.now_ms, &changes);
  auto header = ctx.reply.Begin();
  size_t n = 0;
  for (StreamId id : ids) {
    std::optional<Stream::Iterator> entry;
    if (streams::ClaimId(*s, *g, c, id, a.rule, ctx.now_ms, &entry, &changes) !=
        streams::ClaimOutcome::kClaimed) {
      continue;
    }
    if (a.rule.justid) {
      WriteStreamId(ctx.reply, id);
    } else {
      WriteEntry(ctx.reply, *entry);
    }
    ++n;
  }
  ctx.reply.EndArray(header, n);
  LogGroupChanges(ctx, ctx.arg(1), *g, changes);
  ctx.Changed(ClaimChanges(changes));
  if (n > 0) ctx.WakeReaders(ctx.arg(1));  // FORCE and TIME can make entries claimable
}

// ---- XAUTOCLAIM ----

// Redis allocates COUNT slots for deleted IDs up front and fails when that is impossible;
// Runnel allocates as it goes, and refuses the same absurd COUNTs with the same error.
constexpr int64_t kAutoClaimMaxCount = int64_t{1} << 32;

void CmdXAutoClaim(CommandContext& ctx) {
  auto min_idle = IntArgOrReply(ctx, ctx.arg(4), errors::kXAutoClaimMinIdle);
  if (!min_idle) return;
  auto start = IntervalIdOrReply(ctx, ctx.arg(5), true);
  if (!start) return;
  int64_t count = 100;
  streams::ClaimRule rule{.min_idle = *min_idle};
  ArgParser p(ctx, 6);
  while (p.HasNext()) {
    if (p.Check("COUNT", 1)) {
      auto v = streams::ParseStrictInt64(p.Next());
      if (!v || *v < 1 || *v > INT64_MAX / 16) p.Fail(errors::kCountMustBePositive);
      count = v.value_or(0);
    } else if (p.Check("JUSTID")) {
      rule.justid = true;
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  if (!p.Finish()) return;
  Stream* s = nullptr;
  ConsumerGroup* g = GroupOrReply(ctx, &s);
  if (g == nullptr) return;
  if (count > kAutoClaimMaxCount) return ctx.Error(errors::kXAutoClaimCountTooHigh);
  DeadLetterWriter dead_letters(ctx, ctx.arg(1));
  rule.dead_letters = &dead_letters;
  streams::GroupChanges changes;
  streams::Consumer& c = streams::TouchConsumer(*g, ctx.arg(3), ctx.now_ms, &changes);
  // The claimed entries are written before their count is known.
  static thread_local std::string claimed_bytes;
  claimed_bytes.clear();
  resp::ReplyWriter claimed(&claimed_bytes, ctx.reply.protocol());
  size_t n = 0;
  StreamId next = streams::AutoClaim(
      *s, *g, c, *start, count, rule, ctx.now_ms,
      [&](const Stream::Iterator& it) {
        if (rule.justid) {
          WriteStreamId(claimed, it.id());
        } else {
          WriteEntry(claimed, it);
        }
        ++n;
      },
      &changes);
  auto& r = ctx.reply;
  r.Array(3);
  WriteStreamId(r, next);
  r.Array(n);
  r.Raw(claimed_bytes);
  r.Array(changes.purged.size());
  for (StreamId id : changes.purged) WriteStreamId(r, id);
  LogGroupChanges(ctx, ctx.arg(1), *g, changes);
  ctx.Changed(ClaimChanges(changes));
}

}  // namespace

void RegisterClaimCommands(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  out.push_back({.name = "xclaim",
                 .arity = -6,
                 .flags = kCmdWrite | kCmdFast,
                 .handler = CmdXClaim,
                 .keys = {1, 1, 1},
                 .acl_categories = "@write @stream @fast",
                 .tips = "nondeterministic_output"});
  // RW delete, as Redis declares it: XAUTOCLAIM drops deleted entries from the PEL.
  out.push_back({.name = "xautoclaim",
                 .arity = -6,
                 .flags = kCmdWrite | kCmdFast,
                 .handler = CmdXAutoClaim,
                 .keys = {1, 1, 1},
                 .acl_categories = "@write @stream @fast",
                 .tips = "nondeterministic_output",
                 .key_flags = "RW delete"});
}

}  // namespace runnel::commands
