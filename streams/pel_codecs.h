// Record codecs for the PackedSets of a consumer group (see packed_set.h for the contract).
//
//   PendingCodec  the group PEL, by ID:        id, last delivery time, delivery count, owner
//   IdCodec       a consumer's own PEL, by ID: id
//   TimeCodec     delivery-time order:         (delivery time, id)
//
// Every record starts with a varint whose bit 0 is the tombstone bit (always written as 0).
// IDs in ID order are written as deltas from the previous record:
//   same ms:  varint((seq - prev.seq) << 2)            when seq - prev.seq < 2^62
//   new ms:   varint((ms - prev.ms) << 2 | 2), then varint(seq)
// with (ms - prev.ms) >= kWideMs (2^61 - 1) escaped as varint(kWideMs << 2 | 2), varint(ms),
// varint(seq); a same-ms seq jump of 2^62 or more takes the new-ms form with an ms delta of 0.
// So any ID round-trips. A batch delivered in one XREADGROUP costs one or two bytes per ID.
// Times are int64 and round-trip over their whole range (deltas are taken mod 2^64).
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "streams/stream_id.h"
#include "streams/varint.h"

namespace runnel::streams {

namespace pel_detail {

inline constexpr uint64_t kWideMs = (uint64_t{1} << 61) - 1;

// Writes `id` after `prev` (prev <= id). Bit 0 of the first varint is left zero: it is the
// tombstone flag.
inline void PutSortedId(std::string* out, StreamId prev, StreamId id) {
  if (id.ms == prev.ms && id.seq - prev.seq < (uint64_t{1} << 62)) {
    AppendVarint(out, (id.seq - prev.seq) << 2);
    return;
  }
  uint64_t delta = id.ms - prev.ms;
  if (delta < kWideMs) {
    AppendVarint(out, delta << 2 | 2);
  } else {
    AppendVarint(out, kWideMs << 2 | 2);
    AppendVarint(out, id.ms);
  }
  AppendVarint(out, id.seq);
}

inline const uint8_t* GetSortedId(const uint8_t* p, StreamId prev, StreamId* id) {
  uint64_t head;
  p = GetVarint(p, &head);
  head &= ~uint64_t{1};  // tombstone bit
  if (!(head & 2)) {
    *id = StreamId{prev.ms, prev.seq + (head >> 2)};
    return p;
  }
  uint64_t delta = head >> 2;
  if (delta == kWideMs) {
    p = GetVarint(p, &id->ms);
  } else {
    id->ms = prev.ms + delta;
  }
  return GetVarint(p, &id->seq);
}

// Time deltas are taken mod 2^64, so any two int64 times are a valid (prev, next) pair.
inline uint64_t TimeDelta(int64_t prev, int64_t next) {
  return static_cast<uint64_t>(next) - static_cast<uint64_t>(prev);
}
inline int64_t AddTime(int64_t prev, uint64_t delta) {
  return static_cast<int64_t>(static_cast<uint64_t>(prev) + delta);
}

}  // namespace pel_detail

// A pending entry of a consumer group.
struct PendingRecord {
  StreamId id;
  int64_t delivery_ms = 0;      // last delivery time, unix ms
  uint64_t delivery_count = 0;  // times delivered
  uint32_t consumer = 0;        // owner's index in the group's consumer table
};

struct PendingCodec {
  using Record = PendingRecord;
  using Key = StreamId;
  static Key KeyOf(const Record& r) { return r.id; }
  static void Encode(const Record& prev, const Record& r, std::string* out) {
    pel_detail::PutSortedId(out, prev.id, r.id);
    AppendVarint(
        out, ZigZag(static_cast<int64_t>(pel_detail::TimeDelta(prev.delivery_ms, r.delivery_ms))));
    AppendVarint(out, r.delivery_count);
    AppendVarint(out, r.consumer);
  }
  static const uint8_t* Decode(const Record& prev, const uint8_t* p, Record* r) {
    p = pel_detail::GetSortedId(p, prev.id, &r->id);
    uint64_t v;
    p = GetVarint(p, &v);
    r->delivery_ms = pel_detail::AddTime(prev.delivery_ms, static_cast<uint64_t>(UnZigZag(v)));
    p = GetVarint(p, &r->delivery_count);
    p = GetVarint(p, &v);
    r->consumer = static_cast<uint32_t>(v);
    return p;
  }
};

struct IdCodec {
  using Record = StreamId;
  using Key = StreamId;
  static Key KeyOf(const Record& r) { return r; }
  static void Encode(const Record& prev, const Record& r, std::string* out) {
    pel_detail::PutSortedId(out, prev, r);
  }
  static const uint8_t* Decode(const Record& prev, const uint8_t* p, Record* r) {
    return pel_detail::GetSortedId(p, prev, r);
  }
};

// An entry of the delivery-time index: which pending ID was delivered when.
struct TimedId {
  int64_t delivery_ms = 0;
  StreamId id;
};

struct TimeCodec {
  using Record = TimedId;
  using Key = std::pair<int64_t, StreamId>;
  static Key KeyOf(const Record& r) { return {r.delivery_ms, r.id}; }
  // Times ascend within a leaf, so the time is an unsigned delta: varint(delta << 1), or, for
  // a delta of kWideTime or more, varint(kWideTime << 1) then varint(delta). (Only negative
  // times, which ConsumerGroup never stores, make such deltas: a leaf starting below 0, or a
  // jump from below 0 to near INT64_MAX.) IDs do not ascend, so they are zigzag deltas
  // (mod 2^64).
  static constexpr uint64_t kWideTime = (uint64_t{1} << 63) - 1;
  static void Encode(const Record& prev, const Record& r, std::string* out) {
    uint64_t time_delta = pel_detail::TimeDelta(prev.delivery_ms, r.delivery_ms);
    if (time_delta < kWideTime) {
      AppendVarint(out, time_delta << 1);
    } else {
      AppendVarint(out, kWideTime << 1);
      AppendVarint(out, time_delta);
    }
    uint64_t ms_delta = r.id.ms - prev.id.ms;
    AppendVarint(out, ZigZag(static_cast<int64_t>(ms_delta)));
    AppendVarint(out,
                 ms_delta == 0 ? ZigZag(static_cast<int64_t>(r.id.seq - prev.id.seq)) : r.id.seq);
  }
  static const uint8_t* Decode(const Record& prev, const uint8_t* p, Record* r) {
    uint64_t v;
    p = GetVarint(p, &v);
    v >>= 1;  // tombstone bit
    if (v == kWideTime) p = GetVarint(p, &v);
    r->delivery_ms = pel_detail::AddTime(prev.delivery_ms, v);
    p = GetVarint(p, &v);
    uint64_t ms_delta = static_cast<uint64_t>(UnZigZag(v));
    r->id.ms = prev.id.ms + ms_delta;
    p = GetVarint(p, &v);
    r->id.seq = ms_delta == 0 ? prev.id.seq + static_cast<uint64_t>(UnZigZag(v)) : v;
    return p;
  }
};

}  // namespace runnel::streams
