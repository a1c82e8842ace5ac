#include "server/durability.h"

#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "dispatch/errors.h"
#include "effects/writer.h"
#include "persistence/snapshot_file.h"
#include "server/server.h"

namespace runnel::server {

using persistence::Aof;
namespace errors = dispatch::errors;

namespace {

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

// The system's reason in "<path>: <reason>".
std::string Reason(const std::string& error) {
  size_t colon = error.rfind(": ");
  return colon == std::string::npos ? error : error.substr(colon + 2);
}

// An fdatasync run on libuv's thread pool (appendfsync everysec).
struct SyncJob {
  ~SyncJob() {
    if (fd >= 0) close(fd);
  }
  uv_work_t req{};
  int fd = -1;
  int result = 0;
  double seconds = 0;  // how long the fdatasync took
  uint64_t bytes = 0;  // what this sync covers
  uint64_t offset = 0;  // the replication offset those bytes reach (WAITAOF)
  Durability* owner = nullptr;
};

}  // namespace

Durability::Durability(Server& server) : server_(server) {}

Durability::~Durability() { KillChild(); }

std::string Durability::DumpPath() const { return server_.config().dbfilename; }

std::string Durability::LogDir() const { return server_.config().appenddirname; }

// Temporary snapshot files ("<dbfilename>.tmp-<pid>") of saves a crash interrupted.
void Durability::RemoveStaleSnapshotTemps() {
  DIR* d = opendir(".");
  if (d == nullptr) return;
  const std::string prefix = DumpPath() + ".tmp-";
  std::vector<std::string> stale;
  while (dirent* e = readdir(d)) {
    if (std::string_view(e->d_name).substr(0, prefix.size()) == prefix) stale.push_back(e->d_name);
  }
  closedir(d);
  for (const std::string& f : stale) {
    if (unlink(f.c_str()) == 0)
      server_.log().Notice("Removed " + f + ", left by an interrupted save");
  }
}

bool Durability::Prepare(LoadPlan* plan, std::string* error) {
  *plan = LoadPlan{};
  RemoveStaleSnapshotTemps();
  if (server_.config().appendonly) {
    aof_ = std::make_unique<Aof>(LogDir(), server_.config().appendfilename);
    Aof::History history;
    bool found = false;
    if (!aof_->ReadHistory(&history, &found, error)) return false;
    if (found) {
      // Only with a manifest to say which files count: without one, files are left alone.
      for (const std::string& stray : aof_->RemoveStrayFiles()) {
        server_.log().Notice("Removed " + stray + ", left by an interrupted rewrite");
      }
      plan->snapshot_path = history.base_path;
      plan->log_paths = history.log_paths;
      plan->first_sequence = history.first_sequence;
      plan->from_log_history = true;
      return true;
    }
  }
  if (Exists(DumpPath())) plan->snapshot_path = DumpPath();
  return true;
}

bool Durability::PlanLogReload(LoadPlan* plan, std::string* error) {
  if (!aof_) {
    *error = errors::kLoadAofWithoutLog;
    return false;
  }
  if (!aof_->Flush(true, error)) {
    *error = errors::LogUnwritable(*error);
    return false;
  }
  // A reader of its own: the live Aof keeps appending where it is.
  persistence::Aof reader(LogDir(), server_.config().appendfilename);
  Aof::History history;
  bool found = false;
  if (!reader.ReadHistory(&history, &found, error)) {
    *error = errors::ManifestUnreadable(*error);
    return false;
  }
  if (!found) {  // the log is on, so its manifest exists unless someone removed it
    *error = errors::kNoLogManifest;
    return false;
  }
  *plan = LoadPlan{history.base_path, history.log_paths, history.first_sequence, true};
  return true;
}

bool Durability::OpenLog(uint64_t next_sequence, std::string* error) {
  if (!aof_->OpenForAppend(next_sequence, error)) return false;
  last_write_ok_ = true;
  return true;
}

void Durability::AppendLimits() {
  std::string effect;
  effects::Writer(&effect).StreamLimits(server_.dispatcher().RecordLimits());
  aof_->Append(0, server_.NowMs(), effect);
}

bool Durability::Start(uint64_t next_sequence, bool loaded_from_dump,
                       std::optional<streams::StreamLimits> replayed_limits, std::string* error) {
  int64_t now = server_.NowMs();
  last_save_ms_ = now;
  changes_at_last_save_ = server_.dispatcher().changes();
  if (aof_) {
    if (!OpenLog(next_sequence == 0 ? 1 : next_sequence, error)) return false;
    // A log file no replay went through, or one replayed under other limits, must say which
    // limits the records that follow are written under.
    const streams::StreamLimits limits = server_.dispatcher().RecordLimits();
    if (!replayed_limits || replayed_limits->node_max_bytes != limits.node_max_bytes ||
        replayed_limits->node_max_entries != limits.node_max_entries) {
      AppendLimits();
    }
    if (loaded_from_dump && server_.keyspace().TotalKeys() > 0) {
      // The log must start from the data the dump file held: write it as the base now.
      std::string base;
      uint64_t base_sequence;
      if (!aof_->StartRewrite(&base, &base_sequence, error)) return false;
      AppendLimits();  // the new log file's first record
      persistence::SnapshotInfo info{now, base_sequence};
      if (!persistence::SaveSnapshotFile(server_.keyspace(), info, LogDir(), base, error) ||
          !aof_->FinishRewrite(base, error)) {
        return false;
      }
    }
  }
  started_ = true;
  ApplyConfig();  // CONFIG SET appendonly while loading takes effect now
  return true;
}

void Durability::Append(uint32_t db, int64_t time_ms, std::string_view payload) {
  if (aof_) aof_->Append(db, time_ms, payload);
}

namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

void Durability::BeforeReplies() {
  if (!aof_) return;
  if (!aof_->has_pending()) {
    // Everything made so far is on disk: the offset moved only by what the log does not hold
    // (pings, acknowledgement requests).
    if (aof_->bytes_written_since_sync() == 0 && !sync_in_flight_) {
      MarkSynced(server_.ReplicationOffset());
    }
    return;
  }
  bool always = fsync_ == config::FsyncPolicy::kAlways;
  std::string error;
  // Written, then (under always) synced, in two steps so each has its own histogram.
  // They are LATENCY events too, named as redis-server names them.
  auto start = std::chrono::steady_clock::now();
  bool ok = aof_->Flush(false, &error);
  double seconds = SecondsSince(start);
  log_write_seconds_.Record(seconds);
  server_.dispatcher().NoteLatency("aof-write", static_cast<uint64_t>(seconds * 1000));
  if (ok && always) {
    start = std::chrono::steady_clock::now();
    ok = aof_->Flush(true, &error);
    seconds = SecondsSince(start);
    log_fsync_seconds_.Record(seconds);
    server_.dispatcher().NoteLatency("aof-fsync-always", static_cast<uint64_t>(seconds * 1000));
  }
  if (ok) {
    written_offset_ = server_.ReplicationOffset();
    // Under appendfsync no the kernel decides when the bytes reach the disk: written is the
    // most WAITAOF can know, as in Redis.
    if (always || fsync_ == config::FsyncPolicy::kNo) MarkSynced(written_offset_);
    if (!last_write_ok_) {
      server_.log().Warning("Writing to the append-only log works again.");
      last_write_ok_ = true;
      UpdateRefusal();
    }
    return;
  }
  if (always) {
    // Nothing written in this iteration may be acknowledged: stop before any reply leaves.
    server_.log().Warning("Can't write or sync the append-only log under appendfsync always (" +
                          error + "): exiting to acknowledge nothing that is not durable.");
    _exit(1);
  }
  if (last_write_ok_) {
    server_.log().Warning("Error writing to the append-only log: " + error +
                          ". Refusing writes until it works again.");
  }
  last_write_ok_ = false;
  last_write_error_ = Reason(error);
  UpdateRefusal();
}

void Durability::ScheduleBackgroundSync() {
  int fd = aof_->DupDescriptor();
  if (fd < 0) return;
  // The job owns the descriptor; it is freed by the completion callback (or here, if it
  // could not be queued).
  auto job = std::make_unique<SyncJob>();
  job->bytes = aof_->TakeUnsynced();
  job->offset = written_offset_;
  job->fd = fd;
  job->owner = this;
  job->req.data = job.get();
  int rc = uv_queue_work(
      server_.loop(), &job->req,
      [](uv_work_t* req) {
        auto* j = static_cast<SyncJob*>(req->data);
        const auto start = std::chrono::steady_clock::now();
        j->result = fdatasync(j->fd) == 0 ? 0 : errno;
        j->seconds = SecondsSince(start);
      },
      [](uv_work_t* req, int) {
        std::unique_ptr<SyncJob> j(static_cast<SyncJob*>(req->data));
        j->owner->FinishBackgroundSync(j->result, j->bytes, j->seconds, j->offset);
      });
  if (rc != 0) {
    aof_->ReturnUnsynced(job->bytes);
    return;
  }
  sync_in_flight_ = true;
  job.release();  // now the completion callback's
}

void Durability::MarkSynced(uint64_t offset) {
  if (offset <= synced_offset_) return;
  synced_offset_ = offset;
  server_.OnLogSynced();
}

void Durability::FinishBackgroundSync(int result, uint64_t bytes, double seconds, uint64_t offset) {
  sync_in_flight_ = false;
  log_fsync_seconds_.Record(seconds);
  const bool failed = result != 0;
  if (failed && !sync_failed_) {
    server_.log().Warning(std::string("fdatasync of the append-only log failed: ") +
                          std::strerror(result));
    last_write_error_ = std::strerror(result);
  }
  sync_failed_ = failed;
  if (failed && aof_) aof_->ReturnUnsynced(bytes);
  if (!failed) MarkSynced(offset);
  UpdateRefusal();
}

void Durability::Cron(int64_t now_ms) {
  if (child_pid_ > 0) ReapChild(now_ms);
  if (aof_ && fsync_ == config::FsyncPolicy::kEverySec && !sync_in_flight_ &&
      aof_->bytes_written_since_sync() > 0 && now_ms - last_sync_ms_ >= 1000) {
    last_sync_ms_ = now_ms;
    ScheduleBackgroundSync();
  }
  if (child_pid_ <= 0) {
    if (save_scheduled_) BackgroundSave(false);
    if (rewrite_scheduled_ && child_pid_ <= 0) BackgroundRewrite();
  }
  MaybeSaveByRules(now_ms);
  MaybeRewriteByGrowth();
}

// ---- children ----

bool Durability::ForkChild(Child kind, const std::string& dir, const std::string& name,
                           uint64_t next_sequence, std::string* error) {
  int64_t now = server_.NowMs();
  const pid_t parent = getpid();
  const auto fork_started = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid > 0) {
    latest_fork_us_ = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - fork_started)
                          .count();
  }
  if (pid < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  if (pid == 0) {
    // The child: Ctrl-C and SIGTERM end it; so does the parent's death (a snapshot nobody will
    // adopt is only a stray file); it only writes the snapshot and leaves.
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);  // the parent died before prctl took effect
    std::string err;
    persistence::SnapshotInfo info{now, next_sequence};
    bool ok = persistence::SaveSnapshotFile(server_.keyspace(), info, dir, name, &err);
    if (!ok) {
      std::string line = "runnel-server background save failed: " + err + "\n";
      ssize_t ignored = write(2, line.data(), line.size());
      (void)ignored;
    }
    _exit(ok ? 0 : 1);
  }
  child_pid_ = pid;
  child_kind_ = kind;
  child_file_ = name;
  child_started_ms_ = now;
  if (kind == Child::kSave) server_.OnSnapshotForked();  // replicas waiting for a snapshot
  return true;
}

