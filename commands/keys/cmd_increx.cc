// INCREX (Redis 8.8): a counter with bounds and an expiry in one command, for rate limits and
// quotas.
//
//   INCREX key [BYINT n | BYFLOAT x] [LBOUND lo] [UBOUND hi] [SATURATE]
//              [EX s | PX ms | EXAT s | PXAT ms | PERSIST] [ENX]
//
// The key counts from 0 when missing; the default step is BYINT 1. The reply is the value after
// the command and the increment actually applied. A result outside [LBOUND, UBOUND] (or past
// the integer range) is refused, replying [current, 0] and touching nothing, not even creating
// the key; with SATURATE it is clamped to the bound. An applied increment sets the expiry asked
// for (ENX: only when the key has none) or removes it (PERSIST); without either the TTL stays,
// as INCR keeps it. Logged as SET KEEPTTL of the value it became, then PEXPIREAT or PERSIST.
//
// Where the documentation is silent, Runnel answers: bounds must be numbers of the step's kind
// (integers for BYINT), LBOUND may not exceed UBOUND, ENX needs one of EX, PX, EXAT, PXAT; and
// the events are INCR's and INCRBYFLOAT's ("incrby", "incrbyfloat"), plus "expire" or "persist".
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "commands/keys/register.h"
#include "commands/keys/string_args.h"
#include "config/config.h"
#include "dispatch/args.h"
#include "streams/numbers.h"

