// The latency histogram behind INFO latencystats, and the error-code counting behind
// errorstats.
#include <doctest/doctest.h>

#include <string>

#include "dispatch/command_stats.h"

using runnel::dispatch::CommandStats;
using runnel::dispatch::LatencyHistogram;

TEST_CASE("LatencyHistogram: exact below 128 us, within 1/64 above, percentiles by rank") {
  LatencyHistogram h;
  CHECK(h.Percentile(50) == 0);  // nothing recorded
  for (uint64_t us = 1; us <= 100; ++us) h.Record(us);
  CHECK(h.count() == 100);
  CHECK(h.Percentile(50) == 50);
  CHECK(h.Percentile(99) == 99);
  CHECK(h.Percentile(99.9) == 100);
  CHECK(h.Percentile(100) == 100);
  // Above the exact range a value reads back as its bucket's upper bound: never below it, at
  // most 1/64 above.
  for (uint64_t us : {128ULL, 1000ULL, 65535ULL, 1234567ULL, 1ULL << 35}) {
    LatencyHistogram one;
    one.Record(us);
    const double read = one.Percentile(50);
    CHECK(read >= static_cast<double>(us));
    CHECK(read <= static_cast<double>(us) * (1 + 1.0 / 64));
  }
  // Past the range (2^37 us, a day and a half) everything lands in the last bucket.
  LatencyHistogram huge;
  huge.Record(UINT64_MAX);
  CHECK(huge.Percentile(50) > 1e11);
}

TEST_CASE("CommandStats: errors counted by their code, at most kMaxErrorCodes codes") {
  CommandStats s;
  s.CountError("ERR syntax error");
  s.CountError("ERR wrong number of arguments for 'get' command");
  s.CountError("WRONGTYPE Operation against a key holding the wrong kind of value");
  s.CountError("NOSPACE");
  CHECK(s.total_errors() == 4);
  CHECK(s.error_codes().at("ERR") == 2);
  CHECK(s.error_codes().at("WRONGTYPE") == 1);
  CHECK(s.error_codes().at("NOSPACE") == 1);
  for (size_t i = 0; i < 2 * CommandStats::kMaxErrorCodes; ++i) {
    s.CountError("CODE" + std::to_string(i) + " x");
  }
  CHECK(s.error_codes().size() == CommandStats::kMaxErrorCodes);
  CHECK(s.total_errors() == 4 + 2 * CommandStats::kMaxErrorCodes);
  s.Reset();
  CHECK(s.total_errors() == 0);
  CHECK(s.error_codes().empty());
}
