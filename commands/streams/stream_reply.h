// How stream entries look in replies, shared by XRANGE, XREAD, XINFO and the group commands.
//
//   entry  := [id, [field, value, field, value ...]]     (arrays in RESP2 and RESP3 alike)
//   range  := [entry ...]
//   claimed := [id, [field, value ...], idle-ms, deliveries]   (XREADGROUP CLAIM)
#pragma once

#include <cstdint>

#include "resp/reply_writer.h"
#include "streams/group_policy.h"
#include "streams/stream.h"

namespace runnel::commands {

void WriteStreamId(resp::ReplyWriter& reply, streams::StreamId id);

// A group policy's five name-value pairs (kPolicyPairs), without a header: XGROUP GETPOLICY's
// map and the fields XINFO adds for a group with a policy.
inline constexpr size_t kPolicyPairs = 5;
void WritePolicyPairs(resp::ReplyWriter& reply, const streams::GroupPolicy& policy);
// Writes the entry the iterator is positioned on.
void WriteEntry(resp::ReplyWriter& reply, const streams::Stream::Iterator& it);
// XREADGROUP CLAIM's form (Redis 8.4): [id, fields, ms since last delivery, deliveries].
void WriteEntryWithDelivery(resp::ReplyWriter& reply, const streams::Stream::Iterator& it,
                            int64_t idle_ms, int64_t deliveries);
// Writes up to `count` entries (0 = all) from the iterator as an array; returns how many.
size_t WriteRange(resp::ReplyWriter& reply, streams::Stream::Iterator& it, uint64_t count);

}  // namespace runnel::commands
