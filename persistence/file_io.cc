// Raw POSIX file I/O for persistence. See file_io.h.
//
// Only system calls (open, read, write, fstat, fsync, fdatasync, ftruncate, rename, unlink,
// close): no stdio, no streams, no locks of our own, so a child forked from the multithreaded
// server can use these. The one thing left that allocates is building error strings and paths.
// Error text comes from strerrordesc_np where glibc has it: unlike strerror it neither
// translates (which takes locale locks) nor writes a shared buffer.
//
// EINTR is retried everywhere except close(), which on Linux releases the descriptor even when
// it reports EINTR, so a retry could close a descriptor another thread just opened.
#include "persistence/file_io.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace runnel::persistence {
namespace {

const char* ErrnoText(int err) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char* text = strerrordesc_np(err);
  if (text != nullptr) return text;
  return "Unknown error";
#else
  return std::strerror(err);
#endif
}

// "<path>: <error text>"; always returns false so callers can `return Fail(...)`.
bool Fail(std::string* error, const std::string& path, int err) {
  if (error != nullptr) *error = path + ": " + ErrnoText(err);
  return false;
}

int OpenRetrying(const std::string& path, int flags, mode_t mode = 0) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// Opens `path` and reads its size; the descriptor, or -1 with *error.
int OpenSized(const std::string& path, int flags, uint64_t* size, std::string* error) {
  const int fd = OpenRetrying(path, flags, 0644);
  if (fd < 0) {
    Fail(error, path, errno);
    return -1;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    Fail(error, path, err);
    return -1;
  }
  *size = static_cast<uint64_t>(st.st_size);
  return fd;
}

// Writes all of `bytes`, retrying EINTR and short writes. *written counts what got out. A
// write() that returns 0 for a non-empty buffer would loop forever; it is reported as EIO.
bool WriteAll(int fd, std::string_view bytes, size_t* written, int* err) {
  *written = 0;
  while (*written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + *written, bytes.size() - *written);
    if (n > 0) {
      *written += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      *err = n == 0 ? EIO : errno;
      return false;
    }
  }
  return true;
}

bool FsyncRetrying(int fd, bool data_only, int* err) {
  int rc;
  do {
    rc = data_only ? ::fdatasync(fd) : ::fsync(fd);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) *err = errno;
  return rc == 0;
}

bool FtruncateRetrying(int fd, uint64_t size, int* err) {
  int rc;
  do {
    rc = ::ftruncate(fd, static_cast<off_t>(size));
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) *err = errno;
  return rc == 0;
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

// Writes, fsyncs and closes a new file; on any failure *err is set and the file is left for the
// caller to remove.
bool WriteNewFile(const std::string& path, std::string_view bytes, int* err) {
  const int fd = OpenRetrying(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    *err = errno;
    return false;
  }
  size_t written = 0;
  bool ok = WriteAll(fd, bytes, &written, err) && FsyncRetrying(fd, /*data_only=*/false, err);
  // close() can report a delayed write error (NFS); after a successful fsync it should not.
  if (::close(fd) != 0 && ok && errno != EINTR) {
    *err = errno;
    ok = false;
  }
  return ok;
}

}  // namespace

AppendFile::AppendFile(AppendFile&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), size_(std::exchange(o.size_, 0)), path_(std::move(o.path_)) {}

AppendFile& AppendFile::operator=(AppendFile&& o) noexcept {
  if (this != &o) {
    Close();
    fd_ = std::exchange(o.fd_, -1);
    size_ = std::exchange(o.size_, 0);
    path_ = std::move(o.path_);
  }
  return *this;
}

AppendFile::~AppendFile() { Close(); }

bool AppendFile::Open(const std::string& path, std::string* error) {
  Close();
  const int fd = OpenSized(path, O_WRONLY | O_CREAT | O_APPEND, &size_, error);
  if (fd < 0) return false;
  fd_ = fd;
  path_ = path;
  return true;
}

bool AppendFile::Write(std::string_view bytes, size_t* written, std::string* error) {
  size_t out = 0;
  bool ok = false;
  int err = EBADF;
  if (fd_ >= 0) {
    ok = WriteAll(fd_, bytes, &out, &err);
    size_ += out;
  }
  if (written != nullptr) *written = out;
  return ok || Fail(error, path_, err);
}

