// Dispatcher: from a parsed command to its handler, and from a changed key to the clients
// blocked on it — with no sockets, no timers and no files (those are the Host's).
//
//   Execute   lookup, arity, AUTH, MULTI queueing, write refusal, Pub/Sub context, loading, in
//             redis-server's order; then Call, one log record for what the command changed,
//             and the serving of the keys it made ready
//   Call      runs a handler: its effects join the current record and its changes count, unless
//             it replied with an error; a Block() request is registered
//   blocking  ready keys are served after the command that changed them, by re-running each
//             waiter's command in FIFO order (two-phase wake-up); a client that still cannot
//             proceed keeps its place and its deadline; OnTimer answers timeouts and runs
//             timed wakes
//   Cron      active expiry, the expiry of idempotency iids, consumer expiry (a group's
//             CONSUMER-EXPIRE), retention age-out (a stream's RETENTION-MS), and the coalesced
//             consumer seen times, each logged as effects
//   OnTimer   also appends delayed entries (XADD ... DELAY / AT) as they fall due
//             (stream_upkeep.cc holds these writes the server makes to streams on its own)
//   ACL       users and their permissions (acl/): every command is checked against its client's
//             user before it runs or queues, and again inside EXEC (access_control.cc)
//   Pub/Sub   the subscriptions (pubsub.h), PUBLISH's delivery, and keyspace notifications
//             (Notify: notify-keyspace-events), published through the same registry
//   replica   on a replica the data changes only by the records its master sends
//             (ApplyReplicated, replicated.cc): its cron, timers and lookups leave the keyspace
//             as it is, and its clients' writes are refused (Host::ReplicationRefusal)
//
// The dispatcher owns the keyspace and observes it: a changed key fails WATCHers' EXEC and wakes
// blocked readers; a key that expires is logged as its own DEL, before the effects of the
// command that found it expired (which may itself fail and log nothing).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "acl/acl_log.h"
#include "acl/users.h"
#include "dispatch/blocking.h"
#include "dispatch/client.h"
#include "dispatch/client_pause.h"
#include "dispatch/command_stats.h"
#include "dispatch/command_table.h"
#include "dispatch/context.h"
#include "dispatch/host.h"
#include "dispatch/latency_monitor.h"
#include "dispatch/monitor.h"
#include "dispatch/pubsub.h"
#include "dispatch/slowlog.h"
#include "dispatch/watch.h"
#include "effects/record.h"
#include "streams/keyspace.h"

namespace runnel::dispatch {

// Counters INFO stats shows that commands and the keyspace move.
struct DispatchStats {
  uint64_t commands_processed = 0;
  uint64_t expired_keys = 0;
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
  // ACL refusals (INFO stats acl_access_denied_*, as Redis 7.2 counts them).
  uint64_t acl_denied_auth = 0;
  uint64_t acl_denied_cmd = 0;
  uint64_t acl_denied_key = 0;
  uint64_t acl_denied_channel = 0;
};

class Dispatcher : public streams::KeyspaceObserver {
 public:
  Dispatcher(Host& host, CommandTable commands, int databases, uint64_t hash_seed);
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // ---- the dataset ----
  streams::Keyspace& keyspace() { return *keyspace_; }
  // A keyspace like this one's, not observed (snapshot loading), and swapping it in.
  std::unique_ptr<streams::Keyspace> NewKeyspace() const;
  void ReplaceKeyspace(std::unique_ptr<streams::Keyspace> keyspace);
  const Limits& limits() const { return limits_; }
  void set_limits(const Limits& limits) { limits_ = limits; }
  const CommandTable& commands() const { return commands_; }
  Host& host() { return host_; }

  // ---- commands ----
  // Runs one command from a client, then serves the keys it made ready.
  void Execute(Client& client, const resp::ArgList& args);
  // Whether CLIENT PAUSE holds this command of `client` now (a replica's master link asks before
  // it applies what its master sent).
  bool PauseHolds(const Client& client, const resp::ArgList& args) const;
  // Runs an already resolved command (Execute, and EXEC for each queued command).
  // (RunFromMaster, private, is Execute's path for a Redis master's commands: Client::master.)
  void Call(Client& client, const CommandSpec& spec, const resp::ArgList& args, bool in_exec,
            int64_t now_ms);

