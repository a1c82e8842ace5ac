#include "rdb/stream_reader.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "rdb/listpack.h"

namespace runnel::rdb {
namespace {

using streams::Stream;
using streams::StreamId;

constexpr int64_t kFlagDeleted = 1;
constexpr int64_t kFlagSameFields = 2;

bool ReadId(Input& in, StreamId* id) {
  uint64_t ms, seq;
  if (!in.Length(&ms) || !in.Length(&seq)) return false;
  *id = {ms, seq};
  return true;
}

bool ReadRawId(Input& in, StreamId* id) {
  std::string raw;
  if (!in.Bytes(16, &raw)) return false;
  StreamId::Key key;
  for (size_t i = 0; i < 16; ++i) key[i] = static_cast<uint8_t>(raw[i]);
  *id = StreamId::FromKey(key);
  return true;
}

bool ReadMillis(Input& in, int64_t* ms) {
  uint64_t v;
  if (!in.U64Le(&v)) return false;
  *ms = static_cast<int64_t>(v);
  return true;
}

// Walks the elements of one node's listpack (§7.2), appending its live entries to the stream.
class NodeDecoder {
 public:
  NodeDecoder(Input& in, Stream& stream, const streams::StreamLimits& limits, StreamId master,
              const std::vector<ListpackElement>& e)
      : in_(in), stream_(stream), limits_(limits), master_(master), e_(e) {}

  // Appends the node's live entries; false with the reason latched in `in`.
  bool Decode(StreamId* last_appended, bool* any_appended) {
    int64_t count, deleted, nfields;
    if (!Int(&count) || !Int(&deleted) || !Int(&nfields) || count < 0 || deleted < 0 ||
        nfields < 0 || static_cast<uint64_t>(nfields) >= left()) {
      return Bad("a node's master entry is malformed");
    }
    if (count == 0) return Bad("a node with no live entries");
    for (int64_t i = 0; i < nfields; ++i) master_fields_.push_back(Next());
    int64_t terminator;
    if (!Int(&terminator) || terminator != 0) return Bad("a node's master entry is not terminated");
    int64_t live = 0, dead = 0;
    while (at_ < e_.size()) {
      bool was_deleted = false;
      if (!Entry(last_appended, any_appended, &was_deleted)) return false;
      (was_deleted ? dead : live) += 1;
    }
    if (live != count || dead != deleted) return Bad("a node's entry counts are wrong");
    return true;
  }

 private:
  bool Bad(const std::string& why) { return in_.Fail(why); }

  bool Int(int64_t* v) {
    if (at_ >= e_.size() || !e_[at_].is_int) return false;
    *v = e_[at_++].integer;
    return true;
  }
  const ListpackElement& Next() { return e_[at_++]; }
  size_t left() const { return e_.size() - at_; }

  bool Entry(StreamId* last_appended, bool* any_appended, bool* was_deleted) {
    int64_t flags, ms_delta, seq_delta, lp_count;
    if (!Int(&flags) || !Int(&ms_delta) || !Int(&seq_delta) || (flags & ~3) != 0) {
      return Bad("an entry's header is malformed");
    }
    // The deltas are signed and wrap, as Redis adds them to the master ID.
    StreamId id{master_.ms + static_cast<uint64_t>(ms_delta),
                master_.seq + static_cast<uint64_t>(seq_delta)};
    int64_t nfields = static_cast<int64_t>(master_fields_.size());
    bool same = (flags & kFlagSameFields) != 0;
    if (same ? nfields == 0
             : !Int(&nfields) || nfields <= 0 || static_cast<uint64_t>(nfields) > left()) {
      return Bad("an entry's field count is wrong");
    }
    uint64_t elements = same ? static_cast<uint64_t>(nfields) : 2 * static_cast<uint64_t>(nfields);
    if (elements + 1 > left()) return Bad("an entry runs past its node");
    fields_.clear();
    for (int64_t f = 0; f < nfields; ++f) {
      fields_.push_back(same ? master_fields_[f].Text() : Next().Text());
      fields_.push_back(Next().Text());
    }
    uint64_t expected = same ? static_cast<uint64_t>(nfields) + 3 : 2 * nfields + 4;
    if (!Int(&lp_count) || static_cast<uint64_t>(lp_count) != expected) {
      return Bad("an entry's element count is wrong");
    }
    *was_deleted = (flags & kFlagDeleted) != 0;
    if (*was_deleted) return true;
    if (*any_appended ? id <= *last_appended : id.IsMin()) {
      return Bad("entry " + id.ToString() + " is out of order");
    }
    std::vector<std::string_view> views(fields_.begin(), fields_.end());
    stream_.Append(id, views, limits_);
    *last_appended = id;
    *any_appended = true;
    return true;
  }

