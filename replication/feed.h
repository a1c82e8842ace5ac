// Feed: the commands the replication stream between Runnel servers is made of, in RESP, so its
// bytes are counted, kept in the backlog and forwarded exactly as Redis's are:
//
//   RUNNEL-RECORD <db> <time-ms> <payload>   one log record (effects/record.h): the effects of
//                                            one command, transaction or cron pass, applied
//                                            whole with the master's time, as replay applies it
//   PUBLISH <channel> <message>              a message published on the master (Sentinel's
//                                            hellos travel this way)
//   ping                                     the keepalive (repl-ping-replica-period)
//   REPLCONF GETACK *                        asks the replica to acknowledge its offset (WAIT)
//
// A replica therefore applies exactly what its master logged, never re-running commands, and a
// replica's own log holds the same records.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "resp/arg_list.h"

namespace runnel::replication {

inline constexpr std::string_view kRecordCommand = "RUNNEL-RECORD";
inline constexpr std::string_view kPing = "*1\r\n$4\r\nping\r\n";
inline constexpr std::string_view kGetAck = "*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n";

void AppendRecord(std::string* out, int db, int64_t time_ms, std::string_view payload);
void AppendPublish(std::string* out, std::string_view channel, std::string_view message);

struct FeedRecord {
  int db = 0;
  int64_t time_ms = 0;
  std::string_view payload;  // points into the arguments
};
// A RUNNEL-RECORD command's fields; nullopt when `args` is not a well-formed one.
std::optional<FeedRecord> ParseRecord(const resp::ArgList& args);

}  // namespace runnel::replication
