// Argument helpers shared by the stream command files: IDs parsed with Redis's rules and the
// stream at a key, each replying the exact Redis error and returning nullopt when it fails.
#pragma once

#include <optional>
#include <string_view>

#include "dispatch/context.h"
#include "streams/stream.h"
#include "streams/stream_id.h"

namespace runnel::commands {

std::optional<streams::StreamId> IdOrReply(dispatch::CommandContext& ctx, std::string_view text,
                                           const streams::IdParseOptions& options);
// An ID where "-" and "+" are not allowed (XDEL, XACK, XCLAIM ...).
std::optional<streams::StreamId> StrictIdOrReply(dispatch::CommandContext& ctx,
                                                 std::string_view text);
// A range bound: "-", "+", an ID (a missing seq is 0 for starts, max for ends), or "(" and an
// ID for an exclusive bound, moved one step inward.
std::optional<streams::StreamId> IntervalIdOrReply(dispatch::CommandContext& ctx,
                                                   std::string_view text, bool is_start);
// The stream at `key`: nullptr if absent; replies WRONGTYPE (and returns nullopt) if the key
// holds something else.
std::optional<streams::Stream*> StreamOrReply(dispatch::CommandContext& ctx, std::string_view key);
// The group named by argument 2 of the stream at argument 1 (XPENDING, XCLAIM, XAUTOCLAIM ...),
// or nullptr after replying NOGROUP or WRONGTYPE; *stream is the stream.
streams::ConsumerGroup* GroupOrReply(dispatch::CommandContext& ctx, streams::Stream** stream);
// Creates an empty stream at `key` (which must be free) with the settings for new streams
// (stream-idmp-*, stream-retention-*), and logs them as an XCFGSET after the effect
// that creates the stream, so a replay under another configuration gives it the same ones.
// Call it after writing that effect.
streams::Stream* CreateStream(dispatch::CommandContext& ctx, std::string_view key);
void LogNewStreamSettings(dispatch::CommandContext& ctx, std::string_view key,
                          const streams::Stream& s);

}  // namespace runnel::commands
