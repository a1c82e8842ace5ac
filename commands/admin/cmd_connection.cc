// Connection commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET and CLIENT. What only the
// server knows of a connection (its socket, its buffers) comes through dispatch::Client.
#include <algorithm>
#include <string>
#include <vector>

#include "commands/admin/client_kill.h"
#include "commands/admin/register.h"
#include "commands/admin/version.h"
#include "dispatch/args.h"
#include "dispatch/dispatcher.h"
#include "dispatch/help.h"

namespace runnel::commands {
namespace {

using dispatch::Client;
using dispatch::CommandContext;
using dispatch::CommandSpec;
using dispatch::IEquals;
using dispatch::IntArgOrReply;
namespace errors = dispatch::errors;

// Redis allows only printable ASCII without spaces in client names and library attributes.
bool ValidClientAttribute(std::string_view s) {
  for (char c : s) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

void CmdPing(CommandContext& ctx) {
  if (ctx.argc() > 2) {
    ctx.Error(errors::WrongArity("ping"));
  } else if (ctx.client().protocol() == 2 && ctx.client().subscriptions.any()) {
    // In Pub/Sub context a RESP2 reply must look like a message: ["pong", argument or ""].
    ctx.reply.Array(2);
    ctx.reply.Bulk("pong");
    ctx.reply.Bulk(ctx.argc() == 2 ? ctx.arg(1) : std::string_view());
  } else if (ctx.argc() == 2) {
    ctx.reply.Bulk(ctx.arg(1));
  } else {
    ctx.reply.Simple("PONG");
  }
}

void CmdEcho(CommandContext& ctx) { ctx.reply.Bulk(ctx.arg(1)); }

void CmdAuth(CommandContext& ctx) {
  if (ctx.argc() > 3) return ctx.Error(errors::kSyntax);
  // The one-argument form logs in as the default user, which must have a password to check.
  if (ctx.argc() == 2 && ctx.dispatcher().users().default_user().nopass()) {
    return ctx.Error(errors::kAuthWithoutPassword);
  }
  std::string_view user = ctx.argc() == 2 ? "default" : ctx.arg(1);
  std::string_view password = ctx.argc() == 2 ? ctx.arg(1) : ctx.arg(2);
  if (!ctx.dispatcher().Authenticate(ctx.client(), ctx.arg(0), user, password)) {
    return ctx.Error(errors::kWrongPass);
  }
  ctx.reply.Ok();
}

void WriteHelloMap(CommandContext& ctx) {
  ctx.reply.Map(7);
  ctx.reply.Bulk("server");
  ctx.reply.Bulk("redis");
  ctx.reply.Bulk("version");
  ctx.reply.Bulk(kRedisVersion);
  ctx.reply.Bulk("proto");
  ctx.reply.Integer(ctx.client().protocol());
  ctx.reply.Bulk("id");
  ctx.reply.Integer(static_cast<int64_t>(ctx.client().id()));
  ctx.reply.Bulk("mode");
  ctx.reply.Bulk("standalone");
  ctx.reply.Bulk("role");
  ctx.reply.Bulk("master");
  ctx.reply.Bulk("modules");
  ctx.reply.Array(0);
}

void CmdHello(CommandContext& ctx) {
  int64_t version = 0;
  size_t i = 1;
  if (ctx.argc() >= 2) {
    auto v = IntArgOrReply(ctx, ctx.arg(i++), errors::kProtocolVersion);
    if (!v) return;
    if (*v < 2 || *v > 3) return ctx.Error(errors::kNoProto);
    version = *v;
  }
  std::optional<std::string_view> user, password, name;
  for (; i < ctx.argc(); ++i) {
    size_t more = ctx.argc() - 1 - i;
    if (IEquals(ctx.arg(i), "AUTH") && more >= 2) {
      user = ctx.arg(i + 1);
      password = ctx.arg(i + 2);
      i += 2;
    } else if (IEquals(ctx.arg(i), "SETNAME") && more >= 1) {
      name = ctx.arg(++i);
      if (!ValidClientAttribute(*name)) {
        return ctx.Error(errors::kBadClientName);
      }
    } else {
      return ctx.Error(errors::HelloSyntax(ctx.arg(i)));
    }
  }
  if (user && !ctx.dispatcher().Authenticate(ctx.client(), ctx.arg(0), *user, *password)) {
    return ctx.Error(errors::kWrongPass);
  }
  if (!ctx.client().authenticated) {
    return ctx.Error(errors::kHelloNoAuth);
  }
  if (name) ctx.client().name = std::string(*name);
  if (version) ctx.client().set_protocol(static_cast<int>(version));
  WriteHelloMap(ctx);
}

void CmdSelect(CommandContext& ctx) {
  auto index = IntArgOrReply(ctx, ctx.arg(1));
  if (!index) return;
  if (*index < INT32_MIN || *index > INT32_MAX) return ctx.Error(errors::kNotInt32);
  if (*index < 0 || *index >= ctx.keyspace().size()) {
    return ctx.Error(errors::kDbIndexOutOfRange);
  }
  ctx.client().db = static_cast<int>(*index);
  ctx.reply.Ok();
}

void CmdQuit(CommandContext& ctx) {
  ctx.reply.Ok();
  ctx.client().CloseAfterReply();
}

void CmdReset(CommandContext& ctx) {
  Client& c = ctx.client();
  c.multi = dispatch::MultiState{};
  ctx.dispatcher().UnwatchAll(c);
  ctx.dispatcher().pubsub().Drop(c);  // silently, as Redis does
  ctx.dispatcher().StopMonitoring(c);
  c.reply_mode = Client::ReplyMode::kOn;
  c.no_evict = false;
  c.no_touch = false;
  c.db = 0;
  c.set_protocol(2);
  c.name.clear();
  ctx.dispatcher().StartSession(c);  // back to the default user, as a new connection
  ctx.reply.Simple("RESET");
}

// ---- CLIENT ----

void CmdClientId(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.client().id()));
}

void CmdClientSetName(CommandContext& ctx) {
  if (!ValidClientAttribute(ctx.arg(2))) {
    return ctx.Error(errors::kBadClientName);
  }
  ctx.client().name = std::string(ctx.arg(2));
  ctx.reply.Ok();
}

void CmdClientGetName(CommandContext& ctx) {
  if (ctx.client().name.empty()) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(ctx.client().name);
  }
}

