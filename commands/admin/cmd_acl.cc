// ACL and its subcommands: users (SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI), what they may
// do (CAT, DRYRUN), what was refused (LOG), passwords (GENPASS) and the ACL file (SAVE, LOAD).
// The users and the check itself are acl/ and the dispatcher's (access_control.cc); these
// handlers parse, call one operation, and reply.
#include <string>
#include <vector>

#include "acl/categories.h"
#include "acl/password.h"
#include "commands/admin/register.h"
#include "dispatch/args.h"
#include "dispatch/dispatcher.h"
#include "dispatch/help.h"

namespace runnel::commands {
namespace {

using dispatch::CommandContext;
using dispatch::CommandSpec;
using dispatch::IEquals;
namespace errors = dispatch::errors;

void CmdAclSetUser(CommandContext& ctx) {
  std::string_view name = ctx.arg(2);
  if (name.find(' ') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    return ctx.Error(errors::kAclUsernameSpaces);
  }
  std::vector<std::string_view> rules;
  for (size_t i = 3; i < ctx.argc(); ++i) rules.push_back(ctx.arg(i));
  acl::SetUserError e = ctx.dispatcher().users().SetUser(name, rules);
  if (e.error == acl::RuleError::kUnmatchedParenthesis) {
    return ctx.Error(errors::AclUnmatchedParenthesis(e.rule));
  }
  if (e.error != acl::RuleError::kNone) {
    return ctx.Error(errors::AclSetUserFailed(e.rule, acl::RuleErrorText(e.error)));
  }
  ctx.dispatcher().UserChanged(*ctx.dispatcher().users().Find(name), ctx.client());
  ctx.reply.Ok();
}

void WriteSelectorFields(resp::ReplyWriter& r, const acl::Selector& s) {
  r.Bulk("commands");
  r.Bulk(s.DescribeCommands());
  r.Bulk("keys");
  r.Bulk(s.DescribeKeys());
  r.Bulk("channels");
  r.Bulk(s.DescribeChannels());
}

void CmdAclGetUser(CommandContext& ctx) {
  const acl::User* user = ctx.dispatcher().users().Find(ctx.arg(2));
  if (user == nullptr) return ctx.reply.Null();
  resp::ReplyWriter& r = ctx.reply;
  r.Map(6);
  r.Bulk("flags");
  std::vector<std::string_view> flags = user->Flags();
  r.Array(flags.size());
  for (std::string_view f : flags) r.Bulk(f);
  r.Bulk("passwords");
  r.Array(user->password_hashes().size());
  for (const std::string& h : user->password_hashes()) r.Bulk(h);
  WriteSelectorFields(r, user->root());
  r.Bulk("selectors");
  r.Array(user->selectors().size());
  for (const acl::Selector& s : user->selectors()) {
    r.Map(3);
    WriteSelectorFields(r, s);
  }
}

void CmdAclDelUser(CommandContext& ctx) {
  for (size_t i = 2; i < ctx.argc(); ++i) {
    if (ctx.arg(i) == "default") return ctx.Error(errors::kAclDeleteDefault);
  }
  int64_t deleted = 0;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    deleted += ctx.dispatcher().DeleteUser(ctx.arg(i), ctx.client()) ? 1 : 0;
  }
  ctx.reply.Integer(deleted);
}

void CmdAclList(CommandContext& ctx) {
  const auto& users = ctx.dispatcher().users().all();
  ctx.reply.Array(users.size());
  for (const auto& [name, user] : users) ctx.reply.Bulk(user->Describe());
}

void CmdAclUsers(CommandContext& ctx) {
  const auto& users = ctx.dispatcher().users().all();
  ctx.reply.Array(users.size());
  for (const auto& [name, user] : users) ctx.reply.Bulk(name);
}

void CmdAclWhoAmI(CommandContext& ctx) {
  const acl::User* user = ctx.client().user;
  if (user == nullptr) return ctx.reply.Null();
  ctx.reply.Bulk(user->name());
}

// CAT: the categories, or the commands in one (a container's subcommands, not the container).
void CmdAclCat(CommandContext& ctx) {
  if (ctx.argc() == 2) {
    ctx.reply.Array(acl::kCategories.size());
    for (std::string_view c : acl::kCategories) ctx.reply.Bulk(c);
    return;
  }
  const int category = acl::CategoryIndex(ctx.arg(2));
  if (category < 0) return ctx.Error(errors::AclUnknownCategory(ctx.arg(2)));
  const acl::CommandCatalog& catalog = ctx.dispatcher().commands().catalog();
  std::vector<std::string_view> names;
  for (size_t id = 0; id < catalog.size(); ++id) {
    const acl::CatalogCommand& c = catalog.at(static_cast<int>(id));
    if (c.children.empty() && (c.categories & (acl::CategorySet{1} << category))) {
      names.push_back(c.fullname);
    }
  }
  ctx.reply.Array(names.size());
  for (std::string_view n : names) ctx.reply.Bulk(n);
}

void CmdAclDryRun(CommandContext& ctx) {
  const acl::User* user = ctx.dispatcher().users().Find(ctx.arg(2));
  if (user == nullptr) return ctx.Error(errors::AclUserNotFound(ctx.arg(2)));
  resp::ArgList call;
  for (size_t i = 3; i < ctx.argc(); ++i) call.Add(ctx.arg(i));
  std::string ignored;
  const CommandSpec* spec = ctx.dispatcher().commands().Lookup(call, &ignored);
  if (spec == nullptr) return ctx.Error(errors::AclCommandNotFound(ctx.arg(3)));
  if (!dispatch::CommandTable::ArityOk(*spec, call.size())) {
    return ctx.Error(errors::WrongArity(spec->fullname));
  }
  acl::Denial denial = ctx.dispatcher().CheckAccess(*user, *spec, call);
  switch (denial.reason) {
    case acl::Denial::Reason::kNone:
      return ctx.reply.Ok();
    case acl::Denial::Reason::kCommand:
      return ctx.reply.Bulk(errors::DryRunDenied("command", spec->fullname));
    case acl::Denial::Reason::kKey:
      return ctx.reply.Bulk(errors::DryRunDenied("key", denial.object));
    case acl::Denial::Reason::kChannel:
      return ctx.reply.Bulk(errors::DryRunDenied("channel", denial.object));
  }
}

void CmdAclGenPass(CommandContext& ctx) {
  int64_t bits = 256;
  if (ctx.argc() == 3) {
    auto n = dispatch::IntArgOrReply(ctx, ctx.arg(2));
    if (!n) return;
    if (*n <= 0 || *n > 4096) return ctx.Error(errors::kAclGenPassBits);
    bits = *n;
  } else if (ctx.argc() > 3) {
    return ctx.Error(errors::kSyntax);
  }
  ctx.reply.Bulk(acl::RandomHex(static_cast<int>(bits)));
}

void WriteLogEntry(resp::ReplyWriter& r, const acl::LogEntry& e, int64_t now_ms) {
  r.Map(10);
  r.Bulk("count");
  r.Integer(static_cast<int64_t>(e.count));
  r.Bulk("reason");
  r.Bulk(e.reason);
  r.Bulk("context");
  r.Bulk(e.context);
  r.Bulk("object");
  r.Bulk(e.object);
  r.Bulk("username");
  r.Bulk(e.username);
  r.Bulk("age-seconds");
  r.Double(static_cast<double>(now_ms - e.created_ms) / 1000.0);
  r.Bulk("client-info");
  r.Bulk(e.client_info);
  r.Bulk("entry-id");
  r.Integer(static_cast<int64_t>(e.entry_id));
  r.Bulk("timestamp-created");
  r.Integer(e.created_ms);
  r.Bulk("timestamp-last-updated");
  r.Integer(e.updated_ms);
}

// LOG [count | RESET]: the newest `count` refusals (10 unless given).
void CmdAclLog(CommandContext& ctx) {
  int64_t count = 10;
  if (ctx.argc() == 3) {
    if (IEquals(ctx.arg(2), "RESET")) {
      ctx.dispatcher().acl_log().Reset();
      return ctx.reply.Ok();
    }
    auto n = dispatch::IntArgOrReply(ctx, ctx.arg(2));
    if (!n) return;
    count = std::max<int64_t>(*n, 0);
  } else if (ctx.argc() > 3) {
    return ctx.Error(errors::kSyntax);
  }
  const auto& entries = ctx.dispatcher().acl_log().entries();
  const size_t n = std::min(entries.size(), static_cast<size_t>(count));
  ctx.reply.Array(n);
  for (size_t i = 0; i < n; ++i) WriteLogEntry(ctx.reply, entries[i], ctx.now_ms);
}

void CmdAclSave(CommandContext& ctx) {
  if (ctx.admin().config().aclfile.empty()) return ctx.Error(errors::kAclNoFile);
  std::string error;
  if (!ctx.admin().WriteAclFile(ctx.dispatcher().users().Serialize(), &error)) {
    ctx.Warn("ACL SAVE failed: " + error);
    return ctx.Error(errors::kAclFileUnwritable);
  }
  ctx.reply.Ok();
}

void CmdAclLoad(CommandContext& ctx) {
  const std::string& path = ctx.admin().config().aclfile;
  if (path.empty()) return ctx.Error(errors::kAclNoFile);
  std::string text, error;
  if (!ctx.admin().ReadAclFile(&text, &error)) {
    return ctx.Error(errors::AclFileUnreadable(path, error));
  }
  acl::Users& users = ctx.dispatcher().users();
  acl::Users loaded(&ctx.dispatcher().commands().catalog());
  if (!users.Parse(text, path, &loaded, &error)) {
    return ctx.Error("ERR " + error + std::string(errors::kAclLoadWarning));
  }
  ctx.dispatcher().ReplaceUsers(std::move(loaded), ctx.client());
  ctx.reply.Ok();
}

void CmdAclHelp(CommandContext& ctx) {
  dispatch::WriteHelp(
      ctx.reply, "ACL",
      {"CAT [<category>]",
       "    List all commands that belong to <category>, or all command categories",
       "    when no category is specified.",
       "DELUSER <username> [<username> ...]",
       "    Delete a list of users.",
       "DRYRUN <username> <command> [<arg> ...]",
       "    Returns whether the user can execute the given command without executing the "
       "command.",
       "GETUSER <username>",
       "    Get the user's details.",
       "GENPASS [<bits>]",
       "    Generate a secure 256-bit user password. The optional `bits` argument can",
       "    be used to specify a different size.",
       "LIST",
       "    Show users details in config file format.",
       "LOAD",
       "    Reload users from the ACL file.",
       "LOG [<count> | RESET]",
       "    Show the ACL log entries.",
       "SAVE",
       "    Save the current config to the ACL file.",
       "SETUSER <username> <attribute> [<attribute> ...]",
       "    Create or modify a user with the specified attributes.",
       "USERS",
       "    List all the registered usernames.",
       "WHOAMI",
       "    Return the current connection username."});
}

}  // namespace

