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
  if (conn.multi.active && !IsTransactionControl(*spec)) {
    conn.multi.queued.push_back(args);
    conn.reply().Simple("QUEUED");
    return;
  }
  Call(conn, *spec, args, false);
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
                  bool in_exec) {
  CommandContext ctx{*this, conn, args, conn.reply(), spec, NowMs()};
  ctx.in_exec = in_exec;
  spec.handler(ctx);
  if (!ctx.block) return;
  BlockedState state;
  state.request = std::move(*ctx.block);
  state.db = conn.db;
  std::vector<std::string> keys;
  for (const WaitKey& wk : state.request.keys) keys.push_back(wk.key);
  uint64_t deadline = state.request.timeout_ms ? MonotonicMs() + state.request.timeout_ms : 0;
  state.registration = blocking_.Add(conn.id(), conn.db, keys, deadline);
  conn.blocked = std::move(state);
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
  return g == nullptr || s->last_id() > g->last_delivered();
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
  if (ctx.block) return false;  // still nothing: keep the place in line and the deadline
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
