// Parsing command arguments the way redis-server does.
//
// ArgParser walks the arguments from a position and latches the first error it meets — the one
// Redis would reply — so an option loop reads as the list of its options:
//
//   ArgParser p(ctx, 6);
//   while (p.HasNext()) {
//     if (p.Check("COUNT", 1)) {
//       count = p.Int();
//     } else if (p.Check("JUSTID")) {
//       justid = true;
//     } else {
//       p.Fail(errors::kSyntax);
//     }
//   }
//   if (!p.Finish()) return;  // replied the first error
//
// After an error every read returns an empty value and HasNext() is false, so the loop ends.
#pragma once

#include <strings.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "dispatch/context.h"
#include "dispatch/errors.h"
#include "streams/numbers.h"
#include "streams/stream_id.h"

namespace runnel::dispatch {

inline bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Parses a canonical int64 argument, or replies `error` (Redis's default when none is given).
inline std::optional<int64_t> IntArgOrReply(CommandContext& ctx, std::string_view arg,
                                            std::string_view error = errors::kNotInteger) {
  auto v = streams::ParseStrictInt64(arg);
  if (!v) ctx.Error(error);
  return v;
}

// A timeout in milliseconds (CLIENT PAUSE, WAIT, WAITAOF), or replies Redis's error for one
// that is not an integer or is negative.
inline std::optional<uint64_t> TimeoutMsArgOrReply(CommandContext& ctx, std::string_view arg) {
  auto ms = streams::ParseStrictInt64(arg);
  if (!ms) {
    ctx.Error(errors::kTimeoutNotInteger);
    return std::nullopt;
  }
  if (*ms < 0) {
    ctx.Error(errors::kTimeoutNegative);
    return std::nullopt;
  }
  return static_cast<uint64_t>(*ms);
}

class ArgParser {
 public:
  ArgParser(CommandContext& ctx, size_t start) : ctx_(ctx), pos_(start) {}

  bool ok() const { return error_.empty(); }
  bool HasNext() const { return ok() && pos_ < ctx_.argc(); }
  size_t pos() const { return pos_; }
  // Arguments left after the current one.
  size_t Remaining() const { return pos_ < ctx_.argc() ? ctx_.argc() - pos_ - 1 : 0; }

  // The next argument, consumed; "" with a syntax error past the end.
  std::string_view Next() {
    if (!ok()) return {};
    if (pos_ >= ctx_.argc()) {
      Fail(errors::kSyntax);
      return {};
    }
    return ctx_.arg(pos_++);
  }
  // Whether the next argument is `keyword` (in any case) with at least `needs` arguments after
  // it; if so, consumes it.
  bool Check(std::string_view keyword, size_t needs = 0) {
    if (!HasNext() || !IEquals(ctx_.arg(pos_), keyword) || Remaining() < needs) return false;
    ++pos_;
    return true;
  }
  // The next argument as a canonical int64, or 0 after latching `error`.
  int64_t Int(std::string_view error = errors::kNotInteger) {
    std::string_view text = Next();
    if (!ok()) return 0;
    auto v = streams::ParseStrictInt64(text);
    if (!v) Fail(error);
    return v.value_or(0);
  }
  // The next argument as a concrete stream ID ("-" and "+" refused).
  streams::StreamId Id() {
    std::string_view text = Next();
    if (!ok()) return {};
    auto parsed = streams::ParseStreamId(text, {.missing_seq = 0, .strict = true});
    if (!parsed) Fail(errors::kInvalidStreamId);
    return parsed ? parsed->id : streams::StreamId{};
  }
  // Latches `error` unless an earlier one is latched.
  void Fail(std::string_view error) {
    if (ok()) error_ = error;
  }
  // Replies the latched error, if any; true when there was none.
  bool Finish() {
    if (ok()) return true;
    ctx_.Error(error_);
    return false;
  }

 private:
  CommandContext& ctx_;
  size_t pos_;
  std::string error_;
};

}  // namespace runnel::dispatch
