// client-output-buffer-limit over real sockets: a subscriber that stops reading is closed once
// what the server holds for it passes the pubsub class's hard limit, or stays above the soft
// limit for its seconds — so a slow subscriber cannot make the server grow without bound —
// while a subscriber that keeps reading is never touched. (CONFIG GET/SET of the setting is
// compared byte for byte with redis-server in tests/diff/scripts/40_config.redis.)
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

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
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  pub.Call({"PUBLISH", "feed", "one more"});  // the check runs when output is added
  REQUIRE(WaitFor([&] { return NumSub(pub, "feed") == 0; }));
}
