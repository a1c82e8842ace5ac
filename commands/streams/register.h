// The stream and consumer-group commands, one registration per file.
#pragma once

#include <vector>

#include "dispatch/command.h"

namespace runnel::commands {

void RegisterStreamCommands(std::vector<dispatch::CommandSpec>& out);  // XADD XRANGE XLEN ...
void RegisterRefCommands(std::vector<dispatch::CommandSpec>& out);     // XDELEX XACKDEL
void RegisterReadCommands(std::vector<dispatch::CommandSpec>& out);    // XREAD XREADGROUP
void RegisterGroupCommands(std::vector<dispatch::CommandSpec>& out);   // XGROUP XACK XPENDING
// XGROUP SETPOLICY and GETPOLICY, added to XGROUP's subcommands by RegisterGroupCommands.
void AddXGroupPolicySubcommands(std::vector<dispatch::CommandSpec>& xgroup);
void RegisterClaimCommands(std::vector<dispatch::CommandSpec>& out);      // XCLAIM XAUTOCLAIM
void RegisterXNackCommand(std::vector<dispatch::CommandSpec>& out);       // XNACK
void RegisterXCfgSetCommand(std::vector<dispatch::CommandSpec>& out);     // XCFGSET
void RegisterXInfoCommands(std::vector<dispatch::CommandSpec>& out);      // XINFO
void RegisterXScheduleCommands(std::vector<dispatch::CommandSpec>& out);  // XSCHEDULE

}  // namespace runnel::commands
