// The small string type that lets applications keep offsets and locks beside their streams:
// GET, SET (NX, XX, GET, EX, PX, EXAT, PXAT, KEEPTTL), INCR, INCRBY, DECR, DECRBY, MGET, MSET.
#include <string>
#include <vector>

#include "server/arg_util.h"
#include "server/command_table.h"
#include "server/server.h"

namespace runnel::server {
namespace {

using streams::Database;

// The string at `key` (nullptr if absent), or nullopt after replying WRONGTYPE.
std::optional<std::string*> StringOrReply(CommandContext& ctx, std::string_view key) {
  auto found = ctx.db().FindString(key, ctx.now_ms);
  if (!found) {
    ctx.Error(errors::kWrongType);
    return std::nullopt;
  }
  return *found;
}

void CmdGet(CommandContext& ctx) {
  auto s = StringOrReply(ctx, ctx.arg(1));
  if (!s) return;
  if (*s == nullptr) {
    ctx.server.stats().keyspace_misses++;
    return ctx.reply.Null();
  }
  ctx.server.stats().keyspace_hits++;
  ctx.reply.Bulk(**s);
}

struct SetArgs {
  bool nx = false, xx = false, get = false, keepttl = false;
  // Expiry: which option and its argument.
  std::string_view unit;  // "EX", "PX", "EXAT", "PXAT" or empty
  std::string_view expire_arg;
};

bool ParseSetArgs(CommandContext& ctx, SetArgs* a) {
  for (size_t i = 3; i < ctx.argc(); ++i) {
    std::string_view opt = ctx.arg(i);
    bool has_next = i + 1 < ctx.argc();
    bool has_expire = !a->unit.empty();
    // As in Redis, an expiry option may repeat (the last value wins) but not mix with another.
    bool same_expire = !has_expire || IEquals(a->unit, opt);
    if (IEquals(opt, "NX") && !a->xx) {
      a->nx = true;
    } else if (IEquals(opt, "XX") && !a->nx) {
      a->xx = true;
    } else if (IEquals(opt, "GET")) {
      a->get = true;
    } else if (IEquals(opt, "KEEPTTL") && !has_expire) {
      a->keepttl = true;
    } else if ((IEquals(opt, "EX") || IEquals(opt, "PX") || IEquals(opt, "EXAT") ||
                IEquals(opt, "PXAT")) &&
               !a->keepttl && same_expire && has_next) {
      a->unit = opt;
      a->expire_arg = ctx.arg(++i);
    } else {
      ctx.Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

// The absolute expiry in ms for SET's options, -1 for none; nullopt after an error reply.
std::optional<int64_t> SetExpiryOrReply(CommandContext& ctx, const SetArgs& a) {
  if (a.unit.empty()) return -1;
  auto v = IntArgOrReply(ctx, a.expire_arg);
  if (!v) return std::nullopt;
  bool seconds = IEquals(a.unit, "EX") || IEquals(a.unit, "EXAT");
  bool relative = IEquals(a.unit, "EX") || IEquals(a.unit, "PX");
  int64_t ms = *v;
  if (ms <= 0 || (seconds && ms > INT64_MAX / 1000)) {
    ctx.Error(errors::InvalidExpireTime("set"));
    return std::nullopt;
  }
  if (seconds) ms *= 1000;
  if (relative) {
    if (ms > INT64_MAX - ctx.now_ms) {
      ctx.Error(errors::InvalidExpireTime("set"));
      return std::nullopt;
    }
    ms += ctx.now_ms;
  }
  return ms;
}

void CmdSet(CommandContext& ctx) {
  SetArgs a;
  if (!ParseSetArgs(ctx, &a)) return;
  auto expire = SetExpiryOrReply(ctx, a);
  if (!expire) return;
  std::string_view key = ctx.arg(1);
  Database::Node* node = ctx.db().Find(key, ctx.now_ms);
  if (a.get) {
    if (node != nullptr && node->value.value.string() == nullptr) {
      return ctx.Error(errors::kWrongType);
    }
    if (node == nullptr) {
      ctx.reply.Null();
    } else {
      ctx.reply.Bulk(*node->value.value.string());
    }
  }
  if ((a.nx && node != nullptr) || (a.xx && node == nullptr)) {
    if (!a.get) ctx.reply.Null();
    return;
  }
  node = ctx.db().Set(key, streams::Value(std::string(ctx.arg(2))), a.keepttl);
  if (*expire >= 0) ctx.db().SetExpire(node, *expire);
  // Logged with an absolute expiry, so replay does not depend on when it runs.
  if (*expire >= 0) {
    ctx.Propagate({"SET", key, ctx.arg(2), "PXAT", std::to_string(*expire)});
  } else if (a.keepttl) {
    ctx.Propagate({"SET", key, ctx.arg(2), "KEEPTTL"});
  } else {
    ctx.Propagate({"SET", key, ctx.arg(2)});
  }
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
  if (*s != nullptr) {
    **s = streams::ToString(value);
    ctx.db().NotifyChanged(key);
  } else {
    ctx.db().Set(key, streams::Value(streams::ToString(value)));
  }
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
  for (size_t i = 1; i + 1 < ctx.argc(); i += 2) {
    ctx.db().Set(ctx.arg(i), streams::Value(std::string(ctx.arg(i + 1))));
  }
  ctx.reply.Ok();
}

}  // namespace

void RegisterStringCommands(std::vector<CommandSpec>& out) {
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  out.push_back(
      MakeCommand("get", 2, kCmdReadOnly | kCmdFast, CmdGet, 1, 1, 1, "@read @string @fast"));
  out.push_back(
      MakeCommand("set", -3, kW | kCmdCustomEffects, CmdSet, 1, 1, 1, "@write @string @slow")
          .KeyFlags("RW access update variable_flags",
                    "RW and ACCESS due to the optional `GET` argument"));
  out.push_back(MakeCommand("incr", 2, kW | kCmdFast, CmdIncr, 1, 1, 1, "@write @string @fast")
                    .KeyFlags("RW access update"));
  out.push_back(MakeCommand("decr", 2, kW | kCmdFast, CmdDecr, 1, 1, 1, "@write @string @fast")
                    .KeyFlags("RW access update"));
  out.push_back(MakeCommand("incrby", 3, kW | kCmdFast, CmdIncrBy, 1, 1, 1, "@write @string @fast")
                    .KeyFlags("RW access update"));
  out.push_back(MakeCommand("decrby", 3, kW | kCmdFast, CmdDecrBy, 1, 1, 1, "@write @string @fast")
                    .KeyFlags("RW access update"));
  out.push_back(
      MakeCommand("mget", -2, kCmdReadOnly | kCmdFast, CmdMGet, 1, -1, 1, "@read @string @fast")
          .Tips("request_policy:multi_shard"));
  out.push_back(MakeCommand("mset", -3, kW, CmdMSet, 1, -1, 2, "@write @string @slow")
                    .Tips("request_policy:multi_shard response_policy:all_succeeded")
                    .KeyFlags("OW update"));
}

}  // namespace runnel::server
