#include "server/replication.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "dispatch/args.h"
#include "dispatch/errors.h"
#include "effects/writer.h"
#include "persistence/file_io.h"
#include "replication/feed.h"
#include "server/connection.h"
#include "server/server.h"
#include "streams/numbers.h"

namespace runnel::server {

namespace errors = dispatch::errors;

namespace {

constexpr size_t kSnapshotChunk = 256 * 1024;
// A replica being sent a snapshot gets more only while this much or less waits for its socket.
constexpr size_t kSnapshotQueued = 1024 * 1024;
constexpr std::string_view kKeepalive = "\n";  // to replicas waiting for a snapshot
// Where a replica's clean shutdown leaves its position (in the data directory, the working
// directory): "<replid> <offset> <node-max-bytes> <node-max-entries>".
constexpr const char* kStateFile = "replication.state";

std::string PeerIp(std::string_view addr) {
  const size_t colon = addr.rfind(':');
  return std::string(colon == std::string_view::npos ? addr : addr.substr(0, colon));
}

}  // namespace

Replication::Replication(Server& server) : server_(server) {}

Replication::~Replication() {
  for (Replica& r : replicas_) {
    if (r.file >= 0) close(r.file);
  }
}

void Replication::Prepare() {
  // The position the last shutdown left, read once and removed (SaveState).
  std::string text, error;
  const bool saved = persistence::ReadWholeFile(kStateFile, &text, &error);
  if (saved) unlink(kStateFile);
  if (!config::ParseReplicaOf(server_.config().replicaof)) return;
  server_.dispatcher().set_replica(true);
  std::istringstream fields(text);
  std::string replid;
  uint64_t offset = 0;
  streams::StreamLimits limits;
  if (!saved || !(fields >> replid >> offset >> limits.node_max_bytes >> limits.node_max_entries) ||
      replid.size() != 40) {
    return;  // nothing to continue from: a full sync
  }
  history_.replid = replid;
  history_.ClearSecond();
  backlog_ = std::make_unique<replication::Backlog>(
      static_cast<size_t>(server_.config().repl_backlog_size), offset);
  server_.dispatcher().SetReplicatedLimits(limits);
  server_.log().Notice("Asking the master to continue from offset " + std::to_string(offset + 1) +
                       " of " + replid);
}

void Replication::Start() {
  if (auto master = config::ParseReplicaOf(server_.config().replicaof)) {
    link_ = std::make_unique<MasterLink>(server_, *this, master->first, master->second);
  }
}

void Replication::SaveState(bool durable) {
  // Following a redis-server, a restart syncs in full: the database its stream continues in,
  // and a transaction it had begun, live only in the link's master client.
  if (!link_ || !backlog_ || !durable || link_->redis_master()) return;
  std::string error;
  // The master's block limits too: the records after the offset are laid out by them.
  const streams::StreamLimits limits = server_.dispatcher().RecordLimits();
  const std::string text = history_.replid + " " + std::to_string(offset()) + " " +
                           std::to_string(limits.node_max_bytes) + " " +
                           std::to_string(limits.node_max_entries) + "\n";
  if (!persistence::WriteFileDurably(".", kStateFile, text, &error)) {
    server_.log().Warning("Could not keep the replication position for a restart: " + error);
  }
}

void Replication::Stop() { link_.reset(); }

Replication::Replica* Replication::Find(uint64_t client_id) {
  for (Replica& r : replicas_) {
    if (r.client_id == client_id) return &r;
  }
  return nullptr;
}

// ---- the stream ----

void Replication::FeedRecord(int db, int64_t time_ms, std::string_view payload) {
  if (!feeding()) return;
  std::string bytes;
  replication::AppendRecord(&bytes, db, time_ms, payload);
  Send(bytes);
}

void Replication::FeedPublish(std::string_view channel, std::string_view message) {
  if (!feeding()) return;
  std::string bytes;
  replication::AppendPublish(&bytes, channel, message);
  Send(bytes);
}

void Replication::FeedRaw(std::string_view bytes) {
  if (backlog_ == nullptr) return;  // cannot happen: a replica streams only after a sync
  Send(bytes);
}

void Replication::Send(std::string_view bytes) {
  backlog_->Append(bytes);
  for (Replica& r : replicas_) {
    if (r.state == Replica::State::kOnline) {
      if (dispatch::Client* c = server_.FindClient(r.client_id)) {
        c->reply().Raw(bytes);
        c->ScheduleFlush();
      }
    } else if (r.attached) {
      r.held.append(bytes);  // after its snapshot
    }
  }
}

uint64_t Replication::offset() const { return backlog_ ? backlog_->end_offset() : 0; }

std::string_view Replication::WriteRefusal() const {
  const config::Config& c = server_.config();
  if (link_) return c.replica_read_only ? errors::kReadOnlyReplica : std::string_view();
  if (c.min_replicas_to_write > 0 && c.min_replicas_max_lag > 0 &&
      GoodReplicas() < static_cast<size_t>(c.min_replicas_to_write)) {
    return errors::kNoReplicas;
  }
  return {};
}

std::string_view Replication::StaleRefusal() const {
  const bool stale = link_ && !link_->up() && !server_.config().replica_serve_stale_data;
  return stale ? errors::kMasterDown : std::string_view();
}

size_t Replication::GoodReplicas() const {
  const uint64_t now = server_.MonotonicMs();
  const uint64_t max_lag_ms = static_cast<uint64_t>(server_.config().min_replicas_max_lag) * 1000;
  size_t good = 0;
  for (const Replica& r : replicas_) {
    good += r.state == Replica::State::kOnline && now - r.last_ack_ms <= max_lag_ms;
  }
  return good;
}

void Replication::EnsureBacklog() {
  if (backlog_) return;
  // The first replica starts a history of its own, as redis-server starts one.
  history_ = replication::History();
  backlog_ = std::make_unique<replication::Backlog>(
      static_cast<size_t>(server_.config().repl_backlog_size), 0);
}

// ---- commands ----

std::string Replication::ReplicaOf(const dispatch::ReplicaOfRequest& request) {
  if (request.none) {
    if (link_) {
      BecomeMaster();
      server_.log().Notice("MASTER MODE enabled (user request)");
    }
    return "OK";
  }
  if (link_ && link_->host() == request.host && link_->port() == request.port) {
    return "OK Already connected to specified master";
  }
  if (!link_) server_.dispatcher().UnblockWriters(errors::kUnblockedByRoleChange);
  // Replicas of this server follow whatever it follows next: they sync again.
  DisconnectReplicas();
  // From a redis-server, even one that shares its history with the next master: the database
  // its stream was in lives only in the old link, so the next sync is a full one.
  const bool followed_redis = link_ && link_->redis_master();
  link_ = std::make_unique<MasterLink>(server_, *this, request.host, request.port);
  if (followed_redis) link_->RequireFullSync();
  server_.dispatcher().set_replica(true);
  server_.SetReplicaOfSetting(request.host + " " + std::to_string(request.port));
  server_.log().Notice("REPLICAOF " + request.host + ":" + std::to_string(request.port) +
                       " enabled (user request)");
  return "OK";
}

void Replication::BecomeMaster() {
  link_.reset();
  server_.dispatcher().set_replica(false);
  // The master's history continues here under a new ID; a replica of the old master that
  // holds no more than this server did continues too (PSYNC with the old ID).
  if (backlog_) {
    history_.Shift(backlog_->end_offset());
  } else {
    history_ = replication::History();
  }
  DisconnectReplicas();
  server_.SetReplicaOfSetting("");
}

std::string Replication::Psync(dispatch::Client& client, std::string_view replid,
                               std::string_view offset_text) {
  if (link_ && !link_->up()) return std::string(errors::kSyncWithoutMasterLink);
  // A redis-server's stream goes on in a database, and maybe inside a transaction, that only
  // this server's master client knows: a snapshot of the data cannot hand that on.
  if (link_ && link_->redis_master()) return std::string(errors::kReplicasOfRedisFollower);
  if (Connection* conn = server_.FindConnection(client.id());
      conn != nullptr && conn->output_bytes() > 0) {
    return std::string(errors::kSyncPendingOutput);
  }
  auto offset = streams::ParseStrictInt64(offset_text);
  if (!offset) return std::string(errors::kNotInteger);
  client.replica = true;
  Replica replica;
  replica.client_id = client.id();
  replica.last_ack_ms = server_.MonotonicMs();
  const std::string who =
      PeerIp(client.addr()) + ":" + std::to_string(client.replica_hello.listening_port);
  if (backlog_ && *offset >= 0 &&
      history_.MayContinue(replid, static_cast<uint64_t>(*offset), *backlog_)) {
    const std::string bytes = backlog_->CopyFrom(static_cast<uint64_t>(*offset));
    client.reply().Raw(client.replica_hello.capa_psync2 ? "+CONTINUE " + history_.replid + "\r\n"
                                                        : std::string("+CONTINUE\r\n"));
    client.reply().Raw(bytes);
    replica.state = Replica::State::kOnline;
    replicas_.push_back(std::move(replica));
    ++sync_partial_ok_;
    server_.log().Notice("Partial resynchronization request from " + who + " accepted. Sending " +
                         std::to_string(bytes.size()) + " bytes of backlog starting from offset " +
                         std::to_string(*offset) + ".");
    return "";
  }
  server_.log().Notice("Replica " + who + " asks for synchronization; full resync");
  ++sync_full_;
  if (replid != "?") ++sync_partial_err_;  // it asked to continue, and could not
  EnsureBacklog();
  replicas_.push_back(std::move(replica));
  RequestSave();
  return "";
}

void Replication::ReplicaAcked(dispatch::Client& client, uint64_t offset,
                               std::optional<uint64_t> synced) {
  Replica* r = Find(client.id());
  if (r == nullptr) return;
  r->ack_offset = std::max(r->ack_offset, offset);
  if (synced) r->synced_offset = std::max(r->synced_offset, *synced);
  r->last_ack_ms = server_.MonotonicMs();
  WakeWaiters();
}

void Replication::WakeWaiters() {
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    dispatch::Client* c = server_.FindClient(*it);
    // Gone, or answered since (and perhaps blocked in something else now).
    const bool waits = c != nullptr && c->blocked && !c->blocked->request.rerun.empty() &&
                       (dispatch::IEquals(c->blocked->request.rerun[0], "WAIT") ||
                        dispatch::IEquals(c->blocked->request.rerun[0], "WAITAOF"));
    if (!waits) {
      it = waiting_.erase(it);
      continue;
    }
    server_.dispatcher().WakeSoon(*it);
    ++it;
  }
}

