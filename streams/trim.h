// Trims that keep the groups' references in mind (Redis 8.2's KEEPREF / DELREF / ACKED), and
// the two trims of a stream's retention (RETENTION-MAXLEN on each append, RETENTION-MS by the
// cron), each described exactly so the log can replay it (effects::Writer::Trimmed).
//
//   KEEPREF  removes everything before a threshold: described by the threshold itself
//            (an exact MAXLEN = length left, or MINID = first ID left)
//   DELREF   the same entries, dropping them from every group's PEL first: the IDs are
//            listed, with the references dropped
//   ACKED    only entries no group references (delivered to every group, pending in none),
//            which can leave gaps: the IDs are listed
//
// Age-out works in slices: one call examines at most `budget` entries, so a stream with a
// million expired entries is emptied over several cron cycles instead of one long pause.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "streams/stream.h"

namespace runnel::streams {

struct TrimOutcome {
  uint64_t removed = 0;
  // false: everything before a threshold went (KEEPREF); the log writes an exact XTRIM of
  // kind `strategy`, to the length or first ID left (or `minid` when nothing is left).
  // true: the IDs removed are in `ids`, and `dropped` holds the (group, id) references
  // DELREF removed first.
  bool listed = false;
  TrimSpec::Strategy strategy = TrimSpec::Strategy::kNone;
  StreamId minid;
  std::vector<StreamId> ids;
  std::vector<std::pair<std::string_view, StreamId>> dropped;  // group names view the stream's
  uint64_t examined = 0;  // AgeOut: entries looked at, removed or not (the work done)
  bool more = false;      // AgeOut: it stopped at its budget; another slice may find more
};

// RETENTION-MAXLEN under ACKED examines at most this many entries per append.
inline constexpr uint64_t kAckedRetentionWindow = 1000;

// XTRIM / XADD's trim under `policy`.
TrimOutcome TrimWithRefs(Stream& s, const TrimSpec& spec, RefPolicy policy,
                         const StreamLimits& limits);

// RETENTION-MAXLEN after an append: '~' to the stream's maxlen, at most `approx_limit` entries
// (the '~' work limit); under ACKED, examining at most kAckedRetentionWindow entries and none
// past the lowest group position. Nothing when the stream has no RETENTION-MAXLEN.
TrimOutcome TrimToRetention(Stream& s, int64_t approx_limit, const StreamLimits& limits);

// One slice of RETENTION-MS: removes entries whose ID time is before now_ms - max_age_ms,
// examining at most `budget` entries. Under ACKED it passes over entries a group references and
// resumes after them next time (age_scan_from), starting over once it reaches the end.
TrimOutcome AgeOut(Stream& s, int64_t now_ms, size_t budget, const StreamLimits& limits);

}  // namespace runnel::streams
