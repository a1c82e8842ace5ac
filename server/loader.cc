#include "server/loader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include "server/server.h"

namespace runnel::server {
namespace {

uint64_t FileSize(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// key-load-delay: a pause per key or record loaded, for tests that must see a load in progress.
void LoadDelay(int64_t delay_us, uint64_t items) {
  if (delay_us == 0 || items == 0) return;
  if (delay_us > 0) {
    usleep(static_cast<useconds_t>(std::min<uint64_t>(delay_us * items, 1000000)));
    return;
  }
  static std::minstd_rand rng(1);
  for (uint64_t i = 0; i < items; ++i) {
    if (rng() % static_cast<uint64_t>(-delay_us) == 0) usleep(1);
  }
}

}  // namespace

Loader::Loader(Server& server, Durability::LoadPlan plan)
    : server_(server), plan_(std::move(plan)), next_sequence_(plan_.first_sequence) {
  if (plan_.snapshot_path) total_bytes_ += FileSize(*plan_.snapshot_path);
  for (const auto& p : plan_.log_paths) total_bytes_ += FileSize(p);
  snapshot_done_ = !plan_.snapshot_path;
  fresh_ = server_.dispatcher().NewKeyspace();
  for (int db = 0; db < fresh_->size(); ++db) fresh_->db(db).set_access_clock(server_.NowMs());
}

std::optional<streams::StreamLimits> Loader::replayed_limits() const {
  if (!apply_ || !apply_->limits_stated) return std::nullopt;
  return apply_->limits;
}

bool Loader::Failed(std::string message) {
  error_ = std::move(message);
  return false;
}

Loader::Status Loader::Step(int64_t budget_ms) {
  int64_t deadline = server_.NowMs() + budget_ms;
  if (!snapshot_done_) {
    if (!StepSnapshot(deadline)) return Status::kFailed;
    if (!snapshot_done_) return Status::kMore;
  }
  while (server_.NowMs() < deadline) {
    if (!log_open_) {
      if (log_index_ == plan_.log_paths.size()) {
        server_.dispatcher().ReplaceKeyspace(std::move(fresh_));
        return Status::kDone;
      }
      if (!OpenNextLog()) return Status::kFailed;
      continue;
    }
    if (!StepLog(deadline)) return Status::kFailed;
  }
  return Status::kMore;
}

bool Loader::StepSnapshot(int64_t deadline) {
  const std::string& path = *plan_.snapshot_path;
  if (!snapshot_) {
    source_ = std::make_unique<persistence::FileSource>();
    std::string error;
    if (!source_->Open(path, &error)) return Failed(error);
    snapshot_ = std::make_unique<persistence::SnapshotLoader>(*source_, *fresh_);
  }
  while (server_.NowMs() < deadline) {
    const uint64_t keys_before = snapshot_->keys_loaded();
    auto status = snapshot_->Step(64);
    LoadDelay(server_.config().key_load_delay, snapshot_->keys_loaded() - keys_before);
    loaded_bytes_ = source_->offset();
    if (status == persistence::SnapshotLoader::Status::kError) {
      return Failed(path + ": " + snapshot_->error());
    }
    if (status == persistence::SnapshotLoader::Status::kDone) {
      if (plan_.from_log_history) next_sequence_ = snapshot_->info().next_log_sequence;
      log_bytes_before_ = source_->offset();
      snapshot_.reset();
      source_.reset();
      snapshot_done_ = true;
      return true;
    }
  }
  return true;
}

bool Loader::OpenNextLog() {
  log_path_ = plan_.log_paths[log_index_++];
  std::string error;
  if (!log_file_.Open(log_path_, &error)) return Failed(error);
  if (!apply_) {
    apply_ = std::make_unique<effects::ApplyContext>(*fresh_);
    apply_->limits = server_.dispatcher().limits().stream;
    apply_->new_stream = server_.dispatcher().limits().new_stream;
  }
  // Check the whole file first (checksums and sequence), so damage stops the start before any
  // of this file is applied; then StepLog walks the checked prefix record by record.
  const std::string_view bytes = log_file_.bytes();
  persistence::LogScan scan = persistence::ScanLog(bytes, next_sequence_, /*keep_records=*/false);
  valid_bytes_ = scan.valid_bytes;
  log_pos_ = 0;
  log_open_ = true;
  if (!scan.damaged) return true;
  bool last = log_index_ == plan_.log_paths.size();
  std::string where = log_path_ + " at offset " + std::to_string(scan.valid_bytes);
  if (scan.valid_after_damage || !last) {
    return Failed(where + ": damaged, and valid records follow at offset " +
                  std::to_string(scan.next_valid_offset) +
                  ". Refusing to start; `runnel-check --truncate-at` can cut the log there if "
                  "losing what follows is acceptable.");
  }
  if (!server_.config().aof_load_truncated) {
    return Failed(where +
                  ": the last record is incomplete or damaged (a torn tail); "
                  "aof-load-truncated is no");
  }
  if (!persistence::TruncateFile(log_path_, scan.valid_bytes, &error)) return Failed(error);
  server_.log().Warning("Truncated a torn tail of " + where + " (" +
                        std::to_string(bytes.size() - scan.valid_bytes) +
                        " bytes dropped): the last record was incomplete.");
  return true;
}

bool Loader::StepLog(int64_t deadline) {
  const std::string_view valid = log_file_.bytes().substr(0, valid_bytes_);
  size_t done = 0;
  std::string error;
  while (log_pos_ < valid.size()) {
    persistence::LogRecord r;
    size_t consumed = 0;
    // ScanLog has verified every record of the valid prefix: no second checksum.
    persistence::ReadLogRecord(valid.substr(log_pos_), &r, &consumed, /*verify=*/false);
    apply_->db = static_cast<int>(r.db);
    apply_->time_ms = r.time_ms;
    if (r.db >= static_cast<uint32_t>(apply_->keyspace.size())) {
      return Failed(log_path_ + " at offset " + std::to_string(log_pos_) + ": database " +
                    std::to_string(r.db) + " does not exist here");
    }
    if (!effects::ApplyPayload(*apply_, r.payload, &error)) {
      return Failed(log_path_ + " at offset " + std::to_string(log_pos_) + ": " + error);
    }
    LoadDelay(server_.config().key_load_delay, 1);
    log_pos_ += consumed;
    next_sequence_ = r.sequence + 1;
    ++records_;
    if (++done % 256 == 0) {
      log_file_.Release(log_pos_);
      if (server_.NowMs() >= deadline) break;
    }
  }
  loaded_bytes_ = log_bytes_before_ + log_pos_;
  if (log_pos_ == valid.size()) {
    log_bytes_before_ += log_file_.bytes().size();
    log_file_.Close();
    log_open_ = false;
  }
  return true;
}

}  // namespace runnel::server
