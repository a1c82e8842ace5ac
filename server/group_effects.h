// How consumer-group changes are written to the append-only log: as idempotent commands that
// set state rather than repeat what happened (docs/durability.md).
//
//   a delivery or claim  XCLAIM key group consumer 0 id TIME <ms> RETRYCOUNT <n> FORCE JUSTID
//                        LASTID <group's last-delivered-id>
//   a purged entry       XCLAIM key group consumer 0 id   (replay finds the entry gone too)
//   the read position    XGROUP SETID key group <last-delivered-id> ENTRIESREAD <n>
//   a new consumer       XGROUP CREATECONSUMER key group consumer
//   consumer times       RUNNEL-CONSUMER-TIMES key group consumer <seen-ms> <active-ms>
//   a DELREF/ACKED trim  RUNNEL-TRIM key id [id ...]   (the entries it removed, any order
//                        gaps included; max-deleted-entry-id stays, as for any trim)
//
// The last two are Runnel's own. No Redis command sets a consumer's seen and active times, yet
// every XREADGROUP, XCLAIM and XAUTOCLAIM changes them (even one that returns nothing), and
// replaying the XCLAIMs above would set them differently. No Redis command removes entries as
// a trim does (XDEL moves max-deleted-entry-id) except at a MAXLEN/MINID threshold, which
// cannot describe an ACKED trim's gaps. Only replay understands them: they are not in the
// command table, so a client that sends one gets "unknown command".
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "resp/arg_list.h"
#include "server/command.h"
#include "streams/consumer_group.h"
#include "streams/stream.h"

namespace runnel::server {

// `id` must be pending in `group` (it was just delivered or claimed).
void PropagateDelivery(CommandContext& ctx, std::string_view key, std::string_view group_name,
                       const streams::ConsumerGroup& group, streams::StreamId id);
void PropagatePurge(CommandContext& ctx, std::string_view key, std::string_view group_name,
                    std::string_view consumer, streams::StreamId id);
void PropagateGroupPosition(CommandContext& ctx, std::string_view key, std::string_view group_name,
                            const streams::ConsumerGroup& group);
void PropagateConsumerCreated(CommandContext& ctx, std::string_view key,
                              std::string_view group_name, std::string_view consumer);
void PropagateConsumerTimes(CommandContext& ctx, std::string_view key, std::string_view group_name,
                            const streams::Consumer& consumer);
void PropagateTrimmedIds(CommandContext& ctx, std::string_view key,
                         std::span<const streams::StreamId> ids);

// A pending entry was added, released or made older: blocked XREADGROUP CLAIM readers of
// `key` look again (their timed wake only knows the entries that were pending when they
// blocked). Not an effect for the log; grouped here with the other group-change hooks.
void NotifyClaimable(CommandContext& ctx, std::string_view key);

// Replay of the effects only Runnel writes (these and idmp_effects.h's). IsInternalEffect says
// whether `args` is one;
// ApplyInternalEffect applies it to database `db`, false with *error when it cannot.
bool IsInternalEffect(const resp::ArgList& args);
bool ApplyInternalEffect(streams::Database& db, const resp::ArgList& args, int64_t now_ms,
                         const streams::StreamLimits& limits, std::string* error);

}  // namespace runnel::server
