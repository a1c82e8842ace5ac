// CLIENT UNBLOCK and CLIENT NO-TOUCH against the real binary: unblocking another connection's
// read (as a timeout, or with an error), and a connection whose lookups leave access times be.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

#include "dataset.h"
#include "server_process.h"

using namespace runnel::testing;
using runnel::resp::Reply;

TEST_CASE("CLIENT UNBLOCK answers another connection's blocked read, as a timeout or an error") {
  ServerProcess server({"--save", ""});
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  RawClient c(server.port()), reader(server.port());
  const std::string id = std::to_string(reader.Call({"CLIENT", "ID"}).integer);
  CHECK(c.Call({"CLIENT", "UNBLOCK", id}).integer == 0);  // not blocked
  reader.SendCommand({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  REQUIRE(WaitBlocked(c, 1));
  CHECK(c.Call({"CLIENT", "UNBLOCK", id}).integer == 1);
  CHECK(reader.Read().type == Reply::Type::kNull);
  reader.SendCommand({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  REQUIRE(WaitBlocked(c, 1));
  CHECK(c.Call({"CLIENT", "UNBLOCK", id, "ERROR"}).integer == 1);
  CHECK(reader.Read().str == "UNBLOCKED client unblocked via CLIENT UNBLOCK");
  CHECK(InfoField(c, "blocked_clients") == "0");
  CHECK(InfoField(c, "errorstat_UNBLOCKED") == "count=1");
}

TEST_CASE("CLIENT NO-TOUCH: lookups leave OBJECT IDLETIME growing; TOUCH still touches") {
  ServerProcess server({"--save", ""});
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  RawClient c(server.port());
  CHECK(c.Call({"SET", "k", "v"}).str == "OK");
  CHECK(c.Call({"CLIENT", "NO-TOUCH", "on"}).str == "OK");
  CHECK(c.Call({"CLIENT", "INFO"}).str.find("flags=T") != std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  CHECK(c.Call({"GET", "k"}).str == "v");
  CHECK(c.Call({"OBJECT", "IDLETIME", "k"}).integer >= 2);  // the GET did not touch it
  CHECK(c.Call({"TOUCH", "k"}).integer == 1);
  CHECK(c.Call({"OBJECT", "IDLETIME", "k"}).integer == 0);
  CHECK(c.Call({"CLIENT", "NO-TOUCH", "off"}).str == "OK");
}
