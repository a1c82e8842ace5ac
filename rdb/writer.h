// Writing values in Redis's RDB encodings (rdb-format.md §3, §7), for DUMP payloads that a
// real redis-server restores.
//
// Strings are written as Redis writes them without compression: small canonical integers
// integer-encoded, everything else plain (LZF is optional for a writer). A stream is written
// as type 19 (Redis 7.0, RDB 10) or 21 (7.2+, RDB 11, which adds consumers' active time), in
// nodes of at most 100 entries and about 4 KB, each entry sharing its node's first field names
// where it can: the layout Redis itself produces with its default node limits.
//
// Runnel state Redis 7's format has no place for is refused rather than dropped when clients
// depend on it: entries released by XNACK, delayed entries, and IDMP state (see
// StreamDumpRefusal). Settings are not carried: group policies, retention, IDMP limits.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "streams/stream.h"

namespace runnel::rdb {

void WriteLength(std::string* out, uint64_t v);
void WriteString(std::string* out, std::string_view s);

// What keeps a stream from being written in Redis's format, or nullptr if nothing does.
const char* StreamDumpRefusal(const streams::Stream& s);

// Appends the stream's value (without the type byte) as type `type` (19 or 21).
void WriteStream(std::string* out, const streams::Stream& s, uint8_t type);

}  // namespace runnel::rdb
