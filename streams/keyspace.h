// Keyspace: the numbered databases, their keys, values and expiry times.
//
// A value is a string or a stream. Each database is a Dict from key to Record (value plus
// absolute expiry time in unix ms, or -1), with the keys that have a TTL also kept in an
// ordered set by expiry time, so the active expiry cycle finds due keys without scanning.
//
// Expiry is lazy on access (Find deletes a key whose time has passed) plus active (ExpireDue,
// called periodically by the server). Time comes in as `now_ms`; this layer has no clock.
//
// Every removal or replacement of a key is reported to the KeyspaceObserver (the dispatcher
// uses that for WATCH, blocked readers and the log's expiry DELs). In-place changes to a value
// (XADD into an existing stream, INCR) are reported by the caller with NotifyChanged(), because
// only it knows whether the command actually changed anything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "streams/dict.h"
#include "streams/errc.h"
#include "streams/stream.h"

namespace runnel::streams {

enum class ValueType : uint8_t { kString, kStream };

class Value {
 public:
  Value() = default;
  explicit Value(std::string s) : data_(std::move(s)) {}
  explicit Value(std::unique_ptr<Stream> s) : data_(std::move(s)) {}

  ValueType type() const { return data_.index() == 0 ? ValueType::kString : ValueType::kStream; }
  std::string* string() { return std::get_if<std::string>(&data_); }
  const std::string* string() const { return std::get_if<std::string>(&data_); }
  Stream* stream() {
    auto* p = std::get_if<std::unique_ptr<Stream>>(&data_);
    return p ? p->get() : nullptr;
  }
  const Stream* stream() const {
    auto* p = std::get_if<std::unique_ptr<Stream>>(&data_);
    return p ? p->get() : nullptr;
  }

 private:
  std::variant<std::string, std::unique_ptr<Stream>> data_;
};

// What OBJECT ENCODING says of a string, where Redis's answer depends on how the value came
// about and not only on its bytes: an in-place edit (APPEND or SETRANGE on a key that exists,
// SETRANGE creating one) leaves Redis a "raw" string, and INCRBYFLOAT's result is never "int".
enum class StringForm : uint8_t { kByContent, kEdited, kNeverInt };

struct Record {
  Value value;
  int64_t expire_ms = -1;  // absolute unix time in ms; -1 = no TTL
  uint32_t access_s = 0;   // unix seconds of the last lookup (OBJECT IDLETIME)
  StringForm string_form = StringForm::kByContent;  // reset whenever the value is replaced
};

class KeyspaceObserver {
 public:
  virtual ~KeyspaceObserver() = default;
  // The key was created, changed, replaced or removed by a command.
  virtual void OnKeyChanged(int db, std::string_view key) = 0;
  // The key was removed because its TTL passed (lazily on access, or by ExpireDue).
  virtual void OnKeyExpired(int db, std::string_view key) = 0;
  // Every key of the database is gone.
  virtual void OnFlushed(int db) = 0;
  // A key that did not exist was just created (before the change is reported).
  virtual void OnKeyAdded(int /*db*/, std::string_view /*key*/) {}
  // A lookup found no key (none, or one past its TTL) while misses are reported
  // (Database::set_report_misses): Redis's keymiss event.
  virtual void OnKeyMissed(int /*db*/, std::string_view /*key*/) {}
};

class Database {
 public:
  using Table = Dict<Record>;
  using Node = Table::Node;

  Database(int index, uint64_t hash_seed, KeyspaceObserver* observer)
      : index_(index), table_(hash_seed), observer_(observer) {}
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  int index() const { return index_; }
  size_t size() const { return table_.size(); }
  size_t expires_count() const { return expires_.size(); }
  size_t bucket_count() const { return table_.bucket_count(); }  // MEMORY STATS overhead

  // The key's node, or nullptr if absent. A key past its TTL is deleted and reported absent.
  Node* Find(std::string_view key, int64_t now_ms);
  // Find without stamping the access time (Redis's LOOKUP_NOTOUCH): EXISTS, TYPE, TTL, OBJECT.
  Node* FindNoTouch(std::string_view key, int64_t now_ms);
  // The key's node whatever its TTL says, without side effects (WATCH bookkeeping, and log
  // replay, where the log itself holds every expiry as a DEL).
  Node* Peek(std::string_view key) const { return table_.Find(key); }
  // Typed lookups: nullptr when absent, Errc::kWrongType when the key holds another type.
  OpResult<Stream*> FindStream(std::string_view key, int64_t now_ms);
  OpResult<std::string*> FindString(std::string_view key, int64_t now_ms);

  // Stores `value` under `key`, replacing any old value. The TTL is cleared unless keep_ttl.
  Node* Set(std::string_view key, Value value, bool keep_ttl = false);
  bool Delete(std::string_view key);
  // Moves a key's value and TTL to `to` in `dest` (which may be this database).
  void Move(Node* from, Database& dest, std::string_view to);

