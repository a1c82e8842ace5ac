#include "dispatch/client_pause.h"

#include "dispatch/command.h"

namespace runnel::dispatch {

bool ClientPause::Holds(uint32_t flags) const {
  switch (mode_) {
    case Mode::kOff: return false;
    case Mode::kAll: return true;
    case Mode::kWrite: return (flags & (kCmdWrite | kCmdMayReplicate)) != 0;
  }
  return false;
}

}  // namespace runnel::dispatch