void Durability::KillChild() {
  if (child_pid_ <= 0) return;
  kill(child_pid_, SIGKILL);
  waitpid(child_pid_, nullptr, 0);
  if (child_kind_ == Child::kRewrite) {
    Aof* target = aof_ ? aof_.get() : detached_.get();
    if (target != nullptr) target->AbandonRewrite(child_file_);
  } else {
    // The child's temporary file (persistence/snapshot_file.cc names it).
    unlink((child_file_ + ".tmp-" + std::to_string(child_pid_)).c_str());
  }
  const bool was_save = child_kind_ == Child::kSave;
  detached_.reset();
  child_pid_ = -1;
  child_kind_ = Child::kNone;
  if (was_save) server_.OnSnapshotFinished(false);
}

void Durability::ReapChild(int64_t now_ms) {
  int status = 0;
  pid_t done = waitpid(child_pid_, &status, WNOHANG);
  if (done != child_pid_) return;
  FinishChild(WIFEXITED(status) && WEXITSTATUS(status) == 0, now_ms);
}

void Durability::FinishChild(bool ok, int64_t now_ms) {
  Child kind = child_kind_;
  child_pid_ = -1;
  child_kind_ = Child::kNone;
  int64_t seconds = (now_ms - child_started_ms_) / 1000;
  if (kind == Child::kSave) {
    last_bgsave_ok_ = ok;
    last_bgsave_seconds_ = seconds;
    if (ok) {
      last_save_ms_ = now_ms;
      changes_at_last_save_ = changes_at_fork_;
      ++saves_;
      server_.log().Notice("Background saving terminated with success");
    } else {
      server_.log().Warning("Background saving error");
    }
    server_.OnSnapshotFinished(ok);
  } else if (kind == Child::kRewrite) {
    std::string error;
    Aof* target = aof_ ? aof_.get() : detached_.get();
    if (ok && target != nullptr && target->FinishRewrite(child_file_, &error)) {
      ++rewrites_;
      server_.log().Notice("Background append-only log rewrite finished successfully");
    } else {
      ok = false;
      if (target != nullptr) target->AbandonRewrite(child_file_);
      server_.log().Warning("Background append-only log rewrite failed " + error);
    }
    detached_.reset();
    last_rewrite_ok_ = ok;
    last_rewrite_seconds_ = seconds;
  }
  UpdateRefusal();
}