  // COPY: a deep copy of a key's value and TTL as `to` in `dest`, replacing any value there.
  // `to` must not be `from` itself.
  void Copy(const Node* from, Database& dest, std::string_view to);

  // A random live key (RANDOMKEY), or nullptr when there is none; `seed` picks where to look.
  // A key past its TTL is skipped (not deleted).
  const Node* RandomNode(uint64_t seed, int64_t now_ms) const;
  // SWAPDB: exchanges every key, TTL and timed-work index with `other`; the two keep their
  // numbers and observers.
  void SwapContents(Database& other);

  // Sets an absolute expiry (ms) on an existing key; -1 removes it. Returns whether it changed.
  bool SetExpire(Node* node, int64_t when_ms);
  void Flush();

  // Whether Find stamps a key's access time (CLIENT NO-TOUCH turns it off for a client's
  // commands).
  void set_touch(bool touch) { touch_ = touch; }
  // Whether Find removes a key past its TTL (it always answers as if the key were gone):
  // CLIENT PAUSE turns it off, so that reads during a pause change nothing.
  void set_expire_on_lookup(bool on) { expire_on_lookup_ = on; }
  // Whether a key past its TTL is found all the same: the commands a replica runs for a Redis
  // master see no key as expired (the master sends the DEL when it expires one).
  void set_ttl_ignored(bool ignored) { ttl_ignored_ = ignored; }
  // Whether Find and FindNoTouch tell the observer of a key they did not find (only the lookups
  // Redis makes as reads report one; the dispatcher turns this on around those commands).
  void set_report_misses(bool report) { report_misses_ = report; }

  // The time keys created from now on count as last accessed (OBJECT IDLETIME): the current
  // command's (Keyspace::set_access_clock), or the load's, so loaded keys are as idle as
  // Redis's (0 at load).
  void set_access_clock(int64_t now_ms) { last_access_s_ = static_cast<uint32_t>(now_ms / 1000); }

  // Replaces the observer (see Keyspace::set_observer).
  void set_observer(KeyspaceObserver* observer) { observer_ = observer; }

  // Reports an in-place change to an existing key.
  void NotifyChanged(std::string_view key) {
    if (observer_) observer_->OnKeyChanged(index_, key);
  }

  // Streams that hold idempotent-production state (Redis 8.6), for the cron that expires it:
  // TrackIdmp adds a key (XADD IDMP; Set adds any stream that arrives holding iids, so loaded,
  // restored, moved and copied streams are tracked); keys that are gone or no longer streams
  // with such state are dropped by ExpireIdmp as it meets them.
  void TrackIdmp(std::string_view key) { idmp_keys_.emplace(key); }
  // For each tracked stream, drops the iids older than its IDMP-DURATION before `now_ms`,
  // calling on_expired(key, cutoff_ms) for each stream that lost some.
  template <typename F>
  void ExpireIdmp(int64_t now_ms, F&& on_expired);

  // Streams with timed work for the cron besides TTLs and iids (a group's CONSUMER-EXPIRE, a
  // stream's RETENTION-MS): TrackTimed adds a key (kept across Move and Copy); VisitTimed
  // calls visit(key, stream) for each, starting at `from` (in key order, wrapping round, so
  // work with a budget can resume where it stopped), and drops the keys that are gone, no
  // longer streams, or for which visit returns false (nothing timed left).
  void TrackTimed(std::string_view key) { timed_keys_.emplace(key); }
  template <typename F>
  void VisitTimed(std::string_view from, F&& visit);

  // Streams with delayed entries, by due time, for the timer that appends them: one filing per
  // key at most, so the index never outgrows the keys. NoteScheduled files a key under a due
  // time, or moves its filing earlier: called when an entry becomes its stream's earliest (and
  // by Set for a stream arriving with some). A filing can be earlier than the stream's real
  // earliest entry (that one was cancelled) — the timer then files it again under the right
  // time — but never later. Removing the key removes its filing.
  void NoteScheduled(std::string_view key, int64_t due_ms);
  // The earliest filing's due time, or nullopt.
  std::optional<int64_t> NextScheduledMs() const {
    if (schedule_index_.empty()) return std::nullopt;
    return schedule_index_.begin()->first;
  }
  size_t scheduled_filings() const { return schedule_filed_.size(); }
  // Removes and returns the key of the earliest filing if it is due at `now_ms`.
  std::optional<std::string> PopScheduledKey(int64_t now_ms);

  // Deletes up to `max_keys` keys whose TTL has passed. Returns how many were deleted.
  size_t ExpireDue(int64_t now_ms, size_t max_keys);
  // Mean time to live in ms over keys with a TTL (0 when none), from a running sum.
  int64_t AverageTtl(int64_t now_ms) const;
  // The earliest expiry time, or -1 when no key has a TTL.
  int64_t NextExpiry() const { return expires_.empty() ? -1 : expires_.begin()->first; }

