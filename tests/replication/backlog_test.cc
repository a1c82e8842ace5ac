// The backlog and the PSYNC rules, checked against a plain string of every byte ever sent.
#include "replication/backlog.h"

#include <doctest/doctest.h>

#include <random>
#include <string>

#include "replication/feed.h"
#include "replication/history.h"
#include "resp/request_parser.h"

using runnel::replication::Backlog;
using runnel::replication::History;

TEST_CASE("backlog: random appends and resizes keep exactly the newest bytes, numbered from 1") {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 50; ++round) {
    const uint64_t start = rng() % 1000;  // bytes the stream had before this backlog existed
    size_t capacity = 1 + rng() % 64;
    Backlog backlog(capacity, start);
    std::string all;  // every byte since the backlog was made
    for (int step = 0; step < 200; ++step) {
      if (rng() % 20 == 0) {
        capacity = 1 + rng() % 64;
        backlog.Resize(capacity);
      } else {
        std::string bytes(rng() % 80, '\0');
        for (char& c : bytes) c = static_cast<char>('a' + rng() % 26);
        backlog.Append(bytes);
        all += bytes;
      }
      REQUIRE(backlog.end_offset() == start + all.size());
      const uint64_t held = std::min<uint64_t>(all.size(), capacity);
      // A resize to a smaller capacity may drop bytes a later growth does not bring back.
      REQUIRE(backlog.histlen() <= held);
      REQUIRE(backlog.first_offset() == backlog.end_offset() - backlog.histlen() + 1);
      const uint64_t from = backlog.first_offset() + rng() % (backlog.histlen() + 1);
      REQUIRE(backlog.Holds(from));
      CHECK(backlog.CopyFrom(from) == all.substr(static_cast<size_t>(from - start - 1)));
      CHECK_FALSE(backlog.Holds(backlog.end_offset() + 2));
      if (backlog.first_offset() > 1) CHECK_FALSE(backlog.Holds(backlog.first_offset() - 1));
    }
  }
}

TEST_CASE("backlog: an append larger than the capacity keeps its tail") {
  Backlog backlog(4, 0);
  backlog.Append("abcdefgh");
  CHECK(backlog.end_offset() == 8);
  CHECK(backlog.first_offset() == 5);
  CHECK(backlog.CopyFrom(5) == "efgh");
  CHECK(backlog.CopyFrom(9).empty());
}

TEST_CASE("history: a replica continues on its own ID, or the previous one before the split") {
  Backlog backlog(100, 0);
  backlog.Append(std::string(50, 'x'));
  History h;
  CHECK(h.replid.size() == 40);
  CHECK(h.MayContinue(h.replid, 51, backlog));
  CHECK(h.MayContinue(h.replid, 1, backlog));
  CHECK_FALSE(h.MayContinue(h.replid, 52, backlog));
  CHECK_FALSE(h.MayContinue("?", 1, backlog));
  const std::string old = h.replid;
  h.Shift(50);  // promoted after byte 50
  CHECK(h.replid != old);
  CHECK(h.replid2 == old);
  CHECK(h.second_offset == 51);
  backlog.Append(std::string(10, 'y'));
  CHECK(h.MayContinue(old, 51, backlog));        // it stopped at the split
  CHECK_FALSE(h.MayContinue(old, 52, backlog));  // it had bytes the new history does not
  CHECK(h.MayContinue(h.replid, 61, backlog));
  h.ClearSecond();
  CHECK_FALSE(h.MayContinue(old, 51, backlog));
  CHECK_FALSE(h.MayContinue(std::string(runnel::replication::kNoReplicationId), 1, backlog));
}

TEST_CASE("feed: a record round-trips through the request parser") {
  std::string bytes;
  const std::string payload("*2\r\n$3\r\nDEL\r\n$1\r\na\r\n\0x", 22);
  runnel::replication::AppendRecord(&bytes, 3, 1700000000123, payload);
  runnel::replication::AppendPublish(&bytes, "ch", "hi");
  runnel::resp::RequestParser parser;
  runnel::resp::ArgList args;
  using Status = runnel::resp::RequestParser::Status;
  auto result = parser.Parse(bytes, args);
  REQUIRE(result.status == Status::kCommand);
  auto r = runnel::replication::ParseRecord(args);
  REQUIRE(r.has_value());
  CHECK(r->db == 3);
  CHECK(r->time_ms == 1700000000123);
  CHECK(r->payload == payload);
  args.Clear();
  REQUIRE(parser.Parse(std::string_view(bytes).substr(result.consumed), args).status ==
          Status::kCommand);
  CHECK_FALSE(runnel::replication::ParseRecord(args).has_value());
  CHECK(args[0] == "PUBLISH");
}
