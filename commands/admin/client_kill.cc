#include "commands/admin/client_kill.h"

#include "dispatch/args.h"
#include "dispatch/errors.h"
#include "streams/numbers.h"

namespace runnel::commands {

using dispatch::IEquals;
namespace errors = dispatch::errors;

bool ClientKillFilter::Matches(const dispatch::Client& conn, const dispatch::Client& self) const {
  if (old_style) return conn.addr() == *addr;
  if (skipme && &conn == &self) return false;
  if (type && conn.type() != *type) return false;
  if (id && conn.id() != *id) return false;
  if (addr && conn.addr() != *addr) return false;
  if (laddr && conn.laddr() != *laddr) return false;
  if (user != nullptr && conn.user != user) return false;
  return true;
}

bool ParseClientKillFilter(const resp::ArgList& args, acl::Users& users, ClientKillFilter* f,
                           std::string* error) {
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
      f->type = dispatch::ParseClientType(value);
      if (!f->type) {
        *error = errors::UnknownClientType(value);
        return false;
      }
    } else if (IEquals(opt, "addr")) {
      f->addr = std::string(value);
    } else if (IEquals(opt, "laddr")) {
      f->laddr = std::string(value);
    } else if (IEquals(opt, "user")) {
      f->user = users.Find(value);
      if (f->user == nullptr) {
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
      "UNPAUSE",
      "    Stop the current client pause, resuming traffic.",
      "PAUSE <timeout> [WRITE|ALL]",
      "    Suspend all, or just write, clients for <timeout> milliseconds.",
      "REPLY (ON|OFF|SKIP)",
      "    Control the replies sent to the current connection.",
      "SETINFO <option> <value>",
      "    Set client meta attr. Options are:",
      "    * LIB-NAME: the client lib name.",
      "    * LIB-VER: the client lib version.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "UNBLOCK <clientid> [TIMEOUT|ERROR]",
      "    Unblock the specified blocked client.",
      "TRACKINGINFO",
      "    Report tracking status for the current connection.",
      "NO-EVICT (ON|OFF)",
      "    Protect current client connection from eviction.",
      "NO-TOUCH (ON|OFF)",
      "    Will not touch LRU/LFU stats when this mode is on.",
  };
  return lines;
}

}  // namespace runnel::commands
