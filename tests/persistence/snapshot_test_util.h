// Shared by the snapshot tests: in-memory byte sinks and sources, loading with progress
// checks, a full canonical description of a keyspace (every key, expiry, block, entry read
// forwards and backwards, stream counter, group, consumer, pending record, time index and lag)
// that two keyspaces are compared by, and builders for streams and groups of many shapes.
#pragma once

#include <doctest/doctest.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/snapshot.h"
#include "streams/keyspace.h"
#include "tests/persistence/byte_buffers.h"

namespace runnel::persistence::testing {

using streams::ConsumerGroup;
using streams::Database;
using streams::Keyspace;
using streams::Stream;
using streams::StreamId;
using streams::StreamLimits;
using streams::Value;
using Status = SnapshotLoader::Status;

inline constexpr uint64_t kU64Max = UINT64_MAX;
inline constexpr int kDatabases = 16;

inline std::string Write(const Keyspace& ks, SnapshotInfo info = {}) {
  StringSink sink;
  std::string error;
  bool ok = WriteSnapshot(ks, info, sink, &error);
  REQUIRE_MESSAGE(ok, error);
  return sink.data;
}

struct LoadResult {
  Status status = Status::kMore;
  std::string error;
  SnapshotInfo info;
  uint64_t keys = 0;
  size_t steps = 0;
};

inline LoadResult Load(std::string_view bytes, Keyspace& into, size_t per_step = SIZE_MAX) {
  StringSource source(bytes);
  SnapshotLoader loader(source, into);
  LoadResult r;
  uint64_t last_offset = 0, last_keys = 0;
  while ((r.status = loader.Step(per_step)) == Status::kMore) {
    ++r.steps;
    // Progress is monotonic and every step makes some.
    REQUIRE(loader.offset() > last_offset);
    REQUIRE(loader.keys_loaded() >= last_keys);
    last_offset = loader.offset();
    last_keys = loader.keys_loaded();
  }
  ++r.steps;
  r.error = loader.error();
  r.info = loader.info();
  r.keys = loader.keys_loaded();
  // A finished loader stays finished.
  CHECK(loader.Step(1) == r.status);
  return r;
}

// Loads into a fresh keyspace and returns the status and message.
inline LoadResult LoadFresh(std::string_view bytes, int databases = kDatabases) {
  Keyspace ks(databases, 7, nullptr);
  return Load(bytes, ks);
}

// ---- A full, canonical description of a keyspace ---------------------------------------------

inline std::string Escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

inline std::string EntryText(const Stream::Iterator& it) {
  std::string out = it.id().ToString() + "{";
  auto r = it.Fields();
  streams::StoredValue f, v;
  char fb[24], vb[24];
  while (r.Next(&f, &v)) {
    std::string_view value = v.Text(vb);
    out += Escape(f.Text(fb)) + "=";
    out += value.size() > 64 ? "<" + std::to_string(value.size()) +
                                   "b:" + std::to_string(XXH64(value.data(), value.size(), 0)) + ">"
                             : Escape(value);
    out += ",";
  }
  return out + "}";
}

inline void DescribeGroup(const Stream& s, const std::string& name, const ConsumerGroup& g,
                          std::string* out) {
  auto lag = s.Lag(g);
  *out += "  group " + Escape(name) + " last_delivered=" + g.last_delivered().ToString() +
          " entries_read=" + std::to_string(g.entries_read()) +
          " lag=" + (lag ? std::to_string(*lag) : "nil") +
          " pending=" + std::to_string(g.pending()) + "\n";
  std::string why;
  if (!g.CheckInvariants(&why)) *out += "  INVARIANTS BROKEN: " + why + "\n";
  for (const auto& [cname, c] : g.consumers()) {
    *out += "   consumer " + Escape(cname) + " seen=" + std::to_string(c->seen_ms()) +
            " active=" + std::to_string(c->active_ms()) + " owns";
    c->pel().ForEach([&](const StreamId& id) { *out += " " + id.ToString(); });
    *out += "\n";
  }
  g.pel().ForEach([&](const streams::PendingRecord& r) {
    *out += "   pel " + r.id.ToString() + " t=" + std::to_string(r.delivery_ms) +
            " n=" + std::to_string(r.delivery_count) +
            " owner=" + (streams::IsUnowned(r) ? "(none)" : g.ConsumerAt(r.consumer)->name()) +
            "\n";
  });
  *out += "   by_time";
  g.by_time().ForEach([&](const streams::TimedId& t) {
    *out += " " + std::to_string(t.delivery_ms) + "/" + t.id.ToString();
  });
  *out += "\n";
}

inline void DescribeIdmp(const Stream& s, std::string* out) {
  *out += "  idmp duration=" + std::to_string(s.idmp_config().duration_s) +
          " maxsize=" + std::to_string(s.idmp_config().maxsize);
  // An untouched state and no state at all are the same to a client (and to the writer).
  const streams::IdmpState* idmp = s.idmp();
  if (idmp != nullptr && (!idmp->empty() || idmp->added() > 0 || idmp->duplicates() > 0)) {
    *out +=
        " added=" + std::to_string(idmp->added()) + " dups=" + std::to_string(idmp->duplicates());
    idmp->ForEachProducer([&](std::string_view pid, const streams::IdmpState::Producer& p) {
      *out += "\n   producer " + Escape(std::string(pid)) + ":";
      p.ForEachIid([&](std::string_view iid, StreamId id) {
        *out += " " + Escape(std::string(iid)) + "=" + id.ToString();
      });
    });
  }
  *out += "\n";
}

// Retention and delayed entries (Runnel's): the schedule's counter and every entry.
inline void DescribeRunnelSettings(const Stream& s, std::string* out) {
  const streams::Retention& r = s.retention();
  *out += "  retention ms=" + std::to_string(r.max_age_ms) + " maxlen=" + std::to_string(r.maxlen) +
          " acked=" + std::to_string(r.refs == streams::RefPolicy::kAcked) + "\n";
  if (const streams::Schedule* schedule = s.schedule()) {
    *out += "  schedule next_seq=" + std::to_string(schedule->next_seq()) + "\n";
    schedule->ForEach([&](const streams::ScheduledEntry& e) {
      *out += "   " + e.handle.ToString() + " " + Escape(e.payload) + "\n";
    });
  }
}

inline void DescribeStream(const Stream& s, std::string* out) {
  *out += " length=" + std::to_string(s.length()) + " added=" + std::to_string(s.entries_added()) +
          " last=" + s.last_id().ToString() + " first=" + s.first_id().ToString() +
          " maxdel=" + s.max_deleted_id().ToString() +
          " blocks=" + std::to_string(s.block_count()) +
          " nodes=" + std::to_string(s.node_count()) + "\n";
  s.blocks().ForEach([&](const Stream::BlockTree::Entry& e) {
    std::string_view raw = e.value->raw();
    *out += "  block " + e.value->master_id().ToString() +
            " live=" + std::to_string(e.value->live()) +
            " deleted=" + std::to_string(e.value->deleted()) +
            " last=" + e.value->last_id().ToString() + " bytes=" + std::to_string(raw.size()) +
            " hash=" + std::to_string(XXH64(raw.data(), raw.size(), 0)) + "\n";
  });
  std::vector<std::string> forward, backward;
  for (auto it = s.Range(StreamId::Min(), StreamId::Max(), false); it.Next();) {
    forward.push_back(EntryText(it));
  }
  for (auto it = s.Range(StreamId::Min(), StreamId::Max(), true); it.Next();) {
    backward.push_back(EntryText(it));
  }
  std::reverse(backward.begin(), backward.end());
  if (forward != backward) *out += "  FORWARD AND BACKWARD ITERATION DIFFER\n";
  if (forward.size() != s.length()) *out += "  ITERATION DISAGREES WITH LENGTH\n";
  for (const std::string& e : forward) *out += "  " + e + "\n";
  auto top = s.LastLiveId();
  *out += "  last_live=" + (top ? top->ToString() : std::string("none")) + "\n";
  for (const auto& [name, g] : s.groups()) DescribeGroup(s, name, *g, out);
  DescribeIdmp(s, out);
  DescribeRunnelSettings(s, out);
}

inline std::string Describe(const Keyspace& ks) {
  std::string out;
  for (int i = 0; i < ks.size(); ++i) {
    const Database& db = ks.db(i);
    std::map<std::string, const streams::Record*> keys;
    db.ForEach([&](const Database::Node& n) { keys[n.key] = &n.value; });
    out += "db " + std::to_string(i) + " size=" + std::to_string(db.size()) +
           " expires=" + std::to_string(db.expires_count()) +
           " next_expiry=" + std::to_string(db.NextExpiry()) + "\n";
    for (const auto& [key, rec] : keys) {
      out += " key " + Escape(key) + " expire=" + std::to_string(rec->expire_ms);
      if (const std::string* s = rec->value.string()) {
        out += " string " + std::to_string(s->size()) + "b " +
               (s->size() > 64 ? std::to_string(XXH64(s->data(), s->size(), 0)) : Escape(*s)) +
               "\n";
      } else {
        out += " stream";
        DescribeStream(*rec->value.stream(), &out);
      }
    }
  }
  return out;
}

// ---- Building test data --------------------------------------------------------------------

using Fields = std::vector<std::string>;

inline void Add(Stream& s, StreamId id, const Fields& f, const StreamLimits& limits) {
  std::vector<std::string_view> v(f.begin(), f.end());
  s.Append(id, v, limits);
}

inline Stream& NewStream(Keyspace& ks, int db, std::string_view key, int64_t expire = -1) {
  Database::Node* node = ks.db(db).Set(key, Value(std::make_unique<Stream>()));
  if (expire >= 0) ks.db(db).SetExpire(node, expire);
  return *node->value.value.stream();
}

inline void SetString(Keyspace& ks, int db, std::string_view key, std::string value,
                      int64_t expire) {
  Database::Node* node = ks.db(db).Set(key, Value(std::move(value)));
  if (expire >= 0) ks.db(db).SetExpire(node, expire);
}

// A stream of `n` entries with mixed shapes: same fields as the block's master, other fields,
// integers, short and long values.
inline void FillMixed(Stream& s, uint64_t n, const StreamLimits& limits, uint64_t ms0 = 1000) {
  for (uint64_t i = 0; i < n; ++i) {
    StreamId id{ms0 + i / 3, i % 3};
    switch (i % 5) {
      case 0:
        Add(s, id, {"temp", std::to_string(20 + i % 7), "room", "kitchen"}, limits);
        break;
      case 1:
        Add(s, id, {"temp", "-" + std::to_string(i * 1000), "room", "hall"}, limits);
        break;
      case 2:
        Add(s, id, {"event", "open", "door", std::string(70 + i % 30, 'd')}, limits);
        break;
      case 3:
        Add(s, id, {"blob", std::string(5000, static_cast<char>('a' + i % 26))}, limits);
        break;
      default:
        Add(s, id, {"n", "007", "", "", std::string("x\0y", 3), "9223372036854775807"}, limits);
        break;
    }
  }
}

// A group with pending entries of several owners and delivery counts, a consumer with an
// empty PEL, and a deleted consumer (so slot indexes have a hole the file must not depend on).
inline void AddGroups(Stream& s) {
  auto ids = [&] {
    std::vector<StreamId> out;
    for (auto it = s.Range(StreamId::Min(), StreamId::Max(), false); it.Next();) {
      out.push_back(it.id());
    }
    return out;
  }();
  REQUIRE(ids.size() >= 20);
  ConsumerGroup* g = s.CreateGroup("readers", StreamId::Min(), 0);
  auto* gone = g->GetOrCreateConsumer("gone", 10).first;
  auto* alice = g->GetOrCreateConsumer("alice", 100).first;
  auto* bob = g->GetOrCreateConsumer("bob", 200).first;
  auto* idle = g->GetOrCreateConsumer("idle", 300).first;
  alice->set_active_ms(150);
  bob->set_active_ms(250);
  (void)idle;
  g->SetPending(ids[0], *gone, 5, 1);
  REQUIRE(g->DeleteConsumer("gone"));
  auto* late = g->GetOrCreateConsumer("late", 400).first;  // reuses the freed slot
  for (size_t i = 0; i < 15; ++i) {
    streams::Consumer* owner = i % 3 == 0 ? alice : i % 3 == 1 ? bob : late;
    g->SetPending(ids[i], *owner, 1000 + static_cast<int64_t>(i % 4) * 7, 1 + i % 4);
    s.AdvanceGroup(*g, ids[i]);
  }
  g->SetPending(ids[3], *bob, 999, 9);  // redelivered to another consumer, earlier time
  REQUIRE(g->Ack(ids[4]));

  ConsumerGroup* unknown = s.CreateGroup("unknown-read", ids[5], streams::kUnknownEntriesRead);
  unknown->GetOrCreateConsumer("only", 7);
  s.CreateGroup("empty", s.last_id(), static_cast<int64_t>(s.entries_added()));
  s.CreateGroup(std::string("bin\0\xff", 5), StreamId{3, 3}, 2);
}

}  // namespace runnel::persistence::testing
