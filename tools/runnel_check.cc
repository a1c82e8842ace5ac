// runnel-check: verifies Runnel's persistence files offline, and can cut a damaged log.
//
//   runnel-check [options] <path>
//     <path> is a log directory (appendonlydir), its manifest, a snapshot (dump.rnl or a base),
//     or one log file.
//   --databases N     the server's `databases` setting (default 16): snapshots may hold no more
//   --truncate        cut a torn tail (damage with nothing valid after it) off the last log file
//   --truncate-at     cut the log at its first damaged byte even though valid records follow;
//                     those records are lost, so this needs --yes too
//   --yes             confirm --truncate-at
//
//   runnel-check --import-rdb <file.rdb> [--dir DIR] [--dbfilename NAME] [--skip-other-types]
//     writes the Redis RDB file's strings and streams as a Runnel snapshot, DIR/NAME (default
//     ./dump.rnl), for a server started in DIR to load (tools/rdb_import.h).
//
// Exit status: 0 every file checked is sound (or was repaired as asked); 1 damage found and not
// repaired; 2 bad usage or a file that cannot be read. Output names every file checked, how
// many records or keys it holds, and for damage the first bad offset and what follows it.
//
// A log directory (or its manifest) is checked as the server loads it: the base snapshot and
// every log file's framing, checksums and sequence, and then every record applied to the data
// before it through the effects catalogue (effects/replay.h), so a history that passes here
// loads there. A single log file or snapshot is checked for framing and checksums only: its
// records need the data that comes before them.
#include <dirent.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "effects/replay.h"
#include "persistence/file_io.h"
#include "persistence/log_record.h"
#include "persistence/manifest.h"
#include "persistence/snapshot.h"
#include "persistence/snapshot_file.h"
#include "streams/keyspace.h"
#include "tools/rdb_import.h"

namespace {

using namespace runnel::persistence;

struct Options {
  std::string path;
  int databases = 16;
  bool truncate = false;
  bool truncate_at = false;
  bool yes = false;
  bool import = false;
  runnel::tools::ImportOptions import_options;
};

enum Exit { kSound = 0, kDamaged = 1, kUsage = 2 };

int Usage(const char* why) {
  std::fprintf(stderr,
               "runnel-check: %s\n"
               "usage: runnel-check [--databases N] [--truncate | --truncate-at --yes] <path>\n"
               "  <path>: a log directory, its manifest, a snapshot file, or a log file\n"
               "       runnel-check --import-rdb <file.rdb> [--dir DIR] [--dbfilename NAME]\n"
               "                    [--databases N] [--skip-other-types]\n",
               why);
  return kUsage;
}

bool ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--truncate") {
      o->truncate = true;
    } else if (a == "--truncate-at") {
      o->truncate_at = true;
    } else if (a == "--yes") {
      o->yes = true;
    } else if (a == "--databases" && i + 1 < argc) {
      char* end = nullptr;
      long n = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || n < 1 || n > (1 << 20)) return false;
      o->databases = static_cast<int>(n);
    } else if (a == "--import-rdb" && i + 1 < argc) {
      o->import = true;
      o->path = argv[++i];
    } else if (a == "--dir" && i + 1 < argc) {
      o->import_options.dir = argv[++i];
    } else if (a == "--dbfilename" && i + 1 < argc) {
      o->import_options.dbfilename = argv[++i];
    } else if (a == "--skip-other-types") {
      o->import_options.skip_other_types = true;
    } else if (!a.empty() && a[0] != '-' && o->path.empty()) {
      o->path = a;
    } else {
      return false;
    }
  }
  return !o->path.empty() && !(o->truncate && o->truncate_at) && (!o->truncate_at || o->yes);
}

