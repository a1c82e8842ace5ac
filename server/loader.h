// Loader: brings the data back at start-up, a slice of work per loop iteration, while the
// server answers -LOADING to everything but the few commands allowed during loading.
//
// First the snapshot (the log's base, or the dump file) into a fresh keyspace; then every record
// of every log file, applied to it through the effects catalogue (effects/replay.h) with the
// record's own time — never through command handlers, and never logged again. The fresh keyspace
// replaces the dispatcher's only once everything has loaded, so a load that fails leaves the
// data as it was (DEBUG RELOAD and LOADAOF load while the server runs); INFO's keyspace shows
// the old data (at start-up: none) until then. Each log file is mapped, not copied, and checked
// whole (checksums and sequence) before any of it is applied; the pages already applied are
// released as it goes.
// Damage is handled as docs/durability.md says: a torn tail of the last log file is cut off
// (aof-load-truncated) and reported with file and offset; damage followed by valid records, a
// sequence gap, a damaged base or a record that does not apply stops the start with file and
// offset.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "effects/replay.h"
#include "persistence/file_io.h"
#include "persistence/log_record.h"
#include "persistence/snapshot.h"
#include "persistence/snapshot_file.h"
#include "server/durability.h"
#include "streams/keyspace.h"

namespace runnel::server {

class Server;

class Loader {
 public:
  enum class Status { kMore, kDone, kFailed };

  Loader(Server& server, Durability::LoadPlan plan);
  // Does about `budget_ms` of work.
  Status Step(int64_t budget_ms);
  const std::string& error() const { return error_; }
  // The sequence the next log record must carry.
  uint64_t next_sequence() const { return next_sequence_; }
  bool loaded_from_dump() const { return plan_.snapshot_path && !plan_.from_log_history; }
  uint64_t total_bytes() const { return total_bytes_; }
  uint64_t loaded_bytes() const { return loaded_bytes_; }
  uint64_t records_replayed() const { return records_; }
  // Effects that found their target gone (logs written before 0.2 hold some; see replay.h).
  uint64_t effects_skipped() const { return apply_ ? apply_->skipped : 0; }
  // The block limits the last RUNNEL-LIMITS replayed set, or nullopt when replay met none (no
  // log, or only logs from before 0.2.0): the server logs its own when they differ.
  std::optional<streams::StreamLimits> replayed_limits() const;

 private:
  bool StepSnapshot(int64_t deadline);
  bool OpenNextLog();
  bool StepLog(int64_t deadline);
  bool Failed(std::string message);  // records the error; returns false

  Server& server_;
  Durability::LoadPlan plan_;
  std::string error_;
  uint64_t next_sequence_ = 0;
  uint64_t total_bytes_ = 0, loaded_bytes_ = 0, records_ = 0;

  std::unique_ptr<streams::Keyspace> fresh_;  // what is loaded, until it is complete

  // Snapshot phase.
  std::unique_ptr<persistence::FileSource> source_;
  std::unique_ptr<persistence::SnapshotLoader> snapshot_;
  bool snapshot_done_ = false;

  // Log phase.
  std::unique_ptr<effects::ApplyContext> apply_;  // carries the block limits across records
  size_t log_index_ = 0;                          // next file to open
  std::string log_path_;
  persistence::MappedFile log_file_;
  size_t valid_bytes_ = 0;         // the checked prefix of the open file
  size_t log_pos_ = 0;             // next record's offset in it
  uint64_t log_bytes_before_ = 0;  // bytes of the log files already replayed (+ the snapshot)
  bool log_open_ = false;
};

}  // namespace runnel::server
