#include "replication/backlog.h"

#include <algorithm>

namespace runnel::replication {

Backlog::Backlog(size_t capacity, uint64_t end_offset)
    : ring_(std::max<size_t>(capacity, 1), '\0'), end_(end_offset) {}

void Backlog::Append(std::string_view bytes) {
  end_ += bytes.size();
  const size_t size = ring_.size();
  if (bytes.size() >= size) bytes.remove_prefix(bytes.size() - size);  // only the newest fit
  while (!bytes.empty()) {
    const size_t n = std::min(bytes.size(), size - next_);
    ring_.replace(next_, n, bytes.data(), n);
    next_ = (next_ + n) % size;
    bytes.remove_prefix(n);
    histlen_ = std::min<uint64_t>(histlen_ + n, size);
  }
}

void Backlog::Resize(size_t capacity) {
  capacity = std::max<size_t>(capacity, 1);
  if (capacity == ring_.size()) return;
  const uint64_t keep = std::min<uint64_t>(histlen_, capacity);
  std::string newest = CopyFrom(end_ - keep + 1);
  ring_.assign(capacity, '\0');
  next_ = 0;
  histlen_ = 0;
  end_ -= keep;
  Append(newest);
}

std::string Backlog::CopyFrom(uint64_t offset) const {
  if (!Holds(offset)) return {};
  const size_t want = static_cast<size_t>(end_ + 1 - offset);
  const size_t size = ring_.size();
  size_t at = (next_ + size - want) % size;  // want <= histlen_ <= size
  std::string out;
  out.reserve(want);
  while (out.size() < want) {
    const size_t n = std::min(want - out.size(), size - at);
    out.append(ring_, at, n);
    at = (at + n) % size;
  }
  return out;
}

}  // namespace runnel::replication
