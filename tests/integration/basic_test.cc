// Smoke tests through a real connection: start, PING, a stream round trip, clean shutdown.
#include <doctest/doctest.h>

#include "server_process.h"

using namespace runnel::testing;

TEST_CASE("server starts, answers and shuts down cleanly on SIGTERM") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient c(server.port());
  REQUIRE(c.connected());
  CHECK(c.Call({"PING"}).str == "PONG");
  CHECK(c.Call({"XADD", "s", "1-1", "f", "v"}).str == "1-1");
  CHECK(c.Call({"XLEN", "s"}).integer == 1);
  CHECK(server.Stop() == 0);
  CHECK(server.Log().find("Runnel is now ready to exit") != std::string::npos);
}
