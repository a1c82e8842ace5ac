// Snapshots that must load: round trips compared in full (see snapshot_test_util.h's
// Describe), every state random stream and group operations reach, loading one section per
// step, a failing sink, and a size/speed figure for a 1,000,000-entry stream. Damaged and
// hand-made files are in snapshot_damage_test.cc.
#include "persistence/snapshot.h"

#include <doctest/doctest.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "streams/keyspace.h"
#include "tests/persistence/snapshot_test_util.h"

namespace runnel::persistence {
namespace {

using namespace testing;  // NOLINT(build/namespaces)

// Writes, loads in one step and in single-section steps, and checks all three agree.
void CheckRoundTrip(const Keyspace& ks, SnapshotInfo info = {}) {
  std::string bytes = Write(ks, info);
  std::string expected = Describe(ks);
  Keyspace once(ks.size(), 99, nullptr);
  LoadResult r = Load(bytes, once);
  REQUIRE_MESSAGE(r.status == Status::kDone, r.error);
  CHECK(r.keys == ks.TotalKeys());
  CHECK(r.info.created_ms == info.created_ms);
  CHECK(r.info.next_log_sequence == info.next_log_sequence);
  CHECK(Describe(once) == expected);
  Keyspace stepped(ks.size(), 5, nullptr);
  LoadResult s = Load(bytes, stepped, 1);
  REQUIRE_MESSAGE(s.status == Status::kDone, s.error);
  CHECK(Describe(stepped) == expected);
  // Writing what was loaded gives the same bytes: nothing is lost or re-encoded.
  if (ks.size() > 0) CHECK(Write(once, info).size() == bytes.size());
}

TEST_CASE("snapshot: an empty keyspace round-trips, with its info") {
  Keyspace ks(kDatabases, 1, nullptr);
  CheckRoundTrip(ks, SnapshotInfo{1700000000123, 42});
  std::string bytes = Write(ks);
  // Header, info section, end section: nothing else.
  CHECK(bytes.size() == 16 + (9 + 2 + 8) + (9 + 8 + 8));
  Keyspace none(0, 1, nullptr);
  CheckRoundTrip(none, SnapshotInfo{-5, kU64Max});
}

TEST_CASE("snapshot: strings with and without TTL in several databases") {
  Keyspace ks(kDatabases, 1, nullptr);
  SetString(ks, 0, "plain", "value", -1);
  SetString(ks, 0, "ttl", "v", 1700000000000);
  SetString(ks, 0, "", "", -1);
  SetString(ks, 0, std::string("\0\xff\r\n", 4), std::string("\0\0\x01", 3), 0);
  SetString(ks, 3, "big", std::string(3 << 20, 'x') + "end", 42);  // read in several chunks
  SetString(ks, 15, "last-db", "9223372036854775807", INT64_MAX);
  for (int i = 0; i < 200; ++i) SetString(ks, 7, "k" + std::to_string(i), std::to_string(i), i);
  CheckRoundTrip(ks, SnapshotInfo{1, 2});
}

TEST_CASE("snapshot: streams with many blocks, tombstones and trims round-trip") {
  Keyspace ks(4, 1, nullptr);
  StreamLimits tiny{0, 3};
  Stream& many = NewStream(ks, 0, "many", 1800000000000);
  FillMixed(many, 300, tiny);
  for (uint64_t i = 0; i < 300; i += 7) many.Delete(StreamId{1000 + i / 3, i % 3}, tiny);
  CHECK(many.block_count() > 50);

  Stream& bytes_limited = NewStream(ks, 1, "bytes-limited");
  FillMixed(bytes_limited, 200, StreamLimits{256, 0});

  Stream& trimmed = NewStream(ks, 1, "trimmed");
  FillMixed(trimmed, 120, tiny);
  streams::TrimSpec maxlen;
  maxlen.strategy = streams::TrimSpec::Strategy::kMaxLen;
  maxlen.maxlen = 71;
  CHECK(trimmed.Trim(maxlen, tiny) == 49);
  streams::TrimSpec minid;
  minid.strategy = streams::TrimSpec::Strategy::kMinId;
  minid.minid = StreamId{1030, 1};
  trimmed.Trim(minid, tiny);
  trimmed.Delete(StreamId{1035, 0}, tiny);

  // XSETID on an empty stream (as after XGROUP CREATE ... MKSTREAM).
  Stream& empty = NewStream(ks, 2, "empty-setid");
  REQUIRE(empty.SetId(StreamId{5, 5}, 10, StreamId{3, 0}) == streams::Errc::kOk);
  NewStream(ks, 2, "mkstream");

  // A tombstone above a later live record: XDEL 3-0, lower max-deleted and the last ID with
  // XSETID, then add 2-6 behind the tombstone in the same block.
  Stream& ooo = NewStream(ks, 3, "tombstone-above");
  for (uint64_t ms = 1; ms <= 3; ++ms) Add(ooo, StreamId{ms, 0}, {"f", "v"}, StreamLimits{});
  REQUIRE(ooo.Delete(StreamId{3, 0}, StreamLimits{}));
  REQUIRE(ooo.SetId(StreamId{3, 0}, std::nullopt, StreamId{1, 5}) == streams::Errc::kOk);
  REQUIRE(ooo.SetId(StreamId{2, 5}, std::nullopt, std::nullopt) == streams::Errc::kOk);
  Add(ooo, StreamId{2, 6}, {"f", "w"}, StreamLimits{});
  CHECK(ooo.block_count() == 1);
  CHECK(ooo.length() == 3);
  CheckRoundTrip(ks, SnapshotInfo{7, 8});
}

TEST_CASE("snapshot: consumer groups round-trip, lag and entries-read included") {
  Keyspace ks(2, 1, nullptr);
  StreamLimits tiny{0, 4};
  Stream& s = NewStream(ks, 0, "orders", 1900000000000);
  FillMixed(s, 60, tiny);
  AddGroups(s);
  s.Delete(StreamId{1003, 0}, tiny);  // a tombstone after some groups' positions

  Stream& s2 = NewStream(ks, 1, "no-deletes");
  FillMixed(s2, 40, tiny);
  AddGroups(s2);
  CheckRoundTrip(ks);
}

TEST_CASE("snapshot: IDs at the top of the ID space round-trip") {
  Keyspace ks(1, 1, nullptr);
  StreamLimits limits{0, 3};
  Stream& s = NewStream(ks, 0, "huge");
  const std::vector<StreamId> ids = {
      {0, 1},           {0, kU64Max - 1},  // same-ms seq jump >= 2^61
      {1ULL << 61, 0},                     // ms jump >= 2^60 (the wide escape)
      {kU64Max - 2, 0}, {kU64Max - 2, 1ULL << 62}, {kU64Max - 2, kU64Max},
      {kU64Max, 0},     {kU64Max, 1ULL << 61},     {kU64Max, kU64Max}};
  for (StreamId id : ids) Add(s, id, {"k", std::to_string(id.seq)}, limits);
  ConsumerGroup* g = s.CreateGroup("g", StreamId::Max(), 9);
  auto* c = g->GetOrCreateConsumer("c", INT64_MAX).first;
  c->set_active_ms(INT64_MAX);
  for (StreamId id : ids)
    g->SetPending(id, *c, INT64_MAX - static_cast<int64_t>(id.seq % 5), kU64Max);
  std::vector<StreamId> read;
  for (auto it = s.Range(StreamId::Min(), StreamId::Max(), false); it.Next();)
    read.push_back(it.id());
  CHECK(read == ids);
  CheckRoundTrip(ks);
}

// Pending entries above the stream's last ID are not damage: trim everything delivered, lower
// the last ID with XSETID (allowed on an empty stream with no XDEL above it, in Redis too),
// and the group still remembers what it delivered. The loader must accept it.
TEST_CASE("snapshot: pending entries above the last ID (XTRIM then XSETID) load") {
  Keyspace ks(1, 1, nullptr);
  StreamLimits limits;
  Stream& s = NewStream(ks, 0, "s");
  Add(s, StreamId{1, 0}, {"a", "1"}, limits);
  Add(s, StreamId{2, 0}, {"a", "2"}, limits);
  ConsumerGroup* g = s.CreateGroup("g", StreamId::Min(), 0);
  auto* c = g->GetOrCreateConsumer("c", 1).first;
  for (StreamId id : {StreamId{1, 0}, StreamId{2, 0}}) {
    g->SetPending(id, *c, 10, 1);
    s.AdvanceGroup(*g, id);
  }
  streams::TrimSpec all;
  all.strategy = streams::TrimSpec::Strategy::kMaxLen;
  REQUIRE(s.Trim(all, limits) == 2);
  REQUIRE(s.SetId(StreamId{0, 5}, std::nullopt, std::nullopt) == streams::Errc::kOk);
  Add(s, StreamId{1, 0}, {"a", "again"}, limits);
  REQUIRE(s.last_id() < StreamId{2, 0});
  CheckRoundTrip(ks);
}

TEST_CASE("snapshot: loading one section per step gives the same keyspace") {
  Keyspace ks(3, 1, nullptr);
  StreamLimits tiny{0, 2};
  for (int db = 0; db < 3; ++db) {
    SetString(ks, db, "s", "v", db == 1 ? 5 : -1);
    Stream& s = NewStream(ks, db, "stream");
    FillMixed(s, 50, tiny);
    AddGroups(s);
  }
  std::string bytes = Write(ks);
  Keyspace once(3, 1, nullptr), stepped(3, 2, nullptr);
  LoadResult a = Load(bytes, once);
  LoadResult b = Load(bytes, stepped, 1);
  REQUIRE(a.status == Status::kDone);
  REQUIRE(b.status == Status::kDone);
  CHECK(a.steps == 1);
  // info + per db (database + string + stream header + 25 blocks in one section + 4 groups),
  // and the end section: one step each.
  CHECK(b.steps == 1 + 3 * (1 + 1 + 1 + 1 + 4) + 1);
  CHECK(Describe(once) == Describe(stepped));
  CHECK(Describe(once) == Describe(ks));
  // Two sections per step lands on the same state too.
  Keyspace two(3, 3, nullptr);
  CHECK(Load(bytes, two, 2).status == Status::kDone);
  CHECK(Describe(two) == Describe(ks));
}

TEST_CASE("snapshot: a failing sink is reported") {
  Keyspace ks(1, 1, nullptr);
  SetString(ks, 0, "k", std::string(1 << 20, 'v'), -1);
  for (size_t limit : {size_t{0}, size_t{10}, size_t{100000}, size_t{1 << 20}}) {
    StringSink sink;
    sink.fail_after_ = limit;
    std::string error;
    CHECK_FALSE(WriteSnapshot(ks, {}, sink, &error));
    CHECK(error.find("failed") != std::string::npos);
  }
}

// Every state the data model can reach must load: random appends (clock behind, huge jumps),
// XDEL, exact and approximate trims, XSETID (with MAXDELETEDID, on empty streams too) and
// group, consumer and PEL churn, round-tripped every few operations.
class RandomWorkload {
 public:
  explicit RandomWorkload(uint64_t seed) : rng_(seed) {}

