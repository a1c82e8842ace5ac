// ReplyWriter, ReplyParser and EncodeCommand: golden bytes for every writer method in RESP2 and
// RESP3 (including the down-conversions and deferred headers), a random round trip writer ->
// ParseReply that must give back the same tree, kIncomplete for every proper prefix, and the
// command encoder's bytes (also parsed back by RequestParser).
#include "resp/reply_writer.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resp/command_encoder.h"
#include "resp/reply_parser.h"
#include "resp/request_parser.h"

namespace runnel::resp {
namespace {

// Runs `f` against a fresh writer for protocol `proto` and returns the bytes.
template <typename F>
std::string Write(int proto, F&& f) {
  std::string out;
  ReplyWriter w(&out, proto);
  f(w);
  return out;
}

// Checks the bytes `f` writes in RESP2 and in RESP3.
template <typename F>
void Golden(F&& f, std::string_view resp2, std::string_view resp3) {
  CHECK(Write(2, f) == resp2);
  CHECK(Write(3, f) == resp3);
}

TEST_CASE("golden: simple values are the same in RESP2 and RESP3") {
  Golden([](ReplyWriter& w) { w.Ok(); }, "+OK\r\n", "+OK\r\n");
  Golden([](ReplyWriter& w) { w.Simple("PONG"); }, "+PONG\r\n", "+PONG\r\n");
  Golden([](ReplyWriter& w) { w.Simple(""); }, "+\r\n", "+\r\n");
  Golden([](ReplyWriter& w) { w.Integer(0); }, ":0\r\n", ":0\r\n");
  Golden([](ReplyWriter& w) { w.Integer(-42); }, ":-42\r\n", ":-42\r\n");
  Golden([](ReplyWriter& w) { w.Integer(INT64_MIN); }, ":-9223372036854775808\r\n",
         ":-9223372036854775808\r\n");
  Golden([](ReplyWriter& w) { w.Integer(INT64_MAX); }, ":9223372036854775807\r\n",
         ":9223372036854775807\r\n");
  Golden([](ReplyWriter& w) { w.Bulk("hello"); }, "$5\r\nhello\r\n", "$5\r\nhello\r\n");
  Golden([](ReplyWriter& w) { w.Bulk(""); }, "$0\r\n\r\n", "$0\r\n\r\n");
  Golden([](ReplyWriter& w) { w.Bulk(std::string_view("a\r\n\0", 4)); },
         std::string_view("$4\r\na\r\n\0\r\n", 10), std::string_view("$4\r\na\r\n\0\r\n", 10));
  Golden([](ReplyWriter& w) { w.BulkInt(-7); }, "$2\r\n-7\r\n", "$2\r\n-7\r\n");
  Golden([](ReplyWriter& w) { w.BulkInt(INT64_MIN); }, "$20\r\n-9223372036854775808\r\n",
         "$20\r\n-9223372036854775808\r\n");
  Golden([](ReplyWriter& w) { w.BulkUnsigned(UINT64_MAX); }, "$20\r\n18446744073709551615\r\n",
         "$20\r\n18446744073709551615\r\n");
  Golden([](ReplyWriter& w) { w.BulkUnsigned(0); }, "$1\r\n0\r\n", "$1\r\n0\r\n");
  Golden([](ReplyWriter& w) { w.Array(3); }, "*3\r\n", "*3\r\n");
  Golden([](ReplyWriter& w) { w.Array(0); }, "*0\r\n", "*0\r\n");
  Golden([](ReplyWriter& w) { w.Raw("+raw\r\n"); }, "+raw\r\n", "+raw\r\n");
}

TEST_CASE("golden: errors get a '-' and lose their CR and LF") {
  Golden([](ReplyWriter& w) { w.Error("ERR syntax error"); }, "-ERR syntax error\r\n",
         "-ERR syntax error\r\n");
  Golden([](ReplyWriter& w) { w.Error("ERR a\r\nb\nc\rd"); }, "-ERR a  b c d\r\n",
         "-ERR a  b c d\r\n");
  // Sanitising must not touch what was already in the buffer.
  std::string out = "$2\r\nab\r\n";
  ReplyWriter w(&out, 2);
  w.Error("X\r\n");
  CHECK(out == "$2\r\nab\r\n-X  \r\n");
}

TEST_CASE("golden: nulls") {
  Golden([](ReplyWriter& w) { w.Null(); }, "$-1\r\n", "_\r\n");
  Golden([](ReplyWriter& w) { w.NullArray(); }, "*-1\r\n", "_\r\n");
}

TEST_CASE("golden: maps, sets, pairs") {
  Golden([](ReplyWriter& w) { w.Map(2); }, "*4\r\n", "%2\r\n");
  Golden([](ReplyWriter& w) { w.Map(0); }, "*0\r\n", "%0\r\n");
  Golden([](ReplyWriter& w) { w.Set(3); }, "*3\r\n", "~3\r\n");
  Golden(
      [](ReplyWriter& w) {
        w.Pairs(2);
        w.Pair();
        w.Bulk("k1");
        w.Integer(1);
        w.Pair();
        w.Bulk("k2");
        w.Null();
      },
      "*2\r\n*2\r\n$2\r\nk1\r\n:1\r\n*2\r\n$2\r\nk2\r\n$-1\r\n",
      "%2\r\n$2\r\nk1\r\n:1\r\n$2\r\nk2\r\n_\r\n");
  Golden([](ReplyWriter& w) { w.Pair(); }, "*2\r\n", "");
}

TEST_CASE("golden: doubles") {
  Golden([](ReplyWriter& w) { w.Double(1.5); }, "$3\r\n1.5\r\n", ",1.5\r\n");
  Golden([](ReplyWriter& w) { w.Double(3.0); }, "$1\r\n3\r\n", ",3\r\n");
  Golden([](ReplyWriter& w) { w.Double(-2.25); }, "$5\r\n-2.25\r\n", ",-2.25\r\n");
  Golden([](ReplyWriter& w) { w.Double(0.0); }, "$1\r\n0\r\n", ",0\r\n");
  Golden([](ReplyWriter& w) { w.Double(std::numeric_limits<double>::infinity()); }, "$3\r\ninf\r\n",
         ",inf\r\n");
  Golden([](ReplyWriter& w) { w.Double(-std::numeric_limits<double>::infinity()); },
         "$4\r\n-inf\r\n", ",-inf\r\n");
  Golden([](ReplyWriter& w) { w.Double(std::nan("")); }, "$3\r\nnan\r\n", ",nan\r\n");
  // "%.17g", as redis-server 7.0 formats doubles.
  Golden([](ReplyWriter& w) { w.Double(0.1); }, "$19\r\n0.10000000000000001\r\n",
         ",0.10000000000000001\r\n");
  Golden([](ReplyWriter& w) { w.Double(1e300); }, "$23\r\n1.0000000000000001e+300\r\n",
         ",1.0000000000000001e+300\r\n");
}

TEST_CASE("golden: booleans and verbatim strings") {
  Golden([](ReplyWriter& w) { w.Bool(true); }, ":1\r\n", "#t\r\n");
  Golden([](ReplyWriter& w) { w.Bool(false); }, ":0\r\n", "#f\r\n");
  Golden([](ReplyWriter& w) { w.Verbatim("hello"); }, "$5\r\nhello\r\n", "=9\r\ntxt:hello\r\n");
  Golden([](ReplyWriter& w) { w.Verbatim(""); }, "$0\r\n\r\n", "=4\r\ntxt:\r\n");
  Golden([](ReplyWriter& w) { w.Verbatim("a\r\nb"); }, "$4\r\na\r\nb\r\n", "=8\r\ntxt:a\r\nb\r\n");
}

TEST_CASE("golden: deferred headers are inserted where Begin was called") {
  Golden(
      [](ReplyWriter& w) {
        w.Ok();  // an earlier reply already in the buffer
        auto d = w.Begin();
        w.Bulk("a");
        w.Integer(2);
        w.EndArray(d, 2);
        w.Simple("after");
      },
      "+OK\r\n*2\r\n$1\r\na\r\n:2\r\n+after\r\n", "+OK\r\n*2\r\n$1\r\na\r\n:2\r\n+after\r\n");
  Golden(
      [](ReplyWriter& w) {
        w.Integer(9);
        auto d = w.Begin();
        w.Bulk("k");
        w.Bulk("v");
        w.EndMap(d, 1);
      },
      ":9\r\n*2\r\n$1\r\nk\r\n$1\r\nv\r\n", ":9\r\n%1\r\n$1\r\nk\r\n$1\r\nv\r\n");
  Golden(
      [](ReplyWriter& w) {
        auto d = w.Begin();
        w.Bulk("x");
        w.EndSet(d, 1);
      },
      "*1\r\n$1\r\nx\r\n", "~1\r\n$1\r\nx\r\n");
  // Nested: the inner header goes in first; the outer position is before it and stays valid.
  Golden(
      [](ReplyWriter& w) {
        w.Ok();
        auto outer = w.Begin();
        w.Bulk("id");
        auto inner = w.Begin();
        w.Bulk("f");
        w.Bulk("v");
        w.EndMap(inner, 1);
        w.EndArray(outer, 2);
      },
      "+OK\r\n*2\r\n$2\r\nid\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
      "+OK\r\n*2\r\n$2\r\nid\r\n%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
  // Deferred pairs (XREAD with a COUNT): RESP2 counts pairs, each pair has its own *2.
  Golden(
      [](ReplyWriter& w) {
        auto d = w.Begin();
        w.Pair();
        w.Bulk("s");
        w.Array(0);
        w.EndPairs(d, 1);
      },
      "*1\r\n*2\r\n$1\r\ns\r\n*0\r\n", "%1\r\n$1\r\ns\r\n*0\r\n");
  // A deferred empty array, and a large count.
  Golden(
      [](ReplyWriter& w) {
        auto d = w.Begin();
        w.EndArray(d, 0);
      },
      "*0\r\n", "*0\r\n");
  Golden(
      [](ReplyWriter& w) {
        auto d = w.Begin();
        w.EndMap(d, 1234567890123ULL);
      },
      "*2469135780246\r\n", "%1234567890123\r\n");
}

TEST_CASE("protocol can be switched and output redirected") {
  std::string a, b;
  ReplyWriter w(&a);
  CHECK(w.protocol() == 2);
  w.Null();
  w.set_protocol(3);
  CHECK(w.protocol() == 3);
  w.Null();
  w.set_output(&b);
  CHECK(w.output() == &b);
  w.Bool(true);
  CHECK(a == "$-1\r\n_\r\n");
  CHECK(b == "#t\r\n");
}

// ---- Round trip through ParseReply ----------------------------------------------------------

bool SameReply(const Reply& a, const Reply& b) {
  if (a.type != b.type || a.str != b.str || a.integer != b.integer ||
      a.elements.size() != b.elements.size()) {
    return false;
  }
  if (a.type == Reply::Type::kNull && a.null_marker != b.null_marker) return false;
  if (a.type == Reply::Type::kDouble &&
      !(a.dbl == b.dbl || (std::isnan(a.dbl) && std::isnan(b.dbl)))) {
    return false;
  }
  for (size_t i = 0; i < a.elements.size(); ++i) {
    if (!SameReply(a.elements[i], b.elements[i])) return false;
  }
  return true;
}

Reply Leaf(Reply::Type t, std::string s = "", int64_t i = 0) {
  Reply r;
  r.type = t;
  r.str = std::move(s);
  r.integer = i;
  return r;
}

// Writes a random value with `w` and returns the tree ParseReply should give back.
class RandomReply {
 public:
  explicit RandomReply(uint32_t seed) : rng_(seed) {}

  Reply Emit(ReplyWriter& w, int depth) {
    const bool v3 = w.protocol() >= 3;
    int kind = Pick(depth < 3 ? 17 : 11);
    switch (kind) {
      case 0: {
        std::string s = Text(false);
        w.Simple(s);
        return Leaf(Reply::Type::kSimple, s);
      }
      case 1: {
        std::string s = Text(true);
        w.Error(s);
        for (char& c : s) {
          if (c == '\r' || c == '\n') c = ' ';
        }
        return Leaf(Reply::Type::kError, s);
      }
      case 2: {
        int64_t v = Int();
        w.Integer(v);
        return Leaf(Reply::Type::kInteger, "", v);
      }
      case 3: {
        std::string s = Text(true);
        w.Bulk(s);
        return Leaf(Reply::Type::kBulk, s);
      }
      case 4: {
        int64_t v = Int();
        w.BulkInt(v);
        return Leaf(Reply::Type::kBulk, std::to_string(v));
      }
      case 5: {
        uint64_t v = rng_();
        w.BulkUnsigned(v);
        return Leaf(Reply::Type::kBulk, std::to_string(v));
      }
      case 6: {
        static const double kValues[] = {1.5, 3.0, -0.25, 1e10, 123456.75};
        static const char* kTexts[] = {"1.5", "3", "-0.25", "10000000000", "123456.75"};
        int i = Pick(5);
        w.Double(kValues[i]);
        if (!v3) return Leaf(Reply::Type::kBulk, kTexts[i]);
        Reply r = Leaf(Reply::Type::kDouble, kTexts[i]);
        r.dbl = kValues[i];
        return r;
      }
      case 7: {
        bool b = Pick(2) == 1;
        w.Bool(b);
        return Leaf(v3 ? Reply::Type::kBool : Reply::Type::kInteger, "", b ? 1 : 0);
      }
      case 8: {
        w.Null();
        Reply r = Leaf(Reply::Type::kNull);
        r.null_marker = v3 ? '_' : '$';
        return r;
      }
      case 9: {
        w.NullArray();
        Reply r = Leaf(Reply::Type::kNull);
        r.null_marker = v3 ? '_' : '*';
        return r;
      }
      case 10: {
        std::string s = Text(true);
        w.Verbatim(s);
        return Leaf(v3 ? Reply::Type::kVerbatim : Reply::Type::kBulk, s);
      }
      case 11: {  // array, header first or deferred
        size_t n = static_cast<size_t>(Pick(4));
        bool deferred = Pick(2) == 1;
        ReplyWriter::Deferred d = w.Begin();
        if (!deferred) w.Array(n);
        Reply r = Leaf(Reply::Type::kArray);
        for (size_t i = 0; i < n; ++i) r.elements.push_back(Emit(w, depth + 1));
        if (deferred) w.EndArray(d, n);
        return r;
      }
      case 12:
      case 13: {  // map
        size_t n = static_cast<size_t>(Pick(3));
        bool deferred = kind == 13;
        ReplyWriter::Deferred d = w.Begin();
        if (!deferred) w.Map(n);
        Reply r = Leaf(v3 ? Reply::Type::kMap : Reply::Type::kArray);
        for (size_t i = 0; i < 2 * n; ++i) r.elements.push_back(Emit(w, depth + 1));
        if (deferred) w.EndMap(d, n);
        return r;
      }
      case 14:
      case 15: {  // set
        size_t n = static_cast<size_t>(Pick(3));
        bool deferred = kind == 15;
        ReplyWriter::Deferred d = w.Begin();
        if (!deferred) w.Set(n);
        Reply r = Leaf(v3 ? Reply::Type::kSet : Reply::Type::kArray);
        for (size_t i = 0; i < n; ++i) r.elements.push_back(Emit(w, depth + 1));
        if (deferred) w.EndSet(d, n);
        return r;
      }
      default: {  // pairs
        size_t n = static_cast<size_t>(Pick(3));
        w.Pairs(n);
        Reply r = Leaf(v3 ? Reply::Type::kMap : Reply::Type::kArray);
        for (size_t i = 0; i < n; ++i) {
          w.Pair();
          Reply k = Emit(w, depth + 1);
          Reply v = Emit(w, depth + 1);
          if (v3) {
            r.elements.push_back(std::move(k));
            r.elements.push_back(std::move(v));
          } else {
            Reply pair = Leaf(Reply::Type::kArray);
            pair.elements.push_back(std::move(k));
            pair.elements.push_back(std::move(v));
            r.elements.push_back(std::move(pair));
          }
        }
        return r;
      }
    }
  }

 private:
  int Pick(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }
  int64_t Int() {
    switch (Pick(4)) {
      case 0:
        return INT64_MIN;
      case 1:
        return INT64_MAX;
      case 2:
        return Pick(200) - 100;
      default:
        return static_cast<int64_t>(rng_());
    }
  }
  std::string Text(bool binary) {
    static const char kPlain[] = "abcXYZ 019:-+$*_";
    std::string s;
    int n = Pick(12);
    for (int i = 0; i < n; ++i) {
      if (binary && Pick(5) == 0) {
        static const char kBinary[] = {'\r', '\n', '\0', '\x7f', '\xff'};
        s.push_back(kBinary[Pick(5)]);
      } else {
        s.push_back(kPlain[Pick(sizeof(kPlain) - 1)]);
      }
    }
    return s;
  }

  std::mt19937 rng_;
};

TEST_CASE("round trip: random replies parse back to the same tree, prefixes are incomplete") {
  for (int proto : {2, 3}) {
    for (uint32_t seed = 1; seed <= 400; ++seed) {
      std::string out;
      ReplyWriter w(&out, proto);
      RandomReply gen(seed * 7919 + static_cast<uint32_t>(proto));
      Reply expected = gen.Emit(w, 0);

      Reply got;
      size_t consumed = 0;
      INFO("proto ", proto, " seed ", seed, " bytes ", out);
      REQUIRE(ParseReply(out, &got, &consumed) == ParseReplyStatus::kOk);
      CHECK(consumed == out.size());
      INFO("expected ", expected.ToString(), " got ", got.ToString());
      CHECK(SameReply(got, expected));

      size_t bad_prefixes = 0;
      for (size_t n = 0; n < out.size(); ++n) {
        Reply partial;
        size_t c = 0;
        if (ParseReply(std::string_view(out).substr(0, n), &partial, &c) !=
            ParseReplyStatus::kIncomplete) {
          ++bad_prefixes;
        }
      }
      CHECK(bad_prefixes == 0);

      // Followed by another reply, only the first is consumed.
      std::string two = out + ":5\r\n";
      REQUIRE(ParseReply(two, &got, &consumed) == ParseReplyStatus::kOk);
      CHECK(consumed == out.size());
    }
  }
}

TEST_CASE("ParseReply: wire nulls keep their marker; malformed input is rejected") {
  Reply r;
  size_t c = 0;
  REQUIRE(ParseReply("$-1\r\n", &r, &c) == ParseReplyStatus::kOk);
  CHECK(r.is_null());
  CHECK(r.null_marker == '$');
  REQUIRE(ParseReply("*-1\r\n", &r, &c) == ParseReplyStatus::kOk);
  CHECK(r.null_marker == '*');
  REQUIRE(ParseReply("_\r\n", &r, &c) == ParseReplyStatus::kOk);
  CHECK(r.null_marker == '_');
  REQUIRE(ParseReply("!5\r\nERR x\r\n", &r, &c) == ParseReplyStatus::kOk);
  CHECK(r.is_error());
  CHECK(r.str == "ERR x");
  REQUIRE(ParseReply("|1\r\n+a\r\n+b\r\n:7\r\n", &r, &c) == ParseReplyStatus::kOk);
  CHECK(r.type == Reply::Type::kInteger);
  CHECK(r.integer == 7);
  CHECK(c == 16);
  REQUIRE(ParseReply(">2\r\n+a\r\n(123456789012345678901234567890\r\n", &r, &c) ==
          ParseReplyStatus::kOk);
  CHECK(r.ToString() == ">[a, (big) 123456789012345678901234567890]");

  CHECK(ParseReply("?x\r\n", &r, &c) == ParseReplyStatus::kMalformed);
  CHECK(ParseReply(":12a\r\n", &r, &c) == ParseReplyStatus::kMalformed);
  CHECK(ParseReply("$3\r\nabcXY", &r, &c) == ParseReplyStatus::kMalformed);
  CHECK(ParseReply("+ok\rX", &r, &c) == ParseReplyStatus::kMalformed);
  CHECK(ParseReply("#x\r\n", &r, &c) == ParseReplyStatus::kMalformed);
  CHECK(ParseReply("$-2\r\n", &r, &c) == ParseReplyStatus::kMalformed);
  CHECK(ParseReply("=3\r\ntxt\r\n", &r, &c) == ParseReplyStatus::kMalformed);
  // A huge declared count with little data is incomplete, not an allocation.
  CHECK(ParseReply("*9223372036854775807\r\n:1\r\n", &r, &c) == ParseReplyStatus::kIncomplete);
  CHECK(ParseReply("%4611686018427387904\r\n", &r, &c) == ParseReplyStatus::kIncomplete);
  // Nesting deeper than the limit is malformed rather than a stack overflow.
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "*1\r\n";
  deep += ":1\r\n";
  CHECK(ParseReply(deep, &r, &c) == ParseReplyStatus::kMalformed);
}

TEST_CASE("Reply::ToString renders a readable tree") {
  std::string out;
  ReplyWriter w(&out, 3);
  w.Array(4);
  w.Integer(1);
  w.Bulk("a");
  w.Null();
  w.Map(1);
  w.Bulk("k");
  w.Bool(true);
  Reply r;
  size_t c = 0;
  REQUIRE(ParseReply(out, &r, &c) == ParseReplyStatus::kOk);
  CHECK(r.ToString() == "[(integer) 1, \"a\", nil, {\"k\": true}]");
}

// ---- Command encoder ----------------------------------------------------------------------

TEST_CASE("EncodeCommand golden bytes") {
  std::string out;
  EncodeCommand(&out, {"XADD", "s", "1-1", "f", ""});
  CHECK(out == "*5\r\n$4\r\nXADD\r\n$1\r\ns\r\n$3\r\n1-1\r\n$1\r\nf\r\n$0\r\n\r\n");
  // Appends, and takes a span.
  std::vector<std::string_view> args = {"PING"};
  EncodeCommand(&out, args);
  CHECK(out.substr(out.size() - 14) == "*1\r\n$4\r\nPING\r\n");
  std::string empty;
  EncodeCommand(&empty, std::span<const std::string_view>());
  CHECK(empty == "*0\r\n");
}

TEST_CASE("EncodeCommand output parses back to the same arguments") {
  std::mt19937 rng(99);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::string> strs(rng() % 6 + 1);
    for (auto& s : strs) {
      size_t n = rng() % (round % 10 == 0 ? 3000 : 20);
      for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(rng()));
    }
    std::vector<std::string_view> views(strs.begin(), strs.end());
    std::string encoded;
    EncodeCommand(&encoded, views);
    RequestParser parser;
    ArgList args;
    auto r = parser.Parse(encoded, args);
    REQUIRE(r.status == RequestParser::Status::kCommand);
    CHECK(r.consumed == encoded.size());
    CHECK(args.ToStrings() == strs);
  }
}

}  // namespace
}  // namespace runnel::resp
