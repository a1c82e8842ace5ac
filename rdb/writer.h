// Writing values in Redis's RDB encodings (rdb-format.md §3, §7), for DUMP payloads that a
// real redis-server restores.
//
// Strings are written as Redis writes them without compression: small canonical integers
// integer-encoded, everything else plain (LZF is optional for a writer). A stream is written
// in nodes of at most 100 entries and about 4 KB, each entry sharing its node's first field
// names where it can: the layout Redis itself produces with its default node limits. Its type
// is the oldest that carries all it holds (StreamDumpType): 19 (Redis 7.0); 26 (8.6) when it
// has IDMP iids or counters, or settings other than those the restoring server gives a stream
// that brings none (stream-idmp-*); 27 (8.8) when XNACK released entries. Consumers' active times
// are not in type 19. WriteStream also writes 21 (7.2+); a stream with released entries written as
// anything but 27 does not read back.
//
// Delayed entries (Runnel's own) have no place in any Redis format, so a stream holding them is
// refused rather than dropped (StreamDumpRefusal). Group policies and retention are settings
// Redis lacks and are not carried.
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

// The type a DUMP of `s` is written as: 19, 26 or 27. `idmp_defaults` are the settings a
// stream without an IDMP section is given when restored.
uint8_t StreamDumpType(const streams::Stream& s, const streams::IdmpConfig& idmp_defaults);

// Appends the stream's value (without the type byte) as type `type` (19, 21, 26 or 27).
void WriteStream(std::string* out, const streams::Stream& s, uint8_t type);

}  // namespace runnel::rdb
