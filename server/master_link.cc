#include "server/master_link.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>

#include "dispatch/args.h"
#include "replication/feed.h"
#include "resp/command_encoder.h"
#include "resp/reply_parser.h"
#include "server/replication.h"
#include "server/server.h"

namespace runnel::server {

using dispatch::IEquals;

namespace {

constexpr size_t kReadBufferBytes = 64 * 1024;
constexpr uint64_t kRetryMs = 1000;  // between connection attempts, as redis-server's cron
constexpr uint64_t kAckIntervalMs = 1000;

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

bool FileStartsWith(const std::string& path, std::string_view magic) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::string head(magic.size(), '\0');
  const ssize_t n = read(fd, head.data(), head.size());
  close(fd);
  return n == static_cast<ssize_t>(magic.size()) && head == magic;
}

// Errors among the replies to a Redis master's command: the reply itself, or (EXEC) the
// replies inside it.
size_t CountErrors(std::string_view replies) {
  size_t errors = 0;
  while (!replies.empty()) {
    resp::Reply reply;
    size_t used = 0;
    if (resp::ParseReply(replies, &reply, &used) != resp::ParseReplyStatus::kOk) break;
    replies.remove_prefix(used);
    if (reply.is_error()) ++errors;
    for (const resp::Reply& inner : reply.elements) errors += inner.is_error() ? 1 : 0;
  }
  return errors;
}

std::string Command(std::initializer_list<std::string_view> args) {
  std::string out;
  resp::EncodeCommand(&out, args);
  return out;
}

// Callback data that must not assume the link still exists: the link is found again through
// the Replication (which lives as long as the server) by the attempt it was made for.
struct ResolveRequest {
  uv_getaddrinfo_t req{};
  Replication* replication;
  uint64_t attempt;
};
struct ConnectRequest {
  uv_connect_t req{};
  Replication* replication;
  uint64_t attempt;
};
struct WriteRequest {
  uv_write_t req{};
  std::string bytes;
};

}  // namespace

MasterLink::MasterLink(Server& server, Replication& replication, std::string host, int port)
    : server_(server),
      replication_(replication),
      host_(std::move(host)),
      port_(port),
      read_buffer_(kReadBufferBytes, '\0'),
      master_client_(server.NewClientId(), host_ + ":" + std::to_string(port)) {
  resp::ParserLimits limits;
  limits.max_bulk_len = INT64_MAX;  // a record is as large as the master made it
  parser_.set_limits(limits);
  sync_path_ = server_.durability().DumpPath() + ".sync-" + std::to_string(getpid());
  server_.dispatcher().StartSession(master_client_);
  master_client_.authenticated = true;
}

MasterLink::~MasterLink() {
  if (sync_fd_ >= 0) {
    close(sync_fd_);
    unlink(sync_path_.c_str());
  }
}

std::string_view MasterLink::state_name() const {
  switch (state_) {
    case State::kConnect:
      return "connect";
    case State::kResolving:
    case State::kConnecting:
      return "connecting";
    case State::kHandshake:
      return "handshake";
    case State::kSync:
      return "sync";
    case State::kConnected:
      return "connected";
  }
  return "unknown";
}

int64_t MasterLink::last_io_seconds() const {
  if (last_io_ms_ == 0) return -1;
  return static_cast<int64_t>((server_.MonotonicMs() - last_io_ms_) / 1000);
}

int64_t MasterLink::down_seconds() const {
  if (up() || down_since_ms_ == 0) return -1;  // up, or never was: redis-server shows -1
  return static_cast<int64_t>((server_.MonotonicMs() - down_since_ms_) / 1000);
}

