// Server: the libuv shell around the dispatcher — the event loop and everything that lives for
// the whole process.
//
// Owns the loop and its handles (listeners, signals, timers, the before-poll hook), the
// connections (by id), the configuration, the log files and snapshots (Durability), start-up
// loading (Loader) and the Dispatcher, which owns the keyspace and runs every command. The
// Server is the dispatcher's Host (clock, clients, the log) and the administration commands'
// AdminHost (CONFIG, INFO, SAVE, SHUTDOWN, CLIENT LIST).
//
// One loop iteration, as libuv runs it:
//   timers (cron, blocked-client deadlines) -> before-poll hook -> poll (reads: parse + execute)
// and the before-poll hook does, in order: resume clients that were unblocked (their pipelined
// commands), write this iteration's log records (and fsync them under appendfsync always), then
// send replies. Replies are never written from inside a command, and none leaves before the
// records of the commands it answers.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "dispatch/dispatcher.h"
#include "dispatch/host.h"
#include "server/buffer_peaks.h"
#include "server/durability.h"
#include "server/http_endpoint.h"
#include "server/listeners.h"
#include "server/loader.h"
#include "server/logger.h"
#include "server/metrics.h"
#include "server/replication.h"
#include "server/status_history.h"
#include "server/tls.h"
#include "server/uv_handle.h"

namespace runnel::server {

class Connection;

struct ServerStats {
  int64_t start_ms = 0;          // wall clock at start
  uint64_t start_monotonic = 0;  // loop time at start
  uint64_t connections_received = 0;
  uint64_t rejected_connections = 0;
  // Bytes read from and written to clients, counted as they move: the cron samples these every
  // 100 ms, and summing every connection's own counters instead was the server's hottest code
  // in a profile with 10,000 connections.
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
  uint64_t startup_allocated = 0;  // allocator bytes once the server was set up
  uint64_t peak_allocated = 0;     // the most seen by the cron (or by MEMORY STATS)
  uint64_t evicted_clients = 0;    // closed by maxmemory-clients
};

// A rate sampled by the cron (INFO's instantaneous_* fields): the mean of the last kSamples
// per-second rates, each from the growth of a total since the previous sample, as Redis
// computes them.
class InstantRate {
 public:
  static constexpr size_t kSamples = 16;
  void Sample(uint64_t total, uint64_t now_ms);
  double PerSecond() const;

 private:
  uint64_t last_total_ = 0, last_ms_ = 0;
  double samples_[kSamples] = {};
  size_t next_ = 0;
};

class Server : public dispatch::Host, public dispatch::AdminHost {
 public:
  Server(config::Config config, std::string config_file);
  ~Server() override;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Listens and runs until shutdown. Returns the process exit code.
  int Run();

  uv_loop_t* loop() { return &loop_; }
  Logger& log() { return log_; }
  dispatch::Dispatcher& dispatcher() { return *dispatcher_; }
  streams::Keyspace& keyspace() { return dispatcher_->keyspace(); }
  Durability& durability() { return *durability_; }
  const Loader* loader() const { return loader_.get(); }
  ServerStats& stats() { return stats_; }
  BufferPeaks& buffer_peaks() { return buffer_peaks_; }
  // INFO's instantaneous_ops_per_sec, _input_kbps and _output_kbps (bytes per second).
  const InstantRate& ops_rate() const { return ops_rate_; }
  const InstantRate& input_rate() const { return input_rate_; }
  const InstantRate& output_rate() const { return output_rate_; }
  // Bytes read from and written to clients, closed connections included.
  uint64_t NetInputBytes() const;
  uint64_t NetOutputBytes() const;
  uint64_t MonotonicMs() const { return uv_now(const_cast<uv_loop_t*>(&loop_)); }
  const std::string& config_file() const { return config_file_; }
  const std::string& executable() const { return executable_; }
  // This process's identity for Sentinel (INFO run_id), new at every start.
  const std::string& run_id() const { return run_id_; }
  void set_executable(std::string path) { executable_ = std::move(path); }
  int tcp_port() const { return static_cast<int>(config_.port); }
  const std::unordered_map<uint64_t, Connection*>& connections() const { return connections_; }

  // Connection callbacks.
  void OnConnectionClosing(Connection& conn);
  void RequestFlush(Connection& conn);
  void RequestResume(Connection& conn);
  char* read_buffer() { return read_buffer_.data(); }
  size_t read_buffer_size() const { return read_buffer_.size(); }

