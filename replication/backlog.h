// Backlog: the newest bytes of the replication stream, kept so a replica whose link broke can
// continue from the byte it lacks (PSYNC) instead of loading the whole dataset again.
//
// Offsets are Redis's: the stream's bytes are numbered from 1, end_offset() is how many there
// have been (master_repl_offset), and the backlog holds the histlen() bytes ending there, from
// first_offset() on. A byte falls out when capacity() newer ones have come. A fixed ring: no
// allocation per append.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace runnel::replication {

class Backlog {
 public:
  // An empty backlog whose next byte will be number `end_offset + 1`.
  Backlog(size_t capacity, uint64_t end_offset);

  void Append(std::string_view bytes);
  // Keeps the newest bytes that fit (repl-backlog-size changed).
  void Resize(size_t capacity);

  size_t capacity() const { return ring_.size(); }
  uint64_t end_offset() const { return end_; }
  uint64_t histlen() const { return histlen_; }
  // repl_backlog_first_byte_offset: the number of the oldest byte held (end + 1 when empty).
  uint64_t first_offset() const { return end_ - histlen_ + 1; }
  // Whether the bytes from number `offset` to the end are all held (a replica asking to
  // continue at `offset`; offset == end_offset() + 1 asks for nothing, and is held).
  bool Holds(uint64_t offset) const { return offset >= first_offset() && offset <= end_ + 1; }
  // The bytes from number `offset` to the end; Holds(offset) must be true.
  std::string CopyFrom(uint64_t offset) const;

 private:
  std::string ring_;
  size_t next_ = 0;       // where the next byte goes in ring_
  uint64_t histlen_ = 0;  // bytes held, at most ring_.size()
  uint64_t end_ = 0;
};

}  // namespace runnel::replication
