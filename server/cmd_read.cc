// XREAD and XREADGROUP: reading new entries from several streams at once, blocking if asked.
//
// Both parse the same options and reply in the same shape (an array of [key, entries] in
// RESP2, a map in RESP3). XREADGROUP additionally hands entries to a consumer of a group:
// with ">" it delivers entries the group has not seen (recording them as pending unless
// NOACK), with any other ID it re-reads the consumer's own pending entries after that ID.
// A read that finds nothing and has BLOCK registers a wait; the dispatcher re-runs the stored
// command when one of the keys changes. MAXCOUNT and MAXSIZE (Redis 8.10) cap the whole reply
// across streams, where COUNT caps each stream (ReadBudget).
//
// XREADGROUP CLAIM min-idle-time (Redis 8.4) first hands the consumer pending entries idle for
// at least that long (entries released by XNACK first, then the longest idle), then new ones,
// in one COUNT budget per stream; every entry of such a stream carries two more elements, its
// idle time and its delivery count before this read (0 0 for new entries). A blocked CLAIM
// reader also wakes when the oldest pending entry becomes old enough.
#include <algorithm>
#include <string>
#include <vector>

#include "server/arg_util.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/group_effects.h"
#include "server/server.h"
#include "server/stream_args.h"
#include "server/stream_reply.h"

namespace runnel::server {
namespace {

using streams::ConsumerGroup;
using streams::Stream;
using streams::StreamId;

struct ReadArgs {
  bool group_read = false;  // XREADGROUP
  int64_t count = 0;
  int64_t maxcount = 0;  // MAXCOUNT (8.10): entries across all streams; 0 = no cap
  int64_t maxsize = 0;   // MAXSIZE (8.10): reply bytes across all streams; 0 = no cap
  int64_t block = -1;  // -1 = no BLOCK
  bool noack = false;
  int64_t claim = -1;  // CLAIM min-idle-time (8.4); -1 = none
  bool group_given = false;
  std::string_view group, consumer;
  size_t keys_at = 0;  // first key after STREAMS
  size_t streams = 0;  // number of keys
};

// MAXCOUNT and MAXSIZE (Redis 8.10): caps over the whole reply, where COUNT is per stream.
// Checked before each entry: another may go out while fewer than MAXCOUNT went and the reply
// is still below MAXSIZE bytes, or while none went at all (so a read always makes progress).
// An entry not sent is not read: it stays undelivered (or its pending record untouched).
class ReadBudget {
 public:
  ReadBudget(const ReadArgs& a, const resp::ReplyWriter& reply)
      : maxcount_(a.maxcount), maxsize_(a.maxsize), reply_(reply),
        start_(reply.output()->size()) {}
  // `ahead`: bytes about to be written before the entry (a stream's key and headers), so
  // that a stream whose key alone would reach MAXSIZE is left out rather than sent empty.
  bool Allows(size_t ahead = 0) const {
    if (emitted_ == 0) return true;
    if (maxcount_ > 0 && emitted_ >= static_cast<uint64_t>(maxcount_)) return false;
    return maxsize_ == 0 ||
           reply_.output()->size() - start_ + ahead < static_cast<uint64_t>(maxsize_);
  }
  void Emitted() { ++emitted_; }

