// Delayed entries from the command side (cmd_xschedule.cc): XADD ... DELAY / AT hands its
// parsed entry here. streams/schedule.h has the data, dispatch/stream_upkeep.cc appends due
// entries, docs/queues.md the guide.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "dispatch/context.h"
#include "streams/stream.h"

namespace runnel::commands {

// Schedules `fields` at `due_ms` on the stream at `key` (`s`, or nullptr: it is created), logs
// it, files the key for the timer, and replies with the handle.
void ScheduleEntry(dispatch::CommandContext& ctx, std::string_view key, streams::Stream* s,
                   int64_t due_ms, std::span<const std::string_view> fields);

}  // namespace runnel::commands
