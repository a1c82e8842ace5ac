#include "dispatch/help.h"

#include <string>

namespace runnel::dispatch {

void WriteHelp(resp::ReplyWriter& reply, std::string_view name,
               const std::vector<std::string_view>& lines) {
  reply.Array(lines.size() + 3);
  reply.Simple(std::string(name) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (std::string_view line : lines) reply.Simple(line);
  reply.Simple("HELP");
  reply.Simple("    Print this help.");
}

}  // namespace runnel::dispatch
