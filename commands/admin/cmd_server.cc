// Server commands: CONFIG (GET, SET, RESETSTAT, HELP), INFO, TIME, SHUTDOWN, SAVE, BGSAVE,
// BGREWRITEAOF, LASTSAVE. What they act on — the configuration, the files, the process — is the
// server's, reached through dispatch::AdminHost.
#include <sys/time.h>

#include <algorithm>
#include <string>
#include <vector>

#include "commands/admin/register.h"
#include "config/config.h"
#include "dispatch/args.h"
#include "dispatch/help.h"
#include "streams/glob.h"

namespace runnel::commands {
namespace {

using config::ConfigKey;
using config::ConfigKeys;
using config::FindConfigKey;
using dispatch::AdminHost;
using dispatch::CommandContext;
using dispatch::CommandSpec;
using dispatch::IEquals;
namespace errors = dispatch::errors;

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
    ctx.reply.Bulk(key->Get(ctx.admin().config()));
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
  const config::Config& current = ctx.admin().config();
  config::Config updated = current;
  for (size_t k = 0; k < keys.size(); ++k) {
    std::string why;
    if (!keys[k]->Parse(updated, ctx.arg(3 + 2 * k), &why)) {
      return ctx.Error(errors::ConfigSetFailed(keys[k]->name, why));
    }
  }
  // Block limits decide how entries fall into blocks, which replay must follow: the log records
  // them when they change.
  bool limits_changed = updated.stream_node_max_bytes != current.stream_node_max_bytes ||
                        updated.stream_node_max_entries != current.stream_node_max_entries;
  dispatch::ConfigApplyError error;
  if (!ctx.admin().SetConfig(std::move(updated), &error)) {
    // The first setting given of those that failed, with its reason, as Redis names its setter.
    for (const ConfigKey* k : keys) {
      for (const auto& [name, why] : error.failed) {
        if (k->name == name) return ctx.Error(errors::ConfigSetFailed(name, why));
      }
    }
    return ctx.Error(errors::ConfigSetFailed(
        keys[0]->name, error.failed.empty() ? std::string_view() : error.failed[0].second));
  }
  if (limits_changed) ctx.effects().StreamLimits(ctx.limits().stream);
  ctx.reply.Ok();
}

void CmdConfigResetStat(CommandContext& ctx) {
  ctx.admin().ResetStats();
  ctx.reply.Ok();
}

void CmdConfigRewrite(CommandContext& ctx) {
  std::string error;
  if (!ctx.admin().RewriteConfig(&error)) return ctx.Error(error);
  ctx.reply.Ok();
}

void CmdConfigHelp(CommandContext& ctx) {
  dispatch::WriteHelp(
      ctx.reply, "CONFIG",
      {"GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
       "SET <directive> <value>", "    Set the configuration <directive> to <value>.", "RESETSTAT",
       "    Reset statistics reported by the INFO command.", "REWRITE",
       "    Rewrite the configuration file."});
}

// ---- INFO, TIME ----

void CmdInfo(CommandContext& ctx) {
  std::vector<std::string> sections;
  for (size_t i = 1; i < ctx.argc(); ++i) sections.emplace_back(ctx.arg(i));
  ctx.reply.Verbatim(ctx.admin().Info(sections));
}

void CmdTime(CommandContext& ctx) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  ctx.reply.Array(2);
  ctx.reply.BulkInt(tv.tv_sec);
  ctx.reply.BulkInt(tv.tv_usec);
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
  using Mode = AdminHost::SaveMode;
  std::string error;
  Mode mode = save ? Mode::kSave : nosave ? Mode::kNoSave : Mode::kDefault;
  if (!ctx.admin().Shutdown("SHUTDOWN command", mode, force, &error)) {
    ctx.Error(errors::kShutdownFailed);
  }
}

// ---- SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE ----

void CmdSave(CommandContext& ctx) {
  std::string error;
  if (!ctx.admin().Save(&error)) return ctx.Error(error);
  ctx.reply.Ok();
}

