// StatusScrape: the body of GET /status.json, what the status page (GET /) draws: one row per
// consumer group (and one per stream without groups) with its lag, pending count, age of the
// oldest pending entry, dead-lettered count and consumers; server-wide sums; and the history
// StatusHistory keeps for the charts.
//
// Rows are capped at metrics-max-series, like the metrics. The rows kept are those with the
// largest backlog (lag, then pending), found with a bounded heap while walking, so memory
// follows the cap and not the keyspace; "omitted" says how many rows were left out. Rows are
// sent largest lag first.
//
// Built in slices (Step) over a StreamWalk, as a metrics scrape is, so the walk of a keyspace of
// any size never stalls the loop for more than a slice. The last step (ranking the kept rows
// and writing the JSON) is one piece whose cost follows the cap, not the keyspace: 36 ms was
// measured for 250,000 rows, with the cap raised to a million.
//
// Names are binary-safe, JSON is not: a stream or group name is written as a JSON string with
// its UTF-8 kept, the bytes that are not UTF-8 written as the four characters \xNN (as in the
// metrics' label values), and <, > and & escaped as \u003c, \u003e and \u0026 so the text is
// safe wherever a page puts it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "server/stream_walk.h"

namespace runnel::server {

class Server;
class StatusHistory;

// A JSON string literal (quotes included) for binary-safe bytes, as described above.
std::string JsonString(std::string_view bytes);

class StatusScrape {
 public:
  StatusScrape(Server& server, const StatusHistory& history, size_t max_rows);
  ~StatusScrape();
  StatusScrape(const StatusScrape&) = delete;
  StatusScrape& operator=(const StatusScrape&) = delete;

  // Walks for about `budget_us`; true once the body is complete (then Take it).
  bool Step(uint64_t budget_us);
  std::string Take();

  class Rows;  // the walk's visitor: the kept rows and the sums (status_json.cc)

 private:
  Server& server_;
  const StatusHistory& history_;
  StreamWalk walk_;
  std::unique_ptr<Rows> rows_;
  std::string text_;
};

}  // namespace runnel::server
