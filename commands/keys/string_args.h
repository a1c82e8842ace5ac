// Argument helpers shared by the string command files: the string at a key, and an expiry
// option's absolute time, each replying Redis's exact error and returning nullopt when it fails.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dispatch/context.h"

namespace runnel::commands {

// The string at `key` (nullptr if absent), or nullopt after replying WRONGTYPE.
std::optional<std::string*> StringOrReply(dispatch::CommandContext& ctx, std::string_view key);

// An expiry option's value as an absolute unix time in ms: `text` in seconds or milliseconds,
// relative to now or absolute. Not a positive integer, or past the int64 range:
// "invalid expire time in '<command>' command" (or the integer error for a non-integer).
std::optional<int64_t> ExpiryOrReply(dispatch::CommandContext& ctx, std::string_view text,
                                     bool seconds, bool relative, std::string_view command);

// A long double as Redis reads one (string2ld): strtold over the whole text, no leading space,
// no NaN, no overflow or underflow to zero; at most 5k characters.
std::optional<long double> ParseLongDouble(std::string_view text);
// As Redis writes it (ld2string, human mode): 17 decimals, trailing zeros and a bare point
// removed, "-0" as "0".
std::string FormatLongDouble(long double v);

// Redis 8.4's compare-and-set conditions on a string's current value (SET and DELEX).
enum class ValueCondition { kNone, kIfEq, kIfNe, kIfDeq, kIfDne };
// The condition a word names (IFEQ, IFNE, IFDEQ, IFDNE, any case), or kNone.
ValueCondition ValueConditionNamed(std::string_view word);
// Whether the condition holds for `current` (nullptr: the key does not exist, which IFNE and
// IFDNE accept and IFEQ and IFDEQ do not). `arg` is the value, or for IFDEQ/IFDNE a digest.
bool ValueConditionHolds(ValueCondition c, const std::string* current, std::string_view arg);
// A digest argument must be what DIGEST gives: 16 hex digits (either case). false after
// replying the error.
bool DigestArgOrReply(dispatch::CommandContext& ctx, ValueCondition c, std::string_view arg);
// DIGEST's value: the XXH3 64-bit hash of the bytes, as 16 lowercase hex digits.
std::string ValueDigest(std::string_view value);

// MSET's and MSETNX's work once the command has decided to set: every key-value pair from
// argument 1 on, each with its "set" event, logged as one MSET and counted as changes.
void SetPairs(dispatch::CommandContext& ctx);

}  // namespace runnel::commands