  void Step(Stream& s) {
    switch (rng_() % 12) {
      case 0:
      case 1:
      case 2:
        Append(s);
        break;
      case 3:
        if (auto id = RandomLiveId(s)) s.Delete(*id, limits_);
        break;
      case 4:
        Trim(s);
        break;
      case 5:
        SetId(s);
        break;
      default:
        Groups(s);
    }
  }

 private:
  void Append(Stream& s) {
    streams::AddIdSpec spec;
    uint64_t now = clock_ += rng_() % 3;
    if (rng_() % 10 == 0) now -= 5;  // the clock went backwards
    if (rng_() % 25 == 0) {
      spec.kind = streams::AddIdSpec::Kind::kExplicit;
      spec.id = StreamId{s.last_id().ms, s.last_id().seq + (uint64_t{1} << (rng_() % 64))};
    }
    auto id = s.NextId(spec, now);
    if (!id.ok()) return;
    Add(s, *id, {"f", std::to_string(rng_() % 1000), "g", std::string(rng_() % 40, 'x')}, limits_);
    if (rng_() % 3 == 0) Idmp(s, *id);
    if (rng_() % 4 == 0) Runnel(s, now);
  }
  // Retention settings and delayed entries: scheduled, cancelled, popped as they fall due.
  void Runnel(Stream& s, uint64_t now) {
    switch (rng_() % 6) {
      case 0:
        s.set_retention({static_cast<int64_t>(rng_() % 3) * 1000, rng_() % 3 * 7,
                         rng_() % 2 ? streams::RefPolicy::kAcked : streams::RefPolicy::kKeepRef});
        break;
      case 1:
        if (s.schedule()) s.mutable_schedule().PopDue(static_cast<int64_t>(now));
        break;
      case 2:
        if (s.schedule() && !s.schedule()->empty()) {
          s.mutable_schedule().Cancel(
              s.schedule()->Range(StreamId::Min(), StreamId::Max(), 1)[0].handle);
        }
        break;
      default: {
        std::string job(rng_() % 300, static_cast<char>(rng_() % 256));
        std::vector<std::string_view> fields{"job", job};
        s.mutable_schedule().Add(static_cast<int64_t>(now + rng_() % 50), fields);
        break;
      }
    }
  }
  // XADD IDMP's bookkeeping, XCFGSET and the expiry cron (Redis 8.6).
  void Idmp(Stream& s, StreamId id) {
    std::string pid = "p" + std::to_string(rng_() % 3);
    std::string iid = "i" + std::to_string(rng_() % 50);
    switch (rng_() % 10) {
      case 0:
        s.SetIdmpConfig(
            {1 + static_cast<int64_t>(rng_() % 3), 1 + static_cast<int64_t>(rng_() % 4)});
        break;
      case 1:
        s.idmp_state().Expire(id.ms - rng_() % 5);
        break;
      default:
        if (s.idmp_state().Find(pid, iid)) {
          s.idmp_state().CountDuplicate();
        } else {
          s.idmp_state().Record(pid, iid, id, static_cast<uint64_t>(s.idmp_config().maxsize));
        }
    }
  }
  std::optional<StreamId> RandomLiveId(const Stream& s) {
    if (s.length() == 0) return std::nullopt;
    uint64_t skip = rng_() % s.length();
    auto it = s.Range(StreamId::Min(), StreamId::Max(), rng_() % 2 == 0);
    while (it.Next()) {
      if (skip-- == 0) return it.id();
    }
    return std::nullopt;
  }
  void Trim(Stream& s) {
    streams::TrimSpec t;
    t.approx = rng_() % 2 == 0;
    t.limit = rng_() % 3 == 0 ? static_cast<int64_t>(rng_() % 10) : 0;
    if (rng_() % 2 == 0) {
      t.strategy = streams::TrimSpec::Strategy::kMaxLen;
      t.maxlen = s.length() - std::min<uint64_t>(s.length(), rng_() % 8);
    } else if (auto id = RandomLiveId(s)) {
      t.strategy = streams::TrimSpec::Strategy::kMinId;
      t.minid = *id;
    }
    s.Trim(t, limits_);
  }
  void SetId(Stream& s) {
    // As XSETID validates its arguments: MAXDELETEDID <= ID; the stream checks the rest.
    StreamId base = s.LastLiveId().value_or(StreamId::Min());
    if (rng_() % 2 == 0) base = std::max(base, s.max_deleted_id());
    StreamId id{base.ms, base.seq + rng_() % 3};
    std::optional<StreamId> max_deleted;
    if (rng_() % 3 == 0) max_deleted = StreamId{id.ms, id.seq - std::min<uint64_t>(id.seq, 1)};
    std::optional<uint64_t> added;
    if (rng_() % 3 == 0) added = s.length() + rng_() % 3;
    s.SetId(id, added, max_deleted);
  }
  void Groups(Stream& s) {
    std::string name = "g" + std::to_string(rng_() % 3);
    ConsumerGroup* g = s.FindGroup(name);
    if (g == nullptr) {
      g = s.CreateGroup(
          name, rng_() % 2 ? s.last_id() : StreamId::Min(),
          rng_() % 3 ? static_cast<int64_t>(rng_() % 5) : streams::kUnknownEntriesRead);
      return;
    }
    std::string cname = "c" + std::to_string(rng_() % 4);
    switch (rng_() % 7) {
      case 0:
        if (rng_() % 4 == 0) s.DestroyGroup(name);
        break;
      case 3:  // XNACK, FORCE or not
        if (auto first = g->pel().Begin(); first.valid() && rng_() % 3) {
          g->Release(first.record().id, rng_() % 3, static_cast<int64_t>(rng_() % 5000),
                     rng_() % 2 == 0);
        } else if (auto id = RandomLiveId(s)) {
          g->Release(*id, rng_() % 3, static_cast<int64_t>(rng_() % 5000), rng_() % 2 == 0);
        }
        break;
      case 1:
        g->DeleteConsumer(cname);
        break;
      case 2:
        if (auto first = g->pel().Begin(); first.valid()) g->Ack(first.record().id);
        break;
      default:
        if (auto id = RandomLiveId(s)) {
          auto* c = g->GetOrCreateConsumer(cname, static_cast<int64_t>(clock_)).first;
          c->set_active_ms(static_cast<int64_t>(clock_));
          g->SetPending(*id, *c, static_cast<int64_t>(clock_ - rng_() % 4), 1 + rng_() % 3);
          s.AdvanceGroup(*g, *id);
        }
    }
  }

