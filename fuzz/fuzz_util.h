// Helpers shared by the fuzz targets: an invariant check that aborts (so libFuzzer records the
// input as a crash), the in-memory snapshot sinks and sources of the tests, and the snapshot
// round trip that several targets use as their deepest check of a keyspace's consistency.
//
// The round trip: a keyspace is written as a snapshot, the snapshot loaded into a fresh
// keyspace (the loader validates structure deeply: IDs, counts, PEL ownership), and the loaded
// keyspace written again; the two snapshots must hold the same sections (in any order: keys
// come in hash-table order). A keyspace some code path built that the loader refuses is a
// restart that would fail, so it counts as a finding.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/snapshot.h"
#include "streams/keyspace.h"
#include "tests/persistence/byte_buffers.h"

namespace runnel::fuzz {

inline constexpr int kDatabases = 16;

[[noreturn]] inline void Fail(const char* target, std::string_view what) {
  std::fprintf(stderr, "%s invariant failed: %.*s\n", target, static_cast<int>(what.size()),
               what.data());
  std::abort();
}

inline void Check(bool ok, const char* target, std::string_view what) {
  if (!ok) Fail(target, what);
}

using persistence::testing::StringSink;
using persistence::testing::StringSource;

// Loads `bytes` into `into`, `per_step` sections at a time. Returns the final status; *error
// gets the loader's message.
inline persistence::SnapshotLoader::Status LoadSnapshot(std::string_view bytes,
                                                        streams::Keyspace& into, size_t per_step,
                                                        std::string* error) {
  StringSource source(bytes);
  persistence::SnapshotLoader loader(source, into);
  persistence::SnapshotLoader::Status status;
  uint64_t last_offset = 0;
  while ((status = loader.Step(per_step)) == persistence::SnapshotLoader::Status::kMore) {
    Check(loader.offset() > last_offset, "snapshot", "a step made no progress");
    last_offset = loader.offset();
  }
  Check(loader.Step(1) == status, "snapshot", "a finished loader changed its verdict");
  *error = loader.error();
  return status;
}

inline std::string WriteSnapshotText(const streams::Keyspace& keyspace,
                                     const persistence::SnapshotInfo& info) {
  StringSink sink;
  std::string error;
  Check(persistence::WriteSnapshot(keyspace, info, sink, &error), "snapshot", error);
  return sink.data;
}

// A snapshot's sections (kind, length and payload; the end section left out), sorted.
inline std::vector<std::string> SortedSections(std::string_view bytes) {
  constexpr size_t kHeader = 16, kSectionHeader = 9;  // snapshot_format.h
  std::vector<std::string> sections;
  size_t pos = kHeader;
  while (pos + kSectionHeader <= bytes.size() && static_cast<uint8_t>(bytes[pos]) != 0xff) {
    uint64_t length = 0;
    for (int i = 8; i >= 1; --i) length = (length << 8) | static_cast<uint8_t>(bytes[pos + i]);
    const size_t whole = kSectionHeader + static_cast<size_t>(length) + 8;
    sections.emplace_back(bytes.substr(pos, whole));
    pos += whole;
  }
  std::sort(sections.begin(), sections.end());
  return sections;
}

// The round trip described above; aborts naming `target` when it fails.
inline void CheckSnapshotRoundTrip(const char* target, const streams::Keyspace& keyspace,
                                   const persistence::SnapshotInfo& info = {}) {
  std::string first = WriteSnapshotText(keyspace, info);
  streams::Keyspace loaded(keyspace.size(), 7, nullptr);
  std::string error;
  if (LoadSnapshot(first, loaded, SIZE_MAX, &error) != persistence::SnapshotLoader::Status::kDone) {
    Fail(target, "a snapshot of the keyspace does not load: " + error);
  }
  Check(loaded.TotalKeys() == keyspace.TotalKeys(), target, "a snapshot lost or gained keys");
  // Keys are written in hash-table order, which depends on the table's history, so the second
  // snapshot may order them differently: compared as sorted lists of sections, it is the same.
  std::string second = WriteSnapshotText(loaded, info);
  Check(SortedSections(second) == SortedSections(first), target,
        "a loaded snapshot written again holds other sections");
}

}  // namespace runnel::fuzz
