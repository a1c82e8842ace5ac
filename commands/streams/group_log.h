// How what a consumer-group operation changed (streams::GroupChanges) becomes log effects, in
// one place for every command that reads, claims, releases or acknowledges:
//
//   consumer_created  XGROUP CREATECONSUMER        acked     XACK
//   purged            the purge XCLAIM             delivered the delivery XCLAIM, one per entry
//   released          XNACK ... RETRYCOUNT FORCE   position  XGROUP SETID, after the deliveries
//
// The policy's counters a change moved go out as RUNNEL-GROUP-COUNTERS (a dead letter's own
// effect is written by the DeadLetterWriter as it happens). Under MAXPENDING, a change that may
// have freed a consumer's room wakes the key's blocked readers too.
//
// Consumer times: replaying a delivery, a purge or a creation makes the consumer seen (and, for
// a delivery, active) at the record's time, as it was live. A history read re-delivers without
// making the consumer active, so it logs RUNNEL-CONSUMER-TIMES; an operation that changed
// nothing durable (an empty read) only notes the seen time, which is written coalesced, at most
// once a second, so polling consumers do not keep the disk busy (docs/durability.md).
#pragma once

#include <string_view>

#include "dispatch/context.h"
#include "streams/group_ops.h"

namespace runnel::commands {

void LogGroupChanges(dispatch::CommandContext& ctx, std::string_view key,
                     const streams::ConsumerGroup& g, const streams::GroupChanges& changes);

}  // namespace runnel::commands
