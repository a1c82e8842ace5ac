// What the dispatcher needs from the program around it (Host), and what the administration
// commands need (AdminHost). The server shell (server/server.h) implements both over libuv, its
// files and its connections; the in-process test harness implements them in memory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "streams/stream.h"

namespace runnel::dispatch {

class Client;

// The settings data commands follow, derived from the configuration whenever it changes.
struct Limits {
  streams::StreamLimits stream;       // block limits for appends and removals
  int64_t approx_trim_limit = 10000;  // '~' trims without LIMIT: Redis's 100 x node entries
  streams::IdmpConfig new_stream;     // a new stream's IDMP settings (stream-idmp-*)
  streams::Retention new_retention;   // a new stream's retention (stream-retention-*)
  uint32_t notify_flags = 0;          // notify-keyspace-events (config::NotifyFlag bits)
  int64_t slowlog_slower_than = 10000;  // slowlog-log-slower-than, µs (negative: off)
  uint64_t slowlog_max_len = 128;       // slowlog-max-len
  int64_t latency_threshold_ms = 0;     // latency-monitor-threshold (0: off)
  bool latency_tracking = true;         // latency-tracking: per-command histograms
};

// MEMORY STATS and DOCTOR: what the process holds, as the server measures it (bytes).
struct MemoryFigures {
  uint64_t peak_allocated = 0;     // the most total_allocated has been (sampled by the cron)
  uint64_t total_allocated = 0;    // what the allocator has handed out (INFO used_memory)
  uint64_t startup_allocated = 0;  // total_allocated when the server had started
  uint64_t clients_normal = 0;     // the clients' query and reply buffers
  uint64_t aof_buffer = 0;         // log records not yet written
  uint64_t allocator_active = 0;   // heap the allocator holds, in use or free
  uint64_t rss = 0;                // resident set size of the process
};

// Replication as ROLE and INFO replication report it (docs/replication.md).
struct ReplicaState {
  std::string ip;
  int64_t port = 0;   // its listening port (REPLCONF listening-port)
  std::string state;  // wait_bgsave, send_bulk, online
  uint64_t ack_offset = 0;
  int64_t lag_s = 0;  // seconds since its last acknowledgement
};
struct ReplicationState {
  // This server's master, when it is a replica.
  bool replica = false;
  std::string master_host;
  int64_t master_port = 0;
  std::string link_state;  // ROLE's: connect, connecting, handshake, sync, connected
  bool link_up = false;
  int64_t last_io_s = -1;          // seconds since the master last sent anything
  int64_t link_down_since_s = -1;  // seconds the link has been down (-1: up)
  bool sync_in_progress = false;
  uint64_t sync_total_bytes = 0, sync_read_bytes = 0;
  int64_t processed_offset = -1;  // the master's stream applied so far (-1: never synced)
  // A redis-server master (server/master_link.h): its keys of types Runnel lacks that the sync
  // skipped, and its commands that did not apply here.
  bool redis_master = false;
  uint64_t redis_skipped_keys = 0, redis_rejected_commands = 0;
  // This server's replicas, in the order they connected.
  std::vector<ReplicaState> replicas;
  size_t good_replicas = 0;  // online and acknowledged within min-replicas-max-lag
  // The history (replication/history.h) and the backlog.
  std::string replid;   // 40 hex digits
  std::string replid2;
  int64_t second_offset = -1;
  uint64_t offset = 0;  // bytes of history propagated (master_repl_offset)
  bool backlog_active = false;
  uint64_t backlog_size = 0, backlog_first_offset = 0, backlog_histlen = 0;
  // Syncs served (INFO stats): full ones, continued ones, and PSYNCs that had to be full.
  uint64_t sync_full = 0, sync_partial_ok = 0, sync_partial_err = 0;
};

// What REPLICAOF asks for: a master to follow, or none (NO ONE).
struct ReplicaOfRequest {
  bool none = false;
  std::string host;
  int port = 0;
};

// Server administration: configuration, INFO, persistence commands, shutdown, client lists.
// Why CONFIG SET could not apply a configuration: each setting whose change failed, with
// Redis's reason for it. The reply names the first of them the command gave, with its reason,
// as Redis applies settings in the order given.
struct ConfigApplyError {
  std::vector<std::pair<std::string_view, std::string_view>> failed;  // setting, reason
};

class AdminHost {
 public:
  virtual ~AdminHost() = default;

  virtual const config::Config& config() const = 0;
  // Replaces the configuration (every value already checked) and applies what changed. false
  // with Redis's reason in *error, the configuration unchanged, when applying failed (TLS
  // settings whose certificate does not load, a port that cannot be listened on).
  virtual bool SetConfig(config::Config updated, ConfigApplyError* error) = 0;
  // CONFIG REWRITE: writes the configuration back to the file the server started with. false
  // with the error to reply in *error (no file, or it cannot be written).
  virtual bool RewriteConfig(std::string* error) = 0;
  virtual std::string Info(const std::vector<std::string>& sections) = 0;
  virtual void ResetStats() = 0;

