// AclLog: the commands and logins ACL refused, newest first, as ACL LOG shows them.
//
// Refusals that repeat (same reason, context, object and user, each within 60 seconds of the
// last) fold into one entry whose count grows, so a client retrying in a loop cannot push the
// other entries out. At most acllog-max-len entries are kept.
#pragma once

#include <cstdint>
#include <deque>
#include <string>

namespace runnel::acl {

struct LogEntry {
  uint64_t count = 1;
  std::string reason;   // command | key | channel | auth
  std::string context;  // toplevel | multi
  std::string object;   // the command, key or channel refused ("AUTH" for a login)
  std::string username;
  std::string client_info;  // the CLIENT LIST line of the client, at the latest refusal
  uint64_t entry_id = 0;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

class AclLog {
 public:
  void Add(LogEntry entry, int64_t now_ms);
  void Reset() { entries_.clear(); }
  void set_max_len(size_t n);
  const std::deque<LogEntry>& entries() const { return entries_; }

 private:
  std::deque<LogEntry> entries_;  // newest first
  size_t max_len_ = 128;
  uint64_t next_id_ = 0;
};

}  // namespace runnel::acl
