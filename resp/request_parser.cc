// Implementation notes: the parser is a small state machine over the input span. Each state
// either consumes bytes and moves on, or consumes everything it was given and asks for more.
#include "resp/request_parser.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace runnel::resp {
namespace {

// Redis's string2ll: optional '-', no '+', no leading zeros (except "0"), must fit in int64.
bool ParseLength(std::string_view s, int64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  if (s == "0") {
    out = 0;
    return true;
  }
  bool negative = false;
  size_t i = 0;
  if (s[0] == '-') {
    negative = true;
    i = 1;
    if (s.size() == 1) return false;
  }
  if (s[i] < '1' || s[i] > '9') return false;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (negative) {
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    out = static_cast<int64_t>(0 - v);
  } else {
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    out = static_cast<int64_t>(v);
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

}  // namespace

bool SplitInlineArgs(std::string_view line, ArgList& args) {
  size_t i = 0;
  const size_t n = line.size();
  while (true) {
    while (i < n && IsSpace(line[i])) ++i;
    if (i >= n) return true;
    args.BeginArg();
    bool in_double = false, in_single = false, done = false;
    while (!done) {
      if (in_double) {
        if (i >= n) return false;  // unterminated quotes
        if (line[i] == '\\' && i + 3 < n && line[i + 1] == 'x' && HexValue(line[i + 2]) >= 0 &&
            HexValue(line[i + 3]) >= 0) {
          char c = static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3]));
          args.Append(std::string_view(&c, 1));
          i += 3;
        } else if (line[i] == '\\' && i + 1 < n) {
          char c;
          switch (line[++i]) {
            case 'n':
              c = '\n';
              break;
            case 'r':
              c = '\r';
              break;
            case 't':
              c = '\t';
              break;
            case 'b':
              c = '\b';
              break;
            case 'a':
              c = '\a';
              break;
            default:
              c = line[i];
              break;
          }
          args.Append(std::string_view(&c, 1));
        } else if (line[i] == '"') {
          // A closing quote must be followed by a space or the end of the line.
          if (i + 1 < n && !IsSpace(line[i + 1])) return false;
          done = true;
        } else {
          args.Append(line.substr(i, 1));
        }
      } else if (in_single) {
        if (i >= n) return false;
        if (line[i] == '\\' && i + 1 < n && line[i + 1] == '\'') {
          ++i;
          args.Append("'");
        } else if (line[i] == '\'') {
          if (i + 1 < n && !IsSpace(line[i + 1])) return false;
          done = true;
        } else {
          args.Append(line.substr(i, 1));
        }
      } else {
        if (i >= n) {
          done = true;
          break;
        }
        switch (line[i]) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            in_double = true;
            break;
          case '\'':
            in_single = true;
            break;
          default:
            args.Append(line.substr(i, 1));
            break;
        }
      }
      if (i < n) ++i;
    }
    args.EndArg();
  }
}

RequestParser::Result RequestParser::Fail(std::string message, size_t consumed) {
  error_ = std::move(message);
  return {Status::kError, consumed};
}

bool RequestParser::CollectLengthLine(std::string_view input, size_t& pos) {
  const char* begin = input.data() + pos;
  const char* cr = static_cast<const char*>(std::memchr(begin, '\r', input.size() - pos));
  if (cr == nullptr) {
    line_.append(begin, input.size() - pos);
    pos = input.size();
    return false;
  }
  line_.append(begin, static_cast<size_t>(cr - begin));
  pos = static_cast<size_t>(cr - input.data()) + 1;
  return true;
}

bool RequestParser::FinishMultibulkCount(std::string& error) {
  int64_t count = 0;
  if (!ParseLength(std::string_view(line_).substr(1), count) || count > limits_.max_multibulk_len) {
    error = "Protocol error: invalid multibulk length";
    return false;
  }
  if (!limits_.authenticated && count > ParserLimits::kUnauthMultibulkLen) {
    error = "Protocol error: unauthenticated multibulk length";
    return false;
  }
  args_left_ = count;  // <= 0 means an empty command, which Redis skips silently
  return true;
}

bool RequestParser::FinishBulkCount(std::string& error) {
  if (line_.empty() || line_[0] != '$') {
    error = "Protocol error: expected '$', got '";
    error += line_.empty() ? '\r' : line_[0];
    error += "'";
    return false;
  }
  int64_t len = 0;
  if (!ParseLength(std::string_view(line_).substr(1), len) || len < 0 ||
      len > limits_.max_bulk_len) {
    error = "Protocol error: invalid bulk length";
    return false;
  }
  if (!limits_.authenticated && len > ParserLimits::kUnauthBulkLen) {
    error = "Protocol error: unauthenticated bulk length";
    return false;
  }
  bulk_left_ = len;
  return true;
}