void CmdClientSetInfo(CommandContext& ctx) {
  std::string_view attr = ctx.arg(2);
  std::string* dest = IEquals(attr, "lib-name")  ? &ctx.client().lib_name
                      : IEquals(attr, "lib-ver") ? &ctx.client().lib_ver
                                                 : nullptr;
  if (dest == nullptr) {
    return ctx.Error(errors::UnrecognizedOption(attr));
  }
  if (!ValidClientAttribute(ctx.arg(3))) {
    return ctx.Error(errors::BadClientAttribute(attr));
  }
  *dest = std::string(ctx.arg(3));
  ctx.reply.Ok();
}

void CmdClientInfo(CommandContext& ctx) { ctx.reply.Verbatim(ctx.client().Describe() + "\n"); }

// CLIENT LIST [TYPE type | ID id [id ...]]: exactly these forms, as in Redis. IDs are listed
// in the order given (repeats included); unknown IDs are skipped.
void CmdClientList(CommandContext& ctx) {
  std::string text;
  auto add = [&](const Client& c) { text += c.Describe() + "\n"; };
  if (ctx.argc() == 4 && IEquals(ctx.arg(2), "TYPE")) {
    auto type = dispatch::ParseClientType(ctx.arg(3));
    if (!type) return ctx.Error(errors::UnknownClientType(ctx.arg(3)));
    for (const Client* c : ctx.admin().Clients()) {
      if (c->type() == *type) add(*c);
    }
  } else if (ctx.argc() > 3 && IEquals(ctx.arg(2), "ID")) {
    for (size_t i = 3; i < ctx.argc(); ++i) {
      auto id = IntArgOrReply(ctx, ctx.arg(i), errors::kInvalidClientId);
      if (!id) return;
      if (*id <= 0) continue;
      if (const Client* c = ctx.dispatcher().host().FindClient(static_cast<uint64_t>(*id))) {
        add(*c);
      }
    }
  } else if (ctx.argc() != 2) {
    return ctx.Error(errors::kSyntax);
  } else {
    for (const Client* c : ctx.admin().Clients()) add(*c);
  }
  ctx.reply.Verbatim(text);
}

