// FdSource: a ByteSource reading a file descriptor with read(2), for RDB files on disk (an
// import, or the file a Redis master sent). The caller opens and closes the descriptor.
#pragma once

#include <string>

#include "rdb/input.h"

namespace runnel::rdb {

class FdSource : public ByteSource {
 public:
  explicit FdSource(int fd) : fd_(fd) {}
  size_t Read(char* buf, size_t n) override;
  std::string error() const override { return error_; }

 private:
  int fd_;
  std::string error_;
};

}  // namespace runnel::rdb