bool AppendFile::DataSync(std::string* error) {
  int err = EBADF;
  return (fd_ >= 0 && FsyncRetrying(fd_, /*data_only=*/true, &err)) || Fail(error, path_, err);
}

bool AppendFile::Truncate(uint64_t size, std::string* error) {
  int err = EBADF;
  if (fd_ < 0 || !FtruncateRetrying(fd_, size, &err)) return Fail(error, path_, err);
  size_ = size;  // O_APPEND: the next write lands at the new end
  return true;
}

void AppendFile::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  size_ = 0;
}

MappedFile::~MappedFile() { Close(); }

bool MappedFile::Open(const std::string& path, std::string* error) {
  Close();
  uint64_t size = 0;
  const int fd = OpenSized(path, O_RDONLY, &size, error);
  if (fd < 0) return false;
  size_ = static_cast<size_t>(size);
  if (size_ > 0) {
    data_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data_ == MAP_FAILED) {
      const int err = errno;
      data_ = nullptr;
      size_ = 0;
      ::close(fd);
      return Fail(error, path, err);
    }
    ::madvise(data_, size_, MADV_SEQUENTIAL);
  }
  ::close(fd);  // the mapping keeps the file
  released_ = 0;
  return true;
}

void MappedFile::Release(size_t offset) {
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const size_t end = std::min(offset, size_) / page * page;
  if (data_ == nullptr || end <= released_) return;
  ::madvise(static_cast<char*>(data_) + released_, end - released_, MADV_DONTNEED);
  released_ = end;
}

void MappedFile::Close() {
  if (data_ != nullptr) ::munmap(data_, size_);
  data_ = nullptr;
  size_ = released_ = 0;
}

bool ReadWholeFile(const std::string& path, std::string* out, std::string* error) {
  const int fd = OpenRetrying(path, O_RDONLY);
  if (fd < 0) return Fail(error, path, errno);
  out->clear();
  struct stat st;
  // The size from fstat is only a hint (the file may grow): read that much first, into a buffer
  // of exactly that size, then in chunks until end of file. Growing a buffer past its capacity
  // copies it into one twice the size: for a log of a few GB that alone cost seconds.
  size_t want = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) : 0;
  constexpr size_t kChunk = 1 << 16;
  out->resize(std::max(want, kChunk));
  size_t have = 0;
  while (true) {
    if (have == out->size()) out->resize(have + kChunk);
    const ssize_t n = ::read(fd, out->data() + have, out->size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      out->resize(have);
      ::close(fd);
      return n == 0 || Fail(error, path, err);
    }
    have += static_cast<size_t>(n);
  }
}

bool WriteFileDurably(const std::string& dir, const std::string& name, std::string_view bytes,
                      std::string* error) {
  const std::string target = JoinPath(dir, name);
  const std::string temp = target + ".tmp-" + std::to_string(::getpid());
  int err = 0;
  if (!WriteNewFile(temp, bytes, &err)) {
    ::unlink(temp.c_str());
    return Fail(error, temp, err);
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    err = errno;
    ::unlink(temp.c_str());
    return Fail(error, target, err);
  }
  // From here on the target is the new file; a failed directory fsync only means the rename
  // might not survive a power loss, which the caller must treat as a failed write.
  return SyncDirectory(dir.empty() ? "." : dir, error);
}

bool SyncDirectory(const std::string& dir, std::string* error) {
  const int fd = OpenRetrying(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Fail(error, dir, errno);
  int err = 0;
  bool ok = FsyncRetrying(fd, /*data_only=*/false, &err);
  // Some file systems cannot fsync a directory and say so with EINVAL (or EBADF); there is
  // nothing better to do there, so that is not an error (Redis does the same).
  if (!ok && (err == EINVAL || err == EBADF)) ok = true;
  ::close(fd);
  return ok || Fail(error, dir, err);
}

bool TruncateFile(const std::string& path, uint64_t size, std::string* error) {
  const int fd = OpenRetrying(path, O_WRONLY);
  if (fd < 0) return Fail(error, path, errno);
  int err = 0;
  // Made durable at once: a torn tail cut at start-up must not come back after a power loss
  // with new records appended behind it.
  const bool ok = FtruncateRetrying(fd, size, &err) && FsyncRetrying(fd, false, &err);
  ::close(fd);
  return ok || Fail(error, path, err);
}

}  // namespace runnel::persistence
