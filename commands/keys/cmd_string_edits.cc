// Byte and number edits of strings, with redis-server's replies and errors: APPEND, STRLEN,
// GETRANGE, SETRANGE, INCRBYFLOAT. APPEND and SETRANGE are logged as themselves (the bytes they
// add), INCRBYFLOAT as the SET of the value it produced, so replay needs no arithmetic.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "commands/keys/register.h"
#include "commands/keys/string_args.h"
#include "config/config.h"
#include "dispatch/args.h"

namespace runnel::commands {
namespace {

using dispatch::CommandContext;
using dispatch::CommandSpec;
namespace errors = dispatch::errors;

// A string may not grow past proto-max-bulk-len (nor wrap round): Redis's checkStringLength.
// Compared without forming offset + bytes, which overflows for an offset near INT64_MAX (found
// by fuzz/dispatcher: SETRANGE k 9223372036854775807 abc).
bool LengthOkOrReply(CommandContext& ctx, int64_t offset, size_t bytes) {
  const int64_t max = ctx.admin().config().proto_max_bulk_len;
  if (offset < 0 || offset > max || bytes > static_cast<uint64_t>(max - offset)) {
    ctx.Error(errors::kStringTooLong);
    return false;
  }
  return true;
}

void CmdAppend(CommandContext& ctx) {
  std::string_view key = ctx.arg(1), suffix = ctx.arg(2);
  auto s = StringOrReply(ctx, key);
  if (!s) return;
  std::string* value = *s;
  const bool existed = value != nullptr;
  if (value == nullptr) {
    value = ctx.db().Set(key, streams::Value(std::string()))->value.value.string();
  } else {
    if (!LengthOkOrReply(ctx, static_cast<int64_t>(value->size()), suffix.size())) return;
    ctx.db().NotifyChanged(key);
  }
  value->append(suffix);
  if (existed) ctx.db().Peek(key)->value.string_form = streams::StringForm::kEdited;
  ctx.effects().Append(key, suffix);
  ctx.Notify(config::kNotifyString, "append", key);
  ctx.Changed();
  ctx.reply.Integer(static_cast<int64_t>(value->size()));
}

void CmdStrLen(CommandContext& ctx) {
  auto s = StringOrReply(ctx, ctx.arg(1));
  if (!s) return;
  ctx.reply.Integer(*s == nullptr ? 0 : static_cast<int64_t>((*s)->size()));
}

// GETRANGE key start end: inclusive, negative indexes from the end, clamped as Redis does.
void CmdGetRange(CommandContext& ctx) {
  auto start = dispatch::IntArgOrReply(ctx, ctx.arg(2));
  if (!start) return;
  auto end = dispatch::IntArgOrReply(ctx, ctx.arg(3));
  if (!end) return;
  auto s = StringOrReply(ctx, ctx.arg(1));
  if (!s) return;
  const int64_t len = *s == nullptr ? 0 : static_cast<int64_t>((*s)->size());
  int64_t from = *start, to = *end;
  if (from < 0 && to < 0 && from > to) return ctx.reply.Bulk("");
  if (from < 0) from = std::max<int64_t>(len + from, 0);
  if (to < 0) to = std::max<int64_t>(len + to, 0);
  if (to >= len) to = len - 1;
  if (len == 0 || from > to) return ctx.reply.Bulk("");
  ctx.reply.Bulk(
      std::string_view(**s).substr(static_cast<size_t>(from), static_cast<size_t>(to - from + 1)));
}

// SETRANGE key offset value: zero-pads up to offset, then overwrites.
void CmdSetRange(CommandContext& ctx) {
  auto offset = dispatch::IntArgOrReply(ctx, ctx.arg(2));
  if (!offset) return;
  if (*offset < 0) return ctx.Error(errors::kOffsetOutOfRange);
  std::string_view key = ctx.arg(1), bytes = ctx.arg(3);
  auto s = StringOrReply(ctx, key);
  if (!s) return;
  std::string* value = *s;
  if (bytes.empty())
    return ctx.reply.Integer(value == nullptr ? 0 : static_cast<int64_t>(value->size()));
  if (!LengthOkOrReply(ctx, *offset, bytes.size())) return;
  if (value == nullptr) {
    value = ctx.db().Set(key, streams::Value(std::string()))->value.value.string();
  } else {
    ctx.db().NotifyChanged(key);
  }
  const size_t end = static_cast<size_t>(*offset) + bytes.size();
  if (value->size() < end) value->resize(end, '\0');
  value->replace(static_cast<size_t>(*offset), bytes.size(), bytes);
  ctx.db().Peek(key)->value.string_form = streams::StringForm::kEdited;
  ctx.effects().SetRange(key, *offset, bytes);
  ctx.Notify(config::kNotifyString, "setrange", key);
  ctx.Changed();
  ctx.reply.Integer(static_cast<int64_t>(value->size()));
}

void CmdIncrByFloat(CommandContext& ctx) {
  std::string_view key = ctx.arg(1);
  auto s = StringOrReply(ctx, key);
  if (!s) return;
  std::optional<long double> value = *s == nullptr ? 0.0L : ParseLongDouble(**s);
  std::optional<long double> incr = value ? ParseLongDouble(ctx.arg(2)) : std::nullopt;
  if (!value || !incr) return ctx.Error(errors::kNotFloat);
  const long double sum = *value + *incr;
  if (std::isnan(sum) || std::isinf(sum)) return ctx.Error(errors::kFloatNanOrInfinity);
  std::string text = FormatLongDouble(sum);
  if (*s != nullptr) {
    **s = text;
    ctx.db().NotifyChanged(key);
  } else {
    ctx.db().Set(key, streams::Value(text));
  }
  ctx.db().Peek(key)->value.string_form = streams::StringForm::kNeverInt;
  ctx.effects().SetKeepTtl(key, text);
  ctx.Notify(config::kNotifyString, "incrbyfloat", key);
  ctx.Changed();
  ctx.reply.Bulk(text);
}

}  // namespace

void RegisterStringEditCommands(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  out.push_back({.name = "append",
                 .arity = 3,
                 .flags = kW | kCmdFast,
                 .handler = CmdAppend,
                 .keys = {1, 1, 1},
                 .acl_categories = "@write @string @fast",
                 .key_flags = "RW insert"});
  out.push_back({.name = "strlen",
                 .arity = 2,
                 .flags = kCmdReadOnly | kCmdFast,
                 .handler = CmdStrLen,
                 .keys = {1, 1, 1},
                 .acl_categories = "@read @string @fast",
                 .key_flags = "RO"});
  // SUBSTR: GETRANGE's name before 2.0, deprecated but still served by Redis.
  for (const char* name : {"getrange", "substr"}) {
    out.push_back({.name = name,
                   .arity = 4,
                   .flags = kCmdReadOnly,
                   .handler = CmdGetRange,
                   .keys = {1, 1, 1},
                   .acl_categories = "@read @string @slow",
                   .key_flags = "RO access"});
  }
  out.push_back({.name = "setrange",
                 .arity = 4,
                 .flags = kW,
                 .handler = CmdSetRange,
                 .keys = {1, 1, 1},
                 .acl_categories = "@write @string @slow",
                 .key_flags = "RW update"});
  out.push_back({.name = "incrbyfloat",
                 .arity = 3,
                 .flags = kW | kCmdFast,
                 .handler = CmdIncrByFloat,
                 .keys = {1, 1, 1},
                 .acl_categories = "@write @string @fast",
                 .key_flags = "RW access update"});
}

}  // namespace runnel::commands