void MasterLink::Cron() {
  const uint64_t now = server_.MonotonicMs();
  if (state_ == State::kConnect) {
    if (last_connect_ms_ == 0 || now - last_connect_ms_ >= kRetryMs) Connect();
    return;
  }
  const uint64_t timeout_ms = static_cast<uint64_t>(server_.config().repl_timeout) * 1000;
  const uint64_t since = std::max(last_io_ms_, last_connect_ms_);
  if (now - since > timeout_ms) return Drop("Timeout connecting to the MASTER...");
  // Every second, and sooner when the log has reached the disk further (a WAITAOF waits).
  const bool synced_more =
      server_.durability().log_enabled() && server_.durability().synced_offset() != acked_synced_;
  if (state_ == State::kConnected && (now - last_ack_ms_ >= kAckIntervalMs || synced_more)) {
    SendAck();
  }
  if (state_ == State::kConnected && held_) Stream();  // the pause may have ended
}

void MasterLink::Connect() {
  ++attempt_;
  last_connect_ms_ = server_.MonotonicMs();
  state_ = State::kResolving;
  server_.log().Notice("Connecting to MASTER " + host_ + ":" + std::to_string(port_));
  auto* request = new ResolveRequest{{}, &replication_, attempt_};
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  const std::string port = std::to_string(port_);
  const int rc = uv_getaddrinfo(
      server_.loop(), &request->req,
      [](uv_getaddrinfo_t* req, int status, addrinfo* result) {
        auto* r = reinterpret_cast<ResolveRequest*>(req);
        MasterLink* link = r->replication->LinkFor(r->attempt);
        if (link != nullptr) {
          link->OnResolved(status, result);
        } else if (result != nullptr) {
          uv_freeaddrinfo(result);
        }
        delete r;
      },
      host_.c_str(), port.c_str(), &hints);
  if (rc != 0) {
    delete request;
    Drop(std::string("Unable to resolve the MASTER's address: ") + uv_strerror(rc));
  }
}

void MasterLink::OnResolved(int status, addrinfo* result) {
  if (status != 0 || result == nullptr) {
    if (result != nullptr) uv_freeaddrinfo(result);
    return Drop(std::string("Unable to resolve the MASTER's address: ") + uv_strerror(status));
  }
  tcp_ = UvHandle<uv_tcp_t>();
  uv_tcp_init(server_.loop(), tcp_.get());
  tcp_.MarkInitialised();
  tcp_.get()->data = this;
  uv_tcp_nodelay(tcp_.get(), 1);
  state_ = State::kConnecting;
  auto* request = new ConnectRequest{{}, &replication_, attempt_};
  const int rc =
      uv_tcp_connect(&request->req, tcp_.get(), result->ai_addr, [](uv_connect_t* req, int status) {
        auto* r = reinterpret_cast<ConnectRequest*>(req);
        // Cancelled: the handle was closed, and the link may be gone with it.
        MasterLink* link = status == UV_ECANCELED ? nullptr : r->replication->LinkFor(r->attempt);
        if (link != nullptr) link->OnConnected(status);
        delete r;
      });
  uv_freeaddrinfo(result);
  if (rc != 0) {
    delete request;
    Drop(std::string("Error connecting to MASTER: ") + uv_strerror(rc));
  }
}

void MasterLink::OnConnected(int status) {
  if (status != 0) return Drop(std::string("Error connecting to MASTER: ") + uv_strerror(status));
  server_.log().Notice("MASTER <-> REPLICA sync started");
  state_ = State::kHandshake;
  step_ = Step::kPing;
  replies_awaited_ = 1;
  last_io_ms_ = server_.MonotonicMs();
  uv_read_start(reinterpret_cast<uv_stream_t*>(tcp_.get()), OnAlloc, OnRead);
  Write(Command({"PING"}));
}

void MasterLink::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* link = static_cast<MasterLink*>(handle->data);
  *buf = uv_buf_init(link->read_buffer_.data(), static_cast<unsigned>(link->read_buffer_.size()));
}

void MasterLink::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* link = static_cast<MasterLink*>(stream->data);
  if (nread < 0) {
    return link->Drop(nread == UV_EOF ? "The master closed the connection"
                                      : std::string("Error reading from MASTER: ") +
                                            uv_strerror(static_cast<int>(nread)));
  }
  if (nread == 0) return;
  link->in_.append(buf->base, static_cast<size_t>(nread));
  link->last_io_ms_ = link->server_.MonotonicMs();
  link->Process();
}