  std::mt19937_64 rng_;
  StreamLimits limits_{0, 4};
  uint64_t clock_ = 1000;
};

TEST_CASE("snapshot: every state random stream and group operations reach loads back") {
  std::map<std::string, uint64_t> stats;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    CAPTURE(seed);
    Keyspace ks(1, 1, nullptr);
    std::vector<Stream*> streams;
    for (int i = 0; i < 3; ++i) streams.push_back(&NewStream(ks, 0, "s" + std::to_string(i)));
    RandomWorkload work(seed);
    for (int round = 0; round < 100; ++round) {
      for (int op = 0; op < 25; ++op) work.Step(*streams[static_cast<size_t>(op) % 3]);
      std::string bytes = Write(ks);
      Keyspace loaded(1, 2, nullptr);
      LoadResult r = Load(bytes, loaded);
      REQUIRE_MESSAGE(r.status == Status::kDone, "round " << round << ": " << r.error);
      REQUIRE(Describe(loaded) == Describe(ks));
    }
    for (const Stream* s : streams) {
      stats["entries"] += s->length();
      stats["blocks"] += s->block_count();
      stats["groups"] += s->groups().size();
      stats["XDEL-ed streams"] += s->max_deleted_id().IsMin() ? 0 : 1;
      stats["streams with last ID above the last entry"] +=
          s->LastLiveId().value_or(StreamId::Min()) < s->last_id() ? 1 : 0;
      s->blocks().ForEach(
          [&](const Stream::BlockTree::Entry& e) { stats["tombstones"] += e.value->deleted(); });
      for (const auto& [name, g] : s->groups()) {
        stats["pending"] += g->pending();
        stats["consumers"] += g->consumers().size();
        g->pel().ForEach([&](const streams::PendingRecord& rec) {
          stats["pending above the last ID"] += rec.id > s->last_id() ? 1 : 0;
        });
      }
    }
  }
  std::string summary;
  for (const auto& [what, n] : stats) summary += " " + what + "=" + std::to_string(n);
  MESSAGE("final states over all seeds:" << summary);
}

// COPY's deep copy: a snapshot cannot tell the copy from the original (every saved detail:
// blocks byte for byte, groups, consumers, PELs with NACK tickets, policies and counters, IDMP,
// retention, delayed entries, the TTL), and changing one never changes the other.
TEST_CASE("Stream::Copy and Database::Copy: identical in every saved detail, and independent") {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    CAPTURE(seed);
    Keyspace ks(1, 1, nullptr);
    std::vector<Stream*> streams;
    for (int i = 0; i < 3; ++i) {
      streams.push_back(&NewStream(ks, 0, "s" + std::to_string(i), i == 1 ? 1900000000000 : -1));
    }
    RandomWorkload work(seed);
    for (int round = 0; round < 40; ++round) {
      for (int op = 0; op < 25; ++op) work.Step(*streams[static_cast<size_t>(op) % 3]);
      for (Stream* s : streams) {
        for (const auto& [name, g] : s->groups()) {
          streams::GroupPolicy policy;
          policy.max_deliveries = 3 + static_cast<uint64_t>(round);
          policy.dead_letter = "dlq";
          g->set_policy(policy);
          g->counters().dead_lettered = static_cast<uint64_t>(round);
        }
      }
      Keyspace copy(1, 1, nullptr);  // the same hash seed: the same key order on disk
      ks.db(0).ForEach([&](const Database::Node& n) { ks.db(0).Copy(&n, copy.db(0), n.key); });
      REQUIRE(Describe(copy) == Describe(ks));
      REQUIRE(Write(copy) == Write(ks));
      // Work on the copies leaves the originals as they were.
      const std::string before = Describe(ks);
      RandomWorkload other(seed * 1000 + static_cast<uint64_t>(round));
      for (int op = 0; op < 30; ++op) {
        Stream* c = *copy.db(0).FindStream("s" + std::to_string(op % 3), 0);
        other.Step(*c);
      }
      REQUIRE(Describe(ks) == before);
    }
  }
}

