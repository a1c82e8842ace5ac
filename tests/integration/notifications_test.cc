// Keyspace notifications for what only Runnel does (docs/queues.md lists the events): delayed
// entries scheduled, cancelled and appended, dead letters, retention age-out, consumer expiry
// and group policies, each published on __keyevent@<db>__:<event> (and __keyspace@<db>__:<key>)
// when notify-keyspace-events enables the stream class. The events Redis itself defines are
// compared byte for byte with redis-server in tests/diff/scripts/51_notifications.redis.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "server_process.h"

using namespace runnel::testing;
using runnel::resp::Reply;

namespace {

// The next keyevent message: "event key".
std::string NextEvent(RawClient& sub) {
  Reply m = sub.Read();
  REQUIRE(m.elements.size() == 4);
  std::string channel = m.elements[2].str;
  return channel.substr(channel.find(':') + 1) + " " + m.elements[3].str;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

TEST_CASE("notifications: Runnel's queue extensions publish their own events") {
  ServerProcess server({"--notify-keyspace-events", "Egtn"});
  REQUIRE(server.Start());
  RawClient c(server.port()), sub(server.port());
  sub.Call({"PSUBSCRIBE", "__keyevent@0__:*"});

  // Delayed entries: scheduled, cancelled, appended when due.
  std::string handle = c.Call({"XADD", "jobs", "DELAY", "3600000", "*", "a", "1"}).str;
  CHECK(NextEvent(sub) == "new jobs");
  CHECK(NextEvent(sub) == "xschedule jobs");
  c.Call({"XSCHEDULE", "CANCEL", "jobs", handle});
  CHECK(NextEvent(sub) == "xunschedule jobs");
  c.Call({"XADD", "jobs", "DELAY", "50", "*", "a", "2"});
  CHECK(NextEvent(sub) == "xschedule jobs");
  CHECK(NextEvent(sub) == "xadd jobs");  // appended by the server when due

  // A group policy and a dead letter (the dead-letter stream is created by it).
  c.Call({"XGROUP", "CREATE", "jobs", "g", "0"});
  CHECK(NextEvent(sub) == "xgroup-create jobs");
  c.Call({"XGROUP", "SETPOLICY", "jobs", "g", "MAXDELIVERIES", "1", "DEADLETTER", "dead",
          "CONSUMER-EXPIRE", "100"});
  CHECK(NextEvent(sub) == "xgroup-setpolicy jobs");
  Reply read = c.Call({"XREADGROUP", "GROUP", "g", "w", "STREAMS", "jobs", ">"});
  CHECK(NextEvent(sub) == "xgroup-createconsumer jobs");
  std::string id = read.elements[0].elements[1].elements[0].elements[0].str;
  c.Call({"XNACK", "jobs", "g", "FATAL", "IDS", "1", id});
  CHECK(NextEvent(sub) == "new dead");
  CHECK(NextEvent(sub) == "xadd dead");

  // Consumer expiry by the cron: w has nothing pending now.
  CHECK(NextEvent(sub) == "xgroup-delconsumer jobs");

  // Retention: old entries aged out by the cron.
  c.Call({"XADD", "old", std::to_string(NowMs() - 60000) + "-0", "a", "1"});
  CHECK(NextEvent(sub) == "new old");
  CHECK(NextEvent(sub) == "xadd old");
  c.Call({"XCFGSET", "old", "RETENTION-MS", "1000"});
  CHECK(NextEvent(sub) == "xtrim old");
  CHECK(c.Call({"XLEN", "old"}).integer == 0);
}
