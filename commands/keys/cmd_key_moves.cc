// MOVE, SWAPDB and COPY: keys changing or crossing databases, with redis-server's replies and
// errors. Each is logged as itself (MOVE key db, SWAPDB a b, COPY src dst DB n [REPLACE]),
// which replay applies without a clock.
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
using dispatch::IEquals;
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

// COPY source destination [DB destination-db] [REPLACE]. A stream is copied whole: entries,
// groups with their consumers and PELs, policies, IDMP state, retention, delayed entries.
void CmdCopy(CommandContext& ctx) {
  const int source = ctx.client().db;
  int target = source;
  bool replace = false;
  for (size_t i = 3; i < ctx.argc(); ++i) {
    if (IEquals(ctx.arg(i), "REPLACE")) {
      replace = true;
    } else if (IEquals(ctx.arg(i), "DB") && i + 1 < ctx.argc()) {
      auto db = DbIndexOrReply(ctx, ctx.arg(++i), errors::kNotInteger);
      if (!db) return;
      target = *db;
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  std::string_view from = ctx.arg(1), to = ctx.arg(2);
  if (target == source && from == to) return ctx.Error(errors::kSameObject);
  streams::Database::Node* node = ctx.db().Find(from, ctx.now_ms);  // a read: keymiss
  streams::Database& dest = ctx.keyspace().db(target);
  if (node == nullptr) return ctx.reply.Integer(0);
  ctx.keyspace().set_report_misses(false);  // the destination is looked up as a write
  bool exists = dest.Find(to, ctx.now_ms) != nullptr;
  if (exists && !replace) return ctx.reply.Integer(0);
  // The log's pending seen-time notes name (database, key): the source's belong before the
  // copy is made from them, the destination's before its consumers are replaced.
  ctx.dispatcher().FlushConsumerTimes(source, from);
  ctx.dispatcher().FlushConsumerTimes(target, to);
  ctx.db().Copy(node, dest, to);
  ctx.effects().Copy(from, to, target, replace && exists);
  // Redis deletes the old destination and adds the copy, so a replaced key is "new" too (a key
  // that was not there is reported new by the keyspace as it is created).
  if (exists) ctx.dispatcher().Notify(target, config::kNotifyNew, "new", to);
  ctx.dispatcher().Notify(target, config::kNotifyGeneric, "copy_to", to);
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
    d.DatabaseReplaced(*a);
    d.DatabaseReplaced(*b);
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
  out.push_back({.name = "copy",
                 .arity = -3,
                 .flags = kCmdWrite | kCmdDenyOom,
                 .handler = CmdCopy,
                 .keys = {1, 2, 1},
                 .acl_categories = "@keyspace @write @slow"});
  out.push_back({.name = "swapdb",
                 .arity = 3,
                 .flags = kCmdWrite | kCmdFast,
                 .handler = CmdSwapDb,
                 .acl_categories = "@keyspace @write @fast @dangerous"});
}

}  // namespace runnel::commands
