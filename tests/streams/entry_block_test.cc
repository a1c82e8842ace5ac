// EntryBlock and varint.h directly: the value encoding's tag boundaries (integers stored as
// integers only in canonical form, byte-exact text back), same-fields records versus inline
// names, tombstones (MarkDeleted is idempotent), offsets for walking backwards, and the varint
// / zigzag codecs including the bounds-checked decoder on truncated and overlong input.
#include "streams/entry_block.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "streams/varint.h"

namespace runnel::streams {
namespace {

std::vector<std::string> ReadRecord(const EntryBlock& b, const EntryBlock::Ref& ref,
                                    std::vector<bool>* is_int = nullptr) {
  std::vector<std::string> out;
  auto r = b.Fields(ref);
  StoredValue f, v;
  char fb[24], vb[24];
  while (r.Next(&f, &v)) {
    out.emplace_back(f.Text(fb));
    out.emplace_back(v.Text(vb));
    if (is_int) is_int->push_back(v.is_int);
    CHECK(f.TextSize() == out[out.size() - 2].size());
    CHECK(v.TextSize() == out.back().size());
  }
  return out;
}

TEST_CASE("EntryBlock: values are integers only in canonical form and read back exactly") {
  struct Case {
    std::string text;
    bool as_int;
  };
  const std::vector<Case> cases = {{"0", true},
                                   {"127", true},
                                   {"128", true},
                                   {"-1", true},
                                   {"-4096", true},
                                   {"4095", true},
                                   {"4096", true},
                                   {"-4097", true},
                                   {"32767", true},
                                   {"-32768", true},
                                   {"32768", true},
                                   {"-8388608", true},
                                   {"8388608", true},
                                   {"-2147483648", true},
                                   {"2147483648", true},
                                   {"9223372036854775807", true},
                                   {"-9223372036854775808", true},
                                   {"9223372036854775808", false},
                                   {"007", false},
                                   {"+1", false},
                                   {"-0", false},
                                   {"1.5", false},
                                   {"", false},
                                   {" 1", false},
                                   {"1 ", false},
                                   {std::string(63, 'a'), false},
                                   {std::string(64, 'b'), false},
                                   {std::string(4095, 'c'), false},
                                   {std::string(4096, 'd'), false}};
  std::vector<std::string_view> first = {"f", "x"};
  EntryBlock b(StreamId{10, 5}, first);
  std::string record;
  uint64_t seq = 5;
  for (const Case& c : cases) {
    std::vector<std::string_view> fv = {"f", c.text};
    b.EncodeRecord(StreamId{10, seq++}, fv, &record);
    b.AppendRecord(record);
  }
  CHECK(b.live() == cases.size());
  std::vector<EntryBlock::Ref> refs;
  b.CollectRefs(&refs);
  REQUIRE(refs.size() == cases.size());
  CHECK(refs.front().offset == b.Start().offset);
  for (size_t i = 0; i < cases.size(); ++i) {
    const EntryBlock::Ref& ref = refs[i];
    CHECK(ref.id == StreamId{10, 5 + i});
    CHECK(ref.field_count == 1);
    CHECK((ref.flags & EntryBlock::kSameFields) != 0);
    std::vector<bool> is_int;
    INFO("value ", cases[i].text.substr(0, 30));
    CHECK(ReadRecord(b, ref, &is_int) == std::vector<std::string>{"f", cases[i].text});
    REQUIRE(is_int.size() == 1);
    CHECK(is_int[0] == cases[i].as_int);
    if (i + 1 < cases.size()) CHECK(ref.end == refs[i + 1].offset);
  }
}

TEST_CASE("EntryBlock: same-fields records and inline field names") {
  std::vector<std::string_view> master = {"a", "1", "b", "2"};
  EntryBlock b(StreamId{100, 0}, master);
  std::string record;
  const std::vector<std::vector<std::string_view>> entries = {
      {"a", "1", "b", "2"},            // same names
      {"a", "x", "c", "y"},            // same count, second name differs
      {"b", "1", "a", "2"},            // same names, other order
      {"a", "1"},                      // fewer
      {"a", "1", "b", "2", "c", "3"},  // more
      {"1", "2", "3", "4"}};           // numeric names
  const std::vector<bool> same = {true, false, false, false, false, false};
  uint64_t ms = 100;
  for (const auto& e : entries) {
    b.EncodeRecord(StreamId{ms, 7}, e, &record);
    b.AppendRecord(record);
    ms += 300;  // ms deltas != 0: the seq is stored whole
  }
  std::vector<EntryBlock::Ref> refs;
  b.CollectRefs(&refs);
  REQUIRE(refs.size() == entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const EntryBlock::Ref& ref = refs[i];
    CHECK(ref.id == StreamId{100 + 300 * i, 7});
    CHECK(((ref.flags & EntryBlock::kSameFields) != 0) == same[i]);
    std::vector<std::string> want(entries[i].begin(), entries[i].end());
    CHECK(ReadRecord(b, ref) == want);
  }
}

TEST_CASE("EntryBlock: tombstones, counters, shrinking") {
  std::vector<std::string_view> fv = {"f", "v"};
  EntryBlock b(StreamId{1, 1}, fv);
  std::string record;
  for (uint64_t s = 1; s <= 4; ++s) {
    b.EncodeRecord(StreamId{1, s}, fv, &record);
    b.AppendRecord(record);
  }
  EntryBlock::Ref ref;
  EntryBlock::Cursor cursor = b.Start();
  REQUIRE(b.Read(&cursor, &ref));
  CHECK_FALSE(ref.deleted());
  b.MarkDeleted(ref);
  CHECK(b.live() == 3);
  CHECK(b.deleted() == 1);
  b.MarkDeleted(ref);  // twice is once
  CHECK(b.live() == 3);
  CHECK(b.deleted() == 1);
  CHECK(b.records() == 4);
  cursor = b.Start();
  REQUIRE(b.Read(&cursor, &ref));
  CHECK(ref.deleted());
  CHECK(b.last_id() == StreamId{1, 4});
  CHECK(ReadRecord(b, ref) == std::vector<std::string>{"f", "v"});  // bytes stay
  size_t bytes = b.bytes();
  b.ShrinkToFit();
  CHECK(b.bytes() == bytes);
  CHECK(b.allocated() == bytes + sizeof(EntryBlock));
  CHECK(b.end_offset() == bytes);
}

TEST_CASE("varint and zigzag round trips") {
  std::mt19937_64 rng(1);
  std::vector<uint64_t> values = {
      0, 1, 127, 128, 16383, 16384, UINT64_MAX, UINT64_MAX - 1, 1ULL << 63, (1ULL << 63) - 1};
  for (int i = 0; i < 2000; ++i) values.push_back(rng() >> (rng() % 64));
  for (uint64_t v : values) {
    std::string s;
    AppendVarint(&s, v);
    CHECK(s.size() == VarintSize(v));
    CHECK(s.size() <= 10);
    const auto* p = reinterpret_cast<const uint8_t*>(s.data());
    uint64_t got = 0;
    CHECK(GetVarint(p, &got) == p + s.size());
    CHECK(got == v);
    uint64_t checked = 0;
    CHECK(GetVarintChecked(p, p + s.size(), &checked) == p + s.size());
    CHECK(checked == v);
    // Any truncation is detected.
    for (size_t n = 0; n < s.size(); ++n) CHECK(GetVarintChecked(p, p + n, &checked) == nullptr);
    int64_t sv = static_cast<int64_t>(v);
    CHECK(UnZigZag(ZigZag(sv)) == sv);
  }
  CHECK(ZigZag(0) == 0);
  CHECK(ZigZag(-1) == 1);
  CHECK(ZigZag(1) == 2);
  CHECK(ZigZag(INT64_MIN) == UINT64_MAX);
  CHECK(VarintSize(127) == 1);
  CHECK(VarintSize(128) == 2);
  CHECK(VarintSize(UINT64_MAX) == 10);
}

TEST_CASE("GetVarintChecked rejects values past 64 bits and varints over 10 bytes") {
  uint64_t v = 0;
  // 10th byte may only carry bit 63.
  const uint8_t max[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  CHECK(GetVarintChecked(max, max + 10, &v) == max + 10);
  CHECK(v == UINT64_MAX);
  const uint8_t over[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
  CHECK(GetVarintChecked(over, over + 10, &v) == nullptr);
  const uint8_t eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
  CHECK(GetVarintChecked(eleven, eleven + 11, &v) == nullptr);
  const uint8_t empty[] = {0};
  CHECK(GetVarintChecked(empty, empty, &v) == nullptr);
}

}  // namespace
}  // namespace runnel::streams
