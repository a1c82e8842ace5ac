// What deleting or trimming a stream entry does to the consumer groups' references to it
// (Redis 8.2's KEEPREF / DELREF / ACKED), and how each outcome is logged.
//
//   KEEPREF  delete; pending entries that name it stay (dangling), as before 8.2
//   DELREF   delete, and remove it from every group's PEL first
//   ACKED    delete only if no group references it: every group has delivered it
//            (Stream::ReferencedByGroups) and none holds it pending
//
// Effects, so that replay removes exactly what was removed: a deletion is XDEL (it moves
// max-deleted-entry-id, as XDELEX does), each reference dropped is XACK key group id. Trims are
// streams/trim.h's, logged by effects::Writer::Trimmed.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "dispatch/context.h"
#include "streams/stream.h"

namespace runnel::commands {

using streams::RefPolicy;

// KEEPREF, DELREF or ACKED in any case; nullopt for anything else.
std::optional<RefPolicy> ParseRefPolicy(std::string_view word);

// Trims `s` (the value of `key`) under `policy`, logging the effects. Returns entries removed.
uint64_t TrimWithPolicy(dispatch::CommandContext& ctx, std::string_view key, streams::Stream& s,
                        const streams::TrimSpec& spec, RefPolicy policy);
// After an append to `s`: its RETENTION-MAXLEN trim (streams/trim.h), logged. Returns entries
// removed.
uint64_t TrimToRetention(dispatch::CommandContext& ctx, std::string_view key, streams::Stream& s);

// Reply codes of XDELEX and XACKDEL for one ID.
inline constexpr int64_t kRefNotFound = -1;
inline constexpr int64_t kRefDeleted = 1;
inline constexpr int64_t kRefKept = 2;  // ACKED, and a group still references it

// Deletes entry `id` of `s` under `policy`, logging the effects; returns the reply code. A
// missing entry is kRefNotFound, except that ACKED answers kRefKept for any referenced ID
// and DELREF drops references to a missing entry too (both as Redis does).
int64_t DeleteWithPolicy(dispatch::CommandContext& ctx, std::string_view key, streams::Stream& s,
                         streams::StreamId id, RefPolicy policy);

}  // namespace runnel::commands
