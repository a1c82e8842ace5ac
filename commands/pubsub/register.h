// The Pub/Sub commands (dispatch/pubsub.h holds the registry and delivers messages).
#pragma once

#include <vector>

#include "dispatch/command.h"

namespace runnel::commands {

// SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE SSUBSCRIBE SUNSUBSCRIBE PUBLISH SPUBLISH PUBSUB
void RegisterPubSubCommands(std::vector<dispatch::CommandSpec>& out);

}  // namespace runnel::commands
