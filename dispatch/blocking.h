// Blocking: what a blocked command waits for (BlockRequest), and which clients wait on which
// keys, in arrival order, until when (BlockingRegistry).
//
// Per key a FIFO list of waiting client ids; per client the list positions, so a disconnect or a
// served client is removed in O(keys). Deadlines sit in one ordered set (one timer is armed for
// the earliest) and are fixed when the client blocks: being woken and blocking again never
// extends one. They are in microseconds of a monotonic clock, so a timeout never ends early: a
// client blocked for T ms is answered no sooner than T ms later, as Redis does.
//
// Writes only *mark* a key ready (MarkReady); the dispatcher serves ready keys after the command
// that changed them, by re-running each waiter's command in FIFO order when its WaitCondition
// says the change may let it proceed. This is Redis's two-phase wake-up: a command never runs
// inside another command.
//
// A client may also ask to be re-run at a time even if no key changes (a "wake"): an XREADGROUP
// CLAIM waits for a pending entry to become idle enough, which no write reports. Wakes sit in
// their own ordered set; the timer is armed for the earlier of the next wake and the next
// deadline.
//
// Pure bookkeeping: no clock and no clients, only ids and times given by the caller.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "resp/arg_list.h"
#include "streams/keyspace.h"

namespace runnel::dispatch {

// When a change to one of its keys may let a blocked command proceed. Defined by the command
// family that blocks (XREAD and XREADGROUP know what they wait for); the dispatcher only asks.
class WaitCondition {
 public:
  virtual ~WaitCondition() = default;
  // `key` (one of the command's keys) changed: could re-running the command answer now? `node`
  // is the key's current node (nullptr if absent; possibly expired, since asking must not expire
  // anything: the re-run will). The dispatcher looks it up once for all the key's waiters.
  virtual bool Ready(const streams::Database::Node* node, std::string_view key,
                     int64_t now_ms) const = 0;
};

struct BlockRequest {
  std::vector<std::string> keys;
  uint64_t timeout_ms = 0;  // 0 = forever
  // Wall-clock ms at which to re-run even if no key changed (XREADGROUP CLAIM: when the oldest
  // pending entry becomes idle enough); 0 = none.
  int64_t wake_at_ms = 0;
  resp::ArgList rerun;  // the command to run again when a key changes ("$" resolved)
  // The command answers when a key it waits on is deleted (XREADGROUP's -NOGROUP): INFO's
  // total_blocking_keys_on_nokey counts the keys such commands wait on.
  bool on_nokey = false;
  std::unique_ptr<WaitCondition> condition;  // nullptr: any change may let it proceed
  // At the deadline the command is re-run with CommandContext::timed_out and answers itself
  // (WAIT replies with the count so far); otherwise the timeout is answered with a null array.
  bool answers_timeout = false;
};

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
    uint64_t deadline_us = 0;  // monotonic; 0 = none
    uint64_t wake_us = 0;      // monotonic; 0 = none
    bool on_nokey = false;
  };

  explicit BlockingRegistry(int databases) : queues_(static_cast<size_t>(databases)) {}

  // Adds client `id` at the back of each key's queue. Returns its registration (kept by the
  // caller and handed back to Remove).
  Registration Add(uint64_t id, int db, const std::vector<std::string>& keys, uint64_t deadline_us,
                   bool on_nokey = false);
  void Remove(uint64_t id, Registration& reg);

  bool HasWaiters(int db, std::string_view key) const;
  // The waiting ids for a key, front first, into *out (a copy: serving may change the queue;
  // the caller's buffer, because a busy key's waiters are copied after every write).
  void Waiters(int db, std::string_view key, std::vector<uint64_t>* out) const;

  void MarkReady(int db, std::string_view key);
  void MarkDatabaseReady(int db);  // FLUSHDB: every watched key of db
  bool HasReady() const { return !ready_.empty(); }
  std::vector<std::pair<int, std::string>> TakeReady();

  // Sets (or with 0 clears) when client `id` is re-run without a key change.
  void SetWake(uint64_t id, Registration& reg, uint64_t wake_us);
  // The earliest deadline or (with `wakes`) wake.
  std::optional<uint64_t> NextTimeUs(bool wakes) const;
  // Ids whose deadline is <= now, earliest first. They stay registered until Remove.
  std::vector<uint64_t> Expired(uint64_t now_us) const;
  // Ids whose wake is <= now, earliest first. Their wakes stay set until SetWake or Remove.
  std::vector<uint64_t> DueWakes(uint64_t now_us) const;

  size_t blocked_clients() const { return blocked_; }
  // Keys someone waits on (INFO total_blocking_keys), and those of them an on_nokey command
  // waits on (total_blocking_keys_on_nokey).
  size_t blocking_keys() const;
  size_t blocking_keys_on_nokey() const { return keys_on_nokey_; }
  // Blocked clients with a deadline (INFO clients_in_timeout_table).
  size_t clients_with_deadline() const { return deadlines_.size(); }

 private:
  struct KeyWaiters {
    Queue queue;
    size_t on_nokey = 0;  // waiters whose command answers when the key is deleted
  };
  using KeyQueues =
      std::unordered_map<std::string, KeyWaiters, TransparentStringHash, std::equal_to<>>;
  std::vector<KeyQueues> queues_;                      // per database
  std::set<std::pair<uint64_t, uint64_t>> deadlines_;  // (deadline, id)
  std::set<std::pair<uint64_t, uint64_t>> wakes_;      // (wake, id)
  std::vector<std::pair<int, std::string>> ready_;
  std::set<std::pair<int, std::string>> ready_set_;  // dedupes ready_
  size_t blocked_ = 0;
  size_t keys_on_nokey_ = 0;
};

}  // namespace runnel::dispatch
