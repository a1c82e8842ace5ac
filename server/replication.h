// Replication: this server's place in a Redis-style replication tree — the history it holds
// (replication/history.h), the backlog of its stream, the replicas it feeds, and its own link
// to a master when it is a replica (master_link.h). docs/replication.md has the promises.
//
// The stream (replication/feed.h) is the log's records, not commands: a master feeds every
// record the dispatcher makes (FeedRecord) into the backlog and to its replicas, and a replica
// applies them with the master's time, logs them as its own, and passes the very bytes on to
// replicas of its own, so offsets agree all down a chain.
//
// A replica joins with PSYNC. When its ID and offset name bytes the backlog still holds, it
// gets +CONTINUE and those bytes. Otherwise it gets +FULLRESYNC <replid> <offset> when a
// background save forks (the offset is the stream's at the fork), then the snapshot that save
// wrote — streamed from the file a slice at a time, so a large one never sits in memory — and
// then the stream from the fork on, held for it meanwhile. Its states, as INFO shows them:
// wait_bgsave, send_bulk, online.
//
// A master's records are made only while someone takes them: the log, or a backlog, which
// the first replica creates and which then stays (Redis frees it after repl-backlog-ttl).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "dispatch/client.h"
#include "dispatch/host.h"
#include "replication/backlog.h"
#include "replication/history.h"
#include "server/master_link.h"

namespace runnel::server {

class Server;

class Replication {
 public:
  explicit Replication(Server& server);
  ~Replication();
  Replication(const Replication&) = delete;
  Replication& operator=(const Replication&) = delete;

  // At start, once the data is loaded and before the log opens: with `replicaof` set, the
  // server is a replica from now on, and resumes the position (and the master's block limits)
  // its last clean shutdown left (SaveState), if any.
  void Prepare();
  // Then connects to the master.
  void Start();
  // A clean shutdown of a replica whose data is durable (`durable`: the log is on, or a save
  // just succeeded): writes its history ID and offset (kStateFile), so after a restart it asks
  // its master to continue rather than send everything. Start reads the file and removes it, so
  // a crash after that start never reuses a position the data no longer matches.
  void SaveState(bool durable);

  // ---- the stream ----
  // Whether records must be made for replication: a master with a backlog.
  bool feeding() const { return backlog_ != nullptr && !link_; }
  // A record the dispatcher made, on a master: into the backlog and to every replica.
  void FeedRecord(int db, int64_t time_ms, std::string_view payload);
  // A PUBLISH on a master: its subscribers on replicas receive it too.
  void FeedPublish(std::string_view channel, std::string_view message);
  // Bytes a replica received from its master and applied: passed on unchanged.
  void FeedRaw(std::string_view bytes);
  uint64_t offset() const;
  // Non-empty while writes are refused: -READONLY, -NOREPLICAS.
  std::string_view WriteRefusal() const;
  // -MASTERDOWN while the link is down and replica-serve-stale-data is no.
  std::string_view StaleRefusal() const;

  // ---- commands ----
  std::string ReplicaOf(const dispatch::ReplicaOfRequest& request);
  std::string Psync(dispatch::Client& client, std::string_view replid, std::string_view offset);
  void ReplicaAcked(dispatch::Client& client, uint64_t offset, std::optional<uint64_t> synced);
  size_t ReplicasSynced(uint64_t offset) const;
  // Re-runs the clients blocked in WAIT or WAITAOF (an acknowledgement came, the log synced).
  void WakeWaiters();
  void AckToMaster();
  size_t ReplicasAcked(uint64_t offset) const;
  void AwaitAcks(uint64_t client_id);
  dispatch::ReplicationState State() const;

  // ---- from the server ----
  void Cron();
  // Before each poll: more of each snapshot being sent, and the GETACK WAIT asked for.
  void BeforePoll();
  void OnSnapshotForked();
  void OnSnapshotFinished(bool ok);
  void OnClientClosed(uint64_t id);
  // Shutdown: the link to the master is closed.
  void Stop();

  // ---- from the master link ----
  // A full sync loaded the master's snapshot: this server now holds the history `replid` up
  // to `offset`, and its own replicas must sync again.
  void AdoptMasterHistory(const std::string& replid, uint64_t offset);
  // +CONTINUE named another ID: the master was promoted; ours becomes the previous one.
  void FollowNewMasterId(const std::string& replid);
  // The ID and next offset to PSYNC with ("?" when nothing is held yet).
  std::pair<std::string, int64_t> PsyncPosition() const;
  // The link, if its current connection attempt is `attempt` (callbacks that may outlive it).
  MasterLink* LinkFor(uint64_t attempt) {
    return link_ != nullptr && link_->attempt() == attempt ? link_.get() : nullptr;
  }

 private:
  struct Replica {
    uint64_t client_id = 0;
    enum class State { kWaitSave, kSendBulk, kOnline } state = State::kWaitSave;
    bool attached = false;  // sent +FULLRESYNC at a save's fork: that save's file is its snapshot
    std::string held;       // the stream since that fork, until the snapshot is sent
    int file = -1;          // the snapshot being sent
    uint64_t file_left = 0;
    uint64_t ack_offset = 0;
    uint64_t synced_offset = 0;  // its FACK: what its own log has on disk
    uint64_t last_ack_ms = 0;  // monotonic
  };

  Replica* Find(uint64_t client_id);
  // Sends the stream's bytes to every replica (held while it waits for its snapshot).
  void Send(std::string_view bytes);
  void EnsureBacklog();
  // Asks for a background save for the replicas waiting for a snapshot.
  void RequestSave();
  // More of each snapshot being sent, as far as its socket takes it (PumpSnapshot).
  void PumpSnapshots();
  void PumpSnapshot(uint64_t client_id);
  void DropReplica(uint64_t client_id, std::string_view why);
  void DisconnectReplicas();
  size_t GoodReplicas() const;
  void BecomeMaster();

  Server& server_;
  replication::History history_;
  std::unique_ptr<replication::Backlog> backlog_;
  std::vector<Replica> replicas_;  // in the order they joined
  std::set<uint64_t> waiting_;     // clients blocked in WAIT
  bool getack_wanted_ = false;     // a WAIT blocked in this loop iteration
  bool save_requested_ = false;    // a save was asked for replicas waiting for one
  uint64_t last_ping_ms_ = 0;      // monotonic
  uint64_t sync_full_ = 0, sync_partial_ok_ = 0, sync_partial_err_ = 0;  // INFO stats
  std::unique_ptr<MasterLink> link_;  // set while this server is a replica
};

}  // namespace runnel::server