void Replication::AckToMaster() {
  if (link_ && link_->up()) link_->SendAck();
}

size_t Replication::ReplicasAcked(uint64_t offset) const {
  size_t n = 0;
  for (const Replica& r : replicas_) {
    n += r.state == Replica::State::kOnline && r.ack_offset >= offset;
  }
  return n;
}

size_t Replication::ReplicasSynced(uint64_t offset) const {
  size_t n = 0;
  for (const Replica& r : replicas_) {
    n += r.state == Replica::State::kOnline && r.synced_offset >= offset;
  }
  return n;
}

void Replication::AwaitAcks(uint64_t client_id) {
  waiting_.insert(client_id);
  getack_wanted_ = true;
}

// ---- full syncs ----

void Replication::RequestSave() {
  if (save_requested_) return;
  // Set first: a save that forks at once attaches the replicas (OnSnapshotForked) and clears it;
  // one scheduled behind a log rewrite leaves it set until it forks.
  save_requested_ = true;
  auto [started, text] = server_.durability().BackgroundSave(/*schedule=*/true);
  if (started) return;
  save_requested_ = false;
  if (text == errors::kBgsaveInProgress) return;  // a save not meant for them: the next one is
  server_.log().Warning("Replicas waiting for a snapshot cannot have one: " + text);
  std::vector<uint64_t> drop;
  for (const Replica& r : replicas_) {
    if (r.state == Replica::State::kWaitSave && !r.attached) drop.push_back(r.client_id);
  }
  for (uint64_t id : drop) DropReplica(id, "no snapshot could be made for it");
}

