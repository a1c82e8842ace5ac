// The connection and server administration commands, one registration per file.
#pragma once

#include <vector>

#include "dispatch/command.h"

namespace runnel::commands {

void RegisterConnectionCommands(std::vector<dispatch::CommandSpec>& out);  // PING AUTH CLIENT
void RegisterServerCommands(std::vector<dispatch::CommandSpec>& out);      // CONFIG INFO SAVE
void RegisterCommandCommands(std::vector<dispatch::CommandSpec>& out);     // COMMAND
void RegisterDebugCommand(std::vector<dispatch::CommandSpec>& out);        // DEBUG
void RegisterSlowlogCommands(std::vector<dispatch::CommandSpec>& out);     // SLOWLOG
void RegisterLatencyCommands(std::vector<dispatch::CommandSpec>& out);     // LATENCY
void RegisterMonitorCommand(std::vector<dispatch::CommandSpec>& out);      // MONITOR
void RegisterAclCommand(std::vector<dispatch::CommandSpec>& out);          // ACL
// REPLICAOF SLAVEOF ROLE WAIT WAITAOF REPLCONF PSYNC SYNC
void RegisterReplicationCommands(std::vector<dispatch::CommandSpec>& out);
// CLIENT REPLY / NO-EVICT / NO-TOUCH / UNBLOCK / PAUSE / UNPAUSE / TRACKINGINFO, into CLIENT's
// subcommands.
void AddClientModeSubcommands(std::vector<dispatch::CommandSpec>& client);

}  // namespace runnel::commands
