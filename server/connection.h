// Connection: one client socket and its request parser: the I/O side of a dispatch::Client,
// which holds the session state and the reply buffer.
//
// Lifecycle: created on accept, registered with the Server by id; Close() unregisters it and
// starts uv_close, and the object is deleted in the close callback (libuv may still call the
// write callback, with UV_ECANCELED, before that). Anything that can outlive a connection (the
// blocking and watch registries, CLIENT KILL) refers to it by id, never by pointer.
//
// Input: each read is parsed and executed command by command. While the client is blocked, or
// while its unsent replies pass kPauseOutputBytes (back-pressure on a client that pipelines but
// does not read), the unparsed rest of the input is kept in pending_input_ and resumed later.
//
// Output: replies are appended to out_ and sent before the next poll (Server::BeforePoll) with
// uv_try_write; what the socket does not take moves to inflight_ for one uv_write. A client
// that does not read therefore never stalls the loop or anyone else.
//
// TLS (a connection accepted on tls-port): a TlsSession sits between the socket and the rest.
// Input is decrypted before it is parsed; replies wait in out_ until the handshake is done, are
// then encrypted into tls_wire_, and tls_wire_ is what gets written. Everything else (parsing,
// back-pressure, output limits) is the same for both.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dispatch/client.h"
#include "resp/arg_list.h"
#include "resp/request_parser.h"
#include "server/tls.h"

namespace runnel::server {

class Server;

class Connection : public dispatch::Client {
 public:
  static constexpr size_t kPauseOutputBytes = 32 * 1024 * 1024;

  Connection(Server& server, uint64_t id);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Accepts the pending connection on `listener`; false if that failed (then Close()).
  bool Accept(uv_stream_t* listener);
  // Makes this a TLS connection (before the first read): the handshake is its first exchange.
  void EnableTls(const TlsContext& context) { tls_ = std::make_unique<TlsSession>(context); }
  bool tls() const { return tls_ != nullptr; }
  void StartReading();
  bool closing() const { return closing_; }

  // Sends buffered replies. Called before each poll for connections with output.
  void Flush();
  // Runs commands held back while blocked or paused.
  void ResumeInput();

  resp::RequestParser& parser() { return parser_; }

  int64_t created_ms = 0;           // monotonic, for CLIENT LIST age
  int64_t last_interaction_ms = 0;  // monotonic, for idle and timeout
  bool pending_flush = false;       // queued in the server's flush list

  // ---- dispatch::Client ----
  void ScheduleFlush() override;
  void ScheduleResume() override;
  void RunPendingInput() override { ResumeInput(); }
  // Sends what is buffered, then closes (QUIT, protocol errors, CLIENT KILL of self).
  void CloseAfterReply() override { close_after_reply_ = true; }
  // Idempotent. The object is deleted later, in the close callback.
  void Close() override;
  void SetAuthenticated(bool yes) override;
  std::string Describe() const override;  // client_info.cc
  std::string_view addr() const override { return addr_; }
  std::string_view laddr() const override { return laddr_; }
  // The peer is on the loopback interface (127.0.0.0/8, ::1, or 127.x mapped into IPv6).
  bool from_loopback() const { return from_loopback_; }
  int64_t age_seconds() const override;
  int fd() const;
  size_t query_buffer_bytes() const { return pending_input_.size() + parser_.buffered(); }
  size_t output_bytes() const { return out_.size() + inflight_.size() + tls_wire_.size(); }
  // What the client holds (CLIENT LIST's tot-mem, maxmemory-clients): replies not yet sent,
  // input not yet run, a MULTI queue.
  size_t memory_bytes() const {
    return output_bytes() + query_buffer_bytes() + argv_bytes() + multi_bytes();
  }
  // The arguments of the command being received (a large value arrives straight into them).
  size_t argv_bytes() const { return args_.bytes(); }
  size_t multi_bytes() const;
  // client-output-buffer-limit for this client's class: closes the client (logged) and returns
  // true when its output passed the hard limit, or has stayed above the soft one for more than
  // its seconds, in whole seconds as redis-server counts them. Checked as output is sent, and
  // by the cron for clients above a soft limit, which may have stopped receiving anything.
  bool CloseIfOverOutputLimit();
  bool over_soft_limit() const { return over_soft_since_s_ >= 0; }
  uint64_t net_input_bytes() const { return net_in_; }
  uint64_t net_output_bytes() const { return net_out_; }

 private:
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnClosed(uv_handle_t* handle);

  // Plaintext input as it arrives: run now, or queued behind input that waits.
  void Received(std::string_view input);
  // TLS: decrypts what the socket delivered (finishing the handshake first) and passes it on.
  void ReceiveTls(std::string_view cipher);
  // TLS: encrypts out_ into tls_wire_ once the handshake is done; false on a TLS error.
  bool SealOutput();
  // Parses and runs as much of `input` as allowed; keeps the rest in pending_input_.
  void Process(std::string_view input);
  bool CanRunCommands() const;

  Server& server_;
  uv_tcp_t tcp_{};
  uv_write_t write_req_{};
  resp::RequestParser parser_;
  resp::ArgList args_;
  std::string inflight_;  // bytes handed to uv_write, alive until its callback
  std::string pending_input_;
  std::string addr_, laddr_;
  bool from_loopback_ = false;
  uint64_t net_in_ = 0, net_out_ = 0;
  bool reading_ = false;
  bool write_in_flight_ = false;
  int64_t over_soft_since_s_ = -1;  // monotonic seconds; -1 while within the soft limit
  bool close_after_reply_ = false;
  bool closing_ = false;
  std::unique_ptr<TlsSession> tls_;  // nullptr on the plain port
  std::string tls_wire_;             // TLS: ciphertext to write (the counterpart of out_)
  std::string tls_plain_;            // TLS: the plaintext of one read, reused
};

}  // namespace runnel::server
