// Replication commands: REPLICAOF (SLAVEOF), ROLE, WAIT, WAITAOF, and the ones replicas send their
// master — REPLCONF, PSYNC, SYNC. The server does the replication (server/replication.h); these
// parse, check and answer in redis-server's words.
#include <string>

#include "commands/admin/register.h"
#include "dispatch/args.h"
#include "dispatch/client.h"
#include "dispatch/context.h"
#include "dispatch/errors.h"
#include "dispatch/host.h"

namespace runnel::commands {
namespace {

using dispatch::CommandContext;
using dispatch::IEquals;
using dispatch::IntArgOrReply;
namespace errors = dispatch::errors;

void CmdReplicaOf(CommandContext& ctx) {
  // As redis-server: a replica's own connection may not reconfigure the server it feeds.
  if (ctx.client().replica) return ctx.Error(errors::kReplicaOfFromReplica);
  dispatch::ReplicaOfRequest request;
  if (IEquals(ctx.arg(1), "no") && IEquals(ctx.arg(2), "one")) {
    request.none = true;
  } else {
    auto port = streams::ParseStrictInt64(ctx.arg(2));
    if (!port || *port < 0 || *port > 65535) return ctx.Error(errors::kInvalidMasterPort);
    request.host = std::string(ctx.arg(1));
    request.port = static_cast<int>(*port);
  }
  ctx.reply.Simple(ctx.admin().ReplicaOf(request));
}

void CmdRole(CommandContext& ctx) {
  const dispatch::ReplicationState state = ctx.admin().Replication();
  if (state.replica) {
    ctx.reply.Array(5);
    ctx.reply.Bulk("slave");
    ctx.reply.Bulk(state.master_host);
    ctx.reply.Integer(state.master_port);
    ctx.reply.Bulk(state.link_state);
    ctx.reply.Integer(state.processed_offset);
    return;
  }
  ctx.reply.Array(3);
  ctx.reply.Bulk("master");
  ctx.reply.Integer(static_cast<int64_t>(state.offset));
  size_t online = 0;
  for (const auto& r : state.replicas) online += r.state == "online";
  ctx.reply.Array(online);
  for (const auto& r : state.replicas) {
    if (r.state != "online") continue;
    ctx.reply.Array(3);
    ctx.reply.Bulk(r.ip);
    ctx.reply.Bulk(std::to_string(r.port));
    ctx.reply.Bulk(std::to_string(r.ack_offset));
  }
}

// REPLCONF option value [option value ...]. ACK and GETACK are never answered: they travel on
// the replication link, where a reply would become part of the stream.
void CmdReplconf(CommandContext& ctx) {
  if (ctx.argc() % 2 == 0) return ctx.Error(errors::kSyntax);
  dispatch::Client& c = ctx.client();
  for (size_t i = 1; i < ctx.argc(); i += 2) {
    const std::string_view option = ctx.arg(i), value = ctx.arg(i + 1);
    if (IEquals(option, "listening-port")) {
      auto port = IntArgOrReply(ctx, value);
      if (!port) return;
      c.replica_hello.listening_port = *port;
    } else if (IEquals(option, "ip-address")) {
      constexpr size_t kMaxHostBytes = 255;  // redis-server's NET_HOST_STR_LEN - 1
      if (value.size() > kMaxHostBytes) return ctx.Error(errors::ReplicaIpTooLong(value.size()));
      c.replica_hello.ip_address = std::string(value);
    } else if (IEquals(option, "capa")) {
      if (IEquals(value, "eof")) c.replica_hello.capa_eof = true;
      if (IEquals(value, "psync2")) c.replica_hello.capa_psync2 = true;
    } else if (IEquals(option, "ack")) {
      // REPLCONF ACK <offset> [FACK <offset its log has on disk>] (Redis 7.2).
      auto offset = streams::ParseStrictInt64(value);
      std::optional<uint64_t> synced;
      if (i + 3 < ctx.argc() && IEquals(ctx.arg(i + 2), "fack")) {
        auto fack = streams::ParseStrictInt64(ctx.arg(i + 3));
        if (fack && *fack >= 0) synced = static_cast<uint64_t>(*fack);
      }
      if (c.replica && offset && *offset >= 0) {
        ctx.admin().ReplicaAcked(c, static_cast<uint64_t>(*offset), synced);
      }
      return;
    } else if (IEquals(option, "getack")) {
      ctx.admin().AckToMaster();
      return;
    } else if (IEquals(option, "rdb-only")) {
      // Redis's request for a snapshot without the stream after it (redis-cli --rdb): checked
      // as Redis checks it; Runnel sends the stream regardless, which such a tool ignores.
      auto flag = IntArgOrReply(ctx, value);
      if (!flag) return;
      if (*flag != 0 && *flag != 1) return ctx.Error(errors::kNotZeroOrOne);
    } else if (IEquals(option, "rdb-filter-only")) {
      // Which key types such a snapshot should hold: accepted, and every stream is sent.
    } else {
      return ctx.Error(errors::UnrecognizedReplconfOption(option));
    }
  }
  ctx.reply.Ok();
}

void Sync(CommandContext& ctx, std::string_view replid, std::string_view offset) {
  if (ctx.client().replica) return;  // already fed: redis-server ignores a second one
  const std::string error = ctx.admin().Psync(ctx.client(), replid, offset);
  if (!error.empty()) ctx.Error(error);
}

void CmdPsync(CommandContext& ctx) { Sync(ctx, ctx.arg(1), ctx.arg(2)); }
void CmdSync(CommandContext& ctx) { Sync(ctx, "?", "-1"); }

// WAIT and WAITAOF wait: re-run as acknowledgements come (and the log syncs), each run
// answering once enough have; at the deadline the re-run answers with what there is.
void BlockUntilAcked(CommandContext& ctx, uint64_t timeout_ms) {
  ctx.admin().AwaitAcks(ctx.client().id());
  dispatch::BlockRequest request;
  request.timeout_ms = timeout_ms;
  request.rerun = ctx.args;
  request.answers_timeout = true;
  ctx.Block(std::move(request));
}

// WAIT numreplicas timeout: the number of replicas that have acknowledged this client's last
// write, once enough have or the timeout passed.
void CmdWait(CommandContext& ctx) {
  if (ctx.admin().Replication().replica) return ctx.Error(errors::kWaitOnReplica);
  auto wanted = IntArgOrReply(ctx, ctx.arg(1));
  if (!wanted) return;
  auto timeout = dispatch::TimeoutMsArgOrReply(ctx, ctx.arg(2));
  if (!timeout) return;
  const size_t acked = ctx.admin().ReplicasAcked(ctx.client().woff);
  if (static_cast<int64_t>(acked) >= *wanted || ctx.in_exec || ctx.timed_out) {
    return ctx.reply.Integer(static_cast<int64_t>(acked));
  }
  BlockUntilAcked(ctx, *timeout);
}

// WAITAOF numlocal numreplicas timeout (Redis 7.2): [1 if this server's log has the client's
// last write on disk, the replicas whose logs have], once both suffice or at the timeout.
void CmdWaitAof(CommandContext& ctx) {
  if (ctx.admin().Replication().replica) return ctx.Error(errors::kWaitAofOnReplica);
  auto positive = [&](std::string_view arg) -> std::optional<int64_t> {
    auto v = IntArgOrReply(ctx, arg);
    if (v && *v < 0) {
      ctx.Error(errors::kNotPositive);
      return std::nullopt;
    }
    return v;
  };
  auto local_wanted = positive(ctx.arg(1));
  if (!local_wanted) return;
  auto replicas_wanted = positive(ctx.arg(2));
  if (!replicas_wanted) return;
  auto timeout = dispatch::TimeoutMsArgOrReply(ctx, ctx.arg(3));
  if (!timeout) return;
  const bool log_on = ctx.admin().config().appendonly;
  if (*local_wanted > 0 && !log_on) return ctx.Error(errors::kWaitAofWithoutLog);
  const uint64_t target = ctx.client().woff;
  const int64_t local = log_on && ctx.admin().LogSyncedOffset() >= target ? 1 : 0;
  const auto replicas = static_cast<int64_t>(ctx.admin().ReplicasSynced(target));
  const bool enough = local >= *local_wanted && replicas >= *replicas_wanted;
  if (enough || ctx.in_exec || ctx.timed_out) {
    ctx.reply.Array(2);
    ctx.reply.Integer(local);
    ctx.reply.Integer(replicas);
    return;
  }
  BlockUntilAcked(ctx, *timeout);
}

}  // namespace

void RegisterReplicationCommands(std::vector<dispatch::CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  constexpr uint32_t kFollow = kCmdAdmin | kCmdNoScript | kCmdStale | kCmdNoAsyncLoading;
  constexpr uint32_t kSyncFlags = kCmdAdmin | kCmdNoScript | kCmdNoAsyncLoading | kCmdNoMulti;
  constexpr std::string_view kDangerous = "@admin @slow @dangerous";
  out.push_back({.name = "replicaof",
                 .arity = 3,
                 .flags = kFollow,
                 .handler = CmdReplicaOf,
                 .acl_categories = kDangerous});
  out.push_back({.name = "slaveof",
                 .arity = 3,
                 .flags = kFollow,
                 .handler = CmdReplicaOf,
                 .acl_categories = kDangerous});
  out.push_back({.name = "role",
                 .arity = 1,
                 .flags = kCmdNoScript | kCmdLoading | kCmdStale | kCmdFast,
                 .handler = CmdRole,
                 .acl_categories = "@admin @fast @dangerous"});
  out.push_back({.name = "replconf",
                 .arity = -1,
                 .flags = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale | kCmdAllowBusy,
                 .handler = CmdReplconf,
                 .acl_categories = kDangerous});
  out.push_back({.name = "psync",
                 .arity = -3,
                 .flags = kSyncFlags,
                 .handler = CmdPsync,
                 .acl_categories = kDangerous});
  out.push_back({.name = "sync",
                 .arity = 1,
                 .flags = kSyncFlags,
                 .handler = CmdSync,
                 .acl_categories = kDangerous});
  out.push_back({.name = "wait",
                 .arity = 3,
                 .flags = kCmdNoScript,
                 .handler = CmdWait,
                 .acl_categories = "@slow @connection",
                 .tips = "request_policy:all_shards response_policy:agg_min"});
  out.push_back({.name = "waitaof",
                 .arity = 4,
                 .flags = kCmdNoScript,
                 .handler = CmdWaitAof,
                 .acl_categories = "@slow @connection",
                 .tips = "request_policy:all_shards response_policy:agg_min"});
}

}  // namespace runnel::commands
