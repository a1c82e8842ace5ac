// The small string type that lets applications keep offsets and locks beside their streams:
// GET, SET (NX, XX, GET, EX, PX, EXAT, PXAT, KEEPTTL; Redis 8.4's IFEQ, IFNE, IFDEQ, IFDNE),
// INCR, INCRBY, DECR, DECRBY, MGET, MSET.
#include <string>
#include <vector>

#include "commands/keys/register.h"
#include "commands/keys/string_args.h"
#include "config/config.h"
#include "dispatch/args.h"
#include "dispatch/dispatcher.h"

namespace runnel::commands {
namespace {

using dispatch::CommandContext;
using dispatch::CommandSpec;
using dispatch::IEquals;
using dispatch::IntArgOrReply;
using streams::Database;
namespace errors = dispatch::errors;

void CmdGet(CommandContext& ctx) {
  auto s = StringOrReply(ctx, ctx.arg(1));
  if (!s) return;
  dispatch::DispatchStats& stats = ctx.dispatcher().stats();
  if (*s == nullptr) {
    stats.keyspace_misses++;
    return ctx.reply.Null();
  }
  stats.keyspace_hits++;
  ctx.reply.Bulk(**s);
}

struct SetArgs {
  bool nx = false, xx = false, get = false, keepttl = false;
  // At most one of NX, XX and the value conditions (the same one may repeat; the last wins).
  ValueCondition cond = ValueCondition::kNone;
  std::string_view cond_arg;
  // Expiry: which option and its argument.
  std::string_view unit;  // "EX", "PX", "EXAT", "PXAT" or empty
  std::string_view expire_arg;
};

bool ParseSetArgs(CommandContext& ctx, SetArgs* a) {
  dispatch::ArgParser p(ctx, 3);
  while (p.HasNext()) {
    std::string_view opt = ctx.arg(p.pos());
    bool has_expire = !a->unit.empty();
    // As in Redis, an expiry option may repeat (the last value wins) but not mix with another.
    bool same_expire = !has_expire || IEquals(a->unit, opt);
    bool expiry =
        IEquals(opt, "EX") || IEquals(opt, "PX") || IEquals(opt, "EXAT") || IEquals(opt, "PXAT");
    ValueCondition cond = ValueConditionNamed(opt);
    bool other_cond = a->cond != ValueCondition::kNone && a->cond != cond;
    if (!a->xx && a->cond == ValueCondition::kNone && p.Check("NX")) {
      a->nx = true;
    } else if (!a->nx && a->cond == ValueCondition::kNone && p.Check("XX")) {
      a->xx = true;
    } else if (cond != ValueCondition::kNone && !a->nx && !a->xx && !other_cond &&
               p.Check(opt, 1)) {
      a->cond = cond;
      a->cond_arg = p.Next();
    } else if (p.Check("GET")) {
      a->get = true;
    } else if (!has_expire && p.Check("KEEPTTL")) {
      a->keepttl = true;
    } else if (expiry && !a->keepttl && same_expire && p.Check(opt, 1)) {
      a->unit = opt;
      a->expire_arg = p.Next();
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  return p.Finish();
}

// The absolute expiry in ms for SET's options, -1 for none; nullopt after an error reply.
std::optional<int64_t> SetExpiryOrReply(CommandContext& ctx, const SetArgs& a) {
  if (a.unit.empty()) return -1;
  bool seconds = IEquals(a.unit, "EX") || IEquals(a.unit, "EXAT");
  bool relative = IEquals(a.unit, "EX") || IEquals(a.unit, "PX");
  return ExpiryOrReply(ctx, a.expire_arg, seconds, relative, "set");
}

void CmdSet(CommandContext& ctx) {
  SetArgs a;
  if (!ParseSetArgs(ctx, &a)) return;
  auto expire = SetExpiryOrReply(ctx, a);
  if (!expire || !DigestArgOrReply(ctx, a.cond, a.cond_arg)) return;
  std::string_view key = ctx.arg(1);
  Database::Node* node = ctx.db().Find(key, ctx.now_ms);
  const std::string* current = node != nullptr ? node->value.value.string() : nullptr;
  if ((a.get || a.cond != ValueCondition::kNone) && node != nullptr && current == nullptr) {
    return ctx.Error(errors::kWrongType);
  }
  if (a.get) {
    if (node == nullptr) {
      ctx.reply.Null();
    } else {
      ctx.reply.Bulk(*current);
    }
  }
  if ((a.nx && node != nullptr) || (a.xx && node == nullptr) ||
      !ValueConditionHolds(a.cond, current, a.cond_arg)) {
    if (!a.get) ctx.reply.Null();
    return;
  }
  node = ctx.db().Set(key, streams::Value(std::string(ctx.arg(2))), a.keepttl);
  if (*expire >= 0) ctx.db().SetExpire(node, *expire);
  // Logged with an absolute expiry, so replay does not depend on when it runs.
  if (a.keepttl) {
    ctx.effects().SetKeepTtl(key, ctx.arg(2));
  } else {
    ctx.effects().Set(key, ctx.arg(2), *expire);
  }
  ctx.Notify(config::kNotifyString, "set", key);
  if (*expire >= 0) ctx.Notify(config::kNotifyGeneric, "expire", key);
  ctx.Changed();
  if (!a.get) ctx.reply.Ok();
}

void IncrBy(CommandContext& ctx, int64_t by) {
  std::string_view key = ctx.arg(1);
  auto s = StringOrReply(ctx, key);
  if (!s) return;
  int64_t value = 0;
  if (*s != nullptr) {
    auto v = streams::ParseStrictInt64(**s);
    if (!v) return ctx.Error(errors::kNotInteger);
    value = *v;
  }
  if ((by < 0 && value < 0 && by < INT64_MIN - value) ||
      (by > 0 && value > 0 && by > INT64_MAX - value)) {
    return ctx.Error(errors::Message(streams::Errc::kOverflow));
  }
  value += by;
  std::string text = streams::ToString(value);
  if (*s != nullptr) {
    **s = text;
    ctx.db().Peek(key)->value.string_form = streams::StringForm::kByContent;  // a new integer
    ctx.db().NotifyChanged(key);
  } else {
    ctx.db().Set(key, streams::Value(text));
  }
  ctx.effects().SetKeepTtl(key, text);  // the value it became: replay needs no arithmetic
  ctx.Notify(config::kNotifyString, "incrby", key);
  ctx.Changed();
  ctx.reply.Integer(value);
}

void CmdIncr(CommandContext& ctx) { IncrBy(ctx, 1); }
void CmdDecr(CommandContext& ctx) { IncrBy(ctx, -1); }

void CmdIncrBy(CommandContext& ctx) {
  if (auto by = IntArgOrReply(ctx, ctx.arg(2))) IncrBy(ctx, *by);
}

void CmdDecrBy(CommandContext& ctx) {
  auto by = IntArgOrReply(ctx, ctx.arg(2));
  if (!by) return;
  if (*by == INT64_MIN) return ctx.Error(errors::kDecrementOverflow);
  IncrBy(ctx, -*by);
}

void CmdMGet(CommandContext& ctx) {
  ctx.reply.Array(ctx.argc() - 1);
  for (size_t i = 1; i < ctx.argc(); ++i) {
    auto found = ctx.db().FindString(ctx.arg(i), ctx.now_ms);
    if (found && *found != nullptr) {
      ctx.reply.Bulk(**found);
    } else {
      ctx.reply.Null();
    }
  }
}

void CmdMSet(CommandContext& ctx) {
  if (ctx.argc() % 2 == 0) return ctx.Error(errors::WrongArity("mset"));
  SetPairs(ctx);
  ctx.reply.Ok();
}

}  // namespace

void RegisterStringCommands(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  out.push_back({.name = "get",
                 .arity = 2,
                 .flags = kCmdReadOnly | kCmdFast,
                 .handler = CmdGet,
                 .keys = {1, 1, 1},
                 .acl_categories = "@read @string @fast"});
  out.push_back({.name = "set",
                 .arity = -3,
                 .flags = kW,
                 .handler = CmdSet,
                 .keys = {1, 1, 1},
                 .acl_categories = "@write @string @slow",
                 .key_flags = "RW access update variable_flags",
                 .key_notes = "RW and ACCESS due to the optional `GET` argument"});
  out.push_back({.name = "incr",
                 .arity = 2,
                 .flags = kW | kCmdFast,
                 .handler = CmdIncr,
                 .keys = {1, 1, 1},
                 .acl_categories = "@write @string @fast",
                 .key_flags = "RW access update"});
  out.push_back({.name = "decr",
                 .arity = 2,
                 .flags = kW | kCmdFast,
                 .handler = CmdDecr,
                 .keys = {1, 1, 1},
                 .acl_categories = "@write @string @fast",
                 .key_flags = "RW access update"});
  out.push_back({.name = "incrby",
                 .arity = 3,
                 .flags = kW | kCmdFast,
                 .handler = CmdIncrBy,
                 .keys = {1, 1, 1},
                 .acl_categories = "@write @string @fast",
                 .key_flags = "RW access update"});
  out.push_back({.name = "decrby",
                 .arity = 3,
                 .flags = kW | kCmdFast,
                 .handler = CmdDecrBy,
                 .keys = {1, 1, 1},
                 .acl_categories = "@write @string @fast",
                 .key_flags = "RW access update"});
  out.push_back({.name = "mget",
                 .arity = -2,
                 .flags = kCmdReadOnly | kCmdFast,
                 .handler = CmdMGet,
                 .keys = {1, -1, 1},
                 .acl_categories = "@read @string @fast",
                 .tips = "request_policy:multi_shard"});
  out.push_back({.name = "mset",
                 .arity = -3,
                 .flags = kW,
                 .handler = CmdMSet,
                 .keys = {1, -1, 2},
                 .acl_categories = "@write @string @slow",
                 .tips = "request_policy:multi_shard response_policy:all_succeeded",
                 .key_flags = "OW update"});
}

}  // namespace runnel::commands
