// Blocking XREAD across connections: woken by XADD, FIFO among waiters, timeouts that are never
// extended, DEL and type changes of a watched key, disconnects that leave nothing behind.
// Tests wait on observable state (INFO's blocked_clients), never on fixed sleeps.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "server_process.h"

using namespace runnel::testing;
using runnel::resp::Reply;

TEST_CASE("XREAD BLOCK 0 with $ is woken by an XADD from another connection") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient reader(server.port()), writer(server.port()), admin(server.port());
  writer.Call({"XADD", "s", "1-1", "old", "x"});
  reader.SendCommand({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  REQUIRE(WaitBlocked(admin, 1));
  CHECK(writer.Call({"XADD", "s", "2-1", "new", "y"}).str == "2-1");
  Reply r = reader.Read();
  REQUIRE(r.elements.size() == 1);
  CHECK(r.elements[0].elements[0].str == "s");
  REQUIRE(r.elements[0].elements[1].elements.size() == 1);  // only the new entry
  CHECK(r.elements[0].elements[1].elements[0].elements[0].str == "2-1");
  CHECK(BlockedClients(admin) == 0);
}

TEST_CASE("a blocked client's pipelined commands run after it is served") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient reader(server.port()), writer(server.port()), admin(server.port());
  reader.SendCommand({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  reader.SendCommand({"PING", "after"});
  REQUIRE(WaitBlocked(admin, 1));
  CHECK(reader.Silent(50));  // PING waits behind the blocked XREAD
  writer.Call({"XADD", "s", "1-1", "a", "1"});
  CHECK(reader.Read().elements.size() == 1);
  CHECK(reader.Read().str == "after");
}

TEST_CASE("every waiter on a key is served by one XADD, in arrival order") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient a(server.port()), b(server.port()), c(server.port()), admin(server.port());
  for (RawClient* r : {&a, &b, &c}) r->SendCommand({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  REQUIRE(WaitBlocked(admin, 3));
  admin.Call({"XADD", "s", "7-7", "k", "v"});
  for (RawClient* r : {&a, &b, &c}) {
    Reply got = r->Read();
    REQUIRE(got.elements.size() == 1);
    CHECK(got.elements[0].elements[1].elements[0].elements[0].str == "7-7");
  }
}

TEST_CASE("BLOCK times out with a null reply, not much later than asked") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient reader(server.port());
  auto start = std::chrono::steady_clock::now();
  reader.SendCommand({"XREAD", "BLOCK", "150", "STREAMS", "s", "$"});
  CHECK(reader.ReadRaw(3000) == "*-1\r\n");
  int64_t took = MsSince(start);
  CHECK(took >= 140);
  CHECK(took < 1500);
}

TEST_CASE("being woken without data does not extend the deadline") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient reader(server.port()), writer(server.port()), admin(server.port());
  auto start = std::chrono::steady_clock::now();
  reader.SendCommand({"XREAD", "BLOCK", "400", "STREAMS", "s", "9-9"});
  REQUIRE(WaitBlocked(admin, 1));
  // Entries below the requested ID wake the reader, which finds nothing and waits on.
  for (int i = 1; i <= 5; ++i) writer.Call({"XADD", "s", std::to_string(i) + "-1", "f", "v"});
  CHECK(reader.ReadRaw(3000) == "*-1\r\n");
  int64_t took = MsSince(start);
  CHECK(took >= 390);
  CHECK(took < 2000);
}

TEST_CASE("XREAD keeps waiting through DEL and a type change, as Redis does") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient reader(server.port()), admin(server.port());
  admin.Call({"XADD", "s", "1-1", "a", "1"});
  reader.SendCommand({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  REQUIRE(WaitBlocked(admin, 1));
  admin.Call({"DEL", "s"});
  CHECK(reader.Silent(50));
  CHECK(BlockedClients(admin) == 1);
  admin.Call({"SET", "s", "now a string"});
  CHECK(reader.Silent(50));
  CHECK(BlockedClients(admin) == 1);
  admin.Call({"DEL", "s"});
  admin.Call({"XADD", "s", "2-1", "b", "2"});
  Reply r = reader.Read();
  REQUIRE(r.elements.size() == 1);
  CHECK(r.elements[0].elements[1].elements[0].elements[0].str == "2-1");
}

TEST_CASE("a client that disconnects while blocked leaves nothing behind") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient admin(server.port());
  {
    RawClient reader(server.port());
    reader.SendCommand({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
    REQUIRE(WaitBlocked(admin, 1));
  }
  REQUIRE(WaitBlocked(admin, 0));
  CHECK(admin.Call({"XADD", "s", "1-1", "a", "1"}).str == "1-1");
  CHECK(admin.Call({"PING"}).str == "PONG");
}

TEST_CASE("XREAD BLOCK inside MULTI answers as a timeout instead of blocking") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient c(server.port());
  c.Call({"MULTI"});
  c.Call({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  c.SendCommand({"EXEC"});
  CHECK(c.ReadRaw() == "*1\r\n*-1\r\n");
}

TEST_CASE("FLUSHALL wakes nothing for XREAD but keeps waiters consistent") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient reader(server.port()), admin(server.port());
  reader.SendCommand({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  REQUIRE(WaitBlocked(admin, 1));
  admin.Call({"XADD", "other", "1-1", "a", "1"});
  admin.Call({"FLUSHALL"});
  CHECK(reader.Silent(50));
  admin.Call({"XADD", "s", "3-3", "a", "1"});
  CHECK(reader.Read().elements.size() == 1);
}

TEST_CASE("a BLOCK timeout never answers early, by the client's clock") {
  // Redis unblocks once the deadline, in whole milliseconds, has passed; measured from before
  // the command leaves the client to after its reply arrives, that is never less than the
  // timeout. (Runnel once answered BLOCK 100 after 99.4 ms: its deadline came from the loop's
  // cached clock, read before the command ran.)
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient c(server.port());
  REQUIRE(c.Call({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}).str == "OK");
  for (int timeout : {1, 2, 5, 10, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 100}) {
    CAPTURE(timeout);
    auto start = std::chrono::steady_clock::now();
    Reply r = c.Call(
        {"XREADGROUP", "GROUP", "g", "c", "BLOCK", std::to_string(timeout), "STREAMS", "s", ">"});
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    CHECK(r.is_null());
    CHECK(ms >= timeout);
  }
}
