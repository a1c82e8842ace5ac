// Keyspace commands: DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN, RENAME, RENAMENX, and expiry
// (EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST).
#include <string>
#include <vector>

#include "server/arg_util.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/server.h"
#include "streams/glob.h"

namespace runnel::server {
namespace {

using streams::Database;

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
      ++deleted;
    }
  }
  ctx.reply.Integer(deleted);
}

void CmdExists(CommandContext& ctx) {
  int64_t n = 0;
  for (size_t i = 1; i < ctx.argc(); ++i) n += ctx.db().Find(ctx.arg(i), ctx.now_ms) ? 1 : 0;
  ctx.reply.Integer(n);
}

void CmdType(CommandContext& ctx) {
  ctx.reply.Simple(TypeName(ctx.db().Find(ctx.arg(1), ctx.now_ms)));
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
  for (size_t i = 2; i < ctx.argc(); i += 2) {
    if (i + 1 >= ctx.argc()) return ctx.Error(errors::kSyntax);
    std::string_view opt = ctx.arg(i), value = ctx.arg(i + 1);
    if (IEquals(opt, "COUNT")) {
      auto v = IntArgOrReply(ctx, value);
      if (!v) return;
      if (*v < 1) return ctx.Error(errors::kSyntax);
      count = *v;
    } else if (IEquals(opt, "MATCH")) {
      pattern = value;
    } else if (IEquals(opt, "TYPE")) {
      type = value;
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  std::vector<std::string> keys;
  int64_t budget = count * 10;
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

void RenameCommand(CommandContext& ctx, bool nx) {
  std::string_view from = ctx.arg(1), to = ctx.arg(2);
  Database::Node* src = ctx.db().Find(from, ctx.now_ms);
  if (src == nullptr) return ctx.Error(errors::kNoSuchKey);
  if (from == to) return nx ? ctx.reply.Integer(0) : ctx.reply.Ok();
  if (ctx.db().Find(to, ctx.now_ms) != nullptr) {
    if (nx) return ctx.reply.Integer(0);
    ctx.db().Delete(to);
  }
  ctx.db().Move(src, ctx.db(), to);
  nx ? ctx.reply.Integer(1) : ctx.reply.Ok();
}

void CmdRename(CommandContext& ctx) { RenameCommand(ctx, false); }
void CmdRenameNx(CommandContext& ctx) { RenameCommand(ctx, true); }

// ---- expiry ----

enum ExpireFlag { kNx = 1, kXx = 2, kGt = 4, kLt = 8 };

bool ParseExpireFlags(CommandContext& ctx, int* flags) {
  for (size_t i = 3; i < ctx.argc(); ++i) {
    std::string_view opt = ctx.arg(i);
    if (IEquals(opt, "NX")) {
      *flags |= kNx;
    } else if (IEquals(opt, "XX")) {
      *flags |= kXx;
    } else if (IEquals(opt, "GT")) {
      *flags |= kGt;
    } else if (IEquals(opt, "LT")) {
      *flags |= kLt;
    } else {
      ctx.Error(errors::UnsupportedOption(opt));
      return false;
    }
  }
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
  if (ms <= ctx.now_ms) {
    ctx.db().Delete(ctx.arg(1));  // a time in the past deletes the key
    ctx.Propagate({"DEL", ctx.arg(1)});
  } else {
    ctx.db().SetExpire(node, ms);
    ctx.db().NotifyChanged(ctx.arg(1));
    ctx.Propagate({"PEXPIREAT", ctx.arg(1), std::to_string(ms)});  // absolute, for replay
  }
  ctx.reply.Integer(1);
}

void CmdExpire(CommandContext& ctx) { ExpireCommand(ctx, true, true); }
void CmdPExpire(CommandContext& ctx) { ExpireCommand(ctx, true, false); }
void CmdExpireAt(CommandContext& ctx) { ExpireCommand(ctx, false, true); }
void CmdPExpireAt(CommandContext& ctx) { ExpireCommand(ctx, false, false); }

// TTL family: `absolute` reports the expiry time itself rather than what is left.
void TtlCommand(CommandContext& ctx, bool seconds, bool absolute) {
  Database::Node* node = ctx.db().Find(ctx.arg(1), ctx.now_ms);
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
  ctx.reply.Integer(1);
}

}  // namespace

void RegisterKeyCommands(std::vector<CommandSpec>& out) {
  constexpr uint32_t kR = kCmdReadOnly | kCmdFast;
  constexpr uint32_t kW = kCmdWrite | kCmdFast;
  out.push_back(MakeCommand("del", -2, kCmdWrite, CmdDel, 1, -1, 1, "@keyspace @write @slow")
                    .Tips("request_policy:multi_shard response_policy:agg_sum")
                    .KeyFlags("RM delete"));
  out.push_back(MakeCommand("unlink", -2, kW, CmdDel, 1, -1, 1, "@keyspace @write @fast")
                    .Tips("request_policy:multi_shard response_policy:agg_sum")
                    .KeyFlags("RM delete"));
  out.push_back(MakeCommand("exists", -2, kR, CmdExists, 1, -1, 1, "@keyspace @read @fast")
                    .Tips("request_policy:multi_shard response_policy:agg_sum")
                    .KeyFlags("RO"));
  out.push_back(
      MakeCommand("type", 2, kR, CmdType, 1, 1, 1, "@keyspace @read @fast").KeyFlags("RO"));
  out.push_back(
      MakeCommand("keys", 2, kCmdReadOnly, CmdKeys, 0, 0, 0, "@keyspace @read @slow @dangerous")
          .Tips("request_policy:all_shards nondeterministic_output_order"));
  out.push_back(MakeCommand("scan", -2, kCmdReadOnly, CmdScan, 0, 0, 0, "@keyspace @read @slow")
                    .Tips("nondeterministic_output request_policy:special"));
  out.push_back(MakeCommand("rename", 3, kCmdWrite, CmdRename, 1, 2, 1, "@keyspace @write @slow"));
  out.push_back(MakeCommand("renamenx", 3, kW, CmdRenameNx, 1, 2, 1, "@keyspace @write @fast"));
  out.push_back(MakeCommand("expire", -3, kW | kCmdCustomEffects, CmdExpire, 1, 1, 1,
                            "@keyspace @write @fast"));
  out.push_back(MakeCommand("pexpire", -3, kW | kCmdCustomEffects, CmdPExpire, 1, 1, 1,
                            "@keyspace @write @fast"));
  out.push_back(MakeCommand("expireat", -3, kW | kCmdCustomEffects, CmdExpireAt, 1, 1, 1,
                            "@keyspace @write @fast"));
  out.push_back(MakeCommand("pexpireat", -3, kW | kCmdCustomEffects, CmdPExpireAt, 1, 1, 1,
                            "@keyspace @write @fast"));
  out.push_back(MakeCommand("ttl", 2, kR, CmdTtl, 1, 1, 1, "@keyspace @read @fast")
                    .Tips("nondeterministic_output"));
  out.push_back(MakeCommand("pttl", 2, kR, CmdPTtl, 1, 1, 1, "@keyspace @read @fast")
                    .Tips("nondeterministic_output"));
  out.push_back(MakeCommand("expiretime", 2, kR, CmdExpireTime, 1, 1, 1, "@keyspace @read @fast"));
  out.push_back(
      MakeCommand("pexpiretime", 2, kR, CmdPExpireTime, 1, 1, 1, "@keyspace @read @fast"));
  out.push_back(MakeCommand("persist", 2, kW, CmdPersist, 1, 1, 1, "@keyspace @write @fast"));
}

}  // namespace runnel::server