// ---- snapshots ----

bool Durability::Save(std::string* error) {
  if (child_pid_ > 0 && child_kind_ == Child::kSave) {
    *error = errors::kBgsaveInProgress;
    return false;
  }
  int64_t now = server_.NowMs();
  if (!persistence::SaveSnapshotFile(server_.keyspace(), {now, 0}, ".", DumpPath(), error)) {
    server_.log().Warning("Error saving the snapshot: " + *error);
    last_bgsave_ok_ = false;
    UpdateRefusal();
    *error = errors::kSaveFailed;
    return false;
  }
  last_save_ms_ = now;
  changes_at_last_save_ = server_.dispatcher().changes();
  last_bgsave_ok_ = true;
  ++saves_;
  UpdateRefusal();
  server_.log().Notice("DB saved on disk");
  return true;
}

std::pair<bool, std::string> Durability::BackgroundSave(bool schedule, bool defer) {
  save_scheduled_ = false;
  if (child_pid_ > 0 && child_kind_ == Child::kSave) {
    return {false, std::string(errors::kBgsaveInProgress)};
  }
  if (child_pid_ > 0 || defer) {
    if (!schedule && !defer) {
      return {false, std::string(errors::kBgsaveChildActive)};
    }
    save_scheduled_ = true;
    return {true, "Background saving scheduled"};
  }
  std::string error;
  last_bgsave_try_ms_ = server_.NowMs();
  changes_at_fork_ = server_.dispatcher().changes();
  if (!ForkChild(Child::kSave, ".", DumpPath(), 0, &error)) {
    server_.log().Warning("Can't save in background: " + error);
    last_bgsave_ok_ = false;
    UpdateRefusal();
    return {false, std::string(errors::kSaveFailed)};
  }
  server_.log().Notice("Background saving started by pid " + std::to_string(child_pid_));
  return {true, "Background saving started"};
}

