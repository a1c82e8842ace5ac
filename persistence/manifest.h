// The log manifest: which base snapshot and which log files, in order, make up the current
// history of the append-only log. It is replaced only by writing a new file and renaming it
// over the old one, so at every instant it names a complete, loadable set.
//
//   file <name> seq <first-sequence> type b     the base snapshot (at most one, first)
//   file <name> seq <first-sequence> type i     log files, oldest first
//   checksum <16 hex digits>                    XXH64 of every line above, newline included
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace runnel::persistence {

struct ManifestFile {
  std::string name;             // file name inside the log directory (no slashes)
  uint64_t first_sequence = 0;  // base: the sequence the first log record after it gets
  bool base = false;
};

struct Manifest {
  std::vector<ManifestFile> files;
  const ManifestFile* Base() const;
  std::vector<const ManifestFile*> Logs() const;
};

std::string FormatManifest(const Manifest& m);
// Parses and checks a manifest (syntax, checksum, one base at most and first, safe names).
bool ParseManifest(std::string_view text, Manifest* out, std::string* error);

}  // namespace runnel::persistence