RequestParser::Result RequestParser::FinishInline(ArgList& args, size_t consumed) {
  std::string_view line(line_);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  bool ok = SplitInlineArgs(line, args);
  line_.clear();
  state_ = State::kIdle;
  if (!ok) {
    args.Clear();
    return Fail("Protocol error: unbalanced quotes in request", consumed);
  }
  return {args.empty() ? Status::kNeedMore : Status::kCommand, consumed};
}

bool RequestParser::Skip(std::string_view input, size_t& pos) {
  size_t skip = std::min<size_t>(static_cast<size_t>(skip_left_), input.size() - pos);
  pos += skip;
  skip_left_ -= static_cast<int>(skip);
  return skip_left_ == 0;
}

RequestParser::Result RequestParser::Parse(std::string_view input, ArgList& args) {
  size_t pos = 0;
  std::string error;
  // kBulkData may have work with no input left: a zero-length bulk.
  while (pos < input.size() || (state_ == State::kBulkData && bulk_left_ == 0)) {
    switch (state_) {
      case State::kIdle:
        line_.clear();
        state_ = input[pos] == '*' ? State::kMultibulkCount : State::kInline;
        break;

      case State::kInline: {
        const char* begin = input.data() + pos;
        const char* nl = static_cast<const char*>(std::memchr(begin, '\n', input.size() - pos));
        size_t take = nl ? static_cast<size_t>(nl - begin) : input.size() - pos;
        line_.append(begin, take);
        pos += take;
        // Checked even when the newline is here, so that the verdict on a long line does not
        // depend on whether its newline arrived in the same read.
        if (line_.size() > limits_.max_inline_len) {
          return Fail("Protocol error: too big inline request", pos);
        }
        if (!nl) return {Status::kNeedMore, pos};
        ++pos;  // the '\n'
        Result r = FinishInline(args, pos);
        if (r.status != Status::kNeedMore) return r;
        break;  // an empty line: keep going
      }

      case State::kMultibulkCount: {
        bool complete = CollectLengthLine(input, pos);
        // As for inline lines: the limit does not wait for the '\r'.
        if (line_.size() > limits_.max_inline_len) {
          return Fail("Protocol error: too big mbulk count string", pos);
        }
        if (!complete) return {Status::kNeedMore, pos};
        if (!FinishMultibulkCount(error)) return Fail(std::move(error), pos);
        skip_left_ = 1;
        state_ = State::kSkipAfterCount;
        break;
      }

      case State::kBulkCount: {
        bool complete = CollectLengthLine(input, pos);
        // As for inline lines: the limit does not wait for the '\r'.
        if (line_.size() > limits_.max_inline_len) {
          return Fail("Protocol error: too big bulk count string", pos);
        }
        if (!complete) return {Status::kNeedMore, pos};
        if (!FinishBulkCount(error)) return Fail(std::move(error), pos);
        skip_left_ = 1;
        state_ = State::kSkipAfterLen;
        break;
      }

      case State::kSkipAfterCount:
        if (!Skip(input, pos)) return {Status::kNeedMore, pos};
        line_.clear();
        // A count <= 0 is an empty command, which Redis skips without a reply.
        state_ = args_left_ > 0 ? State::kBulkCount : State::kIdle;
        break;

      case State::kSkipAfterLen:
        if (!Skip(input, pos)) return {Status::kNeedMore, pos};
        line_.clear();
        args.BeginArg();
        state_ = State::kBulkData;
        break;

      case State::kBulkData: {
        size_t take = std::min<size_t>(static_cast<size_t>(bulk_left_), input.size() - pos);
        args.Append(input.substr(pos, take));
        pos += take;
        bulk_left_ -= static_cast<int64_t>(take);
        if (bulk_left_ > 0) return {Status::kNeedMore, pos};
        args.EndArg();
        --args_left_;
        skip_left_ = 2;
        state_ = State::kSkipAfterBulk;
        break;
      }

      case State::kSkipAfterBulk:
        if (!Skip(input, pos)) return {Status::kNeedMore, pos};
        if (args_left_ > 0) {
          state_ = State::kBulkCount;
        } else {
          state_ = State::kIdle;
          return {Status::kCommand, pos};
        }
        break;
    }
  }
  return {Status::kNeedMore, pos};
}

}  // namespace runnel::resp