std::pair<bool, std::string> Durability::BackgroundRewrite(bool defer) {
  rewrite_scheduled_ = false;
  if (child_pid_ > 0 && child_kind_ == Child::kRewrite) {
    return {false, std::string(errors::kRewriteInProgress)};
  }
  if (child_pid_ > 0 || defer) {
    rewrite_scheduled_ = true;
    return {true, "Background append only file rewriting scheduled"};
  }
  std::string base, error;
  uint64_t base_sequence = 0;
  bool started;
  if (aof_) {
    started = aof_->StartRewrite(&base, &base_sequence, &error);
    if (started) AppendLimits();  // the new log file's first record
  } else {
    // As Redis: with the log off, a rewrite still writes a base-only history.
    detached_ = std::make_unique<Aof>(LogDir(), server_.config().appendfilename);
    started = detached_->StartDetachedRewrite(&base, &base_sequence, &error);
  }
  if (!started || !ForkChild(Child::kRewrite, LogDir(), base, base_sequence, &error)) {
    detached_.reset();
    last_rewrite_ok_ = false;
    server_.log().Warning("Can't rewrite the append-only log: " + error);
    return {false, std::string(errors::kRewriteFailed)};
  }
  server_.log().Notice("Background append-only log rewrite started by pid " +
                       std::to_string(child_pid_));
  return {true, "Background append only file rewriting started"};
}

