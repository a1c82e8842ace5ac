// RequestParser: turns the bytes a client sends into command argument lists.
//
// It understands RESP multibulk requests ("*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n") and inline commands
// ("ECHO hi\r\n", as nc and telnet send them), and it is resumable: Parse() consumes as much of
// its input as it can and remembers where it stopped, even in the middle of a length line or a
// bulk string, so the caller never keeps unconsumed bytes around and any split of the input
// gives identical results.
//
// Limits mirror redis-server's and are checked before anything is stored; storage grows only as
// bytes arrive, never from a declared length or count. One deliberate difference: a line (inline
// or length) longer than max_inline_len is an error even when its end has arrived, because in
// Redis that verdict depends on how the reads split the line, and here no split may matter.
// After kError the parser is dead: the connection must answer error() and close, as Redis does.
//
// Quirks kept on purpose, because Redis has them: a length line ends at '\r' and the byte after
// it is skipped unchecked, and so are the two bytes after a bulk payload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "resp/arg_list.h"

namespace runnel::resp {

struct ParserLimits {
  int64_t max_bulk_len = 512LL * 1024 * 1024;  // proto-max-bulk-len
  int64_t max_multibulk_len = INT32_MAX;       // Redis 7 accepts counts up to INT_MAX
  size_t max_inline_len = 64 * 1024;           // PROTO_INLINE_MAX_SIZE
  // Before AUTH (when a password is required) Redis allows at most 10 arguments of 16 KB.
  bool authenticated = true;
  static constexpr int64_t kUnauthMultibulkLen = 10;
  static constexpr int64_t kUnauthBulkLen = 16384;
};

class RequestParser {
 public:
  enum class Status {
    kNeedMore,  // all input consumed, no complete command yet
    kCommand,   // a complete command is in the ArgList; `consumed` bytes were used
    kError,     // protocol error; error() holds the reply text (without the leading '-')
  };
  struct Result {
    Status status;
    size_t consumed;
  };

  // Parses from `input`, appending arguments to `args` (which the caller clears after each
  // command). Stops after one complete command so the caller can run it before parsing on.
  Result Parse(std::string_view input, ArgList& args);

  void set_limits(const ParserLimits& limits) { limits_ = limits; }
  ParserLimits& limits() { return limits_; }
  const std::string& error() const { return error_; }
  // True when the parser holds part of a command (bytes consumed but no command yet).
  bool mid_command() const { return state_ != State::kIdle; }
  // Bytes of a partial line held internally (for CLIENT LIST's qbuf).
  size_t buffered() const { return line_.size(); }

 private:
  enum class State {
    kIdle,            // between commands: the next byte decides multibulk or inline
    kInline,          // collecting an inline line into line_
    kMultibulkCount,  // collecting "*<n>" into line_
    kBulkCount,       // collecting "$<n>" into line_
    kBulkData,        // copying bulk payload into args
    kSkipAfterCount,  // skipping the byte after "*<n>\r" (normally '\n', unchecked as in Redis)
    kSkipAfterLen,    // skipping the byte after "$<n>\r"
    kSkipAfterBulk,   // skipping the two bytes after a bulk payload
  };

  Result Fail(std::string message, size_t consumed);
  // Collects a length line ended by '\r'. Returns true when complete (line_ holds it, '\r' and
  // the following byte consumed).
  bool CollectLengthLine(std::string_view input, size_t& pos);
  bool FinishMultibulkCount(std::string& error);
  bool FinishBulkCount(std::string& error);
  Result FinishInline(ArgList& args, size_t consumed);
  // Consumes up to skip_left_ bytes; true when the skip is complete.
  bool Skip(std::string_view input, size_t& pos);

  ParserLimits limits_;
  State state_ = State::kIdle;
  std::string line_;       // partial inline or length line
  int64_t args_left_ = 0;  // bulk strings still expected in this multibulk
  int64_t bulk_left_ = 0;  // payload bytes still expected in the current bulk
  int skip_left_ = 0;      // bytes to skip in the kSkip* states
  std::string error_;
};

// Splits an inline command line into arguments the way redis-cli and Redis do: whitespace
// separates, "double quotes" take \n \r \t \b \a \\ \" and \xHH escapes, 'single quotes' take
// only \'. Returns false on unbalanced quotes (or a closing quote not followed by a space).
bool SplitInlineArgs(std::string_view line, ArgList& args);

}  // namespace runnel::resp