void MasterLink::Write(std::string bytes) {
  if (!tcp_.initialised() || tcp_.get() == nullptr) return;
  auto* request = new WriteRequest{{}, std::move(bytes)};
  uv_buf_t buf = uv_buf_init(request->bytes.data(), static_cast<unsigned>(request->bytes.size()));
  const int rc =
      uv_write(&request->req, reinterpret_cast<uv_stream_t*>(tcp_.get()), &buf, 1,
               [](uv_write_t* req, int) { delete reinterpret_cast<WriteRequest*>(req); });
  if (rc != 0) delete request;  // the read side sees the broken connection and drops the link
}

void MasterLink::SendAck() {
  last_ack_ms_ = server_.MonotonicMs();
  const std::string offset = std::to_string(replication_.offset());
  if (!server_.durability().log_enabled()) return Write(Command({"REPLCONF", "ACK", offset}));
  // FACK: how far this replica's own log is on disk (the master's WAITAOF counts it).
  acked_synced_ = server_.durability().synced_offset();
  Write(Command({"REPLCONF", "ACK", offset, "FACK", std::to_string(acked_synced_)}));
}

void MasterLink::Drop(std::string_view why, bool full) {
  server_.log().Warning(std::string(why));
  if (state_ == State::kConnected) down_since_ms_ = server_.MonotonicMs();
  ++attempt_;  // callbacks of this attempt still on their way find nothing
  tcp_.Close();
  tcp_ = UvHandle<uv_tcp_t>();
  if (sync_fd_ >= 0) {
    close(sync_fd_);
    sync_fd_ = -1;
    unlink(sync_path_.c_str());
  }
  state_ = State::kConnect;
  force_full_ = force_full_ || full;
  in_.clear();
  parser_ = resp::RequestParser();
  resp::ParserLimits limits;
  limits.max_bulk_len = INT64_MAX;
  parser_.set_limits(limits);
  args_.Clear();
  command_bytes_.clear();
  sync_length_known_ = false;
  sync_total_ = sync_read_ = 0;
}

bool MasterLink::TakeLine(std::string* line) {
  const size_t end = in_.find('\n');
  if (end == std::string::npos) return false;
  line->assign(in_, 0, end > 0 && in_[end - 1] == '\r' ? end - 1 : end);
  in_.erase(0, end + 1);
  return true;
}

void MasterLink::Process() {
  if (state_ == State::kHandshake && !Handshake()) return;
  if (state_ == State::kSync && !ReceiveSnapshot()) return;
  if (state_ == State::kConnected) Stream();
}

bool MasterLink::Handshake() {
  const config::Config& config = server_.config();
  std::string line;
  while (state_ == State::kHandshake && TakeLine(&line)) {
    if (line.empty()) continue;  // a keepalive newline
    if (step_ == Step::kPing) {
      // An error that only says the PING needs AUTH is fine: AUTH follows.
      if (line[0] == '-' && !StartsWith(line, "-NOAUTH") && !StartsWith(line, "-NOPERM") &&
          !StartsWith(line, "-ERR operation not permitted")) {
        Drop("Error reply to PING from master: '" + line + "'");
        return false;
      }
      std::string out;
      replies_awaited_ = 2;
      if (!config.masterauth.empty()) {
        ++replies_awaited_;
        if (config.masteruser.empty()) {
          resp::EncodeCommand(&out, {"AUTH", config.masterauth});
        } else {
          resp::EncodeCommand(&out, {"AUTH", config.masteruser, config.masterauth});
        }
      }
      const int64_t port =
          config.replica_announce_port != 0 ? config.replica_announce_port : config.port;
      resp::EncodeCommand(&out, {"REPLCONF", "listening-port", std::to_string(port)});
      if (!config.replica_announce_ip.empty()) {
        ++replies_awaited_;
        resp::EncodeCommand(&out, {"REPLCONF", "ip-address", config.replica_announce_ip});
      }
      resp::EncodeCommand(&out, {"REPLCONF", "capa", "psync2"});
      auth_pending_ = !config.masterauth.empty();
      step_ = Step::kReplconf;
      Write(std::move(out));
    } else if (step_ == Step::kReplconf) {
      if (auth_pending_ && line[0] == '-') {
        Drop("Unable to AUTH to MASTER: " + line);
        return false;
      }
      auth_pending_ = false;  // REPLCONF errors are ignored, as redis-server ignores them
      if (--replies_awaited_ == 0) {
        auto [replid, offset] = replication_.PsyncPosition();
        if (force_full_) replid = "?", offset = -1;
        Write(Command({"PSYNC", replid, std::to_string(offset)}));
        step_ = Step::kPsync;
      }
    } else if (!PsyncReply(line)) {
      return false;
    }
  }
  return true;
}

