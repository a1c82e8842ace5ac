// ACL against the real binary: users from the aclfile at start (and a bad file stops the start),
// ACL SAVE and ACL LOAD through real files, what happens to connections whose user is deleted,
// changed or reloaded, requirepass as the default user's password, and permissions checked again
// when EXEC runs what MULTI queued.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "server_process.h"

using namespace runnel::testing;

namespace {

std::string TempPath(const std::string& name) {
  return "/tmp/runnel-acl-" + std::to_string(getpid()) + "-" + name;
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
}

std::string Read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("aclfile: users load at start, ACL SAVE writes them, a restart reads them back") {
  const std::string path = TempPath("users.acl");
  Write(path, "# not a comment in Redis either: refused below\n");
  {
    ServerProcess bad({"--aclfile", path});
    CHECK_FALSE(bad.Start(3000));
    CHECK(bad.WaitExit() != 0);
    CHECK(bad.Log().find("should start with user keyword") != std::string::npos);
  }
  Write(path,
        "user default on nopass ~* &* +@all\n"
        "user producer on >p1 ~orders:* -@all +xadd +ping\n");
  {
    ServerProcess server({"--aclfile", path});
    REQUIRE(server.Start());
    RawClient c(server.port());
    CHECK(c.Call({"AUTH", "producer", "p1"}).str == "OK");
    CHECK(c.Call({"XADD", "orders:1", "1-1", "f", "v"}).str == "1-1");
    CHECK(c.Call({"XADD", "other", "1-1", "f", "v"}).str ==
          "NOPERM this user has no permissions to access one of the keys used as arguments");
    CHECK(c.Call({"XLEN", "orders:1"}).str ==
          "NOPERM this user has no permissions to run the 'xlen' command");
    RawClient admin(server.port());
    CHECK(admin.Call({"ACL", "SETUSER", "reader", "on", ">r1", "%R~orders:*", "+@read"}).str ==
          "OK");
    CHECK(admin.Call({"ACL", "SAVE"}).str == "OK");
    const std::string saved = Read(path);
    CHECK(saved.find("user reader on #") != std::string::npos);
    CHECK(saved.find(" %R~orders:* resetchannels -@all +@read\n") != std::string::npos);
    CHECK(saved.find("user producer on #") != std::string::npos);
  }
  {
    ServerProcess server({"--aclfile", path});
    REQUIRE(server.Start());
    RawClient c(server.port());
    CHECK(c.Call({"AUTH", "reader", "r1"}).str == "OK");
    CHECK(c.Call({"ACL", "WHOAMI"}).str ==
          "NOPERM this user has no permissions to run the 'acl|whoami' command");
    CHECK(c.Call({"XRANGE", "orders:1", "-", "+"}).elements.size() == 0);
  }
  std::remove(path.c_str());
}

TEST_CASE("ACL LOAD: bad files change nothing; reloaded users keep or lose their connections") {
  const std::string path = TempPath("load.acl");
  Write(path, "user a on >pa +@all ~*\nuser b on >pb +@all ~*\n");
  ServerProcess server({"--aclfile", path});
  REQUIRE(server.Start());
  RawClient admin(server.port());
  RawClient a(server.port()), b(server.port());
  REQUIRE(a.Call({"AUTH", "a", "pa"}).str == "OK");
  REQUIRE(b.Call({"AUTH", "b", "pb"}).str == "OK");

  Write(path, "user a on >pa +@all ~*\nuser b on +nosuch\n");
  const std::string error = admin.Call({"ACL", "LOAD"}).str;
  CHECK(error.rfind("ERR " + path + ":2: Error in applying operation '+nosuch'", 0) == 0);
  CHECK(error.find("WARNING: ACL errors detected, no change") != std::string::npos);
  CHECK(b.Call({"PING"}).str == "PONG");

  // a is unchanged and keeps its session; b changed and is disconnected.
  Write(path, "user a on >pa +@all ~*\nuser b on >other +@all ~*\n");
  CHECK(admin.Call({"ACL", "LOAD"}).str == "OK");
  CHECK(a.Call({"ACL", "WHOAMI"}).str == "a");
  CHECK(b.WaitClosed());
  RawClient b2(server.port());
  CHECK(b2.Call({"AUTH", "b", "pb"}).str ==
        "WRONGPASS invalid username-password pair or user is disabled.");
  CHECK(b2.Call({"AUTH", "b", "other"}).str == "OK");

  std::remove(path.c_str());
  CHECK(admin.Call({"ACL", "LOAD"}).str.rfind("ERR Error loading ACLs, opening file", 0) == 0);
  CHECK(a.Call({"PING"}).str == "PONG");
}

TEST_CASE("ACL SAVE and LOAD need an aclfile") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient c(server.port());
  CHECK(c.Call({"ACL", "SAVE"}).str.rfind("ERR This Redis instance is not configured", 0) == 0);
  CHECK(c.Call({"ACL", "LOAD"}).str.rfind("ERR This Redis instance is not configured", 0) == 0);
  CHECK(c.Call({"CONFIG", "SET", "aclfile", "/tmp/x"}).str.find("immutable") != std::string::npos);
}

