// CLIENT PAUSE and MONITOR in the dispatcher: what waits, when held commands run and in what
// order, that the dataset stays as it is meanwhile, and what a monitor is sent.
#include <doctest/doctest.h>

#include <string>

#include "tests/server/harness.h"

using runnel::resp::Reply;
using runnel::testing::Harness;

TEST_CASE("CLIENT PAUSE WRITE: reads run, writes wait and run in order when the time is up") {
  Harness h;
  CHECK(h.Run({"SET", "k", "old"}).str == "OK");
  CHECK(h.Run({"CLIENT", "PAUSE", "1000", "WRITE"}).str == "OK");
  h.Send({"SET", "k", "one"}, 1);
  h.Send({"SET", "k", "two"}, 2);
  CHECK(h.Take(1).empty());
  CHECK(h.client(1).postponed);
  CHECK(h.Run({"GET", "k"}, 3).str == "old");
  h.Advance(999);
  CHECK(h.Take(2).empty());
  h.Advance(1);  // the pause's end
  CHECK(h.Take(1).at(0).str == "OK");
  CHECK(h.Take(2).at(0).str == "OK");
  CHECK(h.client(1).resumed);
  CHECK(h.Run({"GET", "k"}).str == "two");  // arrival order
}

TEST_CASE("CLIENT PAUSE: the mode is replaced, the end only moves later; UNPAUSE ends it") {
  Harness h;
  CHECK(h.Run({"CLIENT", "PAUSE", "500", "WRITE"}).str == "OK");
  CHECK(h.Run({"CLIENT", "PAUSE", "100", "ALL"}).str == "OK");
  h.Send({"PING"}, 1);  // ALL: even PING waits
  h.Advance(200);
  CHECK(h.Take(1).empty());
  h.Advance(300);
  CHECK(h.Take(1).at(0).str == "PONG");
  CHECK(h.Run({"CLIENT", "PAUSE", "100000"}).str == "OK");
  h.Send({"CLIENT", "UNPAUSE"}, 1);  // held as well: ALL holds everyone
  CHECK(h.Take(1).empty());
  h.Advance(100000);
  CHECK(h.Take(1).at(0).str == "OK");
}

TEST_CASE("CLIENT PAUSE: nothing expires or fires meanwhile; a lookup sees the key gone") {
  Harness h;
  CHECK(h.Run({"SET", "k", "v", "PX", "50"}).str == "OK");
  CHECK(h.Run({"XADD", "s", "DELAY", "100", "*", "f", "v"}).type == Reply::Type::kBulk);
  const size_t records = h.records.size();
  CHECK(h.Run({"CLIENT", "PAUSE", "1000", "WRITE"}).str == "OK");
  h.Advance(500);
  CHECK(h.Run({"GET", "k"}).is_null());  // past its TTL: reads as missing
  CHECK(h.Run({"XLEN", "s"}).integer == 0);
  CHECK(h.records.size() == records);  // no DEL, no delayed append: the log stands still
  h.Advance(600);
  CHECK(h.Run({"XLEN", "s"}).integer == 1);
  CHECK(h.Run({"EXISTS", "k"}).integer == 0);
}

TEST_CASE("MONITOR: a line per command after it ran; admin and refused commands are not sent") {
  Harness h;
  CHECK(h.Run({"MONITOR"}, 1).str == "OK");
  CHECK(h.Run({"SET", "k", std::string("a\"\\\x01\xff", 5)}).str == "OK");
  CHECK(h.Run({"CONFIG", "GET", "maxmemory"}).type == Reply::Type::kArray);
  CHECK(h.Run({"GET"}).is_error());
  CHECK(h.Run({"AUTH", "secret"}).is_error());
  CHECK(h.Run({"SELECT", "2"}).str == "OK");
  const auto lines = h.Take(1);
  REQUIRE(lines.size() == 3);
  auto body = [](const Reply& r) { return r.str.substr(r.str.find(' ') + 1); };
  CHECK(body(lines[0]) == "[0 127.0.0.1:1] \"SET\" \"k\" \"a\\\"\\\\\\x01\\xff\"");
  CHECK(body(lines[1]) == "[0 127.0.0.1:1] \"AUTH\" \"(redacted)\"");
  CHECK(body(lines[2]) == "[2 127.0.0.1:1] \"SELECT\" \"2\"");
  // A monitor is kept from the keyspace; RESET ends monitoring.
  CHECK(h.Run({"GET", "k"}, 1).str == "ERR Replica can't interact with the keyspace");
  CHECK(h.Run({"RESET"}, 1).str == "RESET");
  CHECK(h.Run({"PING"}).str == "PONG");
  CHECK(h.Take(1).empty());
}

