// XREAD and XREADGROUP: reading new entries from several streams at once, blocking if asked.
//
// Both parse the same options and reply in the same shape (an array of [key, entries] in
// RESP2, a map in RESP3). XREADGROUP additionally hands entries to a consumer of a group
// (streams/group_ops.h has the rules): with ">" it delivers entries the group has not seen
// (recording them as pending unless NOACK), with any other ID it re-reads the consumer's own
// pending entries after that ID. A read that finds nothing and has BLOCK registers a wait, with
// a ReadWait saying which changes could let it answer; the dispatcher re-runs the stored command
// when one of the keys changes. MAXCOUNT and MAXSIZE (Redis 8.10) cap the whole reply across
// streams, where COUNT caps each stream (ReadBudget).
//
// XREADGROUP CLAIM min-idle-time (Redis 8.4) first hands the consumer pending entries idle for
// at least that long (entries released by XNACK first, then the longest idle), then new ones,
// in one COUNT budget per stream; every entry of such a stream carries two more elements, its
// idle time and its delivery count before this read (0 0 for new entries). A blocked CLAIM
// reader also wakes when the oldest pending entry becomes old enough.
#include <algorithm>
#include <string>
#include <vector>

#include "commands/streams/dead_letters.h"
#include "commands/streams/group_log.h"
#include "commands/streams/register.h"
#include "commands/streams/stream_args.h"
#include "commands/streams/stream_reply.h"
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

