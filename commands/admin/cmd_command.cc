// COMMAND and its subcommands COUNT, INFO, LIST and HELP: what the server can run, for
// redis-cli and for client libraries that look up key positions.
#include <string>
#include <vector>

#include "commands/admin/command_docs.h"
#include "commands/admin/register.h"
#include "dispatch/args.h"
#include "dispatch/dispatcher.h"
#include "dispatch/help.h"
#include "dispatch/key_specs.h"
#include "streams/glob.h"

namespace runnel::commands {
namespace {

using dispatch::CommandContext;
using dispatch::CommandSpec;
using dispatch::IEquals;
namespace errors = dispatch::errors;

void WriteWords(resp::ReplyWriter& r, const std::vector<std::string_view>& words) {
  r.Set(words.size());
  for (std::string_view w : words) r.Simple(w);
}

void WriteKeySpec(resp::ReplyWriter& r, const dispatch::KeySpec& k) {
  r.Map(k.notes.empty() ? 3 : 4);
  if (!k.notes.empty()) {
    r.Bulk("notes");
    r.Bulk(k.notes);
  }
  r.Bulk("flags");
  WriteWords(r, k.flags);
  r.Bulk("begin_search");
  r.Map(2);
  r.Bulk("type");
  r.Bulk(k.keyword.empty() ? "index" : "keyword");
  r.Bulk("spec");
  if (k.keyword.empty()) {
    r.Map(1);
    r.Bulk("index");
    r.Integer(k.index);
  } else {
    r.Map(2);
    r.Bulk("keyword");
    r.Bulk(k.keyword);
    r.Bulk("startfrom");
    r.Integer(k.startfrom);
  }
  r.Bulk("find_keys");
  r.Map(2);
  r.Bulk("type");
  r.Bulk(k.keynum ? "keynum" : "range");
  r.Bulk("spec");
  r.Map(3);
  if (k.keynum) {
    r.Bulk("keynumidx");
    r.Integer(k.keynumidx);
    r.Bulk("firstkey");
    r.Integer(k.firstkey);
  } else {
    r.Bulk("lastkey");
    r.Integer(k.lastkey);
  }
  r.Bulk("keystep");
  r.Integer(k.keystep);
  if (!k.keynum) {
    r.Bulk("limit");
    r.Integer(k.limit);
  }
}

void WriteCommandInfo(resp::ReplyWriter& r, const CommandSpec& spec) {
  r.Array(10);
  r.Bulk(spec.fullname);
  r.Integer(spec.arity);
  WriteWords(r, dispatch::FlagNames(spec.flags));
  r.Integer(spec.keys.first);
  r.Integer(spec.keys.last);
  r.Integer(spec.keys.step);
  WriteWords(r, dispatch::SpecWords(spec.acl_categories));
  std::vector<std::string_view> tips = dispatch::SpecWords(spec.tips);
  r.Set(tips.size());
  for (std::string_view t : tips) r.Bulk(t);
  // redis-server sends key specs as a RESP3 set, and subcommands as a set when there are none
  // but an array when there are some (all are arrays in RESP2).
  std::vector<dispatch::KeySpec> specs = dispatch::KeySpecs(spec);
  r.Set(specs.size());
  for (const dispatch::KeySpec& k : specs) WriteKeySpec(r, k);
  if (spec.subcommands.empty()) {
    r.Set(0);
  } else {
    r.Array(spec.subcommands.size());
  }
  for (const CommandSpec& sub : spec.subcommands) WriteCommandInfo(r, sub);
}

void CmdCommand(CommandContext& ctx) {
  const auto& all = ctx.dispatcher().commands().all();
  ctx.reply.Array(all.size());
  for (const CommandSpec* spec : all) WriteCommandInfo(ctx.reply, *spec);
}

void CmdCommandCount(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.dispatcher().commands().size()));
}

// Finds "name" or "container|sub".
const CommandSpec* FindByFullName(CommandContext& ctx, std::string_view name) {
  size_t bar = name.find('|');
  const CommandSpec* spec = ctx.dispatcher().commands().Find(name.substr(0, bar));
  if (spec == nullptr || bar == std::string_view::npos) return spec;
  return spec->FindSubcommand(name.substr(bar + 1));
}

void CmdCommandInfo(CommandContext& ctx) {
  if (ctx.argc() == 2) return CmdCommand(ctx);
  ctx.reply.Array(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    const CommandSpec* spec = FindByFullName(ctx, ctx.arg(i));
    if (spec == nullptr) {
      ctx.reply.Null();
    } else {
      WriteCommandInfo(ctx.reply, *spec);
    }
  }
}

// COMMAND LIST [FILTERBY (MODULE name | ACLCAT category | PATTERN pattern)]
void CmdCommandList(CommandContext& ctx) {
  std::string_view by, value;
  if (ctx.argc() != 2) {
    if (ctx.argc() != 5 || !IEquals(ctx.arg(2), "FILTERBY")) return ctx.Error(errors::kSyntax);
    by = ctx.arg(3);
    value = ctx.arg(4);
    if (!IEquals(by, "MODULE") && !IEquals(by, "ACLCAT") && !IEquals(by, "PATTERN")) {
      return ctx.Error(errors::kSyntax);
    }
  }
  auto keep = [&](const CommandSpec& spec) {
    if (by.empty()) return true;
    if (IEquals(by, "MODULE")) return false;
    if (IEquals(by, "PATTERN")) return streams::GlobMatch(value, spec.fullname, true);
    for (std::string_view cat : dispatch::SpecWords(spec.acl_categories)) {
      if (IEquals(cat.substr(1), value)) return true;
    }
    return false;
  };
  auto header = ctx.reply.Begin();
  size_t n = 0;
  for (const CommandSpec* spec : ctx.dispatcher().commands().all()) {
    if (keep(*spec)) {
      ctx.reply.Bulk(spec->fullname);
      ++n;
    }
    for (const CommandSpec& sub : spec->subcommands) {
      if (keep(sub)) {
        ctx.reply.Bulk(sub.fullname);
        ++n;
      }
    }
  }
  ctx.reply.EndArray(header, n);
}

