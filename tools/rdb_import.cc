#include "tools/rdb_import.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>

#include "persistence/snapshot_file.h"
#include "rdb/fd_source.h"
#include "rdb/rdb_file.h"
#include "streams/keyspace.h"

namespace runnel::tools {
namespace {

const char* Keys(uint64_t n) { return n == 1 ? "key" : "keys"; }

class Importer : public rdb::RdbVisitor {
 public:
  Importer(streams::Keyspace& keyspace, int64_t now_ms, uint64_t file_size)
      : keyspace_(keyspace), now_ms_(now_ms), file_size_(file_size) {}

  bool OnKey(int db, std::string key, int64_t expire_ms, streams::Value value,
             std::string* why) override {
    if (expire_ms >= 0 && expire_ms <= now_ms_) {
      ++expired_;
      return true;
    }
    streams::Database& d = keyspace_.db(db);
    if (d.Peek(key) != nullptr) {
      *why = "duplicate key '" + key + "' in database " + std::to_string(db);
      return false;
    }
    if (const streams::Stream* s = value.stream()) {
      ++streams_;
      entries_ += s->length();
      groups_ += s->groups().size();
      for (const auto& [name, g] : s->groups()) pending_ += g->pending();
    } else {
      ++strings_;
    }
    streams::Database::Node* node = d.Set(key, std::move(value));
    if (expire_ms >= 0) d.SetExpire(node, expire_ms);
    return true;
  }

  bool OnOtherKey(int, std::string_view, std::string_view type, std::string*) override {
    ++other_[std::string(type)];
    return true;
  }
  void OnAux(std::string_view field, std::string_view value) override {
    if (field == "redis-ver") redis_version_ = value;
  }
  void OnFunction() override { ++functions_; }
  void OnProgress(uint64_t bytes) override {
    std::fprintf(stderr, "read %llu of %llu MB (%.0f%%)\n",
                 static_cast<unsigned long long>(bytes >> 20),
                 static_cast<unsigned long long>(file_size_ >> 20),
                 file_size_ ? 100.0 * static_cast<double>(bytes) / file_size_ : 0.0);
  }

  uint64_t others() const {
    uint64_t n = 0;
    for (const auto& [type, count] : other_) n += count;
    return n + functions_;
  }

  void PrintSummary(const rdb::RdbFileInfo& info, double seconds) const {
    std::printf(
        "RDB version %d%s%s, %llu bytes, read in %.2f s\n", info.version,
        redis_version_.empty() ? "" : (" (written by Redis " + redis_version_ + ")").c_str(),
        info.checksum_checked ? ", checksum verified" : ", no checksum",
        static_cast<unsigned long long>(info.bytes), seconds);
    std::printf("  %llu streams (%llu entries, %llu consumer groups, %llu pending entries)\n",
                static_cast<unsigned long long>(streams_),
                static_cast<unsigned long long>(entries_), static_cast<unsigned long long>(groups_),
                static_cast<unsigned long long>(pending_));
    std::printf("  %llu strings\n", static_cast<unsigned long long>(strings_));
    if (expired_ > 0) {
      std::printf("  %llu %s already expired, left out\n",
                  static_cast<unsigned long long>(expired_), Keys(expired_));
    }
    for (const auto& [type, count] : other_) {
      std::printf("  %llu %s of type %s, which Runnel does not store\n",
                  static_cast<unsigned long long>(count), Keys(count), type.c_str());
    }
    if (functions_ > 0) {
      std::printf("  %llu function libraries, which Runnel does not run\n",
                  static_cast<unsigned long long>(functions_));
    }
  }

 private:
  streams::Keyspace& keyspace_;
  int64_t now_ms_;
  uint64_t file_size_;
  uint64_t streams_ = 0, strings_ = 0, entries_ = 0, groups_ = 0, pending_ = 0, expired_ = 0;
  uint64_t functions_ = 0;
  std::map<std::string, uint64_t> other_;
  std::string redis_version_;
};

bool Exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

// Why the target directory cannot take the snapshot, or empty.
std::string TargetProblem(const ImportOptions& o) {
  if (!Exists(o.dir)) return o.dir + " does not exist";
  std::string snapshot = o.dir + "/" + o.dbfilename;
  if (Exists(snapshot)) return snapshot + " exists; move it away or import into another --dir";
  std::string log = o.dir + "/appendonlydir";
  if (Exists(log)) {
    return log +
           " exists, and a server started there would load that log instead of the "
           "snapshot; move it away or import into another --dir";
  }
  return {};
}

}  // namespace

int ImportRdb(const ImportOptions& o) {
  if (std::string problem = TargetProblem(o); !problem.empty()) {
    std::fprintf(stderr, "runnel-check: %s\n", problem.c_str());
    return 2;
  }
  int fd = ::open(o.rdb_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::fprintf(stderr, "runnel-check: cannot open %s: %s\n", o.rdb_path.c_str(),
                 std::strerror(errno));
    return 2;
  }
  struct stat st {};
  fstat(fd, &st);
  const auto start = std::chrono::steady_clock::now();
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  streams::Keyspace keyspace(o.databases, 0, nullptr);
  Importer importer(keyspace, now_ms, static_cast<uint64_t>(st.st_size));
  rdb::FdSource source(fd);
  rdb::RdbReadOptions read_options;
  read_options.databases = o.databases;
  rdb::RdbFileInfo info;
  std::string error;
  const bool read = rdb::ReadRdb(source, read_options, importer, &info, &error);
  ::close(fd);
  if (!read) {
    std::fprintf(stderr, "runnel-check: %s: %s\n", o.rdb_path.c_str(), error.c_str());
    return 2;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  importer.PrintSummary(info, seconds);
  if (importer.others() > 0 && !o.skip_other_types) {
    std::printf(
        "refused: importing would drop the keys above that Runnel does not store; "
        "nothing was written (--skip-other-types imports the rest)\n");
    return 1;
  }
  persistence::SnapshotInfo snapshot_info;
  snapshot_info.created_ms = now_ms;
  if (!persistence::SaveSnapshotFile(keyspace, snapshot_info, o.dir, o.dbfilename, &error)) {
    std::fprintf(stderr, "runnel-check: cannot write the snapshot: %s\n", error.c_str());
    return 2;
  }
  std::printf("wrote %s/%s\n", o.dir.c_str(), o.dbfilename.c_str());
  return 0;
}

}  // namespace runnel::tools
