// MonitorFeed: the clients in MONITOR mode, and the line each of them is sent for every
// command the server runs.
//
// The line is redis-server's: `<unix seconds>.<microseconds> [<db> <client address>] "CMD"
// "arg" ...`, each argument quoted with C-style escapes (\" \\ \n \r \t \a \b, \xHH for other
// bytes outside printable ASCII), sent as a simple string in RESP2 and RESP3 alike. What is
// fed and when (after the command ran, admin commands and rejected ones never, passwords
// redacted) is the dispatcher's to decide; this class keeps the set and formats the line.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace runnel::dispatch {

class MonitorFeed {
 public:
  void Add(uint64_t client_id) { ids_.insert(client_id); }
  void Remove(uint64_t client_id) { ids_.erase(client_id); }
  bool empty() const { return ids_.empty(); }
  size_t size() const { return ids_.size(); }
  // In the order they started monitoring (client ids only grow).
  const std::set<uint64_t>& ids() const { return ids_; }

  static std::string Line(int64_t unix_us, int db, std::string_view source,
                          const std::vector<std::string_view>& args);

 private:
  std::set<uint64_t> ids_;
};

}  // namespace runnel::dispatch