void RegisterAclCommand(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  constexpr uint32_t kAdmin = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale;
  constexpr uint32_t kPlain = kCmdNoScript | kCmdLoading | kCmdStale;
  constexpr std::string_view kAdminCats = "@admin @slow @dangerous";
  std::vector<CommandSpec> subs;
  auto add = [&](const char* name, int arity, uint32_t flags, CommandHandler handler,
                 std::string_view cats) {
    subs.push_back(
        {.name = name, .arity = arity, .flags = flags, .handler = handler, .acl_categories = cats});
  };
  add("cat", -2, kPlain, CmdAclCat, "@slow");
  add("deluser", -3, kAdmin, CmdAclDelUser, kAdminCats);
  add("dryrun", -4, kAdmin, CmdAclDryRun, kAdminCats);
  add("genpass", -2, kPlain, CmdAclGenPass, "@slow");
  add("getuser", 3, kAdmin, CmdAclGetUser, kAdminCats);
  add("list", 2, kAdmin, CmdAclList, kAdminCats);
  add("load", 2, kAdmin, CmdAclLoad, kAdminCats);
  add("log", -2, kAdmin, CmdAclLog, kAdminCats);
  add("save", 2, kAdmin, CmdAclSave, kAdminCats);
  add("setuser", -3, kAdmin, CmdAclSetUser, kAdminCats);
  add("users", 2, kAdmin, CmdAclUsers, kAdminCats);
  add("whoami", 2, kPlain, CmdAclWhoAmI, "@slow");
  add("help", 2, kCmdLoading | kCmdStale, CmdAclHelp, "@slow");
  out.push_back(
      {.name = "acl", .arity = -2, .acl_categories = "@slow", .subcommands = std::move(subs)});
}

}  // namespace runnel::commands
