#include "server/client_info.h"

#include "server/arg_util.h"
#include "server/connection.h"
#include "server/server.h"

namespace runnel::server {

std::string ClientInfoLine(Server& server, const Connection& c) {
  uint64_t now = server.MonotonicMs();
  std::string flags;
  if (c.multi.active) flags += 'x';
  if (c.blocked) flags += 'b';
  if (c.watch.dirty) flags += 'd';
  if (flags.empty()) flags = "N";
  size_t multi_mem = 0;
  for (const auto& q : c.multi.queued) multi_mem += q.bytes();
  std::string line;
  line.reserve(320);
  auto field = [&line](std::string_view k, const std::string& v) {
    if (!line.empty()) line += ' ';
    line += k;
    line += '=';
    line += v;
  };
  using std::to_string;
  field("id", to_string(c.id()));
  field("addr", c.addr());
  field("laddr", c.laddr());
  field("fd", to_string(c.fd()));
  field("name", c.name);
  field("age", to_string((now - static_cast<uint64_t>(c.created_ms)) / 1000));
  field("idle", to_string((now - static_cast<uint64_t>(c.last_interaction_ms)) / 1000));
  field("flags", flags);
  field("db", to_string(c.db));
  field("sub", "0");
  field("psub", "0");
  field("ssub", "0");
  field("multi", c.multi.active ? to_string(c.multi.queued.size()) : "-1");
  field("qbuf", to_string(c.query_buffer_bytes()));
  field("qbuf-free", "0");
  field("argv-mem", "0");
  field("multi-mem", to_string(multi_mem));
  field("rbs", "0");
  field("rbp", "0");
  field("obl", "0");
  field("oll", "0");
  field("omem", to_string(c.output_bytes()));
  field("tot-mem", to_string(c.output_bytes() + c.query_buffer_bytes() + multi_mem));
  // Redis shows "w" only while a write handler waits for a full socket, which the output
  // buffer alone does not tell (replies to this very batch are buffered too).
  field("events", "r");
  field("cmd", c.last_command);
  field("user", "default");
  field("redir", "-1");
  field("resp", to_string(c.protocol()));
  field("lib-name", c.lib_name);
  field("lib-ver", c.lib_ver);
  return line;
}

bool ClientKillFilter::Matches(const Connection& conn, const Connection& self) const {
  if (old_style) return conn.addr() == *addr;
  if (skipme && &conn == &self) return false;
  if (!only_normal_type) return false;
  if (id && conn.id() != *id) return false;
  if (addr && conn.addr() != *addr) return false;
  if (laddr && conn.laddr() != *laddr) return false;
  return true;
}

bool ParseClientKillFilter(const resp::ArgList& args, ClientKillFilter* f, std::string* error) {
  if (args.size() == 3) {
    f->old_style = true;
    f->addr = std::string(args[2]);
    return true;
  }
  for (size_t i = 2; i < args.size(); i += 2) {
    bool more = i + 1 < args.size();
    std::string_view opt = args[i];
    if (!more) {
      *error = errors::kSyntax;
      return false;
    }
    std::string_view value = args[i + 1];
    if (IEquals(opt, "id")) {
      auto id = streams::ParseStrictInt64(value);
      if (!id || *id < 1) {
        *error = errors::kClientIdNotPositive;
        return false;
      }
      f->id = static_cast<uint64_t>(*id);
    } else if (IEquals(opt, "type")) {
      if (IEquals(value, "normal")) {
        f->only_normal_type = true;
      } else if (IEquals(value, "master") || IEquals(value, "replica") || IEquals(value, "slave") ||
                 IEquals(value, "pubsub")) {
        f->only_normal_type = false;
      } else {
        *error = errors::UnknownClientType(value);
        return false;
      }
    } else if (IEquals(opt, "addr")) {
      f->addr = std::string(value);
    } else if (IEquals(opt, "laddr")) {
      f->laddr = std::string(value);
    } else if (IEquals(opt, "user")) {
      if (value != "default") {
        *error = errors::NoSuchUser(value);
        return false;
      }
    } else if (IEquals(opt, "skipme")) {
      if (IEquals(value, "yes")) {
        f->skipme = true;
      } else if (IEquals(value, "no")) {
        f->skipme = false;
      } else {
        *error = errors::kSyntax;
        return false;
      }
    } else {
      *error = errors::kSyntax;
      return false;
    }
  }
  return true;
}

const std::vector<std::string_view>& ClientHelpLines() {
  static const std::vector<std::string_view> lines = {
      "GETNAME",
      "    Return the name of the current connection.",
      "ID",
      "    Return the ID of the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are:",
      "    * ADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made from the specified address",
      "    * LADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made to specified local address",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Kill connections by type.",
      "    * USER <username>",
      "      Kill connections authenticated by <username>.",
      "    * SKIPME (YES|NO)",
      "      Skip killing current connection (default: yes).",
      "LIST [options ...]",
      "    Return information about client connections. Options:",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Return clients of specified type.",
      "SETINFO <option> <value>",
      "    Set client meta attr. Options are:",
      "    * LIB-NAME: the client lib name.",
      "    * LIB-VER: the client lib version.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
  };
  return lines;
}

}  // namespace runnel::server
