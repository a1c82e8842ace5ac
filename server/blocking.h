// BlockingRegistry: which clients wait on which keys, in arrival order, and until when.
//
// Per key a FIFO list of waiting connection ids; per connection the list positions, so a
// disconnect or a served client is removed in O(keys). Deadlines sit in one ordered set
// (a single timer is armed for the earliest), and a deadline is fixed when the client blocks:
// being woken and blocking again never extends it.
//
// Writes only *mark* a key ready (MarkReady); the server serves ready keys after the command
// that changed them, by re-running each waiter's command in FIFO order. This is Redis's
// two-phase wake-up: a command never runs inside another command.
//
// A client may also ask to be re-run at a time even if no key changes (a "wake"): an
// XREADGROUP CLAIM waits for a pending entry to become idle enough, which no write reports.
// Wakes sit in their own ordered set; the timer is armed for the earlier of the next wake and
// the next deadline.
//
// Pure bookkeeping: no libuv, no connections, only ids.
#pragma once

#include <cstdint>
#include <list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace runnel::server {

struct TransparentStringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class BlockingRegistry {
 public:
  using Queue = std::list<uint64_t>;
  // Where one blocked client sits: (db, key, position in that key's queue) per key.
  struct Registration {
    struct Slot {
      int db;
      std::string key;
      Queue::iterator position;
    };
    std::vector<Slot> slots;
    uint64_t deadline = 0;  // monotonic ms; 0 = none
    uint64_t wake = 0;      // monotonic ms; 0 = none
  };

  explicit BlockingRegistry(int databases) : queues_(static_cast<size_t>(databases)) {}

  // Adds client `id` at the back of each key's queue. Returns its registration (kept by the
  // caller and handed back to Remove).
  Registration Add(uint64_t id, int db, const std::vector<std::string>& keys, uint64_t deadline);
  void Remove(uint64_t id, Registration& reg);

  bool HasWaiters(int db, std::string_view key) const;
  // The waiting ids for a key, front first (a copy: serving may change the queue).
  std::vector<uint64_t> Waiters(int db, std::string_view key) const;

  void MarkReady(int db, std::string_view key);
  void MarkDatabaseReady(int db);  // FLUSHDB: every watched key of db
  bool HasReady() const { return !ready_.empty(); }
  std::vector<std::pair<int, std::string>> TakeReady();

  // Sets (or with 0 clears) when client `id` is re-run without a key change.
  void SetWake(uint64_t id, Registration& reg, uint64_t wake);
  // The earliest deadline or wake.
  std::optional<uint64_t> NextDeadline() const;
  // Ids whose deadline is <= now, earliest first. They stay registered until Remove.
  std::vector<uint64_t> Expired(uint64_t now) const;
  // Ids whose wake is <= now, earliest first. Their wakes stay set until SetWake or Remove.
  std::vector<uint64_t> DueWakes(uint64_t now) const;

  size_t blocked_clients() const { return blocked_; }

 private:
  using KeyQueues = std::unordered_map<std::string, Queue, TransparentStringHash, std::equal_to<>>;
  std::vector<KeyQueues> queues_;                      // per database
  std::set<std::pair<uint64_t, uint64_t>> deadlines_;  // (deadline, id)
  std::set<std::pair<uint64_t, uint64_t>> wakes_;      // (wake, id)
  std::vector<std::pair<int, std::string>> ready_;
  std::set<std::pair<int, std::string>> ready_set_;  // dedupes ready_
  size_t blocked_ = 0;
};

}  // namespace runnel::server
