// Aof: the append-only log as the server runs it — its directory, manifest and files, the
// buffer of records made during one loop iteration, and the switch of files a rewrite needs.
//
//   <dir>/<appenddirname>/
//     <name>.manifest              which files make up the history (persistence/manifest.h)
//     <name>.<n>.base.rnl          a snapshot the history starts from (none before a rewrite)
//     <name>.<n>.incr.aof          log files, oldest first; records are appended to the last
//
// Commands append records to the buffer (Append); once per loop iteration the server calls
// Flush, which writes the buffer with one write() and, when asked, one fdatasync(), before any
// reply leaves. A failed or short write is cut back (ftruncate) so the file never ends in half
// a record, and the buffer is kept for the next try.
//
// A rewrite (StartRewrite .. FinishRewrite) is crash-safe at every step: new records go to a
// fresh log file that the manifest names before anything else happens; only when the new base
// is durable does a new manifest replace the old one, and only then are old files removed.
// Nothing here touches libuv or decides anything: the server says when to flush, sync and fork.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "persistence/file_io.h"
#include "persistence/manifest.h"

namespace runnel::persistence {

class Aof {
 public:
  // `dir` is the log directory (created if missing); `name` the file name prefix.
  Aof(std::string dir, std::string name);

  // What loading must read: the base snapshot (if any) and the log files, in order.
  struct History {
    std::optional<std::string> base_path;
    std::vector<std::string> log_paths;
    uint64_t first_sequence = 0;  // the sequence the first record after the base must carry
  };
  // Reads the manifest. false with *error when it is damaged; an absent manifest is an empty
  // history (found = false).
  bool ReadHistory(History* out, bool* found, std::string* error);

  // After ReadHistory: removes the files of this log's naming that the manifest does not name
  // (a base whose rewrite was cut short by a crash, a child's temporary file). Returns their
  // names. The manifest is the only truth about which files count.
  std::vector<std::string> RemoveStrayFiles();
  // Forgets an old history (turning the log on at run time): removes the files the manifest
  // names and the manifest itself.
  bool ResetHistory(std::string* error);
  // Starts appending after loading: to the last log file of the manifest, or to a new first one
  // (writing the manifest) when there is none. `next_sequence` continues the loaded history.
  bool OpenForAppend(uint64_t next_sequence, std::string* error);

  void Append(uint32_t db, int64_t time_ms, std::string_view payload);
  bool has_pending() const { return !buffer_.empty(); }
  size_t buffered_bytes() const { return buffer_.size(); }

  // Writes the buffer (and fdatasyncs when `sync`). On failure the file is cut back to where it
  // was, the buffer kept, and *error set.
  bool Flush(bool sync, std::string* error);
  // The descriptor to fdatasync from a background thread (everysec): a dup the caller closes.
  int DupDescriptor() const;
  uint64_t bytes_written_since_sync() const { return unsynced_; }
  // A background sync takes the unsynced bytes on; if it fails they are handed back, so the
  // next attempt (and the refusal of writes meanwhile) covers them.
  uint64_t TakeUnsynced() { return std::exchange(unsynced_, 0); }
  void ReturnUnsynced(uint64_t bytes) { unsynced_ += bytes; }

  // ---- rewrite ----
  // Moves appending to a new log file and records it in the manifest. Returns the name the new
  // base must get and the sequence its first following record carries.
  bool StartRewrite(std::string* base_name, uint64_t* base_sequence, std::string* error);
  // BGREWRITEAOF with the log off (Redis writes a base-only history then, and so does Runnel):
  // reads whatever history the directory holds, only to number the new file after it. The
  // base is followed by no log file; its first following record would be number 1.
  bool StartDetachedRewrite(std::string* base_name, uint64_t* base_sequence, std::string* error);
  // After the child wrote `base_name` durably: makes it the base, drops older files.
  bool FinishRewrite(const std::string& base_name, std::string* error);
  // After a failed rewrite: removes a partial base (the manifest still names the old one).
  void AbandonRewrite(const std::string& base_name);

  uint64_t next_sequence() const { return next_sequence_; }
  // Bytes of the base and all log files (INFO aof_current_size), and the growth trigger's
  // reference: the size when the last rewrite finished, or the base's after a restart.
  uint64_t current_size() const {
    return base_size_ + logs_size_ + (file_.is_open() ? file_.size() : 0);
  }
  uint64_t size_at_last_rewrite() const { return size_at_rewrite_; }
  const std::string& dir() const { return dir_; }

 private:
  bool WriteManifest(std::string* error);
  std::string PathOf(const std::string& file) const { return dir_ + "/" + file; }
  std::string NewLogName();

  std::string dir_, name_;
  Manifest manifest_;
  AppendFile file_;     // the log file records are appended to
  std::string buffer_;  // records not yet written
  uint64_t next_sequence_ = 1;
  uint64_t unsynced_ = 0;
  uint64_t base_size_ = 0;  // bytes of the base file
  uint64_t logs_size_ = 0;  // bytes of the log files before the current one
  uint64_t size_at_rewrite_ = 0;
  uint64_t file_counter_ = 0;  // <n> in file names; grows, never reused
  bool detached_ = false;      // a base-only rewrite of a log that is off
};

}  // namespace runnel::persistence
