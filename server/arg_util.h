// Small helpers for parsing command arguments the way redis-server does.
#pragma once

#include <strings.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "server/command.h"
#include "server/errors.h"
#include "streams/numbers.h"

namespace runnel::server {

inline bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Parses a canonical int64 argument, or replies `error` (Redis's default when none is given).
inline std::optional<int64_t> IntArgOrReply(CommandContext& ctx, std::string_view arg,
                                            std::string_view error = errors::kNotInteger) {
  auto v = streams::ParseStrictInt64(arg);
  if (!v) ctx.Error(error);
  return v;
}

}  // namespace runnel::server
