#include "dispatch/watch.h"

#include <algorithm>

namespace runnel::dispatch {

void WatchRegistry::Watch(uint64_t id, int db, std::string_view key) {
  auto& per_db = keys_[static_cast<size_t>(db)];
  auto it = per_db.find(key);
  if (it == per_db.end()) it = per_db.emplace(std::string(key), std::vector<uint64_t>{}).first;
  if (std::find(it->second.begin(), it->second.end(), id) != it->second.end()) return;
  it->second.push_back(id);
  ++watched_;
}

void WatchRegistry::Unwatch(uint64_t id, int db, std::string_view key) {
  auto& per_db = keys_[static_cast<size_t>(db)];
  auto it = per_db.find(key);
  if (it == per_db.end()) return;
  auto& ids = it->second;
  auto pos = std::find(ids.begin(), ids.end(), id);
  if (pos == ids.end()) return;
  ids.erase(pos);
  --watched_;
  if (ids.empty()) per_db.erase(it);
}

size_t WatchRegistry::keys() const {
  size_t n = 0;
  for (const Watchers& per_db : keys_) n += per_db.size();
  return n;
}

void WatchRegistry::Touch(int db, std::string_view key,
                          const std::function<void(uint64_t)>& mark_dirty) const {
  if (watched_ == 0) return;
  const auto& per_db = keys_[static_cast<size_t>(db)];
  auto it = per_db.find(key);
  if (it == per_db.end()) return;
  for (uint64_t id : it->second) mark_dirty(id);
}

void WatchRegistry::ForEachKey(
    int db, const std::function<void(const std::string&, const std::vector<uint64_t>&)>& f) const {
  for (const auto& [key, ids] : keys_[static_cast<size_t>(db)]) f(key, ids);
}

}  // namespace runnel::dispatch
