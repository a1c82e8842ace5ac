// Fuzz target: Redis's RDB encodings (rdb/), as RESTORE takes them from any client and as a
// Redis master or an operator's file supplies them.
//
// The first byte picks the form: even, a DUMP payload body (the target adds the version and a
// valid CRC, so the decoder itself is reached); odd, a whole RDB file. Checks, beyond "no crash
// and no sanitizer report": a payload that decodes writes a payload that decodes again, to a
// stream that writes the very same bytes (what RESTORE accepts, DUMP gives back unchanged);
// and a decoded value survives Runnel's snapshot round trip (what RESTORE accepts always saves
// and loads), as does every key a decoded file holds.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz/fuzz_util.h"
#include "rdb/crc64.h"
#include "rdb/dump.h"
#include "rdb/rdb_file.h"

namespace {

using namespace runnel;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "rdb_payload: %s\n", what);
    std::abort();
  }
}

std::string Sealed(std::string body) {
  body.push_back(static_cast<char>(rdb::kDumpVersion & 0xff));
  body.push_back(static_cast<char>(rdb::kDumpVersion >> 8));
  uint64_t crc = rdb::Crc64(0, body);
  for (int i = 0; i < 8; ++i) body.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return body;
}

void Payload(std::string_view body) {
  // Tiny block limits, so the streams decoded split into many blocks.
  const streams::StreamLimits limits{128, 3};
  streams::Value value;
  std::string why;
  if (rdb::ReadPayload(Sealed(std::string(body)), limits, &value, &why) != rdb::PayloadError::kOk) {
    return;
  }
  const char* refusal;
  std::string first = rdb::DumpValue(value, &refusal);
  streams::Keyspace keyspace(fuzz::kDatabases, 7, nullptr);
  keyspace.db(0).Set("k", std::move(value));
  fuzz::CheckSnapshotRoundTrip("rdb_payload", keyspace);
  Check(refusal == nullptr, "a decoded value cannot be dumped");
  streams::Value again;
  Check(rdb::ReadPayload(first, limits, &again, &why) == rdb::PayloadError::kOk,
        "a payload DUMP wrote does not decode");
  Check(rdb::DumpValue(again, &refusal) == first, "DUMP of the decoded payload differs");
}

struct Sink : rdb::RdbVisitor {
  streams::Keyspace keyspace{fuzz::kDatabases, 7, nullptr};
  bool OnKey(int db, std::string key, int64_t expire, streams::Value value, std::string*) override {
    if (keyspace.db(db).Peek(key) != nullptr) return false;
    streams::Database::Node* node = keyspace.db(db).Set(key, std::move(value));
    if (expire >= 0) keyspace.db(db).SetExpire(node, expire);
    return true;
  }
  bool OnOtherKey(int, std::string_view, std::string_view, std::string*) override { return true; }
};

void File(std::string_view bytes) {
  rdb::MemorySource source(bytes);
  Sink sink;
  rdb::RdbReadOptions options;
  options.limits = {128, 3};
  rdb::RdbFileInfo info;
  std::string error;
  if (rdb::ReadRdb(source, options, sink, &info, &error)) {
    fuzz::CheckSnapshotRoundTrip("rdb_payload", sink.keyspace);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    Payload(input);
  } else {
    File(input);
  }
  return 0;
}