 private:
  int64_t maxcount_, maxsize_;
  const resp::ReplyWriter& reply_;
  size_t start_;
  uint64_t emitted_ = 0;
};

// The per-stream COUNT and the call's budget together: may entry number `n` of this stream go?
bool MayEmit(const ReadArgs& a, const ReadBudget& budget, size_t n) {
  return (a.count == 0 || n < static_cast<size_t>(a.count)) && budget.Allows();
}

// The ID that means "what the group has not seen yet".
constexpr StreamId kNewEntries = StreamId::Max();

bool ParseBlock(CommandContext& ctx, std::string_view arg, ReadArgs* a) {
  auto v = IntArgOrReply(ctx, arg, errors::kTimeoutNotInteger);
  if (!v) return false;
  if (*v < 0) {
    ctx.Error(errors::kTimeoutNegative);
    return false;
  }
  if (*v > INT64_MAX - ctx.now_ms) {
    ctx.Error(errors::kTimeoutOutOfRange);
    return false;
  }
  a->block = *v;
  return true;
}

// MAXCOUNT's or MAXSIZE's value: a positive integer, else `error`.
bool ParseCap(CommandContext& ctx, std::string_view arg, std::string_view error, int64_t* out) {
  auto v = streams::ParseStrictInt64(arg);
  if (!v || *v <= 0) {
    ctx.Error(error);
    return false;
  }
  *out = *v;
  return true;
}

// CLAIM's min-idle-time: an integer >= 0.
bool ParseClaim(CommandContext& ctx, std::string_view arg, ReadArgs* a) {
  if (!a->group_read) {
    ctx.Error(errors::kClaimOnlyInXReadGroup);
    return false;
  }
  auto v = streams::ParseStrictInt64(arg);
  if (!v) {
    ctx.Error(errors::kClaimMinIdleNotInteger);
    return false;
  }
  if (*v < 0) {
    ctx.Error(errors::kClaimMinIdleNegative);
    return false;
  }
  a->claim = *v;
  return true;
}

bool ParseReadArgs(CommandContext& ctx, ReadArgs* a) {
  for (size_t i = 1; i < ctx.argc(); ++i) {
    size_t more = ctx.argc() - 1 - i;
    std::string_view opt = ctx.arg(i);
    if (IEquals(opt, "BLOCK") && more) {
      if (!ParseBlock(ctx, ctx.arg(++i), a)) return false;
    } else if (IEquals(opt, "COUNT") && more) {
      auto v = IntArgOrReply(ctx, ctx.arg(++i));
      if (!v) return false;
      a->count = *v < 0 ? 0 : *v;
    } else if (IEquals(opt, "MAXCOUNT") && more) {
      if (!ParseCap(ctx, ctx.arg(++i), errors::kMaxCountNotPositive, &a->maxcount)) return false;
    } else if (IEquals(opt, "MAXSIZE") && more) {
      if (!ParseCap(ctx, ctx.arg(++i), errors::kMaxSizeNotPositive, &a->maxsize)) return false;
    } else if (IEquals(opt, "CLAIM") && more) {
      if (!ParseClaim(ctx, ctx.arg(++i), a)) return false;
    } else if (IEquals(opt, "STREAMS") && more) {
      a->keys_at = i + 1;
      size_t rest = ctx.argc() - a->keys_at;
      if (rest % 2 != 0) {
        ctx.Error(errors::UnbalancedStreams(a->group_read));
        return false;
      }
      a->streams = rest / 2;
      break;
    } else if (IEquals(opt, "GROUP") && more >= 2) {
      if (!a->group_read) {
        ctx.Error(errors::kGroupOnlyInXReadGroup);
        return false;
      }
      a->group_given = true;
      a->group = ctx.arg(i + 1);
      a->consumer = ctx.arg(i + 2);
      i += 2;
    } else if (IEquals(opt, "NOACK")) {
      if (!a->group_read) {
        ctx.Error(errors::kNoAckOnlyInXReadGroup);
        return false;
      }
      a->noack = true;
    } else {
      ctx.Error(errors::kSyntax);
      return false;
    }
  }
  if (a->keys_at == 0) {
    ctx.Error(errors::kSyntax);
    return false;
  }
  if (a->group_read && !a->group_given) {
    ctx.Error(errors::kMissingGroup);
    return false;
  }
  if (a->maxcount > 0 && a->count > 0 && a->maxcount < a->count) {
    ctx.Error(errors::kMaxCountBelowCount);
    return false;
  }
  return true;
}

// One stream of the read, resolved: its stream (nullptr if absent), group, and after-ID.
struct ReadTarget {
  std::string_view key;
  Stream* stream = nullptr;
  ConsumerGroup* group = nullptr;
  StreamId after;
};

// Resolves every key's stream, group and "read after" ID, in argument order, replying the
// first error. "$" is the last ID now; "+" the entry before the last live one (Redis 7.4).
bool ResolveTargets(CommandContext& ctx, const ReadArgs& a, std::vector<ReadTarget>* out) {
  for (size_t k = 0; k < a.streams; ++k) {
    ReadTarget t;
    t.key = ctx.arg(a.keys_at + k);
    std::string_view text = ctx.arg(a.keys_at + a.streams + k);
    auto found = StreamOrReply(ctx, t.key);
    if (!found) return false;
    t.stream = *found;
    if (a.group_read) {
      t.group = t.stream ? t.stream->FindGroup(a.group) : nullptr;
      if (t.group == nullptr) {
        ctx.Error(errors::NoGroupInXReadGroup(t.key, a.group));
        return false;
      }
    }
    if (text == "$" || text == "+") {
      if (a.group_read) {
        ctx.Error(errors::MeaninglessIdInXReadGroup(text));
        return false;
      }
      if (text == "$") {
        t.after = t.stream ? t.stream->last_id() : StreamId::Min();
      } else if (t.stream && t.stream->length() > 0) {
        t.after = t.stream->LastLiveId()->Prev().value_or(StreamId::Min());
      }
    } else if (text == ">") {
      if (!a.group_read) {
        ctx.Error(errors::kGreaterIdOnlyInXReadGroup);
        return false;
      }
      t.after = kNewEntries;
    } else {
      auto id = StrictIdOrReply(ctx, text);
      if (!id) return false;
      t.after = *id;
    }
    out->push_back(t);
  }
  return true;
}

// XREAD: entries after t.after, if there are any.
bool ServeRead(CommandContext& ctx, const ReadArgs& a, const ReadTarget& t, ReadBudget& budget) {
  if (t.stream == nullptr || t.stream->length() == 0 || *t.stream->LastLiveId() <= t.after) {
    return false;
  }
  ctx.reply.Pair();
  ctx.reply.Bulk(t.key);
  auto it = t.stream->Range(*t.after.Next(), StreamId::Max(), false);
  auto header = ctx.reply.Begin();
  size_t n = 0;
  while (MayEmit(a, budget, n) && it.Next()) {
    WriteEntry(ctx.reply, it);
    budget.Emitted();
    ++n;
  }
  ctx.reply.EndArray(header, n);
  return true;
}

// CLAIM's candidates: pending entries idle for at least `min_idle`, in by_time order (the
// NACK zone, then the longest idle), as many as COUNT and MAXCOUNT could take. Entries whose
// stream entry is gone are passed over and stay pending (XCLAIM and XAUTOCLAIM purge them,
// XREADGROUP does not); the walk stops at the first live entry not idle long enough, so it
// costs what it returns plus the dangling entries it passes, not the PEL's size.
std::vector<StreamId> ClaimCandidates(const CommandContext& ctx, const ReadArgs& a,
                                      const ReadTarget& t, int64_t min_idle) {
  uint64_t limit = UINT64_MAX;
  if (a.count > 0) limit = static_cast<uint64_t>(a.count);
  if (a.maxcount > 0) limit = std::min(limit, static_cast<uint64_t>(a.maxcount));
  std::vector<StreamId> out;
  for (auto c = t.group->by_time().Begin(); c.valid() && out.size() < limit; c.Next()) {
    const streams::TimedId& r = c.record();
    if (!t.stream->Find(r.id)) continue;
    bool unowned = r.delivery_ms < 0;  // a NACK-zone ticket
    if (!unowned && ctx.now_ms - r.delivery_ms < min_idle) break;
    out.push_back(r.id);
  }
  return out;
}

// Hands one pending entry to `consumer` for CLAIM and writes it with its idle time and its
// delivery count before this claim.
void ClaimForRead(CommandContext& ctx, const ReadArgs& a, const ReadTarget& t,
                  streams::Consumer& consumer, StreamId id) {
  ConsumerGroup& g = *t.group;
  streams::PendingRecord rec = *g.FindPending(id);
  auto entry = t.stream->Find(id);
  int64_t idle = ctx.now_ms - streams::ShownDeliveryMs(rec);
  uint64_t before = std::min<uint64_t>(rec.delivery_count, INT64_MAX);
  g.SetPending(id, consumer, ctx.now_ms, streams::NextDeliveryCount(before));
  consumer.set_active_ms(ctx.now_ms);
  WriteEntryWithDelivery(ctx.reply, *entry, idle, static_cast<int64_t>(before));
  PropagateDelivery(ctx, t.key, a.group, g, id);
}

// XREADGROUP ">": the claimed entries (CLAIM), then entries the group has not delivered yet,
// each now pending for `consumer`. `claim` says whether the CLAIM form is used.
void DeliverNew(CommandContext& ctx, const ReadArgs& a, const ReadTarget& t,
                streams::Consumer& consumer, ReadBudget& budget, bool claim,
                const std::vector<StreamId>& claimable) {
  Stream& s = *t.stream;
  ConsumerGroup& g = *t.group;
  auto header = ctx.reply.Begin();
  size_t n = 0;
  for (StreamId id : claimable) {
    if (!MayEmit(a, budget, n)) break;
    ClaimForRead(ctx, a, t, consumer, id);
    budget.Emitted();
    ++n;
  }
  bool advanced = false;
  auto it = s.Range(*g.last_delivered().Next(), StreamId::Max(), false);
  while (MayEmit(a, budget, n) && it.Next()) {
    s.AdvanceGroup(g, it.id());
    advanced = true;
    if (claim) {
      WriteEntryWithDelivery(ctx.reply, it, 0, 0);
    } else {
      WriteEntry(ctx.reply, it);
    }
    budget.Emitted();
    if (!a.noack) {
      g.SetPending(it.id(), consumer, ctx.now_ms, 1);
      consumer.set_active_ms(ctx.now_ms);
      PropagateDelivery(ctx, t.key, a.group, g, it.id());
    }
    ++n;
  }
  ctx.reply.EndArray(header, n);
  if (advanced) PropagateGroupPosition(ctx, t.key, a.group, g);
  if (advanced && !a.noack) NotifyClaimable(ctx, t.key);
}

// XREADGROUP with an ID: the consumer's own pending entries after it. Entries deleted from the
// stream since come back as [id, nil]; the others count as delivered again.
void DeliverHistory(CommandContext& ctx, const ReadArgs& a, const ReadTarget& t,
                    streams::Consumer& consumer, ReadBudget& budget) {
  std::vector<StreamId> ids;
  auto start = t.after.Next();
  if (start) {
    for (auto c = consumer.pel().LowerBound(*start); c.valid(); c.Next()) {
      if (a.count != 0 && ids.size() >= static_cast<size_t>(a.count)) break;
      ids.push_back(c.record());
    }
  }
  auto header = ctx.reply.Begin();
  size_t n = 0;
  for (StreamId id : ids) {
    if (!budget.Allows()) break;
    budget.Emitted();
    ++n;
    auto entry = t.stream->Find(id);
    if (!entry) {
      ctx.reply.Array(2);
      WriteStreamId(ctx.reply, id);
      ctx.reply.NullArray();
      continue;
    }
    WriteEntry(ctx.reply, *entry);
    auto pending = t.group->FindPending(id);
    t.group->SetPending(id, consumer, ctx.now_ms,
                        streams::NextDeliveryCount(pending->delivery_count));
    PropagateDelivery(ctx, t.key, a.group, *t.group, id);
  }
  ctx.reply.EndArray(header, n);
}

// Serves one XREADGROUP key: history always answers (maybe empty); ">" only when there are
// undelivered entries or, with CLAIM (`claim` >= 0), claimable ones.
bool ServeGroupRead(CommandContext& ctx, const ReadArgs& a, const ReadTarget& t,
                    ReadBudget& budget, int64_t claim) {
  auto [consumer, created] = t.group->GetOrCreateConsumer(a.consumer, ctx.now_ms);
  consumer->set_seen_ms(ctx.now_ms);
  if (created) PropagateConsumerCreated(ctx, t.key, a.group, a.consumer);
  bool history = t.after != kNewEntries;
  std::vector<StreamId> claimable;
  if (!history && claim >= 0) claimable = ClaimCandidates(ctx, a, t, claim);
  if (!history && claimable.empty() &&
      (t.stream->length() == 0 || *t.stream->LastLiveId() <= t.group->last_delivered())) {
    PropagateConsumerTimes(ctx, t.key, a.group, *consumer);  // seen, even with nothing to read
    return false;
  }
  ctx.reply.Pair();
  ctx.reply.Bulk(t.key);
  if (history) {
    DeliverHistory(ctx, a, t, *consumer, budget);
  } else {
    DeliverNew(ctx, a, t, *consumer, budget, claim >= 0, claimable);
  }
  PropagateConsumerTimes(ctx, t.key, a.group, *consumer);
  return true;
}

// The command to re-run when woken: the same, with "$" and "+" replaced by concrete IDs.
resp::ArgList RerunArgs(CommandContext& ctx, const ReadArgs& a,
                        const std::vector<ReadTarget>& targets) {
  resp::ArgList rerun;
  size_t ids_at = a.keys_at + a.streams;
  for (size_t i = 0; i < ctx.argc(); ++i) {
    const bool resolved = i >= ids_at && !a.group_read;
    rerun.Add(resolved ? targets[i - ids_at].after.ToString() : std::string(ctx.arg(i)));
  }
  return rerun;
}

// When a blocked CLAIM reader should look again without a key change: when the oldest live
// pending entry of its streams becomes idle enough (0: there is none). Entries that become
// pending later, or older (XCLAIM TIME), or unowned (XNACK), mark the key ready instead
// (NotifyClaimable), which re-runs the reader at once.
int64_t ClaimWakeAt(const std::vector<ReadTarget>& targets, int64_t min_idle) {
  int64_t wake = INT64_MAX;
  for (const ReadTarget& t : targets) {
    for (auto c = t.group->by_time().Begin(); c.valid(); c.Next()) {
      if (!t.stream->Find(c.record().id)) continue;
      int64_t at;
      if (__builtin_add_overflow(std::max<int64_t>(c.record().delivery_ms, 0), min_idle, &at)) {
        at = INT64_MAX;
      }
      wake = std::min(wake, at);
      break;
    }
  }
  return wake == INT64_MAX ? 0 : wake;
}

void BlockOrTimeOut(CommandContext& ctx, const ReadArgs& a,
                    const std::vector<ReadTarget>& targets) {
  if (a.block < 0 || ctx.in_exec) return ctx.reply.NullArray();
  BlockRequest request;
  for (const ReadTarget& t : targets) {
    request.keys.push_back(
        WaitKey{std::string(t.key), t.after, std::string(a.group), a.claim >= 0});
  }
  if (a.claim >= 0) request.wake_at_ms = ClaimWakeAt(targets, a.claim);
  request.timeout_ms = static_cast<uint64_t>(a.block);
  request.rerun = RerunArgs(ctx, a, targets);
  ctx.Block(std::move(request));
}

void ReadCommand(CommandContext& ctx, bool group_read) {
  ReadArgs a;
  a.group_read = group_read;
  if (!ParseReadArgs(ctx, &a)) return;
  std::vector<ReadTarget> targets;
  if (!ResolveTargets(ctx, a, &targets)) return;
  auto header = ctx.reply.Begin();
  ReadBudget budget(a, ctx.reply);
  size_t served = 0;
  int64_t claim = a.claim;
  for (const ReadTarget& t : targets) {
    // The caps are reached: later streams are not read at all. (32: the pair's and the
    // key's RESP headers, at most.)
    if (!budget.Allows(t.key.size() + 32)) break;
    // As in Redis, a history read (an ID other than ">") turns CLAIM off for it and for
    // every stream after it in the same call.
    if (t.after != kNewEntries) claim = -1;
    bool ok = group_read ? ServeGroupRead(ctx, a, t, budget, claim) : ServeRead(ctx, a, t, budget);
    served += ok ? 1 : 0;
  }
  if (served > 0) return ctx.reply.EndPairs(header, served);
  BlockOrTimeOut(ctx, a, targets);
}

void CmdXRead(CommandContext& ctx) { ReadCommand(ctx, false); }
void CmdXReadGroup(CommandContext& ctx) { ReadCommand(ctx, true); }

}  // namespace

void RegisterReadCommands(std::vector<CommandSpec>& out) {
  out.push_back(MakeCommand("xread", -4, kCmdReadOnly | kCmdBlocking | kCmdMovableKeys, CmdXRead, 0,
                            0, 0, "@read @stream @slow @blocking"));
  out.push_back(MakeCommand("xreadgroup", -7,
                            kCmdWrite | kCmdBlocking | kCmdMovableKeys | kCmdCustomEffects,
                            CmdXReadGroup, 0, 0, 0, "@write @stream @slow @blocking"));
}

}  // namespace runnel::server
