// Number parsing and formatting with redis-server's exact rules.
//
// Redis accepts an integer argument only in canonical form ("0", "-12", never "+1", "007", "-0"
// or " 1"); the same rule decides which stream values are stored as integers, so that the
// integer round-trips to the identical bytes. Stream ID parts are parsed more loosely, with
// strtoull's rules as a fallback, because that is what Redis does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace runnel::streams {

// Redis's string2ll: canonical decimal int64 or nothing.
std::optional<int64_t> ParseStrictInt64(std::string_view s);

// Redis's string2ull (stream ID parts): canonical non-negative int64 first, else strtoull
// (leading spaces, '+' and leading zeros allowed, the whole string must be consumed).
std::optional<uint64_t> ParseRedisUint64(std::string_view s);

// Redis's string2ld-based double parsing for arguments (no spaces, no NaN).
std::optional<double> ParseDouble(std::string_view s);

// Writes the decimal form of v into buf (at least 21 bytes); returns the length.
size_t FormatInt64(int64_t v, char* buf);
size_t FormatUint64(uint64_t v, char* buf);
std::string ToString(int64_t v);

}  // namespace runnel::streams
