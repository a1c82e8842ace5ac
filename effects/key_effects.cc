// Key and string effects: how DEL, SET, MSET, PEXPIREAT, PERSIST, RENAME, MOVE, SWAPDB, COPY,
// RESTORE, APPEND, SETRANGE, FLUSHDB and FLUSHALL are written, and how they (and the forms earlier
// versions logged: UNLINK, RENAMENX, the INCR family, FLUSHDB/FLUSHALL with ASYNC or SYNC)
// replay.
#include <string>
#include <vector>

#include "effects/catalogue.h"
#include "effects/writer.h"
#include "rdb/dump.h"
#include "resp/command_encoder.h"
#include "streams/numbers.h"

namespace runnel::effects {

using resp::CommandWriter;
using streams::Database;

// ---- encoders ----

void Writer::Del(std::string_view key) {
  if (out_) CommandWriter(out_, 2).Arg("DEL").Arg(key);
}

void Writer::Set(std::string_view key, std::string_view value, int64_t expire_ms) {
  if (!out_) return;
  if (expire_ms < 0) {
    CommandWriter(out_, 3).Arg("SET").Arg(key).Arg(value);
  } else {
    CommandWriter(out_, 5).Arg("SET").Arg(key).Arg(value).Arg("PXAT").Int(expire_ms);
  }
}

void Writer::SetKeepTtl(std::string_view key, std::string_view value) {
  if (out_) CommandWriter(out_, 4).Arg("SET").Arg(key).Arg(value).Arg("KEEPTTL");
}

void Writer::MSet(std::span<const std::string_view> pairs) {
  if (!out_) return;
  CommandWriter w(out_, 1 + pairs.size());
  w.Arg("MSET");
  for (std::string_view a : pairs) w.Arg(a);
}

void Writer::PExpireAt(std::string_view key, int64_t ms) {
  if (out_) CommandWriter(out_, 3).Arg("PEXPIREAT").Arg(key).Int(ms);
}

void Writer::Persist(std::string_view key) {
  if (out_) CommandWriter(out_, 2).Arg("PERSIST").Arg(key);
}

void Writer::Rename(std::string_view key, std::string_view new_key) {
  if (out_) CommandWriter(out_, 3).Arg("RENAME").Arg(key).Arg(new_key);
}

void Writer::FlushDb() {
  if (out_) CommandWriter(out_, 1).Arg("FLUSHDB");
}

void Writer::FlushAll() {
  if (out_) CommandWriter(out_, 1).Arg("FLUSHALL");
}

void Writer::Move(std::string_view key, int db) {
  if (out_) CommandWriter(out_, 3).Arg("MOVE").Arg(key).Int(db);
}

void Writer::SwapDb(int a, int b) {
  if (out_) CommandWriter(out_, 3).Arg("SWAPDB").Int(a).Int(b);
}

void Writer::Copy(std::string_view source, std::string_view destination, int db, bool replace) {
  if (!out_) return;
  CommandWriter w(out_, replace ? 6 : 5);
  w.Arg("COPY").Arg(source).Arg(destination).Arg("DB").Int(db);
  if (replace) w.Arg("REPLACE");
}

void Writer::Restore(std::string_view key, std::string_view payload, int64_t expire_ms) {
  if (!out_) return;
  CommandWriter w(out_, expire_ms < 0 ? 3 : 5);
  w.Arg("RESTORE").Arg(key).Arg(payload);
  if (expire_ms >= 0) w.Arg("PXAT").Int(expire_ms);
}

void Writer::Append(std::string_view key, std::string_view suffix) {
  if (out_) CommandWriter(out_, 3).Arg("APPEND").Arg(key).Arg(suffix);
}

void Writer::SetRange(std::string_view key, int64_t offset, std::string_view bytes) {
  if (out_) CommandWriter(out_, 4).Arg("SETRANGE").Arg(key).Int(offset).Arg(bytes);
}

// ---- replay ----

namespace {

// DEL key [key ...], and UNLINK (earlier versions logged it as sent).
Result ApplyDel(ApplyContext& ctx, const EffectArgs& a) {
  if (a.size() < 2) return Result::Malformed();
  bool any = false;
  for (size_t i = 1; i < a.size(); ++i) any = ctx.database().Delete(a[i]) || any;
  return any ? Result::Applied() : Result::Skipped();
}

// SET key value [PXAT ms | KEEPTTL]
Result ApplySet(ApplyContext& ctx, const EffectArgs& a) {
  std::optional<int64_t> expire;
  bool keep_ttl = false;
  if (a.size() == 5 && a.Is(3, "PXAT")) {
    expire = a.Int(4);
    if (!expire) return Result::Malformed();
  } else if (a.size() == 4 && a.Is(3, "KEEPTTL")) {
    keep_ttl = true;
  } else if (a.size() != 3) {
    return Result::Malformed();
  }
  Database& db = ctx.database();
  Database::Node* node = db.Set(a[1], streams::Value(std::string(a[2])), keep_ttl);
  if (expire) db.SetExpire(node, *expire);
  return Result::Applied();
}

Result ApplyMSet(ApplyContext& ctx, const EffectArgs& a) {
  if (a.size() < 3 || a.size() % 2 == 0) return Result::Malformed();
  for (size_t i = 1; i + 1 < a.size(); i += 2) {
    ctx.database().Set(a[i], streams::Value(std::string(a[i + 1])));
  }
  return Result::Applied();
}

// The string at a key an effect edits, created empty if missing; nullptr for another type.
std::string* StringFor(ApplyContext& ctx, std::string_view key) {
  Database::Node* node = ctx.database().Peek(key);
  if (node == nullptr) node = ctx.database().Set(key, streams::Value(std::string()));
  return node->value.value.string();
}

// APPEND key suffix
Result ApplyAppend(ApplyContext& ctx, const EffectArgs& a) {
  if (a.size() != 3) return Result::Malformed();
  const bool existed = ctx.database().Peek(a[1]) != nullptr;
  std::string* s = StringFor(ctx, a[1]);
  if (s == nullptr) return Result::Conflict("the key holds another type");
  s->append(a[2]);
  // As the command: appending to a string that was there leaves Redis a raw one.
  if (existed) ctx.database().Peek(a[1])->value.string_form = streams::StringForm::kEdited;
  return Result::Applied();
}

// SETRANGE key offset bytes: zero-padded up to offset, then overwritten.
Result ApplySetRange(ApplyContext& ctx, const EffectArgs& a) {
  std::optional<int64_t> offset = a.size() == 4 ? a.Int(2) : std::nullopt;
  constexpr int64_t kMaxString = int64_t{1} << 32;  // far above any proto-max-bulk-len used
  if (!offset || *offset < 0 || *offset + static_cast<int64_t>(a[3].size()) > kMaxString) {
    return Result::Malformed();
  }
  std::string* s = StringFor(ctx, a[1]);
  if (s == nullptr) return Result::Conflict("the key holds another type");
  size_t end = static_cast<size_t>(*offset) + a[3].size();
  if (s->size() < end) s->resize(end, '\0');
  s->replace(static_cast<size_t>(*offset), a[3].size(), a[3]);
  ctx.database().Peek(a[1])->value.string_form = streams::StringForm::kEdited;
  return Result::Applied();
}

// MOVE key db: the key, with its TTL, from the current database to db.
Result ApplyMove(ApplyContext& ctx, const EffectArgs& a) {
  std::optional<int64_t> db = a.size() == 3 ? a.Int(2) : std::nullopt;
  if (!db || *db < 0 || *db >= ctx.keyspace.size()) return Result::Malformed();
  Database::Node* node = ctx.database().Peek(a[1]);
  if (node == nullptr) return Result::Skipped();
  Database& dest = ctx.keyspace.db(static_cast<int>(*db));
  if (&dest == &ctx.database() || dest.Peek(a[1]) != nullptr) {
    return Result::Conflict("the key exists in the destination database");
  }
  ctx.database().Move(node, dest, a[1]);
  return Result::Applied();
}

// COPY source destination DB db [REPLACE]: the source in the current database, deep-copied
// (streams whole, with their groups) from the state replay has reached, which is the state
// the command saw.
Result ApplyCopy(ApplyContext& ctx, const EffectArgs& a) {
  bool replace = a.size() == 6 && a.Is(5, "REPLACE");
  const bool shape_ok = (a.size() == 5 || replace) && a.Is(3, "DB");
  std::optional<int64_t> db = shape_ok ? a.Int(4) : std::nullopt;
  if (!db || *db < 0 || *db >= ctx.keyspace.size()) return Result::Malformed();
  Database& dest = ctx.keyspace.db(static_cast<int>(*db));
  if (&dest == &ctx.database() && a[1] == a[2]) return Result::Malformed();
  Database::Node* node = ctx.database().Peek(a[1]);
  if (node == nullptr) return Result::Conflict("the source key does not exist");
  if (dest.Peek(a[2]) != nullptr && !replace) {
    return Result::Conflict("the destination key exists");
  }
  ctx.database().Copy(node, dest, a[2]);
  return Result::Applied();
}

// RESTORE key payload [PXAT ms]: the payload decoded with the log's block limits.
Result ApplyRestore(ApplyContext& ctx, const EffectArgs& a) {
  std::optional<int64_t> expire;
  if (a.size() == 5 && a.Is(3, "PXAT")) {
    expire = a.Int(4);
    if (!expire || *expire < 0) return Result::Malformed();
  } else if (a.size() != 3) {
    return Result::Malformed();
  }
  streams::Value value;
  std::string why;
  if (rdb::ReadPayload(a[2], ctx.limits, &value, &why) != rdb::PayloadError::kOk) {
    return Result::Malformed();
  }
  Database& db = ctx.database();
  Database::Node* node = db.Set(a[1], std::move(value));
  if (expire) db.SetExpire(node, *expire);
  return Result::Applied();
}

// SWAPDB index1 index2
Result ApplySwapDb(ApplyContext& ctx, const EffectArgs& a) {
  std::optional<int64_t> x = a.size() == 3 ? a.Int(1) : std::nullopt;
  std::optional<int64_t> y = a.size() == 3 ? a.Int(2) : std::nullopt;
  const int64_t n = ctx.keyspace.size();
  if (!x || !y || *x < 0 || *y < 0 || *x >= n || *y >= n) return Result::Malformed();
  if (*x != *y) {
    ctx.keyspace.db(static_cast<int>(*x)).SwapContents(ctx.keyspace.db(static_cast<int>(*y)));
  }
  return Result::Applied();
}

Result ApplyPExpireAt(ApplyContext& ctx, const EffectArgs& a) {
  std::optional<int64_t> ms = a.size() == 3 ? a.Int(2) : std::nullopt;
  if (!ms || *ms < 0) return Result::Malformed();
  Database::Node* node = ctx.database().Peek(a[1]);
  if (node == nullptr) return Result::Skipped();
  ctx.database().SetExpire(node, *ms);
  return Result::Applied();
}

Result ApplyPersist(ApplyContext& ctx, const EffectArgs& a) {
  if (a.size() != 2) return Result::Malformed();
  Database::Node* node = ctx.database().Peek(a[1]);
  if (node == nullptr) return Result::Skipped();
  ctx.database().SetExpire(node, -1);
  return Result::Applied();
}

// RENAME key newkey; RENAMENX (earlier versions) only when newkey does not exist.
Result Rename(ApplyContext& ctx, const EffectArgs& a, bool nx) {
  if (a.size() != 3) return Result::Malformed();
  Database& db = ctx.database();
  Database::Node* from = db.Peek(a[1]);
  if (from == nullptr) return Result::Skipped();
  if (a[1] == a[2]) return Result::Applied();
  if (db.Peek(a[2]) != nullptr) {
    if (nx) return Result::Skipped();
    db.Delete(a[2]);
  }
  db.Move(from, db, a[2]);
  return Result::Applied();
}

Result ApplyRename(ApplyContext& ctx, const EffectArgs& a) { return Rename(ctx, a, false); }
Result ApplyRenameNx(ApplyContext& ctx, const EffectArgs& a) { return Rename(ctx, a, true); }

// INCR / DECR / INCRBY / DECRBY, which earlier versions logged as sent; now SET KEEPTTL.
Result IncrBy(ApplyContext& ctx, const EffectArgs& a, std::optional<int64_t> by) {
  if (!by) return Result::Malformed();
  Database& db = ctx.database();
  Database::Node* node = db.Peek(a[1]);
  int64_t value = 0;
  if (node != nullptr) {
    const std::string* s = node->value.value.string();
    auto v = s != nullptr ? streams::ParseStrictInt64(*s) : std::nullopt;
    if (!v) return Result::Conflict("the key does not hold an integer");
    value = *v;
  }
  if (__builtin_add_overflow(value, *by, &value)) return Result::Conflict("overflow");
  db.Set(a[1], streams::Value(streams::ToString(value)), /*keep_ttl=*/true);
  return Result::Applied();
}

Result ApplyIncr(ApplyContext& ctx, const EffectArgs& a) {
  return a.size() == 2 ? IncrBy(ctx, a, 1) : Result::Malformed();
}
Result ApplyDecr(ApplyContext& ctx, const EffectArgs& a) {
  return a.size() == 2 ? IncrBy(ctx, a, -1) : Result::Malformed();
}
Result ApplyIncrBy(ApplyContext& ctx, const EffectArgs& a) {
  return a.size() == 3 ? IncrBy(ctx, a, a.Int(2)) : Result::Malformed();
}
Result ApplyDecrBy(ApplyContext& ctx, const EffectArgs& a) {
  if (a.size() != 3) return Result::Malformed();
  auto by = a.Int(2);
  if (by && *by == INT64_MIN) return Result::Malformed();
  return IncrBy(ctx, a, by ? std::optional<int64_t>(-*by) : std::nullopt);
}

// FLUSHDB / FLUSHALL, with the ASYNC or SYNC earlier versions logged as sent.
bool FlushArgsOk(const EffectArgs& a) {
  return a.size() == 1 || (a.size() == 2 && (a.Is(1, "ASYNC") || a.Is(1, "SYNC")));
}

Result ApplyFlushDb(ApplyContext& ctx, const EffectArgs& a) {
  if (!FlushArgsOk(a)) return Result::Malformed();
  ctx.database().Flush();
  return Result::Applied();
}

Result ApplyFlushAll(ApplyContext& ctx, const EffectArgs& a) {
  if (!FlushArgsOk(a)) return Result::Malformed();
  ctx.keyspace.FlushAll();
  return Result::Applied();
}

}  // namespace

void AddKeyAppliers(std::vector<Entry>& out) {
  out.insert(out.end(),
             {{"DEL", ApplyDel},           {"UNLINK", ApplyDel},          {"SET", ApplySet},
              {"MSET", ApplyMSet},         {"APPEND", ApplyAppend},       {"MOVE", ApplyMove},
              {"SWAPDB", ApplySwapDb},     {"COPY", ApplyCopy},           {"RESTORE", ApplyRestore},
              {"SETRANGE", ApplySetRange}, {"PEXPIREAT", ApplyPExpireAt}, {"PERSIST", ApplyPersist},
              {"RENAME", ApplyRename},     {"RENAMENX", ApplyRenameNx},   {"INCR", ApplyIncr},
              {"DECR", ApplyDecr},         {"INCRBY", ApplyIncrBy},       {"DECRBY", ApplyDecrBy},
              {"FLUSHDB", ApplyFlushDb},   {"FLUSHALL", ApplyFlushAll}});
}

}  // namespace runnel::effects