  Input& in_;
  Stream& stream_;
  const streams::StreamLimits& limits_;
  StreamId master_;
  const std::vector<ListpackElement>& e_;
  size_t at_ = 0;
  std::vector<ListpackElement> master_fields_;
  std::vector<std::string> fields_;
};

bool ReadEntries(Input& in, Stream& stream, const streams::StreamLimits& limits) {
  uint64_t nodes;
  if (!in.Length(&nodes)) return false;
  std::string key, lp, why;
  std::vector<ListpackElement> elements;
  StreamId last_appended, previous_master;
  bool any_appended = false;
  for (uint64_t n = 0; n < nodes; ++n) {
    if (!in.String(&key) || !in.String(&lp)) return false;
    if (key.size() != 16) return in.Fail("a stream node key that is not 16 bytes");
    StreamId::Key raw;
    for (size_t i = 0; i < 16; ++i) raw[i] = static_cast<uint8_t>(key[i]);
    StreamId master = StreamId::FromKey(raw);
    if (n > 0 && master <= previous_master) return in.Fail("stream node keys out of order");
    previous_master = master;
    if (!ParseListpack(lp, &elements, &why)) return in.Fail(why);
    if (elements.empty()) return in.Fail("an empty stream node");
    NodeDecoder node(in, stream, limits, master, elements);
    if (!node.Decode(&last_appended, &any_appended)) return false;
  }
  return true;
}

// The stream's bookkeeping after its entries; older types get Redis's loader defaults. Every
// check Runnel's snapshot loader makes of a stream holds after this, so a restored stream
// always saves and loads.
bool ReadMetadata(Input& in, uint8_t type, Stream& stream) {
  uint64_t length, added;
  StreamId last, first, max_deleted;
  if (!in.Length(&length) || !ReadId(in, &last)) return false;
  StreamId saved_first;
  if (type >= kTypeStreamListpacks2) {
    if (!ReadId(in, &saved_first) || !ReadId(in, &max_deleted) || !in.Length(&added)) {
      return false;
    }
  } else {
    added = length;
  }
  // The first entry's ID is what the entries say; Runnel's snapshots (and its lag arithmetic)
  // require it, whatever the saved field holds.
  Stream::Iterator it = stream.Range(StreamId::Min(), StreamId::Max(), false);
  first = it.Next() ? it.id() : StreamId{};
  if (length != stream.length()) return in.Fail("the stream's length does not match its entries");
  if (added < length) return in.Fail("the stream's entries-added is below its length");
  if (added > static_cast<uint64_t>(INT64_MAX)) {
    return in.Fail("the stream's entries-added is out of range");
  }
  std::optional<StreamId> live_last = stream.LastLiveId();
  if ((live_last && *live_last > last) || max_deleted > last) {
    return in.Fail("the stream's last ID is below one of its entries");
  }
  stream.RestoreMetadata(last, first, max_deleted, added);
  return true;
}

struct PendingEntry {
  int64_t delivery_ms;
  uint64_t count;
  bool placed = false;  // a consumer owns it, or it is in the group's NACK zone
};

// Reads the next raw ID and claims its PEL record for a consumer or for the NACK zone: nullptr
// if the read failed, or the ID is not pending or already claimed (*id says which).
PendingEntry* ClaimPending(Input& in, std::map<StreamId, PendingEntry>& pel, StreamId* id) {
  if (!ReadRawId(in, id)) return nullptr;
  auto it = pel.find(*id);
  if (it == pel.end() || it->second.placed) return nullptr;
  it->second.placed = true;
  return &it->second;
}

bool ReadConsumers(Input& in, uint8_t type, streams::ConsumerGroup& group,
                   std::map<StreamId, PendingEntry>& pel) {
  uint64_t consumers;
  if (!in.Length(&consumers)) return false;
  std::string name;
  for (uint64_t c = 0; c < consumers; ++c) {
    int64_t seen, active;
    if (!in.String(&name) || !ReadMillis(in, &seen)) return false;
    active = seen;  // types 15 and 19 kept no separate active time
    if (type >= kTypeStreamListpacks3 && !ReadMillis(in, &active)) return false;
    auto [consumer, created] = group.GetOrCreateConsumer(name, seen);
    if (!created) return in.Fail("duplicate consumer '" + name + "'");
    consumer->set_active_ms(active);
    uint64_t owned;
    if (!in.Length(&owned)) return false;
    for (uint64_t k = 0; k < owned; ++k) {
      StreamId id;
      const PendingEntry* e = ClaimPending(in, pel, &id);
      if (e == nullptr) {
        return !in.failed() && in.Fail("consumer '" + name + "' owns " + id.ToString() +
                                       ", which is not in the group's PEL or has another owner");
      }
      group.SetPending(id, *consumer, e->delivery_ms, e->count);
    }
  }
  return true;
}

// Type 27: the group's NACK zone, pending entries with no owner, oldest release first. Redis
// keeps no release times, so they are released at time 0, in order: the zone keeps its order
// and no BACKOFF holds them back.
bool ReadNackZone(Input& in, streams::ConsumerGroup& group, std::map<StreamId, PendingEntry>& pel) {
  uint64_t count;
  if (!in.Length(&count)) return false;
  for (uint64_t n = 0; n < count; ++n) {
    StreamId id;
    const PendingEntry* e = ClaimPending(in, pel, &id);
    if (e == nullptr) {
      return !in.failed() && in.Fail("group '" + group.name() + "' has " + id.ToString() +
                                     " in its NACK zone, but not in its PEL, or owned, or twice");
    }
    group.Release(id, e->count, 0, false);
  }
  return true;
}

bool ReadGroups(Input& in, uint8_t type, Stream& stream) {
  uint64_t groups;
  if (!in.Length(&groups)) return false;
  std::string name;
  for (uint64_t g = 0; g < groups; ++g) {
    StreamId last_delivered;
    if (!in.String(&name) || !ReadId(in, &last_delivered)) return false;
    int64_t entries_read;
    if (type >= kTypeStreamListpacks2) {
      uint64_t raw;
      if (!in.Length(&raw)) return false;
      entries_read = static_cast<int64_t>(raw);
      if (entries_read < streams::kUnknownEntriesRead) {
        return in.Fail("group '" + name + "' has entries-read " + std::to_string(entries_read));
      }
    } else {
      entries_read = stream.EstimateEntriesRead(last_delivered);
    }
    streams::ConsumerGroup* group = stream.CreateGroup(name, last_delivered, entries_read);
    if (group == nullptr) return in.Fail("duplicate consumer group '" + name + "'");
    uint64_t pending;
    if (!in.Length(&pending)) return false;
    std::map<StreamId, PendingEntry> pel;
    for (uint64_t p = 0; p < pending; ++p) {
      StreamId id;
      PendingEntry e;
      if (!ReadRawId(in, &id) || !ReadMillis(in, &e.delivery_ms) || !in.Length(&e.count)) {
        return false;
      }
      // Runnel never lets a count wrap (consumer_group.h): a larger one counts as the largest.
      e.count = std::min<uint64_t>(e.count, INT64_MAX);
      if (!pel.emplace(id, e).second) return in.Fail("pending entry " + id.ToString() + " twice");
    }
    if (!ReadConsumers(in, type, *group, pel)) return false;
    if (type >= kTypeStreamListpacks5 && !ReadNackZone(in, *group, pel)) return false;
    for (const auto& [id, e] : pel) {
      if (!e.placed) {
        return in.Fail("group '" + name + "' has pending entry " + id.ToString() +
                       " with no consumer");
      }
    }
  }
  return true;
}

// One producer of the IDMP section: its pid, then its iids oldest first. A producer saved with
// no iids (Redis writes one whose iids all expired) is not kept. Of more iids than IDMP-MAXSIZE
// (which XIDMPRECORD may leave) the newest are kept, as the next XADD IDMP would keep them.
bool ReadIdmpProducer(Input& in, Stream& stream) {
  std::string pid, iid;
  uint64_t iids;
  if (!in.String(&pid) || !in.Length(&iids)) return false;
  if (iids == 0) return true;
  if (pid.empty()) return in.Fail("an IDMP producer without a name");
  const uint64_t maxsize = static_cast<uint64_t>(stream.idmp_config().maxsize);
  const uint64_t dropped = iids > maxsize ? iids - maxsize : 0;
  streams::IdmpState& idmp = stream.idmp_state();
  const size_t producers_before = idmp.producers();
  for (uint64_t i = 0; i < iids; ++i) {
    StreamId id;
    if (!in.String(&iid) || !ReadId(in, &id)) return false;
    if (iid.empty()) return in.Fail("IDMP producer '" + pid + "' has an empty iid");
    if (i < dropped) continue;
    if (idmp.Find(pid, iid)) return in.Fail("IDMP producer '" + pid + "' has a repeated iid");
    idmp.Restore(pid, iid, id);
  }
  // Restoring into a producer already there adds no producer: its pid came twice.
  if (idmp.producers() == producers_before) {
    return in.Fail("IDMP producer '" + pid + "' is repeated");
  }
  return true;
}

// Types 26 and 27: the stream's IDMP settings, its producers and the lifetime counters. Iids
// past their duration are kept: the expiry cron drops them, so what a payload decodes to never
// depends on the clock.
bool ReadIdmp(Input& in, Stream& stream) {
  uint64_t duration, maxsize, producers;
  if (!in.Length(&duration) || !in.Length(&maxsize)) return false;
  if (duration < 1 || duration > static_cast<uint64_t>(streams::kIdmpMaxDuration) || maxsize < 1 ||
      maxsize > static_cast<uint64_t>(streams::kIdmpMaxMaxSize)) {
    return in.Fail("the stream's IDMP settings are out of range");
  }
  stream.SetIdmpConfig({static_cast<int64_t>(duration), static_cast<int64_t>(maxsize)});
  if (!in.Length(&producers)) return false;
  for (uint64_t p = 0; p < producers; ++p) {
    if (!ReadIdmpProducer(in, stream)) return false;
  }
  uint64_t added, duplicates;
  if (!in.Length(&added) || !in.Length(&duplicates)) return false;
  // Counted as Runnel counts: never past INT64_MAX, and never fewer added than are held.
  const size_t tracked = stream.idmp() != nullptr ? stream.idmp()->iids() : 0;
  added = std::clamp<uint64_t>(added, tracked, INT64_MAX);
  duplicates = std::min<uint64_t>(duplicates, INT64_MAX);
  if (tracked > 0 || added > 0 || duplicates > 0) {
    stream.idmp_state().RestoreCounters(added, duplicates);
  }
  return true;
}

}  // namespace

std::unique_ptr<Stream> ReadStream(Input& in, uint8_t type, const streams::StreamLimits& limits) {
  auto stream = std::make_unique<Stream>();
  if (!ReadEntries(in, *stream, limits) || !ReadMetadata(in, type, *stream) ||
      !ReadGroups(in, type, *stream) || (type >= kTypeStreamListpacks4 && !ReadIdmp(in, *stream))) {
    return nullptr;
  }
  return stream;
}

}  // namespace runnel::rdb