  // One SCAN step over live and expired keys alike (callers filter); see Dict::ScanStep.
  template <typename F>
  uint64_t ScanStep(uint64_t cursor, F&& f) const {
    return table_.ScanStep(cursor, std::forward<F>(f));
  }
  template <typename F>
  void ForEach(F&& f) const {
    table_.ForEach(std::forward<F>(f));
  }

 private:
  void Remove(Node* node);  // unlinks from expires_ and erases, without notifying

  int index_;
  Table table_;
  std::set<std::pair<int64_t, Node*>> expires_;
  __int128 expire_sum_ = 0;  // sum of the expiry times in expires_
  KeyspaceObserver* observer_;
  std::set<std::string, std::less<>> idmp_keys_;
  std::set<std::string, std::less<>> timed_keys_;
  std::set<std::pair<int64_t, std::string>> schedule_index_;
  // The time of the command running now, in seconds (set_access_clock): a key created now is
  // stamped with it as its last access, since Set is given no time.
  uint32_t last_access_s_ = 0;
  bool touch_ = true;
  bool expire_on_lookup_ = true;
  bool ttl_ignored_ = false;
  bool report_misses_ = false;
  std::map<std::string, int64_t, std::less<>> schedule_filed_;  // key -> its filing's time
};

template <typename F>
void Database::VisitTimed(std::string_view from, F&& visit) {
  auto one = [&](std::set<std::string, std::less<>>::iterator it) {
    Node* node = table_.Find(*it);
    Stream* s = node != nullptr ? node->value.value.stream() : nullptr;
    return s == nullptr || !visit(std::string_view(*it), *s) ? timed_keys_.erase(it)
                                                             : std::next(it);
  };
  // From `from` to the end, then from the start to `from` (the key where the first part began
  // is kept as a bound by value: erasing keys never invalidates a string).
  const std::string start(from);
  for (auto it = timed_keys_.lower_bound(start); it != timed_keys_.end();) it = one(it);
  for (auto it = timed_keys_.begin(); it != timed_keys_.end() && *it < start;) it = one(it);
}

template <typename F>
void Database::ExpireIdmp(int64_t now_ms, F&& on_expired) {
  for (auto it = idmp_keys_.begin(); it != idmp_keys_.end();) {
    Node* node = table_.Find(*it);
    Stream* s = node != nullptr ? node->value.value.stream() : nullptr;
    if (s == nullptr || s->idmp() == nullptr || s->idmp()->empty()) {
      it = idmp_keys_.erase(it);
      continue;
    }
    int64_t cutoff = now_ms - s->idmp_config().duration_s * 1000;
    auto next = s->idmp()->NextExpiryMs();
    if (cutoff >= 0 && next && *next <= static_cast<uint64_t>(cutoff)) {
      s->idmp_state().Expire(static_cast<uint64_t>(cutoff));
      on_expired(std::string_view(*it), cutoff);
    }
    ++it;
  }
}

class Keyspace {
 public:
  Keyspace(int databases, uint64_t hash_seed, KeyspaceObserver* observer);

  int size() const { return static_cast<int>(dbs_.size()); }
  Database& db(int index) { return *dbs_[static_cast<size_t>(index)]; }
  const Database& db(int index) const { return *dbs_[static_cast<size_t>(index)]; }
  size_t TotalKeys() const;
  // Database::set_touch for every database.
  void set_touch(bool touch) {
    for (auto& d : dbs_) d->set_touch(touch);
  }
  // Database::set_expire_on_lookup for every database.
  void set_expire_on_lookup(bool on) {
    for (auto& d : dbs_) d->set_expire_on_lookup(on);
  }
  // Database::set_report_misses for every database.
  void set_report_misses(bool report) {
    for (auto& d : dbs_) d->set_report_misses(report);
  }
  // Database::set_ttl_ignored for every database.
  void set_ttl_ignored(bool ignored) {
    for (auto& d : dbs_) d->set_ttl_ignored(ignored);
  }
  // Database::set_access_clock for every database; the dispatcher calls it before each
  // command, so cheap unless the second changed.
  void set_access_clock(int64_t now_ms) {
    const int64_t s = now_ms / 1000;
    if (s == clock_s_) return;
    clock_s_ = s;
    for (auto& d : dbs_) d->set_access_clock(now_ms);
  }
  void FlushAll();
  // Replaces every database's observer: a keyspace filled by a snapshot loader is built with
  // none (loading is not a change anyone must hear of) and gets the server's afterwards.
  void set_observer(KeyspaceObserver* observer);

 private:
  std::vector<std::unique_ptr<Database>> dbs_;
  int64_t clock_s_ = -1;
};

}  // namespace runnel::streams
