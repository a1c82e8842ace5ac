#include "commands/all_commands.h"

#include <vector>

#include "commands/admin/register.h"
#include "commands/keys/register.h"
#include "commands/pubsub/register.h"
#include "commands/streams/register.h"

namespace runnel::commands {

dispatch::CommandTable AllCommands() {
  // In the order COMMAND lists them.
  std::vector<dispatch::CommandSpec> specs;
  RegisterConnectionCommands(specs);
  RegisterServerCommands(specs);
  RegisterReplicationCommands(specs);
  RegisterDebugCommand(specs);
  RegisterSlowlogCommands(specs);
  RegisterLatencyCommands(specs);
  RegisterMonitorCommand(specs);
  RegisterAclCommand(specs);
  RegisterKeyCommands(specs);
  RegisterKeyMoveCommands(specs);
  RegisterDumpCommands(specs);
  RegisterKeyInfoCommands(specs);
  RegisterMemoryCommands(specs);
  RegisterStringCommands(specs);
  RegisterStringVariantCommands(specs);
  RegisterStringEditCommands(specs);
  RegisterStringCasCommands(specs);
  RegisterIncrExCommand(specs);
  RegisterLcsCommand(specs);
  RegisterStreamCommands(specs);
  RegisterRefCommands(specs);
  RegisterReadCommands(specs);
  RegisterGroupCommands(specs);
  RegisterClaimCommands(specs);
  RegisterXNackCommand(specs);
  RegisterXCfgSetCommand(specs);
  RegisterXScheduleCommands(specs);
  RegisterXInfoCommands(specs);
  RegisterTransactionCommands(specs);
  RegisterPubSubCommands(specs);
  RegisterCommandCommands(specs);
  return dispatch::CommandTable(std::move(specs));
}

}  // namespace runnel::commands
