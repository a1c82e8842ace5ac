// Helpers shared by the Stream tests: entries as owned strings, reading ranges back through
// Stream::Iterator, the model's view of a range, and a structural check of the block tree.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "streams/stream.h"

namespace runnel::streams::testing {

inline constexpr uint64_t kMax = UINT64_MAX;
using Fields = std::vector<std::string>;  // field, value, field, value ...
using Model = std::map<StreamId, Fields>;

inline std::vector<std::string_view> Views(const Fields& f) { return {f.begin(), f.end()}; }

inline void Add(Stream& s, StreamId id, const Fields& f, const StreamLimits& limits = {}) {
  auto v = Views(f);
  s.Append(id, v, limits);
}

inline Fields ReadFields(const Stream::Iterator& it) {
  Fields out;
  EntryBlock::FieldReader r = it.Fields();
  StoredValue f, v;
  char fb[24], vb[24];
  while (r.Next(&f, &v)) {
    out.emplace_back(f.Text(fb));
    out.emplace_back(v.Text(vb));
  }
  if (out.size() != 2 * it.field_count()) out.push_back("<field_count mismatch>");
  return out;
}

using Listing = std::vector<std::pair<StreamId, Fields>>;

inline Listing ReadRange(const Stream& s, StreamId start, StreamId end, bool reverse) {
  Listing out;
  Stream::Iterator it = s.Range(start, end, reverse);
  while (it.Next()) out.emplace_back(it.id(), ReadFields(it));
  return out;
}

inline Listing ModelRange(const Model& m, StreamId start, StreamId end, bool reverse) {
  Listing out;
  if (start > end) return out;
  for (auto it = m.lower_bound(start); it != m.end() && it->first <= end; ++it) {
    out.emplace_back(it->first, it->second);
  }
  if (reverse) std::reverse(out.begin(), out.end());
  return out;
}

inline std::string Show(const Listing& l) {
  std::string s;
  for (const auto& [id, f] : l) {
    s += id.ToString() + "{";
    for (size_t i = 0; i < f.size(); ++i) {
      if (i) s += ",";
      s += f[i].size() > 20 ? "<" + std::to_string(f[i].size()) + " bytes>" : f[i];
    }
    s += "} ";
  }
  return s;
}

// Block structure: keys are master IDs, records increase and stay below the next block, no
// empty blocks, tombstones never outnumber live entries, the entry limit holds.
inline std::string CheckBlocks(const Stream& s, const StreamLimits& limits) {
  uint64_t live_total = 0;
  std::optional<StreamId> prev_last;
  std::string problem;
  const Stream::BlockTree& tree = s.blocks();
  for (auto* e = tree.First(); e != nullptr && problem.empty(); e = tree.Next(e)) {
    const EntryBlock& b = *e->value;
    StreamId master = b.master_id();
    if (e->key != master.ToKey()) problem = "block key != master id";
    if (b.live() == 0) problem = "empty block " + master.ToString();
    if (b.deleted() > b.live()) problem = "tombstones outnumber live in " + master.ToString();
    if (limits.node_max_entries != 0 && b.records() > limits.node_max_entries) {
      problem = "block over node_max_entries";
    }
    if (prev_last && !(*prev_last < master)) problem = "blocks overlap at " + master.ToString();
    uint32_t live = 0, deleted = 0, records = 0;
    std::optional<StreamId> last;
    EntryBlock::Ref ref;
    EntryBlock::Cursor cursor = b.Start();
    while (b.Read(&cursor, &ref)) {
      ++records;
      (ref.deleted() ? deleted : live)++;
      if (ref.id < master) problem = "record below master in " + master.ToString();
      if (last && !(*last < ref.id)) problem = "records not increasing in " + master.ToString();
      last = ref.id;
    }
    if (records > 0 && !(b.last_id() == *last)) problem = "last_id wrong in " + master.ToString();
    if (live != b.live() || deleted != b.deleted() || records != b.records()) {
      problem = "counters disagree with records in " + master.ToString();
    }
    prev_last = last;
    live_total += live;
  }
  if (problem.empty() && live_total != s.length()) problem = "live entries != length";
  if (problem.empty() && (s.length() == 0) != (s.block_count() == 0)) {
    problem = "empty stream with blocks, or blocks without entries";
  }
  return problem;
}

}  // namespace runnel::streams::testing