  // ---- dispatch::Host ----
  int64_t NowMs() const override;
  uint64_t MonotonicUs() const override;
  dispatch::Client* FindClient(uint64_t id) override;
  bool loading() const override { return loader_ != nullptr; }
  std::string_view WriteRefusal() const override { return durability_->WriteRefusal(); }
  bool OverMemoryLimit() const override;
  // Memory maxmemory does not count (INFO mem_not_counted_for_evict): unwritten log records.
  uint64_t MemoryNotCountedForLimit() const;
  // The clients' query and reply buffers (INFO mem_clients_normal, MEMORY STATS).
  uint64_t ClientBufferBytes() const;
  bool effects_wanted() const override {
    return durability_->log_enabled() || replication_->feeding();
  }
  void AppendRecord(int db, int64_t time_ms, std::string_view payload) override;
  std::string_view ReplicationRefusal() const override { return replication_->WriteRefusal(); }
  std::string_view StaleRefusal() const override { return replication_->StaleRefusal(); }
  uint64_t ReplicationOffset() const override { return replication_->offset(); }
  void PropagatePublish(std::string_view channel, std::string_view message) override {
    replication_->FeedPublish(channel, message);
  }
  void Warn(std::string_view message) override { log_.Warning(message); }
  dispatch::AdminHost& admin() override { return *this; }

  // ---- dispatch::AdminHost ----
  const config::Config& config() const override { return config_; }
  bool SetConfig(config::Config updated, dispatch::ConfigApplyError* error) override;
  bool RewriteConfig(std::string* error) override;
  std::string Info(const std::vector<std::string>& sections) override;
  void ResetStats() override;
  bool Shutdown(std::string_view reason, SaveMode mode = SaveMode::kDefault, bool force = false,
                std::string* error = nullptr) override;
  bool Save(std::string* error) override { return durability_->Save(error); }
  std::pair<bool, std::string> BackgroundSave(bool schedule, bool in_exec) override {
    return durability_->BackgroundSave(schedule, in_exec);
  }
  std::pair<bool, std::string> BackgroundRewrite(bool in_exec) override {
    return durability_->BackgroundRewrite(in_exec);
  }
  int64_t LastSaveMs() const override { return durability_->last_save_ms(); }
  dispatch::ReplicationState Replication() const override { return replication_->State(); }
  std::string ReplicaOf(const dispatch::ReplicaOfRequest& request) override {
    return replication_->ReplicaOf(request);
  }
  std::string Psync(dispatch::Client& client, std::string_view replid,
                    std::string_view offset) override {
    return replication_->Psync(client, replid, offset);
  }
  void ReplicaAcked(dispatch::Client& client, uint64_t offset,
                    std::optional<uint64_t> synced) override {
    replication_->ReplicaAcked(client, offset, synced);
  }
  size_t ReplicasSynced(uint64_t offset) const override {
    return replication_->ReplicasSynced(offset);
  }
  uint64_t LogSyncedOffset() const override { return durability_->synced_offset(); }
  void AckToMaster() override { replication_->AckToMaster(); }
  size_t ReplicasAcked(uint64_t offset) const override {
    return replication_->ReplicasAcked(offset);
  }
  void AwaitAcks(uint64_t client_id) override { replication_->AwaitAcks(client_id); }
  bool Reload(bool from_log, bool nosave, std::string* error) override;
  bool ReadAclFile(std::string* text, std::string* error) override;
  bool WriteAclFile(std::string_view text, std::string* error) override;
  std::vector<dispatch::Client*> Clients() override;
  dispatch::MemoryFigures Memory() override;
  std::string AllocatorReport() override;
  void ReleaseFreeHeap() override;

  // ---- replication (server/replication.h) ----
  Connection* FindConnection(uint64_t id);
  // REPLICAOF changed what this server follows: the replicaof setting (CONFIG GET, REWRITE).
  void SetReplicaOfSetting(std::string value) { config_.replicaof = std::move(value); }
  // A full sync's snapshot, loaded in place of the data (as DEBUG RELOAD loads), which the log
  // then takes as its base. false with *error, the data unchanged, when it does not load.
  bool LoadReplicaSnapshot(const std::string& path, std::string* error);
  // The same for the RDB file a Redis master sent (rdb/): strings and streams replace the
  // data, keys of other types are counted in *skipped, and *stream_db is the database the
  // master's stream continues in (its repl-stream-db).
  bool LoadRedisSnapshot(const std::string& path, uint64_t* skipped, int* stream_db,
                         std::string* error);
  // An id for a client that is no connection (a replica's MasterClient).
  uint64_t NewClientId() { return next_client_id_++; }
  // Durability's background saves, which full syncs send.
  void OnSnapshotForked() { replication_->OnSnapshotForked(); }
  void OnSnapshotFinished(bool ok) { replication_->OnSnapshotFinished(ok); }
  // The log reached the disk further (Durability::synced_offset): WAITAOF may be answered.
  void OnLogSynced() { replication_->WakeWaiters(); }

  // client-output-buffer-limit, parsed (server/connection.cc applies it).
  // A client's output went above its class's soft limit: the cron watches it from now on.
  void NoteOverSoftLimit(uint64_t id) { over_soft_limit_.insert(id); }
  const config::OutputLimit& output_limit(config::ClientClass c) const {
    return output_limits_[static_cast<size_t>(c)];
  }

