// Fuzz target: the snapshot loader (persistence/snapshot.h), fed snapshot files.
//
// The first byte picks how the rest is read: with bit 0 set, the target first rewrites every
// section checksum and the whole-file checksum to match the bytes (FixChecksums), so mutations
// reach the structure checks behind the checksums instead of all dying at the first one; with
// it clear the file is loaded exactly as given (the checksum paths themselves).
//
// Checks, beyond "no crash and no sanitizer report":
//  - loading one section per step and all sections in one step give the same verdict and
//    message (loading is incremental; where the steps fall may not matter);
//  - a file that loads is a keyspace the server can use: it survives the snapshot round trip
//    (fuzz_util.h), and every key of it can be read in full through the commands — the harness's
//    Dump runs TYPE, PEXPIRETIME, GET, XINFO STREAM FULL, XINFO GROUPS and XSCHEDULE LIST on each
//    — and XRANGE and XREVRANGE over every stream agree with each other.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "fuzz/harness_support.h"
#include "persistence/snapshot_format.h"
#include "tests/server/harness.h"

namespace {

using runnel::fuzz::Check;
namespace persistence = runnel::persistence;
namespace format = runnel::persistence::snapshot_format;
using Status = persistence::SnapshotLoader::Status;

constexpr const char* kTarget = "snapshot_loader";

void PutLe64(std::string& bytes, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) bytes[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint64_t GetLe64(std::string_view bytes, size_t at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(bytes[at + i]);
  return v;
}

// Rewrites the checksums the format has (snapshot.h) to match the bytes, as far as the section
// lengths allow: each section's XXH64 of its payload, and the end section's whole-file XXH64 of
// every byte before it and the checksum of that.
void FixChecksums(std::string& bytes) {
  size_t pos = format::kHeaderSize;
  while (pos + format::kSectionHeaderSize <= bytes.size()) {
    const uint8_t kind = static_cast<uint8_t>(bytes[pos]);
    const uint64_t length = GetLe64(bytes, pos + 1);
    const size_t body = pos + format::kSectionHeaderSize;
    if (kind == format::kEnd) {
      if (length != 8 || body + 16 > bytes.size()) return;
      PutLe64(bytes, body, format::Hash(std::string_view(bytes).substr(0, pos)));
      PutLe64(bytes, body + 8, format::Hash(std::string_view(bytes).substr(body, 8)));
      return;
    }
    if (length > bytes.size() - body || bytes.size() - body - length < 8) return;
    PutLe64(bytes, body + length, format::Hash(std::string_view(bytes).substr(body, length)));
    pos = body + length + 8;
  }
}

runnel::testing::Harness& SharedHarness() {
  static runnel::testing::Harness* harness = [] {
    auto* h = new runnel::testing::Harness();
    h->log_on = false;
    return h;
  }();
  return *harness;
}

// Reads every stream of the loaded keyspace in both directions through the commands.
void ReadAll(runnel::testing::Harness& h) {
  for (int db = 0; db < runnel::fuzz::kDatabases; ++db) {
    if (h.dispatcher().keyspace().db(db).size() == 0) continue;
    h.Run({"SELECT", std::to_string(db)});
    runnel::resp::Reply keys = h.Run({"KEYS", "*"});
    for (const runnel::resp::Reply& key : keys.elements) {
      if (h.Run({"TYPE", key.str}).str != "stream") continue;
      runnel::resp::Reply forward = h.Run({"XRANGE", key.str, "-", "+"});
      runnel::resp::Reply backward = h.Run({"XREVRANGE", key.str, "+", "-"});
      Check(forward.elements.size() == backward.elements.size(), kTarget,
            "XRANGE and XREVRANGE see different entries");
      const size_t n = forward.elements.size();
      for (size_t i = 0; i < n; ++i) {
        Check(forward.elements[i].ToString() == backward.elements[n - 1 - i].ToString(), kTarget,
              "XRANGE and XREVRANGE disagree on an entry");
      }
      h.Run({"XLEN", key.str});
    }
  }
  h.Run({"SELECT", "0"});
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  runnel::fuzz::InstallAssertHandler();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) FixChecksums(bytes);

  runnel::testing::Harness& h = SharedHarness();
  std::unique_ptr<runnel::streams::Keyspace> whole = h.dispatcher().NewKeyspace();
  std::string whole_error;
  Status whole_status = runnel::fuzz::LoadSnapshot(bytes, *whole, SIZE_MAX, &whole_error);
  runnel::streams::Keyspace stepped(runnel::fuzz::kDatabases, 7, nullptr);
  std::string stepped_error;
  Status stepped_status = runnel::fuzz::LoadSnapshot(bytes, stepped, 1, &stepped_error);
  Check(whole_status == stepped_status && whole_error == stepped_error, kTarget,
        "loading step by step gave another verdict");
  Check((whole_status == Status::kError) == !whole_error.empty(), kTarget,
        "an error without a message, or a message without an error");
  if (whole_status != Status::kDone) return 0;

  runnel::fuzz::CheckSnapshotRoundTrip(kTarget, *whole);
  h.dispatcher().ReplaceKeyspace(std::move(whole));
  h.Dump();
  ReadAll(h);
  h.Run({"FLUSHALL"});
  return 0;
}
