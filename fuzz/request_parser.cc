// Fuzz target: the request parser (resp/request_parser.h), fed the bytes a client could send.
//
// Checks, beyond "no crash and no sanitizer report":
//  - split independence: the input parsed in one piece and parsed again in pieces cut where the
//    input's own bytes say gives the same commands, the same final status and the same error —
//    the parser's header promises that no split of the input may matter;
//  - progress: a call that returns kNeedMore consumed all it was given, and no call consumes
//    more than it was given;
//  - round trip: every command parsed, encoded again as a multibulk request (as the log writes
//    effects), parses back to the same arguments.
// The first byte picks the limits (authenticated or not, a small inline limit) so that the
// limit checks are reached without megabytes of input.
#include "resp/request_parser.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "resp/arg_list.h"
#include "resp/command_encoder.h"

namespace {

using runnel::resp::ArgList;
using runnel::resp::ParserLimits;
using runnel::resp::RequestParser;
using Status = RequestParser::Status;

struct Outcome {
  std::vector<std::vector<std::string>> commands;
  Status last = Status::kNeedMore;
  std::string error;
  bool operator==(const Outcome&) const = default;
};

void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "request_parser invariant failed: %s\n", what);
  std::abort();
}

// Parses `input` given to the parser in pieces of the sizes `cuts` names (cycled; empty = one
// piece), continuing after each command as a connection does.
Outcome ParseAll(const ParserLimits& limits, std::string_view input, std::string_view cuts) {
  RequestParser parser;
  parser.set_limits(limits);
  ArgList args;
  Outcome out;
  size_t pos = 0;
  size_t cut = 0;
  while (pos < input.size()) {
    size_t piece = input.size() - pos;
    if (!cuts.empty()) {
      piece = std::min<size_t>(piece, 1 + static_cast<uint8_t>(cuts[cut++ % cuts.size()]) % 64);
    }
    std::string_view chunk = input.substr(pos, piece);
    // Consume the whole chunk (a connection parses on until its read buffer is empty).
    while (!chunk.empty()) {
      RequestParser::Result r = parser.Parse(chunk, args);
      Check(r.consumed <= chunk.size(), "consumed more than it was given");
      out.last = r.status;
      if (r.status == Status::kError) {
        out.error = parser.error();
        return out;
      }
      if (r.status == Status::kNeedMore) {
        Check(r.consumed == chunk.size(), "kNeedMore left bytes unconsumed");
      } else {
        out.commands.push_back(args.ToStrings());
        args.Clear();
      }
      chunk.remove_prefix(r.consumed);
      pos += r.consumed;
    }
  }
  return out;
}

void CheckRoundTrip(const std::vector<std::string>& command) {
  if (command.empty()) return;
  std::vector<std::string_view> views(command.begin(), command.end());
  std::string encoded;
  runnel::resp::EncodeCommand(&encoded, views);
  RequestParser parser;
  ParserLimits limits;
  limits.max_bulk_len = INT64_MAX;
  parser.set_limits(limits);
  ArgList args;
  RequestParser::Result r = parser.Parse(encoded, args);
  Check(r.status == Status::kCommand && r.consumed == encoded.size(), "re-encoded command");
  Check(args.ToStrings() == command, "re-encoded command parsed to other arguments");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t mode = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  ParserLimits limits;
  limits.authenticated = (mode & 1) == 0;
  if (mode & 2) limits.max_inline_len = 64;
  if (mode & 4) limits.max_bulk_len = 1000;
  if (mode & 8) limits.max_multibulk_len = 16;
  // The cut sizes come from the input's tail, so the fuzzer controls the split too.
  size_t cut_bytes = std::min<size_t>(rest.size() / 4, 16);
  std::string_view cuts = rest.substr(rest.size() - cut_bytes);

  Outcome whole = ParseAll(limits, rest, {});
  Outcome pieces = ParseAll(limits, rest, cuts.empty() ? std::string_view("\x01") : cuts);
  Check(whole == pieces, "a split of the input changed what was parsed");
  for (const auto& command : whole.commands) CheckRoundTrip(command);
  return 0;
}