 private:
  // The settings data commands follow, from the configuration.
  dispatch::Limits LimitsFromConfig() const;
  // Applies what a configuration change means at run time (log level, limits, persistence).
  void ApplyConfig();
  void ApplyAclConfig();
  bool LoadAclFileAtStart();
  void ApplyLogLevel();
  void OnShutdownSignal(int signum);
  void RaiseOpenFileLimit();
  bool Listen();
  // Opens the metrics port (metrics-port, metrics-bind); false when it cannot listen.
  bool ListenMetrics();
  // What the metrics port answers for a path: /metrics, the status page (/) and its data
  // (/status.json); 404 otherwise.
  void ServeMetricsPort(std::string_view path, HttpEndpoint::Responder respond);
  // Queues work done in slices: a response built over several loop iterations, or a history
  // sample. RunScrapes runs one slice of each per iteration, then `finish` once step is done.
  void StartScrape(std::function<bool(uint64_t budget_us)> step, std::function<void()> finish);
  void RunScrapes();
  // CONFIG SET of tls-* keys, port, tls-port or bind: the TLS context and listeners `updated`
  // asks for, or false with nothing changed.
  bool ApplyListeningChanges(const config::Config& updated, dispatch::ConfigApplyError* error);
  static void OnConnection(uv_stream_t* listener, int status);
  static void OnTlsConnection(uv_stream_t* listener, int status);
  void AcceptConnection(uv_stream_t* listener, bool tls);
  void Refuse(Connection& conn);
  // maxmemory-clients: closes the clients holding the most memory until the rest fit.
  void EvictClients();
  // tls-port: builds the TLS context; false (logged) when the settings do not load.
  bool ConfigureTls();
  void BeforePoll();
  void Cron();
  void StartLoading();
  void LoadStep();
  void FinishLoading();
  void ArmBlockTimer();
  void CloseIdleClients();
  // Closes the clients that stayed above a soft output limit too long, even if nothing more
  // is sent to them (as redis-server's clientsCron does).
  void CheckSoftOutputLimits();

  config::Config config_;
  // The requirepass last given to the default user: CONFIG SET requirepass changes that user's
  // password, any other CONFIG SET leaves what ACL SETUSER gave it.
  std::optional<std::string> applied_requirepass_;
  config::OutputLimits output_limits_;
  config::ClientMemoryLimit client_memory_limit_;  // maxmemory-clients, parsed
  std::string config_file_;
  std::string executable_;
  std::string run_id_;
  Logger log_;
  uv_loop_t loop_{};
  Listeners plain_listeners_{&loop_, &log_, OnConnection, this, ""};
  Listeners tls_listeners_{&loop_, &log_, OnTlsConnection, this, " (TLS)"};
  // The TLS settings in effect (tls-port set): new TLS connections use it; CONFIG SET of a tls-*
  // key replaces it, and connections made with the old one keep it until they close.
  std::unique_ptr<TlsContext> tls_context_;
  InstantRate ops_rate_, input_rate_, output_rate_;
  std::unique_ptr<HttpEndpoint> metrics_;  // the metrics port, when metrics-port is set
  // The status page's history (server/status_history.h), sampled by the cron while the
  // metrics port is open.
  std::unique_ptr<StatusHistory> status_history_;
  // Work done in slices, one per loop iteration while any is (RunScrapes): a metrics scrape, a
  // /status.json, a history sample.
  struct PendingScrape {
    std::function<bool(uint64_t budget_us)> step;  // true once complete
    std::function<void()> finish;                  // then called once (sends the response)
  };
  std::vector<PendingScrape> scrapes_;
  UvHandle<uv_idle_t> scrape_idle_;
  UvHandle<uv_signal_t> sigint_, sigterm_;
  UvHandle<uv_prepare_t> before_poll_;
  UvHandle<uv_timer_t> cron_timer_, block_timer_;
  UvHandle<uv_idle_t> load_idle_;  // runs the loader while loading
  std::unique_ptr<dispatch::Dispatcher> dispatcher_;
  std::unique_ptr<Durability> durability_;
  std::unique_ptr<runnel::server::Replication> replication_;  // the type: Replication() is a method
  std::unique_ptr<Loader> loader_;
  int64_t load_started_ms_ = 0;
  int64_t last_load_log_ms_ = 0;
  ServerStats stats_;
  BufferPeaks buffer_peaks_;
  std::unordered_map<uint64_t, Connection*> connections_;
  std::set<uint64_t> over_soft_limit_;  // ids of clients above a soft output limit (or gone)
  std::vector<uint64_t> to_flush_;
  std::vector<uint64_t> to_resume_;
  std::vector<char> read_buffer_;
  uint64_t next_client_id_ = 1;
  bool shutting_down_ = false;
  bool shutdown_signal_failed_ = false;  // a SIGINT/SIGTERM could not save: a SIGINT insists
  int exit_code_ = 0;
};

}  // namespace runnel::server
