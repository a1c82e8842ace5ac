// Test data for the persistence tests: a seeded random workload that exercises every write
// path the log must reproduce, and a complete, comparable rendering of a server's keyspace.
//
// RandomWorkload drives a live server (it reads replies to learn entry IDs, so later commands
// name real entries): XADD with generated and explicit IDs and every trim form, XDEL, XTRIM,
// XSETID, group creation at $ / 0 / an ID with ENTRIESREAD, XREADGROUP (new and history,
// NOACK), XACK, XCLAIM, XAUTOCLAIM, XGROUP SETID / CREATECONSUMER / DELCONSUMER / DESTROY,
// strings with long TTLs, EXPIRE / PERSIST, DEL, RENAME, MULTI/EXEC, SELECT across three
// databases, and rarely FLUSHDB. TTLs are long (hours) so a dump stays comparable across a
// restart; expiry itself is tested separately.
//
// DumpKeyspace renders every key of databases 0..2 in key order: type, absolute expiry
// (PEXPIRETIME), and the value — for a stream XINFO STREAM FULL with every entry, group,
// consumer and pending entry, plus XINFO GROUPS (lag, entries-read). Two equal dumps mean
// equal data as far as any client can observe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "server_process.h"

namespace runnel::testing {

inline constexpr int kWorkloadDatabases = 3;

class RandomWorkload {
 public:
  explicit RandomWorkload(uint64_t seed);
  ~RandomWorkload();
  RandomWorkload(const RandomWorkload&) = delete;
  RandomWorkload& operator=(const RandomWorkload&) = delete;

  // Runs `ops` random commands on `client` (which must be in RESP2). Returns the number of
  // replies that were errors other than the expected kinds (should stay 0).
  int Run(RawClient& client, int ops);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

enum class DumpFilter {
  kAll,
  // Leaves out keys that expire within a minute: they may expire between two dumps.
  kSkipShortTtl,
};

// Every key of databases 0..kWorkloadDatabases-1, rendered; leaves the client in database 0.
std::string DumpKeyspace(RawClient& client, DumpFilter filter = DumpFilter::kAll);

// How the consumers' seen times of two renderings must agree.
enum class SeenTimes {
  kExact,
  // After a SIGKILL, with the log as the source: a seen time that only reads which changed
  // nothing moved is written coalesced, once a second (docs/durability.md), so one noted in
  // the last second or so before the kill may come back as the last flush wrote it: older,
  // never newer. Everything else must still be exact.
  kCoalesced,
};

// CHECKs that two renderings are equal; on a difference reports only the first differing line
// of each (cut to a readable length), not two whole keyspaces.
void CheckSameDump(const std::string& expected, const std::string& actual,
                   SeenTimes seen = SeenTimes::kExact);

// Waits until the server has finished loading (PING answers PONG, not -LOADING).
bool WaitLoaded(int port, int timeout_ms = 30000);

// A field of INFO ("aof_rewrite_in_progress"); empty if absent.
std::string InfoField(RawClient& client, const std::string& field);

}  // namespace runnel::testing
