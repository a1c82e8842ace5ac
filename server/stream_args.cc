#include "server/stream_args.h"

#include <memory>
#include <string>

#include "server/errors.h"
#include "server/server.h"

namespace runnel::server {

using streams::IdParseOptions;
using streams::StreamId;

std::optional<StreamId> IdOrReply(CommandContext& ctx, std::string_view text,
                                  IdParseOptions options) {
  auto parsed = streams::ParseStreamId(text, options);
  if (!parsed) {
    ctx.Error(errors::kInvalidStreamId);
    return std::nullopt;
  }
  return parsed->id;
}

std::optional<StreamId> StrictIdOrReply(CommandContext& ctx, std::string_view text) {
  return IdOrReply(ctx, text, IdParseOptions{0, true, false});
}

std::optional<StreamId> IntervalIdOrReply(CommandContext& ctx, std::string_view text,
                                          bool is_start) {
  uint64_t missing_seq = is_start ? 0 : UINT64_MAX;
  bool exclusive = text.size() > 1 && text[0] == '(';
  if (!exclusive) return IdOrReply(ctx, text, IdParseOptions{missing_seq, false, false});
  auto id = IdOrReply(ctx, text.substr(1), IdParseOptions{missing_seq, true, false});
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

streams::Stream* CreateStream(CommandContext& ctx, std::string_view key) {
  auto node = ctx.db().Set(key, streams::Value(std::make_unique<streams::Stream>()));
  streams::Stream* s = node->value.value.stream();
  const Config& config = ctx.server.config();
  s->SetIdmpConfig({config.stream_idmp_duration, config.stream_idmp_maxsize});
  return s;
}

void PropagateStreamSettings(CommandContext& ctx, std::string_view key, const streams::Stream& s) {
  const streams::IdmpConfig& c = s.idmp_config();
  ctx.Propagate({"XCFGSET", key, "IDMP-DURATION", std::to_string(c.duration_s), "IDMP-MAXSIZE",
                 std::to_string(c.maxsize)});
}

}  // namespace runnel::server
