#include "server/connection.h"

#include <arpa/inet.h>

#include "server/server.h"

namespace runnel::server {
namespace {

// Reply-buffer capacity an idle connection may keep between bursts (Redis keeps 16 KB).
constexpr size_t kKeepOutputBytes = 64 * 1024;

std::string FormatAddress(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    uv_ip4_name(a, host, sizeof(host));
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    uv_ip6_name(a, host, sizeof(host));
    port = ntohs(a->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

bool IsLoopback(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
  }
  if (ss.ss_family == AF_INET6) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&a)) return true;
    return IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127;
  }
  return false;
}

}  // namespace

Connection::Connection(Server& server, uint64_t id) : dispatch::Client(id), server_(server) {
  tcp_.data = this;
  write_req_.data = this;
  created_ms = last_interaction_ms = static_cast<int64_t>(server.MonotonicMs());
}

bool Connection::Accept(uv_stream_t* listener) {
  uv_tcp_init(server_.loop(), &tcp_);
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&tcp_)) != 0) return false;
  uv_tcp_nodelay(&tcp_, 1);
  sockaddr_storage ss{};
  int len = sizeof(ss);
  if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    addr_ = FormatAddress(ss);
    from_loopback_ = IsLoopback(ss);
  }
  len = sizeof(ss);
  if (uv_tcp_getsockname(&tcp_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    laddr_ = FormatAddress(ss);
  }
  return true;
}

int Connection::fd() const {
  uv_os_fd_t fd = -1;
  uv_fileno(reinterpret_cast<const uv_handle_t*>(&tcp_), &fd);
  return fd;
}

void Connection::ScheduleFlush() { server_.RequestFlush(*this); }

void Connection::ScheduleResume() { server_.RequestResume(*this); }

void Connection::SetAuthenticated(bool yes) {
  authenticated = yes;
  parser_.limits().authenticated = yes;
}

int64_t Connection::age_seconds() const {
  return (static_cast<int64_t>(server_.MonotonicMs()) - created_ms) / 1000;
}

void Connection::StartReading() {
  if (reading_ || closing_) return;
  reading_ = true;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), OnAlloc, OnRead);
}

void Connection::Close() {
  if (closing_) return;
  closing_ = true;
  server_.OnConnectionClosing(*this);
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), OnClosed);
}

void Connection::OnClosed(uv_handle_t* handle) { delete static_cast<Connection*>(handle->data); }

void Connection::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  // One buffer for every connection: a read is parsed completely before the next one.
  Server& server = static_cast<Connection*>(handle->data)->server_;
  *buf = uv_buf_init(server.read_buffer(), static_cast<unsigned>(server.read_buffer_size()));
}

void Connection::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(stream->data);
  if (nread < 0) {
    self->Close();
    return;
  }
  if (nread == 0 || self->closing_) return;
  self->net_in_ += static_cast<uint64_t>(nread);
  self->server_.stats().net_input_bytes += static_cast<uint64_t>(nread);
  self->last_interaction_ms = static_cast<int64_t>(self->server_.MonotonicMs());
  std::string_view input(buf->base, static_cast<size_t>(nread));
  if (self->tls_) {
    self->ReceiveTls(input);
  } else {
    self->Received(input);
  }
}

void Connection::Received(std::string_view input) {
  server_.buffer_peaks().NoteInput(pending_input_.size() + input.size(),
                                   server_.MonotonicMs() / 1000);
  if (!pending_input_.empty()) {
    // Earlier input is still waiting (blocked or paused client): keep the order.
    pending_input_.append(input);
  } else {
    Process(input);
  }
  // Input held back and the arguments of a command still arriving, together.
  if (query_buffer_bytes() + argv_bytes() >
      static_cast<size_t>(server_.config().client_query_buffer_limit)) {
    server_.log().Warning("Closing client that reached max query buffer length: id=" +
                          std::to_string(id()));
    Close();
  }
}

void Connection::ReceiveTls(std::string_view cipher) {
  tls_plain_.clear();
  const TlsSession::Status status = tls_->Receive(cipher, &tls_plain_);
  // Whatever happened, the session may have something to send: handshake messages, session
  // tickets, or the alert that explains a failure.
  server_.RequestFlush(*this);
  if (status == TlsSession::Status::kFailed) {
    server_.log().Verbose("Error accepting a client connection: " + tls_->error() +
                          " (addr=" + addr_ + " laddr=" + laddr_ + ")");
  }
  // What arrived before a close_notify or a broken record runs, as it would had it come in an
  // earlier read (redis-server likewise runs what it read before it sees the end).
  if (!tls_plain_.empty()) Received(tls_plain_);
  if (tls_plain_.capacity() > kKeepOutputBytes) std::string().swap(tls_plain_);
  if (status == TlsSession::Status::kFailed) {
    out_.clear();  // nothing more can be said over a failed session: send the alert and go
    CloseAfterReply();
  } else if (status == TlsSession::Status::kClosed) {
    CloseAfterReply();  // the peer has finished sending; the replies still go out
  }
}

bool Connection::CanRunCommands() const {
  return !closing_ && !close_after_reply_ && !waiting() && output_bytes() < kPauseOutputBytes;
}

