// BuildMetrics: the Prometheus text exposition (format 0.0.4) GET /metrics serves: the server,
// its commands and errors, and every stream, consumer group and consumer, with the names, units
// and help texts docs/metrics.md lists.
//
// Cardinality is capped: streams are described one by one until their series (a stream's own,
// each group's, each consumer's) would pass metrics-max-series; the streams after that are
// summed into one stream="other" row per family (and group="other", consumer="other"), so a
// million streams cost a scrape no more series than the cap allows. Label values are escaped
// as the format requires; bytes that are not UTF-8 become \xNN.
#pragma once

#include <cstddef>
#include <string>

namespace runnel::server {

class Server;

std::string BuildMetrics(Server& server, size_t max_series);

}  // namespace runnel::server