  enum class SaveMode { kDefault, kSave, kNoSave };
  // false with *error when the data could not be made durable and `force` is not set: the
  // server then keeps running.
  virtual bool Shutdown(std::string_view reason, SaveMode mode, bool force, std::string* error) = 0;
  virtual bool Save(std::string* error) = 0;
  // The reply text and whether it is a success (BGSAVE, BGREWRITEAOF). Inside EXEC nothing
  // forks, the work is scheduled (as Redis): a child must not capture half a transaction.
  virtual std::pair<bool, std::string> BackgroundSave(bool schedule, bool in_exec) = 0;
  virtual std::pair<bool, std::string> BackgroundRewrite(bool in_exec) = 0;
  virtual int64_t LastSaveMs() const = 0;
  virtual ReplicationState Replication() const = 0;
  // REPLICAOF: the reply to send ("OK", "OK Already connected to specified master"), after
  // starting to follow the master or, for NO ONE, becoming a master.
  virtual std::string ReplicaOf(const ReplicaOfRequest& request) = 0;
  // PSYNC <replid> <offset> and SYNC (replid "?", offset "-1"): makes `client` a replica and
  // answers it (+FULLRESYNC ... or +CONTINUE ...), or returns the error to reply, checked in
  // redis-server's order (the master link, pending output, then the offset).
  virtual std::string Psync(Client& client, std::string_view replid, std::string_view offset) = 0;
  // REPLCONF ACK from a replica: it holds the stream up to `offset`, and (FACK) has it in its
  // log on disk up to `synced`.
  virtual void ReplicaAcked(Client& client, uint64_t offset, std::optional<uint64_t> synced) = 0;
  // REPLCONF GETACK: acknowledges the offset to this server's master, if it has one.
  virtual void AckToMaster() = 0;
  // WAIT: how many replicas have acknowledged `offset`.
  virtual size_t ReplicasAcked(uint64_t offset) const = 0;
  // WAITAOF: how many replicas have `offset` in their log on disk (their FACK), and the
  // offset up to which this server's own log is on disk.
  virtual size_t ReplicasSynced(uint64_t offset) const = 0;
  virtual uint64_t LogSyncedOffset() const = 0;
  // WAIT and WAITAOF block `client_id`: the replicas are asked for acknowledgements, and the
  // client is woken (Dispatcher::WakeSoon) as they come and as the log reaches the disk.
  virtual void AwaitAcks(uint64_t client_id) = 0;
  // DEBUG RELOAD: saves the snapshot (unless `nosave`), then loads it in place of the data.
  // DEBUG LOADAOF (`from_log`): writes and fsyncs the log, then loads its whole history in
  // place of the data. Either way the data changes only once all of it has loaded; false with
  // the error to reply in *error.
  virtual bool Reload(bool from_log, bool nosave, std::string* error) = 0;

  // The ACL file (config aclfile, set): its whole text, or its replacement written safely
  // (a new file renamed over the old). false with the reason in *error.
  virtual bool ReadAclFile(std::string* text, std::string* error) = 0;
  virtual bool WriteAclFile(std::string_view text, std::string* error) = 0;

  // Every client, oldest first.
  virtual std::vector<Client*> Clients() = 0;
  virtual MemoryFigures Memory() = 0;
  // MEMORY MALLOC-STATS: the allocator's own report. MEMORY PURGE: unused heap back to the
  // system.
  virtual std::string AllocatorReport() = 0;
  virtual void ReleaseFreeHeap() = 0;
};

class Host {
 public:
  virtual ~Host() = default;

  virtual int64_t NowMs() const = 0;         // wall clock: IDs, TTLs, delivery times
  virtual uint64_t MonotonicUs() const = 0;  // blocking deadlines; read fresh, never cached
  virtual Client* FindClient(uint64_t id) = 0;
  virtual bool loading() const = 0;
  // Non-empty while writes must be refused (-MISCONF ...), with the error to reply.
  virtual std::string_view WriteRefusal() const = 0;
  // Whether memory in use is above maxmemory: deny-oom commands are then refused (-OOM).
  virtual bool OverMemoryLimit() const = 0;
  // Whether anyone takes effects (the log is on): when not, commands write none.
  virtual bool effects_wanted() const = 0;
  // One record of effects, made at `time_ms`, whose first effect applies to database `db`.
  virtual void AppendRecord(int db, int64_t time_ms, std::string_view payload) = 0;
  // Non-empty while write commands must be refused for replication's sake, with the error to
  // reply: -READONLY on a read-only replica, -NOREPLICAS below min-replicas-to-write.
  virtual std::string_view ReplicationRefusal() const { return {}; }
  // Non-empty while commands not flagged stale must be refused: -MASTERDOWN on a replica whose
  // link is down, with replica-serve-stale-data no.
  virtual std::string_view StaleRefusal() const { return {}; }
  // master_repl_offset: a client's woff after a command that wrote.
  virtual uint64_t ReplicationOffset() const { return 0; }
  // PUBLISH ran: a master sends the message to its replicas, for their subscribers.
  virtual void PropagatePublish(std::string_view /*channel*/, std::string_view /*message*/) {}
  // A line for the operator in the server's log, at warning level.
  virtual void Warn(std::string_view message) = 0;
  virtual AdminHost& admin() = 0;
};

}  // namespace runnel::dispatch
