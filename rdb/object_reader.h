// One RDB value (rdb-format.md §4): what follows a type byte, in a file or a DUMP payload.
//
// Strings and streams become Runnel values. Redis's other types cannot be stored here, but a
// file's records have no lengths to jump over, so they are read through and named (for the
// import's report of what it would drop). Types that cannot be read through (Redis 8.8's arrays,
// 8.10's templated hashes, GCRA values, pre-GA modules) fail the read, naming the type.
#pragma once

#include <cstdint>
#include <string_view>

#include "rdb/input.h"
#include "streams/keyspace.h"

namespace runnel::rdb {

inline constexpr uint8_t kTypeString = 0;

// Whether `b` is a type byte (as opposed to an RDB opcode).
bool IsObjectType(uint8_t b);

// What a value of a type that cannot be read through holds ("array", "hash", "gcra"), or empty.
// A DUMP payload of one is named by its type byte alone: nothing follows it to be found.
std::string_view UnreadableKind(uint8_t type);

// Reads the value of `type`. For a string or a stream *value is set and *other_type is empty;
// for any other readable type the value is skipped and *other_type names it ("list", "set",
// "zset", "hash", "module"). False with the reason latched in `in`.
bool ReadObject(Input& in, uint8_t type, const streams::StreamLimits& limits, streams::Value* value,
                std::string_view* other_type);

// Reads through a module's typed fields up to their end marker (module values, and the
// MODULE_AUX records of a file).
bool SkipModuleFields(Input& in);

}  // namespace runnel::rdb
