// The key, string and transaction commands, one registration per file.
#pragma once

#include <vector>

#include "dispatch/command.h"

namespace runnel::commands {

void RegisterKeyCommands(std::vector<dispatch::CommandSpec>& out);            // DEL EXPIRE SCAN ...
void RegisterStringCommands(std::vector<dispatch::CommandSpec>& out);         // GET SET INCR ...
void RegisterStringVariantCommands(std::vector<dispatch::CommandSpec>& out);  // SETEX GETDEL ...
void RegisterStringEditCommands(std::vector<dispatch::CommandSpec>& out);     // APPEND SETRANGE ...
void RegisterStringCasCommands(std::vector<dispatch::CommandSpec>& out);     // DIGEST DELEX
void RegisterIncrExCommand(std::vector<dispatch::CommandSpec>& out);         // INCREX
void RegisterLcsCommand(std::vector<dispatch::CommandSpec>& out);             // LCS
void RegisterKeyMoveCommands(std::vector<dispatch::CommandSpec>& out);        // MOVE SWAPDB
void RegisterDumpCommands(std::vector<dispatch::CommandSpec>& out);           // DUMP RESTORE
void RegisterMemoryCommands(std::vector<dispatch::CommandSpec>& out);  // MEMORY
void RegisterKeyInfoCommands(std::vector<dispatch::CommandSpec>& out);  // TOUCH OBJECT MEMORY ...
void RegisterTransactionCommands(std::vector<dispatch::CommandSpec>& out);  // MULTI EXEC WATCH

}  // namespace runnel::commands
