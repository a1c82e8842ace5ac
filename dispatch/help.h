// WriteHelp: the reply of every "<COMMAND> HELP", in redis-server's layout:
//   "<NAME> <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", the given lines, then
//   "HELP" / "    Print this help." (current Redis's wording; 7.0 said "Prints"), each as a
//   simple string.
#pragma once

#include <string_view>
#include <vector>

#include "resp/reply_writer.h"

namespace runnel::dispatch {

void WriteHelp(resp::ReplyWriter& reply, std::string_view name,
               const std::vector<std::string_view>& lines);

}  // namespace runnel::dispatch
