// Connection commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET and CLIENT.
#include <algorithm>
#include <string>
#include <vector>

#include "server/arg_util.h"
#include "server/client_info.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/help.h"
#include "server/server.h"
#include "server/version.h"

namespace runnel::server {
namespace {

// Redis allows only printable ASCII without spaces in client names and library attributes.
bool ValidClientAttribute(std::string_view s) {
  for (char c : s) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

void SetAuthenticated(CommandContext& ctx, bool yes) {
  ctx.conn.authenticated = yes;
  ctx.conn.parser().limits().authenticated = yes;
}

// AUTH's check for the only user there is, "default" (nopass unless requirepass is set).
bool CheckPassword(CommandContext& ctx, std::string_view user, std::string_view password) {
  const std::string& required = ctx.server.config().requirepass;
  if (user != "default") return false;
  return required.empty() || password == required;
}

void CmdPing(CommandContext& ctx) {
  if (ctx.argc() > 2) {
    ctx.Error(errors::WrongArity("ping"));
  } else if (ctx.argc() == 2) {
    ctx.reply.Bulk(ctx.arg(1));
  } else {
    ctx.reply.Simple("PONG");
  }
}

void CmdEcho(CommandContext& ctx) { ctx.reply.Bulk(ctx.arg(1)); }

void CmdAuth(CommandContext& ctx) {
  if (ctx.argc() > 3) return ctx.Error(errors::kSyntax);
  if (ctx.argc() == 2 && ctx.server.config().requirepass.empty()) {
    return ctx.Error(errors::kAuthWithoutPassword);
  }
  std::string_view user = ctx.argc() == 2 ? "default" : ctx.arg(1);
  std::string_view password = ctx.argc() == 2 ? ctx.arg(1) : ctx.arg(2);
  if (!CheckPassword(ctx, user, password)) return ctx.Error(errors::kWrongPass);
  SetAuthenticated(ctx, true);
  ctx.reply.Ok();
}

void WriteHelloMap(CommandContext& ctx) {
  ctx.reply.Map(7);
  ctx.reply.Bulk("server");
  ctx.reply.Bulk("redis");
  ctx.reply.Bulk("version");
  ctx.reply.Bulk(kRedisVersion);
  ctx.reply.Bulk("proto");
  ctx.reply.Integer(ctx.conn.protocol());
  ctx.reply.Bulk("id");
  ctx.reply.Integer(static_cast<int64_t>(ctx.conn.id()));
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
  if (user) {
    if (!CheckPassword(ctx, *user, *password)) return ctx.Error(errors::kWrongPass);
    SetAuthenticated(ctx, true);
  }
  if (!ctx.conn.authenticated) {
    return ctx.Error(errors::kHelloNoAuth);
  }
  if (name) ctx.conn.name = std::string(*name);
  if (version) ctx.conn.set_protocol(static_cast<int>(version));
  WriteHelloMap(ctx);
}

void CmdSelect(CommandContext& ctx) {
  auto index = IntArgOrReply(ctx, ctx.arg(1));
  if (!index) return;
  if (*index < INT32_MIN || *index > INT32_MAX) return ctx.Error(errors::kNotInt32);
  if (*index < 0 || *index >= ctx.server.keyspace().size()) {
    return ctx.Error(errors::kDbIndexOutOfRange);
  }
  ctx.conn.db = static_cast<int>(*index);
  ctx.reply.Ok();
}

void CmdQuit(CommandContext& ctx) {
  ctx.reply.Ok();
  ctx.conn.CloseAfterReply();
}

void CmdReset(CommandContext& ctx) {
  Connection& c = ctx.conn;
  c.multi = MultiState{};
  ctx.server.UnwatchAll(c);
  c.db = 0;
  c.set_protocol(2);
  c.name.clear();
  SetAuthenticated(ctx, ctx.server.config().requirepass.empty());
  ctx.reply.Simple("RESET");
}

// ---- CLIENT ----

void CmdClientId(CommandContext& ctx) { ctx.reply.Integer(static_cast<int64_t>(ctx.conn.id())); }

void CmdClientSetName(CommandContext& ctx) {
  if (!ValidClientAttribute(ctx.arg(2))) {
    return ctx.Error(errors::kBadClientName);
  }
  ctx.conn.name = std::string(ctx.arg(2));
  ctx.reply.Ok();
}

void CmdClientGetName(CommandContext& ctx) {
  if (ctx.conn.name.empty()) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(ctx.conn.name);
  }
}

void CmdClientSetInfo(CommandContext& ctx) {
  std::string_view attr = ctx.arg(2);
  std::string* dest = IEquals(attr, "lib-name")  ? &ctx.conn.lib_name
                      : IEquals(attr, "lib-ver") ? &ctx.conn.lib_ver
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

// The client types CLIENT LIST and CLIENT KILL accept ("slave" is the old name of "replica").
bool IsClientType(std::string_view type) {
  return IEquals(type, "normal") || IEquals(type, "master") || IEquals(type, "replica") ||
         IEquals(type, "slave") || IEquals(type, "pubsub");
}

// Every connection, oldest first, as Redis lists its clients.
std::vector<const Connection*> ConnectionsInOrder(Server& server) {
  std::vector<const Connection*> all;
  for (const auto& [id, conn] : server.connections()) all.push_back(conn);
  std::sort(all.begin(), all.end(),
            [](const Connection* a, const Connection* b) { return a->id() < b->id(); });
  return all;
}

void CmdClientInfo(CommandContext& ctx) {
  ctx.reply.Verbatim(ClientInfoLine(ctx.server, ctx.conn) + "\n");
}

// CLIENT LIST [TYPE type | ID id [id ...]]: exactly these forms, as in Redis. IDs are listed
// in the order given (repeats included); unknown IDs are skipped.
void CmdClientList(CommandContext& ctx) {
  std::string text;
  auto add = [&](const Connection& c) { text += ClientInfoLine(ctx.server, c) + "\n"; };
  if (ctx.argc() == 4 && IEquals(ctx.arg(2), "TYPE")) {
    std::string_view type = ctx.arg(3);
    if (!IsClientType(type)) return ctx.Error(errors::UnknownClientType(type));
    if (IEquals(type, "normal")) {
      for (const Connection* c : ConnectionsInOrder(ctx.server)) add(*c);
    }
  } else if (ctx.argc() > 3 && IEquals(ctx.arg(2), "ID")) {
    for (size_t i = 3; i < ctx.argc(); ++i) {
      auto id = IntArgOrReply(ctx, ctx.arg(i), errors::kInvalidClientId);
      if (!id) return;
      if (*id <= 0) continue;
      if (const Connection* c = ctx.server.FindConnection(static_cast<uint64_t>(*id))) add(*c);
    }
  } else if (ctx.argc() != 2) {
    return ctx.Error(errors::kSyntax);
  } else {
    for (const Connection* c : ConnectionsInOrder(ctx.server)) add(*c);
  }
  ctx.reply.Verbatim(text);
}

void CmdClientKill(CommandContext& ctx) {
  ClientKillFilter filter;
  std::string error;
  if (!ParseClientKillFilter(ctx.args, &filter, &error)) return ctx.Error(error);
  std::vector<Connection*> victims;
  for (const auto& [id, conn] : ctx.server.connections()) {
    if (filter.Matches(*conn, ctx.conn)) victims.push_back(conn);
  }
  if (filter.old_style && victims.empty()) return ctx.Error(errors::kNoSuchClient);
  for (Connection* c : victims) {
    if (c == &ctx.conn) {
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

void CmdClientHelp(CommandContext& ctx) { WriteHelp(ctx.reply, "CLIENT", ClientHelpLines()); }

}  // namespace

void RegisterConnectionCommands(std::vector<CommandSpec>& out) {
  constexpr uint32_t kConn = kCmdLoading | kCmdStale;
  out.push_back(MakeCommand("ping", -1, kCmdFast, CmdPing, 0, 0, 0, "@fast @connection")
                    .Tips("request_policy:all_shards response_policy:all_succeeded"));
  out.push_back(MakeCommand("echo", 2, kConn | kCmdFast, CmdEcho, 0, 0, 0, "@fast @connection"));
  out.push_back(MakeCommand("auth", -2,
                            kCmdNoScript | kConn | kCmdFast | kCmdNoAuth | kCmdAllowBusy, CmdAuth,
                            0, 0, 0, "@fast @connection"));
  out.push_back(MakeCommand("hello", -1,
                            kCmdNoScript | kConn | kCmdFast | kCmdNoAuth | kCmdAllowBusy, CmdHello,
                            0, 0, 0, "@fast @connection"));
  out.push_back(
      MakeCommand("select", 2, kConn | kCmdFast, CmdSelect, 0, 0, 0, "@fast @connection"));
  out.push_back(MakeCommand("quit", -1,
                            kCmdNoScript | kConn | kCmdFast | kCmdNoAuth | kCmdAllowBusy, CmdQuit,
                            0, 0, 0, "@fast @connection"));
  out.push_back(MakeCommand("reset", 1,
                            kCmdNoScript | kConn | kCmdFast | kCmdNoAuth | kCmdAllowBusy, CmdReset,
                            0, 0, 0, "@fast @connection"));
  constexpr uint32_t kClient = kCmdAdmin | kCmdNoScript | kConn;
  std::vector<CommandSpec> client;
  client.push_back(
      MakeCommand("id", 2, kCmdNoScript | kConn, CmdClientId, 0, 0, 0, "@slow @connection"));
  client.push_back(MakeCommand("setname", 3, kCmdNoScript | kConn, CmdClientSetName, 0, 0, 0,
                               "@slow @connection"));
  client.push_back(MakeCommand("getname", 2, kCmdNoScript | kConn, CmdClientGetName, 0, 0, 0,
                               "@slow @connection"));
  client.push_back(MakeCommand("setinfo", 4, kCmdNoScript | kConn, CmdClientSetInfo, 0, 0, 0,
                               "@slow @connection"));
  client.push_back(
      MakeCommand("info", 2, kCmdNoScript | kConn, CmdClientInfo, 0, 0, 0, "@slow @connection")
          .Tips("nondeterministic_output"));
  client.push_back(MakeCommand("list", -2, kClient, CmdClientList, 0, 0, 0,
                               "@admin @slow @dangerous @connection")
                       .Tips("nondeterministic_output"));
  client.push_back(MakeCommand("kill", -3, kClient, CmdClientKill, 0, 0, 0,
                               "@admin @slow @dangerous @connection"));
  client.push_back(MakeCommand("help", 2, kConn, CmdClientHelp, 0, 0, 0, "@slow @connection"));
  out.push_back(MakeContainer("client", -2, 0, "@slow", std::move(client)));
}

}  // namespace runnel::server
