// EntryBlock: a run of consecutive stream entries packed into one byte buffer.
//
// A stream keeps its entries in blocks of at most stream-node-max-entries entries and about
// stream-node-max-bytes bytes, each block keyed in the stream's radix tree by its master ID.
// Packing is what makes an entry cost tens of bytes instead of hundreds:
//
//   buffer := master-fields record*
//   master-fields := varint count, count x value        (the first entry's field names)
//   record := varint head                                (flags and the ID, see below)
//             [varint seq]                               (when the ms changed)
//             if kSameFields:  count x value             (names are the master fields)
//             else:            varint count, count x (field value, value value)
//   head   := x << 3 | kMsChanged | kSameFields | kDeleted
//             x = seq - prev.seq                 when the ms equals the previous record's
//                                                and seq - prev.seq < 2^61 (so x << 3 fits)
//             x = ms - prev.ms, then varint seq  otherwise (x >= 2^60: escaped as kWideMs,
//                                                then varint ms); a same-ms seq jump of 2^61
//                                                or more is written this way with x = 0
//             where `prev` is the previous record's ID (the master ID for the first record)
//   value  := integer or bytes, tag-first (see entry_block.cc): a value whose text is a
//             canonical int64 ("42", "-7", never "042") is stored as that integer and written
//             back as the identical text.
//
// So an entry added in the same millisecond as the one before costs one byte of header, and
// one a second later three. Because IDs are deltas from the previous record, records are read
// with a Cursor, front to back; walking backwards first collects the block's Refs.
//
// Invariants:
//   - every record's ID is >= master_id and IDs strictly increase through the buffer;
//   - live() + deleted() == the number of records; a deleted record keeps its bytes (a
//     tombstone, bit 0 of its first byte) until the stream compacts the block;
//   - records are only appended at the end; nothing ever inserts in the middle.
//   - live records' IDs strictly increase; a tombstone may be out of order (XSETID can move
//     the last ID below a deleted entry, as in Redis), so readers skip tombstones before
//     comparing IDs.
//
// The buffer is trusted once built: Read and Fields do no bounds checks. Bytes from outside
// (a snapshot) come in only through FromBytes, which decodes every record and value with
// bounds checks and enforces the invariants above before anything reads them unchecked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "streams/stream_id.h"

namespace runnel::streams {

// One stored field or value: an integer, or bytes pointing into the block.
struct StoredValue {
  bool is_int = false;
  int64_t integer = 0;
  std::string_view bytes;

  // The value's text: the bytes, or the integer formatted into `buf` (>= 21 bytes).
  std::string_view Text(char* buf) const;
  // Bytes this value takes in a reply or in memory as text.
  size_t TextSize() const;
};

class EntryBlock {
 public:
  static constexpr uint8_t kDeleted = 1;
  static constexpr uint8_t kSameFields = 2;
  static constexpr uint8_t kMsChanged = 4;

  // A decoded record header; offsets are into the block's buffer.
  struct Ref {
    StreamId id;
    uint32_t offset = 0;     // where the record starts
    uint32_t end = 0;        // where the next record starts
    uint32_t values_at = 0;  // first value (or field name, without kSameFields)
    uint32_t field_count = 0;
    uint8_t flags = 0;
    bool deleted() const { return flags & kDeleted; }
  };

  // Where the next record starts, and the ID it is encoded against.
  struct Cursor {
    uint32_t offset = 0;
    StreamId prev;
  };

  // Reads the field/value pairs of one record in order.
  class FieldReader {
   public:
    bool Next(StoredValue* field, StoredValue* value);
    uint32_t count() const { return count_; }

   private:
    friend class EntryBlock;
    const uint8_t* names_ = nullptr;  // master field names, or nullptr when inline
    const uint8_t* pos_ = nullptr;
    uint32_t left_ = 0;
    uint32_t count_ = 0;
  };

  // A new empty block whose master fields are the field names of `field_values` (alternating
  // field, value). The first record appended is normally that entry.
  EntryBlock(StreamId master, std::span<const std::string_view> field_values);
  // A new empty block with the same master fields as `other` (rewriting a block in place).
  EntryBlock(StreamId master, const EntryBlock& other);
  EntryBlock(const EntryBlock&) = delete;
  EntryBlock& operator=(const EntryBlock&) = delete;
  ~EntryBlock();

  // Rebuilds a block from its master ID and the bytes raw() gave (snapshot loading). Every
  // field is decoded with bounds checks and nothing is trusted: bad value tags, lengths or
  // varints running past the end, a zero field count, a record ID below the master or a live
  // ID not above the previous live one, and a block without records are refused with nullptr
  // and a reason in *error (naming the byte offset inside the block).
  static std::unique_ptr<EntryBlock> FromBytes(StreamId master, std::string_view bytes,
                                               std::string* error);
  // The block's bytes, exactly as FromBytes takes them back.
  std::string_view raw() const {
    return std::string_view(reinterpret_cast<const char*>(data_), size_);
  }

  StreamId master_id() const { return master_; }
  // The last record's ID, live or not, and whether it is deleted (valid when records() > 0).
  StreamId last_id() const { return last_; }
  bool last_deleted() const { return data_[last_offset_] & kDeleted; }
  uint32_t live() const { return live_; }
  uint32_t deleted() const { return deleted_; }
  uint32_t records() const { return live_ + deleted_; }
  size_t bytes() const { return size_; }
  size_t allocated() const { return capacity_ + sizeof(*this); }

  // Encodes the record for `id` (> every live ID in the block) to follow the block's last
  // record, into `record`.
  void EncodeRecord(StreamId id, std::span<const std::string_view> field_values,
                    std::string* record) const {
    EncodeRecordAfter(records() > 0 ? last_ : master_, id, field_values, record);
  }
  // The same, to follow a record with ID `prev` (for encoding several before appending them).
  void EncodeRecordAfter(StreamId prev, StreamId id, std::span<const std::string_view> field_values,
                         std::string* record) const;
  void AppendRecord(std::string_view record);
  // Drops spare capacity once the block will not grow any more.
  void ShrinkToFit();

  uint32_t end_offset() const { return static_cast<uint32_t>(size_); }
  Cursor Start() const { return Cursor{records_at_, master_}; }
  // Decodes the record at the cursor and advances it; false at the end of the block.
  bool Read(Cursor* cursor, Ref* out) const;
  FieldReader Fields(const Ref& ref) const;

  void MarkDeleted(const Ref& ref);

  // Every record, in order (for walking backwards).
  void CollectRefs(std::vector<Ref>* out) const;

 private:
  explicit EntryBlock(StreamId master) : master_(master) {}
  void Reserve(size_t needed);

  StreamId master_;
  StreamId last_;
  // Replaces data_ with `bytes` (capacity bytes), copying what is there.
  void MoveTo(uint8_t* bytes, size_t capacity);

  uint8_t* data_ = nullptr;
  uint32_t size_ = 0;
  uint32_t capacity_ = 0;
  uint32_t records_at_ = 0;    // end of the master-fields area
  uint32_t last_offset_ = 0;   // where the last record starts
  uint32_t master_count_ = 0;  // number of master fields
  uint32_t live_ = 0;
  uint32_t deleted_ = 0;
};

}  // namespace runnel::streams