struct ReadArgs {
  bool group_read = false;  // XREADGROUP
  int64_t count = 0;
  int64_t maxcount = 0;  // MAXCOUNT (8.10): entries across all streams; 0 = no cap
  int64_t maxsize = 0;   // MAXSIZE (8.10): reply bytes across all streams; 0 = no cap
  int64_t block = -1;    // -1 = no BLOCK
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
      : maxcount_(a.maxcount), maxsize_(a.maxsize), reply_(reply), start_(reply.output()->size()) {}
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

// A re-run keeps the deadline set when the client blocked, so the range is checked only then:
// a later clock must not turn an accepted timeout into an error.
void ParseBlock(ArgParser& p, int64_t now_ms, bool rerun, ReadArgs* a) {
  int64_t v = p.Int(errors::kTimeoutNotInteger);
  if (!p.ok()) return;
  if (v < 0) return p.Fail(errors::kTimeoutNegative);
  if (!rerun && v > INT64_MAX - now_ms) return p.Fail(errors::kTimeoutOutOfRange);
  a->block = v;
}

// MAXCOUNT's or MAXSIZE's value: a positive integer, else `error`.
int64_t ParseCap(ArgParser& p, std::string_view error) {
  auto v = streams::ParseStrictInt64(p.Next());
  if (p.ok() && (!v || *v <= 0)) p.Fail(error);
  return v.value_or(0);
}

// CLAIM's min-idle-time: an integer >= 0.
void ParseClaim(ArgParser& p, ReadArgs* a) {
  if (!a->group_read) return p.Fail(errors::kClaimOnlyInXReadGroup);
  int64_t v = p.Int(errors::kClaimMinIdleNotInteger);
  if (p.ok() && v < 0) return p.Fail(errors::kClaimMinIdleNegative);
  a->claim = v;
}

bool ParseReadArgs(CommandContext& ctx, ReadArgs* a) {
  ArgParser p(ctx, 1);
  while (p.HasNext()) {
    if (p.Check("BLOCK", 1)) {
      ParseBlock(p, ctx.now_ms, ctx.rerun, a);
    } else if (p.Check("COUNT", 1)) {
      int64_t v = p.Int();
      a->count = v < 0 ? 0 : v;
    } else if (p.Check("MAXCOUNT", 1)) {
      a->maxcount = ParseCap(p, errors::kMaxCountNotPositive);
    } else if (p.Check("MAXSIZE", 1)) {
      a->maxsize = ParseCap(p, errors::kMaxSizeNotPositive);
    } else if (p.Check("CLAIM", 1)) {
      ParseClaim(p, a);
    } else if (p.Check("STREAMS", 1)) {
      a->keys_at = p.pos();
      size_t rest = ctx.argc() - a->keys_at;
      if (rest % 2 != 0) p.Fail(errors::UnbalancedStreams(a->group_read));
      a->streams = rest / 2;
      break;
    } else if (p.Check("GROUP", 2)) {
      if (!a->group_read) p.Fail(errors::kGroupOnlyInXReadGroup);
      a->group_given = true;
      a->group = p.Next();
      a->consumer = p.Next();
    } else if (p.Check("NOACK")) {
      if (!a->group_read) p.Fail(errors::kNoAckOnlyInXReadGroup);
      a->noack = true;
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  if (!p.Finish()) return false;
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

// What a blocked XREAD or XREADGROUP waits for. XREAD waits on through a deleted key or one that
// now holds another type (as Redis does) until its stream's last ID passes the one it read
// after. XREADGROUP re-runs to answer NOGROUP or WRONGTYPE when its key or group is gone, and
// otherwise only when the group has something left to deliver and the consumer has room for it
// (MAXPENDING) — after the first waiter takes the new entries the others are passed over without
// running anything — or, with CLAIM, on any change (a pending entry may have become claimable:
// the re-run decides).
class ReadWait : public dispatch::WaitCondition {
 public:
  struct Key {
    std::string key;
    StreamId after;  // XREAD: entries after this one
  };
  ReadWait(std::string group, std::string consumer, bool claim, std::vector<Key> keys)
      : group_(std::move(group)),
        consumer_(std::move(consumer)),
        claim_(claim),
        keys_(std::move(keys)) {}

  bool Ready(const streams::Database::Node* node, std::string_view key, int64_t) const override {
    const Key* wait = nullptr;
    for (const Key& k : keys_) {
      if (k.key == key) wait = &k;
    }
    if (wait == nullptr) return false;
    const Stream* s = node != nullptr ? node->value.value.stream() : nullptr;
    if (group_.empty()) return s != nullptr && s->last_id() > wait->after;
    if (s == nullptr || claim_) return true;
    const ConsumerGroup* g = s->FindGroup(group_);
    if (g == nullptr) return true;
    const streams::Consumer* c = g->FindConsumer(consumer_);
    return s->last_id() > g->last_delivered() && (c == nullptr || streams::HasRoom(*g, *c));
  }

 private:
  std::string group_;  // empty for XREAD
  std::string consumer_;
  bool claim_;
  std::vector<Key> keys_;
};

// How many entries a CLAIM read may claim from one stream: its COUNT and MAXCOUNT.
uint64_t ClaimLimit(const ReadArgs& a) {
  uint64_t limit = UINT64_MAX;
  if (a.count > 0) limit = static_cast<uint64_t>(a.count);
  if (a.maxcount > 0) limit = std::min(limit, static_cast<uint64_t>(a.maxcount));
  return limit;
}

// Writes one stream's entries for XREADGROUP: the consumer's own pending ones after the ID
// (a history read, `history`), or the claimed ones then the new ones.
void WriteGroupEntries(CommandContext& ctx, const ReadArgs& a, const ReadTarget& t,
                       streams::Consumer& c, ReadBudget& budget, int64_t claim, bool history,
                       const std::vector<StreamId>& claimable, streams::GroupChanges* changes) {
  Stream& s = *t.stream;
  ConsumerGroup& g = *t.group;
  auto header = ctx.reply.Begin();
  size_t n = 0;
  auto may_take = [&] { return MayEmit(a, budget, n); };
  auto emitted = [&] {
    budget.Emitted();
    ++n;
  };
  if (history) {
    auto allows = [&] { return budget.Allows(); };
    streams::RedeliverOwn(
        s, g, c, t.after, static_cast<uint64_t>(a.count), ctx.now_ms, allows,
        [&](StreamId id, const Stream::Iterator* entry) {
          emitted();
          if (entry != nullptr) return WriteEntry(ctx.reply, *entry);
          ctx.reply.Array(2);  // deleted since it was delivered
          WriteStreamId(ctx.reply, id);
          ctx.reply.NullArray();
        },
        changes);
  } else {
    streams::ClaimIdle(
        s, g, c, claimable, ctx.now_ms, may_take,
        [&](const Stream::Iterator& it, int64_t idle, int64_t before) {
          WriteEntryWithDelivery(ctx.reply, it, idle, before);
          emitted();
        },
        changes);
    streams::DeliverNew(
        s, g, c, ctx.now_ms, a.noack, may_take,
        [&](const Stream::Iterator& it) {
          if (claim >= 0) {
            WriteEntryWithDelivery(ctx.reply, it, 0, 0);
          } else {
            WriteEntry(ctx.reply, it);
          }
          emitted();
        },
        changes);
  }
  ctx.reply.EndArray(header, n);
}

// Serves one XREADGROUP key: history always answers (maybe empty); ">" only when there are
// undelivered entries or, with CLAIM (`claim` >= 0), claimable ones.
bool ServeGroupRead(CommandContext& ctx, const ReadArgs& a, const ReadTarget& t, ReadBudget& budget,
                    int64_t claim) {
  streams::GroupChanges changes;
  streams::Consumer& c = streams::TouchConsumer(*t.group, a.consumer, ctx.now_ms, &changes);
  bool history = t.after != kNewEntries;
  std::vector<StreamId> claimable;
  if (!history && claim >= 0) {
    claimable = streams::FindIdle(*t.stream, *t.group, claim, ClaimLimit(a), ctx.now_ms);
    DeadLetterWriter dead_letters(ctx, t.key);
    streams::DeadLetterExhausted(*t.stream, *t.group, &claimable, &dead_letters, &changes);
  }
  // MAXPENDING: a consumer without room is not served (it blocks, or gets nil) unless NOACK
  // reads make nothing pending.
  bool room = a.noack || streams::HasRoom(*t.group, c);
  bool served =
      history || (room && (!claimable.empty() || streams::HasUndelivered(*t.stream, *t.group)));
  if (served) {
    ctx.reply.Pair();
    ctx.reply.Bulk(t.key);
    WriteGroupEntries(ctx, a, t, c, budget, claim, history, claimable, &changes);
  }
  LogGroupChanges(ctx, t.key, *t.group, changes);
  // As Redis counts: the consumer's creation, and one change per stream read from (a history
  // read counts none).
  if (changes.consumer_created) ctx.Changed();
  if (!history && (changes.position_moved || !changes.delivered.empty())) ctx.Changed();
  // New pending entries will become claimable: blocked CLAIM readers with nothing pending so
  // far look again (their timed wake only knows the entries pending when they blocked).
  if (!a.noack && changes.read_new > 0) ctx.WakeReaders(t.key);
  return served;
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
// pending later, or older (XCLAIM TIME), or unowned (XNACK), wake the reader instead.
int64_t ClaimWakeAt(const std::vector<ReadTarget>& targets, int64_t min_idle) {
  int64_t wake = INT64_MAX;
  for (const ReadTarget& t : targets) {
    if (auto at = streams::NextClaimableAt(*t.stream, *t.group, min_idle)) {
      wake = std::min(wake, *at);
    }
  }
  return wake == INT64_MAX ? 0 : wake;
}

void BlockOrTimeOut(CommandContext& ctx, const ReadArgs& a,
                    const std::vector<ReadTarget>& targets) {
  if (a.block < 0 || ctx.in_exec) return ctx.reply.NullArray();
  dispatch::BlockRequest request;
  std::vector<ReadWait::Key> keys;
  for (const ReadTarget& t : targets) {
    request.keys.emplace_back(t.key);
    keys.push_back({std::string(t.key), t.after});
  }
  if (a.claim >= 0) request.wake_at_ms = ClaimWakeAt(targets, a.claim);
  request.timeout_ms = static_cast<uint64_t>(a.block);
  request.on_nokey = !a.group.empty();  // XREADGROUP: a deleted key answers -NOGROUP
  request.rerun = RerunArgs(ctx, a, targets);
  request.condition = std::make_unique<ReadWait>(std::string(a.group), std::string(a.consumer),
                                                 a.claim >= 0, std::move(keys));
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
    // Redis looks each XREAD key up again to serve it: a missing one is a second keymiss.
    if (!group_read && t.stream == nullptr) ctx.db().FindNoTouch(t.key, ctx.now_ms);
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
  using namespace dispatch;  // NOLINT: the flag names
  out.push_back({.name = "xread",
                 .arity = -4,
                 .flags = kCmdReadOnly | kCmdBlocking | kCmdMovableKeys,
                 .handler = CmdXRead,
                 .acl_categories = "@read @stream @slow @blocking"});
  out.push_back({.name = "xreadgroup",
                 .arity = -7,
                 .flags = kCmdWrite | kCmdBlocking | kCmdMovableKeys,
                 .handler = CmdXReadGroup,
                 .acl_categories = "@write @stream @slow @blocking"});
}

}  // namespace runnel::commands