void Replication::OnSnapshotForked() {
  save_requested_ = false;
  bool any = false;
  for (Replica& r : replicas_) {
    if (r.state != Replica::State::kWaitSave || r.attached) continue;
    r.attached = true;
    r.held.clear();
    if (dispatch::Client* c = server_.FindClient(r.client_id)) {
      c->reply().Raw("+FULLRESYNC " + history_.replid + " " + std::to_string(offset()) + "\r\n");
      c->ScheduleFlush();
    }
    any = true;
  }
  if (!any) return;
  // The stream after a snapshot opens with the block limits its records were made under.
  std::string limits;
  effects::Writer(&limits).StreamLimits(server_.dispatcher().RecordLimits());
  // Only a master adds to the stream: a replica's stream is its master's, byte for byte. A
  // replica of a replica synced in full lays blocks out by its own stream-node-max-* settings
  // until the master at the top sends its limits again (docs/replication.md).
  FeedRecord(0, server_.NowMs(), limits);
}

void Replication::OnSnapshotFinished(bool ok) {
  std::vector<uint64_t> failed;
  for (Replica& r : replicas_) {
    if (r.state != Replica::State::kWaitSave || !r.attached) continue;
    const int fd = ok ? open(server_.durability().DumpPath().c_str(), O_RDONLY | O_CLOEXEC) : -1;
    struct stat st {};
    if (fd < 0 || fstat(fd, &st) != 0) {
      if (fd >= 0) close(fd);
      failed.push_back(r.client_id);
      continue;
    }
    r.file = fd;
    r.file_left = static_cast<uint64_t>(st.st_size);
    r.state = Replica::State::kSendBulk;
    if (dispatch::Client* c = server_.FindClient(r.client_id)) {
      c->reply().Raw("$" + std::to_string(st.st_size) + "\r\n");
    }
  }
  for (uint64_t id : failed) DropReplica(id, "the snapshot for it could not be made or read");
  PumpSnapshots();
  for (const Replica& r : replicas_) {
    if (r.state == Replica::State::kWaitSave && !r.attached) return RequestSave();
  }
}

