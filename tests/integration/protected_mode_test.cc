// protected-mode against the real binary: with no requirepass, a client from outside the
// loopback interface gets redis-server's -DENIED text and is disconnected; loopback clients,
// a password, or protected-mode no let it in. Needs an address other than loopback on this
// machine (found with getifaddrs); without one the test says so and checks nothing more.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "server_process.h"

using namespace runnel::testing;

namespace {

std::string OutsideAddress() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "";
  std::string found;
  for (ifaddrs* i = list; i != nullptr && found.empty(); i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    const auto* a = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    if ((ntohl(a->sin_addr.s_addr) >> 24) == 127) continue;
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    found = text;
  }
  freeifaddrs(list);
  return found;
}

// Sends `request` to address:port and returns everything read until the server closes the
// connection or 2 s pass.
std::string Exchange(const std::string& address, int port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, address.c_str(), &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "<no connection>";
  }
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)!write(fd, request.data(), request.size());
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) {
    out.append(buf, static_cast<size_t>(n));
    if (out.find("+PONG\r\n") != std::string::npos) break;  // served: no need to wait
  }
  close(fd);
  return out;
}

}  // namespace

TEST_CASE("protected-mode: outside clients are refused unless a password or 'no' says otherwise") {
  const std::string outside = OutsideAddress();
  if (outside.empty()) {
    MESSAGE("no address but loopback on this machine: protected-mode not exercised");
    return;
  }
  ServerProcess server({"--save", "", "--bind", "127.0.0.1 " + outside});
  REQUIRE(server.Start());
  const std::string denied = Exchange(outside, server.port(), "PING\r\n");
  CHECK(denied.rfind("-DENIED Redis is running in protected mode", 0) == 0);
  CHECK(denied.size() > 100);
  CHECK(denied.find("+PONG") == std::string::npos);  // closed without running anything
  RawClient local(server.port());
  CHECK(local.Call({"PING"}).str == "PONG");  // loopback is served
  CHECK(local.Call({"CONFIG", "GET", "protected-mode"}).elements.at(1).str == "yes");

  // A password: outside clients are let in (and must AUTH).
  CHECK(local.Call({"CONFIG", "SET", "requirepass", "pw"}).str == "OK");
  CHECK(Exchange(outside, server.port(), "PING\r\n").rfind("-NOAUTH", 0) == 0);
  CHECK(Exchange(outside, server.port(), "AUTH pw\r\nPING\r\n").find("+PONG\r\n") !=
        std::string::npos);
  CHECK(local.Call({"AUTH", "pw"}).str == "OK");
  CHECK(local.Call({"CONFIG", "SET", "requirepass", ""}).str == "OK");
  CHECK(Exchange(outside, server.port(), "PING\r\n").rfind("-DENIED", 0) == 0);
  // Protected mode asks whether the default user needs a password, however it got one.
  CHECK(local.Call({"ACL", "SETUSER", "default", ">pw2"}).str == "OK");
  CHECK(Exchange(outside, server.port(), "AUTH pw2\r\nPING\r\n").find("+PONG\r\n") !=
        std::string::npos);
  CHECK(local.Call({"ACL", "SETUSER", "default", "nopass"}).str == "OK");
  CHECK(Exchange(outside, server.port(), "PING\r\n").rfind("-DENIED", 0) == 0);

  // protected-mode no: anyone may connect.
  CHECK(local.Call({"CONFIG", "SET", "protected-mode", "no"}).str == "OK");
  CHECK(Exchange(outside, server.port(), "PING\r\n") == "+PONG\r\n");
}
