#include "server/listeners.h"

#include <sstream>

namespace runnel::server {

Listeners::Listeners(uv_loop_t* loop, Logger* log, uv_connection_cb on_connection, void* data,
                     std::string_view what)
    : loop_(loop), log_(log), on_connection_(on_connection), data_(data), what_(what) {}

bool Listeners::Open(std::string_view bind, int64_t port) {
  if (port == 0) return true;
  std::istringstream addresses{std::string(bind)};
  std::string address;
  while (addresses >> address) {
    const bool optional = address[0] == '-';
    if (!ListenOn(optional ? std::string_view(address).substr(1) : address, port, optional)) {
      Close();
      return false;
    }
  }
  return true;
}

void Listeners::Close() {
  // uv_close closes the socket at once (only the handle's memory waits for the callback), so
  // the same address can be bound again straight after.
  for (auto& s : sockets_) s.Close();
  sockets_.clear();
}

bool Listeners::Replace(std::string_view bind, int64_t port, std::string_view old_bind,
                        int64_t old_port) {
  // Closed first: the new set may want the very address:port an old socket holds.
  Close();
  if (Open(bind, port)) return true;
  if (!Open(old_bind, old_port)) {
    log_->Warning("Could not listen again on the previous addresses" + what_ +
                  "; clients cannot connect there until the setting is changed");
  }
  return false;
}

bool Listeners::ListenOn(std::string_view address, int64_t port, bool optional) {
  std::string host = address == "*" ? "0.0.0.0" : address == "::*" ? "::" : std::string(address);
  sockaddr_storage ss{};
  const bool v6 = host.find(':') != std::string::npos;
  int rc = v6 ? uv_ip6_addr(host.c_str(), static_cast<int>(port),
                            reinterpret_cast<sockaddr_in6*>(&ss))
              : uv_ip4_addr(host.c_str(), static_cast<int>(port),
                            reinterpret_cast<sockaddr_in*>(&ss));
  UvHandle<uv_tcp_t> socket;
  if (rc == 0) rc = uv_tcp_init(loop_, socket.get());
  if (rc == 0) {
    socket.MarkInitialised();
    socket.get()->data = data_;
    rc = uv_tcp_bind(socket.get(), reinterpret_cast<sockaddr*>(&ss), v6 ? UV_TCP_IPV6ONLY : 0);
  }
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(socket.get()), 511, on_connection_);
  if (rc != 0) {
    std::string msg = "Could not listen on " + host + ":" + std::to_string(port) + what_ +
                      ": " + uv_strerror(rc);
    if (optional) {
      log_->Notice(msg + " (optional address, skipped)");
      return true;
    }
    log_->Warning(msg);
    return false;
  }
  sockets_.push_back(std::move(socket));
  return true;
}

}  // namespace runnel::server
