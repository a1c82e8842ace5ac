// Reading a whole RDB file (rdb-format.md §1-2): the magic and version, AUX fields, databases,
// expiries, keys, and the CRC-64 trailer, from a file on disk or the one a Redis master sends.
//
// The reader hands each key to a visitor as soon as it is decoded, so memory follows what the
// visitor keeps, not the file's size. Nothing is skipped silently: keys of types Runnel does not
// store are reported to the visitor by name, as are function libraries; opcodes and types whose
// layout is unknown fail the read. A stored CRC of 0 means "not computed" (rdbchecksum no), as
// in Redis; any other must match.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "rdb/input.h"
#include "streams/keyspace.h"

namespace runnel::rdb {

// The oldest RDB version the reader takes; the newest is dump.h's kMaxReadVersion.
inline constexpr int kMinFileVersion = 1;

class RdbVisitor {
 public:
  virtual ~RdbVisitor() = default;
  virtual void OnAux(std::string_view /*field*/, std::string_view /*value*/) {}
  // A string or stream key. expire_ms is the absolute unix time in ms, or -1. Returning false
  // stops the read with *why as its error.
  virtual bool OnKey(int db, std::string key, int64_t expire_ms, streams::Value value,
                     std::string* why) = 0;
  // A key of another type ("list", "hash", ...), read through and not kept.
  virtual bool OnOtherKey(int db, std::string_view key, std::string_view type,
                          std::string* why) = 0;
  // A function library (Redis 7's FUNCTION LOAD), which Runnel has no use for.
  virtual void OnFunction() {}
  // Called every few megabytes with the bytes read so far.
  virtual void OnProgress(uint64_t /*bytes*/) {}
};

struct RdbReadOptions {
  streams::StreamLimits limits;  // how the streams' entries are packed into blocks
  int databases = 16;            // a SELECTDB at or above this fails the read
};

struct RdbFileInfo {
  int version = 0;
  bool checksum_checked = false;  // false when the file has none (old versions, or 0 stored)
  uint64_t bytes = 0;
};

// Reads the file through `visitor`; false with the reason in *error.
bool ReadRdb(ByteSource& source, const RdbReadOptions& options, RdbVisitor& visitor,
             RdbFileInfo* info, std::string* error);

}  // namespace runnel::rdb
