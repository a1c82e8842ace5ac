// The snapshot format's shared pieces, for its writer (snapshot_writer.cc) and its loader
// (snapshot_loader.cc): section kinds, sizes, hashing and the small encoders. Internal to
// persistence/.
//
// The framing (magic, version, sections with length and XXH64, the end section with the
// whole-file XXH64) is in snapshot.h; this is what the payloads hold.
//
// Notation: varint = unsigned LEB128 (streams/varint.h); svarint = varint(ZigZag(int64));
// bytes = varint length, then the bytes; id = varint ms, varint seq.
//
//   kInfo (1)         svarint created_ms | varint next_log_sequence
//   kDatabase (2)     varint index | varint key_count         (key_count: the sections that
//                                                              follow for it, strings+streams)
//   kString (3)       bytes key | svarint expire_ms (-1 = none) | bytes value
//   kStreamHeader (4) bytes key | svarint expire_ms | varint length | varint entries_added
//                     | id last_id | id first_id | id max_deleted_id
//                     | varint block_count | varint group_count
//                     | svarint idmp_duration | svarint idmp_maxsize | varint idmp_sections
//                                                   (these three since version 2; version 1
//                                                    streams get the defaults and no state)
//                     | svarint retention_ms | varint retention_maxlen
//                     | varint retention_refs (0 KEEPREF, 1 ACKED)
//                     | varint schedule_next_seq | varint scheduled
//                                                   (these five since version 4; earlier
//                                                    streams have no retention, no schedule)
//   kStreamBlocks (5) one or more of: id master | bytes block   (the EntryBlock's raw bytes)
//                     block_count blocks in all, in ID order, split into sections of about
//                     1 MB so a stream never needs one huge buffer
//   kGroup (6)        bytes name | id last_delivered | svarint entries_read (-1 = unknown)
//                     | varint consumer_count | consumer_count x consumer
//                     | varint pending_count  | pending_count x pending
//                     | varint policy_count | policy_count x bytes  (these four since version
//                     | varint dead_lettered | varint dead_letter_failures   3: the policy as
//                     | varint consumers_expired                 XGROUP SETPOLICY's arguments)
//       consumer := bytes name | svarint seen_ms | svarint active_ms (-1 = never)
//       pending  := varint dms | varint (dms == 0 ? seq - prev.seq : seq)
//                   | svarint (delivery_ms - prev.delivery_ms, mod 2^64) | varint count
//                   | varint owner
//           in ID order; dms = ms - prev.ms; `prev` is the previous pending entry (0-0 and
//           time 0 for the first), so an ID costs one or two bytes in a batch and a
//           duplicate or a decrease cannot be written except as a zero delta or an overflow,
//           both refused. `owner` is the consumer's position in this section's list, so a
//           consumer's own PEL is derived on load and can never disagree with the group's.
//           An unowned entry (Redis 8.8's XNACK) has owner == consumer_count and its NACK-zone
//           ticket (a negative time, consumer_group.h) as its delivery time, so the zone's
//           order survives.
//   kStreamIdmp (7)   varint iids_added | varint iids_duplicates | varint producer_count
//                     | producer_count x (bytes pid | varint n | n x (bytes iid | id))
//                     the idempotent-production state (Redis 8.6), iids oldest first; at most
//                     one per stream, after its groups
//   kStreamSchedule (8) one or more of: id handle | bytes payload   (streams/schedule.h)
//                     `scheduled` delayed entries in all, in handle order, after the IDMP
//                     state, split into sections of about 1 MB
//   kEnd (0xff)       u64 XXH64 of every byte before the section (payload length 8)
//
// A stream's sections follow each other (header, block_count blocks, group_count groups,
// idmp_sections IDMP states, its scheduled entries);
// it is checked as a whole after its last section and only then added to the keyspace.
// Loading reads payloads in chunks of at most 1 MB, so a damaged length costs at most the
// bytes that are really there before the read fails; counts in the file only bound loops
// that stop at the first byte that does not decode.
#pragma once

#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <string_view>

#include "streams/stream_id.h"
#include "streams/varint.h"

namespace runnel::persistence::snapshot_format {

using streams::StreamId;

inline constexpr char kMagic[12] = {'R', 'U', 'N', 'N', 'E', 'L', 'S', 'N', 'A', 'P', '\0', '\0'};
inline constexpr size_t kHeaderSize = sizeof(kMagic) + 4;
inline constexpr size_t kSectionHeaderSize = 9;  // kind, u64 payload length
inline constexpr size_t kReadChunk = size_t{1} << 20;
inline constexpr size_t kBlocksSectionTarget = size_t{1} << 20;
inline constexpr size_t kFlushAt = size_t{1} << 18;
inline constexpr size_t kKeepBuffer = size_t{16} << 20;  // a larger read buffer is freed after use

enum Kind : uint8_t {
  kInfo = 1,
  kDatabase = 2,
  kString = 3,
  kStreamHeader = 4,
  kStreamBlocks = 5,
  kGroup = 6,
  kStreamIdmp = 7,
  kStreamSchedule = 8,
  kEnd = 0xff,
};

inline const char* KindName(uint8_t kind) {
  switch (kind) {
    case kInfo:
      return "info";
    case kDatabase:
      return "database";
    case kString:
      return "string";
    case kStreamHeader:
      return "stream-header";
    case kStreamBlocks:
      return "stream-blocks";
    case kGroup:
      return "group";
    case kStreamIdmp:
      return "stream-idmp";
    case kStreamSchedule:
      return "stream-schedule";
    case kEnd:
      return "end";
    default:
      return nullptr;
  }
}

struct HashStateFree {
  void operator()(XXH64_state_t* s) const { XXH64_freeState(s); }
};
using HashState = std::unique_ptr<XXH64_state_t, HashStateFree>;

inline HashState NewHashState() {
  HashState h(XXH64_createState());
  if (!h) throw std::bad_alloc();
  XXH64_reset(h.get(), 0);
  return h;
}

inline uint64_t Hash(std::string_view bytes) { return XXH64(bytes.data(), bytes.size(), 0); }

inline void PutFixed(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
inline uint64_t GetFixed(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}
inline void PutSigned(std::string* out, int64_t v) {
  streams::AppendVarint(out, streams::ZigZag(v));
}
inline void PutBytes(std::string* out, std::string_view s) {
  streams::AppendVarint(out, s.size());
  out->append(s);
}
inline void PutId(std::string* out, StreamId id) {
  streams::AppendVarint(out, id.ms);
  streams::AppendVarint(out, id.seq);
}

// A key or name for an error message: quoted, non-printable bytes escaped, long ones cut.
inline std::string Quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < 64; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  if (s.size() > 64) out += "...";
  return out + "'";
}

}  // namespace runnel::persistence::snapshot_format
