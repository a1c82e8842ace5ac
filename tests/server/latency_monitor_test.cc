// The LATENCY monitor's event store and the cumulative histogram behind LATENCY HISTOGRAM.
#include <doctest/doctest.h>

#include <string>

#include "dispatch/command_stats.h"
#include "dispatch/latency_monitor.h"

using runnel::dispatch::LatencyHistogram;
using runnel::dispatch::LatencyMonitor;

TEST_CASE("LatencyMonitor: one sample per second at its maximum, 160 kept, all-time max") {
  LatencyMonitor m;
  m.Add("command", 70, 1000);
  m.Add("command", 90, 1000);  // same second: merged into the larger
  m.Add("command", 60, 1000);
  m.Add("fast-command", 5, 1000);
  const auto& e = m.events().at("command");
  REQUIRE(e.samples.size() == 1);
  CHECK(e.samples.back().ms == 90);
  CHECK(e.max_ms == 90);
  for (int64_t s = 1001; s < 1001 + 200; ++s) m.Add("command", 50, s);
  CHECK(e.samples.size() == LatencyMonitor::kMaxSamples);
  CHECK(e.samples.front().unix_s == 1001 + 200 - 160);  // the oldest went first
  CHECK(e.max_ms == 90);                                 // outlives its sample

  CHECK(m.Reset({"nosuch"}) == 0);
  CHECK(m.Reset({"command", "command"}) == 1);
  CHECK(m.events().size() == 1);
  CHECK(m.Reset({}) == 1);
  CHECK(m.events().empty());
}

TEST_CASE("LatencyHistogram::CumulativePowersOfTwo: running totals at power-of-two bounds") {
  LatencyHistogram h;
  CHECK(h.CumulativePowersOfTwo().empty());
  h.Record(3);     // <= 4
  h.Record(4);     // <= 4
  h.Record(5);     // <= 8
  h.Record(1000);  // <= 1024
  const auto buckets = h.CumulativePowersOfTwo();
  REQUIRE(buckets.size() == 3);
  CHECK(buckets[0] == std::pair<uint64_t, uint64_t>{4, 2});
  CHECK(buckets[1] == std::pair<uint64_t, uint64_t>{8, 3});
  CHECK(buckets[2] == std::pair<uint64_t, uint64_t>{1024, 4});
}
