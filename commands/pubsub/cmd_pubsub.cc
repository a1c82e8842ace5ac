// Pub/Sub commands, with redis-server's replies: each (un)subscription is confirmed by its own
// push [kind, name, count] (count: channels + patterns for the plain and pattern kinds, shard
// channels for the shard kind); an unsubscription from nothing names nil. A RESP2 client with
// subscriptions is in "Pub/Sub context" (the dispatcher refuses other commands). Single node:
// SSUBSCRIBE and SPUBLISH work on shard channels that are all local.
#include <string>
#include <vector>

#include "commands/pubsub/register.h"
#include "dispatch/args.h"
#include "dispatch/dispatcher.h"
#include "dispatch/help.h"

namespace runnel::commands {
namespace {

using dispatch::CommandContext;
using dispatch::CommandSpec;
using dispatch::SubKind;
namespace errors = dispatch::errors;

struct KindNames {
  std::string_view subscribe, unsubscribe;
};
KindNames NamesOf(SubKind kind) {
  switch (kind) {
    case SubKind::kChannel:
      return {"subscribe", "unsubscribe"};
    case SubKind::kPattern:
      return {"psubscribe", "punsubscribe"};
    case SubKind::kShard:
      break;
  }
  return {"ssubscribe", "sunsubscribe"};
}

size_t CountFor(const dispatch::Client& c, SubKind kind) {
  return kind == SubKind::kShard ? c.subscriptions.shard_channels.size() : c.subscriptions.count();
}

void Subscribe(CommandContext& ctx, SubKind kind) {
  dispatch::Client& c = ctx.client();
  for (size_t i = 1; i < ctx.argc(); ++i) {
    std::string name(ctx.arg(i));
    ctx.dispatcher().pubsub().Subscribe(c, kind, name);
    dispatch::WriteSubscription(ctx.reply, NamesOf(kind).subscribe, &name, CountFor(c, kind));
  }
}

void Unsubscribe(CommandContext& ctx, SubKind kind) {
  dispatch::Client& c = ctx.client();
  std::vector<std::string> names;
  if (ctx.argc() > 1) {
    for (size_t i = 1; i < ctx.argc(); ++i) names.emplace_back(ctx.arg(i));
  } else {
    const auto& mine = kind == SubKind::kChannel   ? c.subscriptions.channels
                       : kind == SubKind::kPattern ? c.subscriptions.patterns
                                                   : c.subscriptions.shard_channels;
    names.assign(mine.begin(), mine.end());
    if (names.empty()) {
      return dispatch::WriteSubscription(ctx.reply, NamesOf(kind).unsubscribe, nullptr,
                                         CountFor(c, kind));
    }
  }
  for (const std::string& name : names) {
    ctx.dispatcher().pubsub().Unsubscribe(c, kind, name);
    dispatch::WriteSubscription(ctx.reply, NamesOf(kind).unsubscribe, &name, CountFor(c, kind));
  }
}

void CmdSubscribe(CommandContext& ctx) { Subscribe(ctx, SubKind::kChannel); }
void CmdPSubscribe(CommandContext& ctx) { Subscribe(ctx, SubKind::kPattern); }
void CmdSSubscribe(CommandContext& ctx) {
  // As redis-server: a transaction expects one reply per command, which a shard subscription
  // cannot promise (SUBSCRIBE and PSUBSCRIBE are let through, SSUBSCRIBE is not).
  if (ctx.in_exec) return ctx.Error(errors::kSSubscribeInExec);
  Subscribe(ctx, SubKind::kShard);
}
void CmdUnsubscribe(CommandContext& ctx) { Unsubscribe(ctx, SubKind::kChannel); }
void CmdPUnsubscribe(CommandContext& ctx) { Unsubscribe(ctx, SubKind::kPattern); }
void CmdSUnsubscribe(CommandContext& ctx) { Unsubscribe(ctx, SubKind::kShard); }

void Publish(CommandContext& ctx, bool shard) {
  size_t n = ctx.dispatcher().Publish(shard, ctx.arg(1), ctx.arg(2));
  // A master's replicas deliver it to their own subscribers (Sentinel's hellos travel so).
  if (!shard) ctx.dispatcher().host().PropagatePublish(ctx.arg(1), ctx.arg(2));
  ctx.reply.Integer(static_cast<int64_t>(n));
}
void CmdPublish(CommandContext& ctx) { Publish(ctx, false); }
void CmdSPublish(CommandContext& ctx) { Publish(ctx, true); }

// PUBSUB CHANNELS / SHARDCHANNELS [pattern]
void Channels(CommandContext& ctx, bool shard) {
  if (ctx.argc() > 3) return ctx.Error(errors::SubcommandSyntax(ctx.args));
  std::string_view pattern = ctx.argc() == 3 ? ctx.arg(2) : std::string_view();
  std::vector<std::string_view> names = ctx.dispatcher().pubsub().Channels(shard, pattern);
  ctx.reply.Array(names.size());
  for (std::string_view name : names) ctx.reply.Bulk(name);
}
void CmdPubSubChannels(CommandContext& ctx) { Channels(ctx, false); }
void CmdPubSubShardChannels(CommandContext& ctx) { Channels(ctx, true); }

// PUBSUB NUMSUB / SHARDNUMSUB [channel ...]: flat channel, count pairs (an array in RESP3 too,
// as redis-server 7.0 answers).
void NumSub(CommandContext& ctx, bool shard) {
  ctx.reply.Array(2 * (ctx.argc() - 2));
  for (size_t i = 2; i < ctx.argc(); ++i) {
    ctx.reply.Bulk(ctx.arg(i));
    ctx.reply.Integer(
        static_cast<int64_t>(ctx.dispatcher().pubsub().Subscribers(shard, ctx.arg(i))));
  }
}
void CmdPubSubNumSub(CommandContext& ctx) { NumSub(ctx, false); }
void CmdPubSubShardNumSub(CommandContext& ctx) { NumSub(ctx, true); }

void CmdPubSubNumPat(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.dispatcher().pubsub().patterns()));
}

