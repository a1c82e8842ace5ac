#include "rdb/writer.h"

#include <charconv>
#include <vector>

#include "rdb/listpack.h"
#include "rdb/stream_reader.h"

namespace runnel::rdb {
namespace {

using streams::StreamId;

constexpr size_t kNodeMaxEntries = 100;
constexpr size_t kNodeMaxBytes = 4096;

void WriteU64Le(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void WriteRawId(std::string* out, StreamId id) {
  StreamId::Key key = id.ToKey();
  out->append(reinterpret_cast<const char*>(key.data()), key.size());
}

void WriteId(std::string* out, StreamId id) {
  WriteLength(out, id.ms);
  WriteLength(out, id.seq);
}

// Redis's rule for integer-encoding a string: canonical, at most 11 bytes, fits int32.
bool SmallInt(std::string_view s, int32_t* v) {
  if (s.empty() || s.size() > 11) return false;
  if ((s[0] == '0' && s.size() > 1) || (s[0] == '-' && (s.size() == 1 || s[1] == '0'))) {
    return false;
  }
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && end == s.data() + s.size();
}

struct Entry {
  StreamId id;
  std::vector<std::string> fv;  // field, value, ...
};

bool SameFields(const Entry& master, const Entry& e) {
  if (master.fv.size() != e.fv.size()) return false;
  for (size_t i = 0; i < e.fv.size(); i += 2) {
    if (master.fv[i] != e.fv[i]) return false;
  }
  return true;
}

// One node: its master entry is the first entry's field names.
std::string EncodeNode(const std::vector<Entry>& entries) {
  ListpackWriter lp;
  const Entry& master = entries.front();
  lp.AddInt(static_cast<int64_t>(entries.size()));
  lp.AddInt(0);  // deleted
  lp.AddInt(static_cast<int64_t>(master.fv.size() / 2));
  for (size_t i = 0; i < master.fv.size(); i += 2) lp.AddString(master.fv[i]);
  lp.AddInt(0);  // the master entry's terminator
  for (const Entry& e : entries) {
    bool same = SameFields(master, e);
    int64_t nfields = static_cast<int64_t>(e.fv.size() / 2);
    lp.AddInt(same ? 2 : 0);
    lp.AddInt(static_cast<int64_t>(e.id.ms - master.id.ms));
    lp.AddInt(static_cast<int64_t>(e.id.seq - master.id.seq));
    if (!same) lp.AddInt(nfields);
    for (size_t i = 0; i < e.fv.size(); i += 2) {
      if (!same) lp.AddString(e.fv[i]);
      lp.AddString(e.fv[i + 1]);
    }
    lp.AddInt(same ? nfields + 3 : 2 * nfields + 4);
  }
  return lp.Finish();
}

size_t EntryBytes(const Entry& e) {
  size_t n = 16;
  for (const std::string& s : e.fv) n += s.size() + 2;
  return n;
}

void WriteEntries(std::string* out, const streams::Stream& s) {
  std::vector<std::string> nodes;  // key, listpack, key, listpack...
  std::vector<Entry> node;
  size_t node_bytes = 0;
  auto flush = [&] {
    if (node.empty()) return;
    std::string key;
    WriteRawId(&key, node.front().id);
    nodes.push_back(std::move(key));
    nodes.push_back(EncodeNode(node));
    node.clear();
    node_bytes = 0;
  };
  char buf[24];
  streams::Stream::Iterator it = s.Range(StreamId::Min(), StreamId::Max(), false);
  while (it.Next()) {
    Entry e{it.id(), {}};
    streams::EntryBlock::FieldReader fields = it.Fields();
    streams::StoredValue f, v;
    while (fields.Next(&f, &v)) {
      e.fv.emplace_back(f.Text(buf));
      e.fv.emplace_back(v.Text(buf));
    }
    if (node.size() >= kNodeMaxEntries || node_bytes >= kNodeMaxBytes) flush();
    node_bytes += EntryBytes(e);
    node.push_back(std::move(e));
  }
  flush();
  WriteLength(out, nodes.size() / 2);
  for (const std::string& n : nodes) WriteString(out, n);
}

// Type 27: the IDs of the group's NACK zone, the head of its time index, in release order.
void WriteNackZone(std::string* out, const streams::ConsumerGroup& g) {
  WriteLength(out, g.nacked());
  for (auto it = g.by_time().Begin(); it.valid(); it.Next()) {
    const streams::TimedId& t = it.record();
    if (t.delivery_ms >= 0) break;
    WriteRawId(out, t.id);
  }
}

void WriteGroup(std::string* out, const streams::ConsumerGroup& g, uint8_t type) {
  WriteString(out, g.name());
  WriteId(out, g.last_delivered());
  WriteLength(out, static_cast<uint64_t>(g.entries_read()));  // -1 travels as 2^64-1
  WriteLength(out, g.pending());
  g.pel().ForEach([&](const streams::PendingRecord& r) {
    WriteRawId(out, r.id);
    WriteU64Le(out, static_cast<uint64_t>(streams::ShownDeliveryMs(r)));  // 0 when released
    WriteLength(out, r.delivery_count);
  });
  WriteLength(out, g.consumers().size());
  for (const auto& [name, c] : g.consumers()) {
    WriteString(out, name);
    WriteU64Le(out, static_cast<uint64_t>(c->seen_ms()));
    if (type >= kTypeStreamListpacks3) WriteU64Le(out, static_cast<uint64_t>(c->active_ms()));
    WriteLength(out, c->pending());
    c->pel().ForEach([&](const StreamId& id) { WriteRawId(out, id); });
  }
  if (type >= kTypeStreamListpacks5) WriteNackZone(out, g);
}

// Types 26 and 27: IDMP settings, each producer's iids oldest first, the lifetime counters.
void WriteIdmp(std::string* out, const streams::Stream& s) {
  WriteLength(out, static_cast<uint64_t>(s.idmp_config().duration_s));
  WriteLength(out, static_cast<uint64_t>(s.idmp_config().maxsize));
  const streams::IdmpState* idmp = s.idmp();
  if (idmp == nullptr) {
    for (int i = 0; i < 3; ++i) WriteLength(out, 0);  // no producers, nothing counted
    return;
  }
  WriteLength(out, idmp->producers());
  idmp->ForEachProducer([&](std::string_view pid, const streams::IdmpState::Producer& p) {
    WriteString(out, pid);
    WriteLength(out, p.size());
    p.ForEachIid([&](std::string_view iid, StreamId id) {
      WriteString(out, iid);
      WriteId(out, id);
    });
  });
  WriteLength(out, idmp->added());
  WriteLength(out, idmp->duplicates());
}

}  // namespace

void WriteLength(std::string* out, uint64_t v) {
  if (v < (1 << 6)) {
    out->push_back(static_cast<char>(v));
  } else if (v < (1 << 14)) {
    out->push_back(static_cast<char>(0x40 | (v >> 8)));
    out->push_back(static_cast<char>(v & 0xff));
  } else if (v <= UINT32_MAX) {
    out->push_back(static_cast<char>(0x80));
    for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  } else {
    out->push_back(static_cast<char>(0x81));
    for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
}

void WriteString(std::string* out, std::string_view s) {
  int32_t v;
  if (SmallInt(s, &v)) {
    auto u = static_cast<uint32_t>(v);
    int size = v >= INT8_MIN && v <= INT8_MAX ? 1 : v >= INT16_MIN && v <= INT16_MAX ? 2 : 4;
    out->push_back(static_cast<char>(0xc0 | (size == 1 ? 0 : size == 2 ? 1 : 2)));
    for (int i = 0; i < size; ++i) out->push_back(static_cast<char>((u >> (8 * i)) & 0xff));
    return;
  }
  WriteLength(out, s.size());
  out->append(s);
}

const char* StreamDumpRefusal(const streams::Stream& s) {
  if (s.scheduled() > 0) return "delayed entries";
  return nullptr;
}

uint8_t StreamDumpType(const streams::Stream& s, const streams::IdmpConfig& idmp_defaults) {
  for (const auto& [name, g] : s.groups()) {
    if (g->nacked() > 0) return kTypeStreamListpacks5;
  }
  // Without its iids a restored stream would take again an XADD IDMP it has already taken;
  // without its settings it would forget iids sooner or keep fewer. Its counters go too, as in
  // Runnel's own snapshots: a stream that ever used IDMP goes as Redis 8.6 writes it.
  const streams::IdmpState* idmp = s.idmp();
  if (s.idmp_config() != idmp_defaults ||
      (idmp != nullptr && (!idmp->empty() || idmp->added() > 0 || idmp->duplicates() > 0))) {
    return kTypeStreamListpacks4;
  }
  return kTypeStreamListpacks2;
}

void WriteStream(std::string* out, const streams::Stream& s, uint8_t type) {
  WriteEntries(out, s);
  WriteLength(out, s.length());
  WriteId(out, s.last_id());
  WriteId(out, s.first_id());
  WriteId(out, s.max_deleted_id());
  WriteLength(out, s.entries_added());
  WriteLength(out, s.groups().size());
  for (const auto& [name, g] : s.groups()) WriteGroup(out, *g, type);
  if (type >= kTypeStreamListpacks4) WriteIdmp(out, s);
}

}  // namespace runnel::rdb
