// Keyspace commands: DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN, DBSIZE, FLUSHDB, FLUSHALL, RENAME,
// RENAMENX, and expiry
// (EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST).
#include <cstdint>
#include <string>
#include <vector>

#include "commands/keys/register.h"
#include "config/config.h"
#include "dispatch/args.h"
#include "dispatch/dispatcher.h"
#include "streams/glob.h"

namespace runnel::commands {
namespace {

using dispatch::ArgParser;
using dispatch::CommandContext;
using dispatch::CommandSpec;
using dispatch::IEquals;
using dispatch::IntArgOrReply;
using streams::Database;
namespace errors = dispatch::errors;

std::string_view TypeName(const Database::Node* node) {
  if (node == nullptr) return "none";
  return node->value.value.type() == streams::ValueType::kStream ? "stream" : "string";
}

// KEYS and SCAN treat "*" as match-all without running the matcher, which matters for the
// empty key: the matcher itself matches "" only to an empty pattern.
bool KeyMatches(std::string_view pattern, std::string_view key) {
  return pattern == "*" || streams::GlobMatch(pattern, key);
}

void CmdDel(CommandContext& ctx) {
  int64_t deleted = 0;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    // Find first, so a key past its TTL counts as already gone.
    if (ctx.db().Find(ctx.arg(i), ctx.now_ms) != nullptr && ctx.db().Delete(ctx.arg(i))) {
      ctx.effects().Del(ctx.arg(i));
      ctx.Notify(config::kNotifyGeneric, "del", ctx.arg(i));
      ++deleted;
    }
  }
  ctx.Changed(static_cast<uint64_t>(deleted));
  ctx.reply.Integer(deleted);
}

void CmdExists(CommandContext& ctx) {
  int64_t n = 0;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    n += ctx.db().FindNoTouch(ctx.arg(i), ctx.now_ms) != nullptr ? 1 : 0;
  }
  ctx.reply.Integer(n);
}

void CmdType(CommandContext& ctx) {
  ctx.reply.Simple(TypeName(ctx.db().FindNoTouch(ctx.arg(1), ctx.now_ms)));
}

