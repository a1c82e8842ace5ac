#include "commands/streams/stream_args.h"

#include <memory>

#include "dispatch/errors.h"

namespace runnel::commands {

using dispatch::CommandContext;
using streams::IdParseOptions;
using streams::StreamId;
namespace errors = dispatch::errors;

std::optional<StreamId> IdOrReply(CommandContext& ctx, std::string_view text,
                                  const IdParseOptions& options) {
  auto parsed = streams::ParseStreamId(text, options);
  if (!parsed) {
    ctx.Error(errors::kInvalidStreamId);
    return std::nullopt;
  }
  return parsed->id;
}

std::optional<StreamId> StrictIdOrReply(CommandContext& ctx, std::string_view text) {
  return IdOrReply(ctx, text, {.missing_seq = 0, .strict = true});
}

std::optional<StreamId> IntervalIdOrReply(CommandContext& ctx, std::string_view text,
                                          bool is_start) {
  uint64_t missing_seq = is_start ? 0 : UINT64_MAX;
  bool exclusive = text.size() > 1 && text[0] == '(';
  if (!exclusive) return IdOrReply(ctx, text, {.missing_seq = missing_seq});
  auto id = IdOrReply(ctx, text.substr(1), {.missing_seq = missing_seq, .strict = true});
  if (!id) return std::nullopt;
  auto moved = is_start ? id->Next() : id->Prev();
  if (!moved) {
    ctx.Error(is_start ? errors::kInvalidStartId : errors::kInvalidEndId);
    return std::nullopt;
  }
  return moved;
}

std::optional<streams::Stream*> StreamOrReply(CommandContext& ctx, std::string_view key) {
  auto found = ctx.db().FindStream(key, ctx.now_ms);
  if (!found) {
    ctx.Error(errors::kWrongType);
    return std::nullopt;
  }
  return *found;
}

streams::ConsumerGroup* GroupOrReply(CommandContext& ctx, streams::Stream** stream) {
  auto found = StreamOrReply(ctx, ctx.arg(1));
  if (!found) return nullptr;
  *stream = *found;
  streams::ConsumerGroup* g = *found ? (*found)->FindGroup(ctx.arg(2)) : nullptr;
  if (g == nullptr) ctx.Error(errors::NoGroup(ctx.arg(1), ctx.arg(2)));
  return g;
}

streams::Stream* CreateStream(CommandContext& ctx, std::string_view key) {
  auto node = ctx.db().Set(key, streams::Value(std::make_unique<streams::Stream>()));
  streams::Stream* s = node->value.value.stream();
  s->SetIdmpConfig(ctx.limits().new_stream);
  s->set_retention(ctx.limits().new_retention);
  if (s->retention().max_age_ms > 0) ctx.db().TrackTimed(key);  // for the age-out cron
  return s;
}

void LogNewStreamSettings(CommandContext& ctx, std::string_view key, const streams::Stream& s) {
  ctx.effects().XCfgSet(key, s);
}

}  // namespace runnel::commands
