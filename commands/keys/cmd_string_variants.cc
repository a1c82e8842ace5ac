// SET and GET variants with redis-server's replies and errors: SETEX, PSETEX, SETNX, MSETNX,
// MSETEX (Redis 8.4), GETSET, GETDEL, GETEX. Each logs what it did as SET (with an absolute
// expiry), MSET, DEL, PEXPIREAT or PERSIST (effects/writer.h), and publishes Redis's keyspace
// events.
#include <climits>
#include <string>
#include <vector>

#include "commands/keys/register.h"
#include "commands/keys/string_args.h"
#include "config/config.h"
#include "dispatch/args.h"
#include "streams/numbers.h"

namespace runnel::commands {
namespace {

using dispatch::CommandContext;
using dispatch::CommandSpec;
using dispatch::IEquals;
using streams::Database;
namespace errors = dispatch::errors;

// SETEX key seconds value / PSETEX key milliseconds value
void SetWithExpiry(CommandContext& ctx, bool seconds) {
  auto expire = ExpiryOrReply(ctx, ctx.arg(2), seconds, true, ctx.spec.fullname);
  if (!expire) return;
  std::string_view key = ctx.arg(1), value = ctx.arg(3);
  Database::Node* node = ctx.db().Set(key, streams::Value(std::string(value)));
  ctx.db().SetExpire(node, *expire);
  ctx.effects().Set(key, value, *expire);
  ctx.Notify(config::kNotifyString, "set", key);
  ctx.Notify(config::kNotifyGeneric, "expire", key);
  ctx.Changed();
  ctx.reply.Ok();
}
void CmdSetEx(CommandContext& ctx) { SetWithExpiry(ctx, true); }
void CmdPSetEx(CommandContext& ctx) { SetWithExpiry(ctx, false); }

void CmdSetNx(CommandContext& ctx) {
  std::string_view key = ctx.arg(1), value = ctx.arg(2);
  if (ctx.db().Find(key, ctx.now_ms) != nullptr) return ctx.reply.Integer(0);
  ctx.db().Set(key, streams::Value(std::string(value)));
  ctx.effects().Set(key, value, -1);
  ctx.Notify(config::kNotifyString, "set", key);
  ctx.Changed();
  ctx.reply.Integer(1);
}

void CmdMSetNx(CommandContext& ctx) {
  if (ctx.argc() % 2 == 0) return ctx.Error(errors::WrongArity("msetnx"));
  for (size_t i = 1; i < ctx.argc(); i += 2) {
    if (ctx.db().Find(ctx.arg(i), ctx.now_ms) != nullptr) return ctx.reply.Integer(0);
  }
  SetPairs(ctx);
  ctx.reply.Integer(1);
}

struct MSetExArgs {
  size_t pairs_end = 0;  // the first argument after the key-value pairs
  bool nx = false, xx = false, keepttl = false;
  std::string_view unit, expire_arg;  // "EX", "PX", "EXAT", "PXAT" or empty
};

// MSETEX's numkeys and options: NX | XX, then one of EX / PX / EXAT / PXAT / KEEPTTL.
bool ParseMSetEx(CommandContext& ctx, MSetExArgs* a) {
  auto n = streams::ParseStrictInt64(ctx.arg(1));
  if (!n || *n < 1 || *n > INT32_MAX) {
    ctx.Error(errors::kInvalidNumKeys);
    return false;
  }
  a->pairs_end = 2 + 2 * static_cast<size_t>(*n);
  if (a->pairs_end > ctx.argc()) {
    ctx.Error(errors::kSyntax);
    return false;
  }
  dispatch::ArgParser p(ctx, a->pairs_end);
  while (p.HasNext()) {
    std::string_view opt = ctx.arg(p.pos());
    bool has_expiry = a->keepttl || !a->unit.empty();
    bool expiry =
        IEquals(opt, "EX") || IEquals(opt, "PX") || IEquals(opt, "EXAT") || IEquals(opt, "PXAT");
    if (!a->xx && p.Check("NX")) {
      a->nx = true;
    } else if (!a->nx && p.Check("XX")) {
      a->xx = true;
    } else if (!has_expiry && p.Check("KEEPTTL")) {
      a->keepttl = true;
    } else if (expiry && !has_expiry && p.Check(opt, 1)) {
      a->unit = opt;
      a->expire_arg = p.Next();
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  return p.Finish();
}

// MSETEX numkeys key value [key value ...] [NX | XX] [EX | PX | EXAT | PXAT | KEEPTTL]: MSET
// with one expiry for every key, all or nothing under NX (none exists) or XX (all exist).
void CmdMSetEx(CommandContext& ctx) {
  MSetExArgs a;
  if (!ParseMSetEx(ctx, &a)) return;
  int64_t expire = -1;
  if (!a.unit.empty()) {
    bool seconds = IEquals(a.unit, "EX") || IEquals(a.unit, "EXAT");
    bool relative = IEquals(a.unit, "EX") || IEquals(a.unit, "PX");
    auto e = ExpiryOrReply(ctx, a.expire_arg, seconds, relative, "msetex");
    if (!e) return;
    expire = *e;
  }
  for (size_t i = 2; i < a.pairs_end; i += 2) {
    bool exists = ctx.db().Find(ctx.arg(i), ctx.now_ms) != nullptr;
    if ((a.nx && exists) || (a.xx && !exists)) return ctx.reply.Integer(0);
  }
  for (size_t i = 2; i < a.pairs_end; i += 2) {
    std::string_view key = ctx.arg(i), value = ctx.arg(i + 1);
    Database::Node* node = ctx.db().Set(key, streams::Value(std::string(value)), a.keepttl);
    if (expire >= 0) ctx.db().SetExpire(node, expire);
    if (a.keepttl) {
      ctx.effects().SetKeepTtl(key, value);
    } else {
      ctx.effects().Set(key, value, expire);
    }
    ctx.Notify(config::kNotifyString, "set", key);
    if (expire >= 0) ctx.Notify(config::kNotifyGeneric, "expire", key);
  }
  ctx.Changed((a.pairs_end - 2) / 2);
  ctx.reply.Integer(1);
}

// GETSET key value: the old value, then SET without keeping the TTL.
void CmdGetSet(CommandContext& ctx) {
  std::string_view key = ctx.arg(1), value = ctx.arg(2);
  auto s = StringOrReply(ctx, key);
  if (!s) return;
  if (*s == nullptr) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(**s);
  }
  ctx.db().Set(key, streams::Value(std::string(value)));
  ctx.effects().Set(key, value, -1);
  ctx.Notify(config::kNotifyString, "set", key);
  ctx.Changed();
}

void CmdGetDel(CommandContext& ctx) {
  std::string_view key = ctx.arg(1);
  auto s = StringOrReply(ctx, key);
  if (!s) return;
  if (*s == nullptr) return ctx.reply.Null();
  ctx.reply.Bulk(**s);
  ctx.db().Delete(key);
  ctx.effects().Del(key);
  ctx.Notify(config::kNotifyGeneric, "del", key);
  ctx.Changed();
}

// GETEX's one option: EX / PX / EXAT / PXAT with its value, or PERSIST. As in Redis, an option
// may repeat (the last value counts), but two different ones conflict.
struct GetExOption {
  std::string_view unit, value;
  bool persist = false;
};

bool ParseGetEx(CommandContext& ctx, GetExOption* o) {
  for (size_t i = 2; i < ctx.argc(); ++i) {
    std::string_view opt = ctx.arg(i);
    bool expiry =
        IEquals(opt, "EX") || IEquals(opt, "PX") || IEquals(opt, "EXAT") || IEquals(opt, "PXAT");
    if (expiry && i + 1 < ctx.argc() && (o->unit.empty() || IEquals(o->unit, opt)) && !o->persist) {
      o->unit = opt;
      o->value = ctx.arg(++i);
    } else if (IEquals(opt, "PERSIST") && o->unit.empty()) {
      o->persist = true;
    } else {
      ctx.Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

// GETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST]: the value, then its TTL changed. An
// absolute time already past deletes the key, as EXPIREAT does.
void CmdGetEx(CommandContext& ctx) {
  GetExOption o;
  if (!ParseGetEx(ctx, &o)) return;
  std::string_view key = ctx.arg(1);
  auto s = StringOrReply(ctx, key);
  if (!s) return;
  if (*s == nullptr) return ctx.reply.Null();
  std::optional<int64_t> when;
  if (!o.unit.empty()) {
    bool seconds = IEquals(o.unit, "EX") || IEquals(o.unit, "EXAT");
    bool relative = IEquals(o.unit, "EX") || IEquals(o.unit, "PX");
    when = ExpiryOrReply(ctx, o.value, seconds, relative, "getex");
    if (!when) return;
  }
  ctx.reply.Bulk(**s);
  if (when && ctx.AlreadyExpired(*when)) {
    ctx.db().Delete(key);
    ctx.effects().Del(key);
    ctx.Notify(config::kNotifyGeneric, "del", key);
  } else if (when) {
    ctx.db().SetExpire(ctx.db().Peek(key), *when);
    ctx.db().NotifyChanged(key);
    ctx.effects().PExpireAt(key, *when);
    ctx.Notify(config::kNotifyGeneric, "expire", key);
  } else if (o.persist && ctx.db().SetExpire(ctx.db().Peek(key), -1)) {
    ctx.db().NotifyChanged(key);
    ctx.effects().Persist(key);
    ctx.Notify(config::kNotifyGeneric, "persist", key);
  } else {
    return;
  }
  ctx.Changed();
}

}  // namespace

void RegisterStringVariantCommands(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  // acl and key_flags are string literals: CommandSpec keeps views of them.
  auto add = [&](std::string name, int arity, uint32_t flags, void (*handler)(CommandContext&),
                 std::string_view acl, std::string_view key_flags, KeyPositions keys = {1, 1, 1}) {
    out.push_back({.name = std::move(name),
                   .arity = arity,
                   .flags = flags,
                   .handler = handler,
                   .keys = keys,
                   .acl_categories = acl,
                   .key_flags = key_flags});
  };
  add("setex", 4, kW, CmdSetEx, "@write @string @slow", "OW update");
  add("psetex", 4, kW, CmdPSetEx, "@write @string @slow", "OW update");
  add("setnx", 3, kW | kCmdFast, CmdSetNx, "@write @string @fast", "OW insert");
  add("msetnx", -3, kW, CmdMSetNx, "@write @string @slow", "OW insert", {1, -1, 2});
  out.back().tips = "request_policy:multi_shard response_policy:agg_min";
  add("msetex", -4, kW | kCmdMovableKeys, CmdMSetEx, "@write @string @slow", "OW update",
      {0, 0, 0});
  add("getset", 3, kW | kCmdFast, CmdGetSet, "@write @string @fast", "RW access update");
  add("getdel", 2, kCmdWrite | kCmdFast, CmdGetDel, "@write @string @fast", "RW access delete");
  add("getex", -2, kCmdWrite | kCmdFast, CmdGetEx, "@write @string @fast", "RW access update");
  out.back().key_notes = "RW and UPDATE because it changes the TTL";
}

}  // namespace runnel::commands
