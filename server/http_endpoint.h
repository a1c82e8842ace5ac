// HttpEndpoint: the metrics port (metrics-port, metrics-bind): a small HTTP/1.1 server on the
// server's own libuv loop, for Prometheus to scrape GET /metrics.
//
// Requests are parsed with http-parser (Debian's libhttp-parser-dev: the parser Node.js used for
// a decade, small, callback-driven and allocation-free, so it fits a loop that must never stall
// or trust a peer). Only GET and HEAD are served; a request's head may not exceed kMaxHead
// bytes; keep-alive follows the request (HTTP/1.1 default, Connection: close honoured); at most
// kMaxConnections are open at once and one idle for kIdleMs is closed. When requirepass is set,
// a request needs HTTP Basic credentials with that password (any user name), as Prometheus's
// basic_auth sends them.
//
// What a path answers is the handler's: it gets the path and a responder to call once, now or
// later (a large scrape is built over several loop iterations); a responder called after its
// connection closed does nothing. Pipelined requests are answered in order, one at a time.
// Nothing here knows what the metrics are.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/uv_handle.h"

namespace runnel::server {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // More of the body, after `body`: each part is written as a buffer of its own, so a large
  // response assembled from pieces is never copied into one string.
  std::vector<std::string> parts = {};
};

// How a handler answers one request, now or later, once. After the connection has closed it
// does nothing, and connected() says so, so that slow work for it can stop early.
class HttpResponder {
 public:
  HttpResponder(std::function<void(HttpResponse)> send, std::weak_ptr<int> alive)
      : send_(std::move(send)), alive_(std::move(alive)) {}
  void operator()(HttpResponse r) const {
    if (connected()) send_(std::move(r));
  }
  bool connected() const { return !alive_.expired(); }

 private:
  std::function<void(HttpResponse)> send_;
  std::weak_ptr<int> alive_;  // expires when the connection closes
};

class HttpEndpoint {
 public:
  using Responder = HttpResponder;
  using Handler = std::function<void(std::string_view path, Responder respond)>;
  static constexpr size_t kMaxHead = 16 * 1024;
  static constexpr size_t kMaxConnections = 64;
  static constexpr uint64_t kIdleMs = 60 * 1000;

  HttpEndpoint(uv_loop_t* loop, Handler handler);
  ~HttpEndpoint();
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  // Starts listening; false with *error (address in use ...).
  bool Listen(const std::string& address, int port, std::string* error);
  // The password requests must carry (empty: none).
  void set_password(std::string password) { password_ = std::move(password); }
  // Closes connections idle for kIdleMs (the server's cron calls it).
  void CloseIdle(uint64_t now_ms);
  size_t connections() const { return connections_.size(); }
  uint64_t requests() const { return requests_; }

  class Connection;  // one accepted socket (http_endpoint.cc)

 private:
  friend class Connection;
  static void OnAccept(uv_stream_t* listener, int status);
  void Forget(Connection* c);
  bool Authorized(std::string_view authorization) const;

  uv_loop_t* loop_;
  Handler handler_;
  std::string password_;
  UvHandle<uv_tcp_t> listener_;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
  uint64_t requests_ = 0;
};

}  // namespace runnel::server
