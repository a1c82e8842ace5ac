// Small, honest file I/O for persistence: raw system calls, errors reported with errno text,
// nothing hidden behind a buffer that could swallow a failed write.
//
// AppendFile owns a descriptor (RAII); MappedFile a read-only mapping (RAII), which is how the
// loader reads a log: the bytes stay in the page cache instead of a copy in the process. The
// loader reads a whole file once to verify it before replaying it, so every page is mapped in
// at first, but they are clean file pages the kernel may drop under pressure, and the pages
// already replayed are handed back as replay goes (Release). WriteFileDurably is the crash-safe way
// to replace a file: write a temporary in the same directory, fsync it, rename it over the target,
// fsync the directory; at every instant the target is either the old file or the new one. These use
// only async-signal-safe calls on purpose, so a forked child may use them too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace runnel::persistence {

class AppendFile {
 public:
  AppendFile() = default;
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  AppendFile(AppendFile&& o) noexcept;
  AppendFile& operator=(AppendFile&& o) noexcept;
  ~AppendFile();

  // Opens (creating if needed) for appending. False with *error on failure.
  bool Open(const std::string& path, std::string* error);
  bool is_open() const { return fd_ >= 0; }
  // Writes all bytes (retrying short writes). On failure *written says how many got out.
  bool Write(std::string_view bytes, size_t* written, std::string* error);
  bool DataSync(std::string* error);
  // Cuts the file to `size` bytes (undoing a partial write).
  bool Truncate(uint64_t size, std::string* error);
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }
  void Close();

 private:
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string path_;
};

class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  // Maps the whole file read-only. False with *error on failure. An empty file maps to no bytes.
  bool Open(const std::string& path, std::string* error);
  std::string_view bytes() const { return {static_cast<const char*>(data_), size_}; }
  // The bytes before `offset` will not be read again: their pages may go.
  void Release(size_t offset);
  void Close();

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
  size_t released_ = 0;
};

bool ReadWholeFile(const std::string& path, std::string* out, std::string* error);
// Writes `bytes` to dir/name via a temporary file, fsync, rename and directory fsync.
bool WriteFileDurably(const std::string& dir, const std::string& name, std::string_view bytes,
                      std::string* error);
bool SyncDirectory(const std::string& dir, std::string* error);
bool TruncateFile(const std::string& path, uint64_t size, std::string* error);

}  // namespace runnel::persistence
