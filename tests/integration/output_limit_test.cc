// client-output-buffer-limit over real sockets: a subscriber that stops reading is closed once
// what the server holds for it passes the pubsub class's hard limit, or stays above the soft
// limit for its seconds — so a slow subscriber cannot make the server grow without bound —
// while a subscriber that keeps reading is never touched. (CONFIG GET/SET of the setting is
// compared byte for byte with redis-server in tests/diff/scripts/40_config.redis.)
#include <doctest/doctest.h>

#include <string>

#include "server_process.h"

using namespace runnel::testing;
using runnel::resp::Reply;

namespace {

int64_t NumSub(RawClient& c, const std::string& channel) {
  return c.Call({"PUBSUB", "NUMSUB", channel}).elements[1].integer;
}

}  // namespace

TEST_CASE("output limit: a subscriber that stops reading is closed at the hard limit") {
  ServerProcess server({"--client-output-buffer-limit", "pubsub 1mb 0 0"});
  REQUIRE(server.Start());
  RawClient pub(server.port()), stuck(server.port()), reader(server.port());
  stuck.Call({"SUBSCRIBE", "feed"});
  reader.Call({"SUBSCRIBE", "feed"});
  const std::string payload(256 * 1024, 'x');
  // 100 x 256 KB: far more than the kernel's socket buffers and the 1 MB limit together.
  for (int i = 0; i < 100 && NumSub(pub, "feed") == 2; ++i) {
    pub.Call({"PUBLISH", "feed", payload});
    CHECK(reader.Read().elements.size() == 3);
  }
  CHECK(NumSub(pub, "feed") == 1);  // the reader is still there
  CHECK(stuck.WaitClosed());
  CHECK(server.Log().find("output buffer limits") != std::string::npos);
}

TEST_CASE("output limit: above the soft limit for its seconds, then closed") {
  ServerProcess server({"--client-output-buffer-limit", "pubsub 0 512kb 1"});
  REQUIRE(server.Start());
  RawClient pub(server.port()), stuck(server.port());
  stuck.Call({"SUBSCRIBE", "feed"});
  const std::string payload(256 * 1024, 'x');
  // Fill the kernel's buffers and pass the soft limit; the client is not closed yet.
  for (int i = 0; i < 100; ++i) pub.Call({"PUBLISH", "feed", payload});
  CHECK(NumSub(pub, "feed") == 1);
  CHECK(pub.Call({"CLIENT", "LIST", "TYPE", "pubsub"}).str.find("flags=P") != std::string::npos);
  // Nothing more is published: the cron notices the time is up, as redis-server's does, once
  // more than the limit's 1 s (in whole seconds) has passed.
  REQUIRE(WaitFor([&] { return NumSub(pub, "feed") == 0; }));
  CHECK(pub.Call({"CLIENT", "LIST", "TYPE", "pubsub"}).str.empty());
}

// The normal class: a client that pipelines reads of a 1 MB value and never reads the replies
// is closed once they pass 4 MB of what the server holds; one that reads is untouched. (Redis's
// default for normal clients is no limit; this sets one.)
TEST_CASE("output limit: a normal client that never reads is closed at its class's hard limit") {
  ServerProcess server({"--client-output-buffer-limit", "normal 4mb 0 0"});
  REQUIRE(server.Start());
  RawClient setup(server.port()), hog(server.port()), reader(server.port());
  REQUIRE(setup.Call({"SET", "big", std::string(1 << 20, 'b')}).str == "OK");
  std::string gets;
  for (int i = 0; i < 64; ++i) gets += "GET big\r\n";  // 64 MB asked, more than any socket holds
  hog.Send(gets);
  CHECK(hog.WaitClosed(10000));
  for (int i = 0; i < 8; ++i) CHECK(reader.Call({"GET", "big"}).str.size() == 1u << 20);
  CHECK(server.Log().find("closed for overcoming of output buffer limits") != std::string::npos);
}
