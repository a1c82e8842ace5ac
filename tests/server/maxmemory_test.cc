// Above maxmemory, which commands the dispatcher refuses with -OOM and which it lets through,
// as redis-server decides (deny-oom flags, MULTI queueing, EXEC of a deny-oom queue). The
// harness says whether memory is over the limit; the server's own measure is tested in
// tests/integration/maxmemory_test.cc.
#include <doctest/doctest.h>

#include <string>

#include "tests/server/harness.h"

using runnel::resp::Reply;
using runnel::testing::Harness;

namespace {

const std::string kOom = "OOM command not allowed when used memory > 'maxmemory'.";

bool IsOom(const Reply& r) { return r.type == Reply::Type::kError && r.str == kOom; }

}  // namespace

TEST_CASE("over maxmemory: commands that add data are refused, draining ones run") {
  Harness h;
  CHECK(h.Run({"XADD", "s", "1-1", "f", "v"}).str == "1-1");
  CHECK(h.Run({"XADD", "s", "2-1", "f", "v"}).str == "2-1");
  CHECK(h.Run({"XGROUP", "CREATE", "s", "g", "0"}).str == "OK");
  h.over_memory_limit = true;
  CHECK(IsOom(h.Run({"XADD", "s", "3-1", "f", "v"})));
  CHECK(IsOom(h.Run({"SET", "k", "v"})));
  CHECK(IsOom(h.Run({"XGROUP", "CREATECONSUMER", "s", "g", "c2"})));
  CHECK(IsOom(h.Run({"XSETID", "s", "9-9"})));
  // Consumers keep reading, acknowledging and deleting what they handled.
  CHECK(h.Run({"XLEN", "s"}).integer == 2);
  Reply read = h.Run({"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">"});
  CHECK(read.type == Reply::Type::kArray);
  CHECK(h.Run({"XACK", "s", "g", "1-1"}).integer == 1);
  CHECK(h.Run({"XDEL", "s", "1-1"}).integer == 1);
  CHECK(h.Run({"XTRIM", "s", "MAXLEN", "0"}).integer == 1);
  CHECK(h.Run({"PING"}).str == "PONG");
  CHECK(h.Run({"DEL", "s"}).integer == 1);
  h.over_memory_limit = false;
  CHECK(h.Run({"XADD", "s", "3-1", "f", "v"}).str == "3-1");
}

TEST_CASE("over maxmemory: MULTI queues nothing, and an EXEC of a deny-oom queue is refused") {
  Harness h;
  h.over_memory_limit = true;
  CHECK(h.Run({"MULTI"}).str == "OK");
  CHECK(IsOom(h.Run({"GET", "k"})));  // even a read: the queue itself takes memory
  Reply aborted = h.Run({"EXEC"});
  CHECK(aborted.str == "EXECABORT Transaction discarded because of previous errors.");
  CHECK(h.Run({"MULTI"}).str == "OK");
  CHECK(h.Run({"EXEC"}).elements.empty());  // EXEC and DISCARD stay allowed

  // Queued below the limit, executed above it.
  h.over_memory_limit = false;
  CHECK(h.Run({"MULTI"}).str == "OK");
  CHECK(h.Run({"SET", "k", "v"}).str == "QUEUED");
  h.over_memory_limit = true;
  Reply exec = h.Run({"EXEC"});
  CHECK(exec.str == "EXECABORT Transaction discarded because of: " + kOom);
  CHECK(h.Run({"GET", "k"}).type == Reply::Type::kNull);
  // A queue of reads runs.
  h.over_memory_limit = false;
  CHECK(h.Run({"MULTI"}).str == "OK");
  CHECK(h.Run({"GET", "k"}).str == "QUEUED");
  h.over_memory_limit = true;
  CHECK(h.Run({"EXEC"}).elements.size() == 1);
}

TEST_CASE("maxmemory-policy: noeviction only; an evicting policy is refused, a bad one as Redis") {
  Harness h;
  CHECK(h.Run({"CONFIG", "SET", "maxmemory", "100mb"}).str == "OK");
  CHECK(h.Run({"CONFIG", "GET", "maxmemory"}).elements.at(1).str == "104857600");
  CHECK(h.Run({"CONFIG", "SET", "maxmemory-policy", "NoEviction"}).str == "OK");
  Reply lru = h.Run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"});
  CHECK(lru.type == Reply::Type::kError);
  CHECK(lru.str.find("'noeviction' is the only maxmemory-policy") != std::string::npos);
  Reply bad = h.Run({"CONFIG", "SET", "maxmemory-policy", "sometimes"});
  CHECK(bad.str.find("must be one of the following: volatile-lru,") != std::string::npos);
  CHECK(h.Run({"CONFIG", "GET", "maxmemory-policy"}).elements.at(1).str == "noeviction");
  CHECK(h.Run({"CONFIG", "SET", "maxmemory", "-1"}).type == Reply::Type::kError);
}
