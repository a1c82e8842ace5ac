#include "dispatch/dispatcher.h"

#include <algorithm>
#include <chrono>
#include <string>

#include "dispatch/args.h"
#include "dispatch/errors.h"
#include "effects/writer.h"
#include "streams/group_ops.h"

namespace runnel::dispatch {
namespace {

// The commands a RESP2 client may send while subscribed (Redis's "Pub/Sub context").
bool AllowedWhileSubscribed(const CommandSpec& spec) {
  static constexpr std::string_view kAllowed[] = {"ping",         "subscribe",    "ssubscribe",
                                                  "unsubscribe",  "sunsubscribe", "psubscribe",
                                                  "punsubscribe", "quit",         "reset"};
  for (std::string_view name : kAllowed) {
    if (spec.fullname == name) return true;
  }
  return false;
}

// Commands that act immediately even inside MULTI.
bool IsTransactionControl(const CommandSpec& spec) {
  const std::string& n = spec.fullname;
  return n == "exec" || n == "discard" || n == "multi" || n == "watch" || n == "quit" ||
         n == "reset";
}

// a + b, or the largest value instead of wrapping.
uint64_t SaturatingAdd(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

uint64_t MsToUs(uint64_t ms) { return ms > UINT64_MAX / 1000 ? UINT64_MAX : ms * 1000; }

}  // namespace

// ---- CommandContext ----

CommandContext::CommandContext(Dispatcher& dispatcher, Client& client, const resp::ArgList& a,
                               const CommandSpec& sp, int64_t now, std::string* effects_out)
    : args(a),
      spec(sp),
      now_ms(now),
      reply(client.reply()),
      dispatcher_(dispatcher),
      client_(client),
      effects_(effects_out) {}

void CommandContext::Error(std::string_view message) {
  failed_ = true;
  dispatcher_.command_stats().CountError(message);
  reply.Error(message);
}

streams::Database& CommandContext::db() { return dispatcher_.keyspace().db(client_.db); }
streams::Keyspace& CommandContext::keyspace() { return dispatcher_.keyspace(); }
const Limits& CommandContext::limits() const { return dispatcher_.limits(); }
AdminHost& CommandContext::admin() { return dispatcher_.host().admin(); }

void CommandContext::Warn(std::string_view message) { dispatcher_.host().Warn(message); }

void CommandContext::Notify(uint32_t type, std::string_view event, std::string_view key) {
  dispatcher_.Notify(client_.db, type, event, key);
}

bool CommandContext::AlreadyExpired(int64_t expire_ms) const {
  return expire_ms <= now_ms && !client_.master;
}

void CommandContext::WakeReaders(std::string_view key) {
  dispatcher_.blocking().MarkReady(client_.db, key);
}

void CommandContext::NoteConsumerSeen(std::string_view key, std::string_view group,
                                      std::string_view consumer) {
  if (effects_.enabled()) dispatcher_.NoteConsumerSeen(client_.db, key, group, consumer);
}

// ---- Dispatcher ----

Dispatcher::Dispatcher(Host& host, CommandTable commands, int databases, uint64_t hash_seed)
    : host_(host),
      commands_(std::move(commands)),
      hash_seed_(hash_seed),
      databases_(databases),
      keyspace_(std::make_unique<streams::Keyspace>(databases, hash_seed, this)),
      blocking_(databases),
      watches_(databases),
      upkeep_resume_(static_cast<size_t>(databases)) {}

std::unique_ptr<streams::Keyspace> Dispatcher::NewKeyspace() const {
  return std::make_unique<streams::Keyspace>(databases_, hash_seed_, nullptr);
}

void Dispatcher::ReplaceKeyspace(std::unique_ptr<streams::Keyspace> keyspace) {
  keyspace_ = std::move(keyspace);
  keyspace_->set_observer(this);
  keyspace_->set_expire_on_lookup(!KeyspaceFrozen());  // DEBUG RELOAD during a pause
}

void Dispatcher::Execute(Client& c, const resp::ArgList& args) {
  Run(c, args, false);
  if (!resuming_.empty()) RunResumed();
}

void Dispatcher::Run(Client& c, const resp::ArgList& args, bool resumed) {
  if (!resumed) stats_.commands_processed++;
  c.ScheduleFlush();
  std::string error;
  const CommandSpec* spec = commands_.Lookup(args, &error);
  c.last_command = spec != nullptr ? spec->fullname : "NULL";
  // A Redis master's command Runnel lacks is answered (the link counts it) without dooming the
  // transaction around it: the rest of what the master did still applies.
  if (c.master && (spec == nullptr || !CommandTable::ArityOk(*spec, args.size()))) {
    return c.reply().Error(spec == nullptr ? error : errors::WrongArity(spec->fullname));
  }
  if (spec == nullptr) return Reject(c, nullptr, error);
  if (!CommandTable::ArityOk(*spec, args.size())) {
    return Reject(c, spec, errors::WrongArity(spec->fullname));
  }
  if (!c.authenticated && !(spec->flags & kCmdNoAuth)) return Reject(c, spec, errors::kNoAuth);
  if (c.multi.active && (spec->flags & kCmdNoMulti)) {
    return Reject(c, spec, errors::kNotInTransaction);
  }
  if (spec->fullname == "debug" && !DebugAllowed(c)) {
    return Reject(c, spec, errors::kDebugNotAllowed);
  }
  if (c.master) return RunFromMaster(c, *spec, args);
  if (!Permitted(c, *spec, args)) return;
  if (RefusedForMemory(c, *spec)) return Reject(c, spec, errors::kOom);
  // As Redis: PING is refused too, so that monitoring notices the server cannot persist.
  std::string_view refusal = host_.WriteRefusal();
  if (!refusal.empty() && ((spec->flags & kCmdWrite) || spec->fullname == "ping")) {
    return Reject(c, spec, refusal);
  }
  // A read-only replica, or a master short of good replicas (min-replicas-to-write); an EXEC
  // counts as a write when it would run one.
  if (PauseFlags(c, *spec) & kCmdWrite) {
    std::string_view replication_refusal = host_.ReplicationRefusal();
    if (!replication_refusal.empty()) return Reject(c, spec, replication_refusal);
  }
  if (c.protocol() == 2 && c.subscriptions.any() && !AllowedWhileSubscribed(*spec)) {
    return Reject(c, spec, errors::OnlyPubSubAllowed(spec->fullname));
  }
  // A replica whose link is down, with replica-serve-stale-data no: only commands flagged
  // stale (INFO, REPLICAOF, PING ...) run.
  if (!(spec->flags & kCmdStale)) {
    std::string_view stale = host_.StaleRefusal();
    if (!stale.empty()) return Reject(c, spec, stale);
  }
  if (host_.loading() && !(spec->flags & kCmdLoading)) return Reject(c, spec, errors::kLoading);
  // A monitor is a replica to redis-server, and so kept away from the keyspace.
  if (c.monitor && (spec->flags & (kCmdWrite | kCmdReadOnly | kCmdMayReplicate))) {
    return Reject(c, spec, errors::kReplicaKeyspace);
  }
  // Checked before MULTI queues, as redis-server does: a write queued during a WRITE pause
  // waits too.
  if (pause_.active() && !c.monitor && pause_.Holds(PauseFlags(c, *spec))) {
    c.postponed = true;
    pause_.Hold(c.id(), args);
    return;
  }
  if (c.multi.active && !IsTransactionControl(*spec)) {
    if (spec->flags & kCmdDenyOom) c.multi.deny_oom = true;
    c.multi.queued.push_back(args);
    c.reply().Simple("QUEUED");
    return;
  }
  // One clock reading for the command and its log record: replay applies the effects with the
  // record's time, so a second reading a millisecond later would change what replay rebuilds.
  const int64_t now = record_time_ms_ = host_.NowMs();
  // CLIENT REPLY OFF or SKIP: the command runs as always; what it replies goes nowhere (but
  // CLIENT REPLY ON, which turns replies back on, is answered).
  const Client::ReplyMode before = c.reply_mode;
  const size_t mark = c.reply_mark();
  Call(c, *spec, args, false, now);
  if (before != Client::ReplyMode::kOn && c.reply_mode != Client::ReplyMode::kOn) {
    c.DropRepliesSince(mark);
  }
  // A SKIP is spent on the command after the CLIENT REPLY SKIP that set it.
  if (before == Client::ReplyMode::kSkipNext && c.reply_mode == Client::ReplyMode::kSkipNext) {
    c.reply_mode = Client::ReplyMode::kOn;
  }
  if (FinishRecord(now)) c.woff = host_.ReplicationOffset();
  if (blocking_.HasReady()) ServeReadyKeys();
}

// A command of this replica's Redis master: none of a client's refusals, and keys past their TTL
// found all the same (the master's DEL removes them). MULTI queues as for anyone; the command's
// effects are logged as this server's own record.
void Dispatcher::RunFromMaster(Client& c, const CommandSpec& spec, const resp::ArgList& args) {
  if (c.multi.active && !IsTransactionControl(spec)) {
    c.multi.queued.push_back(args);
    return;
  }
  const int64_t now = record_time_ms_ = host_.NowMs();
  keyspace_->set_ttl_ignored(true);
  Call(c, spec, args, false, now);
  keyspace_->set_ttl_ignored(false);
  FinishRecord(now);
  if (blocking_.HasReady()) ServeReadyKeys();
}

// enable-debug-command: yes, or local for loopback clients only (the address is "ip:port", as
// server/connection.cc formats it; as in Redis, an IPv4-mapped loopback does not count).
// Checked before MULTI queues, as redis-server checks protected commands.
bool Dispatcher::DebugAllowed(const Client& c) const {
  const std::string& mode = host_.admin().config().enable_debug_command;
  const std::string_view addr = c.addr();
  return mode == "yes" ||
         (mode == "local" && (addr.starts_with("127.") || addr.starts_with("::1:")));
}

// Above maxmemory, as redis-server decides: deny-oom commands are refused, and so is queueing
// anything in MULTI (a transaction's queue grows without bound), and an EXEC whose queue holds a
// deny-oom command. EXEC, DISCARD, QUIT and RESET themselves stay allowed, and so do reads and
// the commands that free memory (DEL, XACK, XDEL, XTRIM), so consumers can drain the backlog.
bool Dispatcher::RefusedForMemory(const Client& c, const CommandSpec& spec) const {
  const std::string& name = spec.fullname;
  const bool refusable = (spec.flags & kCmdDenyOom) ||
                         (name == "exec" && c.multi.deny_oom) ||
                         (c.multi.active && name != "exec" && name != "discard" &&
                          name != "quit" && name != "reset");
  return refusable && host_.OverMemoryLimit();
}

// A command refused before it ran. Inside MULTI this dooms the transaction; a refused EXEC
// discards it at once, reporting why (Redis drops the "ERR " code, keeps any other).
void Dispatcher::Reject(Client& c, const CommandSpec* spec, std::string_view error) {
  if (spec != nullptr) command_stats_.For(*spec).rejected++;
  if (spec != nullptr && spec->fullname == "exec") {
    c.multi = MultiState{};
    UnwatchAll(c);
    if (error.substr(0, 4) == "ERR ") error.remove_prefix(4);
    const std::string abort = "EXECABORT Transaction discarded because of: " + std::string(error);
    command_stats_.CountError(abort);
    c.reply().Error(abort);
    return;
  }
  if (c.multi.active) c.multi.aborted = true;
  command_stats_.CountError(error);
  c.reply().Error(error);
}

std::string* Dispatcher::CallBuffer() {
  effects_wanted_ = host_.effects_wanted();
  if (!effects_wanted_) return nullptr;
  while (call_buffers_.size() <= call_depth_) call_buffers_.emplace_back();
  std::string* buffer = &call_buffers_[call_depth_];
  buffer->clear();
  return buffer;
}

namespace {

// Whether the command looks its keys up as reads, which redis-server reports as keymiss events
// when a key is missing: read-only commands (but OBJECT and MEMORY, which look without
// notifying), and the writes that read their key first.
bool ReportsMisses(const CommandSpec& spec, const CommandContext& ctx) {
  const std::string& name = spec.fullname;
  if (name.starts_with("object|") || name.starts_with("memory|")) return false;
  if (spec.flags & kCmdReadOnly) return true;
  if (name == "getdel" || name == "getex" || name == "getset" || name == "copy" || name == "xack" ||
      name == "xclaim" || name == "xautoclaim" || name == "xreadgroup") {
    return true;
  }
  if (name != "set") return false;
  for (size_t i = 3; i < ctx.argc(); ++i) {
    if (IEquals(ctx.arg(i), "GET")) return true;
  }
  return false;
}

}  // namespace

bool Dispatcher::RunHandler(CommandContext& ctx, int db, uint64_t earlier_usec, uint64_t* usec) {
  ++call_depth_;
  // Only while someone listens for keymiss: otherwise the lookups need not be classified.
  const bool report_misses =
      (limits_.notify_flags & config::kNotifyKeyMiss) != 0 && ReportsMisses(ctx.spec, ctx);
  if (report_misses) keyspace_->set_report_misses(true);
  // CLIENT NO-TOUCH: the client's lookups leave access times alone, except TOUCH's own.
  const bool no_touch = ctx.client().no_touch && ctx.spec.fullname != "touch";
  if (no_touch) keyspace_->set_touch(false);
  keyspace_->set_access_clock(ctx.now_ms);  // keys the command creates are new as of now
  const uint64_t start = host_.MonotonicUs();
  ctx.spec.handler(ctx);
  *usec = host_.MonotonicUs() - start;
  if (report_misses) keyspace_->set_report_misses(false);
  if (no_touch) keyspace_->set_touch(true);
  --call_depth_;
  CountRun(ctx, *usec, earlier_usec);
  if (ctx.failed()) return false;
  changes_ += ctx.changes();
  if (ctx.effects().enabled()) record_.Append(db, call_buffers_[call_depth_]);
  return true;
}

// As redis-server counts: a run's time always; the call when it first runs (a blocking command
// too, and only then); its latency once it has replied with something other than a timeout,
// the time of all its runs together.
void Dispatcher::CountRun(CommandContext& ctx, uint64_t usec, uint64_t earlier_usec) {
  CommandCounters& counters = command_stats_.For(ctx.spec);
  counters.usec += usec;
  if (!ctx.rerun) counters.calls++;
  if (ctx.failed()) counters.failed++;
  if (!ctx.block() || ctx.failed()) {
    if (limits_.latency_tracking) counters.latency.Record(earlier_usec + usec);
    LogIfSlow(ctx, earlier_usec + usec);
  }
  // The latency monitor looks at each run, as redis-server's call() does.
  NoteLatency((ctx.spec.flags & kCmdFast) ? "fast-command" : "command", usec / 1000);
}

void Dispatcher::NoteLatency(std::string_view event, uint64_t ms) {
  const int64_t threshold = limits_.latency_threshold_ms;
  if (threshold > 0 && ms >= static_cast<uint64_t>(threshold)) {
    latency_monitor_.Add(event, ms, host_.NowMs() / 1000);
  }
}

namespace {

// The arguments as the slow log may keep them: passwords replaced, as Redis redacts them (AUTH,
// HELLO ... AUTH user pass, CONFIG SET requirepass, and all of ACL SETUSER after its name).
std::vector<std::string_view> Redacted(const CommandSpec& spec, const resp::ArgList& args) {
  constexpr std::string_view kRedacted = "(redacted)";
  std::vector<std::string_view> out;
  for (size_t i = 0; i < args.size(); ++i) out.push_back(args[i]);
  if (spec.fullname == "auth") {
    for (size_t i = 1; i < out.size(); ++i) out[i] = kRedacted;
  } else if (spec.fullname == "acl|setuser") {
    for (size_t i = 2; i < out.size(); ++i) out[i] = kRedacted;
  } else if (spec.fullname == "hello") {
    for (size_t i = 2; i + 2 < out.size(); ++i) {
      if (IEquals(out[i], "AUTH")) {
        out[i + 1] = out[i + 2] = kRedacted;
        i += 2;
      }
    }
  } else if (spec.fullname == "config|set") {
    for (size_t i = 2; i + 1 < out.size(); i += 2) {
      if (IEquals(out[i], "requirepass")) out[i + 1] = kRedacted;
    }
  }
  return out;
}

}  // namespace

void Dispatcher::FeedMonitors(const Client& c, const CommandSpec& spec,
                              const resp::ArgList& args) {
  if (spec.flags & (kCmdAdmin | kCmdSkipMonitor)) return;
  // Shown to the microsecond, so it reads the clock itself: the command's cached time is in
  // milliseconds.
  const int64_t unix_us = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  const std::string line = MonitorFeed::Line(unix_us, c.db, c.addr(), Redacted(spec, args));
  for (uint64_t id : monitors_.ids()) {
    Client* m = host_.FindClient(id);
    if (m == nullptr || m->reply_mode == Client::ReplyMode::kOff) continue;
    // As redis-server: after CLIENT REPLY SKIP a monitor is sent nothing until its own next
    // command has run (the one skipped; Execute drops what that command is sent). The line of
    // the CLIENT REPLY SKIP itself still goes out.
    if (m->reply_mode == Client::ReplyMode::kSkipNext && m != &c) continue;
    m->reply().Simple(line);
    m->ScheduleFlush();
  }
}

namespace {

// A command's flags as CLIENT PAUSE WRITE sees them: PUBLISH and SPUBLISH are held as writes (a
// replica receives them), though COMMAND INFO shows no may_replicate flag for them.
uint32_t PauseRelevantFlags(const CommandSpec& spec) {
  const bool publishes = spec.fullname == "publish" || spec.fullname == "spublish";
  return publishes ? spec.flags | kCmdMayReplicate : spec.flags;
}

}  // namespace

uint32_t Dispatcher::PauseFlags(const Client& c, const CommandSpec& spec) const {
  uint32_t flags = PauseRelevantFlags(spec);
  if (spec.fullname != "exec" || !c.multi.active) return flags;
  std::string ignored;
  for (const resp::ArgList& queued : c.multi.queued) {
    if (const CommandSpec* q = commands_.Lookup(queued, &ignored)) flags |= PauseRelevantFlags(*q);
  }
  return flags;
}

bool Dispatcher::PauseHolds(const Client& c, const resp::ArgList& args) const {
  if (!pause_.active()) return false;
  std::string ignored;
  const CommandSpec* spec = commands_.Lookup(args, &ignored);
  // What is no command here (a RUNNEL-RECORD, a command Runnel lacks) changes data: a write.
  return pause_.Holds(spec != nullptr ? PauseFlags(c, *spec) : kCmdWrite);
}

void Dispatcher::Pause(ClientPause::Mode mode, uint64_t ms) {
  pause_.Start(mode, SaturatingAdd(host_.MonotonicUs(), MsToUs(ms)));
  // Reads may still run (WRITE): a key past its TTL reads as missing but stays until the end.
  keyspace_->set_expire_on_lookup(false);
}

void Dispatcher::EndPause() {
  std::deque<ClientPause::Held> held = pause_.Stop();
  keyspace_->set_expire_on_lookup(!replica_);
  for (ClientPause::Held& h : held) resuming_.push_back(std::move(h));
}

void Dispatcher::RunResumed() {
  if (running_resumed_) return;  // a resumed client's pipeline is running: the loop below goes on
  running_resumed_ = true;
  while (!resuming_.empty()) {
    if (pause_.active()) {  // a resumed command paused again: the rest wait once more, first
      pause_.HoldFirst(std::exchange(resuming_, {}));
      break;
    }
    ClientPause::Held h = std::move(resuming_.front());
    resuming_.pop_front();
    Client* c = host_.FindClient(h.client_id);
    if (c == nullptr) continue;
    c->postponed = false;
    Run(*c, h.args, true);
    if (!c->waiting()) c->RunPendingInput();
  }
  running_resumed_ = false;
}

void Dispatcher::StartMonitoring(Client& c) {
  c.monitor = true;
  monitors_.Add(c.id());
}

void Dispatcher::StopMonitoring(Client& c) {
  c.monitor = false;
  monitors_.Remove(c.id());
}

void Dispatcher::LogIfSlow(CommandContext& ctx, uint64_t usec) {
  const int64_t threshold = limits_.slowlog_slower_than;
  if (threshold < 0 || usec < static_cast<uint64_t>(threshold)) return;
  if (ctx.spec.flags & kCmdSkipSlowlog) return;
  slowlog_.Add(Redacted(ctx.spec, ctx.args), usec, ctx.now_ms / 1000, ctx.client().addr(),
               ctx.client().name, limits_.slowlog_max_len);
}

void Dispatcher::Call(Client& c, const CommandSpec& spec, const resp::ArgList& args, bool in_exec,
                      int64_t now_ms) {
  CommandContext ctx(*this, c, args, spec, now_ms, CallBuffer());
  ctx.in_exec = in_exec;
  uint64_t usec = 0;
  const bool ok = RunHandler(ctx, c.db, 0, &usec);
  // After it ran, as redis-server 7 does: SELECT shows its new database, a transaction's
  // commands come before their EXEC.
  if (!monitors_.empty()) FeedMonitors(c, spec, args);
  if (!ok) return;
  if (ctx.block()) {
    RegisterBlock(c, std::move(*ctx.block()), now_ms);
    c.blocked->usec = usec;
  }
}

bool Dispatcher::FinishRecord(int64_t time_ms) {
  if (record_.empty()) return false;
  host_.AppendRecord(record_.first_db(), time_ms, record_.payload());
  record_.Clear();
  return true;
}

void Dispatcher::NoteConsumerSeen(int db, std::string_view key, std::string_view group,
                                  std::string_view consumer) {
  if (seen_notes_.find(std::make_tuple(db, key, group, consumer)) != seen_notes_.end()) return;
  seen_notes_.emplace(db, std::string(key), std::string(group), std::string(consumer));
}

void Dispatcher::WriteConsumerTimes(int db, const std::string& key, const std::string& group,
                                    const std::string& consumer, std::string* scratch) {
  streams::Database::Node* node = keyspace_->db(db).Peek(key);
  const streams::Stream* s = node != nullptr ? node->value.value.stream() : nullptr;
  const streams::ConsumerGroup* g = s != nullptr ? s->FindGroup(group) : nullptr;
  const streams::Consumer* c = g != nullptr ? g->FindConsumer(consumer) : nullptr;
  if (c == nullptr) return;  // gone since: whatever removed it was logged
  scratch->clear();
  effects::Writer(scratch).ConsumerTimes(key, group, *c);
  record_.Append(db, *scratch);
}

void Dispatcher::FlushConsumerTimes() {
  std::string encoded;
  for (const auto& [db, key, group, consumer] : seen_notes_) {
    WriteConsumerTimes(db, key, group, consumer, &encoded);
  }
  seen_notes_.clear();
}

void Dispatcher::FlushConsumerTimes(int db, std::string_view key) {
  std::string encoded;
  auto it =
      seen_notes_.lower_bound(std::make_tuple(db, key, std::string_view(), std::string_view()));
  while (it != seen_notes_.end() && std::get<0>(*it) == db && std::get<1>(*it) == key) {
    const auto& [note_db, note_key, group, consumer] = *it;
    if (effects_wanted_) WriteConsumerTimes(note_db, note_key, group, consumer, &encoded);
    it = seen_notes_.erase(it);
  }
}

void Dispatcher::Cron(int64_t now_ms) {
  constexpr size_t kExpireKeysPerDbPerCycle = 1000;
  constexpr int64_t kSeenFlushIntervalMs = 1000;
  // RETENTION-MS's share of a cycle, all streams together: at most this long (as Redis's
  // active expiry takes a share of its cycle), in slices of kAgeOutSlice entries, and at most
  // this many entries, so a large age-out is many short pauses, never one long one.
  constexpr uint64_t kUpkeepUsPerCycle = 3000;
  constexpr size_t kUpkeepEntriesPerCycle = 1000000;
  effects_wanted_ = host_.effects_wanted();
  record_time_ms_ = now_ms;
  std::string encoded;
  // CLIENT PAUSE: the dataset stays as it is until the pause ends.
  for (int i = 0; i < keyspace_->size() && !KeyspaceFrozen(); ++i) {
    if (active_expire_) keyspace_->db(i).ExpireDue(now_ms, kExpireKeysPerDbPerCycle);
    // Idempotency iids past their stream's IDMP-DURATION (Redis 8.6); logged with the cutoff
    // used, so replay drops exactly the same ones whenever it runs.
    keyspace_->db(i).ExpireIdmp(now_ms, [&](std::string_view key, int64_t cutoff) {
      encoded.clear();
      effects::Writer(effects_wanted_ ? &encoded : nullptr).IdmpExpire(key, cutoff);
      record_.Append(i, encoded);
    });
  }
  UpkeepBudget budget{kUpkeepEntriesPerCycle, host_.MonotonicUs() + kUpkeepUsPerCycle};
  for (int i = 0; i < keyspace_->size() && !KeyspaceFrozen(); ++i) {
    StreamUpkeep(i, now_ms, &budget);
  }
  if (!KeyspaceFrozen() &&
      (now_ms - last_seen_flush_ms_ >= kSeenFlushIntervalMs || now_ms < last_seen_flush_ms_)) {
    if (effects_wanted_) FlushConsumerTimes();
    seen_notes_.clear();
    last_seen_flush_ms_ = now_ms;
  }
  FinishRecord(now_ms);
  ServeReadyKeys();  // expiry may have deleted keys that blocked clients wait on
}

// ---- blocking ----

void Dispatcher::RegisterBlock(Client& c, BlockRequest request, int64_t now_ms) {
  BlockedState state;
  state.db = c.db;
  uint64_t deadline = 0;
  if (request.timeout_ms > 0) {
    deadline = SaturatingAdd(host_.MonotonicUs(), MsToUs(request.timeout_ms));
  }
  state.registration = blocking_.Add(c.id(), c.db, request.keys, deadline, request.on_nokey);
  state.request = std::move(request);
  c.blocked = std::move(state);
  SetWake(c, c.blocked->request.wake_at_ms, now_ms);
}

void Dispatcher::SetWake(Client& c, int64_t wake_at_ms, int64_t now_ms) {
  uint64_t wake = 0;
  if (wake_at_ms > 0) {
    // Wall clock to the monotonic clock deadlines run on; at least 1 ms ahead, so a wake
    // always finds the wall clock at or past wake_at_ms.
    int64_t in_ms = std::max<int64_t>(wake_at_ms - now_ms, 1);
    wake = SaturatingAdd(host_.MonotonicUs(), MsToUs(static_cast<uint64_t>(in_ms)));
  }
  blocking_.SetWake(c.id(), c.blocked->registration, wake);
}

void Dispatcher::Unblock(Client& c) {
  if (!c.blocked) return;
  blocking_.Remove(c.id(), c.blocked->registration);
  c.blocked.reset();
  c.ScheduleFlush();
  c.ScheduleResume();
}

bool Dispatcher::Rerun(Client& c, bool timed_out) {
  const resp::ArgList& args = c.blocked->request.rerun;
  std::string error;
  const CommandSpec* spec = commands_.Resolve(args, &error);
  if (spec == nullptr) {  // cannot happen: the command resolved when it blocked
    c.reply().Error(error);
    Unblock(c);
    return true;
  }
  const int64_t now = record_time_ms_ = host_.NowMs();
  CommandContext ctx(*this, c, args, *spec, now, CallBuffer());
  ctx.rerun = true;
  ctx.timed_out = timed_out;
  uint64_t usec = 0;
  RunHandler(ctx, c.blocked->db, c.blocked->usec, &usec);
  if (FinishRecord(now)) c.woff = host_.ReplicationOffset();
  if (ctx.block() && !ctx.failed() &&
      !timed_out) {  // still nothing: keep the place in line and the deadline
    c.blocked->usec += usec;
    SetWake(c, ctx.block()->wake_at_ms, now);
    return false;
  }
  Unblock(c);
  return true;
}

void Dispatcher::ServeReadyKeys() {
  while (blocking_.HasReady()) {
    for (auto& [db, key] : blocking_.TakeReady()) {
      const int64_t now = host_.NowMs();
      // Only a re-run changes the keyspace here, so the key's node is looked up once, and again
      // after each re-run: with thousands of waiters on one key, most are asked, few re-run.
      std::optional<const streams::Database::Node*> node;
      std::vector<uint64_t> waiters = std::move(waiters_buffer_);  // its capacity, reused
      blocking_.Waiters(db, key, &waiters);
      for (uint64_t id : waiters) {
        Client* c = host_.FindClient(id);
        if (c == nullptr || !c->blocked) continue;
        if (const WaitCondition* condition = c->blocked->request.condition.get()) {
          if (!node) node = keyspace_->db(db).Peek(key);
          if (!condition->Ready(*node, key, now)) continue;
        }
        Rerun(*c);
        node.reset();
      }
      waiters_buffer_ = std::move(waiters);
    }
  }
}

std::optional<uint64_t> Dispatcher::NextTimerUs() const {
  if (pause_.active()) {
    // Only timeouts are answered meanwhile; wakes and delayed entries wait for the end.
    std::optional<uint64_t> next = blocking_.NextTimeUs(false);
    return next ? std::min(*next, pause_.until_us()) : pause_.until_us();
  }
  std::optional<uint64_t> next = blocking_.NextTimeUs(true);
  std::optional<int64_t> due;
  for (int i = 0; i < keyspace_->size() && !host_.loading() && !replica_; ++i) {
    auto d = keyspace_->db(i).NextScheduledMs();
    if (d && (!due || *d < *due)) due = d;
  }
  if (due) {
    // Wall-clock due time to the monotonic clock the timer runs on.
    int64_t wait_ms = std::max<int64_t>(*due - host_.NowMs(), 0);
    uint64_t at = SaturatingAdd(host_.MonotonicUs(), MsToUs(static_cast<uint64_t>(wait_ms)));
    next = next ? std::min(*next, at) : at;
  }
  return next;
}

void Dispatcher::OnTimer() {
  if (host_.loading()) return;
  if (pause_.active() && host_.MonotonicUs() >= pause_.until_us()) {
    EndPause();
    RunResumed();
  }
  if (!KeyspaceFrozen()) {
    // The keyspace's own writes first, as one record, so the readers they wake are served
    // below with everyone else.
    constexpr size_t kFiresPerTimer = 2000;  // about half a millisecond of appends
    const int64_t now_ms = host_.NowMs();
    size_t budget = kFiresPerTimer;
    effects_wanted_ = host_.effects_wanted();
    record_time_ms_ = now_ms;
    for (int i = 0; i < keyspace_->size(); ++i) FireScheduled(i, now_ms, &budget);
    FinishRecord(now_ms);
  }
  const uint64_t now_us = host_.MonotonicUs();
  // Wakes first: a client whose wake and deadline are both due still gets its chance to read.
  for (uint64_t id : pause_.active() ? std::vector<uint64_t>{} : blocking_.DueWakes(now_us)) {
    Client* c = host_.FindClient(id);
    if (c == nullptr || !c->blocked) continue;
    blocking_.SetWake(id, c->blocked->registration, 0);
    Rerun(*c);  // sets the next wake if it blocks again
  }
  for (uint64_t id : blocking_.Expired(now_us)) {
    Client* c = host_.FindClient(id);
    if (c == nullptr || !c->blocked) continue;
    if (c->blocked->request.answers_timeout) {
      Rerun(*c, true);
      continue;
    }
    // Every blocking read (here and in Redis) answers a timeout with a null array.
    c->reply().NullArray();
    Unblock(*c);
  }
  if (blocking_.HasReady()) ServeReadyKeys();
}

// ---- WATCH ----

void Dispatcher::Watch(Client& c, std::string_view key, int64_t now_ms) {
  for (const auto& w : c.watch.keys) {
    if (w.db == c.db && w.key == key) return;
  }
  streams::Database::Node* node = keyspace_->db(c.db).Peek(key);
  bool expired = node != nullptr && node->value.expire_ms >= 0 && node->value.expire_ms <= now_ms;
  c.watch.keys.push_back({c.db, std::string(key), expired});
  watches_.Watch(c.id(), c.db, key);
}

void Dispatcher::UnwatchAll(Client& c) {
  for (const auto& w : c.watch.keys) watches_.Unwatch(c.id(), w.db, w.key);
  c.watch.keys.clear();
  c.watch.dirty = false;
}

void Dispatcher::TouchWatchers(int db, std::string_view key) {
  watches_.Touch(db, key, [this](uint64_t id) {
    if (Client* c = host_.FindClient(id)) c->watch.dirty = true;
  });
}

void Dispatcher::ClientClosed(Client& c) {
  if (c.blocked) blocking_.Remove(c.id(), c.blocked->registration);
  c.blocked.reset();
  UnwatchAll(c);
  pubsub_.Drop(c);
  monitors_.Remove(c.id());
  if (c.postponed) {
    pause_.Forget(c.id());
    std::erase_if(resuming_, [&](const ClientPause::Held& h) { return h.client_id == c.id(); });
  }
}

void Dispatcher::Notify(int db, uint32_t type, std::string_view event, std::string_view key) {
  const uint32_t flags = limits_.notify_flags;
  if (!(flags & type)) return;
  const std::string prefix = "__key";
  const std::string at = "@" + std::to_string(db) + "__:";
  if (flags & config::kNotifyKeyspace)
    Publish(false, prefix + "space" + at + std::string(key), event);
  if (flags & config::kNotifyKeyevent)
    Publish(false, prefix + "event" + at + std::string(event), key);
}

void Dispatcher::OnKeyAdded(int db, std::string_view key) {
  Notify(db, config::kNotifyNew, "new", key);
}

void Dispatcher::OnKeyMissed(int db, std::string_view key) {
  Notify(db, config::kNotifyKeyMiss, "keymiss", key);
}

size_t Dispatcher::Publish(bool shard, std::string_view channel, std::string_view message) {
  return pubsub_.Publish(shard, channel, message,
                         [this](uint64_t id) { return host_.FindClient(id); });
}

// ---- keyspace observer ----

void Dispatcher::OnKeyChanged(int db, std::string_view key) {
  TouchWatchers(db, key);
  blocking_.MarkReady(db, key);
}

void Dispatcher::OnKeyExpired(int db, std::string_view key) {
  stats_.expired_keys++;
  Notify(db, config::kNotifyExpired, "expired", key);
  // The log says DEL, on its own: replay must not depend on the clock deciding the key has
  // expired, and the command that found it expired may fail and log nothing. As in Redis, an
  // expiry is no change for the save rules.
  if (effects_wanted_) {
    std::string del;
    effects::Writer(&del).Del(key);
    record_.Append(db, del);
  }
  // As in Redis, a key that was already past its TTL when WATCHed expiring later is no change.
  watches_.Touch(db, key, [&](uint64_t id) {
    Client* c = host_.FindClient(id);
    if (c == nullptr) return;
    for (const auto& w : c->watch.keys) {
      if (w.db == db && w.key == key && !w.expired_at_watch) c->watch.dirty = true;
    }
  });
  blocking_.MarkReady(db, key);
}

void Dispatcher::OnFlushed(int db) { blocking_.MarkDatabaseReady(db); }

void Dispatcher::DatabaseReplaced(int db) {
  watches_.ForEachKey(db, [&](const std::string& key, const std::vector<uint64_t>&) {
    TouchWatchers(db, key);
  });
  blocking_.MarkDatabaseReady(db);
}

}  // namespace runnel::dispatch