void Connection::Process(std::string_view input) {
  size_t pos = 0;
  while (pos < input.size() && CanRunCommands()) {
    auto r = parser_.Parse(input.substr(pos), args_);
    pos += r.consumed;
    if (r.status == resp::RequestParser::Status::kCommand) {
      server_.dispatcher().Execute(*this, args_);
      args_.Clear();
    } else if (r.status == resp::RequestParser::Status::kError) {
      reply().Error("ERR " + parser_.error());
      server_.log().Verbose("Protocol error (" + parser_.error() +
                            ") from client id=" + std::to_string(id()) + " addr=" + addr_);
      CloseAfterReply();
      server_.RequestFlush(*this);
      return;
    }
  }
  if (pos < input.size() && !closing_ && !close_after_reply_) {
    pending_input_.append(input.substr(pos));
    if (!waiting() && reading_) {
      // Paused by back-pressure: stop reading until the client takes its replies.
      uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
      reading_ = false;
    }
  }
}

void Connection::ResumeInput() {
  if (closing_) return;
  if (!pending_input_.empty() && CanRunCommands()) {
    std::string input = std::move(pending_input_);
    pending_input_.clear();
    Process(input);
  }
  if (pending_input_.empty() || CanRunCommands()) StartReading();
}

bool Connection::CloseIfOverOutputLimit() {
  const dispatch::ClientType t = type();
  const config::OutputLimit& limit =
      server_.output_limit(t == dispatch::ClientType::kPubSub    ? config::ClientClass::kPubSub
                           : t == dispatch::ClientType::kReplica ? config::ClientClass::kReplica
                                                                 : config::ClientClass::kNormal);
  const auto bytes = static_cast<int64_t>(output_bytes());
  bool over = limit.hard > 0 && bytes >= limit.hard;
  if (!over && (limit.soft == 0 || bytes < limit.soft)) {
    over_soft_since_s_ = -1;
    return false;
  }
  if (!over) {
    const auto now_s = static_cast<int64_t>(server_.MonotonicMs() / 1000);
    if (over_soft_since_s_ < 0) {
      over_soft_since_s_ = now_s;
      server_.NoteOverSoftLimit(id());
    }
    over = now_s - over_soft_since_s_ > limit.soft_seconds;
  }
  if (!over) return false;
  server_.log().Warning("Client id=" + std::to_string(id()) + " addr=" + addr_ +
                        " closed for overcoming of output buffer limits.");
  Close();
  return true;
}

void Connection::Flush() {
  if (closing_) return;
  server_.buffer_peaks().NoteOutput(output_bytes(), server_.MonotonicMs() / 1000);
  if (CloseIfOverOutputLimit()) return;
  if (write_in_flight_) return;
  if (tls_ && !SealOutput()) {
    Close();
    return;
  }
  std::string& wire = tls_ ? tls_wire_ : out_;
  if (wire.empty()) {
    if (close_after_reply_ && out_.empty()) Close();
    return;
  }
  uv_buf_t buf = uv_buf_init(wire.data(), static_cast<unsigned>(wire.size()));
  int n = uv_try_write(reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1);
  if (n == UV_EAGAIN || n == UV_ENOSYS) n = 0;
  if (n < 0) {
    Close();
    return;
  }
  net_out_ += static_cast<uint64_t>(n);
  server_.stats().net_output_bytes += static_cast<uint64_t>(n);
  if (static_cast<size_t>(n) == wire.size()) {
    wire.clear();
    // Give back a buffer a burst of replies grew: an idle client keeps at most kKeepOutputBytes,
    // so thousands of connections that once read a large reply do not hold that memory.
    if (wire.capacity() > kKeepOutputBytes) std::string().swap(wire);
    if (close_after_reply_ && out_.empty()) {
      Close();
    } else if (!pending_input_.empty() && !waiting()) {
      server_.RequestResume(*this);  // was paused by back-pressure
    }
    return;
  }
  inflight_.assign(wire, static_cast<size_t>(n), std::string::npos);
  wire.clear();
  write_in_flight_ = true;
  uv_buf_t rest = uv_buf_init(inflight_.data(), static_cast<unsigned>(inflight_.size()));
  uv_write(&write_req_, reinterpret_cast<uv_stream_t*>(&tcp_), &rest, 1, OnWrite);
}

bool Connection::SealOutput() {
  if (!out_.empty() && tls_->handshake_done()) {
    if (!tls_->Send(out_)) {
      server_.log().Verbose("TLS error writing to client id=" + std::to_string(id()) + ": " +
                            tls_->error());
      return false;
    }
    out_.clear();
    if (out_.capacity() > kKeepOutputBytes) std::string().swap(out_);
  }
  if (close_after_reply_ && out_.empty()) tls_->Shutdown();
  tls_->TakeOutput(&tls_wire_);
  return true;
}

void Connection::OnWrite(uv_write_t* req, int status) {
  auto* self = static_cast<Connection*>(req->data);
  self->write_in_flight_ = false;
  if (status == 0) {
    self->net_out_ += self->inflight_.size();
    self->server_.stats().net_output_bytes += self->inflight_.size();
  }
  std::string().swap(self->inflight_);
  if (self->closing_) return;
  if (status < 0) {
    self->Close();
    return;
  }
  self->server_.RequestFlush(*self);
  if (!self->pending_input_.empty() && !self->waiting()) self->server_.RequestResume(*self);
}

}  // namespace runnel::server