namespace runnel::commands {
namespace {

using dispatch::CommandContext;
using dispatch::CommandSpec;
using dispatch::IEquals;
namespace errors = dispatch::errors;

struct IncrExArgs {
  bool by_float = false;
  std::string_view by = "1";  // the step as given
  std::optional<std::string_view> lower, upper;
  bool saturate = false, enx = false, persist = false;
  std::string_view unit, expire_arg;  // "EX", "PX", "EXAT", "PXAT" or empty
};

bool ParseIncrEx(CommandContext& ctx, IncrExArgs* a) {
  dispatch::ArgParser p(ctx, 2);
  bool by_given = false;
  while (p.HasNext()) {
    std::string_view opt = ctx.arg(p.pos());
    bool has_expiry = a->persist || !a->unit.empty();
    bool expiry =
        IEquals(opt, "EX") || IEquals(opt, "PX") || IEquals(opt, "EXAT") || IEquals(opt, "PXAT");
    if (!by_given && (IEquals(opt, "BYINT") || IEquals(opt, "BYFLOAT")) && p.Check(opt, 1)) {
      by_given = true;
      a->by_float = IEquals(opt, "BYFLOAT");
      a->by = p.Next();
    } else if (!a->lower && p.Check("LBOUND", 1)) {
      a->lower = p.Next();
    } else if (!a->upper && p.Check("UBOUND", 1)) {
      a->upper = p.Next();
    } else if (p.Check("SATURATE")) {
      a->saturate = true;
    } else if (p.Check("ENX")) {
      a->enx = true;
    } else if (!has_expiry && p.Check("PERSIST")) {
      a->persist = true;
    } else if (expiry && !has_expiry && p.Check(opt, 1)) {
      a->unit = opt;
      a->expire_arg = p.Next();
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  if (!p.Finish()) return false;
  if (a->enx && a->unit.empty()) {
    ctx.Error(errors::kSyntax);
    return false;
  }
  return true;
}

// The outcome of the arithmetic: the new value's text and the reply's two numbers, or nothing
// applied.
struct Step {
  bool applied = false;
  std::string text;  // the value stored
  std::string reply_value, reply_increment;
};

// BYINT: with the int64 range as the outer bounds.
std::optional<Step> IntegerStep(CommandContext& ctx, const IncrExArgs& a, const std::string* s) {
  auto by = streams::ParseStrictInt64(a.by);
  int64_t current = 0;
  if (s != nullptr) {
    auto v = streams::ParseStrictInt64(*s);
    if (!v) by.reset();
    current = v.value_or(0);
  }
  auto lower = a.lower ? streams::ParseStrictInt64(*a.lower) : std::optional<int64_t>(INT64_MIN);
  auto upper = a.upper ? streams::ParseStrictInt64(*a.upper) : std::optional<int64_t>(INT64_MAX);
  if (!by || !lower || !upper) {
    ctx.Error(errors::kNotInteger);
    return std::nullopt;
  }
  if (*lower > *upper) {
    ctx.Error(errors::kIncrExBounds);
    return std::nullopt;
  }
  const __int128 sum = static_cast<__int128>(current) + *by;
  __int128 result = sum;
  if (sum < *lower || sum > *upper) {
    if (!a.saturate) return Step{false, {}, streams::ToString(current), "0"};
    result = std::clamp<__int128>(sum, *lower, *upper);
  }
  // A clamp can move a value that starts outside the bounds further than any int64 step.
  const __int128 applied = result - current;
  if (applied > INT64_MAX || applied < INT64_MIN) {
    ctx.Error(errors::Message(streams::Errc::kOverflow));
    return std::nullopt;
  }
  std::string text = streams::ToString(static_cast<int64_t>(result));
  return Step{true, text, text, streams::ToString(static_cast<int64_t>(applied))};
}

// BYFLOAT: as INCRBYFLOAT reads and writes values.
std::optional<Step> FloatStep(CommandContext& ctx, const IncrExArgs& a, const std::string* s) {
  auto by = ParseLongDouble(a.by);
  std::optional<long double> current = s != nullptr ? ParseLongDouble(*s) : 0.0L;
  auto lower = a.lower ? ParseLongDouble(*a.lower) : std::optional<long double>(-HUGE_VALL);
  auto upper = a.upper ? ParseLongDouble(*a.upper) : std::optional<long double>(HUGE_VALL);
  if (!by || !current || !lower || !upper || std::isinf(*by) || std::isinf(*current)) {
    ctx.Error(errors::kNotFloat);
    return std::nullopt;
  }
  if (*lower > *upper) {
    ctx.Error(errors::kIncrExBounds);
    return std::nullopt;
  }
  long double result = *current + *by;
  if (std::isnan(result) || std::isinf(result)) {
    ctx.Error(errors::kFloatNanOrInfinity);
    return std::nullopt;
  }
  if (result < *lower || result > *upper) {
    if (!a.saturate) return Step{false, {}, FormatLongDouble(*current), "0"};
    result = std::clamp(result, *lower, *upper);
  }
  std::string text = FormatLongDouble(result);
  return Step{true, text, text, FormatLongDouble(result - *current)};
}

void ReplyStep(CommandContext& ctx, const IncrExArgs& a, const Step& step) {
  ctx.reply.Array(2);
  for (const std::string& n : {step.reply_value, step.reply_increment}) {
    if (a.by_float) {
      ctx.reply.DoubleText(n);
    } else {
      ctx.reply.Integer(*streams::ParseStrictInt64(n));
    }
  }
}

void CmdIncrEx(CommandContext& ctx) {
  IncrExArgs a;
  if (!ParseIncrEx(ctx, &a)) return;
  int64_t expire = -1;
  if (!a.unit.empty()) {
    bool seconds = IEquals(a.unit, "EX") || IEquals(a.unit, "EXAT");
    bool relative = IEquals(a.unit, "EX") || IEquals(a.unit, "PX");
    auto e = ExpiryOrReply(ctx, a.expire_arg, seconds, relative, "increx");
    if (!e) return;
    expire = *e;
  }
  std::string_view key = ctx.arg(1);
  auto s = StringOrReply(ctx, key);
  if (!s) return;
  std::optional<Step> step = a.by_float ? FloatStep(ctx, a, *s) : IntegerStep(ctx, a, *s);
  if (!step) return;
  if (!step->applied) return ReplyStep(ctx, a, *step);
  streams::Database::Node* node = ctx.db().Find(key, ctx.now_ms);
  if (node != nullptr) {
    *node->value.value.string() = step->text;
    node->value.string_form = streams::StringForm::kByContent;  // a new number
    ctx.db().NotifyChanged(key);
  } else {
    node = ctx.db().Set(key, streams::Value(step->text));
  }
  ctx.effects().SetKeepTtl(key, step->text);
  ctx.Notify(config::kNotifyString, a.by_float ? "incrbyfloat" : "incrby", key);
  if (expire >= 0 && !(a.enx && node->value.expire_ms >= 0)) {
    ctx.db().SetExpire(node, expire);
    ctx.effects().PExpireAt(key, expire);
    ctx.Notify(config::kNotifyGeneric, "expire", key);
  } else if (a.persist && node->value.expire_ms >= 0) {
    ctx.db().SetExpire(node, -1);
    ctx.effects().Persist(key);
    ctx.Notify(config::kNotifyGeneric, "persist", key);
  }
  ctx.Changed();
  ReplyStep(ctx, a, *step);
}

}  // namespace

void RegisterIncrExCommand(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  out.push_back({.name = "increx",
                 .arity = -2,
                 .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
                 .handler = CmdIncrEx,
                 .keys = {1, 1, 1},
                 .acl_categories = "@write @string @fast",
                 .key_flags = "RW access update"});
}

}  // namespace runnel::commands
