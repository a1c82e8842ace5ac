#include "server/info.h"

#include <malloc.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdio>
#include <fstream>
#include <functional>

#include "commands/admin/version.h"
#include "dispatch/args.h"
#include "server/allocation_counter.h"
#include "server/connection.h"
#include "server/server.h"

namespace runnel::server {
namespace {

struct Section {
  std::string_view name;
  void (*build)(Server&, std::string&);
  bool in_default = true;  // INFO with no section (or "default") includes it
};

void Field(std::string& out, std::string_view name, const std::string& value) {
  out.append(name);
  out.push_back(':');
  out.append(value);
  out.append("\r\n");
}

void Field(std::string& out, std::string_view name, uint64_t value) {
  Field(out, name, std::to_string(value));
}

// Signed figures (-1 stands for "never" in several replication fields).
void Field(std::string& out, std::string_view name, int64_t value) {
  Field(out, name, std::to_string(value));
}

std::string Human(uint64_t bytes) {
  const char* units[] = {"B", "K", "M", "G", "T"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof(buf), "%lluB", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof(buf), "%.2f%s", v, units[u]);
  }
  return buf;
}

// One number with a printf format ("%.2f").
std::string Format(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, value);
  return buf;
}

}  // namespace

uint64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

namespace {

void ServerSection(Server& s, std::string& out) {
  utsname u{};
  uname(&u);
  uint64_t uptime = (s.MonotonicMs() - s.stats().start_monotonic) / 1000;
  Field(out, "redis_version", commands::kRedisVersion);
  Field(out, "runnel_version", commands::kRunnelVersion);
  Field(out, "redis_git_sha1", "00000000");
  Field(out, "redis_git_dirty", "0");
  Field(out, "redis_mode", "standalone");
  Field(out, "os", std::string(u.sysname) + " " + u.release + " " + u.machine);
  Field(out, "arch_bits", std::to_string(sizeof(void*) * 8));
  Field(out, "multiplexing_api", "libuv");
  Field(out, "process_id", static_cast<uint64_t>(getpid()));
  Field(out, "run_id", s.run_id());
  Field(out, "tcp_port", static_cast<uint64_t>(s.tcp_port()));
  Field(out, "server_time_usec", static_cast<uint64_t>(s.NowMs()) * 1000);
  Field(out, "uptime_in_seconds", uptime);
  Field(out, "uptime_in_days", uptime / 86400);
  Field(out, "executable", s.executable());
  Field(out, "config_file", s.config_file());
}

void ClientsSection(Server& s, std::string& out) {
  const dispatch::BlockingRegistry& blocking = s.dispatcher().blocking();
  size_t watching = 0;
  for (const auto& [id, c] : s.connections()) watching += c->watch.keys.empty() ? 0 : 1;
  Field(out, "connected_clients", s.connections().size());
  Field(out, "cluster_connections", "0");
  Field(out, "maxclients", static_cast<uint64_t>(s.config().maxclients));
  const uint64_t now_s = s.MonotonicMs() / 1000;
  Field(out, "client_recent_max_input_buffer", s.buffer_peaks().MaxInput(now_s));
  Field(out, "client_recent_max_output_buffer", s.buffer_peaks().MaxOutput(now_s));
  // As redis-server counts them: clients CLIENT PAUSE holds are blocked too.
  Field(out, "blocked_clients", blocking.blocked_clients() + s.dispatcher().pause().held());
  Field(out, "tracking_clients", "0");
  Field(out, "pubsub_clients", s.dispatcher().pubsub().clients());
  Field(out, "watching_clients", watching);
  Field(out, "clients_in_timeout_table", blocking.clients_with_deadline());
  Field(out, "total_watched_keys", s.dispatcher().watches().keys());
  Field(out, "total_blocking_keys", blocking.blocking_keys());
  Field(out, "total_blocking_keys_on_nokey", blocking.blocking_keys_on_nokey());
}

void MemorySection(Server& s, std::string& out) {
  const uint64_t used = AllocatedBytes();
  const uint64_t rss = ResidentBytes();
  uint64_t& peak = s.stats().peak_allocated;
  peak = std::max(peak, used);
  const uint64_t maxmemory = static_cast<uint64_t>(s.config().maxmemory);
  const uint64_t system =
      static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  Field(out, "used_memory", used);
  Field(out, "used_memory_human", Human(used));
  Field(out, "used_memory_rss", rss);
  Field(out, "used_memory_rss_human", Human(rss));
  Field(out, "used_memory_peak", peak);
  Field(out, "used_memory_peak_human", Human(peak));
  Field(out, "used_memory_peak_perc", Format("%.2f%%", peak ? 100.0 * used / peak : 0.0));
  Field(out, "used_memory_startup", s.stats().startup_allocated);
  Field(out, "total_system_memory", system);
  Field(out, "total_system_memory_human", Human(system));
  Field(out, "maxmemory", maxmemory);
  Field(out, "maxmemory_human", Human(maxmemory));
  Field(out, "maxmemory_policy", s.config().maxmemory_policy);
  Field(out, "mem_fragmentation_ratio",
        Format("%.2f", used ? static_cast<double>(rss) / static_cast<double>(used) : 0.0));
  Field(out, "mem_fragmentation_bytes", std::to_string(static_cast<int64_t>(rss - used)));
  Field(out, "mem_not_counted_for_evict", s.MemoryNotCountedForLimit());
  Field(out, "mem_clients_normal", s.ClientBufferBytes());
  Field(out, "mem_aof_buffer", s.durability().log_buffer_bytes());
  Field(out, "mem_allocator", "libc");
}

void PersistenceSection(Server& s, std::string& out) {
  const Loader* loader = s.loader();
  Field(out, "loading", loader ? "1" : "0");
  Field(out, "async_loading", "0");
  if (loader) {
    uint64_t total = std::max<uint64_t>(loader->total_bytes(), 1);
    Field(out, "loading_total_bytes", loader->total_bytes());
    Field(out, "loading_loaded_bytes", loader->loaded_bytes());
    Field(out, "loading_loaded_perc", std::to_string(loader->loaded_bytes() * 100.0 / total));
    Field(out, "loading_records_replayed", loader->records_replayed());
  }
  s.durability().AppendInfo(out);
}

void StatsSection(Server& s, std::string& out) {
  auto kbps = [](const InstantRate& r) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", r.PerSecond() / 1024);
    return std::string(buf);
  };
  Field(out, "total_connections_received", s.stats().connections_received);
  const dispatch::DispatchStats& d = s.dispatcher().stats();
  Field(out, "total_commands_processed", d.commands_processed);
  Field(out, "instantaneous_ops_per_sec", static_cast<uint64_t>(s.ops_rate().PerSecond()));
  Field(out, "total_net_input_bytes", s.NetInputBytes());
  Field(out, "total_net_output_bytes", s.NetOutputBytes());
  Field(out, "instantaneous_input_kbps", kbps(s.input_rate()));
  Field(out, "instantaneous_output_kbps", kbps(s.output_rate()));
  Field(out, "rejected_connections", s.stats().rejected_connections);
  const dispatch::ReplicationState r = s.Replication();
  Field(out, "sync_full", r.sync_full);
  Field(out, "sync_partial_ok", r.sync_partial_ok);
  Field(out, "sync_partial_err", r.sync_partial_err);
  Field(out, "expired_keys", d.expired_keys);
  Field(out, "evicted_keys", "0");
  Field(out, "evicted_clients", s.stats().evicted_clients);
  Field(out, "keyspace_hits", d.keyspace_hits);
  Field(out, "keyspace_misses", d.keyspace_misses);
  const dispatch::PubSub& pubsub = s.dispatcher().pubsub();
  Field(out, "pubsub_channels", pubsub.channels(false));
  Field(out, "pubsub_patterns", pubsub.patterns());
  Field(out, "pubsubshard_channels", pubsub.channels(true));
  Field(out, "latest_fork_usec", s.durability().latest_fork_us());
  Field(out, "total_error_replies", s.dispatcher().command_stats().total_errors());
  Field(out, "acl_access_denied_auth", d.acl_denied_auth);
  Field(out, "acl_access_denied_cmd", d.acl_denied_cmd);
  Field(out, "acl_access_denied_key", d.acl_denied_key);
  Field(out, "acl_access_denied_channel", d.acl_denied_channel);
}

