// Snapshots as files: written to a temporary file, fsynced, renamed over the target and the
// directory fsynced (so the previous snapshot stays until the new one is durable), and read
// back through a buffered source for the incremental loader. Raw system calls only, so a
// forked child can write a snapshot.
#pragma once

#include <cstdint>
#include <string>

#include "persistence/snapshot.h"
#include "streams/keyspace.h"

namespace runnel::persistence {

// Writes `keyspace` to dir/name durably. On failure the old file (if any) is untouched and the
// temporary removed.
bool SaveSnapshotFile(const streams::Keyspace& keyspace, const SnapshotInfo& info,
                      const std::string& dir, const std::string& name, std::string* error);

// Reads a file through a 1 MB buffer.
class FileSource : public ByteSource {
 public:
  FileSource() = default;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  ~FileSource() override;

  bool Open(const std::string& path, std::string* error);
  bool Read(size_t n, std::string* out) override;
  uint64_t offset() const override { return offset_; }
  uint64_t size() const { return size_; }

 private:
  int fd_ = -1;
  uint64_t offset_ = 0;
  uint64_t size_ = 0;
  std::string buffer_;
  size_t buffer_pos_ = 0;
};

}  // namespace runnel::persistence
