// WatchRegistry: the keys each client WATCHes, so a change to one can fail its EXEC.
//
// Per (db, key) the ids of watching clients; the clients themselves keep the list of what they
// watch (to unwatch in O(watched)) and a dirty flag that Touch sets.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dispatch/blocking.h"

namespace runnel::dispatch {

class WatchRegistry {
 public:
  explicit WatchRegistry(int databases) : keys_(static_cast<size_t>(databases)) {}

  void Watch(uint64_t id, int db, std::string_view key);
  void Unwatch(uint64_t id, int db, std::string_view key);
  bool empty() const { return watched_ == 0; }
  // Distinct keys watched, all databases (INFO total_watched_keys).
  size_t keys() const;

  // Calls mark_dirty(id) for each client watching the key.
  void Touch(int db, std::string_view key, const std::function<void(uint64_t)>& mark_dirty) const;
  // Calls f(key, ids) for every watched key of db (FLUSHDB decides which existed).
  void ForEachKey(
      int db, const std::function<void(const std::string&, const std::vector<uint64_t>&)>& f) const;

 private:
  using Watchers = std::unordered_map<std::string, std::vector<uint64_t>, TransparentStringHash,
                                      std::equal_to<>>;
  std::vector<Watchers> keys_;
  size_t watched_ = 0;
};

}  // namespace runnel::dispatch
