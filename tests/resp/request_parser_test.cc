// RequestParser and SplitInlineArgs: valid multibulk and inline input fed whole, split at every
// byte boundary and one byte at a time (results must be identical), the exact protocol error
// strings redis-server sends, the unauthenticated limits, memory that grows only with bytes
// received (never with a declared length or count), and the skipped-bytes quirk Redis has.
#include "resp/request_parser.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "resp/arg_list.h"

// ---- Allocation tracking (for "a declared length allocates nothing") -----------------------
// Replacing the global operator new is legal C++ and works under ASan; it only records sizes
// while a test has armed it.
namespace {
bool g_track_allocs = false;
size_t g_largest_alloc = 0;
size_t g_total_alloc = 0;
}  // namespace

#if defined(__GNUC__) && !defined(__clang__)
// GCC sees free() of memory from operator new once these are inlined; here that is the point.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(size_t n) {
  if (g_track_allocs) {
    if (n > g_largest_alloc) g_largest_alloc = n;
    g_total_alloc += n;
  }
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace runnel::resp {
namespace {

using Commands = std::vector<std::vector<std::string>>;

struct Outcome {
  Commands commands;
  std::string rendered;                     // the commands in Render's form, built as they complete
  uint64_t hash = 14695981039346656037ULL;  // instead of `rendered` when commands are not kept
  std::string error;                        // empty when no error
  bool mid_command = false;
  bool consumed_all_on_need_more = true;  // kNeedMore must always consume its whole input
};

// Appends one command in a compact form: [len:arg,len:arg].
void RenderCommand(std::string& s, const ArgList& args) {
  s += "[";
  for (size_t i = 0; i < args.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(args[i].size());
    s += ":";
    s += args[i];
  }
  s += "]";
}

// Feeds `chunks` in order, running every command as it completes.
// FNV-1a over each argument's length and bytes: a cheap fingerprint of a command sequence.
void HashCommand(uint64_t& h, const ArgList& args) {
  auto mix = [&h](std::string_view bytes) {
    for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ULL;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    uint64_t n = args[i].size();
    mix(std::string_view(reinterpret_cast<const char*>(&n), sizeof(n)));
    mix(args[i]);
  }
  mix("|");  // command boundary
}

// With keep_commands false only `hash` is filled (cheaper, for the big every-split runs).
Outcome Feed(const std::vector<std::string_view>& chunks, const ParserLimits& limits = {},
             bool keep_commands = true) {
  RequestParser parser;
  parser.set_limits(limits);
  ArgList args;
  Outcome out;
  for (std::string_view chunk : chunks) {
    size_t off = 0;
    while (true) {
      RequestParser::Result r = parser.Parse(chunk.substr(off), args);
      if (r.consumed > chunk.size() - off) {
        out.error = "consumed more than given";
        return out;
      }
      off += r.consumed;
      if (r.status == RequestParser::Status::kCommand) {
        if (keep_commands) {
          out.commands.push_back(args.ToStrings());
          RenderCommand(out.rendered, args);
        } else {
          HashCommand(out.hash, args);
        }
        args.Clear();
        continue;
      }
      if (r.status == RequestParser::Status::kError) {
        out.error = parser.error();
        return out;
      }
      if (off != chunk.size()) out.consumed_all_on_need_more = false;
      break;
    }
  }
  out.mid_command = parser.mid_command();
  return out;
}

Outcome FeedWhole(std::string_view input, const ParserLimits& limits = {}) {
  return Feed({input}, limits);
}

Outcome FeedBytewise(std::string_view input, const ParserLimits& limits = {}) {
  std::vector<std::string_view> chunks;
  for (size_t i = 0; i < input.size(); ++i) chunks.push_back(input.substr(i, 1));
  return Feed(chunks, limits);
}

Outcome FeedSplit(std::string_view input, size_t at, const ParserLimits& limits = {},
                  bool keep_commands = true) {
  return Feed({input.substr(0, at), input.substr(at)}, limits, keep_commands);
}

// A compact rendering so thousands of outcomes compare cheaply and print readably.
std::string Render(const Outcome& o) {
  std::string s = o.rendered;
  if (!o.error.empty()) s += " ERR " + o.error;
  if (o.mid_command) s += " (mid-command)";
  if (!o.consumed_all_on_need_more) s += " (kNeedMore left bytes)";
  return s;
}

std::string Render(const Commands& commands) {
  Outcome o;
  for (const auto& cmd : commands) {
    ArgList args;
    for (const auto& a : cmd) args.Add(a);
    RenderCommand(o.rendered, args);
  }
  return Render(o);
}

// Render's form for the hashed outcomes of the every-split runs.
std::string RenderHashed(const Outcome& o) {
  Outcome copy = o;
  copy.rendered = "#" + std::to_string(o.hash);
  return Render(copy);
}

std::string RenderHashed(const Commands& commands) {
  Outcome o;
  for (const auto& cmd : commands) {
    ArgList args;
    for (const auto& a : cmd) args.Add(a);
    HashCommand(o.hash, args);
  }
  return RenderHashed(o);
}

// Checks that `input` parses to exactly `expected` fed whole, at every two-part split and one
// byte at a time.
void CheckAllSplits(std::string_view input, const Commands& expected,
                    const ParserLimits& limits = {}) {
  const std::string want = Render(expected);
  CHECK(Render(FeedWhole(input, limits)) == want);
  CHECK(Render(FeedBytewise(input, limits)) == want);
  // Every two-part split, compared by fingerprint (the whole and bytewise runs print diffs).
  const std::string want_hashed = RenderHashed(expected);
  size_t mismatches = 0;
  std::string first_bad;
  for (size_t at = 0; at <= input.size(); ++at) {
    std::string got = RenderHashed(FeedSplit(input, at, limits, /*keep_commands=*/false));
    if (got != want_hashed) {
      if (mismatches++ == 0) {
        first_bad = "split at " + std::to_string(at) + ": " + Render(FeedSplit(input, at, limits));
      }
    }
  }
  INFO(first_bad);
  CHECK(mismatches == 0);
}

// Checks that `input` fails with exactly `error` however it is split.
void CheckErrorAllSplits(std::string_view input, const std::string& error,
                         const ParserLimits& limits = {}) {
  CHECK(FeedWhole(input, limits).error == error);
  CHECK(FeedBytewise(input, limits).error == error);
  size_t mismatches = 0;
  std::string first_bad;
  for (size_t at = 0; at <= input.size(); ++at) {
    Outcome o = FeedSplit(input, at, limits);
    if (o.error != error) {
      if (mismatches++ == 0) first_bad = "split at " + std::to_string(at) + ": " + Render(o);
    }
  }
  INFO(first_bad);
  CHECK(mismatches == 0);
}

std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

std::string Multibulk(const std::vector<std::string>& args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) s += Bulk(a);
  return s;
}

// ---- Valid input --------------------------------------------------------------------------

TEST_CASE("multibulk: concatenated commands parse identically under every split") {
  CheckAllSplits("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n*1\r\n$4\r\nPING\r\n",
                 {{"SET", "k", "value"}, {"PING"}});
}

TEST_CASE("multibulk: empty bulk strings, alone, first and last") {
  CheckAllSplits("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", {{"ECHO", ""}});
  CheckAllSplits("*3\r\n$0\r\n\r\n$1\r\nx\r\n$0\r\n\r\n", {{"", "x", ""}});
  CheckAllSplits("*1\r\n$0\r\n\r\n*1\r\n$0\r\n\r\n", {{""}, {""}});
}

TEST_CASE("multibulk: binary payloads with CR, LF and NUL inside are taken by length") {
  std::string payload("a\r\nb\0c", 6);
  CheckAllSplits(Multibulk({"ECHO", payload}), {{"ECHO", payload}});
  CheckAllSplits("*1\r\n$2\r\n\r\n\r\n", {{"\r\n"}});
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  CheckAllSplits(Multibulk({"SET", all_bytes, "*$\r\n"}), {{"SET", all_bytes, "*$\r\n"}});
}

TEST_CASE("inline: plain commands with CRLF and bare LF") {
  CheckAllSplits("SET k v\r\nPING\nGET   k  \r\n", {{"SET", "k", "v"}, {"PING"}, {"GET", "k"}});
  CheckAllSplits("\tECHO\thi\r\n", {{"ECHO", "hi"}});
}

TEST_CASE("inline: double quotes, single quotes and escapes") {
  CheckAllSplits(
      "SET \"a b\" 'c d' \"\\x41\\x4a\\x7e\\n\" \"q\\\"x\" 'it\\'s' \"\\t\\r\\b\\a\\\\\"\r\n",
      {{"SET", "a b", "c d", "AJ~\n", "q\"x", "it's", "\t\r\b\a\\"}});
  // \x with non-hex digits is not an escape: the backslash goes, the 'x' stays.
  CheckAllSplits("ECHO \"\\xZZ\" \"\\x4\"\r\n", {{"ECHO", "xZZ", "x4"}});
  // Single quotes take only \' as an escape.
  CheckAllSplits("ECHO 'a\\nb'\r\n", {{"ECHO", "a\\nb"}});
  // Quotes glued to a word start a quoted part inside the same argument; empty quotes are an
  // empty argument.
  CheckAllSplits("ECHO ab\"c d\" \"\" ''\r\n", {{"ECHO", "abc d", "", ""}});
  // High-bit bytes from \x escapes.
  CheckAllSplits("ECHO \"\\xff\\x00\"\r\n", {{"ECHO", std::string("\xff\0", 2)}});
}

TEST_CASE("inline: empty and blank lines are skipped without a command") {
  CheckAllSplits("\r\n\n  \r\n\t\nPING\r\n\r\n", {{"PING"}});
  Outcome o = FeedWhole("\r\n\r\n");
  CHECK(o.commands.empty());
  CHECK(o.error.empty());
  CHECK_FALSE(o.mid_command);
}

TEST_CASE("multibulk: *0 and *-1 are skipped silently") {
  CheckAllSplits("*0\r\n*-1\r\nPING\r\n*1\r\n$4\r\nPING\r\n*0\r\n", {{"PING"}, {"PING"}});
  Outcome o = FeedWhole("*0\r\n*-1\r\n");
  CHECK(o.commands.empty());
  CHECK(o.error.empty());
  CHECK_FALSE(o.mid_command);
}

TEST_CASE("inline and multibulk commands mixed in one stream") {
  CheckAllSplits("PING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nECHO 'x y'\n*1\r\n$4\r\nQUIT\r\n",
                 {{"PING"}, {"ECHO", "hi"}, {"ECHO", "x y"}, {"QUIT"}});
}

TEST_CASE("pipeline of 500 commands parses identically under every split") {
  std::string input;
  Commands expected;
  for (int i = 0; i < 500; ++i) {
    std::vector<std::string> cmd;
    if (i % 3 == 0) {
      cmd = {"XADD", "s", "*", "f", std::to_string(i % 10)};
      input += Multibulk(cmd);
    } else if (i % 3 == 1) {
      cmd = {"GET", std::to_string(i)};
      input += "GET " + std::to_string(i) + "\n";
    } else {
      cmd = {"E", std::string(static_cast<size_t>(i % 3), 'z')};
      input += Multibulk(cmd);
    }
    expected.push_back(cmd);
  }
  REQUIRE(expected.size() == 500);
  CheckAllSplits(input, expected);
}

TEST_CASE("Parse stops after each command and reports the bytes it used") {
  RequestParser parser;
  ArgList args;
  std::string input = "*1\r\n$4\r\nPING\r\nECHO hi\r\n";
  auto r = parser.Parse(input, args);
  CHECK(r.status == RequestParser::Status::kCommand);
  CHECK(r.consumed == 14);
  REQUIRE(args.size() == 1);
  CHECK(args[0] == "PING");
  args.Clear();
  r = parser.Parse(std::string_view(input).substr(14), args);
  CHECK(r.status == RequestParser::Status::kCommand);
  CHECK(r.consumed == 9);
  REQUIRE(args.size() == 2);
  CHECK(args[1] == "hi");
  CHECK_FALSE(parser.mid_command());
}

TEST_CASE("mid_command and buffered report a partial command") {
  RequestParser parser;
  ArgList args;
  CHECK_FALSE(parser.mid_command());
  auto r = parser.Parse("*12", args);
  CHECK(r.status == RequestParser::Status::kNeedMore);
  CHECK(r.consumed == 3);
  CHECK(parser.mid_command());
  CHECK(parser.buffered() == 3);
  r = parser.Parse("\r\n$3\r\nab", args);
  CHECK(r.status == RequestParser::Status::kNeedMore);
  CHECK(parser.mid_command());
  CHECK(parser.buffered() == 0);
}

// ---- The quirk kept from Redis -------------------------------------------------------------

TEST_CASE(
    "quirk: the byte after '\\r' of a length line and two bytes after a payload are skipped") {
  // "*1\rX" and "$4\rY": the byte after '\r' is not checked; "AB" after the payload neither.
  CheckAllSplits("*1\rX$4\rYPINGAB*1\r\n$4\r\nPING\r\n", {{"PING"}, {"PING"}});
  // Even a '*' or '$' in a skipped position is swallowed, not parsed.
  CheckAllSplits("*2\r*$3\r$GET$$$1\r\nk\r\n", {{"GET", "k"}});
}

// ---- Malformed input: exact error strings --------------------------------------------------

TEST_CASE("error: a bulk header that is not '$'") {
  CheckErrorAllSplits("*1\r\n:5\r\n", "Protocol error: expected '$', got ':'");
  CheckErrorAllSplits("*2\r\n$1\r\na\r\n+x\r\n", "Protocol error: expected '$', got '+'");
}

TEST_CASE("error: invalid bulk lengths") {
  const std::string e = "Protocol error: invalid bulk length";
  CheckErrorAllSplits("*1\r\n$05\r\nhello\r\n", e);
  CheckErrorAllSplits("*1\r\n$-2\r\n", e);
  CheckErrorAllSplits("*1\r\n$-1\r\n", e);
  CheckErrorAllSplits("*1\r\n$-0\r\n", e);
  CheckErrorAllSplits("*1\r\n$+5\r\n", e);
  CheckErrorAllSplits("*1\r\n$\r\n", e);
  CheckErrorAllSplits("*1\r\n$5x\r\n", e);
  CheckErrorAllSplits("*1\r\n$99999999999999999999\r\n", e);
  // Over proto-max-bulk-len (default 512 MB), and over a configured limit.
  CheckErrorAllSplits("*1\r\n$536870913\r\n", e);
  ParserLimits small;
  small.max_bulk_len = 8;
  CheckErrorAllSplits("*1\r\n$9\r\n", e, small);
  CheckAllSplits("*1\r\n$8\r\n12345678\r\n", {{"12345678"}}, small);
}

TEST_CASE("error: invalid multibulk lengths") {
  const std::string e = "Protocol error: invalid multibulk length";
  CheckErrorAllSplits("*abc\r\n", e);
  CheckErrorAllSplits("*2147483648\r\n", e);
  CheckErrorAllSplits("*\r\n", e);
  CheckErrorAllSplits("*01\r\n", e);
  CheckErrorAllSplits("*+1\r\n", e);
  CheckErrorAllSplits("*1 \r\n", e);
  // INT_MAX itself is accepted: no error, just waiting for the arguments.
  Outcome o = FeedWhole("*2147483647\r\n$3\r\nfoo\r\n");
  CHECK(o.error.empty());
  CHECK(o.mid_command);
}

TEST_CASE("error: unbalanced quotes in an inline request") {
  const std::string e = "Protocol error: unbalanced quotes in request";
  CheckErrorAllSplits("SET \"abc\r\n", e);
  CheckErrorAllSplits("SET 'abc\r\n", e);
  CheckErrorAllSplits("SET \"a\"b\r\n", e);  // closing quote not followed by a space
  CheckErrorAllSplits("SET 'a'b\r\n", e);
  CheckErrorAllSplits("SET \"abc\\\"\r\n", e);  // the quote is escaped
  // Commands before the bad line still come out.
  Outcome o = FeedWhole("PING\r\nSET \"x\r\n");
  CHECK(Render(o.commands) == "[4:PING]");
  CHECK(o.error == e);
}

TEST_CASE("SplitInlineArgs reports unbalanced quotes") {
  ArgList args;
  CHECK(SplitInlineArgs("a \"b c\" d", args));
  CHECK(args.ToStrings() == std::vector<std::string>{"a", "b c", "d"});
  ArgList bad;
  CHECK_FALSE(SplitInlineArgs("a \"b", bad));
  ArgList bad2;
  CHECK_FALSE(SplitInlineArgs("'x'y", bad2));
  ArgList empty;
  CHECK(SplitInlineArgs("   ", empty));
  CHECK(empty.empty());
}

TEST_CASE("error: too big inline request") {
  const std::string e = "Protocol error: too big inline request";
  std::string big(64 * 1024 + 1, 'a');
  CHECK(FeedWhole(big).error == e);
  std::vector<std::string_view> chunks;
  for (size_t i = 0; i < big.size(); i += 1000)
    chunks.push_back(std::string_view(big).substr(i, 1000));
  CHECK(Feed(chunks).error == e);
  CHECK(FeedSplit(big, 64 * 1024).error == e);
  // Exactly the limit without a newline is still acceptable.
  std::string at_limit(64 * 1024, 'a');
  Outcome o = FeedWhole(at_limit);
  CHECK(o.error.empty());
  CHECK(o.mid_command);
  // The verdict on an over-long line must not depend on whether its newline came in the same
  // read (the header promises that any split gives identical results).
  std::string line = big + "\r\n";
  CHECK(FeedWhole(line).error == e);
  CHECK(FeedSplit(line, 40000).error == e);
  CHECK(FeedSplit(line, big.size()).error == e);
}

TEST_CASE("the inline limit is per line: a big read of short lines is fine") {
  std::string input;
  for (int i = 0; i < 20000; ++i) input += "PING\r\n";  // 120 KB in one read
  Outcome o = FeedWhole(input);
  CHECK(o.error.empty());
  CHECK(o.commands.size() == 20000);
  // A line of exactly the limit, newline included in the same read, is accepted.
  std::string line(64 * 1024, 'a');
  line += "\n";
  Outcome one = FeedWhole(line);
  CHECK(one.error.empty());
  REQUIRE(one.commands.size() == 1);
  CHECK(one.commands[0][0].size() == 64 * 1024);
}

TEST_CASE("error: too big count strings") {
  std::string mbulk = "*" + std::string(64 * 1024, '1');
  CHECK(FeedWhole(mbulk).error == "Protocol error: too big mbulk count string");
  CHECK(FeedSplit(mbulk, 30000).error == "Protocol error: too big mbulk count string");
  std::string mbulk_ok = "*" + std::string(64 * 1024 - 1, '1');
  CHECK(FeedWhole(mbulk_ok).error.empty());

  std::string bulk = "*1\r\n$" + std::string(64 * 1024, '1');
  CHECK(FeedWhole(bulk).error == "Protocol error: too big bulk count string");
  CHECK(FeedSplit(bulk, 30000).error == "Protocol error: too big bulk count string");

  // Whether the '\r' arrives with the digits or later must not change the verdict.
  CHECK(FeedWhole(mbulk + "\r\n").error == "Protocol error: too big mbulk count string");
  CHECK(FeedSplit(mbulk + "\r\n", 100).error == "Protocol error: too big mbulk count string");
  CHECK(FeedWhole(bulk + "\r\n").error == "Protocol error: too big bulk count string");
}

TEST_CASE("unauthenticated limits: at most 10 arguments of 16 KB") {
  ParserLimits unauth;
  unauth.authenticated = false;
  CheckErrorAllSplits("*11\r\n", "Protocol error: unauthenticated multibulk length", unauth);
  CheckErrorAllSplits("*1\r\n$16385\r\n", "Protocol error: unauthenticated bulk length", unauth);
  std::vector<std::string> ten(10, "a");
  CHECK(Render(FeedWhole(Multibulk(ten), unauth)) == Render(Commands{ten}));
  std::string arg(16384, 'x');
  CHECK(Render(FeedWhole(Multibulk({"AUTH", arg}), unauth)) == Render(Commands{{"AUTH", arg}}));
  // An invalid length is still reported as invalid, not as unauthenticated.
  CHECK(FeedWhole("*abc\r\n", unauth).error == "Protocol error: invalid multibulk length");
  // Authenticated, the same input is fine.
  CHECK(FeedWhole("*11\r\n").error.empty());
  CHECK(FeedWhole("*1\r\n$16385\r\n").error.empty());
}

// ---- Memory follows the bytes received -----------------------------------------------------

TEST_CASE("a huge declared bulk length allocates only what arrives") {
  RequestParser parser;
  ArgList args;
  std::string head = "*1\r\n$536870912\r\n";
  std::string body(1000, 'x');
  g_largest_alloc = 0;
  g_total_alloc = 0;
  g_track_allocs = true;
  auto r1 = parser.Parse(head, args);
  auto status = r1.status;
  for (size_t i = 0; i < body.size(); i += 100) {
    auto r = parser.Parse(std::string_view(body).substr(i, 100), args);
    if (r.status != RequestParser::Status::kNeedMore) status = r.status;
  }
  g_track_allocs = false;
  CHECK(status == RequestParser::Status::kNeedMore);
  CHECK(parser.mid_command());
  CHECK(args.size() == 0);  // the argument under construction is not visible yet
  CHECK(args.bytes() == 1000);
  CHECK(g_largest_alloc < 64 * 1024);
  CHECK(g_total_alloc < 1024 * 1024);
}

TEST_CASE("a huge declared argument count allocates nothing in advance") {
  RequestParser parser;
  ArgList args;
  g_largest_alloc = 0;
  g_total_alloc = 0;
  g_track_allocs = true;
  auto r = parser.Parse("*2147483647\r\n$3\r\nfoo\r\n$3\r\nbar\r\n", args);
  g_track_allocs = false;
  CHECK(r.status == RequestParser::Status::kNeedMore);
  CHECK(args.size() == 2);
  CHECK(args.bytes() == 6);
  CHECK(g_largest_alloc < 64 * 1024);
  CHECK(g_total_alloc < 1024 * 1024);
}

// ---- ArgList --------------------------------------------------------------------------------

TEST_CASE("ArgList stores arguments back to back and hides the open one") {
  ArgList args{"SET", "", "value"};
  CHECK(args.size() == 3);
  CHECK(args[0] == "SET");
  CHECK(args[1].empty());
  CHECK(args[2] == "value");
  CHECK(args.bytes() == 8);
  args.BeginArg();
  args.Append("ab");
  CHECK(args.size() == 3);
  CHECK(args.OpenArgLength() == 2);
  args.Append("c");
  args.EndArg();
  CHECK(args.size() == 4);
  CHECK(args[3] == "abc");
  CHECK(args.OpenArgLength() == 0);
  CHECK(args.ToStrings() == std::vector<std::string>{"SET", "", "value", "abc"});
  args.Clear();
  CHECK(args.empty());
  CHECK(args.bytes() == 0);
}

}  // namespace
}  // namespace runnel::resp
