// Many connections and badly behaved ones: 10,000 clients served at once (and the one past
// maxclients refused with Redis's error), a thousand clients stalled half-way through a command
// while others are served, their commands completing when the rest arrives, and `timeout`
// closing the stalled ones. Throughput with 10,000 connections is a benchmark
// (tools/bench --only connections), not asserted here.
#include <doctest/doctest.h>
#include <sys/resource.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/integration/dataset.h"
#include "tests/integration/server_process.h"

namespace runnel::testing {
namespace {

// Raises this process's open-file limit to `wanted` if the hard limit allows; false if not.
bool RaiseFileLimit(rlim_t wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  if (limit.rlim_cur >= wanted) return true;
  if (limit.rlim_max < wanted) return false;
  limit.rlim_cur = wanted;
  return setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

TEST_CASE("10,000 clients at once are all served; the next one is refused as Redis does") {
  constexpr int kClients = 10000;
  if (!RaiseFileLimit(kClients + 200)) {
    MESSAGE("the open-file hard limit is below 10,200: skipped");
    return;
  }
  ServerProcess server({"--maxclients", std::to_string(kClients)});
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  std::vector<std::unique_ptr<RawClient>> clients;
  clients.reserve(kClients);
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<RawClient>(server.port()));
    REQUIRE(clients.back()->connected());
  }
  // Every one sends before any reads: the server has all of them in flight at once.
  for (int i = 0; i < kClients; ++i) {
    clients[i]->SendCommand({"XADD", "s", "*", "client", std::to_string(i)});
  }
  int served = 0;
  for (auto& c : clients) served += c->Read(20000).type == resp::Reply::Type::kBulk;
  CHECK(served == kClients);
  CHECK(clients[0]->Call({"XLEN", "s"}).integer == kClients);
  CHECK(InfoField(*clients[0], "connected_clients") == std::to_string(kClients));
  RawClient extra(server.port());
  CHECK(extra.Read().str == "ERR max number of clients reached");
  CHECK(extra.WaitClosed());
}

TEST_CASE("clients stalled half-way through a command do not hold up anyone else") {
  constexpr int kStalled = 1000;
  REQUIRE(RaiseFileLimit(kStalled + 200));
  ServerProcess server({"--timeout", "2"});
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  std::vector<std::unique_ptr<RawClient>> stalled;
  for (int i = 0; i < kStalled; ++i) {
    stalled.push_back(std::make_unique<RawClient>(server.port()));
    // A SET whose value stops after 3 of its 10 bytes, and one whose header stops mid-line.
    stalled.back()->Send(i % 2 ? "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nabc"
                               : "*3\r\n$3\r\nXADD\r\n$1");
  }
  RawClient other(server.port());
  for (int i = 0; i < 100; ++i) {
    CHECK(other.Call({"XADD", "served", "*", "n", std::to_string(i)}).type ==
          resp::Reply::Type::kBulk);
  }
  CHECK(other.Call({"XLEN", "served"}).integer == 100);
  CHECK(other.Call({"EXISTS", "k"}).integer == 0);  // no half command ran
  // The rest arrives: the command completes as if it had come in one piece.
  stalled[1]->Send("defghij\r\n");
  CHECK(stalled[1]->Read().str == "OK");
  CHECK(other.Call({"GET", "k"}).str == "abcdefghij");
  // The others stay silent; after `timeout` seconds the server closes them.
  for (int i = 2; i < kStalled; i += 100) CHECK(stalled[i]->WaitClosed(10000));
  RawClient fresh(server.port());
  CHECK(fresh.Call({"XLEN", "served"}).integer == 100);
}

}  // namespace
}  // namespace runnel::testing
