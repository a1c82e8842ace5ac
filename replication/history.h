// History: which history of the data a server holds, named as Redis names it — a replication ID
// (40 hex digits, new whenever a history starts: a fresh master, a promotion) and the ID it had
// before (replid2), valid up to the offset where the two split. A replica asking to continue
// (PSYNC <replid> <offset>) may, when it names either ID within its range and the backlog still
// holds the bytes it lacks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "replication/backlog.h"

namespace runnel::replication {

// 40 random lowercase hex digits.
std::string NewReplicationId();

inline constexpr std::string_view kNoReplicationId = "0000000000000000000000000000000000000000";

struct History {
  std::string replid = NewReplicationId();
  std::string replid2 = std::string(kNoReplicationId);
  // The first byte that is not part of replid2's history (-1 while there is no replid2).
  int64_t second_offset = -1;

  // A new history begins after byte `end_offset` (a promotion): the current ID becomes the
  // previous one, valid for the bytes up to and including end_offset.
  void Shift(uint64_t end_offset) {
    replid2 = replid;
    second_offset = static_cast<int64_t>(end_offset) + 1;
    replid = NewReplicationId();
  }
  // Forgets the previous ID (a full sync adopts the master's history whole).
  void ClearSecond() {
    replid2 = std::string(kNoReplicationId);
    second_offset = -1;
  }
  // Whether a replica holding `replid`'s history up to byte offset-1 may continue from byte
  // `offset`, with the bytes from there taken from `backlog` (Redis's rules).
  bool MayContinue(std::string_view id, uint64_t offset, const Backlog& backlog) const;
};

}  // namespace runnel::replication
