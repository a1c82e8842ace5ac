#include "acl/acl_log.h"

namespace runnel::acl {
namespace {

constexpr int64_t kFoldWindowMs = 60000;

bool SameRefusal(const LogEntry& a, const LogEntry& b) {
  return a.reason == b.reason && a.context == b.context && a.object == b.object &&
         a.username == b.username;
}

}  // namespace

void AclLog::Add(LogEntry entry, int64_t now_ms) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (SameRefusal(*it, entry) && now_ms - it->updated_ms < kFoldWindowMs) {
      LogEntry folded = std::move(*it);
      entries_.erase(it);
      folded.count++;
      folded.updated_ms = now_ms;
      folded.client_info = std::move(entry.client_info);
      entries_.push_front(std::move(folded));
      return;
    }
  }
  entry.count = 1;
  entry.entry_id = next_id_++;
  entry.created_ms = entry.updated_ms = now_ms;
  entries_.push_front(std::move(entry));
  while (entries_.size() > max_len_) entries_.pop_back();
}

void AclLog::set_max_len(size_t n) {
  max_len_ = n;
  while (entries_.size() > max_len_) entries_.pop_back();
}

}  // namespace runnel::acl
