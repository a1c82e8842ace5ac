// Server::LoadRedisSnapshot: a full sync from a Redis master (rather than a Runnel one) loads the
// RDB file it sent through rdb/ instead of the snapshot loader.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <string>

#include "rdb/fd_source.h"
#include "rdb/rdb_file.h"
#include "server/server.h"

namespace runnel::server {

namespace {

// Keys of a Redis master's RDB into a fresh keyspace, as a replica loads them: expired keys
// are kept (the master's DEL removes them), other types are counted.
class RdbSyncLoader : public rdb::RdbVisitor {
 public:
  explicit RdbSyncLoader(streams::Keyspace& keyspace) : keyspace_(keyspace) {}
  bool OnKey(int db, std::string key, int64_t expire_ms, streams::Value value,
             std::string* why) override {
    streams::Database& d = keyspace_.db(db);
    if (d.Peek(key) != nullptr) {
      *why = "duplicate key '" + key + "'";
      return false;
    }
    streams::Database::Node* node = d.Set(key, std::move(value));
    if (expire_ms >= 0) d.SetExpire(node, expire_ms);
    return true;
  }
  bool OnOtherKey(int, std::string_view, std::string_view type, std::string*) override {
    ++skipped_[std::string(type)];
    return true;
  }
  void OnFunction() override { ++functions_; }
  void OnAux(std::string_view field, std::string_view value) override {
    if (field == "repl-stream-db") std::from_chars(value.data(), value.data() + value.size(), db_);
  }
  const std::map<std::string, uint64_t>& skipped() const { return skipped_; }
  int stream_db() const { return db_; }
  uint64_t functions() const { return functions_; }

 private:
  streams::Keyspace& keyspace_;
  std::map<std::string, uint64_t> skipped_;
  int db_ = 0;
  uint64_t functions_ = 0;
};

}  // namespace

bool Server::LoadRedisSnapshot(const std::string& path, uint64_t* skipped, int* stream_db,
                               std::string* error) {
  const int64_t started = NowMs();
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = std::string("cannot open it: ") + std::strerror(errno);
    return false;
  }
  std::unique_ptr<streams::Keyspace> fresh = dispatcher_->NewKeyspace();
  fresh->set_access_clock(NowMs());
  RdbSyncLoader loader(*fresh);
  rdb::FdSource source(fd);
  rdb::RdbReadOptions options;
  options.limits = dispatcher_->limits().stream;
  options.databases = fresh->size();
  rdb::RdbFileInfo info;
  const bool read = rdb::ReadRdb(source, options, loader, &info, error);
  close(fd);
  if (!read) return false;
  *skipped = 0;
  for (const auto& [type, count] : loader.skipped()) {
    *skipped += count;
    log_.Warning("MASTER <-> REPLICA sync: " + std::to_string(count) + " keys of type " + type +
                 " skipped: Runnel stores strings and streams only");
  }
  if (loader.functions() > 0) {
    log_.Warning("MASTER <-> REPLICA sync: " + std::to_string(loader.functions()) +
                 " function libraries skipped: Runnel runs no functions");
  }
  *stream_db =
      loader.stream_db() >= 0 && loader.stream_db() < fresh->size() ? loader.stream_db() : 0;
  dispatcher_->ReplaceKeyspace(std::move(fresh));
  dispatcher_->ResetReplicatedLimits();
  for (int db = 0; db < keyspace().size(); ++db) dispatcher_->DatabaseReplaced(db);
  log_.Notice("MASTER <-> REPLICA sync: loaded " + std::to_string(keyspace().TotalKeys()) +
              " keys of a Redis RDB (version " + std::to_string(info.version) + ") in " +
              std::to_string(NowMs() - started) + " ms");
  std::string log_error;
  if (!durability_->AdoptData(&log_error)) {
    log_.Warning("The append-only log could not take the synchronized data as its base: " +
                 log_error);
  }
  return true;
}

}  // namespace runnel::server