  // ---- access control (access_control.cc) ----
  acl::Users& users() { return users_; }
  acl::AclLog& acl_log() { return acl_log_; }
  // A new connection, or RESET: the default user, logged in when it is on and needs no
  // password.
  void StartSession(Client& client);
  // AUTH and HELLO AUTH: logs `client` in as `user` when the user exists, is on and takes the
  // password; a failure is written to the ACL log, under `command` as the client typed it.
  bool Authenticate(Client& client, std::string_view command, std::string_view user,
                    std::string_view password);
  // Whether `user` may run the call, and if not why (ACL DRYRUN asks without running).
  acl::Denial CheckAccess(const acl::User& user, const CommandSpec& spec,
                          const resp::ArgList& args) const;
  // EXEC's check of a queued command: false, with the refusal replied and logged, when the
  // user may no longer run it.
  bool PermittedInExec(Client& client, const CommandSpec& spec, const resp::ArgList& args);
  // Deletes a user, closing the clients logged in as it (`caller` after its reply).
  bool DeleteUser(std::string_view name, Client& caller);
  // ACL LOAD: the loaded users replace these. Clients keep their session when their user is
  // loaded unchanged, and are closed otherwise (`caller` after its reply).
  void ReplaceUsers(acl::Users&& loaded, Client& caller);
  // After a user changed: its clients subscribed to what it may no longer receive are closed,
  // as Redis does.
  void UserChanged(const acl::User& user, Client& caller);

  // ---- effects and changes ----
  // Changes ever made, as Redis counts them (save rules, rdb_changes_since_last_save).
  uint64_t changes() const { return changes_; }
  // Turns what was collected since the last call into one log record made at `time_ms`; false
  // when nothing was.
  bool FinishRecord(int64_t time_ms);
  // Ends the running command's record early, with the command's time. The shell calls it
  // before the log changes files (CONFIG SET appendonly inside EXEC): the effects so far then
  // go to the file that was open when they were made, not after a base that already holds them.
  void FinishPendingRecord() { FinishRecord(record_time_ms_); }
  // Writes the seen times noted since the last flush (NoteConsumerSeen) as effects.
  void FlushConsumerTimes();
  // The same for the consumers of one key only: before RENAME moves it, since the notes name
  // the key and would find nothing there later.
  void FlushConsumerTimes(int db, std::string_view key);
  void NoteConsumerSeen(int db, std::string_view key, std::string_view group,
                        std::string_view consumer);

  // ---- replication (replicated.cc) ----
  // A replica changes nothing on its own: no expiry (a key past its TTL reads as missing and
  // stays until the master's DEL), no upkeep, no delayed entries.
  void set_replica(bool replica);
  bool replica() const { return replica_; }
  // Applies one record the master sent, with the master's time, exactly as replay applies a
  // logged one; logs it when the log is on, wakes the readers and fails the WATCHes of what it
  // touched. false with *error when it does not apply: the replica no longer holds its
  // master's data and must sync again.
  bool ApplyReplicated(int db, int64_t time_ms, std::string_view payload, std::string* error);
  // The data was replaced wholesale (a full sync loaded): the block limits records apply under
  // start again from the keyspace's.
  void ResetReplicatedLimits() { replicated_.reset(); }
  // The master's block limits, known before its next RUNNEL-LIMITS arrives: what a restarted
  // replica's own log (or its saved position) says they were.
  void SetReplicatedLimits(const streams::StreamLimits& limits) {
    replicated_ = ReplicatedState{limits, true, limits_.new_stream};
  }
  // The block limits the records made now follow: a replica's master's, else the configured
  // ones. A log file opens with them (RUNNEL-LIMITS), so its replay lays blocks out alike.
  streams::StreamLimits RecordLimits() const {
    return replica_ && replicated_ ? replicated_->limits : limits_.stream;
  }
  // A master becoming a replica: clients blocked in a write (XREADGROUP) are answered `error`,
  // since their command could no longer run.
  void UnblockWriters(std::string_view error);
  // Re-runs a blocked client at the next timer, though none of its keys changed (WAIT, when an
  // acknowledgement comes).
  void WakeSoon(uint64_t client_id);

  // ---- periodic work (the shell calls it every 100 ms) ----
  void Cron(int64_t now_ms);
  // DEBUG SET-ACTIVE-EXPIRE: whether the cron removes keys past their TTL (else only lookups).
  void set_active_expire(bool on) { active_expire_ = on; }

  // ---- blocking ----
  BlockingRegistry& blocking() { return blocking_; }
  void ServeReadyKeys();
  // Appends the delayed entries that are due, answers blocked clients whose deadline passed and
  // re-runs those whose wake is due.
  void OnTimer();
  // When OnTimer next has something to do (monotonic µs), if ever.
  std::optional<uint64_t> NextTimerUs() const;
  void Unblock(Client& client);