void CmdCommandDocs(CommandContext& ctx) {
  std::vector<const CommandSpec*> specs;
  if (ctx.argc() == 2) {
    specs = ctx.dispatcher().commands().all();
  } else {
    for (size_t i = 2; i < ctx.argc(); ++i) {
      if (const CommandSpec* spec = FindByFullName(ctx, ctx.arg(i))) specs.push_back(spec);
    }
  }
  ctx.reply.Map(specs.size());
  for (const CommandSpec* spec : specs) {
    ctx.reply.Bulk(spec->fullname);
    WriteCommandDocs(ctx.reply, *spec);
  }
}

// COMMAND GETKEYS / GETKEYSANDFLAGS <command> [arg ...]: the keys that call would touch, found
// by the same key specs the ACL check uses, with their flags when asked.
void GetKeys(CommandContext& ctx, bool with_flags) {
  resp::ArgList call;
  for (size_t i = 2; i < ctx.argc(); ++i) call.Add(ctx.arg(i));
  std::string unknown;
  const CommandSpec* spec = ctx.dispatcher().commands().Lookup(call, &unknown);
  if (spec == nullptr) return ctx.Error(errors::kGetKeysNoCommand);
  if (!dispatch::HasKeyArguments(*spec)) return ctx.Error(errors::kGetKeysNoKeys);
  if (!dispatch::CommandTable::ArityOk(*spec, call.size())) {
    return ctx.Error(errors::kGetKeysArity);
  }
  std::vector<dispatch::KeyRef> keys = dispatch::FindKeys(*spec, call);
  if (keys.empty() && (spec->flags & dispatch::kCmdNoMandatoryKeys) == 0) {
    return ctx.Error(errors::kGetKeysInvalid);
  }
  ctx.reply.Array(keys.size());
  for (const dispatch::KeyRef& k : keys) {
    if (!with_flags) {
      ctx.reply.Bulk(k.key);
      continue;
    }
    ctx.reply.Array(2);
    ctx.reply.Bulk(k.key);
    WriteWords(ctx.reply, k.flags);
  }
}

void CmdCommandGetKeys(CommandContext& ctx) { GetKeys(ctx, false); }
void CmdCommandGetKeysAndFlags(CommandContext& ctx) { GetKeys(ctx, true); }

void CmdCommandHelp(CommandContext& ctx) {
  dispatch::WriteHelp(
      ctx.reply, "COMMAND",
      {"(no subcommand)", "    Return details about all Redis commands.", "COUNT",
       "    Return the total number of commands in this Redis server.", "LIST",
       "    Return a list of all commands in this Redis server.", "INFO [<command-name> ...]",
       "    Return details about multiple Redis commands.",
       "    If no command names are given, documentation details for all",
       "    commands are returned.", "DOCS [<command-name> ...]",
       "    Return documentation details about multiple Redis commands.",
       "    If no command names are given, documentation details for all",
       "    commands are returned.", "GETKEYS <full-command>",
       "    Return the keys from a full Redis command.", "GETKEYSANDFLAGS <full-command>",
       "    Return the keys and the access flags from a full Redis command."});
}

}  // namespace

void RegisterCommandCommands(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  constexpr uint32_t kFlags = kCmdLoading | kCmdStale;
  std::vector<CommandSpec> subs;
  subs.push_back({.name = "count",
                  .arity = 2,
                  .flags = kFlags,
                  .handler = CmdCommandCount,
                  .acl_categories = "@slow @connection"});
  subs.push_back({.name = "info",
                  .arity = -2,
                  .flags = kFlags,
                  .handler = CmdCommandInfo,
                  .acl_categories = "@slow @connection",
                  .tips = "nondeterministic_output_order"});
  subs.push_back({.name = "list",
                  .arity = -2,
                  .flags = kFlags,
                  .handler = CmdCommandList,
                  .acl_categories = "@slow @connection",
                  .tips = "nondeterministic_output_order"});
  subs.push_back({.name = "docs",
                  .arity = -2,
                  .flags = kFlags,
                  .handler = CmdCommandDocs,
                  .acl_categories = "@slow @connection",
                  .tips = "nondeterministic_output_order"});
  subs.push_back({.name = "getkeys",
                  .arity = -4,
                  .flags = kFlags,
                  .handler = CmdCommandGetKeys,
                  .acl_categories = "@slow @connection"});
  subs.push_back({.name = "getkeysandflags",
                  .arity = -4,
                  .flags = kFlags,
                  .handler = CmdCommandGetKeysAndFlags,
                  .acl_categories = "@slow @connection"});
  subs.push_back({.name = "help",
                  .arity = 2,
                  .flags = kFlags,
                  .handler = CmdCommandHelp,
                  .acl_categories = "@slow @connection"});
  // A container with a handler of its own: plain COMMAND lists everything.
  out.push_back({.name = "command",
                 .arity = -1,
                 .flags = kFlags,
                 .handler = CmdCommand,
                 .acl_categories = "@slow @connection",
                 .tips = "nondeterministic_output_order",
                 .subcommands = std::move(subs)});
}

}  // namespace runnel::commands
