#include "dispatch/slowlog.h"

#include <algorithm>

namespace runnel::dispatch {

void SlowLog::Add(std::span<const std::string_view> args, uint64_t usec, int64_t unix_s,
                  std::string_view addr, std::string_view name, uint64_t max_len) {
  SlowLogEntry e;
  e.id = next_id_++;
  e.unix_s = unix_s;
  e.usec = usec;
  const size_t kept = args.size() > kMaxArgs ? kMaxArgs - 1 : args.size();
  for (size_t i = 0; i < kept; ++i) {
    std::string_view a = args[i];
    if (a.size() > kMaxArgBytes) {
      e.args.push_back(std::string(a.substr(0, kMaxArgBytes)) + "... (" +
                       std::to_string(a.size() - kMaxArgBytes) + " more bytes)");
    } else {
      e.args.emplace_back(a);
    }
  }
  if (kept < args.size()) {
    e.args.push_back("... (" + std::to_string(args.size() - kept) + " more arguments)");
  }
  e.addr = addr;
  e.name = name;
  entries_.push_front(std::move(e));
  while (entries_.size() > max_len) entries_.pop_back();
}

std::vector<const SlowLogEntry*> SlowLog::Newest(size_t count) const {
  std::vector<const SlowLogEntry*> out;
  const size_t n = std::min(count, entries_.size());
  for (size_t i = 0; i < n; ++i) out.push_back(&entries_[i]);
  return out;
}

}  // namespace runnel::dispatch
