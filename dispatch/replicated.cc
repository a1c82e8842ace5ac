// The replica side of the dispatcher: records from a master, applied as replay applies them.
#include <cstdlib>

#include "dispatch/args.h"
#include "dispatch/dispatcher.h"
#include "effects/replay.h"
#include "resp/request_parser.h"

namespace runnel::dispatch {

namespace {

// Effects that change databases wholesale or reach into another database: every reader and
// watcher of every database looks again, as after SWAPDB.
bool TouchesEveryDatabase(std::string_view name) {
  return IEquals(name, "FLUSHALL") || IEquals(name, "FLUSHDB") || IEquals(name, "SWAPDB") ||
         IEquals(name, "MOVE") || IEquals(name, "COPY");
}

}  // namespace

void Dispatcher::set_replica(bool replica) {
  replica_ = replica;
  keyspace_->set_expire_on_lookup(!KeyspaceFrozen());
  seen_notes_.clear();  // a former master's notes name consumers the master now keeps
}

bool Dispatcher::ApplyReplicated(int db, int64_t time_ms, std::string_view payload,
                                 std::string* error) {
  effects::ApplyContext apply(*keyspace_);
  if (replicated_) {
    apply.limits = replicated_->limits;
    apply.limits_stated = replicated_->limits_stated;
    apply.new_stream = replicated_->new_stream;
  } else {
    apply.limits = limits_.stream;
  }
  apply.db = db;
  apply.time_ms = time_ms;
  keyspace_->set_access_clock(time_ms);
  const bool ok = effects::ApplyPayload(apply, payload, error);
  replicated_ = ReplicatedState{apply.limits, apply.limits_stated, apply.new_stream};
  ++changes_;
  // What it touched: every argument of every effect may name a key (the registries ignore the
  // ones nobody waits on or watches), in the database its SELECTs put it in.
  resp::RequestParser parser;
  resp::ArgList args;
  int current = db;
  for (std::string_view rest = payload; !rest.empty();) {
    args.Clear();
    auto [status, consumed] = parser.Parse(rest, args);
    if (status != resp::RequestParser::Status::kCommand || args.empty()) break;
    rest.remove_prefix(consumed);
    if (IEquals(args[0], "SELECT") && args.size() == 2) {
      current = std::atoi(std::string(args[1]).c_str());
      if (current < 0 || current >= keyspace_->size()) break;
    } else if (TouchesEveryDatabase(args[0])) {
      for (int i = 0; i < keyspace_->size(); ++i) DatabaseReplaced(i);
    } else {
      for (size_t i = 1; i < args.size(); ++i) {
        blocking_.MarkReady(current, args[i]);
        TouchWatchers(current, args[i]);
      }
    }
  }
  if (ok && host_.effects_wanted()) host_.AppendRecord(db, time_ms, payload);
  if (blocking_.HasReady()) ServeReadyKeys();
  return ok;
}

void Dispatcher::UnblockWriters(std::string_view error) {
  for (Client* c : host_.admin().Clients()) {
    if (!c->blocked) continue;
    std::string ignored;
    const CommandSpec* spec = commands_.Lookup(c->blocked->request.rerun, &ignored);
    if (spec == nullptr || !(spec->flags & kCmdWrite)) continue;
    c->reply().Error(error);
    Unblock(*c);
  }
}

void Dispatcher::WakeSoon(uint64_t client_id) {
  Client* c = host_.FindClient(client_id);
  if (c == nullptr || !c->blocked) return;
  blocking_.SetWake(client_id, c->blocked->registration, host_.MonotonicUs());
}

}  // namespace runnel::dispatch