// By id, not by reference: a replica dropped on the way leaves replicas_, and a loop over it
// would go on with a dangling element.
void Replication::PumpSnapshots() {
  std::vector<uint64_t> sending;
  for (const Replica& r : replicas_) {
    if (r.state == Replica::State::kSendBulk) sending.push_back(r.client_id);
  }
  for (uint64_t id : sending) PumpSnapshot(id);
}

void Replication::PumpSnapshot(uint64_t client_id) {
  Replica* found = Find(client_id);
  if (found == nullptr || found->state != Replica::State::kSendBulk) return;
  Replica& r = *found;
  Connection* conn = server_.FindConnection(r.client_id);
  if (conn == nullptr || conn->closing()) return;
  std::string chunk;
  while (r.file_left > 0 && conn->output_bytes() < kSnapshotQueued) {
    chunk.resize(static_cast<size_t>(std::min<uint64_t>(kSnapshotChunk, r.file_left)));
    const ssize_t got = read(r.file, chunk.data(), chunk.size());
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      return DropReplica(r.client_id, "its snapshot could not be read: " +
                                          std::string(got < 0 ? std::strerror(errno) : "EOF"));
    }
    chunk.resize(static_cast<size_t>(got));
    conn->reply().Raw(chunk);
    r.file_left -= static_cast<uint64_t>(got);
  }
  conn->ScheduleFlush();
  if (r.file_left > 0) return;
  close(r.file);
  r.file = -1;
  r.state = Replica::State::kOnline;
  r.last_ack_ms = server_.MonotonicMs();
  conn->reply().Raw(r.held);
  std::string().swap(r.held);
  server_.log().Notice("Synchronization with replica " + PeerIp(conn->addr()) + " succeeded");
}

// ---- replicas coming and going ----

void Replication::DropReplica(uint64_t client_id, std::string_view why) {
  server_.log().Warning("Dropping a replica: " + std::string(why));
  if (dispatch::Client* c = server_.FindClient(client_id)) c->Close();
  OnClientClosed(client_id);  // Close() has already called it; harmless twice
}

void Replication::DisconnectReplicas() {
  std::vector<uint64_t> ids;
  for (const Replica& r : replicas_) ids.push_back(r.client_id);
  for (uint64_t id : ids) {
    if (dispatch::Client* c = server_.FindClient(id)) c->Close();
    OnClientClosed(id);
  }
}

void Replication::OnClientClosed(uint64_t id) {
  waiting_.erase(id);
  for (auto it = replicas_.begin(); it != replicas_.end(); ++it) {
    if (it->client_id != id) continue;
    if (it->file >= 0) close(it->file);
    replicas_.erase(it);
    return;
  }
}

// ---- from the master link ----

void Replication::AdoptMasterHistory(const std::string& replid, uint64_t offset) {
  history_.replid = replid;
  history_.ClearSecond();
  backlog_ = std::make_unique<replication::Backlog>(
      static_cast<size_t>(server_.config().repl_backlog_size), offset);
  DisconnectReplicas();  // they hold another history than the one now here
}

