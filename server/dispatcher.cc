// The dispatcher: from a parsed command to its handler, and from a changed key to the clients
// blocked on it.
//
// Checks run in redis-server's order: unknown command / subcommand / arity, then NOAUTH, then
// MULTI queueing. Blocked clients are served after the command that made their key ready, by
// running their stored command again (two-phase wake-up); a client that still cannot proceed
// keeps its place in line and its original deadline.
#include <string>

#include "server/connection.h"
#include "server/errors.h"
#include "server/group_effects.h"
#include "server/server.h"

namespace runnel::server {
namespace {

// Commands that act immediately even inside MULTI.
bool IsTransactionControl(const CommandSpec& spec) {
  const std::string& n = spec.fullname;
  return n == "exec" || n == "discard" || n == "multi" || n == "watch" || n == "quit" ||
         n == "reset";
}

}  // namespace

streams::Database& CommandContext::db() { return server.keyspace().db(conn.db); }

void CommandContext::Propagate(std::initializer_list<std::string_view> effect) {
  server.RecordEffect(conn.db, effect);
}

void CommandContext::Propagate(const resp::ArgList& effect) {
  server.RecordEffect(conn.db, effect);
}

void Server::Execute(Connection& conn, const resp::ArgList& args) {
  stats_.commands_processed++;
  RequestFlush(conn);
  std::string error;
  const CommandSpec* spec = commands_.Lookup(args, &error);
  conn.last_command = spec != nullptr ? spec->fullname : "NULL";
  if (spec == nullptr) return Reject(conn, nullptr, error);
  if (!CommandTable::ArityOk(*spec, args.size())) {
    return Reject(conn, spec, errors::WrongArity(spec->fullname));
  }
  if (!conn.authenticated && !(spec->flags & kCmdNoAuth)) {
    return Reject(conn, spec, errors::kNoAuth);
  }
  if (conn.multi.active && (spec->flags & kCmdNoMulti)) {
    return Reject(conn, spec, "ERR Command not allowed inside a transaction");
  }
  // As Redis: PING is refused too, so that monitoring notices the server cannot persist.
  if (!durability_->WriteRefusal().empty() &&
      ((spec->flags & kCmdWrite) || spec->fullname == "ping")) {
    return Reject(conn, spec, durability_->WriteRefusal());
  }
  if (loading() && !(spec->flags & kCmdLoading)) {
    return Reject(conn, spec, "LOADING Redis is loading the dataset in memory");
  }
  if (conn.multi.active && !IsTransactionControl(*spec)) {
    conn.multi.queued.push_back(args);
    conn.reply().Simple("QUEUED");
    return;
  }
  // One clock reading for the command and its log record: replay runs the effects with the
  // record's time, so a second reading a millisecond later would change what replay rebuilds
  // (a new consumer's seen-time, seen under ASan as a flaky restart check).
  const int64_t now = NowMs();
  Call(conn, *spec, args, false, now);
  FinishRecord(now);
  if (blocking_.HasReady()) ServeReadyKeys();
}

// A command refused before it ran. Inside MULTI this dooms the transaction; a refused EXEC
// discards it at once, reporting why (Redis drops the "ERR " code, keeps any other).
void Server::Reject(Connection& conn, const CommandSpec* spec, std::string_view error) {
  if (spec != nullptr && spec->fullname == "exec") {
    conn.multi = MultiState{};
    UnwatchAll(conn);
    if (error.substr(0, 4) == "ERR ") error.remove_prefix(4);
    conn.reply().Error("EXECABORT Transaction discarded because of: " + std::string(error));
    return;
  }
  if (conn.multi.active) conn.multi.aborted = true;
  conn.reply().Error(error);
}

void Server::Call(Connection& conn, const CommandSpec& spec, const resp::ArgList& args,
                  bool in_exec, int64_t now_ms) {
  uint64_t changes_before = changes_;
  CommandContext ctx{*this, conn, args, conn.reply(), spec, now_ms};
  ctx.in_exec = in_exec;
  spec.handler(ctx);
  bool changed = ctx.dirty || changes_ != changes_before;
  if (changed && (spec.flags & kCmdWrite) && !(spec.flags & kCmdCustomEffects)) {
    RecordEffect(conn.db, args);
  }
  if (!ctx.block) return;
  BlockedState state;
  state.request = std::move(*ctx.block);
  state.db = conn.db;
  std::vector<std::string> keys;
  for (const WaitKey& wk : state.request.keys) keys.push_back(wk.key);
  uint64_t deadline = state.request.timeout_ms ? MonotonicMs() + state.request.timeout_ms : 0;
  state.registration = blocking_.Add(conn.id(), conn.db, keys, deadline);
  conn.blocked = std::move(state);
  SetWake(conn, conn.blocked->request.wake_at_ms, now_ms);
}

void Server::SetWake(Connection& conn, int64_t wake_at_ms, int64_t now_ms) {
  uint64_t wake = 0;
  if (wake_at_ms > 0) {
    // Wall clock to the monotonic clock the timer runs on; at least 1 ms ahead, so a wake
    // always finds time moved on.
    int64_t in = std::max<int64_t>(wake_at_ms - now_ms, 1);
    wake = MonotonicMs() + static_cast<uint64_t>(in);
  }
  blocking_.SetWake(conn.id(), conn.blocked->registration, wake);
}

void Server::FinishRecord(int64_t time_ms) {
  if (effects_.empty()) return;
  durability_->Append(static_cast<uint32_t>(effects_.first_db()), time_ms, effects_.payload());
  effects_.Clear();
}

bool Server::ReplayRecord(uint32_t db, int64_t time_ms, std::string_view payload,
                          std::string* error) {
  if (db >= static_cast<uint32_t>(keyspace_->size())) {
    *error = "database " + std::to_string(db) + " does not exist here";
    return false;
  }
  Connection& c = *replay_conn_;
  c.db = static_cast<int>(db);
  resp::RequestParser parser;
  resp::ParserLimits limits;
  limits.max_bulk_len = INT64_MAX;  // the log holds what was accepted, whatever the limit is now
  parser.set_limits(limits);
  resp::ArgList args;
  replaying_ = true;
  bool ok = true;
  for (size_t pos = 0; ok && pos < payload.size();) {
    auto r = parser.Parse(payload.substr(pos), args);
    pos += r.consumed;
    if (r.status != resp::RequestParser::Status::kCommand) {
      *error = "a record holds a malformed command";
      ok = false;
      break;
    }
    if (IsInternalEffect(args)) {
      ok = ApplyInternalEffect(keyspace_->db(c.db), args, time_ms, stream_limits(), error);
      args.Clear();
      continue;
    }
    std::string reason;
    const CommandSpec* spec = commands_.Resolve(args, &reason);
    c.reply().output()->clear();
    if (spec != nullptr) Call(c, *spec, args, false, time_ms);
    const std::string& reply = *c.reply().output();
    if (spec == nullptr || (!reply.empty() && reply[0] == '-')) {
      *error = "replaying " + std::string(args[0]) +
               " failed: " + (spec == nullptr ? reason : reply.substr(1, reply.find('\r') - 1));
      ok = false;
    }
    args.Clear();
  }
  c.reply().output()->clear();
  replaying_ = false;
  return ok;
}

void Server::Unblock(Connection& conn) {
  if (!conn.blocked) return;
  blocking_.Remove(conn.id(), conn.blocked->registration);
  conn.blocked.reset();
  RequestFlush(conn);
  RequestResume(conn);
}

bool Server::CouldServe(Connection& conn, int db, const std::string& key) {
  const WaitKey* wait = nullptr;
  for (const WaitKey& wk : conn.blocked->request.keys) {
    if (wk.key == key) wait = &wk;
  }
  if (wait == nullptr) return false;
  streams::Database::Node* node = keyspace_->db(db).Find(key, NowMs());
  const streams::Stream* s = node != nullptr ? node->value.value.stream() : nullptr;
  if (wait->group.empty()) {
    // XREAD waits on through a deleted key or one that now holds another type (as Redis).
    return s != nullptr && s->last_id() > wait->after;
  }
  // XREADGROUP re-runs to answer NOGROUP or WRONGTYPE when its key or group is gone, and
  // otherwise only when the group has something left to deliver: after the first waiter takes
  // the new entries, the others are passed over without running anything.
  if (s == nullptr) return true;
  const streams::ConsumerGroup* g = s->FindGroup(wait->group);
  // With CLAIM, a change may have made a pending entry claimable (XNACK): the re-run decides.
  return g == nullptr || s->last_id() > g->last_delivered() || wait->claim;
}

bool Server::Rerun(Connection& conn) {
  const resp::ArgList& args = conn.blocked->request.rerun;
  std::string error;
  const CommandSpec* spec = commands_.Resolve(args, &error);
  if (spec == nullptr) {  // cannot happen: the command resolved when it blocked
    conn.reply().Error(error);
    Unblock(conn);
    return true;
  }
  CommandContext ctx{*this, conn, args, conn.reply(), *spec, NowMs()};
  ctx.rerun = true;
  spec->handler(ctx);
  FinishRecord(ctx.now_ms);
  if (ctx.block) {  // still nothing: keep the place in line and the deadline
    SetWake(conn, ctx.block->wake_at_ms, ctx.now_ms);
    return false;
  }
  Unblock(conn);
  return true;
}

void Server::ServeReadyKeys() {
  while (blocking_.HasReady()) {
    for (auto& [db, key] : blocking_.TakeReady()) {
      for (uint64_t id : blocking_.Waiters(db, key)) {
        Connection* c = FindConnection(id);
        if (c == nullptr || !c->blocked || !CouldServe(*c, db, key)) continue;
        Rerun(*c);
      }
    }
  }
}

void Server::TouchWatchers(int db, std::string_view key) {
  watches_.Touch(db, key, [this](uint64_t id) {
    if (Connection* c = FindConnection(id)) c->watch.dirty = true;
  });
}

void Server::UnwatchAll(Connection& conn) {
  for (const auto& w : conn.watch.keys) watches_.Unwatch(conn.id(), w.db, w.key);
  conn.watch.keys.clear();
  conn.watch.dirty = false;
}

}  // namespace runnel::server
