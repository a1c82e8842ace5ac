// Server: the event loop and everything that lives for the whole process.
//
// Owns the libuv loop and its handles (listeners, signals, timers, the before-poll hook), the
// keyspace, the command table, the blocking and watch registries, and the connections (by id).
//
// One loop iteration, as libuv runs it:
//   timers (cron, blocked-client timeouts) -> before-poll hook -> poll (reads: parse + execute)
// and the before-poll hook does, in order: resume clients that were unblocked (their pipelined
// commands), then send replies. Replies are never written from inside a command.
//
// The Server is the KeyspaceObserver: a key change marks WATCHers dirty and the key ready for
// blocked readers, who are served right after the command that changed it (dispatcher.cc).
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/blocking.h"
#include "server/command_table.h"
#include "server/config.h"
#include "server/durability.h"
#include "server/effects.h"
#include "server/loader.h"
#include "server/logger.h"
#include "server/uv_handle.h"
#include "server/watch.h"
#include "streams/keyspace.h"
#include "streams/stream.h"

namespace runnel::server {

class Connection;

struct ServerStats {
  int64_t start_ms = 0;          // wall clock at start
  uint64_t start_monotonic = 0;  // loop time at start
  uint64_t connections_received = 0;
  uint64_t commands_processed = 0;
  uint64_t rejected_connections = 0;
  uint64_t expired_keys = 0;
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
  uint64_t net_input_bytes = 0;  // of closed connections; live ones add their own
  uint64_t net_output_bytes = 0;
  uint64_t unexpected_error_replies = 0;
};

class Server : public streams::KeyspaceObserver {
 public:
  Server(Config config, std::string config_file);
  ~Server() override;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Listens and runs until shutdown. Returns the process exit code.
  int Run();
  // Stops accepting, closes every connection and handle; Run() returns once they are closed.
  // First flushes the log and, with kSave (or kDefault when save rules exist), writes a
  // snapshot; if that fails, returns false with *error and keeps running, unless `force`.
  enum class SaveMode { kDefault, kSave, kNoSave };
  bool Shutdown(std::string_view reason, SaveMode mode = SaveMode::kDefault, bool force = false,
                std::string* error = nullptr);

  uv_loop_t* loop() { return &loop_; }
  Config& config() { return config_; }
  const std::string& config_file() const { return config_file_; }
  Logger& log() { return log_; }
  streams::Keyspace& keyspace() { return *keyspace_; }
  const CommandTable& commands() const { return commands_; }
  Durability& durability() { return *durability_; }
  bool loading() const { return loader_ != nullptr; }
  const Loader* loader() const { return loader_.get(); }
  // A keyspace with this server's settings, and swapping it in (snapshot loading).
  std::unique_ptr<streams::Keyspace> NewKeyspace();
  void ReplaceKeyspace(std::unique_ptr<streams::Keyspace> keyspace);
  // Runs the effects of one log record, at the record's time, without logging them again.
  bool ReplayRecord(uint32_t db, int64_t time_ms, std::string_view payload, std::string* error);
  BlockingRegistry& blocking() { return blocking_; }
  WatchRegistry& watches() { return watches_; }
  ServerStats& stats() { return stats_; }
  streams::StreamLimits stream_limits() const;
  int64_t NowMs() const;  // wall clock, for IDs and TTLs
  uint64_t MonotonicMs() const { return uv_now(const_cast<uv_loop_t*>(&loop_)); }
  const std::string& executable() const { return executable_; }
  void set_executable(std::string path) { executable_ = std::move(path); }
  int tcp_port() const { return static_cast<int>(config_.port); }

  Connection* FindConnection(uint64_t id);
  const std::unordered_map<uint64_t, Connection*>& connections() const { return connections_; }
  // Applies side effects of a CONFIG SET (log level, limits on live connections).
  void ApplyConfig();
  void ApplyLogLevel();