void CmdKeys(CommandContext& ctx) {
  std::string_view pattern = ctx.arg(1);
  bool all = pattern == "*";
  auto header = ctx.reply.Begin();
  size_t n = 0;
  ctx.db().ForEach([&](const Database::Node& node) {
    if (node.value.expire_ms >= 0 && node.value.expire_ms <= ctx.now_ms) return;
    if (!all && !KeyMatches(pattern, node.key)) return;
    ctx.reply.Bulk(node.key);
    ++n;
  });
  ctx.reply.EndArray(header, n);
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
void CmdScan(CommandContext& ctx) {
  std::string_view text = ctx.arg(1);
  errno = 0;
  char* end = nullptr;
  std::string copy(text);
  unsigned long long cursor = std::strtoull(copy.c_str(), &end, 10);
  // strtoull's rules, as Redis: "" is cursor 0 and "-1" wraps to the largest cursor.
  if ((!copy.empty() && std::isspace(static_cast<unsigned char>(copy[0]))) || *end != '\0' ||
      errno == ERANGE) {
    return ctx.Error(errors::kInvalidCursor);
  }
  int64_t count = 10;
  std::optional<std::string_view> pattern, type;
  ArgParser p(ctx, 2);
  while (p.HasNext()) {
    if (p.Check("COUNT", 1)) {
      count = p.Int();
      if (p.ok() && count < 1) p.Fail(errors::kSyntax);
    } else if (p.Check("MATCH", 1)) {
      pattern = p.Next();
    } else if (p.Check("TYPE", 1)) {
      type = p.Next();
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  if (!p.Finish()) return;
  std::vector<std::string> keys;
  // Ten empty buckets per key wanted at most, as Redis; saturated, since COUNT may be as large
  // as INT64_MAX (found by fuzz/dispatcher: the product overflowed).
  int64_t budget = count > INT64_MAX / 10 ? INT64_MAX : count * 10;
  do {
    cursor =
        ctx.db().ScanStep(cursor, [&](const Database::Node& node) { keys.push_back(node.key); });
  } while (cursor != 0 && budget-- > 0 && static_cast<int64_t>(keys.size()) < count);
  // Filter after collecting: Find may delete an expired key, which a bucket walk must not see.
  std::vector<std::string> out;
  for (std::string& key : keys) {
    Database::Node* node = ctx.db().Find(key, ctx.now_ms);
    if (node == nullptr) continue;
    if (pattern && !KeyMatches(*pattern, key)) continue;
    if (type && !IEquals(*type, TypeName(node))) continue;
    out.push_back(std::move(key));
  }
  ctx.reply.Array(2);
  ctx.reply.BulkUnsigned(cursor);
  ctx.reply.Array(out.size());
  for (const std::string& k : out) ctx.reply.Bulk(k);
}

// ---- DBSIZE / FLUSHDB / FLUSHALL ----

void CmdDbSize(CommandContext& ctx) { ctx.reply.Integer(static_cast<int64_t>(ctx.db().size())); }

bool ParseFlushArgs(CommandContext& ctx) {
  if (ctx.argc() > 2 ||
      (ctx.argc() == 2 && !IEquals(ctx.arg(1), "ASYNC") && !IEquals(ctx.arg(1), "SYNC"))) {
    ctx.Error(errors::kSyntax);
    return false;
  }
  return true;
}

// Empties one database. WATCHers of keys that existed see a change, as in Redis, which counts
// every key removed (expired or not) as a change.
void FlushDatabase(CommandContext& ctx, int index) {
  streams::Database& db = ctx.keyspace().db(index);
  dispatch::Dispatcher& d = ctx.dispatcher();
  d.watches().ForEachKey(index, [&](const std::string& key, const std::vector<uint64_t>&) {
    if (db.Peek(key) != nullptr) d.TouchWatchers(index, key);
  });
  ctx.Changed(db.size());
  db.Flush();
}

void CmdFlushDb(CommandContext& ctx) {
  if (!ParseFlushArgs(ctx)) return;
  FlushDatabase(ctx, ctx.client().db);
  ctx.effects().FlushDb();
  ctx.reply.Ok();
}

void CmdFlushAll(CommandContext& ctx) {
  if (!ParseFlushArgs(ctx)) return;
  for (int i = 0; i < ctx.keyspace().size(); ++i) FlushDatabase(ctx, i);
  ctx.effects().FlushAll();
  ctx.reply.Ok();
}

void RenameCommand(CommandContext& ctx, bool nx) {
  std::string_view from = ctx.arg(1), to = ctx.arg(2);
  Database::Node* src = ctx.db().Find(from, ctx.now_ms);
  if (src == nullptr) return ctx.Error(errors::kNoSuchKey);
  if (from == to) return nx ? ctx.reply.Integer(0) : ctx.reply.Ok();
  if (ctx.db().Find(to, ctx.now_ms) != nullptr) {
    if (nx) return ctx.reply.Integer(0);
    ctx.db().Delete(to);
  }
  // Seen times still waiting for the once-a-second flush name `from`: write them first.
  ctx.dispatcher().FlushConsumerTimes(ctx.client().db, from);
  ctx.db().Move(src, ctx.db(), to);
  ctx.effects().Rename(from, to);
  ctx.Notify(config::kNotifyGeneric, "rename_from", from);
  ctx.Notify(config::kNotifyGeneric, "rename_to", to);
  ctx.Changed();
  nx ? ctx.reply.Integer(1) : ctx.reply.Ok();
}

void CmdRename(CommandContext& ctx) { RenameCommand(ctx, false); }
void CmdRenameNx(CommandContext& ctx) { RenameCommand(ctx, true); }

// ---- expiry ----

enum ExpireFlag { kNx = 1, kXx = 2, kGt = 4, kLt = 8 };

bool ParseExpireFlags(CommandContext& ctx, int* flags) {
  ArgParser p(ctx, 3);
  while (p.HasNext()) {
    if (p.Check("NX")) {
      *flags |= kNx;
    } else if (p.Check("XX")) {
      *flags |= kXx;
    } else if (p.Check("GT")) {
      *flags |= kGt;
    } else if (p.Check("LT")) {
      *flags |= kLt;
    } else {
      p.Fail(errors::UnsupportedOption(ctx.arg(p.pos())));
    }
  }
  if (!p.Finish()) return false;
  if ((*flags & kNx) && (*flags & (kXx | kGt | kLt))) {
    ctx.Error(errors::kExpireNxAndOthers);
    return false;
  }
  if ((*flags & kGt) && (*flags & kLt)) {
    ctx.Error(errors::kExpireGtAndLt);
    return false;
  }
  return true;
}

// Whether the flags forbid replacing `current` (-1 = no TTL) by `when`.
bool ExpireBlocked(int flags, int64_t current, int64_t when) {
  if ((flags & kNx) && current != -1) return true;
  if ((flags & kXx) && current == -1) return true;
  if ((flags & kGt) && (current == -1 || when <= current)) return true;
  if ((flags & kLt) && current != -1 && when >= current) return true;
  return false;
}

// EXPIRE family: `relative` adds now, `seconds` multiplies by 1000.
void ExpireCommand(CommandContext& ctx, bool relative, bool seconds) {
  int flags = 0;
  if (!ParseExpireFlags(ctx, &flags)) return;
  auto when = IntArgOrReply(ctx, ctx.arg(2));
  if (!when) return;
  int64_t ms = *when;
  if (seconds) {
    if (ms > INT64_MAX / 1000 || ms < INT64_MIN / 1000) {
      return ctx.Error(errors::InvalidExpireTime(ctx.spec.fullname));
    }
    ms *= 1000;
  }
  int64_t base = relative ? ctx.now_ms : 0;
  if (ms > INT64_MAX - base) return ctx.Error(errors::InvalidExpireTime(ctx.spec.fullname));
  ms += base;
  Database::Node* node = ctx.db().Find(ctx.arg(1), ctx.now_ms);
  if (node == nullptr || ExpireBlocked(flags, node->value.expire_ms, ms)) {
    return ctx.reply.Integer(0);
  }
  if (ctx.AlreadyExpired(ms)) {
    ctx.db().Delete(ctx.arg(1));  // a time in the past deletes the key
    ctx.effects().Del(ctx.arg(1));
    ctx.Notify(config::kNotifyGeneric, "del", ctx.arg(1));
  } else {
    ctx.db().SetExpire(node, ms);
    ctx.db().NotifyChanged(ctx.arg(1));
    ctx.effects().PExpireAt(ctx.arg(1), ms);  // absolute, for replay
    ctx.Notify(config::kNotifyGeneric, "expire", ctx.arg(1));
  }
  ctx.Changed();
  ctx.reply.Integer(1);
}

void CmdExpire(CommandContext& ctx) { ExpireCommand(ctx, true, true); }
void CmdPExpire(CommandContext& ctx) { ExpireCommand(ctx, true, false); }
void CmdExpireAt(CommandContext& ctx) { ExpireCommand(ctx, false, true); }
void CmdPExpireAt(CommandContext& ctx) { ExpireCommand(ctx, false, false); }

// TTL family: `absolute` reports the expiry time itself rather than what is left.
void TtlCommand(CommandContext& ctx, bool seconds, bool absolute) {
  Database::Node* node = ctx.db().FindNoTouch(ctx.arg(1), ctx.now_ms);
  if (node == nullptr) return ctx.reply.Integer(-2);
  int64_t expire = node->value.expire_ms;
  if (expire < 0) return ctx.reply.Integer(-1);
  if (absolute) return ctx.reply.Integer(seconds ? expire / 1000 : expire);
  int64_t left = std::max<int64_t>(expire - ctx.now_ms, 0);
  ctx.reply.Integer(seconds ? (left + 500) / 1000 : left);
}

void CmdTtl(CommandContext& ctx) { TtlCommand(ctx, true, false); }
void CmdPTtl(CommandContext& ctx) { TtlCommand(ctx, false, false); }
void CmdExpireTime(CommandContext& ctx) { TtlCommand(ctx, true, true); }
void CmdPExpireTime(CommandContext& ctx) { TtlCommand(ctx, false, true); }

void CmdPersist(CommandContext& ctx) {
  Database::Node* node = ctx.db().Find(ctx.arg(1), ctx.now_ms);
  if (node == nullptr || !ctx.db().SetExpire(node, -1)) return ctx.reply.Integer(0);
  ctx.db().NotifyChanged(ctx.arg(1));
  ctx.effects().Persist(ctx.arg(1));
  ctx.Notify(config::kNotifyGeneric, "persist", ctx.arg(1));
  ctx.Changed();
  ctx.reply.Integer(1);
}

}  // namespace

void RegisterKeyCommands(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  constexpr uint32_t kR = kCmdReadOnly | kCmdFast;
  constexpr uint32_t kW = kCmdWrite | kCmdFast;
  constexpr KeyPositions kOneKey = {1, 1, 1};
  constexpr KeyPositions kAllKeys = {1, -1, 1};
  constexpr std::string_view kMultiShardSum = "request_policy:multi_shard response_policy:agg_sum";
  out.push_back({.name = "del",
                 .arity = -2,
                 .flags = kCmdWrite,
                 .handler = CmdDel,
                 .keys = kAllKeys,
                 .acl_categories = "@keyspace @write @slow",
                 .tips = kMultiShardSum,
                 .key_flags = "RM delete"});
  out.push_back({.name = "unlink",
                 .arity = -2,
                 .flags = kW,
                 .handler = CmdDel,
                 .keys = kAllKeys,
                 .acl_categories = "@keyspace @write @fast",
                 .tips = kMultiShardSum,
                 .key_flags = "RM delete"});
  out.push_back({.name = "exists",
                 .arity = -2,
                 .flags = kR,
                 .handler = CmdExists,
                 .keys = kAllKeys,
                 .acl_categories = "@keyspace @read @fast",
                 .tips = kMultiShardSum,
                 .key_flags = "RO"});
  out.push_back({.name = "type",
                 .arity = 2,
                 .flags = kR,
                 .handler = CmdType,
                 .keys = kOneKey,
                 .acl_categories = "@keyspace @read @fast",
                 .key_flags = "RO"});
  out.push_back({.name = "keys",
                 .arity = 2,
                 .flags = kCmdReadOnly,
                 .handler = CmdKeys,
                 .acl_categories = "@keyspace @read @slow @dangerous",
                 .tips = "request_policy:all_shards nondeterministic_output_order"});
  out.push_back({.name = "scan",
                 .arity = -2,
                 .flags = kCmdReadOnly,
                 .handler = CmdScan,
                 .acl_categories = "@keyspace @read @slow",
                 .tips = "nondeterministic_output request_policy:special"});
  out.push_back({.name = "dbsize",
                 .arity = 1,
                 .flags = kR,
                 .handler = CmdDbSize,
                 .acl_categories = "@keyspace @read @fast",
                 .tips = "request_policy:all_shards response_policy:agg_sum"});
  out.push_back({.name = "flushdb",
                 .arity = -1,
                 .flags = kCmdWrite,
                 .handler = CmdFlushDb,
                 .acl_categories = "@keyspace @write @slow @dangerous",
                 .tips = "request_policy:all_shards response_policy:all_succeeded"});
  out.push_back({.name = "flushall",
                 .arity = -1,
                 .flags = kCmdWrite,
                 .handler = CmdFlushAll,
                 .acl_categories = "@keyspace @write @slow @dangerous",
                 .tips = "request_policy:all_shards response_policy:all_succeeded"});
  out.push_back({.name = "rename",
                 .arity = 3,
                 .flags = kCmdWrite,
                 .handler = CmdRename,
                 .keys = {1, 2, 1},
                 .acl_categories = "@keyspace @write @slow"});
  out.push_back({.name = "renamenx",
                 .arity = 3,
                 .flags = kW,
                 .handler = CmdRenameNx,
                 .keys = {1, 2, 1},
                 .acl_categories = "@keyspace @write @fast"});
  out.push_back({.name = "expire",
                 .arity = -3,
                 .flags = kW,
                 .handler = CmdExpire,
                 .keys = kOneKey,
                 .acl_categories = "@keyspace @write @fast"});
  out.push_back({.name = "pexpire",
                 .arity = -3,
                 .flags = kW,
                 .handler = CmdPExpire,
                 .keys = kOneKey,
                 .acl_categories = "@keyspace @write @fast"});
  out.push_back({.name = "expireat",
                 .arity = -3,
                 .flags = kW,
                 .handler = CmdExpireAt,
                 .keys = kOneKey,
                 .acl_categories = "@keyspace @write @fast"});
  out.push_back({.name = "pexpireat",
                 .arity = -3,
                 .flags = kW,
                 .handler = CmdPExpireAt,
                 .keys = kOneKey,
                 .acl_categories = "@keyspace @write @fast"});
  out.push_back({.name = "ttl",
                 .arity = 2,
                 .flags = kR,
                 .handler = CmdTtl,
                 .keys = kOneKey,
                 .acl_categories = "@keyspace @read @fast",
                 .tips = "nondeterministic_output"});
  out.push_back({.name = "pttl",
                 .arity = 2,
                 .flags = kR,
                 .handler = CmdPTtl,
                 .keys = kOneKey,
                 .acl_categories = "@keyspace @read @fast",
                 .tips = "nondeterministic_output"});
  out.push_back({.name = "expiretime",
                 .arity = 2,
                 .flags = kR,
                 .handler = CmdExpireTime,
                 .keys = kOneKey,
                 .acl_categories = "@keyspace @read @fast"});
  out.push_back({.name = "pexpiretime",
                 .arity = 2,
                 .flags = kR,
                 .handler = CmdPExpireTime,
                 .keys = kOneKey,
                 .acl_categories = "@keyspace @read @fast"});
  out.push_back({.name = "persist",
                 .arity = 2,
                 .flags = kW,
                 .handler = CmdPersist,
                 .keys = kOneKey,
                 .acl_categories = "@keyspace @write @fast"});
}

}  // namespace runnel::commands
