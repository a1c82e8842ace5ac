// Argument helpers shared by the stream command files: IDs parsed with Redis's rules and the
// stream at a key, each replying the exact Redis error and returning nullopt when it fails.
#pragma once

#include <optional>
#include <string_view>

#include "server/command.h"
#include "streams/stream.h"
#include "streams/stream_id.h"

namespace runnel::server {

std::optional<streams::StreamId> IdOrReply(CommandContext& ctx, std::string_view text,
                                           streams::IdParseOptions options);
// An ID where "-" and "+" are not allowed (XDEL, XACK, XCLAIM ...).
std::optional<streams::StreamId> StrictIdOrReply(CommandContext& ctx, std::string_view text);
// A range bound: "-", "+", an ID (a missing seq is 0 for starts, max for ends), or "(" and an
// ID for an exclusive bound, moved one step inward.
std::optional<streams::StreamId> IntervalIdOrReply(CommandContext& ctx, std::string_view text,
                                                   bool is_start);
// The stream at `key`: nullptr if absent; replies WRONGTYPE (and returns nullopt) if the key
// holds something else.
std::optional<streams::Stream*> StreamOrReply(CommandContext& ctx, std::string_view key);
// Creates an empty stream at `key` (which must be free) with the server's settings for new
// streams (stream-idmp-duration, stream-idmp-maxsize).
streams::Stream* CreateStream(CommandContext& ctx, std::string_view key);
// After the effect that created stream `s` at `key`: logs its settings as an XCFGSET, so a
// replay under another configuration (stream-idmp-*) gives the stream the same ones.
void PropagateStreamSettings(CommandContext& ctx, std::string_view key, const streams::Stream& s);

}  // namespace runnel::server