bool IsDirectory(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool StartsWith(const std::string& path, std::string_view magic) {
  std::string head;
  std::string error;
  FileSource in;
  return in.Open(path, &error) && in.Read(magic.size(), &head) && head == magic;
}

constexpr std::string_view kSnapshotMagic{"RUNNELSNAP\0\0", 12};

// ---- snapshots ----

// Loads the snapshot at `path` into `keyspace`.
int CheckSnapshot(const std::string& path, runnel::streams::Keyspace& keyspace,
                  uint64_t* next_sequence) {
  FileSource in;
  std::string error;
  if (!in.Open(path, &error)) {
    std::printf("%s: cannot read: %s\n", path.c_str(), error.c_str());
    return kUsage;
  }
  SnapshotLoader loader(in, keyspace);
  SnapshotLoader::Status status;
  do {
    status = loader.Step(1024);
  } while (status == SnapshotLoader::Status::kMore);
  if (status == SnapshotLoader::Status::kError) {
    std::printf("%s: DAMAGED snapshot: %s\n", path.c_str(), loader.error().c_str());
    return kDamaged;
  }
  if (next_sequence != nullptr) *next_sequence = loader.info().next_log_sequence;
  std::printf("%s: snapshot OK, %llu keys, %llu bytes\n", path.c_str(),
              static_cast<unsigned long long>(loader.keys_loaded()),
              static_cast<unsigned long long>(in.size()));
  return kSound;
}

// ---- log files ----

// Applies the valid records of `data` (checked by ScanLog) through `replay`, as the loader does.
int ApplyRecords(const std::string& path, std::string_view data,
                 runnel::effects::ApplyContext& replay) {
  std::string error;
  for (size_t pos = 0; pos < data.size();) {
    LogRecord r;
    size_t consumed = 0;
    ReadLogRecord(data.substr(pos), &r, &consumed, /*verify=*/false);
    replay.db = static_cast<int>(r.db);
    replay.time_ms = r.time_ms;
    if (r.db >= static_cast<uint32_t>(replay.keyspace.size()) ||
        !runnel::effects::ApplyPayload(replay, r.payload, &error)) {
      std::printf("%s: record %llu at offset %zu does not apply: %s\n", path.c_str(),
                  static_cast<unsigned long long>(r.sequence), pos,
                  error.empty() ? "no such database" : error.c_str());
      return kDamaged;
    }
    pos += consumed;
  }
  return kSound;
}

// Checks one log file; `first_sequence` 0 accepts whatever it starts with. `last` says whether
// it is the file records are appended to (only there can a torn tail be normal). On success
// *next_sequence is the sequence the following file must start with. With `replay`, the valid
// records are also applied to the data before them.
int CheckLog(const std::string& path, uint64_t first_sequence, bool last, const Options& o,
             uint64_t* next_sequence, runnel::effects::ApplyContext* replay = nullptr) {
  std::string data, error;
  if (!ReadWholeFile(path, &data, &error)) {
    std::printf("%s: cannot read: %s\n", path.c_str(), error.c_str());
    return kUsage;
  }
  LogScan scan = ScanLog(data, first_sequence, /*keep_records=*/false);
  uint64_t next = first_sequence + scan.record_count;
  if (first_sequence == 0 && scan.record_count > 0) {
    LogRecord first;
    size_t consumed = 0;
    ReadLogRecord(data, &first, &consumed);
    next = first.sequence + scan.record_count;
  }
  *next_sequence = next;
  std::printf("%s: %llu valid records, %zu bytes\n", path.c_str(),
              static_cast<unsigned long long>(scan.record_count), scan.valid_bytes);
  if (replay != nullptr) {
    int rc = ApplyRecords(path, std::string_view(data).substr(0, scan.valid_bytes), *replay);
    if (rc != kSound) return rc;
  }
  if (!scan.damaged) return kSound;

  const bool torn = !scan.valid_after_damage && last;
  if (scan.valid_after_damage) {
    std::printf("%s: DAMAGED at offset %zu; valid records follow at offset %zu\n", path.c_str(),
                scan.valid_bytes, scan.next_valid_offset);
  } else {
    std::printf("%s: %s at offset %zu (%zu bytes to the end)\n", path.c_str(),
                torn ? "TORN TAIL" : "DAMAGED (not the last log file)", scan.valid_bytes,
                data.size() - scan.valid_bytes);
  }
  bool cut = (o.truncate && torn) || o.truncate_at;
  if (!last && cut) {
    std::printf("%s: not cut: later log files continue the history after it\n", path.c_str());
    return kDamaged;
  }
  if (!cut) {
    if (torn) std::printf("  runnel-check --truncate would cut it there\n");
    return kDamaged;
  }
  if (!TruncateFile(path, scan.valid_bytes, &error)) {
    std::printf("%s: truncation failed: %s\n", path.c_str(), error.c_str());
    return kUsage;
  }
  std::printf("%s: truncated to %zu bytes (%zu bytes dropped)\n", path.c_str(), scan.valid_bytes,
              data.size() - scan.valid_bytes);
  return kSound;
}

// ---- a whole log directory ----

// The manifest file in a directory: the one file named *.manifest.
bool FindManifest(const std::string& dir, std::string* path) {
  std::vector<std::string> found;
  if (auto* d = opendir(dir.c_str())) {
    while (auto* e = readdir(d)) {
      std::string_view name = e->d_name;
      if (name.size() > 9 && name.substr(name.size() - 9) == ".manifest") {
        found.emplace_back(name);
      }
    }
    closedir(d);
  }
  if (found.size() != 1) return false;
  *path = dir + "/" + found[0];
  return true;
}

int CheckHistory(const std::string& manifest_path, const Options& o) {
  std::string text, error;
  Manifest manifest;
  if (!ReadWholeFile(manifest_path, &text, &error)) {
    std::printf("%s: cannot read: %s\n", manifest_path.c_str(), error.c_str());
    return kUsage;
  }
  if (!ParseManifest(text, &manifest, &error)) {
    std::printf("%s: DAMAGED manifest: %s\n", manifest_path.c_str(), error.c_str());
    return kDamaged;
  }
  std::printf("%s: manifest OK, %zu files\n", manifest_path.c_str(), manifest.files.size());
  const std::string dir = manifest_path.substr(0, manifest_path.rfind('/'));
  runnel::streams::Keyspace keyspace(o.databases, 0, nullptr);
  runnel::effects::ApplyContext replay(keyspace);
  uint64_t next = 0;
  if (const ManifestFile* base = manifest.Base()) {
    uint64_t base_next = 0;
    int rc = CheckSnapshot(dir + "/" + base->name, keyspace, &base_next);
    if (rc != kSound) return rc;
    if (base_next != base->first_sequence) {
      std::printf("%s: the base says the log continues at %llu, the manifest says %llu\n",
                  base->name.c_str(), static_cast<unsigned long long>(base_next),
                  static_cast<unsigned long long>(base->first_sequence));
      return kDamaged;
    }
    next = base_next;
  }
  auto logs = manifest.Logs();
  for (size_t i = 0; i < logs.size(); ++i) {
    uint64_t expected = next != 0 ? next : logs[i]->first_sequence;
    if (logs[i]->first_sequence != expected) {
      std::printf("%s: the manifest says it starts at %llu, the history continues at %llu\n",
                  logs[i]->name.c_str(), static_cast<unsigned long long>(logs[i]->first_sequence),
                  static_cast<unsigned long long>(expected));
      return kDamaged;
    }
    int rc = CheckLog(dir + "/" + logs[i]->name, expected, i + 1 == logs.size(), o, &next, &replay);
    if (rc != kSound) return rc;
  }
  if (replay.skipped > 0) {
    std::printf("%llu effects found nothing to change (logs before 0.2 hold such; they load)\n",
                static_cast<unsigned long long>(replay.skipped));
  }
  std::printf("history OK: every record applies (%llu effects); the next record is %llu\n",
              static_cast<unsigned long long>(replay.applied),
              static_cast<unsigned long long>(next));
  return kSound;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseArgs(argc, argv, &o)) return Usage("bad arguments");
  if (o.import) {
    if (o.truncate || o.truncate_at) return Usage("--import-rdb does not truncate");
    o.import_options.rdb_path = o.path;
    o.import_options.databases = o.databases;
    return runnel::tools::ImportRdb(o.import_options);
  }
  if (IsDirectory(o.path)) {
    std::string manifest;
    if (!FindManifest(o.path, &manifest)) return Usage("no single *.manifest in that directory");
    return CheckHistory(manifest, o);
  }
  if (o.path.size() > 9 && o.path.compare(o.path.size() - 9, 9, ".manifest") == 0) {
    return CheckHistory(o.path, o);
  }
  if (StartsWith(o.path, kSnapshotMagic)) {
    if (o.truncate || o.truncate_at) return Usage("snapshots cannot be truncated, only logs");
    runnel::streams::Keyspace keyspace(o.databases, 0, nullptr);
    return CheckSnapshot(o.path, keyspace, nullptr);
  }
  uint64_t next = 0;
  return CheckLog(o.path, 0, /*last=*/true, o, &next);
}
