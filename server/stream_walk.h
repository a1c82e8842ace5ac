// StreamWalk: visits every live stream of every database once, a slice at a time, for the work
// the metrics port does in the background (the status page's table and its history sampler).
//
// Keys are walked with the tables' SCAN cursor, which survives the table growing between
// slices. A table that shrinks between slices can show a key twice; rather than remember every
// key seen (memory growing with the keyspace), the walk notices the shrink and starts over,
// telling its visitor to forget what it gathered. Shrinks need the key count to fall by half, so
// a walk restarts rarely; after kMaxRestarts it carries on and accepts the rare duplicate, so a
// walk always ends. Keys past their TTL are skipped. Keys added or removed during a walk may or
// may not be visited, as with SCAN.
//
// The walk holds no pointers into the keyspace between slices: only a database index, a
// cursor and the table size it last saw.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "streams/keyspace.h"

namespace runnel::server {

class StreamWalk {
 public:
  static constexpr int kMaxRestarts = 3;
  // How many keys are visited between two looks at the clock (reading it costs more than a
  // bucket).
  static constexpr size_t kKeysPerClockRead = 64;

  class Visitor {
   public:
    virtual ~Visitor() = default;
    virtual void Visit(int db, std::string_view key, const streams::Stream& stream) = 0;
    // The walk starts over: drop what was gathered so far.
    virtual void Restart() = 0;
  };

  // Walks until `clock_us()` passes `deadline_us` (checked every kKeysPerClockRead keys);
  // true once every database was walked.
  bool Step(const streams::Keyspace& keyspace, int64_t now_ms,
            const std::function<uint64_t()>& clock_us, uint64_t deadline_us, Visitor& visitor);
  bool done() const { return done_; }

 private:
  int db_ = 0;
  uint64_t cursor_ = 0;
  size_t buckets_ = 0;  // the table size of db_ at the last bucket visited
  int restarts_ = 0;
  bool done_ = false;
};

}  // namespace runnel::server
