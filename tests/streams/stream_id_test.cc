// StreamId and numbers.h: ParseStreamId's accepted and rejected forms (including the loose ones
// redis-server accepts through strtoull), Next()/Prev() at the ends of the ID space, the
// 16-byte key form (round trip, and byte order equal to ID order), text formatting, and the
// strict and loose integer parsers.
#include "streams/stream_id.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "streams/numbers.h"

namespace runnel::streams {
namespace {

constexpr uint64_t kMax = UINT64_MAX;

std::optional<StreamId> Parse(std::string_view text, IdParseOptions opts = {}) {
  auto p = ParseStreamId(text, opts);
  if (!p) return std::nullopt;
  return p->id;
}

IdParseOptions Strict() {
  IdParseOptions o;
  o.strict = true;
  return o;
}

IdParseOptions MissingSeq(uint64_t seq) {
  IdParseOptions o;
  o.missing_seq = seq;
  return o;
}

IdParseOptions AutoSeq() {
  IdParseOptions o;
  o.allow_auto_seq = true;
  return o;
}

TEST_CASE("ParseStreamId: ms-seq and ms forms") {
  CHECK(Parse("1-2") == StreamId{1, 2});
  CHECK(Parse("0-0") == StreamId{0, 0});
  CHECK(Parse("5") == StreamId{5, 0});
  CHECK(Parse("5", MissingSeq(kMax)) == StreamId{5, kMax});
  CHECK(Parse("5", MissingSeq(7)) == StreamId{5, 7});
  // missing_seq applies only when there is no '-'.
  CHECK(Parse("5-3", MissingSeq(kMax)) == StreamId{5, 3});
  CHECK(Parse("18446744073709551615-18446744073709551615") == StreamId{kMax, kMax});
  CHECK(Parse("18446744073709551615") == StreamId{kMax, 0});
  auto p = ParseStreamId("1-2", {});
  REQUIRE(p);
  CHECK(p->seq_given);
}

TEST_CASE("ParseStreamId: '-' and '+' unless strict") {
  CHECK(Parse("-") == StreamId::Min());
  CHECK(Parse("+") == StreamId::Max());
  CHECK(Parse("-", MissingSeq(kMax)) == StreamId::Min());
  CHECK(Parse("+", MissingSeq(0)) == StreamId::Max());
  CHECK_FALSE(Parse("-", Strict()));
  CHECK_FALSE(Parse("+", Strict()));
  CHECK(Parse("1-2", Strict()) == StreamId{1, 2});
  CHECK(Parse("3", Strict()) == StreamId{3, 0});
}

TEST_CASE("ParseStreamId: ms-* only with allow_auto_seq") {
  auto p = ParseStreamId("5-*", AutoSeq());
  REQUIRE(p);
  CHECK(p->id == StreamId{5, 0});
  CHECK_FALSE(p->seq_given);
  CHECK_FALSE(ParseStreamId("5-*", {}));
  CHECK_FALSE(ParseStreamId("5-**", AutoSeq()));
  CHECK_FALSE(ParseStreamId("*", AutoSeq()));
  CHECK_FALSE(ParseStreamId("*-1", AutoSeq()));
  auto q = ParseStreamId("5-1", AutoSeq());
  REQUIRE(q);
  CHECK(q->seq_given);
  CHECK(q->id == StreamId{5, 1});
  auto r = ParseStreamId("5", AutoSeq());
  REQUIRE(r);
  CHECK(r->seq_given);
}

TEST_CASE("ParseStreamId: invalid forms") {
  CHECK_FALSE(Parse("18446744073709551616-0"));
  CHECK_FALSE(Parse("0-18446744073709551616"));
  CHECK_FALSE(Parse("-1-1"));
  CHECK_FALSE(Parse(""));
  CHECK_FALSE(Parse("1-"));
  CHECK_FALSE(Parse("-1"));
  CHECK_FALSE(Parse("abc"));
  CHECK_FALSE(Parse("1-abc"));
  CHECK_FALSE(Parse("1-2-3"));
  CHECK_FALSE(Parse("1.5"));
  CHECK_FALSE(Parse("5-1 "));
  CHECK_FALSE(Parse("--"));
  CHECK_FALSE(Parse("++"));
  // Anything over 127 bytes, even a valid number with padding.
  std::string long128 = std::string(126, '0') + "-1";
  REQUIRE(long128.size() == 128);
  CHECK_FALSE(Parse(long128));
  std::string long127 = std::string(125, '0') + "-1";
  REQUIRE(long127.size() == 127);
  CHECK(Parse(long127) == StreamId{0, 1});  // strtoull takes the leading zeros
}

TEST_CASE("ParseStreamId: loose forms redis-server accepts through strtoull") {
  CHECK(Parse("007-1") == StreamId{7, 1});
  CHECK(Parse("1-007") == StreamId{1, 7});
  CHECK(Parse("+5-1") == StreamId{5, 1});
  CHECK(Parse(" 5-1") == StreamId{5, 1});
  CHECK(Parse("5- 1") == StreamId{5, 1});
  CHECK(Parse("1-+2") == StreamId{1, 2});
  CHECK(Parse("00") == StreamId{0, 0});
}

TEST_CASE("StreamId::Next and Prev at the ends of the ID space") {
  CHECK(StreamId{1, 2}.Next() == StreamId{1, 3});
  CHECK(StreamId{1, kMax}.Next() == StreamId{2, 0});
  CHECK(StreamId{kMax, kMax - 1}.Next() == StreamId{kMax, kMax});
  CHECK_FALSE(StreamId::Max().Next());
  CHECK(StreamId{1, 2}.Prev() == StreamId{1, 1});
  CHECK(StreamId{2, 0}.Prev() == StreamId{1, kMax});
  CHECK(StreamId{0, 1}.Prev() == StreamId{0, 0});
  CHECK_FALSE(StreamId::Min().Prev());
  CHECK(StreamId::Max().IsMax());
  CHECK_FALSE(StreamId{kMax, 0}.IsMax());
  CHECK(StreamId::Min().IsMin());
  CHECK_FALSE(StreamId{0, 1}.IsMin());
}

TEST_CASE("StreamId text forms") {
  CHECK(StreamId{0, 0}.ToString() == "0-0");
  CHECK(StreamId{1526919030474, 55}.ToString() == "1526919030474-55");
  CHECK(StreamId::Max().ToString() == "18446744073709551615-18446744073709551615");
  char buf[42];
  size_t n = StreamId::Max().Format(buf);
  CHECK(std::string(buf, n) == "18446744073709551615-18446744073709551615");
  // Text round trip.
  std::mt19937_64 rng(5);
  for (int i = 0; i < 1000; ++i) {
    StreamId id{rng() >> (rng() % 64), rng() >> (rng() % 64)};
    CHECK(Parse(id.ToString()) == id);
  }
}

TEST_CASE("StreamId keys: big-endian bytes, round trip, byte order equals ID order") {
  StreamId id{0x0102030405060708ULL, 0x090a0b0c0d0e0f10ULL};
  StreamId::Key k = id.ToKey();
  for (size_t i = 0; i < 16; ++i) CHECK(k[i] == i + 1);
  CHECK(StreamId::FromKey(k) == id);
  CHECK(StreamId::FromKey(StreamId::Max().ToKey()) == StreamId::Max());
  CHECK(StreamId::FromKey(StreamId::Min().ToKey()) == StreamId::Min());

  std::mt19937_64 rng(11);
  auto random_id = [&] {
    // Mix of small values, shared high parts and extremes, so ties in ms are common.
    auto part = [&]() -> uint64_t {
      switch (rng() % 4) {
        case 0:
          return rng() % 4;
        case 1:
          return kMax - rng() % 4;
        case 2:
          return rng() >> (rng() % 64);
        default:
          return (rng() % 3) << 56 | (rng() % 3);
      }
    };
    return StreamId{part(), part()};
  };
  for (int i = 0; i < 20000; ++i) {
    StreamId a = random_id(), b = random_id();
    CHECK(StreamId::FromKey(a.ToKey()) == a);
    CHECK((a < b) == (a.ToKey() < b.ToKey()));
    CHECK((a == b) == (a.ToKey() == b.ToKey()));
  }
}

TEST_CASE("ParseStrictInt64: canonical decimal only") {
  CHECK(ParseStrictInt64("0") == 0);
  CHECK(ParseStrictInt64("-1") == -1);
  CHECK(ParseStrictInt64("42") == 42);
  CHECK(ParseStrictInt64("9223372036854775807") == INT64_MAX);
  CHECK(ParseStrictInt64("-9223372036854775808") == INT64_MIN);
  CHECK_FALSE(ParseStrictInt64("+1"));
  CHECK_FALSE(ParseStrictInt64("01"));
  CHECK_FALSE(ParseStrictInt64("00"));
  CHECK_FALSE(ParseStrictInt64("-0"));
  CHECK_FALSE(ParseStrictInt64("-01"));
  CHECK_FALSE(ParseStrictInt64(" 1"));
  CHECK_FALSE(ParseStrictInt64("1 "));
  CHECK_FALSE(ParseStrictInt64(""));
  CHECK_FALSE(ParseStrictInt64("-"));
  CHECK_FALSE(ParseStrictInt64("1a"));
  CHECK_FALSE(ParseStrictInt64("1.0"));
  CHECK_FALSE(ParseStrictInt64("9223372036854775808"));
  CHECK_FALSE(ParseStrictInt64("-9223372036854775809"));
  CHECK_FALSE(ParseStrictInt64("18446744073709551616"));
  CHECK_FALSE(ParseStrictInt64("99999999999999999999"));
  CHECK_FALSE(ParseStrictInt64("100000000000000000000"));
  CHECK_FALSE(ParseStrictInt64(std::string_view("1\0", 2)));
  // Round trip with the formatter.
  std::mt19937_64 rng(3);
  for (int i = 0; i < 5000; ++i) {
    int64_t v = static_cast<int64_t>(rng() >> (rng() % 64)) * (rng() % 2 ? 1 : -1);
    CHECK(ParseStrictInt64(ToString(v)) == v);
  }
}

TEST_CASE("ParseRedisUint64: canonical first, then strtoull's rules") {
  CHECK(ParseRedisUint64("0") == 0u);
  CHECK(ParseRedisUint64("18446744073709551615") == kMax);
  CHECK(ParseRedisUint64("9223372036854775808") == 9223372036854775808ULL);
  CHECK(ParseRedisUint64("007") == 7u);
  CHECK(ParseRedisUint64("+1") == 1u);
  CHECK(ParseRedisUint64(" 1") == 1u);
  CHECK(ParseRedisUint64("\t\n 12") == 12u);
  CHECK_FALSE(ParseRedisUint64("18446744073709551616"));
  CHECK_FALSE(ParseRedisUint64("-1"));  // canonical negative: out of range
  CHECK_FALSE(ParseRedisUint64(""));
  CHECK_FALSE(ParseRedisUint64("1 "));
  CHECK_FALSE(ParseRedisUint64("abc"));
  CHECK_FALSE(ParseRedisUint64("0x10"));
  CHECK_FALSE(ParseRedisUint64(" "));
  CHECK_FALSE(ParseRedisUint64(std::string(128, '1')));
}

TEST_CASE("ParseDouble: strtod without spaces or NaN") {
  CHECK(ParseDouble("1.5") == 1.5);
  CHECK(ParseDouble("-3") == -3.0);
  CHECK(ParseDouble("1e3") == 1000.0);
  CHECK(ParseDouble("inf") == std::numeric_limits<double>::infinity());
  CHECK_FALSE(ParseDouble(""));
  CHECK_FALSE(ParseDouble(" 1"));
  CHECK_FALSE(ParseDouble("1 "));
  CHECK_FALSE(ParseDouble("nan"));
  CHECK_FALSE(ParseDouble("1e999"));
  CHECK_FALSE(ParseDouble("abc"));
}

TEST_CASE("FormatInt64 and FormatUint64 write the decimal form") {
  char buf[24];
  CHECK(std::string(buf, FormatInt64(INT64_MIN, buf)) == "-9223372036854775808");
  CHECK(std::string(buf, FormatInt64(0, buf)) == "0");
  CHECK(std::string(buf, FormatUint64(kMax, buf)) == "18446744073709551615");
  CHECK(ToString(-5) == "-5");
}

}  // namespace
}  // namespace runnel::streams