TEST_CASE("CLIENT PAUSE: a held command of a client that closed never runs") {
  Harness h;
  CHECK(h.Run({"CLIENT", "PAUSE", "1000", "WRITE"}).str == "OK");
  h.Send({"SET", "k", "v"}, 1);
  h.Disconnect(1);
  CHECK(h.Run({"CLIENT", "UNPAUSE"}).str == "OK");
  CHECK(h.Run({"EXISTS", "k"}).integer == 0);
}

TEST_CASE("CLIENT UNPAUSE inside EXEC: held commands run after the transaction, in order") {
  Harness h;
  CHECK(h.Run({"SET", "k", "old"}).str == "OK");
  CHECK(h.Run({"CLIENT", "PAUSE", "100000", "WRITE"}).str == "OK");
  h.Send({"SET", "k", "new"}, 1);
  CHECK(h.Run({"MULTI"}).str == "OK");
  h.Send({"GET", "k"});
  h.Send({"CLIENT", "UNPAUSE"});
  h.Send({"GET", "k"});
  h.Send({"EXEC"});
  const auto replies = h.Take();
  REQUIRE(!replies.empty());
  const Reply& exec = replies.back();
  REQUIRE(exec.elements.size() == 3);
  CHECK(exec.elements[0].str == "old");
  CHECK(exec.elements[2].str == "old");  // the held SET had not run inside the transaction
  CHECK(h.Take(1).at(0).str == "OK");    // it ran after it
  CHECK(h.Run({"GET", "k"}).str == "new");
}

TEST_CASE("A monitor is never held by CLIENT PAUSE ALL, as redis-server never holds replicas") {
  Harness h;
  CHECK(h.Run({"MONITOR"}, 1).str == "OK");
  CHECK(h.Run({"CLIENT", "PAUSE", "100000", "ALL"}).str == "OK");
  h.Send({"PING"}, 1);
  const auto replies = h.Take(1);
  REQUIRE(replies.size() == 2);  // its PONG, then the feed of its own PING
  CHECK(replies[0].str == "PONG");
  CHECK(replies[1].str.find("\"PING\"") != std::string::npos);
}

TEST_CASE("MONITOR: after CLIENT REPLY SKIP or OFF the feed is silent, as in redis-server") {
  Harness h;
  CHECK(h.Run({"MONITOR"}, 1).str == "OK");
  h.Send({"CLIENT", "REPLY", "SKIP"}, 1);
  auto own = h.Take(1);  // no reply, but its own line
  REQUIRE(own.size() == 1);
  CHECK(own[0].str.find("\"REPLY\" \"SKIP\"") != std::string::npos);
  CHECK(h.Run({"SET", "a", "1"}).str == "OK");
  CHECK(h.Run({"SET", "b", "2"}).str == "OK");
  CHECK(h.Take(1).empty());  // silent until the monitor's next command
  h.Send({"CLIENT", "REPLY", "OFF"}, 1);  // that command: skipped, its line too
  CHECK(h.Run({"SET", "c", "3"}).str == "OK");
  CHECK(h.Take(1).empty());
  h.Send({"CLIENT", "REPLY", "ON"}, 1);
  auto on = h.Take(1);
  REQUIRE(on.size() == 2);
  CHECK(on[0].str == "OK");
  CHECK(on[1].str.find("\"REPLY\" \"ON\"") != std::string::npos);
  CHECK(h.Run({"QUIT"}).str == "OK");
  CHECK(h.Take(1).at(0).str.find("\"QUIT\"") != std::string::npos);  // QUIT is fed in 7.0
}