  // ---- Pub/Sub ----
  PubSub& pubsub() { return pubsub_; }
  // Delivers a PUBLISH / SPUBLISH message to its subscribers; returns the deliveries.
  size_t Publish(bool shard, std::string_view channel, std::string_view message);
  // A keyspace notification (notify-keyspace-events): `event` happened to `key` of `db`, of
  // class `type` (a config::NotifyFlag). Published when the class and K or E are enabled.
  void Notify(int db, uint32_t type, std::string_view event, std::string_view key);

  // ---- WATCH ----
  WatchRegistry& watches() { return watches_; }
  // WATCH of `key` at `now_ms` (a key already past its TTL then expiring later is no change).
  void Watch(Client& client, std::string_view key, int64_t now_ms);
  void UnwatchAll(Client& client);
  // Marks every client watching `key` dirty (its EXEC will fail).
  void TouchWatchers(int db, std::string_view key);
  // Database `db` now holds other data wholesale (SWAPDB, DEBUG RELOAD): every watcher of it
  // is dirty and every blocked reader of it looks again.
  void DatabaseReplaced(int db);

  // ---- clients ----
  void ClientClosed(Client& client);
  DispatchStats& stats() { return stats_; }
  CommandStats& command_stats() { return command_stats_; }
  SlowLog& slowlog() { return slowlog_; }
  LatencyMonitor& latency_monitor() { return latency_monitor_; }
  // A latency sample of the server's own work (aof-write, aof-fsync-always), kept by the
  // monitor when it reaches latency-monitor-threshold.
  void NoteLatency(std::string_view event, uint64_t ms);
  // MONITOR: `client` is sent a line for every command run from now on (RESET or closing
  // ends it).
  void StartMonitoring(Client& client);
  void StopMonitoring(Client& client);
  // CLIENT PAUSE: clients' commands (all, or those that may write) wait for `ms` or until
  // EndPause (CLIENT UNPAUSE), and so does the server's own timed work (client_pause.h).
  void Pause(ClientPause::Mode mode, uint64_t ms);
  // Ends the pause. The held commands run, in the order they arrived, once the command being
  // run (CLIENT UNPAUSE, or EXEC around it) has finished: from Execute or OnTimer.
  void EndPause();
  const ClientPause& pause() const { return pause_; }

  // streams::KeyspaceObserver
  void OnKeyChanged(int db, std::string_view key) override;
  void OnKeyExpired(int db, std::string_view key) override;
  void OnFlushed(int db) override;
  void OnKeyAdded(int db, std::string_view key) override;
  void OnKeyMissed(int db, std::string_view key) override;

 private:
  // Runs the handler, counting it (command_stats.h; `earlier_usec`: a blocked command's earlier
  // runs) and setting *usec to this run's time; returns false if it replied with an error.
  // Used by Call and Rerun.
  bool RunHandler(CommandContext& ctx, int db, uint64_t earlier_usec, uint64_t* usec);
  void CountRun(CommandContext& ctx, uint64_t usec, uint64_t earlier_usec);
  // Adds the command to the slow log when `usec` reaches slowlog-log-slower-than.
  void LogIfSlow(CommandContext& ctx, uint64_t usec);
  // Sends the command that just ran to the clients in MONITOR mode (admin commands never).
  void FeedMonitors(const Client& client, const CommandSpec& spec, const resp::ArgList& args);
  void Reject(Client& client, const CommandSpec* spec, std::string_view error);
  // The ACL check of a command about to run or queue; false when refused (replied, logged).
  bool Permitted(Client& client, const CommandSpec& spec, const resp::ArgList& args);
  void LogDenial(const Client& client, const acl::Denial& denial, const CommandSpec& spec,
                 bool in_exec);
  // Closes `client`, or for the caller itself once its reply is sent.
  static void Disconnect(Client& client, const Client& caller);
  bool RefusedForMemory(const Client& c, const CommandSpec& spec) const;
  // Execute's body; `resumed`: a command CLIENT PAUSE held, already counted when it arrived.
  void Run(Client& client, const resp::ArgList& args, bool resumed);
  void RunFromMaster(Client& client, const CommandSpec& spec, const resp::ArgList& args);
  bool DebugAllowed(const Client& client) const;
  // The flags CLIENT PAUSE judges a command by: EXEC's include its queued commands'.
  uint32_t PauseFlags(const Client& client, const CommandSpec& spec) const;
  // Runs the commands a pause held (resuming_), each client's pipeline after its held command.
  void RunResumed();
  void RegisterBlock(Client& client, BlockRequest request, int64_t now_ms);
  // While paused or a replica, nothing but commands changes the keyspace (see set_replica).
  bool KeyspaceFrozen() const { return pause_.active() || replica_; }
  // Runs a blocked client's command again; true when it answered. `timed_out`: its deadline
  // passed, and the command asked to answer the timeout itself (BlockRequest).
  bool Rerun(Client& client, bool timed_out = false);
  // ---- stream_upkeep.cc ----
  // What RETENTION-MS may still do in this cycle, shared by all databases: entries to examine,
  // and a monotonic deadline (µs).
  struct UpkeepBudget {
    size_t entries;
    uint64_t deadline_us;
  };
  // The cron's work on db's timed streams: CONSUMER-EXPIRE deletes idle consumers, RETENTION-MS
  // ages out old entries within the budget.
  void StreamUpkeep(int db, int64_t now_ms, UpkeepBudget* budget);
  void ExpireConsumers(std::string_view key, streams::Stream& s, int db, int64_t now_ms,
                       bool* timed);
  // One stream's RETENTION-MS; false when the budget ran out before it was done.
  bool AgeOut(std::string_view key, streams::Stream& s, int db, int64_t now_ms,
              UpkeepBudget* budget);
  // Appends db's due delayed entries, at most *budget of them, and files each stream again
  // under its next due time (or a retry time when it cannot take them now).
  void FireScheduled(int db, int64_t now_ms, size_t* budget);
  // Appends the due entries of one stream; false when its IDs are exhausted.
  bool FireDue(std::string_view key, streams::Stream& s, int db, int64_t now_ms, size_t* budget);
  // Arms (or clears, for 0) a blocked client's wake at wall-clock `wake_at_ms`.
  void SetWake(Client& client, int64_t wake_at_ms, int64_t now_ms);
  std::string* CallBuffer();
  // Appends the ConsumerTimes effect of one noted consumer, if it still exists.
  void WriteConsumerTimes(int db, const std::string& key, const std::string& group,
                          const std::string& consumer, std::string* scratch);

