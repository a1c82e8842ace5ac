// maxmemory against the real server: a producer burst against a consumer that is not keeping
// up stops at the limit with -OOM (the process stays within it, RSS measured), the consumer
// drains the backlog with the commands that stay allowed, producing resumes, and every entry
// the server accepted is there, also after a restart from the log.
#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/dataset.h"
#include "tests/integration/server_process.h"

using runnel::resp::Reply;

namespace runnel::testing {
namespace {

constexpr uint64_t kLimit = 32ull << 20;
const std::string kOom = "OOM command not allowed when used memory > 'maxmemory'.";

// VmRSS of a process, in bytes (0 if it cannot be read).
uint64_t ResidentBytesOf(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

// Sends `n` XADDs of 1 KB in one write and reads their replies: accepted IDs go to *ids;
// returns how many were refused with -OOM (any other reply fails the test).
int ProduceBatch(RawClient& producer, int n, std::vector<std::string>* ids) {
  static const std::string value(1024, 'v');
  std::string batch;
  for (int i = 0; i < n; ++i) {
    batch += "*5\r\n$4\r\nXADD\r\n$1\r\nq\r\n$1\r\n*\r\n$1\r\nf\r\n$1024\r\n" + value + "\r\n";
  }
  producer.Send(batch);
  int refused = 0;
  for (int i = 0; i < n; ++i) {
    Reply r = producer.Read();
    if (r.type == Reply::Type::kBulk) {
      ids->push_back(r.str);
    } else {
      REQUIRE(r.str == kOom);
      ++refused;
    }
  }
  return refused;
}

TEST_CASE("maxmemory: a burst stops at the limit, consumers drain it, nothing accepted is lost") {
  ServerProcess server({"--maxmemory", std::to_string(kLimit), "--appendfsync", "everysec"});
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  RawClient producer(server.port()), consumer(server.port()), admin(server.port());
  REQUIRE(consumer.Call({"XGROUP", "CREATE", "q", "g", "$", "MKSTREAM"}).str == "OK");
  const uint64_t rss_start = ResidentBytesOf(server.pid());

  std::vector<std::string> ids;
  int refused = 0;
  while (refused == 0) {
    refused = ProduceBatch(producer, 200, &ids);
    REQUIRE(ids.size() < kLimit / 1024);  // 1 KB each: the limit must stop it before that
  }
  // Producing on, while the consumer is away: everything is refused, memory stays put.
  for (int i = 0; i < 5; ++i) CHECK(ProduceBatch(producer, 200, &ids) == 200);
  const uint64_t used = std::stoull(InfoField(admin, "used_memory"));
  const uint64_t rss = ResidentBytesOf(server.pid());
  MESSAGE("accepted " << ids.size() << " entries of 1 KB; used_memory " << used
                      << ", RSS " << rss << " (" << rss_start << " at start), maxmemory "
                      << kLimit);
  CHECK(used <= kLimit + (1 << 20));  // past the limit by at most one pipelined batch
  CHECK(used >= kLimit - (2 << 20));  // and it was the limit that stopped it
#if !defined(RUNNEL_SANITIZE)  // the sanitizer's quarantine keeps freed memory resident
  CHECK(rss <= rss_start + kLimit + (16 << 20));
#endif
  CHECK(InfoField(admin, "maxmemory") == std::to_string(kLimit));
  CHECK(InfoField(admin, "maxmemory_policy") == "noeviction");

  // The consumer reads, acknowledges and deletes in batches; producing resumes once enough
  // memory is free.
  std::set<std::string> deleted;
  bool accepted = false;
  while (!accepted && deleted.size() < ids.size()) {
    Reply read = consumer.Call(
        {"XREADGROUP", "GROUP", "g", "c", "COUNT", "1000", "STREAMS", "q", ">"});
    REQUIRE(read.type == Reply::Type::kArray);
    std::vector<std::string> ack = {"XACK", "q", "g"}, del = {"XDEL", "q"};
    for (const Reply& entry : read.elements.at(0).elements.at(1).elements) {
      ack.push_back(entry.elements.at(0).str);
      del.push_back(entry.elements.at(0).str);
      deleted.insert(entry.elements.at(0).str);
    }
    CHECK(consumer.Call(ack).integer == static_cast<int64_t>(ack.size() - 3));
    CHECK(consumer.Call(del).integer == static_cast<int64_t>(del.size() - 2));
    accepted = ProduceBatch(producer, 1, &ids) == 0;
  }
  CHECK(accepted);
  CHECK(deleted.size() < ids.size());  // it resumed before the stream was empty

  // Exactly the accepted entries that were not deleted, live and after a restart.
  std::vector<std::string> expected;
  for (const std::string& id : ids) {
    if (deleted.count(id) == 0) expected.push_back(id);
  }
  // Read in pages: one 30 MB reply could outlast a read timeout on a loaded machine.
  auto remaining = [&](RawClient& c) {
    std::vector<std::string> out;
    std::string start = "-";
    for (;;) {
      Reply page = c.Call({"XRANGE", "q", start, "+", "COUNT", "2000"}, 20000);
      REQUIRE(page.type == Reply::Type::kArray);
      for (const Reply& e : page.elements) out.push_back(e.elements.at(0).str);
      if (page.elements.size() < 2000) return out;
      start = "(" + out.back();
    }
  };
  const std::vector<std::string> live = remaining(admin);
  CHECK(live.size() == expected.size());
  CHECK(live == expected);
  REQUIRE(server.Stop() == 0);
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  RawClient after(server.port());
  const std::vector<std::string> restarted = remaining(after);
  CHECK(restarted.size() == expected.size());
  CHECK(restarted == expected);
}

// A client that asks for 32 MB of replies and does not read them: past maxmemory-clients it is
// closed, largest first, while a CLIENT NO-EVICT client doing the same and an idle client stay.
TEST_CASE("maxmemory-clients: the client holding the most is closed, NO-EVICT ones are not") {
  ServerProcess server({"--maxmemory-clients", "8mb"});
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  RawClient admin(server.port()), hog(server.port()), spared(server.port()), idle(server.port());
  REQUIRE(admin.Call({"SET", "big", std::string(1 << 20, 'b')}).str == "OK");
  REQUIRE(spared.Call({"CLIENT", "NO-EVICT", "on"}).str == "OK");
  std::string gets;
  for (int i = 0; i < 32; ++i) gets += "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n";
  spared.Send(gets);
  // The spared client's replies alone pass the limit (what the socket does not take stays in
  // the server): it is counted but not closed, and the clients holding nothing are not closed.
  auto spared_omem = [&] {
    const std::string list = admin.Call({"CLIENT", "LIST"}).str;
    const size_t line = list.find("flags=e");
    const size_t omem = list.find(" omem=", line);
    return line == std::string::npos ? 0 : std::stoull(list.substr(omem + 6));
  };
  REQUIRE(WaitFor([&] { return spared_omem() > (8u << 20); }));
  CHECK(InfoField(admin, "evicted_clients") == "0");
  CHECK(idle.Call({"PING"}).str == "PONG");
  hog.Send(gets);
  CHECK(hog.WaitClosed(10000));
  CHECK(InfoField(admin, "evicted_clients") == "1");
  CHECK(idle.Call({"PING"}).str == "PONG");
  CHECK(spared.Read().str.size() == 1u << 20);  // still connected: its replies arrive
  CHECK(server.Log().find("Evicting client: ") != std::string::npos);
  CHECK(admin.Call({"CONFIG", "RESETSTAT"}).str == "OK");
  CHECK(InfoField(admin, "evicted_clients") == "0");
}

// A value still arriving counts as the client's memory: a client that announces a 20 MB SET and
// sends 5 MB of it is closed at a 1 MB maxmemory-clients.
TEST_CASE("maxmemory-clients counts the arguments of a command still arriving") {
  ServerProcess server({"--maxmemory-clients", "1mb"});
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  RawClient admin(server.port()), sender(server.port());
  sender.Send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$20000000\r\n" + std::string(5 << 20, 'v'));
  CHECK(sender.WaitClosed(10000));
  CHECK(InfoField(admin, "evicted_clients") == "1");
  CHECK(admin.Call({"EXISTS", "k"}).integer == 0);
}

}  // namespace
}  // namespace runnel::testing
