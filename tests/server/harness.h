// Harness: an in-process Runnel — the dispatcher, the whole command table and a keyspace, with
// no sockets, no libuv and no files. Tests run commands as a client would and read parsed
// replies:
//
//   Harness h;
//   CHECK(h.Run({"XADD", "s", "1-1", "f", "v"}).str == "1-1");
//
// The clock is the test's: NowMs() is `now_ms`, which only Advance() moves, and the monotonic
// clock moves with it, so blocking timeouts and TTLs are exact and instant. Every log record
// the dispatcher makes is kept (`records`); Replay() applies them to a fresh keyspace through
// the effects catalogue, as the loader does at start-up, and Dump() renders a keyspace as
// clients see it, so "replay equals live" is one comparison.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "dispatch/dispatcher.h"
#include "dispatch/errors.h"
#include "dispatch/host.h"
#include "resp/reply_parser.h"

namespace runnel::testing {

class Harness : public dispatch::Host, public dispatch::AdminHost {
 public:
  // A client whose replies stay in memory until the test takes them.
  class TestClient : public dispatch::Client {
   public:
    TestClient(uint64_t id, Harness* harness) : dispatch::Client(id), harness_(harness) {}
    // Replies written since the last call, parsed one by one.
    std::vector<resp::Reply> TakeReplies();
    bool has_output() const { return !out_.empty(); }
    void ScheduleFlush() override {}
    // As a connection: commands sent while the client waits (blocked, or held by CLIENT PAUSE)
    // stay in `held` and run, in order, once it no longer waits: right away when the
    // dispatcher asks (RunPendingInput), or after the current step (ScheduleResume).
    void ScheduleResume() override {
      resumed = true;
      resume_scheduled = true;
    }
    void RunPendingInput() override {
      resumed = true;
      harness_->RunHeld(*this);
    }
    void CloseAfterReply() override { closed = true; }
    void Close() override { closed = true; }
    std::string Describe() const override { return "id=" + std::to_string(id()); }
    std::string_view addr() const override { return "127.0.0.1:1"; }
    std::string_view laddr() const override { return "127.0.0.1:6379"; }
    int64_t age_seconds() const override { return 0; }
    bool resumed = false;
    bool closed = false;
    bool resume_scheduled = false;
    std::deque<std::vector<std::string>> held;  // sent while waiting, not yet run

   private:
    Harness* harness_;
  };

  struct Record {
    int db;
    int64_t time_ms;
    std::string payload;
  };

  explicit Harness(config::Config config = {});
  ~Harness() override;

  // Runs one command as client `client` (created on first use) and returns its one reply (a
  // command that blocks has none: use Send and Take).
  resp::Reply Run(const std::vector<std::string>& args, int client = 0);
  // Sends a command without waiting for a reply (a blocking read); Take() collects it later.
  // To a client that waits, it is held until the client no longer does, as the server holds a
  // connection's input.
  void Send(const std::vector<std::string>& args, int client = 0);
  // Runs the commands held for `c` while it does not wait.
  void RunHeld(TestClient& c);
  // Runs the held commands of the clients the dispatcher asked to resume.
  void RunScheduledResumes();
  // The replies client `client` got since its last Run or Take.
  std::vector<resp::Reply> Take(int client = 0);
  TestClient& client(int index);
  void Disconnect(int client);

  // Moves both clocks; fires the cron every 100 ms and blocked clients' deadlines on the way.
  void Advance(int64_t ms);
  int64_t now_ms = 1'700'000'000'000;

  dispatch::Dispatcher& dispatcher() { return *dispatcher_; }
  std::vector<Record> records;
  // The effect names of every record since `from`, in order ("XADD", "XGROUP SETID" ...).
  std::vector<std::string> EffectNames(size_t from = 0) const;

  // A fresh keyspace built by applying every record kept so far; false with *error if one
  // does not apply.
  std::unique_ptr<streams::Keyspace> Replay(std::string* error) const;
  // Every key of every database as clients see it: type, absolute expiry, value (for a stream,
  // XINFO STREAM FULL and XINFO GROUPS).
  std::string Dump();
  // Dump() of the keyspace Replay() builds, rendered by a second harness.
  std::string DumpReplayed();

  // ---- dispatch::Host ----
  int64_t NowMs() const override { return now_ms; }
  uint64_t MonotonicUs() const override { return static_cast<uint64_t>(now_ms) * 1000; }
  dispatch::Client* FindClient(uint64_t id) override;
  bool loading() const override { return false; }
  std::string_view WriteRefusal() const override { return {}; }
  bool OverMemoryLimit() const override { return over_memory_limit; }
  bool effects_wanted() const override { return log_on; }
  void AppendRecord(int db, int64_t time_ms, std::string_view payload) override;
  void Warn(std::string_view message) override { warnings.emplace_back(message); }
  dispatch::AdminHost& admin() override { return *this; }
  bool log_on = true;
  bool over_memory_limit = false;  // what OverMemoryLimit answers: set to act as if above maxmemory
  std::vector<std::string> warnings;  // what the server would have logged as warnings

  // ---- dispatch::AdminHost ----
  const config::Config& config() const override { return config_; }
  bool SetConfig(config::Config updated, dispatch::ConfigApplyError* error) override;
  bool RewriteConfig(std::string* error) override {
    *error = dispatch::errors::kNoConfigFile;
    return false;
  }
  std::string Info(const std::vector<std::string>&) override { return "# Harness\r\n"; }
  void ResetStats() override {}
  bool Shutdown(std::string_view, SaveMode, bool, std::string* error) override;
  bool Save(std::string* error) override;
  std::pair<bool, std::string> BackgroundSave(bool, bool) override;
  std::pair<bool, std::string> BackgroundRewrite(bool) override;
  int64_t LastSaveMs() const override { return 0; }
  // A master that has no replicas and follows no one: the harness has no network.
  dispatch::ReplicationState Replication() const override {
    dispatch::ReplicationState state;
    state.replid = std::string(40, 'a');
    return state;
  }
  std::string ReplicaOf(const dispatch::ReplicaOfRequest&) override { return "OK"; }
  std::string Psync(dispatch::Client&, std::string_view, std::string_view) override {
    return "ERR the in-process harness has no replication";
  }
  void ReplicaAcked(dispatch::Client&, uint64_t, std::optional<uint64_t>) override {}
  void AckToMaster() override {}
  size_t ReplicasAcked(uint64_t) const override { return 0; }
  size_t ReplicasSynced(uint64_t) const override { return 0; }
  uint64_t LogSyncedOffset() const override { return 0; }
  void AwaitAcks(uint64_t) override {}
  bool Reload(bool from_log, bool nosave, std::string* error) override;
  dispatch::MemoryFigures Memory() override { return {}; }
  std::string AllocatorReport() override { return "Stats not supported for the current allocator"; }
  void ReleaseFreeHeap() override {}
  // The ACL file, kept in memory (acl_file_text); config aclfile must still be set.
  bool ReadAclFile(std::string* text, std::string*) override {
    *text = acl_file_text;
    return true;
  }
  bool WriteAclFile(std::string_view text, std::string*) override {
    acl_file_text = std::string(text);
    return true;
  }
  std::string acl_file_text;
  std::vector<dispatch::Client*> Clients() override;

 private:
  dispatch::Limits LimitsFromConfig() const;
  void FireDue();

  config::Config config_;
  std::unique_ptr<dispatch::Dispatcher> dispatcher_;
  std::map<int, std::unique_ptr<TestClient>> clients_;
  int64_t last_cron_ms_;
};

}  // namespace runnel::testing
