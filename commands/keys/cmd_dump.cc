// DUMP and RESTORE in Redis's payload format (rdb/dump.h), so keys move between Runnel and
// redis-server in both directions, and MIGRATE from a running Redis lands in Runnel key by key.
//
// RESTORE checks in redis-server's order (options, an existing key, the TTL, the payload's
// version and checksum, its contents) with its error texts. A payload of a type Runnel does not
// store gets "Bad data format" with the reason after it. The restored key is logged as SET for a
// string and as RESTORE with the payload (and an absolute expiry) for a stream, which replay
// decodes again with the log's block limits.
#include <string>
#include <vector>

#include "commands/keys/register.h"
#include "config/config.h"
#include "dispatch/args.h"
#include "dispatch/dispatcher.h"
#include "rdb/dump.h"
#include "streams/numbers.h"

namespace runnel::commands {
namespace {

using dispatch::CommandContext;
using dispatch::CommandSpec;
using dispatch::IEquals;
namespace errors = dispatch::errors;

void CmdDump(CommandContext& ctx) {
  const streams::Database::Node* node = ctx.db().Find(ctx.arg(1), ctx.now_ms);
  if (node == nullptr) return ctx.reply.Null();
  const char* refusal;
  std::string payload = rdb::DumpValue(node->value.value, &refusal, ctx.limits().new_stream);
  if (refusal != nullptr) return ctx.Error(errors::CannotDump(refusal));
  ctx.reply.Bulk(payload);
}

struct RestoreOptions {
  bool replace = false;
  bool absttl = false;
  int64_t idle_s = -1;
  int64_t freq = -1;  // accepted and checked; without an LFU policy Redis ignores it too
};

// Parses RESTORE's options from argument 4 on; false after replying.
bool ParseRestoreOptions(CommandContext& ctx, RestoreOptions* o) {
  for (size_t i = 4; i < ctx.argc(); ++i) {
    std::string_view a = ctx.arg(i);
    const bool has_value = i + 1 < ctx.argc();
    if (IEquals(a, "REPLACE")) {
      o->replace = true;
    } else if (IEquals(a, "ABSTTL")) {
      o->absttl = true;
    } else if (IEquals(a, "IDLETIME") && has_value && o->freq == -1) {
      auto v = streams::ParseStrictInt64(ctx.arg(++i));
      if (!v) return ctx.Error(errors::kNotInteger), false;
      if (*v < 0) return ctx.Error(errors::kInvalidIdleTime), false;
      o->idle_s = *v;
    } else if (IEquals(a, "FREQ") && has_value && o->idle_s == -1) {
      auto v = streams::ParseStrictInt64(ctx.arg(++i));
      if (!v) return ctx.Error(errors::kNotInteger), false;
      if (*v < 0 || *v > 255) return ctx.Error(errors::kInvalidFreq), false;
      o->freq = *v;
    } else {
      return ctx.Error(errors::kSyntax), false;
    }
  }
  return true;
}

// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
void CmdRestore(CommandContext& ctx) {
  RestoreOptions o;
  if (!ParseRestoreOptions(ctx, &o)) return;
  std::string_view key = ctx.arg(1);
  if (!o.replace && ctx.db().Find(key, ctx.now_ms) != nullptr) return ctx.Error(errors::kBusyKey);
  auto ttl = streams::ParseStrictInt64(ctx.arg(2));
  if (!ttl) return ctx.Error(errors::kNotInteger);
  if (*ttl < 0) return ctx.Error(errors::kInvalidTtl);
  streams::Value value;
  std::string why;
  switch (rdb::ReadPayload(ctx.arg(3), ctx.limits().stream, &value, &why)) {
    case rdb::PayloadError::kOk:
      break;
    case rdb::PayloadError::kVersionOrChecksum:
      return ctx.Error(errors::kDumpVersionOrChecksum);
    case rdb::PayloadError::kBadFormat:
      return ctx.Error(errors::kBadDataFormat);
    case rdb::PayloadError::kOtherType:
      // A value Redis could load but Runnel cannot store says so, after Redis's words.
      return ctx.Error(errors::OtherTypeInPayload(why));
  }
  int64_t expire = -1;
  if (*ttl > 0) {
    // A relative TTL past the end of time wraps negative in redis-server, which then finds it
    // already expired and creates nothing: the same here, without the overflow.
    const bool past_end = !o.absttl && *ttl > INT64_MAX - ctx.now_ms;
    expire = past_end ? 0 : o.absttl ? *ttl : ctx.now_ms + *ttl;
  }
  ctx.dispatcher().FlushConsumerTimes(ctx.client().db, key);
  if (expire >= 0 && ctx.AlreadyExpired(expire)) {
    // Already expired: nothing is created, and a key REPLACE removed stays removed.
    if (o.replace && ctx.db().Delete(key)) {
      ctx.effects().Del(key);
      ctx.Notify(config::kNotifyGeneric, "del", key);
      ctx.Changed();
    }
    return ctx.reply.Ok();
  }
  streams::Database::Node* node = ctx.db().Set(key, std::move(value));
  if (expire >= 0) ctx.db().SetExpire(node, expire);
  if (o.idle_s >= 0) {
    int64_t access = ctx.now_ms / 1000 - o.idle_s;
    node->value.access_s = static_cast<uint32_t>(std::max<int64_t>(access, 0));
  }
  if (const std::string* s = node->value.value.string()) {
    ctx.effects().Set(key, *s, expire);
  } else {
    ctx.effects().Restore(key, ctx.arg(3), expire);
    // A payload without IDMP settings gets this server's, as XADD gives a new stream; the log
    // states them, since replay may run under other stream-idmp-* settings.
    streams::Stream& stream = *node->value.value.stream();
    const streams::IdmpConfig& usual = ctx.limits().new_stream;
    if (!rdb::PayloadHasIdmpSettings(ctx.arg(3)) && stream.idmp_config() != usual) {
      stream.SetIdmpConfig(usual);
      ctx.effects().XCfgSet(key, stream);
    }
  }
  ctx.Notify(config::kNotifyGeneric, "restore", key);
  ctx.Changed();
  ctx.reply.Ok();
}

}  // namespace

void RegisterDumpCommands(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  out.push_back({.name = "dump",
                 .arity = 2,
                 .flags = kCmdReadOnly,
                 .handler = CmdDump,
                 .keys = {1, 1, 1},
                 .acl_categories = "@keyspace @read @slow",
                 .tips = "nondeterministic_output",
                 .key_flags = "RO access"});
  out.push_back({.name = "restore",
                 .arity = -4,
                 .flags = kCmdWrite | kCmdDenyOom,
                 .handler = CmdRestore,
                 .keys = {1, 1, 1},
                 .acl_categories = "@keyspace @write @slow @dangerous",
                 .key_flags = "OW update"});
}

}  // namespace runnel::commands
