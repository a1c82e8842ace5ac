// How stream entries look in replies, shared by XRANGE, XREAD, XINFO and the group commands.
//
//   entry  := [id, [field, value, field, value ...]]     (arrays in RESP2 and RESP3 alike)
//   range  := [entry ...]
#pragma once

#include <cstdint>

#include "resp/reply_writer.h"
#include "streams/stream.h"

namespace runnel::server {

void WriteStreamId(resp::ReplyWriter& reply, streams::StreamId id);
// Writes the entry the iterator is positioned on.
void WriteEntry(resp::ReplyWriter& reply, const streams::Stream::Iterator& it);
// Writes up to `count` entries (0 = all) from the iterator as an array; returns how many.
size_t WriteRange(resp::ReplyWriter& reply, streams::Stream::Iterator& it, uint64_t count);

}  // namespace runnel::server