// In redis-server's order and format (Sentinel reads it line by line: role, the slaveN lines,
// master_link_status, slave_repl_offset, slave_priority ...).
void ReplicationSection(Server& s, std::string& out) {
  const dispatch::ReplicationState r = s.Replication();
  const config::Config& c = s.config();
  Field(out, "role", r.replica ? "slave" : "master");
  if (r.replica) {
    Field(out, "master_host", r.master_host);
    Field(out, "master_port", r.master_port);
    Field(out, "master_link_status", r.link_up ? "up" : "down");
    Field(out, "master_last_io_seconds_ago", r.last_io_s);
    Field(out, "master_sync_in_progress", r.sync_in_progress ? "1" : "0");
    // Before the first sync redis-server shows 1 for both, as observed.
    const int64_t applied = r.processed_offset < 0 ? 1 : r.processed_offset;
    Field(out, "slave_read_repl_offset", applied);
    Field(out, "slave_repl_offset", applied);
    if (r.sync_in_progress) {
      const uint64_t left = r.sync_total_bytes - std::min(r.sync_read_bytes, r.sync_total_bytes);
      Field(out, "master_sync_total_bytes", r.sync_total_bytes);
      Field(out, "master_sync_read_bytes", r.sync_read_bytes);
      Field(out, "master_sync_left_bytes", left);
      char perc[32];
      std::snprintf(perc, sizeof(perc), "%.2f",
                    r.sync_total_bytes == 0 ? 0.0
                                            : 100.0 * static_cast<double>(r.sync_read_bytes) /
                                                  static_cast<double>(r.sync_total_bytes));
      Field(out, "master_sync_perc", perc);
      Field(out, "master_sync_last_io_seconds_ago", r.last_io_s);
    }
    if (!r.link_up) Field(out, "master_link_down_since_seconds", r.link_down_since_s);
    Field(out, "slave_priority", c.replica_priority);
    Field(out, "slave_read_only", c.replica_read_only ? "1" : "0");
    Field(out, "replica_announced", c.replica_announced ? "1" : "0");
    // Runnel's, following a redis-server only: what of the master's data is not here.
    if (r.redis_master) {
      Field(out, "redis_master_skipped_keys", r.redis_skipped_keys);
      Field(out, "redis_master_rejected_commands", r.redis_rejected_commands);
    }
  }
  Field(out, "connected_slaves", static_cast<uint64_t>(r.replicas.size()));
  if (c.min_replicas_to_write > 0 && c.min_replicas_max_lag > 0) {
    Field(out, "min_slaves_good_slaves", static_cast<uint64_t>(r.good_replicas));
  }
  for (size_t i = 0; i < r.replicas.size(); ++i) {
    const dispatch::ReplicaState& replica = r.replicas[i];
    Field(out, "slave" + std::to_string(i),
          "ip=" + replica.ip + ",port=" + std::to_string(replica.port) + ",state=" + replica.state +
              ",offset=" + std::to_string(replica.ack_offset) +
              ",lag=" + std::to_string(replica.lag_s));
  }
  Field(out, "master_failover_state", "no-failover");
  Field(out, "master_replid", r.replid);
  Field(out, "master_replid2", r.replid2);
  Field(out, "master_repl_offset", r.offset);
  Field(out, "second_repl_offset", r.second_offset);
  Field(out, "repl_backlog_active", r.backlog_active ? "1" : "0");
  Field(out, "repl_backlog_size", r.backlog_size);
  Field(out, "repl_backlog_first_byte_offset", r.backlog_active ? r.backlog_first_offset : 0);
  Field(out, "repl_backlog_histlen", r.backlog_histlen);
}

