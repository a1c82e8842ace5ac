// DUMP payloads in Redis's format (rdb-format.md §8): one RDB value with its type byte, then
// the RDB version as 2 bytes and the CRC-64 of everything before it as 8, both little-endian.
// This is what DUMP gives, what RESTORE takes, and what MIGRATE carries between servers, so
// keys move between Runnel and redis-server in both directions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "streams/keyspace.h"

namespace runnel::rdb {

// The RDB version Runnel's payloads carry: Redis 7.0's, the oldest server with today's stream
// bookkeeping, so every Redis from 7.0 on restores them (a 7.0 refuses anything newer). Streams
// are written as type 19, which has no consumer active time. A stream holding state only newer
// formats carry goes as Redis 8.6 (13, type 26) with IDMP state, or as Redis 8.8 (14, type 27)
// with entries released by XNACK: servers too old to keep that state refuse the payload whole.
inline constexpr uint16_t kDumpVersion = 10;
inline constexpr uint16_t kDumpVersionIdmp = 13;
inline constexpr uint16_t kDumpVersionNack = 14;
// The newest version RESTORE and the file reader accept: Redis 8.10's. Version 15 adds only
// hash templates (a record and types 29-32), which fail the read, naming them; later versions
// add types not known here.
inline constexpr uint16_t kMaxReadVersion = 15;

// The payload of `value`, or empty with *refusal set when Redis's format cannot carry it.
// `idmp_defaults` are the IDMP settings the restoring server gives a stream whose payload has
// none (its stream-idmp-*): a stream with others needs the type that carries them.
std::string DumpValue(const streams::Value& value, const char** refusal,
                      const streams::IdmpConfig& idmp_defaults = {});

// Whether a stream payload carries its IDMP settings (types 26 and 27); a stream restored from
// one that does not is given the server's.
bool PayloadHasIdmpSettings(std::string_view payload);

enum class PayloadError {
  kOk,
  kVersionOrChecksum,  // too short, a newer version, or a CRC that does not match
  kBadFormat,          // a value that does not decode
  kOtherType,          // a valid value of a type Runnel does not store (a list, a hash ...)
};

// Decodes a payload into *value; *detail says what was wrong with a kBadFormat one, and names
// the type of a kOtherType one.
PayloadError ReadPayload(std::string_view payload, const streams::StreamLimits& limits,
                         streams::Value* value, std::string* detail);

}  // namespace runnel::rdb