void CmdClientKill(CommandContext& ctx) {
  ClientKillFilter filter;
  std::string error;
  if (!ParseClientKillFilter(ctx.args, ctx.dispatcher().users(), &filter, &error)) return ctx.Error(error);
  std::vector<Client*> victims;
  for (Client* c : ctx.admin().Clients()) {
    if (filter.Matches(*c, ctx.client())) victims.push_back(c);
  }
  if (filter.old_style && victims.empty()) return ctx.Error(errors::kNoSuchClient);
  for (Client* c : victims) {
    if (c == &ctx.client()) {
      c->CloseAfterReply();  // the reply still goes out
    } else {
      c->Close();
    }
  }
  if (filter.old_style) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Integer(static_cast<int64_t>(victims.size()));
  }
}

void CmdClientHelp(CommandContext& ctx) {
  dispatch::WriteHelp(ctx.reply, "CLIENT", ClientHelpLines());
}

}  // namespace

void RegisterConnectionCommands(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  constexpr uint32_t kConn = kCmdLoading | kCmdStale;
  constexpr uint32_t kSession = kCmdNoScript | kConn | kCmdFast | kCmdNoAuth | kCmdAllowBusy;
  constexpr uint32_t kClient = kCmdAdmin | kCmdNoScript | kConn;
  constexpr std::string_view kFastConn = "@fast @connection";
  constexpr std::string_view kSlowConn = "@slow @connection";
  constexpr std::string_view kAdminConn = "@admin @slow @dangerous @connection";
  out.push_back({.name = "ping",
                 .arity = -1,
                 .flags = kCmdFast,
                 .handler = CmdPing,
                 .acl_categories = kFastConn,
                 .tips = "request_policy:all_shards response_policy:all_succeeded"});
  out.push_back({.name = "echo",
                 .arity = 2,
                 .flags = kConn | kCmdFast,
                 .handler = CmdEcho,
                 .acl_categories = kFastConn});
  out.push_back({.name = "auth",
                 .arity = -2,
                 .flags = kSession,
                 .handler = CmdAuth,
                 .acl_categories = kFastConn});
  out.push_back({.name = "hello",
                 .arity = -1,
                 .flags = kSession,
                 .handler = CmdHello,
                 .acl_categories = kFastConn});
  out.push_back({.name = "select",
                 .arity = 2,
                 .flags = kConn | kCmdFast,
                 .handler = CmdSelect,
                 .acl_categories = kFastConn});
  out.push_back({.name = "quit",
                 .arity = -1,
                 .flags = kSession,
                 .handler = CmdQuit,
                 .acl_categories = kFastConn});
  out.push_back({.name = "reset",
                 .arity = 1,
                 .flags = kSession,
                 .handler = CmdReset,
                 .acl_categories = kFastConn});
  std::vector<CommandSpec> client;
  client.push_back({.name = "id",
                    .arity = 2,
                    .flags = kCmdNoScript | kConn,
                    .handler = CmdClientId,
                    .acl_categories = kSlowConn});
  client.push_back({.name = "setname",
                    .arity = 3,
                    .flags = kCmdNoScript | kConn,
                    .handler = CmdClientSetName,
                    .acl_categories = kSlowConn});
  client.push_back({.name = "getname",
                    .arity = 2,
                    .flags = kCmdNoScript | kConn,
                    .handler = CmdClientGetName,
                    .acl_categories = kSlowConn});
  client.push_back({.name = "setinfo",
                    .arity = 4,
                    .flags = kCmdNoScript | kConn,
                    .handler = CmdClientSetInfo,
                    .acl_categories = kSlowConn});
  client.push_back({.name = "info",
                    .arity = 2,
                    .flags = kCmdNoScript | kConn,
                    .handler = CmdClientInfo,
                    .acl_categories = kSlowConn,
                    .tips = "nondeterministic_output"});
  client.push_back({.name = "list",
                    .arity = -2,
                    .flags = kClient,
                    .handler = CmdClientList,
                    .acl_categories = kAdminConn,
                    .tips = "nondeterministic_output"});
  client.push_back({.name = "kill",
                    .arity = -3,
                    .flags = kClient,
                    .handler = CmdClientKill,
                    .acl_categories = kAdminConn});
  AddClientModeSubcommands(client);
  client.push_back({.name = "help",
                    .arity = 2,
                    .flags = kConn,
                    .handler = CmdClientHelp,
                    .acl_categories = kSlowConn});
  out.push_back(
      {.name = "client", .arity = -2, .acl_categories = "@slow", .subcommands = std::move(client)});
}

}  // namespace runnel::commands
