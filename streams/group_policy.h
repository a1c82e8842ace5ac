// A consumer group's delivery policy (Runnel's queue extensions, docs/queues.md) and the counters
// the policy keeps. XGROUP SETPOLICY sets it; streams/group_ops.h applies it, in the one place
// each rule belongs:
//
//   max_deliveries   an entry delivered this many times that would be delivered again (a claim
//                    or XREADGROUP CLAIM) or is released by XNACK FAIL goes to the dead-letter
//                    stream instead and is acknowledged; needs dead_letter. 0: no limit.
//   dead_letter      the dead-letter stream's key (same database); "" for none. XNACK FATAL
//                    sends an entry there at once.
//   backoff          after its d-th delivery (or its release by XNACK FAIL / FATAL), an entry
//                    waits backoff[min(d, size) - 1] ms before XAUTOCLAIM or XREADGROUP CLAIM may
//                    take it. Empty: no wait beyond the reader's min-idle-time.
//   max_pending      a consumer holding this many pending entries gets no more from XREADGROUP
//                    (prefetch). 0: no limit.
//   consumer_expire  a consumer with nothing pending and no interaction for this many ms is
//                    deleted by the server's cron. 0: never.
//
// Invariants: max_deliveries > 0 implies a dead_letter key; backoff holds values in
// [0, kMaxPolicyMs], at most kMaxBackoffSteps of them, and is empty rather than all zeros; every
// number is within its range (ParsePolicy checks them, replay included).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace runnel::streams {

inline constexpr int64_t kMaxPolicyMs = int64_t{1} << 40;  // about 35 years
inline constexpr size_t kMaxBackoffSteps = 64;
inline constexpr int64_t kMaxPolicyCount = INT32_MAX;

struct GroupPolicy {
  uint64_t max_deliveries = 0;
  std::string dead_letter;
  std::vector<int64_t> backoff;
  uint64_t max_pending = 0;
  int64_t consumer_expire_ms = 0;

  bool empty() const {
    return max_deliveries == 0 && dead_letter.empty() && backoff.empty() && max_pending == 0 &&
           consumer_expire_ms == 0;
  }
  // The wait after an entry's d-th delivery: backoff[min(d, size) - 1], or 0 (d == 0 or none).
  int64_t BackoffAfter(uint64_t deliveries) const {
    if (backoff.empty() || deliveries == 0) return 0;
    size_t i = deliveries >= backoff.size() ? backoff.size() - 1 : deliveries - 1;
    return backoff[i];
  }
  // The shortest wait any entry delivered at least once has (0 with no backoff).
  int64_t MinBackoff() const;
  bool operator==(const GroupPolicy&) const = default;
};

// What the policy did, for XINFO and the metrics. Kept as the group changes; logged and saved
// with it.
// What the group's consumers did since the server started (the metrics' counters): observation
// only, neither logged nor saved nor copied, so a restart starts them from 0 as Prometheus
// expects of counters.
struct GroupActivity {
  uint64_t delivered = 0;     // entries handed to a consumer: new, re-read or claimed
  uint64_t read = 0;          // entries read for the first time
  uint64_t acknowledged = 0;  // XACK / XACKDEL
  uint64_t claimed = 0;       // taken over by XCLAIM, XAUTOCLAIM or XREADGROUP CLAIM
  uint64_t nacked = 0;        // released by XNACK
};

struct GroupCounters {
  uint64_t dead_lettered = 0;         // entries moved to the dead-letter stream
  uint64_t dead_letter_failures = 0;  // attempts refused because the key holds another type
  uint64_t consumers_expired = 0;     // consumers deleted by CONSUMER-EXPIRE
  bool operator==(const GroupCounters&) const = default;
};

enum class PolicyError : uint8_t {
  kOk = 0,
  kUnknownName,         // not a policy name
  kMissingValue,        // a name with no value after it
  kBadNumber,           // not an integer, or out of its range
  kTooManySteps,        // BACKOFF with more than kMaxBackoffSteps values
  kDeadLetterIsSource,  // DEADLETTER names the group's own stream
  kNeedsDeadLetter,     // MAXDELIVERIES without a DEADLETTER key
};

// Applies `args` (name value [name value ...]; BACKOFF takes one or more values) to `policy`.
// Names are case-insensitive. On failure `policy` is unchanged and *at says which argument
// (an index into args). `key` is the stream's own key, which DEADLETTER may not name; empty
// skips that check, as loading and replay must: COPY and RENAME can give a stream a group
// that dead-letters into the stream's new name (dead letters into the source are refused
// when they happen, dead_letters.cc), and such a state must still load.
PolicyError ParsePolicy(std::span<const std::string_view> args, std::string_view key,
                        GroupPolicy* policy, size_t* at);

// The policy as `name value` pairs, every name present, in one fixed order: what XGROUP
// GETPOLICY replies and the log's SETPOLICY effect carries. BACKOFF's values follow it as one
// text each.
std::vector<std::string> PolicyArgs(const GroupPolicy& policy);

}  // namespace runnel::streams
