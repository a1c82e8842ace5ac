// Server commands: CONFIG (GET, SET, RESETSTAT, HELP), INFO, DBSIZE, FLUSHDB, FLUSHALL, TIME,
// SHUTDOWN.
#include <sys/time.h>

#include <algorithm>
#include <string>
#include <vector>

#include "server/arg_util.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/help.h"
#include "server/info.h"
#include "server/server.h"
#include "streams/glob.h"

namespace runnel::server {
namespace {

// ---- CONFIG ----

// CONFIG GET pattern [pattern ...]. A name without glob characters is looked up directly and
// echoed as typed ("CONFIG GET TIMEOUT" answers "TIMEOUT"), as Redis does; a key matched twice
// is listed once.
void CmdConfigGet(CommandContext& ctx) {
  std::vector<std::pair<std::string_view, const ConfigKey*>> matched;
  auto add = [&](std::string_view shown, const ConfigKey* key) {
    for (const auto& m : matched) {
      if (m.second == key) return;
    }
    matched.emplace_back(shown, key);
  };
  for (size_t i = 2; i < ctx.argc(); ++i) {
    std::string_view pattern = ctx.arg(i);
    if (pattern.find_first_of("[*?") == std::string_view::npos) {
      if (const ConfigKey* key = FindConfigKey(pattern)) add(pattern, key);
      continue;
    }
    for (const ConfigKey& key : ConfigKeys()) {
      if (streams::GlobMatch(pattern, key.name, /*nocase=*/true)) add(key.name, &key);
    }
  }
  ctx.reply.Map(matched.size());
  for (const auto& [shown, key] : matched) {
    ctx.reply.Bulk(shown);
    ctx.reply.Bulk(key->Get(ctx.server.config()));
  }
}

// CONFIG SET's first pass, over the names only, as Redis: the first unknown, immutable or
// repeated name fails the command (naming it as typed) before any value is parsed.
bool CheckConfigSetNames(CommandContext& ctx, std::vector<const ConfigKey*>* keys) {
  for (size_t i = 2; i + 1 < ctx.argc(); i += 2) {
    std::string_view name = ctx.arg(i);
    const ConfigKey* key = FindConfigKey(name);
    if (key == nullptr) {
      ctx.Error(errors::ConfigSetUnknown(name));
      return false;
    }
    if (!key->mutable_at_runtime) {
      ctx.Error(errors::ConfigSetFailed(name, key->protected_config
                                                  ? "can't set protected config"
                                                  : "can't set immutable config"));
      return false;
    }
    if (std::find(keys->begin(), keys->end(), key) != keys->end()) {
      ctx.Error(errors::ConfigSetFailed(name, "duplicate parameter"));
      return false;
    }
    keys->push_back(key);
  }
  return true;
}

void CmdConfigSet(CommandContext& ctx) {
  if (ctx.argc() % 2 != 0) return ctx.Error(errors::kSyntax);
  std::vector<const ConfigKey*> keys;
  if (!CheckConfigSetNames(ctx, &keys)) return;
  // All or nothing: apply every value to a copy, and keep the copy only if all parse.
  Config updated = ctx.server.config();
  for (size_t k = 0; k < keys.size(); ++k) {
    std::string why;
    if (!keys[k]->Parse(updated, ctx.arg(3 + 2 * k), &why)) {
      return ctx.Error(errors::ConfigSetFailed(keys[k]->name, why));
    }
  }
  ctx.server.config() = std::move(updated);
  ctx.server.ApplyConfig();
  ctx.reply.Ok();
}

void CmdConfigResetStat(CommandContext& ctx) {
  ServerStats& s = ctx.server.stats();
  ServerStats fresh;
  fresh.start_ms = s.start_ms;
  fresh.start_monotonic = s.start_monotonic;
  s = fresh;
  ctx.reply.Ok();
}

void CmdConfigHelp(CommandContext& ctx) {
  WriteHelp(
      ctx.reply, "CONFIG",
      {"GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
       "SET <directive> <value>", "    Set the configuration <directive> to <value>.", "RESETSTAT",
       "    Reset statistics reported by the INFO command."});
}

// ---- INFO, DBSIZE, TIME ----

void CmdInfo(CommandContext& ctx) {
  std::vector<std::string> sections;
  for (size_t i = 1; i < ctx.argc(); ++i) sections.emplace_back(ctx.arg(i));
  ctx.reply.Verbatim(BuildInfo(ctx.server, sections));
}

void CmdDbSize(CommandContext& ctx) { ctx.reply.Integer(static_cast<int64_t>(ctx.db().size())); }

void CmdTime(CommandContext& ctx) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  ctx.reply.Array(2);
  ctx.reply.BulkInt(tv.tv_sec);
  ctx.reply.BulkInt(tv.tv_usec);
}

// ---- FLUSHDB / FLUSHALL ----

bool ParseFlushArgs(CommandContext& ctx) {
  if (ctx.argc() > 2 ||
      (ctx.argc() == 2 && !IEquals(ctx.arg(1), "ASYNC") && !IEquals(ctx.arg(1), "SYNC"))) {
    ctx.Error(errors::kSyntax);
    return false;
  }
  return true;
}

// Empties one database. WATCHers of keys that existed see a change, as in Redis.
void FlushDatabase(CommandContext& ctx, int index) {
  streams::Database& db = ctx.server.keyspace().db(index);
  ctx.server.watches().ForEachKey(index, [&](const std::string& key, const std::vector<uint64_t>&) {
    if (db.Peek(key) != nullptr) ctx.server.TouchWatchers(index, key);
  });
  db.Flush();
}

void CmdFlushDb(CommandContext& ctx) {
  if (!ParseFlushArgs(ctx)) return;
  FlushDatabase(ctx, ctx.conn.db);
  ctx.reply.Ok();
}

void CmdFlushAll(CommandContext& ctx) {
  if (!ParseFlushArgs(ctx)) return;
  for (int i = 0; i < ctx.server.keyspace().size(); ++i) FlushDatabase(ctx, i);
  ctx.reply.Ok();
}

// ---- SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT] ----

void CmdShutdown(CommandContext& ctx) {
  bool nosave = false, save = false, abort = false, other = false, force = false;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    std::string_view opt = ctx.arg(i);
    if (IEquals(opt, "NOSAVE")) {
      nosave = true;
    } else if (IEquals(opt, "SAVE")) {
      save = true;
    } else if (IEquals(opt, "NOW")) {
      other = true;  // no replicas to wait for: NOW changes nothing
    } else if (IEquals(opt, "FORCE")) {
      other = force = true;
    } else if (IEquals(opt, "ABORT")) {
      abort = true;
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  if ((nosave && save) || (abort && (nosave || save || other))) return ctx.Error(errors::kSyntax);
  if (abort) return ctx.Error(errors::kNoShutdown);
  using Mode = Server::SaveMode;
  std::string error;
  Mode mode = save ? Mode::kSave : nosave ? Mode::kNoSave : Mode::kDefault;
  if (!ctx.server.Shutdown("SHUTDOWN command", mode, force, &error)) {
    ctx.Error(errors::kShutdownFailed);
  }
}

// ---- SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE ----

void CmdSave(CommandContext& ctx) {
  std::string error;
  if (!ctx.server.durability().Save(&error)) return ctx.Error(error);
  ctx.reply.Ok();
}

void CmdBgSave(CommandContext& ctx) {
  bool schedule = false;
  if (ctx.argc() > 1) {
    if (ctx.argc() > 2 || !IEquals(ctx.arg(1), "SCHEDULE")) return ctx.Error(errors::kSyntax);
    schedule = true;
  }
  auto [ok, text] = ctx.server.durability().BackgroundSave(schedule);
  if (!ok) return ctx.Error(text);
  ctx.reply.Simple(text);
}

void CmdBgRewriteAof(CommandContext& ctx) {
  auto [ok, text] = ctx.server.durability().BackgroundRewrite();
  if (!ok) return ctx.Error(text);
  ctx.reply.Simple(text);
}

void CmdLastSave(CommandContext& ctx) {
  ctx.reply.Integer(ctx.server.durability().last_save_ms() / 1000);
}

}  // namespace

void RegisterServerCommands(std::vector<CommandSpec>& out) {
  constexpr uint32_t kAdmin = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale;
  std::vector<CommandSpec> config;
  config.push_back(
      MakeCommand("get", -3, kAdmin, CmdConfigGet, 0, 0, 0, "@admin @slow @dangerous"));
  config.push_back(MakeCommand("set", -4, kAdmin, CmdConfigSet, 0, 0, 0, "@admin @slow @dangerous")
                       .Tips("request_policy:all_nodes response_policy:all_succeeded"));
  config.push_back(
      MakeCommand("resetstat", 2, kAdmin, CmdConfigResetStat, 0, 0, 0, "@admin @slow @dangerous"));
  config.push_back(
      MakeCommand("help", 2, kCmdLoading | kCmdStale, CmdConfigHelp, 0, 0, 0, "@slow"));
  out.push_back(MakeContainer("config", -2, 0, "@slow", std::move(config)));
  out.push_back(
      MakeCommand("info", -1, kCmdLoading | kCmdStale, CmdInfo, 0, 0, 0, "@slow @dangerous")
          .Tips("nondeterministic_output request_policy:all_shards response_policy:special"));
  out.push_back(
      MakeCommand("dbsize", 1, kCmdReadOnly | kCmdFast, CmdDbSize, 0, 0, 0, "@keyspace @read @fast")
          .Tips("request_policy:all_shards response_policy:agg_sum"));
  out.push_back(
      MakeCommand("time", 1, kCmdLoading | kCmdStale | kCmdFast, CmdTime, 0, 0, 0, "@fast")
          .Tips("nondeterministic_output"));
  out.push_back(MakeCommand("flushdb", -1, kCmdWrite, CmdFlushDb, 0, 0, 0,
                            "@keyspace @write @slow @dangerous")
                    .Tips("request_policy:all_shards response_policy:all_succeeded"));
  out.push_back(MakeCommand("flushall", -1, kCmdWrite, CmdFlushAll, 0, 0, 0,
                            "@keyspace @write @slow @dangerous")
                    .Tips("request_policy:all_shards response_policy:all_succeeded"));
  out.push_back(
      MakeCommand("shutdown", -1,
                  kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale | kCmdNoMulti | kCmdAllowBusy,
                  CmdShutdown, 0, 0, 0, "@admin @slow @dangerous"));
  constexpr uint32_t kSaving = kCmdAdmin | kCmdNoScript | kCmdNoAsyncLoading;
  out.push_back(
      MakeCommand("save", 1, kSaving | kCmdNoMulti, CmdSave, 0, 0, 0, "@admin @slow @dangerous"));
  out.push_back(MakeCommand("bgsave", -1, kSaving, CmdBgSave, 0, 0, 0, "@admin @slow @dangerous"));
  out.push_back(
      MakeCommand("bgrewriteaof", 1, kSaving, CmdBgRewriteAof, 0, 0, 0, "@admin @slow @dangerous"));
  out.push_back(MakeCommand("lastsave", 1, kCmdLoading | kCmdStale | kCmdFast, CmdLastSave, 0, 0, 0,
                            "@admin @fast @dangerous")
                    .Tips("nondeterministic_output"));
}

}  // namespace runnel::server
