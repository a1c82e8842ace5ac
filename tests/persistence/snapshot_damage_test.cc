// Snapshots that must not load: every single-bit flip, scattered damage, every truncation and
// trailing bytes (all caught, most by a checksum); hand-made files with valid checksums but
// invalid structure, each refused with its own message; and files damaged behind valid
// checksums at random, which must be refused or, if accepted, hold a keyspace that every
// operation can use without fault (run it under ASan).
//
// The hand-made files are built here from the encodings documented in persistence/snapshot.cc
// and streams/entry_block.h, independently of the writer, so they also pin the format down.
#include <doctest/doctest.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/snapshot.h"
#include "streams/keyspace.h"
#include "streams/varint.h"
#include "tests/persistence/snapshot_test_util.h"

namespace runnel::persistence {
namespace {

using namespace testing;  // NOLINT(build/namespaces)

// ---- Damage ---------------------------------------------------------------------------------

std::string SmallSnapshot() {
  Keyspace ks(4, 1, nullptr);
  SetString(ks, 0, "greeting", "hello", -1);
  SetString(ks, 0, "session", "abc123", 1700000000000);
  SetString(ks, 2, "n", "42", -1);
  StreamLimits limits{0, 4};
  Stream& s = NewStream(ks, 2, "events");
  for (uint64_t i = 0; i < 14; ++i) {
    Add(s, StreamId{1700000000000 + i, i % 2},
        {"type", i % 3 ? "click" : "view", "n", std::to_string(i)}, limits);
  }
  s.Delete(StreamId{1700000000005, 1}, limits);
  ConsumerGroup* g = s.CreateGroup("workers", StreamId::Min(), 0);
  auto* a = g->GetOrCreateConsumer("a", 1700000000100).first;
  auto* b = g->GetOrCreateConsumer("b", 1700000000200).first;
  g->GetOrCreateConsumer("idle", 1700000000300);
  int n = 0;
  for (auto it = s.Range(StreamId::Min(), StreamId::Max(), false); it.Next() && n < 6; ++n) {
    g->SetPending(it.id(), n % 2 ? *a : *b, 1700000000400 + n, 1 + n % 3);
    s.AdvanceGroup(*g, it.id());
  }
  return Write(ks, SnapshotInfo{1700000000999, 77});
}

// What kind of check caught a damaged file, for the report.
std::string Category(const std::string& error) {
  for (const char* what : {"whole-file checksum", "checksum mismatch in the end",
                           "checksum mismatch", "unknown section kind", "runs past the end",
                           "ends without an end", "bad magic", "version", "bytes follow"}) {
    if (error.find(what) != std::string::npos) return what;
  }
  return "structure";
}

TEST_CASE("snapshot damage: every single-bit flip is detected") {
  std::string good = SmallSnapshot();
  REQUIRE(LoadFresh(good, 4).status == Status::kDone);
  CHECK(good.size() * 8 >= 4000);
  std::map<std::string, int> caught;
  int undetected = 0;
  for (size_t bit = 0; bit < good.size() * 8; ++bit) {
    std::string bad = good;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    LoadResult r = LoadFresh(bad, 4);
    if (r.status != Status::kError) {
      ++undetected;
      FAIL_CHECK("bit " << bit << " flipped and not detected");
      continue;
    }
    CHECK(r.error.rfind("offset ", 0) == 0);
    ++caught[Category(r.error)];
  }
  std::string summary;
  for (const auto& [what, count] : caught) summary += "\n  " + what + ": " + std::to_string(count);
  MESSAGE("file of " << good.size() << " bytes, " << good.size() * 8
                     << " bits flipped one at a time, " << undetected
                     << " undetected; caught by:" << summary);
  CHECK(undetected == 0);
}

TEST_CASE("snapshot damage: scattered flips, overwritten ranges and copied chunks are detected") {
  std::string good = SmallSnapshot();
  std::mt19937_64 rng(12345);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bad = good;
    size_t start = rng() % bad.size();
    size_t len = 1 + rng() % 64;
    switch (trial % 3) {
      case 0:  // a burst of flips at about 1 bit in 20
        for (size_t i = start; i < std::min(bad.size(), start + len); ++i) {
          for (int b = 0; b < 8; ++b) {
            if (rng() % 20 == 0) bad[i] = static_cast<char>(bad[i] ^ (1 << b));
          }
        }
        break;
      case 1:  // zeroed range
        for (size_t i = start; i < std::min(bad.size(), start + len); ++i) bad[i] = 0;
        break;
      default: {  // one range copied over another
        size_t from = rng() % bad.size();
        len = std::min({len, bad.size() - start, bad.size() - from});
        bad.replace(start, len, good.substr(from, len));
      }
    }
    if (bad == good) continue;
    LoadResult r = LoadFresh(bad, 4);
    CHECK_MESSAGE(r.status == Status::kError, "trial " << trial << " not detected");
  }
}

TEST_CASE("snapshot damage: every truncation is detected") {
  std::string good = SmallSnapshot();
  for (size_t size = 0; size < good.size(); ++size) {
    LoadResult r = LoadFresh(std::string_view(good).substr(0, size), 4);
    CHECK_MESSAGE(r.status == Status::kError, "truncated to " << size << " bytes");
  }
}

TEST_CASE("snapshot damage: bytes after the end section are detected") {
  std::string good = SmallSnapshot();
  std::mt19937_64 rng(7);
  std::string random(4096, '\0');
  for (char& c : random) c = static_cast<char>(rng());
  const std::vector<std::string> tails = {std::string(1, '\0'),          std::string(512, '\0'),
                                          std::string(4096, '\0'),       random,
                                          good.substr(good.size() - 25), good};
  for (const std::string& tail : tails) {
    LoadResult r = LoadFresh(good + tail, 4);
    CHECK(r.status == Status::kError);
    CHECK(r.error == "offset " + std::to_string(good.size()) + ": bytes follow the end section");
  }
}

// ---- Hand-made files with valid checksums -----------------------------------------------------

void Varint(std::string* out, uint64_t v) { streams::AppendVarint(out, v); }
void Signed(std::string* out, int64_t v) { streams::AppendVarint(out, streams::ZigZag(v)); }
void Bytes(std::string* out, std::string_view s) {
  Varint(out, s.size());
  out->append(s);
}
void Id(std::string* out, StreamId id) {
  Varint(out, id.ms);
  Varint(out, id.seq);
}
void Fixed(std::string* out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

enum : uint8_t {
  kInfo = 1,
  kDb = 2,
  kStr = 3,
  kHeader = 4,
  kBlocks = 5,
  kGroup = 6,
  kIdmp = 7,
  kSchedule = 8,
  kEnd = 0xff
};

struct Section {
  uint8_t kind;
  std::string payload;
  std::optional<uint64_t> length;  // a lie about the payload length, if set
};

uint64_t Hash(std::string_view s) { return XXH64(s.data(), s.size(), 0); }

template <typename T>
T Pick(std::mt19937_64& rng, std::initializer_list<T> values) {
  return values.begin()[rng() % values.size()];
}

std::string Assemble(const std::vector<Section>& sections, uint32_t version = kSnapshotVersion) {
  std::string out("RUNNELSNAP\0\0", 12);
  Fixed(&out, version, 4);
  for (const Section& s : sections) {
    out.push_back(static_cast<char>(s.kind));
    Fixed(&out, s.length.value_or(s.payload.size()), 8);
    out += s.payload;
    Fixed(&out, Hash(s.payload), 8);
  }
  std::string digest;
  Fixed(&digest, Hash(out), 8);
  out.push_back(static_cast<char>(kEnd));
  Fixed(&out, 8, 8);
  out += digest;
  Fixed(&out, Hash(digest), 8);
  return out;
}

Section Info() {
  std::string p;
  Signed(&p, 1);
  Varint(&p, 0);
  return {kInfo, p, std::nullopt};
}
Section Db(uint64_t index, uint64_t keys) {
  std::string p;
  Varint(&p, index);
  Varint(&p, keys);
  return {kDb, p, std::nullopt};
}
Section Str(std::string_view key, int64_t expire = -1, std::string_view value = "v") {
  std::string p;
  Bytes(&p, key);
  Signed(&p, expire);
  Bytes(&p, value);
  return {kStr, p, std::nullopt};
}

struct Meta {
  uint64_t length = 3, added = 3;
  StreamId last{3, 0}, first{1, 0}, max_deleted{0, 0};
  uint64_t blocks = 1, groups = 1;
  int64_t idmp_duration = 100, idmp_maxsize = 100;  // version 2 on
  uint64_t idmp_sections = 0;
  int64_t retention_ms = 0;  // version 4 on
  uint64_t retention_maxlen = 0, retention_refs = 0, schedule_next_seq = 0, scheduled = 0;
  bool version1 = false;  // a version 1 header: no IDMP fields
  bool version3 = false;  // a version 2 or 3 header: no retention or schedule fields
};
Section Header(const Meta& m, std::string_view key = "s") {
  std::string p;
  Bytes(&p, key);
  Signed(&p, -1);
  Varint(&p, m.length);
  Varint(&p, m.added);
  Id(&p, m.last);
  Id(&p, m.first);
  Id(&p, m.max_deleted);
  Varint(&p, m.blocks);
  Varint(&p, m.groups);
  if (!m.version1) {
    Signed(&p, m.idmp_duration);
    Signed(&p, m.idmp_maxsize);
    Varint(&p, m.idmp_sections);
  }
  if (!m.version1 && !m.version3) {
    Signed(&p, m.retention_ms);
    Varint(&p, m.retention_maxlen);
    Varint(&p, m.retention_refs);
    Varint(&p, m.schedule_next_seq);
    Varint(&p, m.scheduled);
  }
  return {kHeader, p, std::nullopt};
}

// Block bytes per entry_block.h: one master field "f"; records with inline fields, each value
// a short byte string.
struct Rec {
  StreamId id;
  bool deleted = false;
  std::vector<std::string> fields = {"f", "v"};
};
std::string BlockBytes(StreamId master, const std::vector<Rec>& records) {
  std::string b;
  Varint(&b, 1);
  b += "\x81"
       "f";
  StreamId prev = master;
  for (const Rec& r : records) {
    uint64_t flags = r.deleted ? 1 : 0;
    constexpr uint64_t kWideMs = (uint64_t{1} << 60) - 1;
    if (r.id.ms == prev.ms && r.id.seq - prev.seq < (uint64_t{1} << 61)) {
      Varint(&b, (r.id.seq - prev.seq) << 3 | flags);
    } else {
      uint64_t delta = r.id.ms - prev.ms;  // mod 2^64
      Varint(&b, std::min(delta, kWideMs) << 3 | 4 | flags);
      if (delta >= kWideMs) Varint(&b, r.id.ms);
      Varint(&b, r.id.seq);
    }
    Varint(&b, r.fields.size() / 2);
    for (const std::string& v : r.fields) {
      b.push_back(static_cast<char>(0x80 | v.size()));
      b += v;
    }
    prev = r.id;
  }
  return b;
}
Section Blocks(const std::vector<std::pair<StreamId, std::string>>& blocks) {
  std::string p;
  for (const auto& [master, bytes] : blocks) {
    Id(&p, master);
    Bytes(&p, bytes);
  }
  return {kBlocks, p, std::nullopt};
}
std::vector<Rec> ThreeRecs() { return {{{1, 0}}, {{2, 0}}, {{3, 0}}}; }

struct Pend {
  StreamId id;
  int64_t time = 100;
  uint64_t count = 1;
  uint64_t owner = 0;
};
Section Group(std::string_view name, const std::vector<std::string>& consumers,
              const std::vector<Pend>& pending, int64_t entries_read = 2,
              std::optional<uint64_t> consumer_count = {},
              std::optional<uint64_t> pending_count = {},
              const std::vector<std::string>& policy = {}, bool v3 = true,
              const std::vector<uint64_t>& counters = {0, 0, 0}) {
  std::string p;
  Bytes(&p, name);
  Id(&p, StreamId{2, 0});
  Signed(&p, entries_read);
  Varint(&p, consumer_count.value_or(consumers.size()));
  for (const std::string& c : consumers) {
    Bytes(&p, c);
    Signed(&p, 50);
    Signed(&p, -1);
  }
  Varint(&p, pending_count.value_or(pending.size()));
  StreamId prev;
  int64_t prev_time = 0;
  for (const Pend& e : pending) {
    uint64_t dms = e.id.ms - prev.ms;
    Varint(&p, dms);
    Varint(&p, dms == 0 ? e.id.seq - prev.seq : e.id.seq);
    Signed(&p,
           static_cast<int64_t>(static_cast<uint64_t>(e.time) - static_cast<uint64_t>(prev_time)));
    Varint(&p, e.count);
    Varint(&p, e.owner);
    prev = e.id;
    prev_time = e.time;
  }
  if (v3) {  // the policy (as SETPOLICY's arguments) and counters
    Varint(&p, policy.size());
    for (const std::string& arg : policy) Bytes(&p, arg);
    for (uint64_t counter : counters) Varint(&p, counter);
  }
  return {kGroup, p, std::nullopt};
}
Section GoodGroup(std::string_view name = "g") {
  return Group(name, {"a", "b"}, {{{1, 0}, 100, 1, 0}, {{2, 0}, 90, 3, 1}});
}

// A valid file: a string and a stream of three entries with one group, in database 0.
std::vector<Section> Base() {
  return {Info(),
          Db(0, 2),
          Str("str"),
          Header(Meta{}),
          Blocks({{{1, 0}, BlockBytes({1, 0}, ThreeRecs())}}),
          GoodGroup()};
}

void ExpectRejected(const std::vector<Section>& sections, const std::string& message,
                    int databases = kDatabases) {
  LoadResult r = LoadFresh(Assemble(sections), databases);
  CHECK_MESSAGE(r.status == Status::kError, "expected: " << message);
  CHECK_MESSAGE(r.error.find(message) != std::string::npos,
                "error \"" << r.error << "\" lacks \"" << message << "\"");
}

TEST_CASE("snapshot crafted: the hand-made base file loads, so the refusals below are real") {
  Keyspace ks(kDatabases, 1, nullptr);
  LoadResult r = Load(Assemble(Base()), ks);
  REQUIRE_MESSAGE(r.status == Status::kDone, r.error);
  Stream* s = *ks.db(0).FindStream("s", 0);
  REQUIRE(s != nullptr);
  CHECK(s->length() == 3);
  CHECK(s->FindGroup("g")->pending() == 2);
  CHECK(s->FindGroup("g")->FindPending(StreamId{2, 0})->delivery_count == 3);
  // And the writer produces exactly these bytes for the same state.
  CHECK(Write(ks, SnapshotInfo{1, 0}).size() == Assemble(Base()).size());
}

TEST_CASE("snapshot crafted: consumer-group damage is refused") {
  auto with_group = [](Section g, uint64_t groups = 1) {
    Meta m;
    m.groups = groups;
    std::vector<Section> s = Base();
    s[3] = Header(m);
    s.pop_back();
    if (groups == 2) s.push_back(GoodGroup());
    s.push_back(std::move(g));
    return s;
  };
  ExpectRejected(with_group(GoodGroup("g"), 2), "offset 208: stream 's': duplicate group 'g'");
  ExpectRejected(with_group(Group("g", {"a", "b", "a"}, {})),
                 "stream 's': group 'g': duplicate consumer 'a'");
  // (Owner == the consumer count means unowned: see the XNACK case below.)
  ExpectRejected(with_group(Group("g", {"a", "b"}, {{{1, 0}}, {{2, 0}, 100, 1, 3}})),
                 "pending entry 2-0 belongs to consumer #3, the group has 2");
  ExpectRejected(with_group(Group("g", {}, {{{1, 0}, 100, 1, 1}})),
                 "belongs to consumer #1, the group has 0");
  ExpectRejected(with_group(Group("g", {"a"}, {{{1, 0}}, {{2, 0}}, {{2, 0}}})),
                 "pending ID 2-0 appears twice");
  ExpectRejected(with_group(Group("g", {"a"}, {{{0, 0}}, {{0, 0}}})),
                 "pending ID 0-0 appears twice");
  ExpectRejected(with_group(Group("g", {"a"}, {{{5, 0}}, {{3, 0}}})),
                 "pending IDs do not increase after 5-0");
  ExpectRejected(with_group(Group("g", {"a"}, {{{5, 7}}, {{5, 2}}})),
                 "pending IDs do not increase after 5-7");
  ExpectRejected(with_group(Group("g", {"a"}, {{{1, 0}, -3}})), "has delivery time -3");
  ExpectRejected(with_group(Group("g", {"a"}, {}, -2)), "entries_read -2");
  // Counts far beyond the bytes: decoding stops at the first missing byte, nothing is reserved.
  ExpectRejected(with_group(Group("g", {"a"}, {}, 2, uint64_t{1} << 62)),
                 "malformed group section");
  ExpectRejected(with_group(Group("g", {"a"}, {{{1, 0}}}, 2, {}, kU64Max)),
                 "malformed group section");
  // A pending entry above the last ID is a reachable state (see the XSETID test above).
  CHECK(LoadFresh(Assemble(with_group(Group("g", {"a"}, {{{9, 0}}})))).status == Status::kDone);
}

TEST_CASE("snapshot crafted: unowned (XNACK) pending entries load in their NACK-zone order") {
  constexpr int64_t kTicket = streams::kNackZoneBase;
  auto with_group = [](Section g) {
    std::vector<Section> s = Base();
    s.back() = std::move(g);
    return s;
  };
  // Owner 2 of 2 consumers is "nobody"; times are tickets, the later one released first.
  Keyspace ks(kDatabases, 1, nullptr);
  LoadResult r =
      Load(Assemble(with_group(
               Group("g", {"a", "b"}, {{{1, 0}, kTicket + 7, 4, 2}, {{2, 0}, kTicket + 3, 0, 2}}))),
           ks);
  REQUIRE_MESSAGE(r.status == Status::kDone, r.error);
  const streams::ConsumerGroup& g = *(*ks.db(0).FindStream("s", 0))->FindGroup("g");
  CHECK(g.nacked() == 2);
  CHECK(g.by_time().Begin().record().id == StreamId{2, 0});
  CHECK(g.FindPending({1, 0})->delivery_count == 4);
  // An unowned entry needs a ticket; an owned one a real time; owner 3 of 2 is nobody known.
  ExpectRejected(with_group(Group("g", {"a", "b"}, {{{1, 0}, 100, 1, 2}})),
                 "pending entry 1-0 has delivery time 100");
  ExpectRejected(with_group(Group("g", {"a", "b"}, {{{1, 0}, kTicket - 1, 1, 2}})),
                 "pending entry 1-0 has delivery time");
  ExpectRejected(with_group(Group("g", {"a", "b"}, {{{1, 0}, kTicket, 1, 0}})),
                 "pending entry 1-0 has delivery time");
  ExpectRejected(with_group(Group("g", {"a", "b"}, {{{1, 0}, kTicket, 1, 3}})),
                 "belongs to consumer #3, the group has 2");
}

TEST_CASE(
    "snapshot crafted: a group's policy and counters load (version 3), and damage is refused") {
  auto with_group = [](Section g) {
    std::vector<Section> s = Base();
    s.back() = std::move(g);
    return s;
  };
  const std::vector<std::string> policy = {
      "MAXDELIVERIES", "3", "DEADLETTER",      "dlq",  "BACKOFF", "10", "200",
      "MAXPENDING",    "5", "CONSUMER-EXPIRE", "60000"};
  Keyspace ks(kDatabases, 1, nullptr);
  LoadResult r =
      Load(Assemble(with_group(Group("g", {"a"}, {}, 2, {}, {}, policy, true, {7, 1, 2}))), ks);
  REQUIRE_MESSAGE(r.status == Status::kDone, r.error);
  const streams::ConsumerGroup& g = *(*ks.db(0).FindStream("s", 0))->FindGroup("g");
  CHECK(g.policy().max_deliveries == 3);
  CHECK(g.policy().dead_letter == "dlq");
  CHECK(g.policy().backoff == std::vector<int64_t>{10, 200});
  CHECK(g.policy().max_pending == 5);
  CHECK(g.policy().consumer_expire_ms == 60000);
  CHECK(g.counters() == streams::GroupCounters{7, 1, 2});
  // A version 2 file has no policy in its groups, and loads with none.
  Keyspace old(kDatabases, 1, nullptr);
  std::vector<Section> v2 = with_group(Group("g", {"a"}, {}, 2, {}, {}, {}, false));
  v2[3] = Header([] {
    Meta m;
    m.version3 = true;
    return m;
  }());
  LoadResult r2 = Load(Assemble(v2, 2), old);
  REQUIRE_MESSAGE(r2.status == Status::kDone, r2.error);
  CHECK((*old.db(0).FindStream("s", 0))->FindGroup("g")->policy().empty());
  // A policy a command would refuse is refused here too.
  ExpectRejected(with_group(Group("g", {"a"}, {}, 2, {}, {}, {"MAXDELIVERIES", "3"})),
                 "its policy does not parse");
  ExpectRejected(with_group(Group("g", {"a"}, {}, 2, {}, {}, {"BACKOFF", "-1"})),
                 "its policy does not parse at '-1'");
  ExpectRejected(with_group(Group("g", {"a"}, {}, 2, {}, {}, {"WHAT", "1"})),
                 "its policy does not parse at 'WHAT'");
  // A dead-letter key naming the stream itself loads: SETPOLICY refuses it, but COPY or RENAME
  // onto that key makes it, and what the server made must load.
  Keyspace self(kDatabases, 1, nullptr);
  LoadResult r3 = Load(Assemble(with_group(Group("g", {"a"}, {}, 2, {}, {}, {"DEADLETTER", "s"}))),
                       self);
  REQUIRE_MESSAGE(r3.status == Status::kDone, r3.error);
  CHECK((*self.db(0).FindStream("s", 0))->FindGroup("g")->policy().dead_letter == "s");
}

Section Idmp(uint64_t added, uint64_t dups,
             const std::vector<std::pair<std::string, std::vector<std::string>>>& producers) {
  std::string p;
  Varint(&p, added);
  Varint(&p, dups);
  Varint(&p, producers.size());
  uint64_t ms = 1;
  for (const auto& [pid, iids] : producers) {
    Bytes(&p, pid);
    Varint(&p, iids.size());
    for (const std::string& iid : iids) {
      Bytes(&p, iid);
      Id(&p, StreamId{ms++, 0});
    }
  }
  return {kIdmp, p, std::nullopt};
}

TEST_CASE("snapshot crafted: IDMP state loads, and its damage is refused") {
  auto with_idmp = [](Section idmp, Meta m = {}) {
    m.idmp_sections = 1;
    std::vector<Section> s = Base();
    s[3] = Header(m);
    s.push_back(std::move(idmp));
    return s;
  };
  Keyspace ks(kDatabases, 1, nullptr);
  Meta custom;
  custom.idmp_duration = 7;
  custom.idmp_maxsize = 2;
  LoadResult r =
      Load(Assemble(with_idmp(Idmp(9, 4, {{"p1", {"a", "b"}}, {"p2", {"a"}}}), custom)), ks);
  REQUIRE_MESSAGE(r.status == Status::kDone, r.error);
  const Stream& s = **ks.db(0).FindStream("s", 0);
  CHECK(s.idmp_config() == streams::IdmpConfig{7, 2});
  REQUIRE(s.idmp() != nullptr);
  CHECK(s.idmp()->producers() == 2);
  CHECK(s.idmp()->iids() == 3);
  CHECK(s.idmp()->added() == 9);
  CHECK(s.idmp()->duplicates() == 4);
  CHECK(s.idmp()->Find("p1", "b") == StreamId{2, 0});
  CHECK(s.idmp()->Find("p2", "a") == StreamId{3, 0});
  // Written back byte for byte.
  CHECK(Write(ks, SnapshotInfo{1, 0}) ==
        Assemble(with_idmp(Idmp(9, 4, {{"p1", {"a", "b"}}, {"p2", {"a"}}}), custom)));

  Meta bad;
  bad.idmp_duration = 0;
  ExpectRejected(with_idmp(Idmp(0, 0, {}), bad), "IDMP settings 0/100 with 1 states");
  bad = {};
  bad.idmp_maxsize = 10001;
  ExpectRejected(with_idmp(Idmp(0, 0, {}), bad), "IDMP settings 100/10001");
  bad = {};
  bad.idmp_sections = 2;
  std::vector<Section> two = Base();
  two[3] = Header(bad);
  ExpectRejected(two, "with 2 states");
  ExpectRejected(with_idmp(Idmp(1, 0, {{"", {"a"}}})), "is empty, unnamed or repeated");
  ExpectRejected(with_idmp(Idmp(1, 0, {{"p", {}}})), "is empty, unnamed or repeated");
  ExpectRejected(with_idmp(Idmp(1, 0, {{"p", {"a", "a"}}})), "has an empty or repeated iid");
  ExpectRejected(with_idmp(Idmp(1, 0, {{"p", {""}}})), "has an empty or repeated iid");
  ExpectRejected(with_idmp(Idmp(1, 0, {{"p", {"a"}}, {"p", {"b"}}})), "repeated");
  // The header promises a state that does not come.
  std::vector<Section> missing = with_idmp(Idmp(0, 0, {}));
  missing.pop_back();
  missing.push_back(Str("zz"));
  ExpectRejected(missing, "expected a stream-idmp section");
}

// A stream-schedule section: (handle, payload) pairs; payload as streams/schedule.h encodes it.
Section ScheduleSection(const std::vector<std::pair<StreamId, std::string>>& entries) {
  std::string p;
  for (const auto& [handle, payload] : entries) {
    Id(&p, handle);
    Bytes(&p, payload);
  }
  return {kSchedule, p, std::nullopt};
}

std::string Payload(std::vector<std::string_view> fields) {
  return streams::Schedule::EncodeFields(fields);
}

TEST_CASE("snapshot crafted: retention and delayed entries load, and their damage is refused") {
  auto with_schedule = [](std::vector<std::pair<StreamId, std::string>> entries, Meta m) {
    m.scheduled = entries.size();
    std::vector<Section> s = Base();
    s[3] = Header(m);
    if (!entries.empty()) s.push_back(ScheduleSection(entries));
    return s;
  };
  Meta m;
  m.retention_ms = 60000;
  m.retention_maxlen = 500;
  m.retention_refs = 1;
  m.schedule_next_seq = 9;
  const std::vector<std::pair<StreamId, std::string>> good = {
      {{100, 3}, Payload({"job", "a"})}, {{100, 8}, Payload({"job", "b", "x", ""})}};
  Keyspace ks(kDatabases, 1, nullptr);
  LoadResult r = Load(Assemble(with_schedule(good, m)), ks);
  REQUIRE_MESSAGE(r.status == Status::kDone, r.error);
  const Stream& s = **ks.db(0).FindStream("s", 0);
  CHECK(s.retention() == streams::Retention{60000, 500, streams::RefPolicy::kAcked});
  REQUIRE(s.schedule() != nullptr);
  CHECK(s.scheduled() == 2);
  CHECK(s.schedule()->next_seq() == 9);
  CHECK(ks.db(0).NextScheduledMs() == 100);  // filed for the timer
  CHECK(Write(ks, SnapshotInfo{1, 0}) == Assemble(with_schedule(good, m)));

  Meta bad = m;
  bad.retention_refs = 2;
  ExpectRejected(with_schedule({}, bad), "retention 60000/500/2");
  bad = m;
  bad.retention_ms = -1;
  ExpectRejected(with_schedule({}, bad), "retention -1/");
  bad = m;
  bad.schedule_next_seq = 8;  // below a handle's seq
  ExpectRejected(with_schedule(good, bad), "scheduled entry 100-8 has a bad handle or fields");
  ExpectRejected(with_schedule({{{100, 3}, Payload({"odd"})}}, m), "has a bad handle or fields");
  ExpectRejected(with_schedule({{{100, 3}, "\x05"}}, m), "has a bad handle or fields");
  ExpectRejected(
      with_schedule({{{100, 4}, Payload({"a", "1"})}, {{100, 3}, Payload({"a", "1"})}}, m),
      "scheduled entry 100-3 is out of order");
  ExpectRejected(
      with_schedule({{{100, 3}, Payload({"a", "1"})}, {{100, 3}, Payload({"a", "1"})}}, m),
      "is out of order");
  std::vector<Section> more = with_schedule(good, m);
  more[3] = Header([&] {
    Meta one = m;
    one.scheduled = 1;
    return one;
  }());
  ExpectRejected(more, "more scheduled entries than its header says");
  std::vector<Section> missing = with_schedule(good, m);
  missing.back() = Str("zz");
  ExpectRejected(missing, "expected a stream-schedule section");
  std::vector<Section> too_many = Base();
  too_many[3] = Header([&] {
    Meta ten = m;
    ten.scheduled = 10;
    return ten;
  }());
  ExpectRejected(too_many, "10 scheduled entries with a counter at 9");
}

TEST_CASE("snapshot crafted: version 3 files, without retention or schedule, still load") {
  Meta v3;
  v3.version3 = true;
  std::vector<Section> s = Base();
  s[3] = Header(v3);
  Keyspace ks(kDatabases, 1, nullptr);
  LoadResult r = Load(Assemble(s, 3), ks);
  REQUIRE_MESSAGE(r.status == Status::kDone, r.error);
  const Stream& st = **ks.db(0).FindStream("s", 0);
  CHECK(st.retention().empty());
  CHECK(st.schedule() == nullptr);
  ExpectRejected(s, "malformed stream-header section");  // the same header in a version 4 file
}

TEST_CASE("snapshot crafted: version 1 files, without IDMP fields, still load") {
  Meta v1;
  v1.version1 = true;
  std::vector<Section> s = Base();
  s[3] = Header(v1);
  s.back() =
      Group("g", {"a", "b"}, {{{1, 0}, 100, 1, 0}, {{2, 0}, 90, 3, 1}}, 2, {}, {}, {}, false);
  Keyspace ks(kDatabases, 1, nullptr);
  LoadResult r = Load(Assemble(s, 1), ks);
  REQUIRE_MESSAGE(r.status == Status::kDone, r.error);
  CHECK((*ks.db(0).FindStream("s", 0))->idmp_config() == streams::IdmpConfig{});
  // And a version 1 header in a version 2 file is short of its IDMP fields.
  ExpectRejected(s, "malformed stream-header section");
}

TEST_CASE("snapshot crafted: block damage is refused") {
  auto with_blocks = [](std::vector<std::pair<StreamId, std::string>> blocks, Meta m = {}) {
    m.blocks = blocks.size();
    std::vector<Section> s = Base();
    s[3] = Header(m);
    s[4] = Blocks(blocks);
    return s;
  };
  ExpectRejected(with_blocks({{{1, 0}, BlockBytes({1, 0}, {{{1, 0}}, {{3, 0}}, {{2, 0}}})}}),
                 "offset 118: stream 's': block 1-0 byte 16: live record 2-0 does not follow 3-0");
  std::string overrun = BlockBytes({1, 0}, ThreeRecs());
  overrun.back() = 'x';
  overrun[overrun.size() - 2] = static_cast<char>(0x85);  // says 5 bytes, 1 is left
  ExpectRejected(with_blocks({{{1, 0}, overrun}}), "value overruns record 3-0");
  std::string bad_tag = BlockBytes({1, 0}, ThreeRecs());
  bad_tag[bad_tag.size() - 2] = static_cast<char>(0xf7);
  ExpectRejected(with_blocks({{{1, 0}, bad_tag}}), "bad value tag in record 3-0");
  std::string cut = BlockBytes({1, 0}, ThreeRecs());
  cut.pop_back();
  ExpectRejected(with_blocks({{{1, 0}, cut}}), "value overruns record 3-0");
  std::string head_cut = BlockBytes({1, 0}, ThreeRecs()) + "\x84";  // ms changed, seq missing
  ExpectRejected(with_blocks({{{1, 0}, head_cut}}), "bad record head");
  ExpectRejected(
      with_blocks({{{1, 0}, BlockBytes({1, 0}, {{{1, 0}}, {{2, 0}, false, {}}, {{3, 0}}})}}),
      "field count 0 is impossible");
  ExpectRejected(with_blocks({{{1, 0},
                               std::string("\x05\x81"
                                           "f",
                                           3)}}),
                 "master field count 5 is impossible");
  ExpectRejected(with_blocks({{{1, 0},
                               std::string("\x01\x81"
                                           "f",
                                           3)}}),
                 "block has no records");
  ExpectRejected(with_blocks({{{2, 0}, BlockBytes({2, 0}, {{{1, 0}}, {{2, 0}}, {{3, 0}}})}}),
                 "block 2-0 byte 3: record 1-0 is below the master ID");
  ExpectRejected(with_blocks({{{1, 5}, BlockBytes({1, 5}, {{{1, 0}}, {{2, 0}}, {{3, 0}}})}}),
                 "block 1-5 byte 3: record 1-0 is below the master ID");
  // A same-ms seq delta that overflows (the writer never makes one).
  ExpectRejected(with_blocks({{{1, kU64Max},
                               std::string("\x01\x81"
                                           "f"
                                           "\x08\x81v",
                                           6)}}),
                 "block 1-18446744073709551615 byte 3: bad record head");
  // Record below the master through an ms wrap-around (the modular ms delta).
  ExpectRejected(with_blocks({{{2, 0}, BlockBytes({2, 0}, {{{2, 0}}, {{3, 0}}, {{1, 0}, true}})}}),
                 "record 1-0 is below the master ID");
  // Blocks: none live, too many tombstones, overlapping, more than declared.
  ExpectRejected(with_blocks({{{1, 0}, BlockBytes({1, 0}, {{{1, 0}}, {{2, 0}}})},
                              {{3, 0}, BlockBytes({3, 0}, {{{3, 0}, true}})}},
                             Meta{2, 3, {3, 0}, {1, 0}, {3, 0}}),
                 "block 3-0 holds no live entries");
  ExpectRejected(
      with_blocks({{{1, 0}, BlockBytes({1, 0}, {{{1, 0}, true}, {{2, 0}, true}, {{3, 0}}})}},
                  Meta{1, 3, {3, 0}, {3, 0}, {2, 0}}),
      "block 1-0 has more tombstones than live entries");
  ExpectRejected(with_blocks({{{1, 0}, BlockBytes({1, 0}, {{{1, 0}}, {{2, 0}}})},
                              {{2, 0}, BlockBytes({2, 0}, {{{3, 0}}})}}),
                 "block 2-0 does not start after entry 2-0");
  std::vector<Section> extra = Base();
  extra[4] = Blocks({{{1, 0}, BlockBytes({1, 0}, {{{1, 0}}, {{2, 0}}})},
                     {{3, 0}, BlockBytes({3, 0}, {{{3, 0}}})}});
  ExpectRejected(extra, "more blocks than its header says");
  // A block with a tombstone above the next live record (XSETID, see above) is fine.
  CHECK(
      LoadFresh(Assemble(with_blocks(
                    {{{1, 0}, BlockBytes({1, 0}, {{{1, 0}}, {{3, 0}, true}, {{2, 0}}, {{2, 5}}})}},
                    Meta{3, 4, {3, 0}, {1, 0}, {3, 0}})))
          .status == Status::kDone);
}

TEST_CASE("snapshot crafted: stream bookkeeping damage is refused") {
  auto with_meta = [](Meta m) {
    std::vector<Section> s = Base();
    s[3] = Header(m);
    return s;
  };
  Meta m;
  m.length = m.added = 4;
  ExpectRejected(with_meta(m),
                 "offset 78: stream 's': its header says length 4, its blocks hold 3");
  m = Meta{};
  m.length = 2;
  m.added = 2;
  ExpectRejected(with_meta(m), "its header says length 2, its blocks hold 3");
  m = Meta{};
  m.added = 2;
  ExpectRejected(with_meta(m), "stream 's': entries_added 2 is below its length 3");
  m = Meta{};
  m.first = StreamId{2, 0};
  ExpectRejected(with_meta(m), "stream 's': first_id 2-0 is not its first entry's ID 1-0");
  m = Meta{};
  m.last = StreamId{2, 5};
  ExpectRejected(with_meta(m), "stream 's': entry 3-0 is above its last ID 2-5");
  m = Meta{};
  m.max_deleted = StreamId{3, 1};
  ExpectRejected(with_meta(m), "max_deleted_id 3-1 is above its last ID 3-0");
  m = Meta{};
  m.blocks = uint64_t{1} << 62;
  ExpectRejected(with_meta(m), "4611686018427387904 blocks cannot hold 3 entries");
  m = Meta{};
  m.groups = 2;
  ExpectRejected(with_meta(m), "the file ends inside stream 's': 0 blocks and 1 groups missing");
  // An empty stream with a first ID.
  std::vector<Section> empty = {Info(), Db(0, 1), Header(Meta{0, 5, {3, 0}, {1, 0}, {0, 0}, 0, 0})};
  ExpectRejected(empty, "first_id 1-0 is not its first entry's ID 0-0");
  std::vector<Section> ok = {Info(), Db(0, 1), Header(Meta{0, 5, {3, 0}, {0, 0}, {2, 0}, 0, 0})};
  CHECK(LoadFresh(Assemble(ok)).status == Status::kDone);
}

TEST_CASE("snapshot crafted: file-level damage is refused") {
  std::vector<Section> s = Base();
  s.push_back({9, "x", std::nullopt});
  ExpectRejected(s, "unknown section kind 0x09");
  ExpectRejected({Info(), Db(16, 1), Str("k")},
                 "offset 35: database 16 is beyond the 16 databases configured");
  ExpectRejected({Info(), Db(3, 1), Str("k")}, "database 3 is beyond the 2 databases", 2);
  ExpectRejected({Info(), Db(2, 1), Str("k"), Db(1, 1), Str("k")}, "database 1 follows database 2");
  ExpectRejected({Info(), Db(2, 1), Str("k"), Db(2, 1), Str("j")}, "database 2 follows database 2");
  ExpectRejected({Info(), Db(0, 2), Str("k"), Str("k")}, "duplicate key 'k' in database 0");
  ExpectRejected(
      {Info(), Db(0, 2), Str("k"), Header(Meta{0, 0, {0, 0}, {0, 0}, {0, 0}, 0, 0}, "k")},
      "duplicate key 'k' in database 0");
  ExpectRejected({Info(), Db(0, 3), Str("k"), Str("j")},
                 "offset 35: database 0 declares 3 keys, the file holds 2");
  ExpectRejected({Info(), Db(0, 1), Str("k"), Str("j")},
                 "database 0 declares 1 keys, the file holds 2");
  ExpectRejected({Db(0, 1), Str("k")}, "expected the info section first, found a database section");
  ExpectRejected({}, "the end section comes before the info section");
  ExpectRejected({Info(), Info()}, "a info section out of place");
  ExpectRejected({Info(), Str("k")}, "a key comes before any database section");
  ExpectRejected({Info(), Db(0, 0), GoodGroup()}, "a group section out of place");
  ExpectRejected({Info(), Db(0, 1), Str("k", -7)}, "key 'k' has expiry time -7");
  std::vector<Section> tail = {Info(), Db(0, 1), Str("k")};
  tail[2].payload += "zz";
  ExpectRejected(tail, "2 unexpected bytes at the end of the string section");
  std::vector<Section> cut = {Info(), Db(0, 1), Str("k")};
  cut[2].payload.pop_back();
  ExpectRejected(cut, "malformed string section at payload byte 3");
  std::vector<Section> wrong_kind = Base();
  wrong_kind[4].kind = kGroup;
  ExpectRejected(wrong_kind, "stream 's': expected a stream-blocks section, found a group section");
  // A payload length far beyond the file: read in chunks, fails at the end, allocates little.
  std::vector<Section> long_section = {Info(), Db(0, 1), Str("k")};
  long_section[2].length = uint64_t{1} << 62;
  ExpectRejected(long_section, "string section of 4611686018427387904 bytes runs past the end");
  long_section[2].length = 5u << 20;
  ExpectRejected(long_section, "runs past the end of the file");

  std::string bad_magic = Assemble(Base());
  bad_magic[0] = 'X';
  CHECK(LoadFresh(bad_magic).error == "offset 0: not a Runnel snapshot (bad magic)");
  CHECK(LoadFresh(Assemble(Base(), 5)).error ==
        "offset 0: snapshot version 5 is not supported (this build reads 4)");
  CHECK(LoadFresh(Assemble(Base(), 0)).error ==
        "offset 0: snapshot version 0 is not supported (this build reads 4)");
  std::string bad_end = Assemble(Base());
  bad_end[bad_end.size() - 16] ^= 1;  // the whole-file digest, its own checksum fixed below
  std::string digest = bad_end.substr(bad_end.size() - 16, 8);
  std::string fixed;
  Fixed(&fixed, Hash(digest), 8);
  bad_end.replace(bad_end.size() - 8, 8, fixed);
  CHECK(LoadFresh(bad_end).error.find("whole-file checksum mismatch") != std::string::npos);

  Keyspace busy(1, 1, nullptr);
  SetString(busy, 0, "already", "here", -1);
  CHECK(Load(Assemble(Base()), busy).error == "offset 0: the keyspace to load into is not empty");
}

// ---- Structure fuzzing: damage behind valid checksums -----------------------------------------

// The sections of a file written by WriteSnapshot (the framing only; payloads stay opaque).
std::vector<Section> Split(const std::string& file) {
  std::vector<Section> out;
  size_t pos = 16;
  while (static_cast<uint8_t>(file[pos]) != kEnd) {
    uint64_t len = 0;
    for (int i = 0; i < 8; ++i) len |= uint64_t{static_cast<uint8_t>(file[pos + 1 + i])} << (8 * i);
    out.push_back({static_cast<uint8_t>(file[pos]), file.substr(pos + 9, len), std::nullopt});
    pos += 9 + len + 8;
  }
  return out;
}

// Uses everything a loaded keyspace holds, the way commands would: both iteration directions,
// lag, invariants, and then appends, deletions and trims on every stream.
void Exercise(Keyspace& ks) {
  std::string d = Describe(ks);
  CHECK(d.find("BROKEN") == std::string::npos);
  CHECK(d.find("DIFFER") == std::string::npos);
  CHECK(d.find("DISAGREES") == std::string::npos);
  StreamLimits limits{0, 3};
  for (int i = 0; i < ks.size(); ++i) {
    std::vector<std::string> keys;
    ks.db(i).ForEach([&](const Database::Node& n) { keys.push_back(n.key); });
    for (const std::string& key : keys) {
      Stream* s = ks.db(i).Peek(key)->value.value.stream();
      if (s == nullptr) continue;
      auto next = s->NextId(streams::AddIdSpec{}, 1);
      if (next.ok()) Add(*s, *next, {"f", "v", "g", "w"}, limits);
      std::vector<StreamId> ids;
      for (auto it = s->Range(StreamId::Min(), StreamId::Max(), false); it.Next();) {
        ids.push_back(it.id());
      }
      for (size_t j = 0; j < ids.size(); j += 2) s->Delete(ids[j], limits);
      streams::TrimSpec trim;
      trim.strategy = streams::TrimSpec::Strategy::kMaxLen;
      trim.maxlen = 1;
      s->Trim(trim, limits);
      for (const auto& [name, g] : s->groups()) {
        std::string why;
        CHECK_MESSAGE(g->CheckInvariants(&why), why);
        if (auto first = g->pel().Begin(); first.valid()) g->Ack(first.record().id);
      }
      CHECK(Describe(ks).find("DIFFER") == std::string::npos);
    }
  }
}

TEST_CASE("snapshot fuzz: damaged payloads with valid checksums never crash or load badly") {
  Keyspace rich(2, 1, nullptr);
  Stream& r = NewStream(rich, 1, "rich");
  FillMixed(r, 40, StreamLimits{0, 3});
  AddGroups(r);
  r.Delete(StreamId{1002, 1}, StreamLimits{0, 3});
  const std::vector<std::vector<Section>> bases = {Split(SmallSnapshot()), Split(Write(rich)),
                                                   Base()};
  std::mt19937_64 rng(2024);
  int loaded = 0, refused = 0;
#ifdef RUNNEL_SANITIZE
  const int kTrials = 8000;
#else
  const int kTrials = 30000;
#endif
  for (int trial = 0; trial < kTrials; ++trial) {
    std::vector<Section> sections = bases[trial % bases.size()];
    for (int m = 1 + static_cast<int>(rng() % 3); m > 0; --m) {
      Section& s = sections[rng() % sections.size()];
      std::string& p = s.payload;
      size_t at = p.empty() ? 0 : rng() % p.size();
      switch (rng() % 8) {
        case 0:
        case 1:
          if (!p.empty()) p[at] = static_cast<char>(p[at] ^ (1 << (rng() % 8)));
          break;
        case 2:
          if (!p.empty())
            p[at] = static_cast<char>(Pick(rng, {0x00, 0x01, 0x7f, 0x80, 0xf0, 0xff}));
          break;
        case 3:
          p.resize(at);
          break;
        case 4:
          p.insert(at, 1, static_cast<char>(rng()));
          break;
        case 5:
          s.kind = static_cast<uint8_t>(1 + rng() % 6);
          break;
        case 6:
          sections.push_back(sections[rng() % sections.size()]);
          break;
        default:
          std::swap(sections[rng() % sections.size()], sections[rng() % sections.size()]);
      }
    }
    Keyspace ks(4, 1, nullptr);
    LoadResult result = Load(Assemble(sections), ks);
    if (result.status == Status::kDone) {
      ++loaded;
      Exercise(ks);
    } else {
      ++refused;
      CHECK(result.error.rfind("offset ", 0) == 0);
    }
  }
  MESSAGE(kTrials << " files damaged behind valid checksums: " << refused << " refused, " << loaded
                  << " loaded (harmless changes: values, times, counts) and used without fault");
}

}  // namespace
}  // namespace runnel::persistence
