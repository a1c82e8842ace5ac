// Replay: applying effects (writer.h's catalogue) to a keyspace — loading the log at start-up,
// and, in a later issue, a replica applying what its master sends.
//
// Effects are applied through the data model directly, never through command handlers: an
// effect says what changed, so applying it needs no parsing of options, no clock and no
// configuration but what the log itself carries (the block limits, RUNNEL-LIMITS). Keys are
// looked up without expiring them: the log holds the DEL of every key that expired, at the
// moment it did, so the clock at replay decides nothing.
//
// An effect whose target (key, group, consumer, entry) is gone changes nothing and is counted
// as skipped, as the command it stands for would have done nothing. Logs written before 0.2
// hold such effects: a command that failed after a key expired was logged as if it had
// succeeded. A new log has none; the loader reports the count. An effect that is malformed or
// contradicts the data (an XADD below the stream's last ID) fails the replay.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "resp/arg_list.h"
#include "streams/keyspace.h"
#include "streams/stream.h"

namespace runnel::effects {

struct ApplyContext {
  explicit ApplyContext(streams::Keyspace& ks) : keyspace(ks) {}

  streams::Keyspace& keyspace;
  int db = 0;           // the database effects apply to; SELECT changes it
  int64_t time_ms = 0;  // the time of the record being applied
  // Block limits appends and removals follow; RUNNEL-LIMITS changes them.
  streams::StreamLimits limits;
  bool limits_stated = false;  // a RUNNEL-LIMITS was applied (logs before 0.2.0 have none)
  // Settings of a stream an effect creates (a log since 8.6 support follows with XCFGSET).
  streams::IdmpConfig new_stream;
  uint64_t skipped = 0;  // effects that found their target gone
  uint64_t applied = 0;  // effects applied, skipped ones included

  streams::Database& database() { return keyspace.db(db); }
};

// Applies every effect of one record's payload, in order. The context's db starts as the
// record's. False with *error naming the effect when one is malformed or contradicts the data.
bool ApplyPayload(ApplyContext& ctx, std::string_view payload, std::string* error);

// Applies one effect (a SELECT included).
bool ApplyEffect(ApplyContext& ctx, const resp::ArgList& args, std::string* error);

}  // namespace runnel::effects