  // Dispatcher (dispatcher.cc): runs one command from a client, then serves ready keys.
  void Execute(Connection& conn, const resp::ArgList& args);
  // Runs an already resolved command (used by Execute and EXEC).
  void Call(Connection& conn, const CommandSpec& spec, const resp::ArgList& args, bool in_exec,
            int64_t now_ms);
  void Reject(Connection& conn, const CommandSpec* spec, std::string_view error);
  void ServeReadyKeys();
  void Unblock(Connection& conn);
  // Marks every connection watching `key` dirty (its EXEC will fail).
  void TouchWatchers(int db, std::string_view key);
  void UnwatchAll(Connection& conn);

  // Effects for the append-only log: collected during a command, turned into one record after
  // it (FinishRecord). Nothing is recorded while the log itself is being replayed.
  template <typename Args>
  void RecordEffect(int db, const Args& args) {
    if (!replaying_) effects_.Add(db, args);
  }
  void RecordEffect(int db, std::initializer_list<std::string_view> args) {
    if (!replaying_) effects_.Add(db, args);
  }
  void FinishRecord(int64_t time_ms);
  // Changes since the last successful snapshot (save rules, INFO rdb_changes_since_last_save).
  uint64_t changes() const { return changes_; }

  // Connection callbacks.
  void OnConnectionClosing(Connection& conn);
  void RequestFlush(Connection& conn);
  void RequestResume(Connection& conn);
  char* read_buffer() { return read_buffer_.data(); }
  size_t read_buffer_size() const { return read_buffer_.size(); }

  // streams::KeyspaceObserver
  void OnKeyChanged(int db, std::string_view key) override;
  void OnKeyExpired(int db, std::string_view key) override;
  void OnFlushed(int db) override;

 private:
  void OnShutdownSignal(int signum);
  void RaiseOpenFileLimit();
  bool Listen();
  bool ListenOn(const std::string& address, bool optional);
  static void OnConnection(uv_stream_t* listener, int status);
  void BeforePoll();
  void Cron();
  void StartLoading();
  void LoadStep();
  void FinishLoading();
  void ArmBlockTimer();
  void ExpireBlocked();
  void CloseIdleClients();
  bool Rerun(Connection& conn);
  // Arms (or clears, for 0) a blocked client's wake at wall-clock `wake_at_ms`.
  void SetWake(Connection& conn, int64_t wake_at_ms, int64_t now_ms);
  bool CouldServe(Connection& conn, int db, const std::string& key);

  Config config_;
  std::string config_file_;
  std::string executable_;
  Logger log_;
  uv_loop_t loop_{};
  std::vector<UvHandle<uv_tcp_t>> listeners_;
  UvHandle<uv_signal_t> sigint_, sigterm_;
  UvHandle<uv_prepare_t> before_poll_;
  UvHandle<uv_timer_t> cron_timer_, block_timer_;
  UvHandle<uv_idle_t> load_idle_;  // runs the loader while loading
  std::unique_ptr<Durability> durability_;
  std::unique_ptr<Loader> loader_;
  std::unique_ptr<Connection> replay_conn_;  // the client log records are replayed as
  int64_t load_started_ms_ = 0;
  int64_t last_load_log_ms_ = 0;
  uint64_t hash_seed_ = 0;
  std::unique_ptr<streams::Keyspace> keyspace_;
  CommandTable commands_;
  BlockingRegistry blocking_;
  WatchRegistry watches_;
  ServerStats stats_;
  std::unordered_map<uint64_t, Connection*> connections_;
  std::vector<uint64_t> to_flush_;
  std::vector<uint64_t> to_resume_;
  std::vector<char> read_buffer_;
  EffectRecorder effects_;
  uint64_t changes_ = 0;    // key changes ever made (dirty counter)
  bool replaying_ = false;  // loading the log: effects are not recorded again
  uint64_t next_client_id_ = 1;
  bool shutting_down_ = false;
  bool shutdown_signal_failed_ = false;  // a SIGINT/SIGTERM could not save: a SIGINT insists
  int exit_code_ = 0;
};

}  // namespace runnel::server
