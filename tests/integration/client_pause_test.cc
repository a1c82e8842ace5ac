// CLIENT PAUSE against the real binary, where connections pipeline: a held client's whole
// buffer runs before the next held client's, held clients and monitors outlive `timeout`, and
// INFO counts held clients as blocked.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

#include "dataset.h"
#include "server_process.h"

using namespace runnel::testing;

TEST_CASE("CLIENT PAUSE: each held client's pipeline runs whole, in arrival order") {
  ServerProcess server({"--save", ""});
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  RawClient a(server.port()), b(server.port()), c(server.port());
  CHECK(a.Call({"CLIENT", "PAUSE", "100000", "WRITE"}).str == "OK");
  b.SendCommand({"SET", "k", "1"});
  b.SendCommand({"GET", "k"});
  REQUIRE(WaitFor([&] { return InfoField(a, "blocked_clients") == "1"; }));
  c.SendCommand({"SET", "k", "2"});
  REQUIRE(WaitFor([&] { return InfoField(a, "blocked_clients") == "2"; }));
  CHECK(a.Call({"CLIENT", "UNPAUSE"}).str == "OK");
  CHECK(b.Read().str == "OK");
  CHECK(b.Read().str == "1");  // b's GET ran before c's SET
  CHECK(c.Read().str == "OK");
  CHECK(a.Call({"GET", "k"}).str == "2");
  CHECK(InfoField(a, "blocked_clients") == "0");
}

TEST_CASE("CLIENT PAUSE: timeout closes neither held clients nor monitors") {
  ServerProcess server({"--save", "", "--timeout", "1"});
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  RawClient a(server.port()), held(server.port()), monitor(server.port());
  CHECK(monitor.Call({"MONITOR"}).str == "OK");
  CHECK(a.Call({"CLIENT", "PAUSE", "100000", "WRITE"}).str == "OK");
  held.SendCommand({"SET", "idle", "1"});
  // Well past the timeout; `a` stays alive by talking.
  for (int i = 0; i < 25; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(a.Call({"PING"}).str == "PONG");
  }
  CHECK(a.Call({"CLIENT", "UNPAUSE"}).str == "OK");
  CHECK(held.Read().str == "OK");
  CHECK(a.Call({"GET", "idle"}).str == "1");
  // The monitor was fed every PING meanwhile, then the SET once it ran.
  bool fed = false;
  for (int i = 0; i < 40 && !fed; ++i) {
    fed = monitor.Read().str.find("\"SET\" \"idle\" \"1\"") != std::string::npos;
  }
  CHECK(fed);
}

TEST_CASE("CLIENT PAUSE WRITE holds PUBLISH and SPUBLISH, as redis-server does") {
  ServerProcess server({"--save", ""});
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  RawClient a(server.port()), publisher(server.port()), subscriber(server.port());
  subscriber.SendCommand({"SUBSCRIBE", "ch"});
  REQUIRE(subscriber.Read().type == runnel::resp::Reply::Type::kArray);
  CHECK(a.Call({"CLIENT", "PAUSE", "100000", "WRITE"}).str == "OK");
  publisher.SendCommand({"PUBLISH", "ch", "held"});
  REQUIRE(WaitFor([&] { return InfoField(a, "blocked_clients") == "1"; }));
  CHECK(a.Call({"PUBSUB", "NUMSUB", "ch"}).elements.at(1).integer == 1);  // reads still run
  RawClient shard(server.port());
  shard.SendCommand({"SPUBLISH", "sh", "held"});
  REQUIRE(WaitFor([&] { return InfoField(a, "blocked_clients") == "2"; }));
  CHECK(a.Call({"CLIENT", "UNPAUSE"}).str == "OK");
  CHECK(publisher.Read().integer == 1);
  CHECK(shard.Read().integer == 0);
  const auto message = subscriber.Read();
  REQUIRE(message.elements.size() == 3);
  CHECK(message.elements[2].str == "held");
}
