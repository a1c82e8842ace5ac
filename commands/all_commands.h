// Every command Runnel answers: the table the server (and the in-process test harness) runs.
#pragma once

#include "dispatch/command_table.h"

namespace runnel::commands {

dispatch::CommandTable AllCommands();

}  // namespace runnel::commands
