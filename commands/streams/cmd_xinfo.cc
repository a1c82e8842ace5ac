// XINFO STREAM [FULL [COUNT n]], XINFO GROUPS, XINFO CONSUMERS, XINFO HELP.
//
// Replies are maps (flat arrays in RESP2) with the fields in redis-server's order. Times in
// FULL are absolute unix ms; CONSUMERS reports idle (since the consumer last tried to read or
// claim) and inactive (since it last got entries, or -1 if never), as Redis 7.2 defines them.
#include <string>
#include <vector>

#include "commands/streams/register.h"
#include "commands/streams/stream_args.h"
#include "commands/streams/stream_reply.h"
#include "dispatch/args.h"
#include "dispatch/help.h"

namespace runnel::commands {
namespace {

using dispatch::CommandContext;
using dispatch::CommandSpec;
using dispatch::IEquals;
using dispatch::IntArgOrReply;
namespace errors = dispatch::errors;

using streams::ConsumerGroup;
using streams::Stream;
using streams::StreamId;

// The stream XINFO asks about; replies "no such key" or WRONGTYPE when there is none.
const Stream* InfoStreamOrReply(CommandContext& ctx) {
  auto found = StreamOrReply(ctx, ctx.arg(2));
  if (!found) return nullptr;
  if (*found == nullptr) ctx.Error(errors::kNoSuchKey);
  return *found;
}

void WriteEntriesRead(resp::ReplyWriter& r, const ConsumerGroup& g) {
  if (g.entries_read() == streams::kUnknownEntriesRead) {
    r.Null();
  } else {
    r.Integer(g.entries_read());
  }
}

void WriteLag(resp::ReplyWriter& r, const Stream& s, const ConsumerGroup& g) {
  if (auto lag = s.Lag(g)) {
    r.Integer(*lag);
  } else {
    r.Null();
  }
}

void WriteEdgeEntry(CommandContext& ctx, const Stream& s, bool last) {
  auto it = s.Range(StreamId::Min(), StreamId::Max(), last);
  if (it.Next()) {
    WriteEntry(ctx.reply, it);
  } else {
    ctx.reply.Null();
  }
}

// Redis 8.6's idempotent-production fields (XCFGSET settings and the iid counters).
void WriteIdmpSummary(resp::ReplyWriter& r, const Stream& s) {
  const streams::IdmpState* idmp = s.idmp();
  r.Bulk("idmp-duration");
  r.Integer(s.idmp_config().duration_s);
  r.Bulk("idmp-maxsize");
  r.Integer(s.idmp_config().maxsize);
  r.Bulk("pids-tracked");
  r.Integer(idmp ? static_cast<int64_t>(idmp->producers()) : 0);
  r.Bulk("iids-tracked");
  r.Integer(idmp ? static_cast<int64_t>(idmp->iids()) : 0);
  r.Bulk("iids-added");
  r.Integer(idmp ? static_cast<int64_t>(idmp->added()) : 0);
  r.Bulk("iids-duplicates");
  r.Integer(idmp ? static_cast<int64_t>(idmp->duplicates()) : 0);
}

// Runnel's fields, after Redis's, only on streams that use them (so a plain stream's reply is
// Redis's): retention settings, and the delayed entries of a stream that ever had one.
size_t RunnelStreamFields(const Stream& s) {
  return (s.retention().empty() ? 0 : 3) + (s.schedule() != nullptr ? 2 : 0);
}

void WriteRunnelStreamFields(resp::ReplyWriter& r, const Stream& s) {
  if (!s.retention().empty()) {
    r.Bulk("retention-ms");
    r.Integer(s.retention().max_age_ms);
    r.Bulk("retention-maxlen");
    r.Integer(static_cast<int64_t>(s.retention().maxlen));
    r.Bulk("retention-refs");
    r.Bulk(s.retention().refs == streams::RefPolicy::kAcked ? "acked" : "keepref");
  }
  if (const streams::Schedule* schedule = s.schedule()) {
    r.Bulk("scheduled-entries");
    r.Integer(static_cast<int64_t>(schedule->size()));
    r.Bulk("next-scheduled-ms");
    if (auto due = schedule->NextDueMs()) {
      r.Integer(*due);
    } else {
      r.Null();
    }
  }
}

void WriteStreamSummary(resp::ReplyWriter& r, const Stream& s) {
  r.Bulk("length");
  r.Integer(static_cast<int64_t>(s.length()));
  r.Bulk("radix-tree-keys");
  r.Integer(static_cast<int64_t>(s.block_count()));
  r.Bulk("radix-tree-nodes");
  r.Integer(static_cast<int64_t>(s.RaxNodeCount()));  // as Redis's rax counts them
  r.Bulk("last-generated-id");
  WriteStreamId(r, s.last_id());
  r.Bulk("max-deleted-entry-id");
  WriteStreamId(r, s.max_deleted_id());
  r.Bulk("entries-added");
  r.Integer(static_cast<int64_t>(s.entries_added()));
  r.Bulk("recorded-first-entry-id");
  WriteStreamId(r, s.first_id());
  WriteIdmpSummary(r, s);
}

// A group's consumers for FULL: each with up to `count` of its pending entries.
void WriteFullConsumers(resp::ReplyWriter& r, const ConsumerGroup& g, uint64_t count) {
  r.Array(g.consumers().size());
  for (const auto& [name, c] : g.consumers()) {
    r.Map(5);
    r.Bulk("name");
    r.Bulk(name);
    r.Bulk("seen-time");
    r.Integer(c->seen_ms());
    r.Bulk("active-time");
    r.Integer(c->active_ms());
    r.Bulk("pel-count");
    r.Integer(static_cast<int64_t>(c->pending()));
    r.Bulk("pending");
    auto header = r.Begin();
    size_t n = 0;
    for (auto it = c->pel().Begin(); it.valid() && (count == 0 || n < count); it.Next(), ++n) {
      auto rec = g.FindPending(it.record());
      r.Array(3);
      WriteStreamId(r, it.record());
      r.Integer(rec->delivery_ms);
      r.Integer(static_cast<int64_t>(rec->delivery_count));
    }
    r.EndArray(header, n);
  }
}

// Runnel's group policy and its counters (docs/queues.md), after Redis's fields, only for a group
// that has or had a policy: other groups reply exactly as in Redis, so clients that parse these
// maps strictly see nothing new.
constexpr size_t kPolicyFields = kPolicyPairs + 3;
bool ShowsPolicy(const ConsumerGroup& g) {
  return !g.policy().empty() || g.counters() != streams::GroupCounters{};
}
void WritePolicyFields(resp::ReplyWriter& r, const ConsumerGroup& g) {
  WritePolicyPairs(r, g.policy());
  r.Bulk("dead-lettered");
  r.Integer(static_cast<int64_t>(g.counters().dead_lettered));
  r.Bulk("dead-letter-failures");
  r.Integer(static_cast<int64_t>(g.counters().dead_letter_failures));
  r.Bulk("consumers-expired");
  r.Integer(static_cast<int64_t>(g.counters().consumers_expired));
}

void WriteFullGroups(resp::ReplyWriter& r, const Stream& s, uint64_t count) {
  r.Array(s.groups().size());
  for (const auto& [name, g] : s.groups()) {
    const bool policy = ShowsPolicy(*g);
    r.Map(8 + (policy ? kPolicyFields : 0));
    r.Bulk("name");
    r.Bulk(name);
    r.Bulk("last-delivered-id");
    WriteStreamId(r, g->last_delivered());
    r.Bulk("entries-read");
    WriteEntriesRead(r, *g);
    r.Bulk("lag");
    WriteLag(r, s, *g);
    r.Bulk("pel-count");
    r.Integer(static_cast<int64_t>(g->pending()));
    r.Bulk("nacked-count");  // Redis 8.8
    r.Integer(static_cast<int64_t>(g->nacked()));
    r.Bulk("pending");
    auto header = r.Begin();
    size_t n = 0;
    for (auto it = g->pel().Begin(); it.valid() && (count == 0 || n < count); it.Next(), ++n) {
      const auto& rec = it.record();
      r.Array(4);
      WriteStreamId(r, rec.id);
      r.Bulk(g->OwnerName(rec));
      r.Integer(streams::ShownDeliveryMs(rec));
      r.Integer(static_cast<int64_t>(rec.delivery_count));
    }
    r.EndArray(header, n);
    r.Bulk("consumers");
    WriteFullConsumers(r, *g, count);
    if (policy) WritePolicyFields(r, *g);
  }
}

void CmdXInfoStream(CommandContext& ctx) {
  const Stream* s = InfoStreamOrReply(ctx);
  if (s == nullptr) return;
  bool full = ctx.argc() > 3;
  int64_t count = 10;
  if (full) {
    size_t options = ctx.argc() - 3;
    if ((options != 1 && options != 3) || !IEquals(ctx.arg(3), "FULL") ||
        (options == 3 && !IEquals(ctx.arg(4), "COUNT"))) {
      return ctx.Error(errors::SubcommandSyntax(ctx.args));
    }
    if (options == 3) {
      auto v = IntArgOrReply(ctx, ctx.arg(5));
      if (!v) return;
      count = *v < 0 ? 10 : *v;
    }
  }
  auto& r = ctx.reply;
  r.Map((full ? 15 : 16) + RunnelStreamFields(*s));
  WriteStreamSummary(r, *s);
  if (!full) {
    r.Bulk("groups");
    r.Integer(static_cast<int64_t>(s->groups().size()));
    r.Bulk("first-entry");
    WriteEdgeEntry(ctx, *s, false);
    r.Bulk("last-entry");
    WriteEdgeEntry(ctx, *s, true);
  } else {
    r.Bulk("entries");
    auto it = s->Range(StreamId::Min(), StreamId::Max(), false);
    WriteRange(r, it, static_cast<uint64_t>(count));
    r.Bulk("groups");
    WriteFullGroups(r, *s, static_cast<uint64_t>(count));
  }
  WriteRunnelStreamFields(r, *s);
}

void CmdXInfoGroups(CommandContext& ctx) {
  const Stream* s = InfoStreamOrReply(ctx);
  if (s == nullptr) return;
  auto& r = ctx.reply;
  r.Array(s->groups().size());
  for (const auto& [name, g] : s->groups()) {
    const bool policy = ShowsPolicy(*g);
    r.Map(6 + (policy ? kPolicyFields : 0));
    r.Bulk("name");
    r.Bulk(name);
    r.Bulk("consumers");
    r.Integer(static_cast<int64_t>(g->consumers().size()));
    r.Bulk("pending");
    r.Integer(static_cast<int64_t>(g->pending()));
    r.Bulk("last-delivered-id");
    WriteStreamId(r, g->last_delivered());
    r.Bulk("entries-read");
    WriteEntriesRead(r, *g);
    r.Bulk("lag");
    WriteLag(r, *s, *g);
    if (policy) WritePolicyFields(r, *g);
  }
}

void CmdXInfoConsumers(CommandContext& ctx) {
  const Stream* s = InfoStreamOrReply(ctx);
  if (s == nullptr) return;
  const ConsumerGroup* g = s->FindGroup(ctx.arg(3));
  if (g == nullptr) return ctx.Error(errors::NoSuchGroupForKey(ctx.arg(3), ctx.arg(2)));
  auto& r = ctx.reply;
  r.Array(g->consumers().size());
  for (const auto& [name, c] : g->consumers()) {
    r.Map(4);
    r.Bulk("name");
    r.Bulk(name);
    r.Bulk("pending");
    r.Integer(static_cast<int64_t>(c->pending()));
    r.Bulk("idle");
    r.Integer(std::max<int64_t>(ctx.now_ms - c->seen_ms(), 0));
    r.Bulk("inactive");
    r.Integer(c->active_ms() == -1 ? -1 : ctx.now_ms - c->active_ms());
  }
}

void CmdXInfoHelp(CommandContext& ctx) {
  dispatch::WriteHelp(
      ctx.reply, "XINFO",
      {"CONSUMERS <key> <groupname>", "    Show consumers of <groupname>.", "GROUPS <key>",
       "    Show the stream consumer groups.", "STREAM <key> [FULL [COUNT <count>]",
       "    Show information about the stream."});
}

}  // namespace

void RegisterXInfoCommands(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  const KeyPositions key2 = {2, 2, 1};
  std::vector<CommandSpec> xinfo;
  xinfo.push_back({.name = "consumers",
                   .arity = 4,
                   .flags = kCmdReadOnly,
                   .handler = CmdXInfoConsumers,
                   .keys = key2,
                   .acl_categories = "@read @stream @slow",
                   .tips = "nondeterministic_output"});
  xinfo.push_back({.name = "groups",
                   .arity = 3,
                   .flags = kCmdReadOnly,
                   .handler = CmdXInfoGroups,
                   .keys = key2,
                   .acl_categories = "@read @stream @slow"});
  xinfo.push_back({.name = "stream",
                   .arity = -3,
                   .flags = kCmdReadOnly,
                   .handler = CmdXInfoStream,
                   .keys = key2,
                   .acl_categories = "@read @stream @slow"});
  xinfo.push_back({.name = "help",
                   .arity = 2,
                   .flags = kCmdLoading | kCmdStale,
                   .handler = CmdXInfoHelp,
                   .acl_categories = "@stream @slow"});
  out.push_back(
      {.name = "xinfo", .arity = -2, .acl_categories = "@slow", .subcommands = std::move(xinfo)});
}

}  // namespace runnel::commands
