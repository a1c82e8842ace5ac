#include "server/stream_walk.h"

namespace runnel::server {

bool StreamWalk::Step(const streams::Keyspace& keyspace, int64_t now_ms,
                      const std::function<uint64_t()>& clock_us, uint64_t deadline_us,
                      Visitor& visitor) {
  size_t visited = 0;
  while (!done_ && db_ < keyspace.size()) {
    const streams::Database& db = keyspace.db(db_);
    const size_t buckets = db.bucket_count();
    if (cursor_ != 0 && buckets < buckets_ && restarts_ < kMaxRestarts) {
      // Shrunk since the last slice: buckets already walked may be merged into ones to come.
      ++restarts_;
      db_ = 0;
      cursor_ = 0;
      visitor.Restart();
      continue;
    }
    buckets_ = buckets;
    cursor_ = db.ScanStep(cursor_, [&](const streams::Database::Node& n) {
      ++visited;
      const int64_t expire = n.value.expire_ms;
      if (expire >= 0 && expire <= now_ms) return;  // past its TTL: gone for clients
      if (const streams::Stream* st = n.value.value.stream()) visitor.Visit(db_, n.key, *st);
    });
    ++visited;
    if (cursor_ == 0) ++db_;  // this database is done
    if (visited >= kKeysPerClockRead) {
      visited = 0;
      if (clock_us() >= deadline_us) break;
    }
  }
  done_ = db_ >= keyspace.size();
  return done_;
}

}  // namespace runnel::server
