// MOVE and SWAPDB: keys changing database, with redis-server's replies and errors. Both are
// logged as themselves (MOVE key db, SWAPDB a b), which replay applies without a clock.
#include <climits>
#include <string>
#include <vector>

#include "commands/keys/register.h"
#include "config/config.h"
#include "dispatch/args.h"
#include "dispatch/dispatcher.h"

namespace runnel::commands {
namespace {

using dispatch::CommandContext;
using dispatch::CommandSpec;
namespace errors = dispatch::errors;

// A database number as Redis reads one (an int); nullopt after replying `error`.
std::optional<int> DbIndexOrReply(CommandContext& ctx, std::string_view text,
                                  std::string_view error) {
  auto v = streams::ParseStrictInt64(text);
  if (!v || *v < INT_MIN || *v > INT_MAX) {
    ctx.Error(error);
    return std::nullopt;
  }
  if (*v < 0 || *v >= ctx.keyspace().size()) {
    ctx.Error(errors::kDbIndexOutOfRange);
    return std::nullopt;
  }
  return static_cast<int>(*v);
}

void CmdMove(CommandContext& ctx) {
  auto target = DbIndexOrReply(ctx, ctx.arg(2), errors::kNotInteger);
  if (!target) return;
  const int source = ctx.client().db;
  if (*target == source) return ctx.Error(errors::kSameObject);
  std::string_view key = ctx.arg(1);
  streams::Database::Node* node = ctx.db().Find(key, ctx.now_ms);
  streams::Database& dest = ctx.keyspace().db(*target);
  if (node == nullptr || dest.Find(key, ctx.now_ms) != nullptr) return ctx.reply.Integer(0);
  // Seen times still waiting for the once-a-second flush name (database, key): first.
  ctx.dispatcher().FlushConsumerTimes(source, key);
  ctx.db().Move(node, dest, key);
  ctx.effects().Move(key, *target);
  ctx.Notify(config::kNotifyGeneric, "move_from", key);
  ctx.dispatcher().Notify(*target, config::kNotifyGeneric, "move_to", key);
  ctx.Changed();
  ctx.reply.Integer(1);
}

void CmdSwapDb(CommandContext& ctx) {
  auto a = DbIndexOrReply(ctx, ctx.arg(1), errors::kInvalidFirstDb);
  if (!a) return;
  auto b = DbIndexOrReply(ctx, ctx.arg(2), errors::kInvalidSecondDb);
  if (!b) return;
  if (*a != *b) {
    dispatch::Dispatcher& d = ctx.dispatcher();
    d.FlushConsumerTimes();  // the notes name their database
    ctx.keyspace().db(*a).SwapContents(ctx.keyspace().db(*b));
    // Every watched key of both may now hold something else, and blocked readers look again.
    for (int db : {*a, *b}) {
      d.watches().ForEachKey(db, [&](const std::string& key, const std::vector<uint64_t>&) {
        d.TouchWatchers(db, key);
      });
      d.blocking().MarkDatabaseReady(db);
    }
    ctx.effects().SwapDb(*a, *b);
    ctx.Changed();
  }
  ctx.reply.Ok();
}

}  // namespace

void RegisterKeyMoveCommands(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  out.push_back({.name = "move",
                 .arity = 3,
                 .flags = kCmdWrite | kCmdFast,
                 .handler = CmdMove,
                 .keys = {1, 1, 1},
                 .acl_categories = "@keyspace @write @fast",
                 .key_flags = "RW access update"});
  out.push_back({.name = "swapdb",
                 .arity = 3,
                 .flags = kCmdWrite | kCmdFast,
                 .handler = CmdSwapDb,
                 .acl_categories = "@keyspace @write @fast @dangerous"});
}

}  // namespace runnel::commands
