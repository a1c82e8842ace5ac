// Stream behaviour at block boundaries, with small fixed scenarios: values of every encoding
// width round-tripping through blocks, '~' trims removing whole blocks only (and LIMIT counting
// whole blocks), exact trims finishing inside a block, compaction and merging after deletes
// (and not merging past node_max_bytes), and ranges with bounds inside, between and outside
// blocks in both directions.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "streams/stream.h"
#include "tests/streams/stream_test_util.h"

namespace runnel::streams {
namespace {

using namespace runnel::streams::testing;  // NOLINT: test helpers

TEST_CASE("values round-trip byte-exactly, integers in every encoding width") {
  const std::vector<std::string> values = {"0",
                                           "1",
                                           "127",
                                           "128",
                                           "-1",
                                           "-64",
                                           "4095",
                                           "4096",
                                           "-4096",
                                           "-4097",
                                           "32767",
                                           "32768",
                                           "-32768",
                                           "-32769",
                                           "8388607",
                                           "8388608",
                                           "-8388608",
                                           "-8388609",
                                           "2147483647",
                                           "2147483648",
                                           "-2147483648",
                                           "-2147483649",
                                           "9223372036854775807",
                                           "-9223372036854775808",
                                           "9223372036854775808",
                                           "007",
                                           "+1",
                                           "-0",
                                           "1.5",
                                           "",
                                           " 1",
                                           std::string(63, 'x'),
                                           std::string(64, 'y'),
                                           std::string(4095, 'z'),
                                           std::string(4096, 'w'),
                                           std::string(70000, 'v'),
                                           std::string("\0\xff\r\n", 4)};
  for (uint64_t bytes : {0, 16, 100}) {
    StreamLimits limits;
    limits.node_max_entries = 3;
    limits.node_max_bytes = bytes;
    Stream s;
    Model model;
    uint64_t ms = 1;
    for (const std::string& v : values) {
      // As a value under a master field, and as a field name under a value.
      Fields a = {"f", v, "g", v};
      Fields b = {v, "x"};
      Add(s, {ms, 0}, a, limits);
      Add(s, {ms, 1}, b, limits);
      model[{ms, 0}] = a;
      model[{ms, 1}] = b;
      ++ms;
    }
    CHECK(ReadRange(s, StreamId::Min(), StreamId::Max(), false) ==
          ModelRange(model, StreamId::Min(), StreamId::Max(), false));
    CHECK(CheckBlocks(s, limits).empty());
  }
}

TEST_CASE("trims: whole blocks for '~', exact inside a block, LIMIT counts whole blocks") {
  StreamLimits limits;
  limits.node_max_entries = 3;
  limits.node_max_bytes = 0;
  auto make = [&](Stream& s) {
    for (uint64_t i = 1; i <= 10; ++i) Add(s, {i, 0}, {"f", std::to_string(i)}, limits);
  };
  {
    Stream s;
    make(s);
    CHECK(s.block_count() == 4);  // [1 2 3] [4 5 6] [7 8 9] [10]
    TrimSpec t;
    t.strategy = TrimSpec::Strategy::kMaxLen;
    t.maxlen = 5;
    t.approx = true;
    CHECK(s.Trim(t, limits) == 3);  // removing [4 5 6] too would leave 4 < 5
    CHECK(s.length() == 7);
    CHECK(s.first_id() == StreamId{4, 0});
    t.approx = false;
    CHECK(s.Trim(t, limits) == 2);
    CHECK(s.length() == 5);
    CHECK(s.first_id() == StreamId{6, 0});
  }
  {
    Stream s;
    make(s);
    TrimSpec t;
    t.strategy = TrimSpec::Strategy::kMaxLen;
    t.maxlen = 0;
    t.approx = true;
    t.limit = 4;
    CHECK(s.Trim(t, limits) == 3);  // a second block would pass the limit
    t.limit = 6;
    CHECK(s.Trim(t, limits) == 6);
    CHECK(s.length() == 1);
    t.limit = 0;
    CHECK(s.Trim(t, limits) == 1);
    CHECK(s.length() == 0);
    CHECK(s.block_count() == 0);
  }
  {
    Stream s;
    make(s);
    TrimSpec t;
    t.strategy = TrimSpec::Strategy::kMinId;
    t.minid = StreamId{5, 0};
    t.approx = true;
    CHECK(s.Trim(t, limits) == 3);  // [4 5 6] holds 5-0 itself
    t.approx = false;
    CHECK(s.Trim(t, limits) == 1);
    CHECK(s.first_id() == StreamId{5, 0});
    t.minid = StreamId{5, 0};
    CHECK(s.Trim(t, limits) == 0);
    CHECK(s.max_deleted_id() == StreamId::Min());
    t.strategy = TrimSpec::Strategy::kNone;
    CHECK(s.Trim(t, limits) == 0);
    CHECK(s.length() == 6);
  }
}

TEST_CASE("deletes compact blocks and merge them into the previous block") {
  StreamLimits limits;
  limits.node_max_entries = 4;
  limits.node_max_bytes = 0;
  Stream s;
  for (uint64_t i = 1; i <= 8; ++i) Add(s, {i, 0}, {"f", "v"}, limits);
  CHECK(s.block_count() == 2);  // [1 2 3 4] [5 6 7 8]
  CHECK(s.Delete({1, 0}, limits));
  CHECK(s.Delete({2, 0}, limits));
  CHECK(s.block_count() == 2);      // 2 tombstones, 2 live: not yet compacted
  CHECK(s.Delete({3, 0}, limits));  // 3 tombstones > 1 live: rewritten with one entry
  CHECK(s.block_count() == 2);
  CHECK(s.Delete({6, 0}, limits));
  CHECK(s.Delete({7, 0}, limits));
  CHECK(s.Delete({8, 0}, limits));  // compacted and merged into [4]
  CHECK(s.block_count() == 1);
  CHECK(ReadRange(s, StreamId::Min(), StreamId::Max(), false).size() == 2);
  CHECK(CheckBlocks(s, limits).empty());
  // Appends continue in the merged block.
  Add(s, {9, 0}, {"f", "v"}, limits);
  CHECK(s.block_count() == 1);
  CHECK(s.first_id() == StreamId{4, 0});
  CHECK(s.node_count() >= s.block_count());
  CHECK(s.MemoryUsage() > 0);
}

TEST_CASE("compaction does not merge into the previous block past node_max_bytes") {
  // Records of {"f", 25 bytes} take 29 bytes and a block header 3, so three fit under 100.
  StreamLimits limits;
  limits.node_max_entries = 100;
  limits.node_max_bytes = 100;
  Stream s;
  for (uint64_t i = 1; i <= 6; ++i) Add(s, {i, 0}, {"f", std::string(25, 'a' + i)}, limits);
  REQUIRE(s.block_count() == 2);  // [1 2 3] [4 5 6]
  CHECK(s.Delete({5, 0}, limits));
  CHECK(s.Delete({6, 0}, limits));  // [4] is compacted; 90 + 29 bytes would not fit in [1 2 3]
  CHECK(s.block_count() == 2);
  for (const auto* e = s.blocks().First(); e != nullptr; e = s.blocks().Next(e)) {
    CHECK(e->value->bytes() < 100);
  }
  CHECK(ReadRange(s, StreamId::Min(), StreamId::Max(), true).size() == 4);
  // With room to spare the same compaction merges.
  StreamLimits roomy = limits;
  roomy.node_max_bytes = 200;
  Stream t;
  for (uint64_t i = 1; i <= 6; ++i) Add(t, {i, 0}, {"f", std::string(25, 'a' + i)}, limits);
  CHECK(t.Delete({5, 0}, roomy));
  CHECK(t.Delete({6, 0}, roomy));
  CHECK(t.block_count() == 1);
}

TEST_CASE("ranges: bounds inside, between and outside blocks, both directions") {
  StreamLimits limits;
  limits.node_max_entries = 2;
  Stream s;
  Model m;
  for (uint64_t i = 1; i <= 9; ++i) {
    Fields f = {"n", std::to_string(i)};
    Add(s, {i * 10, 0}, f, limits);
    m[{i * 10, 0}] = f;
  }
  for (uint64_t a = 0; a <= 100; a += 5) {
    for (uint64_t b = 0; b <= 100; b += 5) {
      for (bool rev : {false, true}) {
        StreamId start{a, 0}, end{b, 0};
        CHECK(ReadRange(s, start, end, rev) == ModelRange(m, start, end, rev));
      }
    }
  }
  CHECK(ReadRange(s, {50, 1}, {50, 0}, false).empty());
  CHECK(ReadRange(s, {50, 0}, {50, 0}, true).size() == 1);
}

}  // namespace
}  // namespace runnel::streams

namespace runnel::streams {
namespace {

TEST_CASE("RaxNodeCount is the node count of Redis's rax over the block keys") {
  // Values measured on redis-server 7.0 with stream-node-max-entries 100: XADD of n entries
  // with IDs 1-1, 2-1, ... gives blocks starting at 1-1, 101-1, 201-1, ...
  const StreamLimits limits{4096, 100};
  auto count_for = [&](uint64_t n) {
    Stream s;
    for (uint64_t i = 1; i <= n; ++i) {
      std::vector<std::string_view> fv{"a", "b"};
      s.Append(StreamId{i, 1}, fv, limits);
    }
    return s.RaxNodeCount();
  };
  CHECK(Stream().RaxNodeCount() == 1);  // the head node an empty rax has
  CHECK(count_for(1) == 2);
  CHECK(count_for(2) == 2);
  CHECK(count_for(150) == 6);
  CHECK(count_for(1000) == 26);
  CHECK(count_for(5000) == 121);
}

}  // namespace
}  // namespace runnel::streams