void CmdBgSave(CommandContext& ctx) {
  bool schedule = false;
  if (ctx.argc() > 1) {
    if (ctx.argc() > 2 || !IEquals(ctx.arg(1), "SCHEDULE")) return ctx.Error(errors::kSyntax);
    schedule = true;
  }
  auto [ok, text] = ctx.admin().BackgroundSave(schedule, ctx.in_exec);
  if (!ok) return ctx.Error(text);
  ctx.reply.Simple(text);
}

void CmdBgRewriteAof(CommandContext& ctx) {
  auto [ok, text] = ctx.admin().BackgroundRewrite(ctx.in_exec);
  if (!ok) return ctx.Error(text);
  ctx.reply.Simple(text);
}

void CmdLastSave(CommandContext& ctx) { ctx.reply.Integer(ctx.admin().LastSaveMs() / 1000); }

// ROLE: ["master", offset, [replicas...]]. Runnel is always a master so far (issue 15).

}  // namespace

void RegisterServerCommands(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  constexpr uint32_t kAdmin = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale;
  constexpr uint32_t kSaving = kCmdAdmin | kCmdNoScript | kCmdNoAsyncLoading;
  constexpr std::string_view kDangerous = "@admin @slow @dangerous";
  std::vector<CommandSpec> config;
  config.push_back({.name = "get",
                    .arity = -3,
                    .flags = kAdmin,
                    .handler = CmdConfigGet,
                    .acl_categories = kDangerous});
  config.push_back({.name = "set",
                    .arity = -4,
                    .flags = kAdmin,
                    .handler = CmdConfigSet,
                    .acl_categories = kDangerous,
                    .tips = "request_policy:all_nodes response_policy:all_succeeded"});
  config.push_back({.name = "resetstat",
                    .arity = 2,
                    .flags = kAdmin,
                    .handler = CmdConfigResetStat,
                    .acl_categories = kDangerous});
  config.push_back({.name = "rewrite",
                    .arity = 2,
                    .flags = kAdmin,
                    .handler = CmdConfigRewrite,
                    .acl_categories = kDangerous});
  config.push_back({.name = "help",
                    .arity = 2,
                    .flags = kCmdLoading | kCmdStale,
                    .handler = CmdConfigHelp,
                    .acl_categories = "@slow"});
  out.push_back(
      {.name = "config", .arity = -2, .acl_categories = "@slow", .subcommands = std::move(config)});
  out.push_back({.name = "info",
                 .arity = -1,
                 .flags = kCmdLoading | kCmdStale,
                 .handler = CmdInfo,
                 .acl_categories = "@slow @dangerous",
                 .tips = "nondeterministic_output request_policy:all_shards "
                         "response_policy:special"});
  out.push_back({.name = "time",
                 .arity = 1,
                 .flags = kCmdLoading | kCmdStale | kCmdFast,
                 .handler = CmdTime,
                 .acl_categories = "@fast",
                 .tips = "nondeterministic_output"});
  out.push_back(
      {.name = "shutdown",
       .arity = -1,
       .flags = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale | kCmdNoMulti | kCmdAllowBusy,
       .handler = CmdShutdown,
       .acl_categories = kDangerous});
  out.push_back({.name = "save",
                 .arity = 1,
                 .flags = kSaving | kCmdNoMulti,
                 .handler = CmdSave,
                 .acl_categories = kDangerous});
  out.push_back({.name = "bgsave",
                 .arity = -1,
                 .flags = kSaving,
                 .handler = CmdBgSave,
                 .acl_categories = kDangerous});
  out.push_back({.name = "bgrewriteaof",
                 .arity = 1,
                 .flags = kSaving,
                 .handler = CmdBgRewriteAof,
                 .acl_categories = kDangerous});
  out.push_back({.name = "lastsave",
                 .arity = 1,
                 .flags = kCmdLoading | kCmdStale | kCmdFast,
                 .handler = CmdLastSave,
                 .acl_categories = "@admin @fast @dangerous",
                 .tips = "nondeterministic_output"});
}

}  // namespace runnel::commands
