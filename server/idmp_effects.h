// How idempotent production (Redis 8.6 XADD IDMP / IDMPAUTO) is written to the append-only
// log: as Runnel's own replay-only records, because replaying XADD IDMP itself would decide
// "duplicate or not" against iid tables whose expiry ran at other times than it did live.
//
//   an iid recorded      RUNNEL-IDMP key pid iid id     (after the XADD key id ... it made;
//                                                         evicts as Record does)
//   a duplicate XADD     RUNNEL-IDMP-DUP key            (iids-duplicates + 1)
//   expiry by the cron   RUNNEL-IDMP-EXPIRE key cutoff-ms
//
// XCFGSET is logged as sent: it reads no clock. Like the other internal effects these are not
// in the command table, so a client that sends one gets "unknown command".
#pragma once

#include <string>
#include <string_view>

#include "resp/arg_list.h"
#include "server/command.h"
#include "streams/keyspace.h"

namespace runnel::server {

void PropagateIdmpRecord(CommandContext& ctx, std::string_view key, std::string_view pid,
                         std::string_view iid, streams::StreamId id);
void PropagateIdmpDuplicate(CommandContext& ctx, std::string_view key);
resp::ArgList IdmpExpireEffect(std::string_view key, int64_t cutoff_ms);

bool IsIdmpEffect(const resp::ArgList& args);
// Applies one to database `db`; false with *error when it names no such stream or is malformed.
bool ApplyIdmpEffect(streams::Database& db, const resp::ArgList& args, int64_t now_ms,
                     std::string* error);

}  // namespace runnel::server
