// CLIENT KILL's filters, and CLIENT HELP's text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "acl/users.h"
#include "dispatch/client.h"
#include "resp/arg_list.h"

namespace runnel::commands {

struct ClientKillFilter {
  bool old_style = false;  // CLIENT KILL ip:port
  std::optional<uint64_t> id;
  std::optional<std::string> addr, laddr;
  std::optional<dispatch::ClientType> type;
  bool skipme = true;
  const acl::User* user = nullptr;  // USER name: the clients logged in as it

  bool Matches(const dispatch::Client& conn, const dispatch::Client& self) const;
};

// `users` resolves USER's name (an unknown user is an error, as in Redis).
bool ParseClientKillFilter(const resp::ArgList& args, acl::Users& users, ClientKillFilter* out,
                           std::string* error);

const std::vector<std::string_view>& ClientHelpLines();

}  // namespace runnel::commands