void CpuSection(Server&, std::string& out) {
  rusage self{}, children{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  auto seconds = [](const timeval& tv) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(tv.tv_sec),
                  static_cast<long>(tv.tv_usec));
    return std::string(buf);
  };
  Field(out, "used_cpu_sys", seconds(self.ru_stime));
  Field(out, "used_cpu_user", seconds(self.ru_utime));
  Field(out, "used_cpu_sys_children", seconds(children.ru_stime));
  Field(out, "used_cpu_user_children", seconds(children.ru_utime));
}

// Every command and subcommand counted since the last CONFIG RESETSTAT, in COMMAND's order,
// as `fn(name, counters)`.
template <typename F>
void ForEachCounted(Server& s, F&& fn) {
  const dispatch::CommandStats& stats = s.dispatcher().command_stats();
  auto one = [&](const dispatch::CommandSpec& spec) {
    const dispatch::CommandCounters* c = stats.Find(spec);
    if (c != nullptr && (c->calls > 0 || c->failed > 0 || c->rejected > 0)) fn(spec.fullname, *c);
  };
  for (const dispatch::CommandSpec* spec : s.dispatcher().commands().all()) {
    one(*spec);
    for (const dispatch::CommandSpec& sub : spec->subcommands) one(sub);
  }
}

void CommandstatsSection(Server& s, std::string& out) {
  ForEachCounted(s, [&](const std::string& name, const dispatch::CommandCounters& c) {
    char per_call[32];
    std::snprintf(per_call, sizeof per_call, "%.2f",
                  c.calls == 0 ? 0.0 : static_cast<double>(c.usec) / static_cast<double>(c.calls));
    Field(out, "cmdstat_" + name,
          "calls=" + std::to_string(c.calls) + ",usec=" + std::to_string(c.usec) +
              ",usec_per_call=" + per_call + ",rejected_calls=" + std::to_string(c.rejected) +
              ",failed_calls=" + std::to_string(c.failed));
  });
}

