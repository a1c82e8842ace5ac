// Durability: when the server's state reaches the disk, and what happens when it cannot
// (docs/durability.md has the promises; persistence/ has the formats).
//
//   per command      records are appended to the log buffer (Append)
//   before replies   the buffer is written; under appendfsync always also fdatasynced; a
//                    failure under always stops the process before any reply leaves, under
//                    everysec/no it makes the server refuse writes (-MISCONF) until a write
//                    succeeds again
//   every 100 ms     everysec: an fdatasync on the libuv thread pool once a second; save
//                    rules; reaping a finished child; automatic log rewrite by growth
//
// Background saves and log rewrites fork. The server is single-threaded apart from libuv's
// pool (only ever running fdatasync), so the child can serialise memory safely; it writes with
// raw system calls (persistence/snapshot_file.h) and exits. Copy-on-write keeps the parent's
// pauses to the fork itself. One child at a time.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "persistence/aof.h"
#include "server/duration_histogram.h"
#include "streams/stream.h"

namespace runnel::server {

class Server;

class Durability {
 public:
  explicit Durability(Server& server);
  ~Durability();
  Durability(const Durability&) = delete;
  Durability& operator=(const Durability&) = delete;

  // What start-up must load.
  struct LoadPlan {
    std::optional<std::string> snapshot_path;  // base snapshot or dump file
    std::vector<std::string> log_paths;        // log files, oldest first
    uint64_t first_sequence = 0;
    bool from_log_history = false;  // the manifest named them (else: a plain dump file)
  };
  bool Prepare(LoadPlan* plan, std::string* error);
  // After loading: starts appending at `next_sequence`. When the log is enabled but had no
  // history and data was loaded from a dump file, writes that data as the log's base first.
  // `replayed_limits` are the block limits replay ended with: when they are not the ones in
  // force, the log records the new ones before anything else.
  bool Start(uint64_t next_sequence, bool loaded_from_dump,
             std::optional<streams::StreamLimits> replayed_limits, std::string* error);

  // Whether records are being written (appendonly is on): commands write effects only then.
  bool log_enabled() const { return aof_ != nullptr; }
  // Bytes of records made but not yet written (MEMORY STATS aof.buffer).
  uint64_t log_buffer_bytes() const { return aof_ ? aof_->buffered_bytes() : 0; }
  void Append(uint32_t db, int64_t time_ms, std::string_view payload);
  // Called before replies are sent. Does not return on a failure under appendfsync always.
  void BeforeReplies();
  // Non-empty when write commands must be refused, with the error to reply.
  std::string_view WriteRefusal() const { return refusal_; }
  void Cron(int64_t now_ms);

  // ---- commands ----
  bool Save(std::string* error);  // SAVE
  // BGSAVE: the reply text ("Background saving started", an error ...). `defer` schedules it
  // for the cron even when no child runs (inside EXEC).
  std::pair<bool, std::string> BackgroundSave(bool schedule, bool defer = false);
  // BGREWRITEAOF. Deferred inside EXEC above all: the new log file would start after a base
  // already holding the transaction's first effects, and then receive its whole record.
  std::pair<bool, std::string> BackgroundRewrite(bool defer = false);
  int64_t last_save_ms() const { return last_save_ms_; }
  bool has_save_rules() const { return !save_rules_.empty(); }
  // How long the last fork() stalled the loop (INFO latest_fork_usec).
  int64_t latest_fork_us() const { return latest_fork_us_; }

  // DEBUG RELOAD's file: the dump file SAVE writes.
  std::string DumpPath() const;
  // DEBUG LOADAOF: writes and fsyncs every record so far, then plans loading the history the
  // manifest names (base and log files, a rewrite's new file included). false with *error when
  // the log is off or cannot be flushed or read.
  bool PlanLogReload(LoadPlan* plan, std::string* error);

  // Flushes and fsyncs the log (a failure is only logged), and saves a snapshot when `save`.
  // false with *error when that save fails, unless `force`.
  bool Shutdown(bool save, bool force, std::string* error);
  // At start and after CONFIG SET: appendonly turned on or off, appendfsync or save changed.
  void ApplyConfig();
  // The data was replaced wholesale (a replica's full sync): when the log is on, it starts a
  // new history whose base is the data now held. false with *error (logged by the caller)
  // when that base cannot be written; the log is then off.
  bool AdoptData(std::string* error);
  void AppendInfo(std::string& out) const;