void Durability::MaybeSaveByRules(int64_t now_ms) {
  if (child_pid_ > 0 || save_rules_.empty()) return;
  uint64_t changes = server_.dispatcher().changes() - changes_at_last_save_;
  // After a failed save, try again only every 5 seconds, as Redis does.
  if (!last_bgsave_ok_ && now_ms - last_bgsave_try_ms_ < 5000) return;
  for (auto [seconds, min_changes] : save_rules_) {
    if (changes >= static_cast<uint64_t>(min_changes) && min_changes > 0 &&
        now_ms - last_save_ms_ >= seconds * 1000) {
      server_.log().Notice(std::to_string(min_changes) + " changes in " + std::to_string(seconds) +
                           " seconds. Saving...");
      BackgroundSave(false);
      return;
    }
  }
}

void Durability::MaybeRewriteByGrowth() {
  const config::Config& c = server_.config();
  if (!aof_ || child_pid_ > 0 || c.auto_aof_rewrite_percentage == 0) return;
  uint64_t size = aof_->current_size();
  if (size < static_cast<uint64_t>(c.auto_aof_rewrite_min_size)) return;
  uint64_t base = std::max<uint64_t>(aof_->size_at_last_rewrite(), 1);
  if (size <= base) return;
  if ((size * 100 / base) - 100 >= static_cast<uint64_t>(c.auto_aof_rewrite_percentage)) {
    server_.log().Notice("Starting automatic rewriting of the append-only log on " +
                         std::to_string(size * 100 / base - 100) + "% growth");
    BackgroundRewrite();
  }
}

void Durability::UpdateRefusal() {
  if (aof_ && (!last_write_ok_ || sync_failed_)) {
    refusal_ = std::string(errors::kAofMisconfPrefix) + last_write_error_;
  } else if (server_.config().stop_writes_on_bgsave_error && !save_rules_.empty() &&
             !last_bgsave_ok_) {
    refusal_ = errors::kBgsaveMisconf;
  } else {
    refusal_.clear();
  }
}

// ---- shutdown and configuration ----

bool Durability::Shutdown(bool save, bool force, std::string* error) {
  if (!started_) return true;  // never overwrite saved data before it was even loaded
  KillChild();
  // As in Redis, a log that cannot be flushed or synced now is only a warning: every
  // acknowledged record was already written (or, under always, synced) before its reply.
  std::string log_error;
  if (aof_ && !aof_->Flush(true, &log_error)) {
    server_.log().Warning("Could not flush the append-only log at shutdown: " + log_error);
  }
  if (!save || Save(error)) return true;
  if (!force) return false;
  server_.log().Warning("Error saving the snapshot on shutdown, exiting anyway (FORCE).");
  return true;
}

