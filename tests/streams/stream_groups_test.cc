// Consumer groups on a Stream (streams/stream_groups.cc): CreateGroup / FindGroup /
// DestroyGroup (a taken name gives nullptr; groups iterate in byte order of their names), and
// every branch of the Redis 7.4+ entries-read and lag rules: RangeHasTombstones,
// EstimateEntriesRead, Lag and AdvanceGroup.
//
// Each scenario comment gives the Redis commands it models and what current Redis (7.4.5+ /
// 8.x, with redis#13338, #13473 and #13958) reports in XINFO GROUPS as entries-read and lag
// (nil = unknown). The values marked "7.0:" were checked against Debian's redis-server 7.0.15,
// which predates those PRs; where no 7.0 value is given, 7.0 reports the same. XREADGROUP ">"
// is run through the group engine (streams/group_ops.h), as the server runs it.
#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "streams/consumer_group.h"
#include "streams/group_ops.h"
#include "streams/stream.h"
#include "tests/streams/stream_test_util.h"

namespace runnel::streams {
namespace {

using namespace runnel::streams::testing;  // NOLINT: test helpers

using Lag = std::optional<int64_t>;
constexpr int64_t kNil = kUnknownEntriesRead;

// XADD key <ms>-0 f v, for each ms.
void XAdd(Stream& s, std::initializer_list<uint64_t> ms) {
  for (uint64_t m : ms) Add(s, {m, 0}, {"f", "v"});
}
void XDel(Stream& s, uint64_t ms) { REQUIRE(s.Delete({ms, 0}, {})); }
void XTrimMaxLen(Stream& s, uint64_t maxlen) {
  TrimSpec t;
  t.strategy = TrimSpec::Strategy::kMaxLen;
  t.maxlen = maxlen;
  s.Trim(t, {});
}
// XGROUP CREATE key name <id> [ENTRIESREAD n]
ConsumerGroup& XGroupCreate(Stream& s, const std::string& name, StreamId id,
                            int64_t entries_read = kNil) {
  ConsumerGroup* g = s.CreateGroup(name, id, entries_read);
  REQUIRE(g != nullptr);
  return *g;
}
// XREADGROUP GROUP g c COUNT n STREAMS key ">", through the group engine the server runs.
uint64_t XReadGroup(Stream& s, ConsumerGroup& g, uint64_t count) {
  GroupChanges changes;
  Consumer& c = TouchConsumer(g, "c", 0, &changes);
  uint64_t n = 0;
  DeliverNew(
      s, g, c, 0, false, [&] { return n < count; }, [&](const Stream::Iterator&) { ++n; },
      &changes);
  return n;
}

// ---- groups -----------------------------------------------------------------------------------

TEST_CASE("Stream groups: create, find, destroy; names in byte order") {
  Stream s;
  CHECK(s.groups().empty());
  CHECK(s.FindGroup("g") == nullptr);
  ConsumerGroup* g = s.CreateGroup("g", {5, 1}, 7);
  REQUIRE(g != nullptr);
  CHECK(g->last_delivered() == StreamId{5, 1});
  CHECK(g->entries_read() == 7);
  CHECK(g->pending() == 0);
  CHECK(s.FindGroup("g") == g);
  CHECK(s.CreateGroup("g", {9, 9}, 0) == nullptr);  // XGROUP CREATE: -BUSYGROUP
  CHECK(s.FindGroup("g")->last_delivered() == StreamId{5, 1});

  const std::string names[] = {"z", "a", "\xff", "A", "", "ab", std::string("a\0b", 3), "\x80"};
  for (const std::string& n : names) {
    if (n != "g") REQUIRE(s.CreateGroup(n, {}, kNil) != nullptr);
  }
  std::vector<std::string> order;
  for (const auto& [name, group] : s.groups()) order.push_back(name);
  // Byte order, as Redis's rax of groups: bytes >= 0x80 sort after ASCII.
  CHECK(order == std::vector<std::string>{"", "A", "a", std::string("a\0b", 3), "ab", "g", "z",
                                          "\x80", "\xff"});
  CHECK(s.FindGroup(std::string("a\0b", 3)) != s.FindGroup("a"));

  CHECK(s.DestroyGroup("g"));
  CHECK_FALSE(s.DestroyGroup("g"));
  CHECK(s.FindGroup("g") == nullptr);
  ConsumerGroup* again = s.CreateGroup("g", {}, kNil);
  REQUIRE(again != nullptr);
  CHECK(again->entries_read() == kNil);
  CHECK(again->last_delivered() == StreamId{});
  CHECK(s.groups().size() == 9);
}

// ---- RangeHasTombstones ---------------------------------------------------------------------

TEST_CASE("RangeHasTombstones: only max-deleted-id counts, and only while there are entries") {
  Stream s;
  CHECK_FALSE(s.RangeHasTombstones(StreamId::Min()));  // never used
  XAdd(s, {1, 2, 3, 4, 5});
  CHECK_FALSE(s.RangeHasTombstones(StreamId::Min()));  // no XDEL yet
  XDel(s, 3);                                          // max-deleted-id 3-0
  CHECK(s.RangeHasTombstones(StreamId::Min()));
  CHECK(s.RangeHasTombstones({3, 0}));  // start == max-deleted-id
  CHECK(s.RangeHasTombstones({2, 0}, {3, 0}));
  CHECK_FALSE(s.RangeHasTombstones({3, 1}));
  CHECK_FALSE(s.RangeHasTombstones({1, 0}, {2, 9}));
  CHECK_FALSE(s.RangeHasTombstones({4, 0}, {2, 0}));
  // XDEL 1-0 2-0: the newest tombstone (3-0) is now before the first entry (4-0) but still
  // after a position like 2-0 (redis#13338; 7.0 answered 0 whenever it was before first).
  XDel(s, 1);
  XDel(s, 2);
  CHECK(s.first_id() == StreamId{4, 0});
  CHECK(s.max_deleted_id() == StreamId{3, 0});
  CHECK(s.RangeHasTombstones({2, 0}));
  CHECK_FALSE(s.RangeHasTombstones({4, 0}));
  // A trim never moves max-deleted-id.
  XTrimMaxLen(s, 1);
  CHECK(s.max_deleted_id() == StreamId{3, 0});
  CHECK(s.RangeHasTombstones(StreamId::Min()));
  // An empty stream has none, whatever max-deleted-id says.
  XDel(s, 5);
  CHECK(s.length() == 0);
  CHECK(s.max_deleted_id() == StreamId{5, 0});
  CHECK_FALSE(s.RangeHasTombstones(StreamId::Min()));
}

// ---- EstimateEntriesRead, branch by branch --------------------------------------------------

TEST_CASE("EstimateEntriesRead: every branch") {
  SUBCASE("never-used stream: 0 for any ID") {
    Stream s;
    CHECK(s.EstimateEntriesRead(StreamId::Min()) == 0);
    CHECK(s.EstimateEntriesRead({9, 0}) == 0);
    CHECK(s.EstimateEntriesRead(StreamId::Max()) == 0);
  }
  SUBCASE("empty after deletions: entries-added up to last-id, unknown beyond") {
    Stream s;
    XAdd(s, {1, 2, 3});
    XDel(s, 1);
    XDel(s, 2);
    XDel(s, 3);
    CHECK(s.EstimateEntriesRead(StreamId::Min()) == 3);
    CHECK(s.EstimateEntriesRead({2, 0}) == 3);
    CHECK(s.EstimateEntriesRead({3, 0}) == 3);
    CHECK(s.EstimateEntriesRead({3, 1}) == kNil);
  }
  SUBCASE("no tombstones: before first, at first, inside, at last, beyond last") {
    Stream s;
    XAdd(s, {1, 2, 3, 4, 5});
    XTrimMaxLen(s, 3);  // first 3-0, length 3, entries-added 5
    CHECK(s.EstimateEntriesRead(StreamId::Min()) == 2);
    CHECK(s.EstimateEntriesRead({2, 0}) == 2);
    CHECK(s.EstimateEntriesRead({2, 9}) == 2);
    CHECK(s.EstimateEntriesRead({3, 0}) == 3);  // == first: added - length + 1
    CHECK(s.EstimateEntriesRead({3, 1}) == kNil);
    CHECK(s.EstimateEntriesRead({4, 0}) == kNil);
    CHECK(s.EstimateEntriesRead({5, 0}) == 5);  // == last
    CHECK(s.EstimateEntriesRead({5, 1}) == kNil);
    CHECK(s.EstimateEntriesRead(StreamId::Max()) == kNil);
  }
  SUBCASE("an XDEL after the ID makes it unknown, even before the first entry") {
    Stream s;
    XAdd(s, {1, 2, 3, 4, 5});
    XDel(s, 1);
    XDel(s, 2);                                          // first 3-0, max-deleted 2-0
    CHECK(s.EstimateEntriesRead({1, 0}) == kNil);        // redis#13338; 7.0: 2
    CHECK(s.EstimateEntriesRead({2, 0}) == 2);           // at the tombstone: nothing after it
    CHECK(s.EstimateEntriesRead(StreamId::Min()) == 2);  // 0-0 is exempt
    CHECK(s.EstimateEntriesRead({3, 0}) == 3);
    CHECK(s.EstimateEntriesRead({5, 0}) == 5);
  }
  SUBCASE("tombstones at or after the first entry: only last-id is known") {
    Stream s;
    XAdd(s, {1, 2, 3, 4, 5});
    XDel(s, 3);
    CHECK(s.EstimateEntriesRead(StreamId::Min()) == kNil);
    CHECK(s.EstimateEntriesRead({1, 0}) == kNil);
    CHECK(s.EstimateEntriesRead({3, 0}) == kNil);
    CHECK(s.EstimateEntriesRead({4, 0}) == kNil);
    CHECK(s.EstimateEntriesRead({5, 0}) == 5);
    XDel(s, 5);  // the last entry: last-id stays 5-0
    CHECK(s.last_id() == StreamId{5, 0});
    CHECK(s.EstimateEntriesRead({5, 0}) == 5);
  }
  SUBCASE("XSETID ENTRIESADDED and MAXDELETEDID move the answers") {
    Stream s;
    XAdd(s, {1, 2, 3});
    REQUIRE(s.SetId({3, 0}, 10, std::nullopt) == Errc::kOk);
    CHECK(s.EstimateEntriesRead({3, 0}) == 10);
    CHECK(s.EstimateEntriesRead({1, 0}) == 8);
    CHECK(s.EstimateEntriesRead(StreamId::Min()) == 7);
    REQUIRE(s.SetId({7, 0}, std::nullopt, std::nullopt) == Errc::kOk);  // last-id ahead
    CHECK(s.EstimateEntriesRead({3, 0}) == kNil);
    CHECK(s.EstimateEntriesRead({7, 0}) == 10);
    REQUIRE(s.SetId({7, 0}, std::nullopt, StreamId{2, 0}) == Errc::kOk);
    CHECK(s.EstimateEntriesRead({1, 0}) == kNil);
    CHECK(s.EstimateEntriesRead(StreamId::Min()) == kNil);
    CHECK(s.EstimateEntriesRead({7, 0}) == 10);
  }
}

// ---- Lag and AdvanceGroup, as XINFO GROUPS shows them ----------------------------------------

TEST_CASE("Lag: never-used stream") {
  // XGROUP CREATE s g $ MKSTREAM  ->  entries-read nil, lag 0
  Stream s;
  ConsumerGroup& g = XGroupCreate(s, "g", s.last_id());
  CHECK(s.Lag(g) == Lag(0));
  CHECK(g.entries_read() == kNil);
  // Nothing was ever added, so a move leaves the counter alone (no command gets here: there
  // is nothing to deliver).
  s.AdvanceGroup(g, {1, 0});
  CHECK(g.last_delivered() == StreamId{1, 0});
  CHECK(g.entries_read() == kNil);
}

TEST_CASE("Lag: empty stream after deletions") {
  // XADD s 1-0 / 2-0 / 3-0; XGROUP CREATE s g 0; XGROUP CREATE s g2 0;
  // XREADGROUP GROUP g c COUNT 1 STREAMS s >; XDEL s 1-0 2-0 3-0
  //   g:  entries-read 1, lag 0  (redis#13473; 7.0: lag 2)
  //   g2: entries-read nil, lag 0
  Stream s;
  XAdd(s, {1, 2, 3});
  ConsumerGroup& g = XGroupCreate(s, "g", {});
  ConsumerGroup& g2 = XGroupCreate(s, "g2", {});
  REQUIRE(XReadGroup(s, g, 1) == 1);
  CHECK(g.entries_read() == 1);
  CHECK(s.Lag(g) == Lag(2));
  XDel(s, 1);
  XDel(s, 2);
  XDel(s, 3);
  CHECK(s.Lag(g) == Lag(0));
  CHECK(s.Lag(g2) == Lag(0));
  CHECK(g.entries_read() == 1);
}

TEST_CASE("Lag: a group behind the first entry, with the tombstones behind it too") {
  // XADD s 1-0 .. 5-0; XGROUP CREATE s g 0; XREADGROUP ... COUNT 1 (1-0);
  // XDEL s 2-0; XTRIM s MAXLEN 2 (4-0 and 5-0 remain; max-deleted-id stays 2-0)
  //   entries-read 1, lag 2 = length  (redis#13473; 7.0: lag 4)
  // XREADGROUP ... COUNT 1 delivers 4-0
  //   entries-read 4, lag 1            (re-estimated: 4-0 is the first entry; 7.0: 2 and 3)
  Stream s;
  XAdd(s, {1, 2, 3, 4, 5});
  ConsumerGroup& g = XGroupCreate(s, "g", {});
  REQUIRE(XReadGroup(s, g, 1) == 1);
  XDel(s, 2);
  XTrimMaxLen(s, 2);
  CHECK(s.max_deleted_id() == StreamId{2, 0});
  CHECK(s.first_id() == StreamId{4, 0});
  CHECK(g.entries_read() == 1);
  CHECK(s.Lag(g) == Lag(2));
  REQUIRE(XReadGroup(s, g, 1) == 1);
  CHECK(g.last_delivered() == StreamId{4, 0});
  CHECK(g.entries_read() == 4);
  CHECK(s.Lag(g) == Lag(1));
  REQUIRE(XReadGroup(s, g, 1) == 1);  // 5-0: counted on from here
  CHECK(g.entries_read() == 5);
  CHECK(s.Lag(g) == Lag(0));
}

TEST_CASE("Lag: a group behind the first entry after a trim alone") {
  // XADD s 1-0 .. 5-0; XGROUP CREATE s g 0; XREADGROUP ... COUNT 1 (1-0); XTRIM s MAXLEN 2
  //   entries-read 1, lag 2            (redis#13473; 7.0: lag 4)
  // XREADGROUP ... COUNT 1 delivers 4-0
  //   entries-read 4, lag 1            (redis#13958; 7.0 and 7.4.0-7.4.2: 2 and 3)
  Stream s;
  XAdd(s, {1, 2, 3, 4, 5});
  ConsumerGroup& g = XGroupCreate(s, "g", {});
  REQUIRE(XReadGroup(s, g, 1) == 1);
  XTrimMaxLen(s, 2);
  CHECK(s.max_deleted_id().IsMin());
  CHECK(s.Lag(g) == Lag(2));
  REQUIRE(XReadGroup(s, g, 1) == 1);
  CHECK(g.entries_read() == 4);
  CHECK(s.Lag(g) == Lag(1));
}

TEST_CASE("Lag: tombstones before the first entry but after the group") {
  // XADD s 1-0 .. 5-0; XGROUP CREATE s g 0; XREADGROUP ... COUNT 1 (1-0); XDEL s 1-0 2-0
  //   entries-read 1, lag 3 = length   (redis#13473; 7.0: lag 4)
  // XREADGROUP ... COUNT 1 delivers 3-0
  //   entries-read 3, lag 2            (7.0: 2 and 3)
  Stream s;
  XAdd(s, {1, 2, 3, 4, 5});
  ConsumerGroup& g = XGroupCreate(s, "g", {});
  REQUIRE(XReadGroup(s, g, 1) == 1);
  XDel(s, 1);
  XDel(s, 2);
  CHECK(s.Lag(g) == Lag(3));
  REQUIRE(XReadGroup(s, g, 1) == 1);
  CHECK(g.last_delivered() == StreamId{3, 0});
  CHECK(g.entries_read() == 3);
  CHECK(s.Lag(g) == Lag(2));
}

TEST_CASE("Lag: XDEL of the first entry under a group created with ENTRIESREAD 0") {
  // XADD s 1-0 .. 5-0; XGROUP CREATE s g 0 ENTRIESREAD 0; XDEL s 1-0
  //   entries-read 0, lag 4 = length   (redis#13473; 7.0: lag 5)
  // XREADGROUP ... COUNT 1 delivers 2-0
  //   entries-read 2, lag 3            (7.0: 1 and 4)
  Stream s;
  XAdd(s, {1, 2, 3, 4, 5});
  ConsumerGroup& g = XGroupCreate(s, "g", {}, 0);
  XDel(s, 1);
  CHECK(s.Lag(g) == Lag(4));
  REQUIRE(XReadGroup(s, g, 1) == 1);
  CHECK(g.entries_read() == 2);
  CHECK(s.Lag(g) == Lag(3));
}

TEST_CASE("Lag: an XDEL after the group's position makes lag unknown until it is passed") {
  // XADD s 1-0 .. 5-0; XGROUP CREATE s g 0; XREADGROUP ... COUNT 2
  //   entries-read 2, lag 3
  // XDEL s 4-0                                   entries-read 2, lag nil
  // XREADGROUP ... COUNT 1 delivers 3-0          entries-read nil, lag nil
  // XREADGROUP ... COUNT 1 delivers 5-0          entries-read 5, lag 0 (re-estimated at last-id)
  Stream s;
  XAdd(s, {1, 2, 3, 4, 5});
  ConsumerGroup& g = XGroupCreate(s, "g", {});
  REQUIRE(XReadGroup(s, g, 2) == 2);
  CHECK(g.entries_read() == 2);
  CHECK(s.Lag(g) == Lag(3));
  XDel(s, 4);
  CHECK(s.Lag(g) == std::nullopt);
  CHECK(g.entries_read() == 2);
  REQUIRE(XReadGroup(s, g, 1) == 1);
  CHECK(g.last_delivered() == StreamId{3, 0});
  CHECK(g.entries_read() == kNil);
  CHECK(s.Lag(g) == std::nullopt);
  REQUIRE(XReadGroup(s, g, 1) == 1);
  CHECK(g.last_delivered() == StreamId{5, 0});
  CHECK(g.entries_read() == 5);
  CHECK(s.Lag(g) == Lag(0));
  // XADD s 6-0                                   entries-read 5, lag 1
  // XREADGROUP ... COUNT 1 delivers 6-0          entries-read 6, lag 0 (counted again: the
  //                                              tombstone is behind the group)
  XAdd(s, {6});
  CHECK(s.Lag(g) == Lag(1));
  REQUIRE(XReadGroup(s, g, 1) == 1);
  CHECK(g.entries_read() == 6);
  CHECK(s.Lag(g) == Lag(0));
}

TEST_CASE("Lag: a group at last-id, before and after the last entry is deleted") {
  // XADD s 1-0 2-0 3-0; XGROUP CREATE s g $      entries-read nil, lag 0
  // XDEL s 3-0                                   entries-read nil, lag 0
  Stream s;
  XAdd(s, {1, 2, 3});
  ConsumerGroup& g = XGroupCreate(s, "g", s.last_id());
  CHECK(s.Lag(g) == Lag(0));
  XDel(s, 3);
  CHECK(s.RangeHasTombstones(g.last_delivered()));
  CHECK(s.Lag(g) == Lag(0));
}

TEST_CASE("Lag: a group beyond last-id") {
  // XADD s 1-0 2-0 3-0; XGROUP CREATE s g 9-0    g: entries-read nil, lag nil
  // XDEL s 2-0; XGROUP CREATE s h 1-0 ENTRIESREAD 1; XGROUP CREATE s k 9-0 ENTRIESREAD 3
  //   h: lag nil (a tombstone ahead voids its counter); k: lag 0 (none ahead: counter used)
  Stream s;
  XAdd(s, {1, 2, 3});
  ConsumerGroup& g = XGroupCreate(s, "g", {9, 0});
  CHECK(s.EstimateEntriesRead({9, 0}) == kNil);
  CHECK(s.Lag(g) == std::nullopt);
  XDel(s, 2);
  ConsumerGroup& h = XGroupCreate(s, "h", {1, 0}, 1);
  CHECK(s.Lag(h) == std::nullopt);
  ConsumerGroup& k = XGroupCreate(s, "k", {9, 0}, 3);
  CHECK(s.Lag(k) == Lag(0));
}

TEST_CASE("Lag: groups at, before and after the first entry, no tombstones") {
  // XADD s 1-0 .. 5-0; XTRIM s MAXLEN 3;
  // XGROUP CREATE s g 3-0 / g2 2-0 / g3 4-0
  //   g: lag 2 (3-0 is the first entry); g2: lag 3 (= length); g3: lag nil (inside)
  // XREADGROUP GROUP g2 COUNT 1 (3-0)      g2: entries-read 3, lag 2
  // XREADGROUP GROUP g2 COUNT 1 (4-0)      g2: entries-read 4, lag 1
  // XREADGROUP GROUP g COUNT 1 (4-0)       g: entries-read nil, lag nil
  // XREADGROUP GROUP g COUNT 1 (5-0)       g: entries-read 5, lag 0
  Stream s;
  XAdd(s, {1, 2, 3, 4, 5});
  XTrimMaxLen(s, 3);
  ConsumerGroup& g = XGroupCreate(s, "g", {3, 0});
  ConsumerGroup& g2 = XGroupCreate(s, "g2", {2, 0});
  ConsumerGroup& g3 = XGroupCreate(s, "g3", {4, 0});
  CHECK(s.Lag(g) == Lag(2));
  CHECK(s.Lag(g2) == Lag(3));
  CHECK(s.Lag(g3) == std::nullopt);
  // g2 has no counter: it re-estimates at the first entry, then counts on. g has none either
  // and its next position is inside the stream: unknown until it reaches last-id.
  REQUIRE(XReadGroup(s, g2, 1) == 1);
  CHECK(g2.entries_read() == 3);
  CHECK(s.Lag(g2) == Lag(2));
  REQUIRE(XReadGroup(s, g2, 1) == 1);
  CHECK(g2.entries_read() == 4);  // counted: a valid counter at the first entry
  REQUIRE(XReadGroup(s, g, 1) == 1);
  CHECK(g.entries_read() == kNil);
  CHECK(s.Lag(g) == std::nullopt);
  REQUIRE(XReadGroup(s, g, 1) == 1);  // 5-0 is last-id: known again
  CHECK(g.entries_read() == 5);
  CHECK(s.Lag(g) == Lag(0));
}

TEST_CASE("Lag: XSETID ENTRIESADDED and MAXDELETEDID") {
  // XADD s 1-0 2-0 3-0; XGROUP CREATE s g 0; XREADGROUP ... COUNT 1 (1-0);
  // XSETID s 3-0 ENTRIESADDED 10; XGROUP CREATE s g2 $; XGROUP CREATE s g3 0
  //   g: entries-read 1, lag 9; g2: lag 0; g3: lag 3 (= length)
  // XSETID s 3-0 ENTRIESADDED 10 MAXDELETEDID 2-0
  //   g: lag nil; g2: lag 0; g3: lag nil
  Stream s;
  XAdd(s, {1, 2, 3});
  ConsumerGroup& g = XGroupCreate(s, "g", {});
  REQUIRE(XReadGroup(s, g, 1) == 1);
  REQUIRE(s.SetId({3, 0}, 10, std::nullopt) == Errc::kOk);
  ConsumerGroup& g2 = XGroupCreate(s, "g2", s.last_id());
  ConsumerGroup& g3 = XGroupCreate(s, "g3", {});
  CHECK(s.Lag(g) == Lag(9));
  CHECK(s.Lag(g2) == Lag(0));
  CHECK(s.Lag(g3) == Lag(3));
  REQUIRE(s.SetId({3, 0}, 10, StreamId{2, 0}) == Errc::kOk);
  CHECK(s.Lag(g) == std::nullopt);
  CHECK(s.Lag(g2) == Lag(0));
  CHECK(s.Lag(g3) == std::nullopt);
  // XREADGROUP ... COUNT 1 delivers 2-0: a tombstone ahead, so re-estimated; 2-0 is inside
  // the stream: entries-read nil, lag nil.
  REQUIRE(XReadGroup(s, g, 1) == 1);
  CHECK(g.entries_read() == kNil);
}

TEST_CASE("Lag: XSETID moves last-id ahead") {
  // XADD s 1-0 2-0 3-0; XGROUP CREATE s g 0; XREADGROUP ... (all three);
  // XSETID s 7-0; XGROUP CREATE s g2 $          g: entries-read 3, lag 0; g2: lag 0
  // XADD s 8-0                                  g: lag 1; g2: lag nil
  // XREADGROUP GROUP g2 ... COUNT 1 (8-0)       g2: entries-read 4, lag 0
  Stream s;
  XAdd(s, {1, 2, 3});
  ConsumerGroup& g = XGroupCreate(s, "g", {});
  REQUIRE(XReadGroup(s, g, 10) == 3);
  CHECK(g.entries_read() == 3);
  REQUIRE(s.SetId({7, 0}, std::nullopt, std::nullopt) == Errc::kOk);
  ConsumerGroup& g2 = XGroupCreate(s, "g2", s.last_id());
  CHECK(s.Lag(g) == Lag(0));
  CHECK(s.Lag(g2) == Lag(0));
  XAdd(s, {8});
  CHECK(s.Lag(g) == Lag(1));
  CHECK(s.Lag(g2) == std::nullopt);
  REQUIRE(XReadGroup(s, g2, 1) == 1);
  CHECK(g2.entries_read() == 4);  // 8-0 is last-id
}

TEST_CASE("AdvanceGroup: never backwards; counts on only from a valid, in-range position") {
  // XADD s 1-0 .. 5-0; XGROUP CREATE s g 3-0 ENTRIESREAD 3; XREADGROUP ... COUNT 1 (4-0)
  //   entries-read 4, lag 1
  Stream s;
  XAdd(s, {1, 2, 3, 4, 5});
  ConsumerGroup& g = XGroupCreate(s, "g", {3, 0}, 3);
  // Not past the position: nothing changes (XCLAIM / XREADGROUP of history do not move it).
  s.AdvanceGroup(g, {3, 0});
  s.AdvanceGroup(g, {2, 0});
  CHECK(g.last_delivered() == StreamId{3, 0});
  CHECK(g.entries_read() == 3);
  // A valid counter at or after the first entry with no tombstone ahead: +1 per delivery,
  // whatever the gap (the server advances once per delivered entry).
  s.AdvanceGroup(g, {4, 0});
  CHECK(g.entries_read() == 4);
  // An invalid counter is re-estimated at the new position.
  g.set_entries_read(kNil);
  s.AdvanceGroup(g, {5, 0});
  CHECK(g.entries_read() == 5);
  // entries-added 0 with entries present cannot come from commands (XSETID refuses an
  // ENTRIESADDED below the length); only a snapshot could say so. The counter is left alone.
  Stream odd;
  XAdd(odd, {1, 2});
  odd.RestoreMetadata({2, 0}, {1, 0}, {}, 0);
  ConsumerGroup& h = XGroupCreate(odd, "h", {}, kNil);
  odd.AdvanceGroup(h, {1, 0});
  CHECK(h.last_delivered() == StreamId{1, 0});
  CHECK(h.entries_read() == kNil);
  CHECK(odd.Lag(h) == Lag(0));
}

}  // namespace
}  // namespace runnel::streams
