// The key, string and transaction commands, one registration per file.
#pragma once

#include <vector>

#include "dispatch/command.h"

namespace runnel::commands {

void RegisterKeyCommands(std::vector<dispatch::CommandSpec>& out);          // DEL EXPIRE SCAN ...
void RegisterStringCommands(std::vector<dispatch::CommandSpec>& out);       // GET SET INCR ...
void RegisterTransactionCommands(std::vector<dispatch::CommandSpec>& out);  // MULTI EXEC WATCH

}  // namespace runnel::commands
