// Value encoding (the first byte is a tag; multi-byte integers are little-endian):
//
//   0x00-0x7f   integer 0..127                    (1 byte in all)
//   0x80-0xbf   bytes, length 0..63 follows tag
//   0xc0-0xdf   integer -4096..4095: 13 bits, high 5 in the tag, low 8 in the next byte
//   0xe0-0xef   bytes, length 0..4095: high 4 bits in the tag, low 8 in the next byte
//   0xf0        bytes, 32-bit length
//   0xf1 0xf2 0xf3 0xf4   int16, int24, int32, int64
//
// Small integers and short strings, the common case for stream fields, cost one byte of overhead.
#include "streams/entry_block.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "streams/numbers.h"
#include "streams/varint.h"

namespace runnel::streams {
namespace {

bool AsCanonicalInt(std::string_view s, int64_t* v) {
  if (s.empty() || s.size() > 20) return false;
  // Cheap rejection before the full parse: canonical integers start with '-' or a digit.
  if (s[0] != '-' && (s[0] < '0' || s[0] > '9')) return false;
  auto parsed = ParseStrictInt64(s);
  if (!parsed) return false;
  *v = *parsed;
  return true;
}

void PutLittleEndian(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t GetLittleEndian(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

int64_t SignExtend(uint64_t v, int bits) {
  uint64_t sign = uint64_t{1} << (bits - 1);
  return static_cast<int64_t>((v ^ sign) - sign);
}

void PutInt(std::string* out, int64_t v) {
  if (v >= 0 && v <= 127) {
    out->push_back(static_cast<char>(v));
  } else if (v >= -4096 && v <= 4095) {
    uint64_t u = static_cast<uint64_t>(v) & 0x1fff;
    out->push_back(static_cast<char>(0xc0 | (u >> 8)));
    out->push_back(static_cast<char>(u & 0xff));
  } else if (v >= INT16_MIN && v <= INT16_MAX) {
    out->push_back(static_cast<char>(0xf1));
    PutLittleEndian(out, static_cast<uint64_t>(v), 2);
  } else if (v >= -(1 << 23) && v < (1 << 23)) {
    out->push_back(static_cast<char>(0xf2));
    PutLittleEndian(out, static_cast<uint64_t>(v), 3);
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    out->push_back(static_cast<char>(0xf3));
    PutLittleEndian(out, static_cast<uint64_t>(v), 4);
  } else {
    out->push_back(static_cast<char>(0xf4));
    PutLittleEndian(out, static_cast<uint64_t>(v), 8);
  }
}

void PutBytes(std::string* out, std::string_view s) {
  if (s.size() <= 63) {
    out->push_back(static_cast<char>(0x80 | s.size()));
  } else if (s.size() <= 4095) {
    out->push_back(static_cast<char>(0xe0 | (s.size() >> 8)));
    out->push_back(static_cast<char>(s.size() & 0xff));
  } else {
    out->push_back(static_cast<char>(0xf0));
    PutLittleEndian(out, s.size(), 4);
  }
  out->append(s);
}

void PutValue(std::string* out, std::string_view s) {
  int64_t v;
  if (AsCanonicalInt(s, &v)) {
    PutInt(out, v);
  } else {
    PutBytes(out, s);
  }
}

const uint8_t* GetValue(const uint8_t* p, StoredValue* out) {
  uint8_t tag = *p;
  auto bytes = [out](const uint8_t* data, size_t len) {
    out->is_int = false;
    out->bytes = std::string_view(reinterpret_cast<const char*>(data), len);
    return data + len;
  };
  auto integer = [out](int64_t v, const uint8_t* next) {
    out->is_int = true;
    out->integer = v;
    return next;
  };
  if (tag < 0x80) return integer(tag, p + 1);
  if (tag < 0xc0) return bytes(p + 1, tag & 0x3f);
  if (tag < 0xe0) return integer(SignExtend((uint64_t{tag} & 0x1f) << 8 | p[1], 13), p + 2);
  if (tag < 0xf0) return bytes(p + 2, (size_t{tag} & 0x0f) << 8 | p[1]);
  switch (tag) {
    case 0xf0:
      return bytes(p + 5, GetLittleEndian(p + 1, 4));
    case 0xf1:
      return integer(SignExtend(GetLittleEndian(p + 1, 2), 16), p + 3);
    case 0xf2:
      return integer(SignExtend(GetLittleEndian(p + 1, 3), 24), p + 4);
    case 0xf3:
      return integer(SignExtend(GetLittleEndian(p + 1, 4), 32), p + 5);
    default:
      return integer(static_cast<int64_t>(GetLittleEndian(p + 1, 8)), p + 9);
  }
}

const uint8_t* SkipValues(const uint8_t* p, uint64_t n) {
  StoredValue ignored;
  for (uint64_t i = 0; i < n; ++i) p = GetValue(p, &ignored);
  return p;
}

constexpr uint64_t kWideMs = (uint64_t{1} << 60) - 1;
constexpr uint64_t kSameMsSeqLimit = uint64_t{1} << 61;

// The record head and, when the ms changed, the seq (and a wide ms) after it.
void PutHead(std::string* out, StreamId prev, StreamId id, uint8_t flags) {
  // A same-ms seq delta of 2^61 or more would lose its top bits to the shift: those take the
  // ms-changed form with a zero ms delta and the seq in full.
  if (id.ms == prev.ms && id.seq - prev.seq < kSameMsSeqLimit) {
    AppendVarint(out, (id.seq - prev.seq) << 3 | flags);
    return;
  }
  uint64_t delta = id.ms - prev.ms;  // modular: a tombstone may be above a later record
  flags |= EntryBlock::kMsChanged;
  if (delta < kWideMs) {
    AppendVarint(out, delta << 3 | flags);
  } else {
    AppendVarint(out, kWideMs << 3 | flags);
    AppendVarint(out, id.ms);
  }
  AppendVarint(out, id.seq);
}

const uint8_t* GetHead(const uint8_t* p, StreamId prev, StreamId* id, uint8_t* flags) {
  uint64_t head;
  p = GetVarint(p, &head);
  *flags = static_cast<uint8_t>(head & 7);
  uint64_t x = head >> 3;
  if (!(head & EntryBlock::kMsChanged)) {
    *id = StreamId{prev.ms, prev.seq + x};
    return p;
  }
  if (x == kWideMs) {
    p = GetVarint(p, &id->ms);
  } else {
    id->ms = prev.ms + x;
  }
  return GetVarint(p, &id->seq);
}

// The bytes one value takes starting at p, checked against `end`; 0 for a bad tag or a value
// running past the end. Mirrors GetValue, which trusts its input.
size_t CheckedValueSize(const uint8_t* p, const uint8_t* end) {
  size_t left = static_cast<size_t>(end - p);
  if (left == 0) return 0;
  uint8_t tag = *p;
  size_t size;
  if (tag < 0x80) {
    size = 1;
  } else if (tag < 0xc0) {
    size = 1 + (tag & 0x3f);
  } else if (tag < 0xe0) {
    size = 2;
  } else if (tag < 0xf0) {
    if (left < 2) return 0;
    size = 2 + ((size_t{tag} & 0x0f) << 8 | p[1]);
  } else if (tag == 0xf0) {
    if (left < 5) return 0;
    size = 5 + GetLittleEndian(p + 1, 4);
  } else if (tag <= 0xf4) {
    static constexpr size_t kIntSize[] = {3, 4, 5, 9};
    size = kIntSize[tag - 0xf1];
  } else {
    return 0;  // 0xf5-0xff are not tags
  }
  return size <= left ? size : 0;
}

// Decodes a record head like GetHead, checked; false when the varints run past `end` or a
// same-ms seq overflows (the writer never produces that).
bool GetHeadChecked(const uint8_t** p, const uint8_t* end, StreamId prev, StreamId* id,
                    uint8_t* flags) {
  uint64_t head;
  const uint8_t* q = GetVarintChecked(*p, end, &head);
  if (q == nullptr) return false;
  *flags = static_cast<uint8_t>(head & 7);
  uint64_t x = head >> 3;
  if (!(head & EntryBlock::kMsChanged)) {
    if (prev.seq + x < prev.seq) return false;
    *id = StreamId{prev.ms, prev.seq + x};
  } else {
    if (x == kWideMs) {
      if ((q = GetVarintChecked(q, end, &id->ms)) == nullptr) return false;
    } else {
      id->ms = prev.ms + x;  // modular, as written
    }
    if ((q = GetVarintChecked(q, end, &id->seq)) == nullptr) return false;
  }
  *p = q;
  return true;
}

bool SameText(const StoredValue& v, std::string_view s) {
  if (!v.is_int) return v.bytes == s;
  char buf[24];
  return v.Text(buf) == s;
}

}  // namespace

std::string_view StoredValue::Text(char* buf) const {
  if (!is_int) return bytes;
  return std::string_view(buf, FormatInt64(integer, buf));
}

size_t StoredValue::TextSize() const {
  if (!is_int) return bytes.size();
  char buf[24];
  return FormatInt64(integer, buf);
}

bool EntryBlock::FieldReader::Next(StoredValue* field, StoredValue* value) {
  if (left_ == 0) return false;
  --left_;
  if (names_ != nullptr) {
    names_ = GetValue(names_, field);
  } else {
    pos_ = GetValue(pos_, field);
  }
  pos_ = GetValue(pos_, value);
  return true;
}

EntryBlock::EntryBlock(StreamId master, std::span<const std::string_view> field_values)
    : master_(master) {
  std::string header;
  master_count_ = static_cast<uint32_t>(field_values.size() / 2);
  AppendVarint(&header, master_count_);
  for (size_t i = 0; i + 1 < field_values.size(); i += 2) PutValue(&header, field_values[i]);
  Reserve(header.size());
  std::memcpy(data_, header.data(), header.size());
  size_ = records_at_ = static_cast<uint32_t>(header.size());
}

EntryBlock::EntryBlock(StreamId master, const EntryBlock& other) : master_(master) {
  Reserve(other.records_at_);
  std::memcpy(data_, other.data_, other.records_at_);
  size_ = records_at_ = other.records_at_;
  master_count_ = other.master_count_;
}

EntryBlock::~EntryBlock() { ::operator delete(data_); }

std::unique_ptr<EntryBlock> EntryBlock::FromBytes(StreamId master, std::string_view bytes,
                                                  std::string* error) {
  const auto* begin = reinterpret_cast<const uint8_t*>(bytes.data());
  const uint8_t* end = begin + bytes.size();
  const uint8_t* p = begin;
  auto fail = [&](const uint8_t* at, const std::string& what) {
    *error = "block " + master.ToString() + " byte " + std::to_string(at - begin) + ": " + what;
    return nullptr;
  };
  // Offsets are 32-bit.
  if (bytes.size() > UINT32_MAX) return fail(begin, "block larger than 4 GB");
  auto skip_values = [&](uint64_t n, const char* what) {
    for (uint64_t i = 0; i < n; ++i) {
      size_t size = CheckedValueSize(p, end);
      if (size == 0) {
        fail(p,
             std::string(p < end && *p >= 0xf5 ? "bad value tag in " : "value overruns ") + what);
        return false;
      }
      p += size;
    }
    return true;
  };

  uint64_t master_count;
  if ((p = GetVarintChecked(p, end, &master_count)) == nullptr) {
    return fail(begin, "bad master field count");
  }
  // Every value takes at least one byte, which also bounds the loop below.
  if (master_count == 0 || master_count > static_cast<uint64_t>(end - p)) {
    return fail(begin, "master field count " + std::to_string(master_count) + " is impossible");
  }
  if (!skip_values(master_count, "the master fields")) return nullptr;
  auto records_at = static_cast<uint32_t>(p - begin);

  StreamId prev = master, last, last_live;
  uint32_t live = 0, deleted = 0, last_offset = 0;
  while (p < end) {
    const uint8_t* record = p;
    StreamId id;
    uint8_t flags;
    if (!GetHeadChecked(&p, end, prev, &id, &flags)) return fail(record, "bad record head");
    if (id < master) return fail(record, "record " + id.ToString() + " is below the master ID");
    uint64_t values = master_count;
    if (!(flags & kSameFields)) {
      uint64_t count;
      if ((p = GetVarintChecked(p, end, &count)) == nullptr) {
        return fail(record, "bad field count");
      }
      if (count == 0 || count > static_cast<uint64_t>(end - p) / 2) {
        return fail(record, "field count " + std::to_string(count) + " is impossible");
      }
      values = 2 * count;
    }
    if (!skip_values(values, ("record " + id.ToString()).c_str())) return nullptr;
    if (flags & kDeleted) {
      ++deleted;
    } else {
      if (live > 0 && id <= last_live) {
        return fail(record,
                    "live record " + id.ToString() + " does not follow " + last_live.ToString());
      }
      last_live = id;
      ++live;
    }
    last = prev = id;
    last_offset = static_cast<uint32_t>(record - begin);
  }
  if (live + deleted == 0) return fail(p, "block has no records");

  std::unique_ptr<EntryBlock> block(new EntryBlock(master));
  block->Reserve(bytes.size());
  std::memcpy(block->data_, begin, bytes.size());
  block->size_ = static_cast<uint32_t>(bytes.size());
  block->records_at_ = records_at;
  block->master_count_ = static_cast<uint32_t>(master_count);
  block->last_ = last;
  block->last_offset_ = last_offset;
  block->live_ = live;
  block->deleted_ = deleted;
  return block;
}

void EntryBlock::Reserve(size_t needed) {
  size_t want = size_t{size_} + needed;
  if (want <= capacity_) return;
  // Grow by half again: a block fills in tens of appends and is shrunk when sealed.
  size_t cap = std::max<size_t>({want, size_t{capacity_} + capacity_ / 2, 64});
  MoveTo(static_cast<uint8_t*>(::operator new(cap)), cap);
}

void EntryBlock::ShrinkToFit() {
  if (capacity_ == size_ || size_ == 0) return;
  if (auto* p = static_cast<uint8_t*>(::operator new(size_, std::nothrow))) MoveTo(p, size_);
}

// Blocks take their bytes from operator new rather than realloc, so the server's allocation
// counter (INFO used_memory) sees them: they are most of a stream's memory. Growing copies what
// is there; a block grows a handful of times before it is sealed.
void EntryBlock::MoveTo(uint8_t* bytes, size_t capacity) {
  if (size_ > 0) std::memcpy(bytes, data_, size_);
  ::operator delete(data_);
  data_ = bytes;
  capacity_ = static_cast<uint32_t>(capacity);
}

void EntryBlock::EncodeRecordAfter(StreamId prev, StreamId id,
                                   std::span<const std::string_view> field_values,
                                   std::string* record) const {
  record->clear();
  uint32_t count = static_cast<uint32_t>(field_values.size() / 2);
  bool same = count == master_count_;
  if (same) {
    const uint8_t* names = data_ + VarintSize(master_count_);
    StoredValue name;
    for (uint32_t i = 0; i < count && same; ++i) {
      names = GetValue(names, &name);
      same = SameText(name, field_values[2 * i]);
    }
  }
  PutHead(record, prev, id, same ? kSameFields : 0);
  if (same) {
    for (uint32_t i = 0; i < count; ++i) PutValue(record, field_values[2 * i + 1]);
  } else {
    AppendVarint(record, count);
    for (uint32_t i = 0; i < 2 * count; ++i) PutValue(record, field_values[i]);
  }
}

void EntryBlock::AppendRecord(std::string_view record) {
  Reserve(record.size());
  std::memcpy(data_ + size_, record.data(), record.size());
  last_offset_ = size_;
  size_ += static_cast<uint32_t>(record.size());
  ++live_;
  // The record's own head says which ID it holds.
  StreamId prev = records() > 1 ? last_ : master_;
  uint8_t flags;
  GetHead(reinterpret_cast<const uint8_t*>(record.data()), prev, &last_, &flags);
}

bool EntryBlock::Read(Cursor* cursor, Ref* out) const {
  if (cursor->offset >= size_) return false;
  const uint8_t* p = data_ + cursor->offset;
  out->offset = cursor->offset;
  p = GetHead(p, cursor->prev, &out->id, &out->flags);
  uint64_t count = master_count_;
  uint64_t values = count;
  if (!(out->flags & kSameFields)) {
    p = GetVarint(p, &count);
    values = 2 * count;
  }
  out->field_count = static_cast<uint32_t>(count);
  out->values_at = static_cast<uint32_t>(p - data_);
  out->end = static_cast<uint32_t>(SkipValues(p, values) - data_);
  cursor->offset = out->end;
  cursor->prev = out->id;
  return true;
}

EntryBlock::FieldReader EntryBlock::Fields(const Ref& ref) const {
  FieldReader r;
  r.pos_ = data_ + ref.values_at;
  r.names_ = (ref.flags & kSameFields) ? data_ + VarintSize(master_count_) : nullptr;
  r.left_ = r.count_ = ref.field_count;
  return r;
}

void EntryBlock::MarkDeleted(const Ref& ref) {
  if (data_[ref.offset] & kDeleted) return;
  data_[ref.offset] |= kDeleted;
  --live_;
  ++deleted_;
}

void EntryBlock::CollectRefs(std::vector<Ref>* out) const {
  out->clear();
  Cursor cursor = Start();
  Ref ref;
  while (Read(&cursor, &ref)) out->push_back(ref);
}

}  // namespace runnel::streams
