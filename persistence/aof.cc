#include "persistence/aof.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "persistence/log_record.h"

namespace runnel::persistence {
namespace {

uint64_t FileSize(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// The <n> in "<name>.<n>.<kind>": file names carry a counter that only grows.
uint64_t CounterOf(const std::string& file) {
  size_t end = file.rfind('.');
  if (end == std::string::npos || end == 0) return 0;
  size_t kind = file.rfind('.', end - 1);
  size_t start = kind == std::string::npos ? std::string::npos : file.rfind('.', kind - 1);
  if (start == std::string::npos) return 0;
  return std::strtoull(file.substr(start + 1, kind - start - 1).c_str(), nullptr, 10);
}

}  // namespace

Aof::Aof(std::string dir, std::string name) : dir_(std::move(dir)), name_(std::move(name)) {}

bool Aof::ReadHistory(History* out, bool* found, std::string* error) {
  mkdir(dir_.c_str(), 0755);
  std::string text;
  std::string manifest_path = PathOf(name_ + ".manifest");
  if (access(manifest_path.c_str(), F_OK) != 0) {
    *found = false;
    return true;
  }
  *found = true;
  if (!ReadWholeFile(manifest_path, &text, error)) return false;
  if (!ParseManifest(text, &manifest_, error)) {
    *error = manifest_path + ": " + *error;
    return false;
  }
  *out = History{};
  if (const auto* base = manifest_.Base()) {
    out->base_path = PathOf(base->name);
    out->first_sequence = base->first_sequence;
    base_size_ = FileSize(*out->base_path);
  }
  for (const auto* log : manifest_.Logs()) {
    out->log_paths.push_back(PathOf(log->name));
    if (out->first_sequence == 0) out->first_sequence = log->first_sequence;
  }
  for (const auto& f : manifest_.files) file_counter_ = std::max(file_counter_, CounterOf(f.name));
  return true;
}

std::vector<std::string> Aof::RemoveStrayFiles() {
  std::vector<std::string> removed;
  DIR* d = opendir(dir_.c_str());
  if (d == nullptr) return removed;
  const std::string prefix = name_ + ".";
  auto ours = [&](std::string_view f) {
    if (f.substr(0, prefix.size()) != prefix) return false;
    return f.find(".tmp-") != std::string_view::npos || f.ends_with(".base.rnl") ||
           f.ends_with(".incr.aof");
  };
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) names.emplace_back(e->d_name);
  closedir(d);
  for (const std::string& f : names) {
    if (!ours(f)) continue;
    bool named = false;
    for (const auto& m : manifest_.files) named |= m.name == f;
    if (!named && unlink(PathOf(f).c_str()) == 0) removed.push_back(PathOf(f));
  }
  return removed;
}

bool Aof::ResetHistory(std::string* error) {
  History ignored;
  bool found = false;
  if (!ReadHistory(&ignored, &found, error)) return false;
  if (!found) return true;
  for (const auto& f : manifest_.files) unlink(PathOf(f.name).c_str());
  manifest_ = Manifest{};
  if (unlink(PathOf(name_ + ".manifest").c_str()) != 0 && errno != ENOENT) {
    *error = PathOf(name_ + ".manifest") + ": " + std::strerror(errno);
    return false;
  }
  base_size_ = logs_size_ = 0;
  return SyncDirectory(dir_, error);
}

std::string Aof::NewLogName() {
  return name_ + "." + std::to_string(++file_counter_) + ".incr.aof";
}

bool Aof::WriteManifest(std::string* error) {
  return WriteFileDurably(dir_, name_ + ".manifest", FormatManifest(manifest_), error);
}

bool Aof::OpenForAppend(uint64_t next_sequence, std::string* error) {
  next_sequence_ = next_sequence;
  auto logs = manifest_.Logs();
  logs_size_ = 0;
  if (logs.empty()) {
    // As in StartRewrite: the file first, then the manifest that names it.
    const std::string first = NewLogName();
    if (!file_.Open(PathOf(first), error)) return false;
    manifest_.files.push_back({first, next_sequence_, false});
    if (!WriteManifest(error)) return false;
  } else {
    for (size_t i = 0; i + 1 < logs.size(); ++i) logs_size_ += FileSize(PathOf(logs[i]->name));
    if (!file_.Open(PathOf(logs.back()->name), error)) return false;
  }
  // Where the last rewrite left the log is not recorded; as Redis 7 does, take the base alone,
  // so a log that grew across restarts is rewritten soon rather than never.
  size_at_rewrite_ = base_size_;
  return true;
}

void Aof::Append(uint32_t db, int64_t time_ms, std::string_view payload) {
  AppendLogRecord(&buffer_, next_sequence_++, time_ms, db, payload);
}

bool Aof::Flush(bool sync, std::string* error) {
  if (!buffer_.empty()) {
    uint64_t before = file_.size();
    size_t written = 0;
    if (!file_.Write(buffer_, &written, error)) {
      // Never leave half a record at the end: cut back and keep the buffer for the next try.
      std::string ignored;
      file_.Truncate(before, &ignored);
      return false;
    }
    unsynced_ += buffer_.size();
    buffer_.clear();
    if (buffer_.capacity() > (4u << 20)) std::string().swap(buffer_);
  }
  if (sync && unsynced_ > 0) {
    if (!file_.DataSync(error)) return false;
    unsynced_ = 0;
  }
  return true;
}

int Aof::DupDescriptor() const {
  // A second descriptor on the same file: fdatasync through it covers what was written
  // through the first, and the syncing thread can own (and close) it.
  return ::open(file_.path().c_str(), O_RDONLY | O_CLOEXEC);
}

bool Aof::StartRewrite(std::string* base_name, uint64_t* base_sequence, std::string* error) {
  // Everything so far must be in the old file before records start going to the new one.
  if (!Flush(true, error)) return false;
  // The new file exists before the manifest names it (a crash in between leaves an unnamed
  // empty file, removed at the next start, never a manifest naming a missing file); writing
  // the manifest then syncs the directory, which makes the new entry durable too.
  std::string next = NewLogName();
  AppendFile next_file;
  if (!next_file.Open(PathOf(next), error)) return false;
  manifest_.files.push_back({next, next_sequence_, false});
  if (!WriteManifest(error)) {
    manifest_.files.pop_back();
    next_file.Close();
    unlink(PathOf(next).c_str());
    return false;
  }
  logs_size_ += file_.size();
  file_ = std::move(next_file);
  *base_name = name_ + "." + std::to_string(++file_counter_) + ".base.rnl";
  *base_sequence = next_sequence_;
  return true;
}

bool Aof::StartDetachedRewrite(std::string* base_name, uint64_t* base_sequence,
                               std::string* error) {
  History ignored;
  bool found = false;
  if (!ReadHistory(&ignored, &found, error)) return false;
  detached_ = true;
  *base_name = name_ + "." + std::to_string(++file_counter_) + ".base.rnl";
  *base_sequence = 1;
  return true;
}

bool Aof::FinishRewrite(const std::string& base_name, std::string* error) {
  Manifest next;
  if (detached_) {
    next.files.push_back({base_name, 1, true});
  } else {
    next.files.push_back({base_name, manifest_.files.back().first_sequence, true});
    next.files.push_back(manifest_.files.back());
  }
  Manifest old = manifest_;
  manifest_ = next;
  if (!WriteManifest(error)) {
    manifest_ = old;
    return false;
  }
  // The new manifest is durable: the files it no longer names can go.
  for (const auto& f : old.files) {
    bool kept = false;
    for (const auto& n : manifest_.files) kept |= n.name == f.name;
    if (!kept) unlink(PathOf(f.name).c_str());
  }
  base_size_ = FileSize(PathOf(base_name));
  logs_size_ = 0;
  size_at_rewrite_ = current_size();
  return true;
}

void Aof::AbandonRewrite(const std::string& base_name) { unlink(PathOf(base_name).c_str()); }

}  // namespace runnel::persistence
