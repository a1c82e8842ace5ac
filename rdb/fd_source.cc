#include "rdb/fd_source.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace runnel::rdb {

size_t FdSource::Read(char* buf, size_t n) {
  while (true) {
    ssize_t got = ::read(fd_, buf, n);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno == EINTR) continue;
    error_ = std::string("read failed: ") + std::strerror(errno);
    return 0;
  }
}

}  // namespace runnel::rdb
