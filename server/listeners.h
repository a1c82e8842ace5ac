// Listeners: the sockets clients connect to for one kind of port — one per `bind` address at
// `port`, or at `tls-port` — so that CONFIG SET port / tls-port / bind can replace them while
// the server runs.
//
// Invariant: a Listeners is either listening on every address its bind list requires or on
// none (Open is all or nothing); an address written "-addr" is optional and skipped, logged, if
// it cannot be bound, as redis-server does.
#pragma once

#include <uv.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/logger.h"
#include "server/uv_handle.h"

namespace runnel::server {

class Listeners {
 public:
  // `on_connection` runs for each new client, with the listener's data set to `data`; `what`
  // names the kind in log lines ("" or " (TLS)").
  Listeners(uv_loop_t* loop, Logger* log, uv_connection_cb on_connection, void* data,
            std::string_view what);

  // Listens at `port` on each address of `bind` (nothing at port 0). False if a required
  // address could not be bound; then nothing is left open.
  bool Open(std::string_view bind, int64_t port);
  void Close();
  bool empty() const { return sockets_.empty(); }

  // Closes these and opens them at bind/port instead; if that fails, opens the old ones again
  // (the caller passes them) and returns false.
  bool Replace(std::string_view bind, int64_t port, std::string_view old_bind, int64_t old_port);

 private:
  bool ListenOn(std::string_view address, int64_t port, bool optional);

  uv_loop_t* loop_;
  Logger* log_;
  uv_connection_cb on_connection_;
  void* data_;
  std::string what_;
  std::vector<UvHandle<uv_tcp_t>> sockets_;
};

}  // namespace runnel::server
