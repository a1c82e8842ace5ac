// MetricsScrape: the Prometheus text exposition (format 0.0.4) GET /metrics serves: the server,
// its commands and errors, and every stream, consumer group and consumer, with the names, units
// and help texts docs/metrics.md lists.
//
// Cardinality is capped: streams are described one by one until their series (a stream's own,
// each group's, each consumer's) would pass metrics-max-series; the streams after that are
// summed into one stream="other" row per family (and group="other", consumer="other"), so a
// million streams cost a scrape no more series than the cap allows. Label values are escaped
// as the format requires; bytes that are not UTF-8 become \xNN.
//
// A scrape is built in slices (Step), so describing a million streams never stops the loop for
// longer than a slice: between slices the server runs commands as usual. Streams are visited
// with StreamWalk (server/stream_walk.h), which needs no memory per key and restarts the
// gathering if a table shrinks under it. Keys added or removed during a scrape may or may not
// be in it, as with SCAN.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/stream_walk.h"

namespace runnel::server {

class Server;
class StreamMetrics;

class MetricsScrape : private StreamWalk::Visitor {
 public:
  MetricsScrape(Server& server, size_t max_series);
  ~MetricsScrape();
  MetricsScrape(const MetricsScrape&) = delete;
  MetricsScrape& operator=(const MetricsScrape&) = delete;

  // Describes streams for about `budget_us`; true once the text is complete (then Take it).
  bool Step(uint64_t budget_us);
  // The text in parts, to be sent one after the other: the large families are not copied
  // into one string, which for a large scrape would be the longest pause of all.
  std::vector<std::string> Take();

 private:
  void Visit(int db, std::string_view key, const streams::Stream& stream) override;
  void Restart() override;

  Server& server_;
  const size_t max_series_;
  StreamWalk walk_;
  std::unique_ptr<StreamMetrics> streams_;
  bool done_ = false;
  std::vector<std::string> parts_;
};

}  // namespace runnel::server