void Durability::ApplyConfig() {
  const config::Config& c = server_.config();
  fsync_ = config::ParseFsyncPolicy(c.appendfsync);
  save_rules_.clear();
  config::ParseSaveRules(c.save, &save_rules_);  // CONFIG SET validated it
  if (!started_) return UpdateRefusal();         // Start applies appendonly, after loading
  // Inside EXEC the transaction's effects so far belong to the log they were made under (or
  // to none): end its record before that log closes or a new base takes in what it changed.
  if (c.appendonly != (aof_ != nullptr)) server_.dispatcher().FinishPendingRecord();
  if (c.appendonly && !aof_) {
    std::string error;
    if (!StartHistoryFromData(&error)) {
      server_.log().Warning("Could not turn the append-only log on: " + error);
    }
  } else if (!c.appendonly && aof_) {
    std::string error;
    if (!aof_->Flush(true, &error)) server_.log().Warning(error);
    aof_.reset();
    last_write_ok_ = true;
    sync_failed_ = false;
  }
  UpdateRefusal();
}

bool Durability::StartHistoryFromData(std::string* error) {
  // A base-only rewrite still running would race it for the same files: it is superseded.
  if (child_pid_ > 0 && child_kind_ == Child::kRewrite) KillChild();
  aof_ = std::make_unique<Aof>(LogDir(), server_.config().appendfilename);
  std::string base;
  uint64_t base_sequence;
  bool ok = aof_->ResetHistory(error) && OpenLog(1, error) &&
            aof_->StartRewrite(&base, &base_sequence, error);
  if (ok) AppendLimits();
  ok = ok &&
       persistence::SaveSnapshotFile(server_.keyspace(), {server_.NowMs(), base_sequence}, LogDir(),
                                     base, error) &&
       aof_->FinishRewrite(base, error);
  if (!ok) aof_.reset();
  return ok;
}

bool Durability::AdoptData(std::string* error) {
  if (!aof_) return true;
  aof_.reset();  // its history describes data that is gone
  return StartHistoryFromData(error);
}

void Durability::AppendInfo(std::string& out) const {
  auto field = [&out](std::string_view name, const std::string& value) {
    out.append(name).append(":").append(value).append("\r\n");
  };
  using std::to_string;
  int64_t now = server_.NowMs();
  field("rdb_changes_since_last_save",
        to_string(server_.dispatcher().changes() - changes_at_last_save_));
  field("rdb_bgsave_in_progress", child_kind_ == Child::kSave ? "1" : "0");
  field("rdb_last_save_time", to_string(last_save_ms_ / 1000));
  field("rdb_last_bgsave_status", last_bgsave_ok_ ? "ok" : "err");
  field("rdb_last_bgsave_time_sec", to_string(last_bgsave_seconds_));
  field("rdb_current_bgsave_time_sec",
        to_string(child_kind_ == Child::kSave ? (now - child_started_ms_) / 1000 : -1));
  field("rdb_saves", to_string(saves_));
  field("aof_enabled", aof_ ? "1" : "0");
  field("aof_rewrite_in_progress", child_kind_ == Child::kRewrite ? "1" : "0");
  field("aof_rewrite_scheduled", rewrite_scheduled_ ? "1" : "0");
  field("aof_last_rewrite_time_sec", to_string(last_rewrite_seconds_));
  field("aof_current_rewrite_time_sec",
        to_string(child_kind_ == Child::kRewrite ? (now - child_started_ms_) / 1000 : -1));
  field("aof_last_bgrewrite_status", last_rewrite_ok_ ? "ok" : "err");
  field("aof_rewrites", to_string(rewrites_));
  field("aof_last_write_status", last_write_ok_ && !sync_failed_ ? "ok" : "err");
  if (aof_) {
    field("aof_current_size", to_string(aof_->current_size()));
    field("aof_base_size", to_string(aof_->size_at_last_rewrite()));
    field("aof_pending_bio_fsync", sync_in_flight_ ? "1" : "0");
  }
}

}  // namespace runnel::server
