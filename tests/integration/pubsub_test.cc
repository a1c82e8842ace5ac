// Pub/Sub over real connections, where several clients and their order matter: every
// subscriber of a channel gets a message in subscription order, a pattern and a channel both
// deliver, unsubscribing from everything confirms each name, a closed subscriber leaves the
// registry, CLIENT LIST and INFO count subscriptions, and a RESP3 client gets pushes between the
// replies of its pipelined commands. Byte-level replies are compared with redis-server in
// tests/diff/scripts/50_pubsub.redis; client libraries' own Pub/Sub APIs run in tests/clients.
#include <doctest/doctest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "server_process.h"

using namespace runnel::testing;
using runnel::resp::Reply;

namespace {

// The strings of a flat reply (a message or a confirmation), integers as text.
std::vector<std::string> Strings(const Reply& r) {
  std::vector<std::string> out;
  for (const Reply& e : r.elements) {
    out.push_back(e.type == Reply::Type::kInteger ? std::to_string(e.integer) : e.str);
  }
  return out;
}

using Strs = std::vector<std::string>;

}  // namespace

TEST_CASE("pubsub: every subscriber gets each message, channel before pattern") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient pub(server.port());
  std::vector<std::unique_ptr<RawClient>> subs;
  for (int i = 0; i < 3; ++i) {
    subs.push_back(std::make_unique<RawClient>(server.port()));
    CHECK(Strings(subs.back()->Call({"SUBSCRIBE", "jobs"})) == Strs{"subscribe", "jobs", "1"});
  }
  CHECK(Strings(subs[0]->Call({"PSUBSCRIBE", "j*"})) == Strs{"psubscribe", "j*", "2"});
  CHECK(pub.Call({"PUBLISH", "jobs", "m1"}).integer == 4);
  for (auto& s : subs) CHECK(Strings(s->Read()) == Strs{"message", "jobs", "m1"});
  CHECK(Strings(subs[0]->Read()) == Strs{"pmessage", "j*", "jobs", "m1"});
  // Order is kept per subscriber across many messages.
  for (int i = 0; i < 100; ++i) pub.SendCommand({"PUBLISH", "jobs", std::to_string(i)});
  for (int i = 0; i < 100; ++i) CHECK(pub.Read().integer == 4);
  for (int i = 0; i < 100; ++i) {
    CHECK(Strings(subs[1]->Read()) == Strs{"message", "jobs", std::to_string(i)});
  }
  CHECK(Strings(pub.Call({"PUBSUB", "NUMSUB", "jobs"})) == Strs{"jobs", "3"});
}

TEST_CASE("pubsub: UNSUBSCRIBE with no names confirms each one; a closed client leaves") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient admin(server.port());
  {
    RawClient s(server.port());
    s.Call({"SUBSCRIBE", "a"});
    s.SendCommand({"SUBSCRIBE", "b", "c"});
    CHECK(Strings(s.Read()) == Strs{"subscribe", "b", "2"});
    CHECK(Strings(s.Read()) == Strs{"subscribe", "c", "3"});
    s.Call({"SSUBSCRIBE", "sh"});
    std::string list = admin.Call({"CLIENT", "LIST"}).str;
    CHECK(list.find("flags=P db=0 sub=3 psub=0 ssub=1") != std::string::npos);
    std::string stats = admin.Call({"INFO", "stats"}).str;
    CHECK(stats.find("pubsub_channels:3") != std::string::npos);
    CHECK(stats.find("pubsubshard_channels:1") != std::string::npos);
    CHECK(admin.Call({"INFO", "clients"}).str.find("pubsub_clients:1") != std::string::npos);
    s.SendCommand({"UNSUBSCRIBE"});
    std::set<std::string> gone;
    for (int left = 2; left >= 0; --left) {
      Strs reply = Strings(s.Read());
      REQUIRE(reply.size() == 3);
      CHECK(reply[0] == "unsubscribe");
      CHECK(reply[2] == std::to_string(left));
      gone.insert(reply[1]);
    }
    CHECK(gone == std::set<std::string>{"a", "b", "c"});
    // Still in Pub/Sub context: the shard subscription remains.
    CHECK(s.Call({"GET", "x"}).str.find("only (P|S)SUBSCRIBE") != std::string::npos);
    s.Call({"SUBSCRIBE", "kept"});
  }  // closed
  REQUIRE(WaitFor([&] { return Strings(admin.Call({"PUBSUB", "NUMSUB", "kept"}))[1] == "0"; }));
  CHECK(admin.Call({"PUBSUB", "SHARDCHANNELS"}).elements.empty());
  CHECK(admin.Call({"PUBLISH", "kept", "x"}).integer == 0);
  CHECK(admin.Call({"INFO", "clients"}).str.find("pubsub_clients:0") != std::string::npos);
}

TEST_CASE("pubsub: a RESP3 client gets pushes between the replies of its own pipeline") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient c(server.port());
  c.Call({"HELLO", "3"});
  Reply confirm = c.Call({"SUBSCRIBE", "me"});
  CHECK(confirm.type == Reply::Type::kPush);
  c.SendCommand({"SET", "k", "v"});
  c.SendCommand({"PUBLISH", "me", "to-myself"});
  c.SendCommand({"GET", "k"});
  CHECK(c.Read().str == "OK");
  Reply push = c.Read();  // the message comes before PUBLISH's own reply, as in Redis
  CHECK(push.type == Reply::Type::kPush);
  CHECK(Strings(push) == Strs{"message", "me", "to-myself"});
  CHECK(c.Read().integer == 1);
  CHECK(c.Read().str == "v");
}
