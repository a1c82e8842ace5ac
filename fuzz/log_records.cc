// Fuzz target: the append-only log's record scanner (persistence/log_record.h) and the replay
// of record payloads through the effects catalogue (effects/replay.h), as the start-up loader
// does (server/loader.cc): scan the whole file, then apply the valid prefix record by record
// into a fresh keyspace, stopping at the first record that fails.
//
// The first byte picks how the rest is read:
//  - even: a log file as it lies on disk. Checks the scanner's verdict is coherent (the records
//    it keeps re-read alone to the same fields; the valid prefix is exactly their bytes; a file
//    not called damaged is valid to its end; a valid record really starts where it says one
//    follows the damage), then replays the valid prefix.
//  - odd: record payloads separated by "\n@@\n", each led by a byte naming its database. The
//    target frames them itself (so random mutations are not all lost to checksums), checks the
//    scan of what it framed gives back exactly those records, then replays them.
// After a replay that applied every record, the keyspace must survive the snapshot round trip
// (fuzz_util.h): replay must never build a state the snapshot loader rejects. A record that
// fails replay is fine (the loader refuses to start); a crash or a sanitizer report is not.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "effects/replay.h"
#include "fuzz/fuzz_util.h"
#include "persistence/log_record.h"

namespace {

using runnel::fuzz::Check;
namespace persistence = runnel::persistence;
namespace streams = runnel::streams;

constexpr const char* kTarget = "log_records";
constexpr std::string_view kSeparator = "\n@@\n";

void CheckScan(std::string_view file, const persistence::LogScan& scan) {
  Check(scan.records.size() == scan.record_count, kTarget, "kept records differ from the count");
  size_t offset = 0;
  for (const persistence::LogRecord& r : scan.records) {
    Check(r.offset == offset, kTarget, "records do not follow each other");
    persistence::LogRecord again;
    size_t consumed = 0;
    Check(persistence::ReadLogRecord(file.substr(offset), &again, &consumed) ==
              persistence::RecordStatus::kOk,
          kTarget, "a scanned record does not read alone");
    Check(again.sequence == r.sequence && again.time_ms == r.time_ms && again.db == r.db &&
              again.payload == r.payload,
          kTarget, "a record read alone differs from the scan's");
    offset += consumed;
  }
  Check(scan.valid_bytes == offset, kTarget, "the valid prefix is not the records' bytes");
  Check(scan.damaged == (offset < file.size()), kTarget, "the damage verdict is wrong");
  if (scan.valid_after_damage) {
    // At the damage itself when the damage is a whole record out of sequence (log_record.cc).
    Check(scan.next_valid_offset >= scan.valid_bytes && scan.next_valid_offset < file.size(),
          kTarget, "the next valid record lies outside the damage");
    persistence::LogRecord next;
    size_t consumed = 0;
    Check(persistence::ReadLogRecord(file.substr(scan.next_valid_offset), &next, &consumed) ==
              persistence::RecordStatus::kOk,
          kTarget, "no valid record where the scan says one follows the damage");
  }
}

// Applies records as the loader does; true when every one applied.
bool Replay(const std::vector<persistence::LogRecord>& records, streams::Keyspace& keyspace) {
  runnel::effects::ApplyContext ctx(keyspace);
  std::string error;
  for (const persistence::LogRecord& r : records) {
    if (r.db >= static_cast<uint32_t>(keyspace.size())) return false;
    ctx.db = static_cast<int>(r.db);
    ctx.time_ms = r.time_ms;
    if (!runnel::effects::ApplyPayload(ctx, r.payload, &error)) {
      Check(!error.empty(), kTarget, "a failed replay gave no reason");
      return false;
    }
  }
  return true;
}

// Frames the "\n@@\n"-separated payloads of `text` as log records.
std::string Frame(std::string_view text, std::vector<std::string_view>* payloads,
                  std::vector<uint32_t>* dbs) {
  std::string file;
  uint64_t sequence = 1;
  while (!text.empty()) {
    size_t end = text.find(kSeparator);
    std::string_view chunk = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 4);
    if (chunk.empty()) continue;
    // One database past the last, now and then, for the loader's "does not exist" path.
    uint32_t db = static_cast<uint8_t>(chunk[0]) % (runnel::fuzz::kDatabases + 1);
    chunk.remove_prefix(1);
    persistence::AppendLogRecord(&file, sequence, 1'700'000'000'000 + int64_t(sequence), db, chunk);
    ++sequence;
    payloads->push_back(chunk);
    dbs->push_back(db);
  }
  return file;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string framed;
  std::string_view file = rest;
  std::vector<std::string_view> payloads;
  std::vector<uint32_t> dbs;
  if (data[0] & 1) {
    framed = Frame(rest, &payloads, &dbs);
    file = framed;
  }
  persistence::LogScan scan = persistence::ScanLog(file, 0, /*keep_records=*/true);
  CheckScan(file, scan);
  persistence::LogScan counted = persistence::ScanLog(file, 0, /*keep_records=*/false);
  Check(counted.record_count == scan.record_count && counted.valid_bytes == scan.valid_bytes &&
            counted.damaged == scan.damaged,
        kTarget, "scanning without keeping records changed the verdict");
  if (data[0] & 1) {
    Check(!scan.damaged && scan.records.size() == payloads.size(), kTarget,
          "framed records did not scan back whole");
    for (size_t i = 0; i < payloads.size(); ++i) {
      Check(scan.records[i].payload == payloads[i] && scan.records[i].db == dbs[i], kTarget,
            "a framed record scanned back different");
    }
  }
  streams::Keyspace keyspace(runnel::fuzz::kDatabases, 7, nullptr);
  if (Replay(scan.records, keyspace)) runnel::fuzz::CheckSnapshotRoundTrip(kTarget, keyspace);
  return 0;
}