// ---- Size and speed ---------------------------------------------------------------------------

uint64_t StreamDigest(const Stream& s) {
  XXH64_state_t* h = XXH64_createState();
  XXH64_reset(h, 0);
  for (auto it = s.Range(StreamId::Min(), StreamId::Max(), false); it.Next();) {
    std::string e = EntryText(it);
    XXH64_update(h, e.data(), e.size());
  }
  for (const auto& [name, g] : s.groups()) {
    g->pel().ForEach([&](const streams::PendingRecord& r) {
      uint64_t v[5] = {r.id.ms, r.id.seq, static_cast<uint64_t>(r.delivery_ms), r.delivery_count,
                       std::hash<std::string_view>()(g->OwnerName(r))};
      XXH64_update(h, v, sizeof v);
    });
  }
  uint64_t d = XXH64_digest(h);
  XXH64_freeState(h);
  return d;
}

TEST_CASE("snapshot size and speed: a 1,000,000-entry stream with 100,000 pending entries") {
#ifdef RUNNEL_SANITIZE
  const uint64_t kEntries = 100000, kPending = 10000;  // sanitizers are ~10x slower
#else
  const uint64_t kEntries = 1000000, kPending = 100000;
#endif
  using Clock = std::chrono::steady_clock;
  auto ms_since = [](Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
  };
  Keyspace ks(1, 1, nullptr);
  Stream& s = NewStream(ks, 0, "big");
  StreamLimits limits;  // the defaults: 100 entries, 4 KB
  std::string n, user;
  for (uint64_t i = 0; i < kEntries; ++i) {
    n = std::to_string(i);
    user = "u" + std::to_string(i % 5000);
    std::string_view fv[6] = {"seq", n, "kind", i % 4 ? "click" : "view", "user", user};
    s.Append(StreamId{1700000000000 + i / 10, i % 10}, fv, limits);
  }
  ConsumerGroup* g = s.CreateGroup("workers", StreamId::Min(), 0);
  std::vector<streams::Consumer*> consumers;
  for (int c = 0; c < 10; ++c) {
    consumers.push_back(g->GetOrCreateConsumer("worker-" + std::to_string(c), 1700000100000).first);
  }
  uint64_t i = 0;
  for (auto it = s.Range(StreamId::Min(), StreamId::Max(), false); i < kPending && it.Next(); ++i) {
    g->SetPending(it.id(), *consumers[(i / 10) % 10], 1700000100000 + static_cast<int64_t>(i / 10),
                  1 + i % 3 / 2);
    s.AdvanceGroup(*g, it.id());
  }

  auto t0 = Clock::now();
  StringSink sink;
  std::string error;
  REQUIRE(WriteSnapshot(ks, {}, sink, &error));
  double write_ms = ms_since(t0);

  Keyspace loaded(1, 2, nullptr);
  auto t1 = Clock::now();
  LoadResult r = Load(sink.data, loaded);
  double load_ms = ms_since(t1);
  REQUIRE_MESSAGE(r.status == Status::kDone, r.error);

  Stream* copy = *loaded.db(0).FindStream("big", 0);
  REQUIRE(copy != nullptr);
  CHECK(copy->length() == kEntries);
  CHECK(copy->block_count() == s.block_count());
  CHECK(copy->FindGroup("workers")->pending() == kPending);
  CHECK(copy->Lag(*copy->FindGroup("workers")) == s.Lag(*g));
  CHECK(StreamDigest(*copy) == StreamDigest(s));
  uint64_t block_bytes = 0;
  s.blocks().ForEach([&](const Stream::BlockTree::Entry& e) { block_bytes += e.value->bytes(); });
  MESSAGE(kEntries << " entries (3 small fields each) in " << s.block_count() << " blocks + "
                   << kPending << " pending: snapshot " << sink.data.size() << " bytes ("
                   << static_cast<double>(sink.data.size()) / static_cast<double>(kEntries)
                   << " bytes/entry; block bytes " << block_bytes << "), write " << write_ms
                   << " ms, load " << load_ms << " ms");
}

}  // namespace
}  // namespace runnel::persistence
