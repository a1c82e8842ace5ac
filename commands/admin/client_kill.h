// CLIENT KILL's filters, and CLIENT HELP's text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dispatch/client.h"
#include "resp/arg_list.h"

namespace runnel::commands {

struct ClientKillFilter {
  bool old_style = false;  // CLIENT KILL ip:port
  std::optional<uint64_t> id;
  std::optional<std::string> addr, laddr;
  bool only_normal_type = true;  // TYPE normal (other types have no members here)
  bool skipme = true;

  bool Matches(const dispatch::Client& conn, const dispatch::Client& self) const;
};

bool ParseClientKillFilter(const resp::ArgList& args, ClientKillFilter* out, std::string* error);

const std::vector<std::string_view>& ClientHelpLines();

}  // namespace runnel::commands