bool MasterLink::PsyncReply(const std::string& line) {
  if (StartsWith(line, "+FULLRESYNC ")) {
    const std::string_view rest = std::string_view(line).substr(12);
    const size_t space = rest.find(' ');
    uint64_t offset = 0;
    const std::string_view number = space == std::string_view::npos ? "" : rest.substr(space + 1);
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), offset);
    if (space != 40 || ec != std::errc() || end != number.data() + number.size()) {
      Drop("Unexpected reply to PSYNC from master: " + line);
      return false;
    }
    sync_replid_ = std::string(rest.substr(0, 40));
    sync_offset_ = offset;
    server_.log().Notice("Full resync from master: " + sync_replid_ + ":" + std::string(number));
    state_ = State::kSync;
    return true;
  }
  if (StartsWith(line, "+CONTINUE")) {
    const std::string id = line.size() > 10 ? line.substr(10) : "";
    if (!id.empty()) replication_.FollowNewMasterId(id);
    server_.log().Notice("Successful partial resynchronization with master.");
    state_ = State::kConnected;
    last_ack_ms_ = 0;
    return true;
  }
  // -NOMASTERLINK, -LOADING, or anything else: try again in a second.
  Drop("Unexpected reply to PSYNC from master: " + line);
  return false;
}

bool MasterLink::ReceiveSnapshot() {
  if (!sync_length_known_) {
    std::string line;
    while (!sync_length_known_ && TakeLine(&line)) {
      if (line.empty()) continue;  // the master's keepalives while its snapshot is made
      int64_t length = -1;
      if (line[0] == '$') std::from_chars(line.data() + 1, line.data() + line.size(), length);
      if (length < 0) {
        Drop("Bad protocol from MASTER, the first byte is not '$': " + line);
        return false;
      }
      sync_total_ = static_cast<uint64_t>(length);
      sync_read_ = 0;
      sync_length_known_ = true;
      sync_fd_ = open(sync_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (sync_fd_ < 0) {
        Drop("Opening the temp file needed for MASTER <-> REPLICA synchronization: " +
             std::string(std::strerror(errno)));
        return false;
      }
      server_.log().Notice("MASTER <-> REPLICA sync: receiving " + std::to_string(length) +
                           " bytes from master to disk");
    }
    if (!sync_length_known_) return false;
  }
  const size_t n = static_cast<size_t>(std::min<uint64_t>(in_.size(), sync_total_ - sync_read_));
  for (size_t done = 0; done < n;) {
    const ssize_t w = write(sync_fd_, in_.data() + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      Drop("Write error saving the snapshot from the master: " + std::string(std::strerror(errno)));
      return false;
    }
    done += static_cast<size_t>(w);
  }
  in_.erase(0, n);
  sync_read_ += n;
  if (sync_read_ < sync_total_) return false;
  return LoadSnapshot();
}

bool MasterLink::LoadSnapshot() {
  // Not fsynced: the file is loaded now and removed. What makes the data durable is the log's
  // new base (Durability::AdoptData); a crash before that is followed by another full sync.
  close(sync_fd_);
  sync_fd_ = -1;
  std::string error;
  redis_master_ = FileStartsWith(sync_path_, "REDIS");
  int stream_db = 0;
  const bool loaded =
      redis_master_ ? server_.LoadRedisSnapshot(sync_path_, &skipped_keys_, &stream_db, &error)
                    : server_.LoadReplicaSnapshot(sync_path_, &error);
  master_client_.db = stream_db;
  master_client_.multi = dispatch::MultiState{};
  unlink(sync_path_.c_str());
  sync_length_known_ = false;
  if (!loaded) {
    Drop("Failed trying to load the MASTER synchronization snapshot: " + error, true);
    return false;
  }
  force_full_ = false;
  replication_.AdoptMasterHistory(sync_replid_, sync_offset_);
  server_.log().Notice("MASTER <-> REPLICA sync: Finished with success");
  state_ = State::kConnected;
  SendAck();
  return true;
}

bool MasterLink::Stream() {
  size_t pos = 0;
  bool ok = true;
  while (ok) {
    if (!held_) {  // a command CLIENT PAUSE held is still in args_
      if (pos >= in_.size()) break;
      auto [status, consumed] = parser_.Parse(std::string_view(in_).substr(pos), args_);
      command_bytes_.append(in_, pos, consumed);
      pos += consumed;
      if (status == resp::RequestParser::Status::kNeedMore) break;
      if (status == resp::RequestParser::Status::kError) {
        Drop("Protocol error from MASTER: " + parser_.error(), true);
        return false;
      }
    }
    // As redis-server's replicas: CLIENT PAUSE holds the master's writes too, and what it sent
    // after them waits behind them (Cron tries again).
    held_ = !args_.empty() && server_.dispatcher().PauseHolds(master_client_, args_);
    if (held_) break;
    ok = args_.empty() || ApplyCommand(args_, command_bytes_);
    args_.Clear();
    command_bytes_.clear();
  }
  if (!ok) return false;  // dropped: the input is gone
  in_.erase(0, pos);
  return true;
}

bool MasterLink::ApplyCommand(const resp::ArgList& args, std::string_view bytes) {
  const std::string_view name = args[0];
  if (auto record = replication::ParseRecord(args)) {
    std::string error;
    if (!server_.dispatcher().ApplyReplicated(record->db, record->time_ms, record->payload,
                                              &error)) {
      Drop("A record from the MASTER does not apply (" + error + "): syncing again", true);
      return false;
    }
  } else if (IEquals(name, "PUBLISH") && args.size() == 3) {
    server_.dispatcher().Publish(false, args[1], args[2]);
  } else if (IEquals(name, "REPLCONF")) {
    if (args.size() >= 2 && IEquals(args[1], "GETACK")) SendAck();  // the offset before it
  } else if (IEquals(name, "SELECT") && args.size() == 2 && master_client_.multi.active) {
    RunRedisCommand(args);  // inside MULTI (Redis 7.2+ puts it there): it takes effect at EXEC
  } else if (IEquals(name, "SELECT") && args.size() == 2) {
    int db = -1;
    std::from_chars(args[1].data(), args[1].data() + args[1].size(), db);
    if (db < 0 || db >= server_.keyspace().size()) {
      Drop("The MASTER selected database " + std::string(args[1]) + ", which this server lacks",
           true);
      return false;
    }
    master_client_.db = db;
  } else if (!IEquals(name, "PING")) {
    RunRedisCommand(args);
  }
  replication_.FeedRaw(bytes);
  return true;
}

void MasterLink::RunRedisCommand(const resp::ArgList& args) {
  redis_master_ = true;
  server_.dispatcher().Execute(master_client_, args);
  const size_t errors = CountErrors(master_client_.TakeReplies());
  if (errors == 0) return;
  rejected_commands_ += errors;
  // Each command name is logged the first time, and then every thousandth time.
  std::string name(args[0]);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  uint64_t& seen = rejected_by_name_[name];
  if (++seen == 1 || seen % 1000 == 0) {
    server_.log().Warning("A command from the Redis MASTER did not apply here (" +
                          std::to_string(seen) + " so far): " + std::string(args[0]) +
                          ". Runnel stores strings and streams only; the data differs.");
  }
}

}  // namespace runnel::server
