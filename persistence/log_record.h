// The append-only log's record format: framing, checksums, and scanning a whole file.
//
//   record  := u8 magic (0xA7) | u32 payload-length | u64 sequence | i64 time-ms | u32 db
//              | payload | u64 checksum
//   payload := RESP commands, back to back (the effects of one command or one transaction)
//   checksum = XXH64 (seed 0) of every byte from payload-length to the end of the payload
// Integers are little-endian. Sequence numbers increase by one per record across all the log
// files of one history, so a missing or repeated record is visible.
//
// Scanning distinguishes a torn tail (the first bad record has no valid record anywhere after
// it: a crash or power loss cut the file) from damage in the middle (a valid record follows:
// bit rot or a bad copy), because the first may be truncated away and the second may not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace runnel::persistence {

inline constexpr uint8_t kLogMagic = 0xA7;
inline constexpr size_t kLogHeaderSize = 1 + 4 + 8 + 8 + 4;
inline constexpr size_t kLogTrailerSize = 8;
inline constexpr uint32_t kMaxLogPayload = 0xFFFFFFFFu;

struct LogRecord {
  uint64_t sequence = 0;
  int64_t time_ms = 0;
  uint32_t db = 0;
  std::string_view payload;  // points into the scanned bytes
  size_t offset = 0;         // where the record starts in the file
};

void AppendLogRecord(std::string* out, uint64_t sequence, int64_t time_ms, uint32_t db,
                     std::string_view payload);

enum class RecordStatus {
  kOk,          // a whole, valid record
  kIncomplete,  // the bytes end inside the record
  kCorrupt,     // bad magic or checksum
};

// Reads the record at the start of `data`; on kOk *consumed is its size. Without `verify` the
// checksum is not computed: only for bytes ScanLog has already verified.
RecordStatus ReadLogRecord(std::string_view data, LogRecord* out, size_t* consumed,
                           bool verify = true);

struct LogScan {
  std::vector<LogRecord> records;   // every valid record before the first bad byte (if kept)
  uint64_t record_count = 0;        // how many valid records precede the first bad byte
  size_t valid_bytes = 0;           // length of the valid prefix
  bool damaged = false;             // bytes after the valid prefix are not a valid record
  bool valid_after_damage = false;  // ... and a valid record starts somewhere after them
  size_t next_valid_offset = 0;     // where that record starts (when valid_after_damage)
};

// Scans a whole file. Records must have consecutive sequence numbers starting at
// `first_sequence` (0 = accept whatever the first record has); a gap counts as damage.
// Without `keep_records` only the counts and the verdict are produced: the loader checks a whole
// file first and then walks it with ReadLogRecord, rather than hold a vector as long as the log.
LogScan ScanLog(std::string_view data, uint64_t first_sequence = 0, bool keep_records = true);

}  // namespace runnel::persistence
