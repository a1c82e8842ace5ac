// TLS for client connections, with OpenSSL: a TlsContext (one SSL_CTX built from the tls-*
// settings) and a TlsSession per connection.
//
// Why memory BIOs: the connection keeps doing all socket I/O through libuv, as a plain one does,
// and OpenSSL only transforms bytes. Nothing blocks and nothing is sent behind the connection's
// back: ciphertext read from the socket goes in with Receive(), which returns the plaintext it
// carried (finishing the handshake first); plaintext replies go in with Send(); TakeOutput()
// moves every ciphertext byte waiting to be sent (handshake messages, records, alerts) into the
// connection's write buffer.
//
// Ownership: both wrap their OpenSSL object in a unique_ptr with its free function. A session
// holds a reference to its SSL_CTX (SSL_new takes one), so a TlsContext replaced by CONFIG SET
// can be destroyed while connections made with it carry on.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"

namespace runnel::server {

class TlsContext {
 public:
  // The context the settings describe, or nullptr with the reason in *error (a certificate or
  // key that does not load, no CA while client certificates are required, a bad protocol).
  static std::unique_ptr<TlsContext> Create(const config::Config& config, std::string* error);

  SSL_CTX* get() const { return ctx_.get(); }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx, SSL_CTX_free) {}
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx_;
};

class TlsSession {
 public:
  explicit TlsSession(const TlsContext& context);
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  enum class Status {
    kOk,      // all input consumed; plaintext (possibly none) appended
    kClosed,  // the peer sent close_notify
    kFailed,  // handshake or record error: error() says why; send TakeOutput() (an alert), close
  };
  // Ciphertext from the socket; appends the plaintext it completes to *plain.
  Status Receive(std::string_view cipher, std::string* plain);
  // Encrypts plaintext replies; call only once handshake_done(). False on an OpenSSL error.
  bool Send(std::string_view plain);
  // Appends the ciphertext waiting to be sent to *wire.
  void TakeOutput(std::string* wire);
  // Queues close_notify (for TakeOutput) once the handshake is done: the last thing sent before
  // the server closes the connection itself.
  void Shutdown();

  bool handshake_done() const { return ssl_ && SSL_is_init_finished(ssl_.get()) == 1; }
  const std::string& error() const { return error_; }

 private:
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl_;
  BIO* in_ = nullptr;   // owned by ssl_: ciphertext received, waiting for SSL_read
  BIO* out_ = nullptr;  // owned by ssl_: ciphertext produced, waiting for TakeOutput
  std::string error_;
};

}  // namespace runnel::server