void CmdPubSubHelp(CommandContext& ctx) {
  dispatch::WriteHelp(
      ctx.reply, "PUBSUB",
      {"CHANNELS [<pattern>]",
       "    Return the currently active channels matching a <pattern> (default: '*').", "NUMPAT",
       "    Return number of subscriptions to patterns.", "NUMSUB [<channel> ...]",
       "    Return the number of subscribers for the specified channels, excluding",
       "    pattern subscriptions(default: no channels).", "SHARDCHANNELS [<pattern>]",
       "    Return the currently active shard level channels matching a <pattern> (default: "
       "'*').",
       "SHARDNUMSUB [<shardchannel> ...]",
       "    Return the number of subscribers for the specified shard level channel(s)"});
}

}  // namespace

void RegisterPubSubCommands(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  constexpr uint32_t kSub = kCmdPubSub | kCmdNoScript | kCmdLoading | kCmdStale;
  auto subscriber = [&](std::string name, int arity, void (*handler)(CommandContext&), bool shard) {
    CommandSpec spec{.name = std::move(name),
                     .arity = arity,
                     .flags = kSub,
                     .handler = handler,
                     .acl_categories = "@pubsub @slow"};
    if (shard) {
      spec.keys = {1, -1, 1};
      spec.key_flags = "not_key";  // a shard channel has a key's slot, but is no key
    }
    out.push_back(std::move(spec));
  };
  subscriber("subscribe", -2, CmdSubscribe, false);
  subscriber("unsubscribe", -1, CmdUnsubscribe, false);
  subscriber("psubscribe", -2, CmdPSubscribe, false);
  subscriber("punsubscribe", -1, CmdPUnsubscribe, false);
  subscriber("ssubscribe", -2, CmdSSubscribe, true);
  subscriber("sunsubscribe", -1, CmdSUnsubscribe, true);
  out.push_back({.name = "publish",
                 .arity = 3,
                 .flags = kCmdPubSub | kCmdLoading | kCmdStale | kCmdFast,
                 .handler = CmdPublish,
                 .acl_categories = "@pubsub @fast"});
  out.push_back({.name = "spublish",
                 .arity = 3,
                 .flags = kCmdPubSub | kCmdLoading | kCmdStale | kCmdFast,
                 .handler = CmdSPublish,
                 .keys = {1, 1, 1},
                 .acl_categories = "@pubsub @fast",
                 .key_flags = "not_key"});
  std::vector<CommandSpec> sub;
  const uint32_t kIntrospect = kCmdPubSub | kCmdLoading | kCmdStale;
  sub.push_back({.name = "channels",
                 .arity = -2,
                 .flags = kIntrospect,
                 .handler = CmdPubSubChannels,
                 .acl_categories = "@pubsub @slow"});
  sub.push_back({.name = "numpat",
                 .arity = 2,
                 .flags = kIntrospect,
                 .handler = CmdPubSubNumPat,
                 .acl_categories = "@pubsub @slow"});
  sub.push_back({.name = "numsub",
                 .arity = -2,
                 .flags = kIntrospect,
                 .handler = CmdPubSubNumSub,
                 .acl_categories = "@pubsub @slow"});
  sub.push_back({.name = "shardchannels",
                 .arity = -2,
                 .flags = kIntrospect,
                 .handler = CmdPubSubShardChannels,
                 .acl_categories = "@pubsub @slow"});
  sub.push_back({.name = "shardnumsub",
                 .arity = -2,
                 .flags = kIntrospect,
                 .handler = CmdPubSubShardNumSub,
                 .acl_categories = "@pubsub @slow"});
  sub.push_back({.name = "help",
                 .arity = 2,
                 .flags = kCmdLoading | kCmdStale,
                 .handler = CmdPubSubHelp,
                 .acl_categories = "@slow"});
  out.push_back(
      {.name = "pubsub", .arity = -2, .acl_categories = "@slow", .subcommands = std::move(sub)});
}

}  // namespace runnel::commands
