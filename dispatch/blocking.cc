#include "dispatch/blocking.h"

namespace runnel::dispatch {

BlockingRegistry::Registration BlockingRegistry::Add(uint64_t id, int db,
                                                     const std::vector<std::string>& keys,
                                                     uint64_t deadline_us, bool on_nokey) {
  Registration reg;
  reg.deadline_us = deadline_us;
  reg.on_nokey = on_nokey;
  auto& per_db = queues_[static_cast<size_t>(db)];
  for (const std::string& key : keys) {
    KeyWaiters& w = per_db[key];
    w.queue.push_back(id);
    if (on_nokey && w.on_nokey++ == 0) ++keys_on_nokey_;
    reg.slots.push_back({db, key, std::prev(w.queue.end())});
  }
  if (deadline_us != 0) deadlines_.insert({deadline_us, id});
  ++blocked_;
  return reg;
}

void BlockingRegistry::Remove(uint64_t id, Registration& reg) {
  for (auto& slot : reg.slots) {
    auto& per_db = queues_[static_cast<size_t>(slot.db)];
    auto it = per_db.find(slot.key);
    if (it == per_db.end()) continue;
    KeyWaiters& w = it->second;
    w.queue.erase(slot.position);
    if (reg.on_nokey && --w.on_nokey == 0) --keys_on_nokey_;
    if (w.queue.empty()) per_db.erase(it);
  }
  reg.slots.clear();
  if (reg.deadline_us != 0) deadlines_.erase({reg.deadline_us, id});
  SetWake(id, reg, 0);
  --blocked_;
}

bool BlockingRegistry::HasWaiters(int db, std::string_view key) const {
  const auto& per_db = queues_[static_cast<size_t>(db)];
  return !per_db.empty() && per_db.find(key) != per_db.end();
}

void BlockingRegistry::Waiters(int db, std::string_view key, std::vector<uint64_t>* out) const {
  out->clear();
  const auto& per_db = queues_[static_cast<size_t>(db)];
  auto it = per_db.find(key);
  if (it != per_db.end()) out->assign(it->second.queue.begin(), it->second.queue.end());
}

void BlockingRegistry::MarkReady(int db, std::string_view key) {
  if (!HasWaiters(db, key)) return;
  std::pair<int, std::string> entry(db, std::string(key));
  if (!ready_set_.insert(entry).second) return;
  ready_.push_back(std::move(entry));
}

size_t BlockingRegistry::blocking_keys() const {
  size_t n = 0;
  for (const KeyQueues& per_db : queues_) n += per_db.size();
  return n;
}

void BlockingRegistry::MarkDatabaseReady(int db) {
  for (const auto& [key, waiters] : queues_[static_cast<size_t>(db)]) MarkReady(db, key);
}

std::vector<std::pair<int, std::string>> BlockingRegistry::TakeReady() {
  ready_set_.clear();
  return std::exchange(ready_, {});
}

void BlockingRegistry::SetWake(uint64_t id, Registration& reg, uint64_t wake_us) {
  if (reg.wake_us != 0) wakes_.erase({reg.wake_us, id});
  reg.wake_us = wake_us;
  if (wake_us != 0) wakes_.insert({wake_us, id});
}

std::optional<uint64_t> BlockingRegistry::NextTimeUs(bool wakes) const {
  std::optional<uint64_t> next;
  if (!deadlines_.empty()) next = deadlines_.begin()->first;
  if (wakes && !wakes_.empty() && (!next || wakes_.begin()->first < *next)) {
    next = wakes_.begin()->first;
  }
  return next;
}

namespace {

std::vector<uint64_t> Due(const std::set<std::pair<uint64_t, uint64_t>>& times, uint64_t now) {
  std::vector<uint64_t> out;
  for (auto it = times.begin(); it != times.end() && it->first <= now; ++it) {
    out.push_back(it->second);
  }
  return out;
}

}  // namespace

std::vector<uint64_t> BlockingRegistry::Expired(uint64_t now_us) const {
  return Due(deadlines_, now_us);
}

std::vector<uint64_t> BlockingRegistry::DueWakes(uint64_t now_us) const {
  return Due(wakes_, now_us);
}

}  // namespace runnel::dispatch
