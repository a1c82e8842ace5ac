#include "server/connection.h"
#include "server/server.h"

namespace runnel::server {

size_t Connection::multi_bytes() const {
  size_t bytes = 0;
  for (const auto& q : multi.queued) bytes += q.bytes();
  return bytes;
}

// One CLIENT LIST line, fields in redis-server's order.
std::string Connection::Describe() const {
  const Connection& c = *this;
  uint64_t now = server_.MonotonicMs();
  std::string flags;
  if (c.replica) flags += 'S';
  if (c.monitor) flags += 'O';
  if (c.subscriptions.any()) flags += 'P';
  if (c.multi.active) flags += 'x';
  if (c.waiting()) flags += 'b';  // a blocked or paused (CLIENT PAUSE) command
  if (c.watch.dirty) flags += 'd';
  if (c.no_evict) flags += 'e';
  if (c.no_touch) flags += 'T';
  if (flags.empty()) flags = "N";
  const size_t multi_mem = multi_bytes();
  std::string line;
  line.reserve(320);
  auto field = [&line](std::string_view k, std::string_view v) {
    if (!line.empty()) line += ' ';
    line += k;
    line += '=';
    line += v;
  };
  using std::to_string;
  field("id", to_string(c.id()));
  field("addr", c.addr());
  field("laddr", c.laddr());
  field("fd", to_string(c.fd()));
  field("name", c.name);
  field("age", to_string((now - static_cast<uint64_t>(c.created_ms)) / 1000));
  field("idle", to_string((now - static_cast<uint64_t>(c.last_interaction_ms)) / 1000));
  field("flags", flags);
  field("db", to_string(c.db));
  field("sub", to_string(c.subscriptions.channels.size()));
  field("psub", to_string(c.subscriptions.patterns.size()));
  field("ssub", to_string(c.subscriptions.shard_channels.size()));
  field("multi", c.multi.active ? to_string(c.multi.queued.size()) : "-1");
  field("qbuf", to_string(c.query_buffer_bytes()));
  field("qbuf-free", "0");
  field("argv-mem", to_string(c.argv_bytes()));
  field("multi-mem", to_string(multi_mem));
  field("rbs", "0");
  field("rbp", "0");
  field("obl", "0");
  field("oll", "0");
  field("omem", to_string(c.output_bytes()));
  field("tot-mem", to_string(c.memory_bytes()));
  // Redis shows "w" only while a write handler waits for a full socket, which the output
  // buffer alone does not tell (replies to this very batch are buffered too).
  field("events", "r");
  field("cmd", c.last_command);
  field("user", c.user != nullptr ? std::string_view(c.user->name()) : std::string_view());
  field("redir", "-1");
  field("resp", to_string(c.protocol()));
  field("lib-name", c.lib_name);
  field("lib-ver", c.lib_ver);
  return line;
}

}  // namespace runnel::server
