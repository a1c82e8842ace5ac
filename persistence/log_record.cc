// Log record framing and whole-file scanning. See log_record.h for the format.
//
// Reading never trusts a declared length: a payload length is compared with the bytes that are
// actually there before anything else happens, and nothing is allocated from it (records point
// into the caller's bytes).
//
// Scanning walks records from offset 0 until the first record that is incomplete, corrupt, or
// out of sequence. Then it decides whether the damage is a torn tail by looking for a complete,
// checksum-valid record starting at any later byte offset. That search must stay cheap on a
// large file, so a position is only hashed after memchr found the magic byte there, its sequence
// number continues the history (see SearchWindow), and the declared length fits in the bytes
// that remain; the search stops at the first valid record.
#include "persistence/log_record.h"

#include <xxhash.h>

#include <cstdlib>
#include <cstring>

namespace runnel::persistence {
namespace {

// Offsets inside the header.
constexpr size_t kLengthOffset = 1;
constexpr size_t kSequenceOffset = 5;
constexpr size_t kTimeOffset = 13;
constexpr size_t kDbOffset = 21;
static_assert(kDbOffset + 4 == kLogHeaderSize);
// The smallest possible record: header, empty payload, checksum.
constexpr size_t kMinRecordSize = kLogHeaderSize + kLogTrailerSize;

void PutLittleEndian(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint64_t GetLittleEndian(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}

// The checksum covers everything from the length field to the end of the payload: the whole
// record but its magic byte and the checksum itself.
uint64_t RecordChecksum(const char* record, size_t payload_len) {
  return XXH64(record + kLengthOffset, kLogHeaderSize - kLengthOffset + payload_len, 0);
}

// True if a complete record with a valid checksum starts at data[pos].
bool ValidRecordAt(std::string_view data, size_t pos) {
  LogRecord unused;
  size_t consumed = 0;
  return ReadLogRecord(data.substr(pos), &unused, &consumed) == RecordStatus::kOk;
}

// Where the search for an intact record after damage may look, and which sequence numbers such
// a record may carry. Without the sequence filter, proving that a large torn region (a huge
// value cut by a crash) holds no record would hash a candidate at every magic byte whose random
// length happens to fit, which grows with the square of the region and took minutes for a
// few hundred megabytes. A record that really follows the damage continues the history: its
// number is `expected` plus at most the records that fit between the valid prefix and it. Random
// bytes pass that test with probability ~2^-50, so nearly every candidate is rejected from its
// header alone.
struct SearchWindow {
  size_t valid_bytes = 0;  // end of the valid prefix
  bool have_expected = false;
  uint64_t expected = 0;  // the sequence number the first damaged record should have had
};

bool SequencePlausible(std::string_view data, size_t pos, const SearchWindow& w) {
  if (!w.have_expected) return true;
  if (data.size() - pos < kLogHeaderSize) return false;
  const uint64_t sequence = GetLittleEndian(data.data() + pos + kSequenceOffset, 8);
  const uint64_t skipped_max = (pos - w.valid_bytes) / kMinRecordSize + 1;
  return sequence >= w.expected && sequence - w.expected <= skipped_max;
}

// Finds the first offset >= from where a valid record starts; data.size() if there is none.
// memchr skips bytes that cannot be a magic byte; a candidate is hashed only if its sequence
// number is plausible and its declared length fits in what remains (ReadLogRecord returns
// kIncomplete for the latter without looking at the payload).
size_t FindValidRecord(std::string_view data, size_t from, const SearchWindow& window) {
  const size_t size = data.size();
  size_t pos = from;
  while (size - pos >= kMinRecordSize) {
    const void* hit = std::memchr(data.data() + pos, kLogMagic, size - pos - kMinRecordSize + 1);
    if (hit == nullptr) break;
    pos = static_cast<size_t>(static_cast<const char*>(hit) - data.data());
    if (SequencePlausible(data, pos, window) && ValidRecordAt(data, pos)) return pos;
    ++pos;
  }
  return size;
}

}  // namespace

void AppendLogRecord(std::string* out, uint64_t sequence, int64_t time_ms, uint32_t db,
                     std::string_view payload) {
  // A longer payload cannot be framed; writing a record with a wrapped length would corrupt the
  // log for good, so this is a programming error the caller must prevent (the server's limits
  // keep a command's effects far below 4 GiB).
  if (payload.size() > kMaxLogPayload) std::abort();
  const size_t start = out->size();
  out->reserve(start + kLogHeaderSize + payload.size() + kLogTrailerSize);
  out->push_back(static_cast<char>(kLogMagic));
  PutLittleEndian(out, payload.size(), 4);
  PutLittleEndian(out, sequence, 8);
  PutLittleEndian(out, static_cast<uint64_t>(time_ms), 8);
  PutLittleEndian(out, db, 4);
  out->append(payload);
  PutLittleEndian(out, RecordChecksum(out->data() + start, payload.size()), 8);
}

RecordStatus ReadLogRecord(std::string_view data, LogRecord* out, size_t* consumed, bool verify) {
  if (data.empty()) return RecordStatus::kIncomplete;
  if (static_cast<uint8_t>(data[0]) != kLogMagic) return RecordStatus::kCorrupt;
  if (data.size() < kLogHeaderSize) return RecordStatus::kIncomplete;
  const uint64_t payload_len = GetLittleEndian(data.data() + kLengthOffset, 4);
  // Written so that no sum can overflow, whatever the declared length.
  const size_t after_header = data.size() - kLogHeaderSize;
  if (payload_len > after_header || after_header - payload_len < kLogTrailerSize) {
    return RecordStatus::kIncomplete;
  }
  const char* trailer = data.data() + kLogHeaderSize + payload_len;
  if (verify && GetLittleEndian(trailer, 8) != RecordChecksum(data.data(), payload_len)) {
    return RecordStatus::kCorrupt;
  }
  out->sequence = GetLittleEndian(data.data() + kSequenceOffset, 8);
  out->time_ms = static_cast<int64_t>(GetLittleEndian(data.data() + kTimeOffset, 8));
  out->db = static_cast<uint32_t>(GetLittleEndian(data.data() + kDbOffset, 4));
  out->payload = data.substr(kLogHeaderSize, payload_len);
  out->offset = 0;  // ReadLogRecord does not know where `data` starts; ScanLog sets it
  *consumed = kLogHeaderSize + payload_len + kLogTrailerSize;
  return RecordStatus::kOk;
}

LogScan ScanLog(std::string_view data, uint64_t first_sequence, bool keep_records) {
  LogScan scan;
  bool have_expected = first_sequence != 0;
  uint64_t expected = first_sequence;
  size_t pos = 0;
  bool out_of_sequence = false;
  while (pos < data.size()) {
    LogRecord record;
    size_t consumed = 0;
    if (ReadLogRecord(data.substr(pos), &record, &consumed) != RecordStatus::kOk) break;
    if (have_expected && record.sequence != expected) {
      out_of_sequence = true;
      break;
    }
    record.offset = pos;
    if (keep_records) scan.records.push_back(record);
    ++scan.record_count;
    expected = record.sequence + 1;  // wraps after UINT64_MAX, which no real log reaches
    have_expected = true;
    pos += consumed;
  }
  scan.valid_bytes = pos;
  if (pos == data.size()) return scan;
  scan.damaged = true;
  // An intact record with the wrong sequence number is never a torn tail: a crash cuts bytes
  // off, it does not write whole records with wrong numbers. So the search starts at that very
  // record, and the caller sees valid_after_damage with next_valid_offset == valid_bytes. After
  // an incomplete or corrupt record the search starts one byte further (the record at pos is
  // known to be invalid).
  // An out-of-sequence record is itself the evidence, whatever its number, so the window's
  // sequence filter only applies to the search after an incomplete or corrupt record.
  SearchWindow window{pos, have_expected && !out_of_sequence, expected};
  const size_t found = FindValidRecord(data, out_of_sequence ? pos : pos + 1, window);
  if (found < data.size()) {
    scan.valid_after_damage = true;
    scan.next_valid_offset = found;
  }
  return scan;
}

}  // namespace runnel::persistence
