#include "server/group_effects.h"

#include <string>
#include <vector>

#include "server/connection.h"
#include "server/idmp_effects.h"
#include "server/server.h"
#include "streams/numbers.h"
#include "streams/stream.h"

namespace runnel::server {
namespace {

constexpr std::string_view kConsumerTimes = "RUNNEL-CONSUMER-TIMES";
constexpr std::string_view kTrim = "RUNNEL-TRIM";
constexpr size_t kIdsPerTrimRecord = 1000;  // keeps each log record small

streams::Stream* FindStream(streams::Database& db, std::string_view key, int64_t now_ms) {
  auto* node = db.Find(key, now_ms);
  return node != nullptr ? node->value.value.stream() : nullptr;
}

bool ApplyConsumerTimes(streams::Database& db, const resp::ArgList& args, int64_t now_ms,
                        std::string* error) {
  if (args.size() != 6) {
    *error = std::string(kConsumerTimes) + " takes 5 arguments";
    return false;
  }
  streams::Stream* s = FindStream(db, args[1], now_ms);
  streams::ConsumerGroup* g = s != nullptr ? s->FindGroup(args[2]) : nullptr;
  streams::Consumer* c = g != nullptr ? g->FindConsumer(args[3]) : nullptr;
  auto seen = streams::ParseStrictInt64(args[4]);
  auto active = streams::ParseStrictInt64(args[5]);
  if (c == nullptr || !seen || !active) {
    *error = std::string(kConsumerTimes) + " names no consumer or has bad times";
    return false;
  }
  c->set_seen_ms(*seen);
  c->set_active_ms(*active);
  return true;
}

bool ApplyTrim(streams::Database& db, const resp::ArgList& args, int64_t now_ms,
               const streams::StreamLimits& limits, std::string* error) {
  streams::Stream* s = args.size() >= 3 ? FindStream(db, args[1], now_ms) : nullptr;
  std::vector<streams::StreamId> ids;
  for (size_t i = 2; s != nullptr && i < args.size(); ++i) {
    auto id = streams::ParseStreamId(args[i], streams::IdParseOptions{0, true, false});
    if (!id) break;
    ids.push_back(id->id);
  }
  if (s == nullptr || ids.size() != args.size() - 2 || s->RemoveAsTrim(ids, limits) != ids.size()) {
    *error = std::string(kTrim) + " names no stream or entries it does not hold";
    return false;
  }
  return true;
}

}  // namespace

void PropagateDelivery(CommandContext& ctx, std::string_view key, std::string_view group_name,
                       const streams::ConsumerGroup& group, streams::StreamId id) {
  auto rec = group.FindPending(id);
  std::string id_text = id.ToString();
  std::string time = std::to_string(rec->delivery_ms);
  std::string count = std::to_string(rec->delivery_count);
  std::string last = group.last_delivered().ToString();
  ctx.Propagate({"XCLAIM", key, group_name, group.ConsumerAt(rec->consumer)->name(), "0", id_text,
                 "TIME", time, "RETRYCOUNT", count, "FORCE", "JUSTID", "LASTID", last});
}

void PropagatePurge(CommandContext& ctx, std::string_view key, std::string_view group_name,
                    std::string_view consumer, streams::StreamId id) {
  ctx.Propagate({"XCLAIM", key, group_name, consumer, "0", id.ToString()});
}

void PropagateGroupPosition(CommandContext& ctx, std::string_view key, std::string_view group_name,
                            const streams::ConsumerGroup& group) {
  ctx.Propagate({"XGROUP", "SETID", key, group_name, group.last_delivered().ToString(),
                 "ENTRIESREAD", std::to_string(group.entries_read())});
}

void PropagateConsumerCreated(CommandContext& ctx, std::string_view key,
                              std::string_view group_name, std::string_view consumer) {
  ctx.Propagate({"XGROUP", "CREATECONSUMER", key, group_name, consumer});
}

void PropagateConsumerTimes(CommandContext& ctx, std::string_view key, std::string_view group_name,
                            const streams::Consumer& consumer) {
  ctx.Propagate({kConsumerTimes, key, group_name, consumer.name(),
                 std::to_string(consumer.seen_ms()), std::to_string(consumer.active_ms())});
}

void PropagateTrimmedIds(CommandContext& ctx, std::string_view key,
                         std::span<const streams::StreamId> ids) {
  for (size_t at = 0; at < ids.size(); at += kIdsPerTrimRecord) {
    resp::ArgList effect{kTrim, key};
    for (size_t i = at; i < ids.size() && i < at + kIdsPerTrimRecord; ++i) {
      effect.Add(ids[i].ToString());
    }
    ctx.Propagate(effect);
  }
}

void NotifyClaimable(CommandContext& ctx, std::string_view key) {
  ctx.server.blocking().MarkReady(ctx.conn.db, key);
}

bool IsInternalEffect(const resp::ArgList& args) {
  return args.size() > 0 && (args[0] == kConsumerTimes || args[0] == kTrim || IsIdmpEffect(args));
}

bool ApplyInternalEffect(streams::Database& db, const resp::ArgList& args, int64_t now_ms,
                         const streams::StreamLimits& limits, std::string* error) {
  if (args[0] == kTrim) return ApplyTrim(db, args, now_ms, limits, error);
  if (IsIdmpEffect(args)) return ApplyIdmpEffect(db, args, now_ms, error);
  return ApplyConsumerTimes(db, args, now_ms, error);
}

}  // namespace runnel::server
