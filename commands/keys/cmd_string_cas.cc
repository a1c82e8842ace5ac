// Redis 8.4's optimistic locking for strings, beside SET's IFEQ / IFNE / IFDEQ / IFDNE
// (cmd_strings.cc): DIGEST (the XXH3 hash of a value, so a client can compare a large value
// without fetching it) and DELEX (DEL, or compare-and-delete under one of those conditions).
#include <string>
#include <vector>

#include "commands/keys/register.h"
#include "commands/keys/string_args.h"
#include "config/config.h"
#include "dispatch/args.h"

namespace runnel::commands {
namespace {

using dispatch::CommandContext;
using dispatch::CommandSpec;
using streams::Database;
namespace errors = dispatch::errors;

void CmdDigest(CommandContext& ctx) {
  auto s = StringOrReply(ctx, ctx.arg(1));
  if (!s) return;
  if (*s == nullptr) return ctx.reply.Null();
  ctx.reply.Bulk(ValueDigest(**s));
}

// DELEX key [IFEQ value | IFNE value | IFDEQ digest | IFDNE digest]. Without a condition it
// deletes a key of any type, as DEL; with one, the key must hold a string.
void CmdDelEx(CommandContext& ctx) {
  ValueCondition cond = ValueCondition::kNone;
  std::string_view arg;
  if (ctx.argc() == 4) {
    cond = ValueConditionNamed(ctx.arg(2));
    arg = ctx.arg(3);
  }
  if (ctx.argc() != 2 && (ctx.argc() != 4 || cond == ValueCondition::kNone)) {
    return ctx.Error(errors::kSyntax);
  }
  if (!DigestArgOrReply(ctx, cond, arg)) return;
  std::string_view key = ctx.arg(1);
  Database::Node* node = ctx.db().Find(key, ctx.now_ms);
  if (node == nullptr) return ctx.reply.Integer(0);
  const std::string* current = node->value.value.string();
  if (cond != ValueCondition::kNone && current == nullptr) return ctx.Error(errors::kWrongType);
  if (!ValueConditionHolds(cond, current, arg)) return ctx.reply.Integer(0);
  ctx.db().Delete(key);
  ctx.effects().Del(key);
  ctx.Notify(config::kNotifyGeneric, "del", key);
  ctx.Changed();
  ctx.reply.Integer(1);
}

}  // namespace

void RegisterStringCasCommands(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  out.push_back({.name = "digest",
                 .arity = 2,
                 .flags = kCmdReadOnly | kCmdFast,
                 .handler = CmdDigest,
                 .keys = {1, 1, 1},
                 .acl_categories = "@read @string @fast",
                 .key_flags = "RO access"});
  out.push_back({.name = "delex",
                 .arity = -2,
                 .flags = kCmdWrite | kCmdFast,
                 .handler = CmdDelEx,
                 .keys = {1, 1, 1},
                 .acl_categories = "@write @string @fast",
                 .key_flags = "RW delete variable_flags"});
}

}  // namespace runnel::commands
