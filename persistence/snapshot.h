// Snapshots: the whole keyspace at one instant, in a versioned binary format.
//
//   file     := magic "RUNNELSNAP\0\0" | u32 version | section* | end
//   section  := u8 kind | u64 payload-length | payload | u64 XXH64(payload)
//   end      := u8 kEnd | u64 8 | u64 XXH64(every byte before this section) | u64 XXH64 of
//               those 8 bytes
// Integers of fixed width are little-endian. The first section is kInfo (SnapshotInfo). Then,
// in order per non-empty database: kDatabase (its index and key count), then one kString per
// string key, and per stream key a kStreamHeader, kStreamBlocks sections holding its entry
// blocks as stored (so loading does not re-encode), and one kGroup per consumer group. The
// payload encodings are documented at the top of snapshot.cc.
//
// Loading checks every section's checksum as it is read and the whole-file checksum at the end,
// and validates structure deeply even when checksums pass: block bytes are decoded with bounds
// checks, IDs must increase and live entries stay within the stream's last ID, counts must
// match, group and consumer names must be unique, every pending entry must belong to an
// existing consumer and appear once. (Pending IDs and a group's last-delivered ID may lie
// above the stream's last ID: XTRIM then XSETID reaches that state, in Redis too.) Nothing is
// allocated from a length in the file before the bytes behind it have been read. Loading is
// incremental (Step) so the server can keep answering -LOADING while it runs; on any error
// the target keyspace must be thrown away. Keys past their TTL are saved and loaded as they
// are; expiry removes them afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "streams/keyspace.h"

namespace runnel::persistence {

// Version 2 added Redis 8.6's idempotent-production state (and unowned pending entries, which
// version 1 files cannot hold). Both load.
// Version 3 added consumer-group policies and their counters (docs/queues.md).
// Version 4 added a stream's retention settings and its delayed entries (docs/queues.md).
inline constexpr uint32_t kSnapshotVersion = 4;
inline constexpr uint32_t kOldestSnapshotVersion = 1;

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual bool Write(std::string_view bytes) = 0;
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads exactly n bytes into *out; false at end of data or on a read error.
  virtual bool Read(size_t n, std::string* out) = 0;
  virtual uint64_t offset() const = 0;
};

struct SnapshotInfo {
  int64_t created_ms = 0;
  // With the append-only log: the sequence number the first log record after this snapshot
  // carries (0 when the snapshot is not a log base).
  uint64_t next_log_sequence = 0;
};

// Writes the whole keyspace. False (with *error) if the sink fails.
bool WriteSnapshot(const streams::Keyspace& keyspace, const SnapshotInfo& info, ByteSink& out,
                   std::string* error);

class SnapshotLoader {
 public:
  enum class Status { kMore, kDone, kError };

  // Loads into `into`, which must be empty and have at least as many databases as the file.
  // Keys are added with Database::Set, so `into` should have no observer while loading (see
  // Keyspace::set_observer).
  SnapshotLoader(ByteSource& in, streams::Keyspace& into);
  ~SnapshotLoader();
  SnapshotLoader(const SnapshotLoader&) = delete;
  SnapshotLoader& operator=(const SnapshotLoader&) = delete;

  // Loads up to `max_sections` more sections (the file header comes with the first). kDone
  // once the end section and the whole-file checksum have been verified and nothing follows;
  // after kDone or kError, further calls return the same.
  Status Step(size_t max_sections);
  // What went wrong, with the byte offset ("offset 1234: duplicate consumer 'c1' in group ...").
  const std::string& error() const { return error_; }
  const SnapshotInfo& info() const { return info_; }
  uint64_t keys_loaded() const { return keys_loaded_; }
  // The file offset reached (of the source, counted from where it stood at construction).
  uint64_t offset() const;

 private:
  struct State;  // the parse position and the stream being assembled (snapshot.cc)
  ByteSource& in_;
  streams::Keyspace& into_;
  SnapshotInfo info_;
  std::string error_;
  uint64_t keys_loaded_ = 0;
  std::unique_ptr<State> state_;
};

}  // namespace runnel::persistence
