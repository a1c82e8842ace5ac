#include "replication/history.h"

#include <random>

namespace runnel::replication {

std::string NewReplicationId() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device device;
  std::mt19937_64 rng((static_cast<uint64_t>(device()) << 32) ^ device());
  std::string id(40, '0');
  for (char& c : id) c = kHex[rng() % 16];
  return id;
}

bool History::MayContinue(std::string_view id, uint64_t offset, const Backlog& backlog) const {
  const bool ours = id == replid;
  const bool before_split = id == replid2 && id != kNoReplicationId && second_offset >= 0 &&
                            offset <= static_cast<uint64_t>(second_offset);
  return (ours || before_split) && backlog.Holds(offset);
}

}  // namespace runnel::replication
