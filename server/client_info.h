// What CLIENT LIST / CLIENT INFO say about a connection, and CLIENT KILL's filters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resp/arg_list.h"

namespace runnel::server {

class Server;
class Connection;

// One CLIENT LIST line (without the trailing newline), fields in redis-server's order.
std::string ClientInfoLine(Server& server, const Connection& conn);

struct ClientKillFilter {
  bool old_style = false;  // CLIENT KILL ip:port
  std::optional<uint64_t> id;
  std::optional<std::string> addr, laddr;
  std::optional<int64_t> max_age;  // seconds
  bool only_normal_type = true;    // TYPE normal (other types have no members here)
  bool skipme = true;

  bool Matches(const Connection& conn, const Connection& self) const;
};

bool ParseClientKillFilter(const resp::ArgList& args, ClientKillFilter* out, std::string* error);

const std::vector<std::string_view>& ClientHelpLines();

}  // namespace runnel::server