void ErrorstatsSection(Server& s, std::string& out) {
  for (const auto& [code, count] : s.dispatcher().command_stats().error_codes()) {
    Field(out, "errorstat_" + code, "count=" + std::to_string(count));
  }
}

// The latency-tracking-info-percentiles (50, 99, 99.9 by default) of each command's call times,
// in µs as Redis prints them.
void LatencystatsSection(Server& s, std::string& out) {
  const std::vector<double> percentiles =
      config::ParsePercentiles(s.config().latency_tracking_info_percentiles).value_or(
          std::vector<double>{});
  ForEachCounted(s, [&](const std::string& name, const dispatch::CommandCounters& c) {
    if (c.latency.count() == 0) return;
    std::string value;
    for (double p : percentiles) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%sp%g=%.3f", value.empty() ? "" : ",", p,
                    c.latency.Percentile(p));
      value += buf;
    }
    Field(out, "latency_percentiles_usec_" + name, value);
  });
}

void ModulesSection(Server&, std::string&) {}  // Runnel loads no modules

// Runnel's own: the streams of every database summed, so a glance at INFO shows the queues'
// state. O(streams): not part of the default INFO.
void StreamsSection(Server& s, std::string& out) {
  uint64_t streams = 0, entries = 0, groups = 0, consumers = 0, pending = 0, nacked = 0,
           delayed = 0, max_lag = 0;
  const int64_t now_ms = s.NowMs();
  for (int i = 0; i < s.keyspace().size(); ++i) {
    s.keyspace().db(i).ForEach([&](const streams::Database::Node& n) {
      const streams::Stream* st = n.value.value.stream();
      if (st == nullptr || (n.value.expire_ms >= 0 && n.value.expire_ms <= now_ms)) return;
      ++streams;
      entries += st->length();
      delayed += st->scheduled();
      for (const auto& [name, g] : st->groups()) {
        ++groups;
        consumers += g->consumers().size();
        pending += g->pending();
        nacked += g->nacked();
        max_lag = std::max<uint64_t>(max_lag, static_cast<uint64_t>(st->Lag(*g).value_or(0)));
      }
    });
  }
  Field(out, "streams", streams);
  Field(out, "stream_entries", entries);
  Field(out, "stream_delayed_entries", delayed);
  Field(out, "stream_groups", groups);
  Field(out, "stream_consumers", consumers);
  Field(out, "stream_pending", pending);
  Field(out, "stream_nacked", nacked);
  Field(out, "stream_max_group_lag", max_lag);
}

void ClusterSection(Server&, std::string& out) { Field(out, "cluster_enabled", "0"); }

void KeyspaceSection(Server& s, std::string& out) {
  for (int i = 0; i < s.keyspace().size(); ++i) {
    const auto& db = s.keyspace().db(i);
    if (db.size() == 0) continue;
    Field(out, "db" + std::to_string(i),
          "keys=" + std::to_string(db.size()) + ",expires=" + std::to_string(db.expires_count()) +
              ",avg_ttl=" + std::to_string(db.AverageTtl(s.NowMs())));
  }
}

