#include "streams/keyspace.h"

#include <xxhash.h>

#include <algorithm>

namespace runnel::streams {

uint64_t HashKey(std::string_view key, uint64_t seed) {
  return XXH3_64bits_withSeed(key.data(), key.size(), seed);
}

Database::Node* Database::Find(std::string_view key, int64_t now_ms) {
  Node* node = FindNoTouch(key, now_ms);
  if (node != nullptr && touch_) node->value.access_s = static_cast<uint32_t>(now_ms / 1000);
  return node;
}

Database::Node* Database::FindNoTouch(std::string_view key, int64_t now_ms) {
  Node* node = table_.Find(key);
  if (node != nullptr && node->value.expire_ms >= 0 && node->value.expire_ms <= now_ms &&
      !ttl_ignored_) {
    if (expire_on_lookup_) {
      std::string name = node->key;  // the node dies in Remove
      Remove(node);
      if (observer_) observer_->OnKeyExpired(index_, name);
    }
    node = nullptr;
  }
  if (node == nullptr && report_misses_ && observer_) observer_->OnKeyMissed(index_, key);
  return node;
}

const Database::Node* Database::RandomNode(uint64_t seed, int64_t now_ms) const {
  if (table_.size() == 0) return nullptr;
  // Scan steps from a random cursor until a live key turns up; a full round (back to cursor 0
  // twice) means every key is past its TTL.
  const Node* found = nullptr;
  uint64_t cursor = seed;
  for (int rounds = 0; found == nullptr && rounds < 2;) {
    cursor = table_.ScanStep(cursor, [&](const Node& n) {
      if (found == nullptr && (n.value.expire_ms < 0 || n.value.expire_ms > now_ms)) found = &n;
    });
    if (cursor == 0) ++rounds;
  }
  return found;
}

void Database::SwapContents(Database& other) {
  table_.Swap(other.table_);
  std::swap(expires_, other.expires_);
  std::swap(expire_sum_, other.expire_sum_);
  std::swap(idmp_keys_, other.idmp_keys_);
  std::swap(timed_keys_, other.timed_keys_);
  std::swap(schedule_index_, other.schedule_index_);
  std::swap(schedule_filed_, other.schedule_filed_);
}

OpResult<Stream*> Database::FindStream(std::string_view key, int64_t now_ms) {
  Node* node = Find(key, now_ms);
  if (node == nullptr) return static_cast<Stream*>(nullptr);
  Stream* s = node->value.value.stream();
  if (s == nullptr) return Errc::kWrongType;
  return s;
}

OpResult<std::string*> Database::FindString(std::string_view key, int64_t now_ms) {
  Node* node = Find(key, now_ms);
  if (node == nullptr) return static_cast<std::string*>(nullptr);
  std::string* s = node->value.value.string();
  if (s == nullptr) return Errc::kWrongType;
  return s;
}

Database::Node* Database::Set(std::string_view key, Value value, bool keep_ttl) {
  bool created;
  Node* node = table_.FindOrInsert(key, &created);
  node->value.value = std::move(value);
  node->value.string_form = StringForm::kByContent;
  if (created) node->value.access_s = last_access_s_;
  if (created && observer_) observer_->OnKeyAdded(index_, key);
  if (!keep_ttl) SetExpire(node, -1);
  // A stream that arrives whole (snapshot loading, RENAME, RESTORE) brings its timed work with
  // it: retention, delayed entries, iids to expire.
  if (const Stream* s = node->value.value.stream()) {
    if (s->retention().max_age_ms > 0) TrackTimed(key);
    if (s->idmp() != nullptr && !s->idmp()->empty()) TrackIdmp(key);
    if (s->schedule() != nullptr) {
      if (auto due = s->schedule()->NextDueMs()) NoteScheduled(key, *due);
    }
  }
  NotifyChanged(key);
  return node;
}

bool Database::Delete(std::string_view key) {
  Node* node = table_.Find(key);
  if (node == nullptr) return false;
  std::string name = node->key;
  Remove(node);
  NotifyChanged(name);
  return true;
}

void Database::Move(Node* from, Database& dest, std::string_view to) {
  Value value = std::move(from->value.value);
  int64_t expire = from->value.expire_ms;
  const StringForm form = from->value.string_form;
  std::string from_key = from->key;
  std::string to_key(to);  // `to` may be from->key itself (MOVE keeps the name): copy first
  Remove(from);
  NotifyChanged(from_key);
  Node* node = dest.Set(to_key, std::move(value));  // tracks its iids, if any
  node->value.string_form = form;
  dest.SetExpire(node, expire);
  // Set tracks only retention; a group's CONSUMER-EXPIRE is known by the source's filing.
  if (timed_keys_.count(from_key) != 0) dest.TrackTimed(to_key);
}

void Database::Copy(const Node* from, Database& dest, std::string_view to) {
  const Value& v = from->value.value;
  Value value = v.stream() != nullptr ? Value(v.stream()->Copy()) : Value(*v.string());
  int64_t expire = from->value.expire_ms;
  bool timed = timed_keys_.count(from->key) != 0;
  std::string to_key(to);
  const StringForm form = from->value.string_form;
  Node* node = dest.Set(to_key, std::move(value));  // tracks its iids, if any
  node->value.string_form = form;
  dest.SetExpire(node, expire);
  if (timed) dest.TrackTimed(to_key);
}

bool Database::SetExpire(Node* node, int64_t when_ms) {
  int64_t& current = node->value.expire_ms;
  if (current == when_ms) return false;
  if (current >= 0) {
    expires_.erase({current, node});
    expire_sum_ -= current;
  }
  current = when_ms;
  if (when_ms >= 0) {
    expires_.insert({when_ms, node});
    expire_sum_ += when_ms;
  }
  return true;
}

int64_t Database::AverageTtl(int64_t now_ms) const {
  if (expires_.empty()) return 0;
  __int128 mean = expire_sum_ / static_cast<__int128>(expires_.size());
  return std::max<int64_t>(static_cast<int64_t>(mean) - now_ms, 0);
}

void Database::Remove(Node* node) {
  if (!schedule_filed_.empty()) {
    if (auto it = schedule_filed_.find(node->key); it != schedule_filed_.end()) {
      schedule_index_.erase({it->second, it->first});
      schedule_filed_.erase(it);
    }
  }
  if (node->value.expire_ms >= 0) {
    expires_.erase({node->value.expire_ms, node});
    expire_sum_ -= node->value.expire_ms;
  }
  table_.EraseNode(node);
}

void Database::Flush() {
  table_.Clear();
  expires_.clear();
  idmp_keys_.clear();
  timed_keys_.clear();
  schedule_index_.clear();
  schedule_filed_.clear();
  expire_sum_ = 0;
  if (observer_) observer_->OnFlushed(index_);
}

void Database::NoteScheduled(std::string_view key, int64_t due_ms) {
  auto [it, added] = schedule_filed_.try_emplace(std::string(key), due_ms);
  if (!added) {
    if (it->second <= due_ms) return;
    schedule_index_.erase({it->second, it->first});
    it->second = due_ms;
  }
  schedule_index_.emplace(due_ms, it->first);
}

std::optional<std::string> Database::PopScheduledKey(int64_t now_ms) {
  if (schedule_index_.empty() || schedule_index_.begin()->first > now_ms) return std::nullopt;
  auto node = schedule_index_.extract(schedule_index_.begin());
  schedule_filed_.erase(node.value().second);
  return std::move(node.value().second);
}

size_t Database::ExpireDue(int64_t now_ms, size_t max_keys) {
  size_t done = 0;
  while (done < max_keys && !expires_.empty() && expires_.begin()->first <= now_ms) {
    Node* node = expires_.begin()->second;
    std::string name = node->key;
    Remove(node);
    if (observer_) observer_->OnKeyExpired(index_, name);
    ++done;
  }
  return done;
}

Keyspace::Keyspace(int databases, uint64_t hash_seed, KeyspaceObserver* observer) {
  for (int i = 0; i < databases; ++i) {
    dbs_.push_back(std::make_unique<Database>(i, hash_seed + static_cast<uint64_t>(i), observer));
  }
}

size_t Keyspace::TotalKeys() const {
  size_t n = 0;
  for (const auto& db : dbs_) n += db->size();
  return n;
}

void Keyspace::FlushAll() {
  for (auto& db : dbs_) db->Flush();
}

void Keyspace::set_observer(KeyspaceObserver* observer) {
  for (auto& db : dbs_) db->set_observer(observer);
}

}  // namespace runnel::streams
