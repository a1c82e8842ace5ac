// Schedule: a stream's delayed entries (XADD ... DELAY ms / AT unix-ms), held outside the
// stream until they are due, then appended by the server with a fresh ID.
//
// Each scheduled entry has a handle (due_ms, seq), written like a stream ID ("due-seq") but
// never one: `due_ms` is when it is due, `seq` a per-stream counter that never goes back, so
// handles are unique for the stream's life and sort in due order (ties in scheduling order).
// The counter is kept in snapshots, so a handle is never reused after a cancel or a restart.
//
// Memory: entries live in a PackedSet (packed_set.h): handles delta-encoded, fields packed
// as length-prefixed bytes, 64 to a leaf. A million small jobs cost their bytes plus a few
// bytes each (docs/benchmarks.md measures it), not a node and an allocation each.
//
// Payload encoding (also the snapshot's): varint field_count, then per field or value
// varint length and the bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "streams/packed_set.h"
#include "streams/pel_codecs.h"
#include "streams/stream_id.h"

namespace runnel::streams {

struct ScheduledEntry {
  StreamId handle;  // ms = due time (unix ms), seq = the stream's scheduling counter
  std::string payload;
};

struct ScheduleCodec {
  using Record = ScheduledEntry;
  using Key = StreamId;
  static Key KeyOf(const Record& r) { return r.handle; }
  static void Encode(const Record& prev, const Record& r, std::string* out) {
    pel_detail::PutSortedId(out, prev.handle, r.handle);
    AppendVarint(out, r.payload.size());
    out->append(r.payload);
  }
  static const uint8_t* Decode(const Record& prev, const uint8_t* p, Record* r) {
    p = pel_detail::GetSortedId(p, prev.handle, &r->handle);
    uint64_t n;
    p = GetVarint(p, &n);
    r->payload.assign(reinterpret_cast<const char*>(p), n);
    return p + n;
  }
};

// The latest due time XADD ... AT accepts (about year 6400), and the longest DELAY: far enough
// for any job, small enough that due + delay never overflows.
inline constexpr int64_t kMaxScheduleMs = (int64_t{1} << 47) - 1;
// Loaders refuse a scheduling counter at or above this (no server schedules 2^62 entries), so
// next_seq + 1 never wraps round to a handle already given.
inline constexpr uint64_t kMaxScheduleSeq = uint64_t{1} << 62;

class Schedule {
 public:
  using Set = PackedSet<ScheduleCodec>;

  size_t size() const { return set_.size(); }
  bool empty() const { return set_.empty(); }
  uint64_t next_seq() const { return next_seq_; }
  // The earliest due time, if anything is scheduled.
  std::optional<int64_t> NextDueMs() const;

  // Schedules `fields` (alternating fields and values) at `due_ms`; returns the handle.
  StreamId Add(int64_t due_ms, std::span<const std::string_view> fields);
  // Puts back an entry with a known handle (log replay, snapshot loading); false if the handle
  // is taken. The counter moves past it.
  bool Restore(StreamId handle, std::string payload);
  // Snapshot loading: the counter as saved (never below what Restore has seen).
  void RestoreNextSeq(uint64_t seq);
  bool Cancel(StreamId handle);
  // Removes and returns the earliest entry if it is due at `now_ms`.
  std::optional<ScheduledEntry> PopDue(int64_t now_ms);
  // The entry with this handle, if scheduled.
  std::optional<ScheduledEntry> Find(StreamId handle) const { return set_.Find(handle); }

  // Entries with handles in [start, end], in due order, at most `count` (0 = all).
  std::vector<ScheduledEntry> Range(StreamId start, StreamId end, size_t count) const;
  template <typename F>
  void ForEach(F&& f) const {
    set_.ForEach(std::forward<F>(f));
  }

  size_t MemoryUsage() const { return sizeof(*this) + set_.MemoryUsage(); }

  // Transient (not saved): due entries could not be appended (the stream's IDs are exhausted),
  // so the server has warned once and retries without warning again.
  bool stalled() const { return stalled_; }
  void set_stalled(bool stalled) { stalled_ = stalled; }

  static std::string EncodeFields(std::span<const std::string_view> fields);
  // The fields of a payload, viewing into it; false if it does not decode (a damaged snapshot)
  // or holds no pair.
  static bool DecodeFields(std::string_view payload, std::vector<std::string_view>* out);

 private:
  Set set_;
  uint64_t next_seq_ = 0;
  bool stalled_ = false;
};

}  // namespace runnel::streams
