// The process as an operator sees it: configuration errors stop the start with a message that
// names the key; SIGINT, SIGTERM and SHUTDOWN stop it cleanly; limits on clients hold; a client
// that never reads its replies does not stall anyone else.
#include <doctest/doctest.h>
#include <signal.h>

#include <fstream>
#include <string>
#include <vector>

#include "server_process.h"

using namespace runnel::testing;
using runnel::resp::Reply;

TEST_CASE("bad configuration stops the start and names the key") {
  ServerProcess bad_flag({"--no-such-key", "1"});
  CHECK_FALSE(bad_flag.Start(3000));
  CHECK(bad_flag.Log().find("no-such-key") != std::string::npos);

  ServerProcess bad_value({"--stream-node-max-entries", "lots"});
  CHECK_FALSE(bad_value.Start(3000));
  CHECK(bad_value.Log().find("stream-node-max-entries") != std::string::npos);
}

TEST_CASE("a TOML file is read, and flags win over it") {
  std::string path = "/tmp/runnel-it-" + std::to_string(getpid()) + ".toml";
  {
    std::ofstream f(path);
    f << "# test config\nstream-node-max-entries = 7\ntimeout = 0\n";
  }
  {
    ServerProcess server({"--stream-node-max-bytes", "2kb", "--stream-node-max-entries", "9"},
                         path);
    REQUIRE(server.Start());
    RawClient c(server.port());
    Reply r = c.Call({"CONFIG", "GET", "stream-node-max-*"});
    REQUIRE(r.elements.size() == 4);
    CHECK(r.elements[1].str == "9");     // the flag beat the file's 7
    CHECK(r.elements[3].str == "2048");  // from the flag, in Redis units
  }
  {
    std::ofstream f(path);
    f << "port = 1\n\nloglevel = \"chatty\"\n";
  }
  ServerProcess server({}, path);
  CHECK_FALSE(server.Start(3000));
  CHECK(server.Log().find("line 3") != std::string::npos);
  CHECK(server.Log().find("loglevel") != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("SIGINT, SIGTERM and SHUTDOWN all exit 0 after closing clients") {
  for (int sig : {SIGINT, SIGTERM}) {
    ServerProcess server;
    REQUIRE(server.Start());
    RawClient c(server.port());
    CHECK(c.Call({"PING"}).str == "PONG");
    CHECK(server.Stop(sig) == 0);
    CHECK(c.WaitClosed());
  }
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient c(server.port());
  c.SendCommand({"SHUTDOWN"});
  CHECK(c.WaitClosed());
  CHECK(server.WaitExit() == 0);
}

TEST_CASE("maxclients: one client too many gets Redis's error") {
  ServerProcess server({"--maxclients", "2"});
  REQUIRE(server.Start());
  RawClient a(server.port());
  // The start-up probe's connection may still be closing: wait until `a` is alone.
  REQUIRE(WaitFor([&] {
    return a.Call({"INFO", "clients"}).str.find("connected_clients:1\r\n") != std::string::npos;
  }));
  RawClient b(server.port());
  CHECK(b.Call({"PING"}).str == "PONG");
  RawClient c(server.port());
  CHECK(c.ReadRaw() == "-ERR max number of clients reached\r\n");
  CHECK(c.WaitClosed());
}

TEST_CASE("timeout closes idle clients but not blocked ones") {
  ServerProcess server({"--timeout", "1"});
  REQUIRE(server.Start());
  RawClient idle(server.port()), blocked(server.port());
  CHECK(idle.Call({"PING"}).str == "PONG");
  blocked.SendCommand({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  CHECK(idle.WaitClosed(4000));
  RawClient writer(server.port());
  writer.Call({"XADD", "s", "1-1", "a", "1"});
  CHECK(blocked.Read().elements.size() == 1);
}

TEST_CASE("a client that never reads its replies does not stall others") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient setup(server.port());
  std::string big(4096, 'x');
  for (int i = 1; i <= 200; ++i) setup.Call({"XADD", "s", std::to_string(i) + "-1", "f", big});
  RawClient hog(server.port());
  std::string pipeline;
  for (int i = 0; i < 2000; ++i) pipeline += "XRANGE s - +\r\n";  // ~1.6 GB of replies asked
  hog.Send(pipeline);
  RawClient other(server.port());
  for (int i = 0; i < 20; ++i) CHECK(other.Call({"XLEN", "s"}, 2000).integer == 200);
}

TEST_CASE("CLIENT KILL by id closes that connection only") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient victim(server.port()), killer(server.port());
  int64_t id = victim.Call({"CLIENT", "ID"}).integer;
  CHECK(killer.Call({"CLIENT", "KILL", "ID", std::to_string(id)}).integer == 1);
  CHECK(victim.WaitClosed());
  CHECK(killer.Call({"PING"}).str == "PONG");
}

TEST_CASE("MULTI/EXEC through hiredis, and WATCH failing EXEC after another client's write") {
  ServerProcess server;
  REQUIRE(server.Start());
  auto a = server.Hiredis();
  auto b = server.Hiredis();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(Command(a.get(), {"MULTI"})->type == REDIS_REPLY_STATUS);
  CHECK(std::string(Command(a.get(), {"XADD", "s", "1-1", "f", "v"})->str) == "QUEUED");
  CHECK(std::string(Command(a.get(), {"INCR", "n"})->str) == "QUEUED");
  auto exec = Command(a.get(), {"EXEC"});
  REQUIRE(exec->type == REDIS_REPLY_ARRAY);
  REQUIRE(exec->elements == 2);
  CHECK(std::string(exec->element[0]->str) == "1-1");
  CHECK(exec->element[1]->integer == 1);

  Command(a.get(), {"WATCH", "n"});
  Command(b.get(), {"INCR", "n"});
  Command(a.get(), {"MULTI"});
  Command(a.get(), {"INCR", "n"});
  auto aborted = Command(a.get(), {"EXEC"});
  CHECK(aborted->type == REDIS_REPLY_NIL);
  CHECK(std::string(Command(a.get(), {"GET", "n"})->str) == "2");
}
