#include "commands/keys/string_args.h"

#include <xxhash.h>

#include <cerrno>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "config/config.h"
#include "dispatch/args.h"

namespace runnel::commands {

namespace errors = dispatch::errors;

std::optional<std::string*> StringOrReply(dispatch::CommandContext& ctx, std::string_view key) {
  auto found = ctx.db().FindString(key, ctx.now_ms);
  if (!found) {
    ctx.Error(errors::kWrongType);
    return std::nullopt;
  }
  return *found;
}

std::optional<int64_t> ExpiryOrReply(dispatch::CommandContext& ctx, std::string_view text,
                                     bool seconds, bool relative, std::string_view command) {
  auto v = dispatch::IntArgOrReply(ctx, text);
  if (!v) return std::nullopt;
  int64_t ms = *v;
  if (ms <= 0 || (seconds && ms > INT64_MAX / 1000)) {
    ctx.Error(errors::InvalidExpireTime(command));
    return std::nullopt;
  }
  if (seconds) ms *= 1000;
  if (relative) {
    if (ms > INT64_MAX - ctx.now_ms) {
      ctx.Error(errors::InvalidExpireTime(command));
      return std::nullopt;
    }
    ms += ctx.now_ms;
  }
  return ms;
}

std::optional<long double> ParseLongDouble(std::string_view text) {
  if (text.empty() || text.size() >= 5 * 1024) return std::nullopt;
  std::string buf(text);
  errno = 0;
  char* end = nullptr;
  long double v = std::strtold(buf.c_str(), &end);
  if (std::isspace(static_cast<unsigned char>(buf[0])) || *end != '\0' || std::isnan(v) ||
      (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0))) {
    return std::nullopt;
  }
  return v;
}

std::string FormatLongDouble(long double v) {
  char buf[5 * 1024];
  int n = std::snprintf(buf, sizeof(buf), "%.17Lf", v);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof(buf)) return "0";
  std::string out(buf, static_cast<size_t>(n));
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  if (out == "-0") out = "0";
  return out;
}

ValueCondition ValueConditionNamed(std::string_view word) {
  using dispatch::IEquals;
  if (IEquals(word, "IFEQ")) return ValueCondition::kIfEq;
  if (IEquals(word, "IFNE")) return ValueCondition::kIfNe;
  if (IEquals(word, "IFDEQ")) return ValueCondition::kIfDeq;
  if (IEquals(word, "IFDNE")) return ValueCondition::kIfDne;
  return ValueCondition::kNone;
}

std::string ValueDigest(std::string_view value) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(XXH3_64bits(value.data(), value.size())));
  return hex;
}

bool DigestArgOrReply(dispatch::CommandContext& ctx, ValueCondition c, std::string_view arg) {
  if (c != ValueCondition::kIfDeq && c != ValueCondition::kIfDne) return true;
  bool hex = arg.size() == 16 && arg.find_first_not_of("0123456789abcdefABCDEF") == arg.npos;
  if (!hex) ctx.Error(errors::kBadDigest);
  return hex;
}

bool ValueConditionHolds(ValueCondition c, const std::string* current, std::string_view arg) {
  auto same_digest = [&] { return dispatch::IEquals(ValueDigest(*current), arg); };
  switch (c) {
    case ValueCondition::kNone:
      return true;
    case ValueCondition::kIfEq:
      return current != nullptr && *current == arg;
    case ValueCondition::kIfNe:
      return current == nullptr || *current != arg;
    case ValueCondition::kIfDeq:
      return current != nullptr && same_digest();
    case ValueCondition::kIfDne:
      return current == nullptr || !same_digest();
  }
  return false;
}

void SetPairs(dispatch::CommandContext& ctx) {
  std::vector<std::string_view> pairs;
  for (size_t i = 1; i + 1 < ctx.argc(); i += 2) {
    ctx.db().Set(ctx.arg(i), streams::Value(std::string(ctx.arg(i + 1))));
    ctx.Notify(config::kNotifyString, "set", ctx.arg(i));
    pairs.push_back(ctx.arg(i));
    pairs.push_back(ctx.arg(i + 1));
  }
  ctx.effects().MSet(pairs);
  ctx.Changed(pairs.size() / 2);
}

}  // namespace runnel::commands
