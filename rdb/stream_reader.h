// Decoding a Redis stream value (RDB types 15, 19, 21, 26 and 27; rdb-format.md §7) into a
// Runnel Stream: its live entries, bookkeeping, consumer groups, consumers and PELs, and from
// Redis 8.6 and 8.8 its idempotent producers (IDMP) and the entries XNACK released.
//
// Deleted entries (Redis keeps them flagged inside their node) are dropped; the bookkeeping that
// remembers them (max-deleted ID, entries-added) is kept as Redis saved it. Every check Redis's
// deep sanitization makes is made, and a few more that Runnel's own structures need (entries in
// strictly increasing ID order, a PEL entry owned by exactly one consumer), so a value that
// decodes is one Runnel can serve and save.
#pragma once

#include <cstdint>
#include <memory>

#include "rdb/input.h"
#include "streams/stream.h"

namespace runnel::rdb {

inline constexpr uint8_t kTypeStreamListpacks = 15;  // Redis 5.0-6.2
inline constexpr uint8_t kTypeStreamListpacks2 =
    19;  // 7.0: first ID, max deleted, added, entries-read
inline constexpr uint8_t kTypeStreamListpacks3 = 21;  // 7.2+: consumers' active time
// 8.6 (RDB 13): IDMP settings and producers after the groups. The layout is librdb's and a
// second independent reader's, which agree; no Redis 8.6 was at hand to check against.
inline constexpr uint8_t kTypeStreamListpacks4 = 26;
// 8.8 (RDB 14): also each group's NACK zone, the IDs XNACK released, in release order.
inline constexpr uint8_t kTypeStreamListpacks5 = 27;

inline bool IsStreamType(uint8_t type) {
  return type == kTypeStreamListpacks || type == kTypeStreamListpacks2 ||
         type == kTypeStreamListpacks3 || type == kTypeStreamListpacks4 ||
         type == kTypeStreamListpacks5;
}

// The stream, or nullptr with the reason latched in `in`.
std::unique_ptr<streams::Stream> ReadStream(Input& in, uint8_t type,
                                            const streams::StreamLimits& limits);

}  // namespace runnel::rdb