  // ---- metrics ----
  // Time to write each loop iteration's records to the log file, and each fdatasync of it
  // (the background one of everysec, or the one before replies under always).
  const DurationHistogram& log_write_seconds() const { return log_write_seconds_; }
  const DurationHistogram& log_fsync_seconds() const { return log_fsync_seconds_; }
  uint64_t log_size_bytes() const { return aof_ ? aof_->current_size() : 0; }
  bool last_save_ok() const { return last_bgsave_ok_; }
  bool save_in_progress() const { return child_kind_ == Child::kSave; }
  bool log_write_ok() const { return last_write_ok_ && !sync_failed_; }
  // The replication offset up to which every record is on disk (WAITAOF's local count, a
  // replica's FACK); only meaningful while the log is on.
  uint64_t synced_offset() const { return synced_offset_; }

 private:
  enum class Child { kNone, kSave, kRewrite };

  void RemoveStaleSnapshotTemps();
  std::string LogDir() const;
  bool ForkChild(Child kind, const std::string& dir, const std::string& name,
                 uint64_t next_sequence, std::string* error);
  void ReapChild(int64_t now_ms);
  // Stops a running child at once and removes what it was writing.
  void KillChild();
  void FinishChild(bool ok, int64_t now_ms);
  void MaybeSaveByRules(int64_t now_ms);
  void MaybeRewriteByGrowth();
  void ScheduleBackgroundSync();
  // The libuv completion of a background sync (the lambda shares this class's access).
  void FinishBackgroundSync(int result, uint64_t bytes, double seconds, uint64_t offset);
  // The log holds, on disk, every record up to replication offset `offset` (WAITAOF).
  void MarkSynced(uint64_t offset);
  void UpdateRefusal();
  bool OpenLog(uint64_t next_sequence, std::string* error);
  // A fresh history (new log files) whose base is the current data; aof_ is null on failure.
  bool StartHistoryFromData(std::string* error);
  // Appends a record of the block limits in force (RUNNEL-LIMITS): the first record of every
  // log file, so replay follows the limits the records were written under.
  void AppendLimits();

  Server& server_;
  std::unique_ptr<persistence::Aof> aof_;  // null when appendonly is off
  // BGREWRITEAOF while appendonly is off: the history the child's base will replace.
  std::unique_ptr<persistence::Aof> detached_;
  // The configuration as this class uses it, parsed once per change (ApplyConfig).
  config::FsyncPolicy fsync_ = config::FsyncPolicy::kEverySec;
  config::SaveRules save_rules_;
  bool started_ = false;  // Start() ran: the data is loaded and persistence is live

  // Child process.
  pid_t child_pid_ = -1;
  Child child_kind_ = Child::kNone;
  std::string child_file_;  // what the child writes
  int64_t child_started_ms_ = 0;
  int64_t latest_fork_us_ = 0;
  bool save_scheduled_ = false;     // BGSAVE SCHEDULE waiting for a rewrite
  bool rewrite_scheduled_ = false;  // BGREWRITEAOF waiting for a save

  // Snapshot state.
  int64_t last_save_ms_ = 0;
  uint64_t changes_at_last_save_ = 0;
  uint64_t changes_at_fork_ = 0;  // changes made during a background save stay unsaved
  bool last_bgsave_ok_ = true;
  int64_t last_bgsave_try_ms_ = 0;
  int64_t last_bgsave_seconds_ = -1;
  uint64_t saves_ = 0;

  // Log state.
  bool last_write_ok_ = true;
  std::string last_write_error_;
  bool last_rewrite_ok_ = true;
  int64_t last_rewrite_seconds_ = -1;
  uint64_t rewrites_ = 0;
  int64_t last_sync_ms_ = 0;
  bool sync_in_flight_ = false;
  uint64_t written_offset_ = 0;  // the replication offset the last write of records reached
  uint64_t synced_offset_ = 0;   // ... and the last completed sync (synced_offset())
  bool sync_failed_ = false;

  DurationHistogram log_write_seconds_;
  DurationHistogram log_fsync_seconds_;

  std::string refusal_;  // the -MISCONF text while writes are refused
};

}  // namespace runnel::server