  Host& host_;
  CommandTable commands_;
  acl::Users users_{&commands_.catalog()};  // after commands_, whose catalog it points at
  acl::AclLog acl_log_;
  uint64_t hash_seed_;
  int databases_;
  std::unique_ptr<streams::Keyspace> keyspace_;
  Limits limits_;
  BlockingRegistry blocking_;
  WatchRegistry watches_;
  PubSub pubsub_;
  DispatchStats stats_;
  CommandStats command_stats_;
  SlowLog slowlog_;
  LatencyMonitor latency_monitor_;
  MonitorFeed monitors_;
  ClientPause pause_;
  std::deque<ClientPause::Held> resuming_;  // held by a pause that has ended, not yet run
  bool running_resumed_ = false;            // RunResumed is on the stack

  effects::Record record_;  // effects since the last FinishRecord
  // One per nesting level (EXEC runs calls); a deque, so deeper levels never move outer ones.
  std::deque<std::string> call_buffers_;
  size_t call_depth_ = 0;
  std::vector<uint64_t> waiters_buffer_;  // ServeReadyKeys' copy of a key's queue
  // host_.effects_wanted(), read again for every call: CONFIG SET appendonly inside EXEC
  // turns the log on or off for the calls that follow it.
  bool effects_wanted_ = false;
  int64_t record_time_ms_ = 0;  // the time of the command whose effects record_ collects
  uint64_t changes_ = 0;
  // Consumers whose seen time moved with no effect implying it: (db, key, group, consumer).
  // Ordered through views, so a lookup by views needs no copies; std::less<> would compare a
  // tuple of strings with a tuple of views, which clang with libstdc++ 12 cannot compile.
  struct SeenNoteLess {
    using is_transparent = void;
    using View = std::tuple<int, std::string_view, std::string_view, std::string_view>;
    template <typename T>
    static View AsView(const T& t) {
      return {std::get<0>(t), std::get<1>(t), std::get<2>(t), std::get<3>(t)};
    }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return AsView(a) < AsView(b);
    }
  };
  std::set<std::tuple<int, std::string, std::string, std::string>, SeenNoteLess> seen_notes_;
  int64_t last_seen_flush_ms_ = 0;
  bool replica_ = false;
  // What records from a master apply with: the block limits their RUNNEL-LIMITS set, carried
  // from one record to the next (null until the first, and after a full sync).
  struct ReplicatedState {
    streams::StreamLimits limits;
    bool limits_stated = false;
    streams::IdmpConfig new_stream;
  };
  std::optional<ReplicatedState> replicated_;
  // Per database, the timed stream where the last cycle's age-out budget ran out.
  std::vector<std::string> upkeep_resume_;
  bool active_expire_ = true;  // DEBUG SET-ACTIVE-EXPIRE
};

}  // namespace runnel::dispatch
