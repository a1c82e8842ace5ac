#include "persistence/snapshot_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "persistence/file_io.h"

namespace runnel::persistence {
namespace {

// Collects writes into 1 MB chunks before they reach the file.
class FileSink : public ByteSink {
 public:
  explicit FileSink(AppendFile& file) : file_(file) {}
  bool Write(std::string_view bytes) override {
    buffer_.append(bytes);
    return buffer_.size() < kChunk || Drain();
  }
  bool Drain() {
    size_t written = 0;
    if (!buffer_.empty() && !file_.Write(buffer_, &written, &error_)) return false;
    buffer_.clear();
    return true;
  }
  const std::string& error() const { return error_; }

 private:
  static constexpr size_t kChunk = 1 << 20;
  AppendFile& file_;
  std::string buffer_;
  std::string error_;
};

}  // namespace

bool SaveSnapshotFile(const streams::Keyspace& keyspace, const SnapshotInfo& info,
                      const std::string& dir, const std::string& name, std::string* error) {
  std::string temp = name + ".tmp-" + std::to_string(getpid());
  std::string temp_path = dir + "/" + temp;
  unlink(temp_path.c_str());
  AppendFile file;
  if (!file.Open(temp_path, error)) return false;
  FileSink sink(file);
  bool ok = WriteSnapshot(keyspace, info, sink, error) && sink.Drain();
  if (ok && !sink.error().empty()) {
    *error = sink.error();
    ok = false;
  }
  if (!ok && error->empty()) *error = sink.error();
  ok = ok && file.DataSync(error);
  file.Close();
  if (ok && rename(temp_path.c_str(), (dir + "/" + name).c_str()) != 0) {
    *error = dir + "/" + name + ": " + std::strerror(errno);
    ok = false;
  }
  if (!ok) {
    unlink(temp_path.c_str());
    return false;
  }
  return SyncDirectory(dir, error);
}

FileSource::~FileSource() {
  if (fd_ >= 0) close(fd_);
}

bool FileSource::Open(const std::string& path, std::string* error) {
  fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd_ < 0 || fstat(fd_, &st) != 0) {
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  size_ = static_cast<uint64_t>(st.st_size);
  return true;
}

bool FileSource::Read(size_t n, std::string* out) {
  out->clear();
  if (n > size_ - offset_) return false;  // never read (or allocate) past the end
  while (out->size() < n) {
    if (buffer_pos_ == buffer_.size()) {
      buffer_.resize(1 << 20);
      ssize_t got;
      do {
        got = ::read(fd_, buffer_.data(), buffer_.size());
      } while (got < 0 && errno == EINTR);
      if (got <= 0) return false;
      buffer_.resize(static_cast<size_t>(got));
      buffer_pos_ = 0;
    }
    size_t take = std::min(n - out->size(), buffer_.size() - buffer_pos_);
    out->append(buffer_, buffer_pos_, take);
    buffer_pos_ += take;
  }
  offset_ += n;
  return true;
}

}  // namespace runnel::persistence