void Replication::FollowNewMasterId(const std::string& replid) {
  if (replid == history_.replid) return;
  history_.replid2 = history_.replid;
  history_.second_offset = static_cast<int64_t>(offset()) + 1;
  history_.replid = replid;
  DisconnectReplicas();
}

std::pair<std::string, int64_t> Replication::PsyncPosition() const {
  if (!backlog_) return {"?", -1};
  return {history_.replid, static_cast<int64_t>(offset()) + 1};
}

// ---- periodic ----

void Replication::Cron() {
  if (link_) link_->Cron();
  const config::Config& config = server_.config();
  if (backlog_ && backlog_->capacity() != static_cast<size_t>(config.repl_backlog_size)) {
    backlog_->Resize(static_cast<size_t>(config.repl_backlog_size));
  }
  const uint64_t now = server_.MonotonicMs();
  std::vector<uint64_t> timed_out;
  for (Replica& r : replicas_) {
    if (r.state == Replica::State::kWaitSave) {
      if (dispatch::Client* c = server_.FindClient(r.client_id)) {
        c->reply().Raw(kKeepalive);  // not part of the stream: it keeps the link alive
        c->ScheduleFlush();
      }
    } else if (r.state == Replica::State::kOnline &&
               now - r.last_ack_ms > static_cast<uint64_t>(config.repl_timeout) * 1000) {
      timed_out.push_back(r.client_id);
    }
  }
  for (uint64_t id : timed_out) DropReplica(id, "timeout (no REPLCONF ACK)");
  // A replica of a replica is pinged by the master at the top, through the stream.
  const uint64_t period_ms = static_cast<uint64_t>(config.repl_ping_replica_period) * 1000;
  if (!link_ && !replicas_.empty() && now - last_ping_ms_ >= period_ms) {
    last_ping_ms_ = now;
    Send(replication::kPing);
  }
}

void Replication::BeforePoll() {
  PumpSnapshots();
  if (getack_wanted_) {
    getack_wanted_ = false;
    if (feeding() && !replicas_.empty()) Send(replication::kGetAck);
  }
}

dispatch::ReplicationState Replication::State() const {
  dispatch::ReplicationState s;
  const uint64_t now = server_.MonotonicMs();
  if (link_) {
    s.replica = true;
    s.master_host = link_->host();
    s.master_port = link_->port();
    s.link_state = std::string(link_->state_name());
    s.link_up = link_->up();
    s.last_io_s = link_->last_io_seconds();
    s.link_down_since_s = link_->down_seconds();
    s.sync_in_progress = link_->syncing();
    s.sync_total_bytes = link_->sync_total_bytes();
    s.sync_read_bytes = link_->sync_read_bytes();
    s.processed_offset = backlog_ ? static_cast<int64_t>(offset()) : -1;
    s.redis_master = link_->redis_master();
    s.redis_skipped_keys = link_->skipped_keys();
    s.redis_rejected_commands = link_->rejected_commands();
  }
  for (const Replica& r : replicas_) {
    const dispatch::Client* c = const_cast<Server&>(server_).FindClient(r.client_id);
    if (c == nullptr) continue;
    dispatch::ReplicaState out;
    out.ip = c->replica_hello.ip_address.empty() ? PeerIp(c->addr()) : c->replica_hello.ip_address;
    out.port = c->replica_hello.listening_port;
    out.state = r.state == Replica::State::kOnline     ? "online"
                : r.state == Replica::State::kSendBulk ? "send_bulk"
                                                       : "wait_bgsave";
    out.ack_offset = r.ack_offset;
    out.lag_s =
        r.state == Replica::State::kOnline ? static_cast<int64_t>((now - r.last_ack_ms) / 1000) : 0;
    s.replicas.push_back(std::move(out));
  }
  s.good_replicas = GoodReplicas();
  s.sync_full = sync_full_;
  s.sync_partial_ok = sync_partial_ok_;
  s.sync_partial_err = sync_partial_err_;
  s.replid = history_.replid;
  s.replid2 = history_.replid2;
  s.second_offset = history_.second_offset;
  s.offset = offset();
  s.backlog_active = backlog_ != nullptr;
  if (backlog_) {
    s.backlog_size = backlog_->capacity();
    s.backlog_first_offset = backlog_->first_offset();
    s.backlog_histlen = backlog_->histlen();
  } else {
    s.backlog_size = static_cast<uint64_t>(server_.config().repl_backlog_size);
  }
  return s;
}

}  // namespace runnel::server