TEST_CASE("deleting a user closes its connections; CLIENT KILL USER; RESET goes back to default") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient admin(server.port());
  REQUIRE(admin.Call({"ACL", "SETUSER", "w", "on", ">pw", "+@all", "~*", "&*"}).str == "OK");
  RawClient w1(server.port()), w2(server.port()), w3(server.port());
  for (RawClient* c : {&w1, &w2, &w3}) REQUIRE(c->Call({"AUTH", "w", "pw"}).str == "OK");
  CHECK(w3.Call({"CLIENT", "INFO"}).str.find(" user=w ") != std::string::npos);
  CHECK(w3.Call({"RESET"}).str == "RESET");
  CHECK(w3.Call({"ACL", "WHOAMI"}).str == "default");
  CHECK(admin.Call({"CLIENT", "KILL", "USER", "w"}).integer == 2);
  CHECK(admin.Call({"CLIENT", "KILL", "USER", "nobody"}).str == "ERR No such user 'nobody'");
  CHECK(w1.WaitClosed());
  RawClient w4(server.port());
  REQUIRE(w4.Call({"AUTH", "w", "pw"}).str == "OK");
  // A user deleting itself gets its reply, then is closed.
  CHECK(w4.Call({"ACL", "DELUSER", "w"}).integer == 1);
  CHECK(w4.WaitClosed());
  CHECK(w3.Call({"PING"}).str == "PONG");
}

TEST_CASE("a subscriber whose channels are taken away is disconnected") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient admin(server.port());
  REQUIRE(admin.Call({"ACL", "SETUSER", "s", "on", "nopass", "+@all", "&news*", "&alerts"}).str ==
          "OK");
  RawClient news(server.port()), alerts(server.port());
  REQUIRE(news.Call({"AUTH", "s", "x"}).str == "OK");
  REQUIRE(alerts.Call({"AUTH", "s", "x"}).str == "OK");
  CHECK(news.Call({"SUBSCRIBE", "news.eu"}).elements.size() == 3);
  CHECK(alerts.Call({"PSUBSCRIBE", "alerts"}).elements.size() == 3);
  CHECK(alerts.Call({"PSUBSCRIBE", "alert*"}).str ==
        "NOPERM this user has no permissions to access one of the channels used as arguments");
  REQUIRE(admin.Call({"ACL", "SETUSER", "s", "resetchannels", "&alerts"}).str == "OK");
  CHECK(news.WaitClosed());
  CHECK(alerts.Call({"PING"}).elements.at(0).str == "pong");
}

TEST_CASE("EXEC checks each queued command again, as the user is when it runs") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient admin(server.port());
  REQUIRE(admin.Call({"ACL", "SETUSER", "t", "on", "nopass", "+@all", "~*"}).str == "OK");
  RawClient t(server.port());
  REQUIRE(t.Call({"AUTH", "t", "x"}).str == "OK");
  CHECK(t.Call({"MULTI"}).str == "OK");
  CHECK(t.Call({"XADD", "s", "1-1", "f", "v"}).str == "QUEUED");
  CHECK(t.Call({"XLEN", "s"}).str == "QUEUED");
  REQUIRE(admin.Call({"ACL", "SETUSER", "t", "-xadd"}).str == "OK");
  runnel::resp::Reply r = t.Call({"EXEC"});
  REQUIRE(r.elements.size() == 2);
  CHECK(r.elements[0].str == "NOPERM this user has no permissions to run the 'xadd' command");
  CHECK(r.elements[1].integer == 0);
  runnel::resp::Reply log = admin.Call({"ACL", "LOG", "1"});
  REQUIRE(log.elements.size() == 1);
  const auto& entry = log.elements[0].elements;
  CHECK(entry.at(5).str == "multi");  // context
  CHECK(entry.at(7).str == "xadd");   // object
  // Refused while queueing: the transaction is discarded.
  CHECK(t.Call({"MULTI"}).str == "OK");
  CHECK(t.Call({"XADD", "s", "1-2", "f", "v"}).str ==
        "NOPERM this user has no permissions to run the 'xadd' command");
  CHECK(t.Call({"EXEC"}).str == "EXECABORT Transaction discarded because of previous errors.");
}

TEST_CASE("requirepass is the default user's password") {
  ServerProcess server({"--requirepass", "s3cret"});
  REQUIRE(server.Start());
  RawClient c(server.port());
  CHECK(c.Call({"PING"}).str == "NOAUTH Authentication required.");
  CHECK(c.Call({"AUTH", "default", "s3cret"}).str == "OK");
  runnel::resp::Reply user = c.Call({"ACL", "GETUSER", "default"});
  CHECK(user.elements.at(3).elements.size() == 1);  // one password hash
  // ACL SETUSER changes the password; other CONFIG SETs leave it.
  CHECK(c.Call({"ACL", "SETUSER", "default", "resetpass", ">other"}).str == "OK");
  CHECK(c.Call({"CONFIG", "SET", "timeout", "0"}).str == "OK");
  RawClient d(server.port());
  CHECK(d.Call({"AUTH", "s3cret"}).str.rfind("WRONGPASS", 0) == 0);
  CHECK(d.Call({"AUTH", "other"}).str == "OK");
  CHECK(d.Call({"CONFIG", "SET", "requirepass", ""}).str == "OK");
  RawClient e(server.port());
  CHECK(e.Call({"PING"}).str == "PONG");
  CHECK(e.Call({"AUTH", "x"}).str.rfind("ERR AUTH <password> called without any password", 0) == 0);
}