// A Keysizes bin's label as Redis 8 prints it: 0, 1, 2 ... 512, then 1K ... 512K, 1M, 1G ...
std::string BinLabel(int power) {
  if (power < 0) return "0";
  static constexpr char kUnits[] = {'\0', 'K', 'M', 'G', 'T', 'P', 'E'};
  std::string label = std::to_string(uint64_t{1} << (power % 10));
  if (power >= 10) label.push_back(kUnits[power / 10]);
  return label;
}

// One db<N>_distrib_* line: each bin (the power of two at or below a key's size, or 0) with the
// number of keys in it, smallest first; no line when no key is of that kind.
void Histogram(std::string& out, const std::string& name, const std::array<uint64_t, 65>& bins) {
  std::string value;
  for (size_t i = 0; i < bins.size(); ++i) {
    if (bins[i] == 0) continue;
    if (!value.empty()) value.push_back(',');
    value += BinLabel(static_cast<int>(i) - 1) + "=" + std::to_string(bins[i]);
  }
  if (!value.empty()) Field(out, name, value);
}

// Redis 8's keysizes: per database, strings by length in bytes and streams by entries. Built by
// walking the keyspace (O(keys)), so it is not part of the default INFO.
void KeysizesSection(Server& s, std::string& out) {
  const int64_t now_ms = s.NowMs();
  auto bin = [](uint64_t n) { return n == 0 ? 0 : std::bit_width(n); };  // 0, then 1 + log2
  for (int i = 0; i < s.keyspace().size(); ++i) {
    std::array<uint64_t, 65> strings{}, streams{};
    s.keyspace().db(i).ForEach([&](const streams::Database::Node& n) {
      if (n.value.expire_ms >= 0 && n.value.expire_ms <= now_ms) return;
      if (const std::string* str = n.value.value.string()) ++strings[bin(str->size())];
      if (const streams::Stream* st = n.value.value.stream()) ++streams[bin(st->length())];
    });
    const std::string db = "db" + std::to_string(i);
    Histogram(out, db + "_distrib_strings_sizes", strings);
    Histogram(out, db + "_distrib_streams_items", streams);
  }
}

// In redis-server's order.
constexpr Section kSections[] = {
    {"Server", ServerSection},
    {"Clients", ClientsSection},
    {"Memory", MemorySection},
    {"Persistence", PersistenceSection},
    {"Stats", StatsSection},
    {"Replication", ReplicationSection},
    {"CPU", CpuSection},
    {"Modules", ModulesSection},
    {"Commandstats", CommandstatsSection, false},
    {"Errorstats", ErrorstatsSection},
    {"Latencystats", LatencystatsSection, false},
    {"Cluster", ClusterSection},
    {"Keyspace", KeyspaceSection},
    {"Keysizes", KeysizesSection, false},
    {"Streams", StreamsSection, false},
};

}  // namespace

size_t AllocatedBytes() { return CountedAllocatedBytes(); }

size_t HeapBytes() {
  struct mallinfo2 mi = mallinfo2();
  return mi.arena + mi.hblkhd;
}

std::string AllocatorReport() {
  char* text = nullptr;
  size_t size = 0;
  FILE* out = open_memstream(&text, &size);
  if (out == nullptr) return "Stats not supported for the current allocator";
  malloc_info(0, out);
  std::fclose(out);
  std::string report(text, size);
  std::free(text);
  return report;
}

void ReleaseFreeHeap() { malloc_trim(0); }

std::string BuildInfo(Server& server, const std::vector<std::string>& sections) {
  auto wanted = [&](const Section& section) {
    if (sections.empty()) return section.in_default;
    return std::any_of(sections.begin(), sections.end(), [&](const std::string& s) {
      return dispatch::IEquals(s, section.name) || dispatch::IEquals(s, "all") ||
             dispatch::IEquals(s, "everything") ||
             (section.in_default && dispatch::IEquals(s, "default"));
    });
  };
  std::string out;
  for (const Section& section : kSections) {
    if (!wanted(section)) continue;
    if (!out.empty()) out.append("\r\n");
    out.append("# ");
    out.append(section.name);
    out.append("\r\n");
    section.build(server, out);
  }
  return out;
}

}  // namespace runnel::server
