// MEMORY (USAGE, STATS, DOCTOR, HELP), with redis-server's layout: the bytes a key holds, where
// the process's memory goes, and a report of what looks wrong with it.
//
// STATS gives Redis's fields in Redis's order. Runnel allocates with glibc's malloc, so the
// allocator figures are glibc's: allocated is what malloc handed out, active the heap it holds,
// resident the process's RSS (there is no separate allocator resident figure, so rss-overhead
// is 1 and 0 bytes). Things Runnel does not have (replication backlog, replicas, cluster
// links, Lua, functions) are 0. A database's overhead is its key table (nodes and bucket array)
// and its expiry index.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "commands/keys/register.h"
#include "dispatch/args.h"
#include "dispatch/help.h"

namespace runnel::commands {
namespace {

using dispatch::CommandContext;
using dispatch::CommandSpec;
using dispatch::MemoryFigures;
using streams::Database;
namespace errors = dispatch::errors;

// MEMORY USAGE key [SAMPLES count]: the bytes Runnel holds for the key and its value (a
// stream's blocks, groups, IDMP state and delayed entries all counted; SAMPLES is accepted and
// changes nothing, since nothing is estimated from a sample).
void CmdMemoryUsage(CommandContext& ctx) {
  for (size_t i = 3; i < ctx.argc(); i += 2) {
    if (!dispatch::IEquals(ctx.arg(i), "SAMPLES") || i + 1 >= ctx.argc()) {
      return ctx.Error(errors::kSyntax);
    }
    auto samples = dispatch::IntArgOrReply(ctx, ctx.arg(i + 1));
    if (!samples) return;
    if (*samples < 0) return ctx.Error(errors::kSyntax);
  }
  // As Redis, the key as stored: no expiry on lookup, and its idle time left alone.
  const Database::Node* node = ctx.db().Peek(ctx.arg(2));
  if (node == nullptr) return ctx.reply.Null();
  constexpr size_t kEntryBytes = sizeof(Database::Node) + 16;  // the node and its bucket slot
  size_t bytes = kEntryBytes + node->key.capacity();
  if (const std::string* s = node->value.value.string()) {
    bytes += s->capacity() > 15 ? s->capacity() + 1 : 0;  // beyond the inline buffer
  } else {
    bytes += node->value.value.stream()->MemoryUsage();
  }
  ctx.reply.Integer(static_cast<int64_t>(bytes));
}

struct DbOverhead {
  int index;
  uint64_t main, expires;
};

// The bookkeeping of every non-empty database: table nodes and buckets, expiry index entries
// (a std::set node: the pair plus about 32 bytes of tree links).
std::vector<DbOverhead> DatabaseOverheads(streams::Keyspace& ks) {
  std::vector<DbOverhead> out;
  for (int i = 0; i < ks.size(); ++i) {
    const Database& db = ks.db(i);
    if (db.size() == 0) continue;
    uint64_t main = db.size() * sizeof(Database::Node) + db.bucket_count() * sizeof(void*);
    uint64_t expires = db.expires_count() * (sizeof(std::pair<int64_t, void*>) + 32);
    out.push_back({i, main, expires});
  }
  return out;
}

double Ratio(uint64_t a, uint64_t b) {
  return b == 0 ? 0 : static_cast<double>(a) / static_cast<double>(b);
}

int64_t Difference(uint64_t a, uint64_t b) {
  return static_cast<int64_t>(a) - static_cast<int64_t>(b);
}

void CmdMemoryStats(CommandContext& ctx) {
  const MemoryFigures m = ctx.admin().Memory();
  const std::vector<DbOverhead> dbs = DatabaseOverheads(ctx.keyspace());
  uint64_t overhead = m.startup_allocated + m.clients_normal + m.aof_buffer;
  for (const DbOverhead& d : dbs) overhead += d.main + d.expires;
  const uint64_t keys = ctx.keyspace().TotalKeys();
  const uint64_t net = m.total_allocated - std::min(m.startup_allocated, m.total_allocated);
  const uint64_t dataset = m.total_allocated - std::min(overhead, m.total_allocated);
  resp::ReplyWriter& r = ctx.reply;
  r.Map(27 + dbs.size());
  auto field = [&](std::string_view name, int64_t v) {
    r.Bulk(name);
    r.Integer(v);
  };
  auto ratio = [&](std::string_view name, double v) {
    r.Bulk(name);
    r.Double(v);
  };
  field("peak.allocated", static_cast<int64_t>(m.peak_allocated));
  field("total.allocated", static_cast<int64_t>(m.total_allocated));
  field("startup.allocated", static_cast<int64_t>(m.startup_allocated));
  field("replication.backlog", 0);
  field("clients.slaves", 0);
  field("clients.normal", static_cast<int64_t>(m.clients_normal));
  field("cluster.links", 0);
  field("aof.buffer", static_cast<int64_t>(m.aof_buffer));
  field("lua.caches", 0);
  field("functions.caches", 0);
  for (const DbOverhead& d : dbs) {
    r.Bulk("db." + std::to_string(d.index));
    r.Map(3);
    field("overhead.hashtable.main", static_cast<int64_t>(d.main));
    field("overhead.hashtable.expires", static_cast<int64_t>(d.expires));
    field("overhead.hashtable.slot-to-keys", 0);
  }
  field("overhead.total", static_cast<int64_t>(overhead));
  field("keys.count", static_cast<int64_t>(keys));
  field("keys.bytes-per-key", keys == 0 ? 0 : static_cast<int64_t>(net / keys));
  field("dataset.bytes", static_cast<int64_t>(dataset));
  ratio("dataset.percentage", net == 0 ? 0 : Ratio(dataset, net) * 100);
  ratio("peak.percentage", Ratio(m.total_allocated, m.peak_allocated) * 100);
  field("allocator.allocated", static_cast<int64_t>(m.total_allocated));
  field("allocator.active", static_cast<int64_t>(m.allocator_active));
  field("allocator.resident", static_cast<int64_t>(m.rss));
  ratio("allocator-fragmentation.ratio", Ratio(m.allocator_active, m.total_allocated));
  field("allocator-fragmentation.bytes", Difference(m.allocator_active, m.total_allocated));
  ratio("allocator-rss.ratio", Ratio(m.rss, m.allocator_active));
  field("allocator-rss.bytes", Difference(m.rss, m.allocator_active));
  ratio("rss-overhead.ratio", 1);
  field("rss-overhead.bytes", 0);
  ratio("fragmentation", Ratio(m.rss, m.total_allocated));
  field("fragmentation.bytes", Difference(m.rss, m.total_allocated));
}

// MEMORY DOCTOR: Redis's framing (and its reply for a nearly empty server), with the problems
// Runnel can see: a peak far above today's use, fragmentation, large client buffers, and a
// backlog of log records not yet written.
std::string DoctorReport(CommandContext& ctx) {
  constexpr uint64_t kMb = 1024 * 1024;
  const MemoryFigures m = ctx.admin().Memory();
  if (m.total_allocated < 5 * kMb) {
    return "Hi Sam, this instance is empty or is using very little memory, my issues detector "
           "can't be used in these conditions. Please, leave for your mission on Earth and fill "
           "it with some data. The new Sam and I will be back to our programming as soon as I "
           "finished rebooting.\n";
  }
  std::vector<std::string> issues;
  if (m.peak_allocated > m.total_allocated + m.total_allocated / 2) {
    issues.push_back(
        "Peak memory: at some point the server used " + std::to_string(m.peak_allocated / kMb) +
        " MB, more than 150% of the " + std::to_string(m.total_allocated / kMb) +
        " MB it uses now. The allocator may keep that memory: the RSS can stay near the peak.");
  }
  const double frag = Ratio(m.rss, m.total_allocated);
  if (frag > 1.4 && m.rss - m.total_allocated > 10 * kMb) {
    char ratio[32];
    std::snprintf(ratio, sizeof ratio, "%.2f", frag);
    issues.push_back("High fragmentation: the process is " + std::string(ratio) +
                     " times larger in RAM than the data it holds. A restart (the data comes "
                     "back from disk) returns the difference to the system.");
  }
  const size_t clients = std::max<size_t>(ctx.admin().Clients().size(), 1);
  if (m.clients_normal / clients > 200 * 1024) {
    issues.push_back("Big client buffers: clients hold " +
                     std::to_string(m.clients_normal / clients / 1024) +
                     " KB each on average in query and reply buffers. Look for slow readers "
                     "(CLIENT LIST omem) and large pipelines; client-output-buffer-limit caps "
                     "the replies.");
  }
  if (m.aof_buffer > 10 * kMb) {
    issues.push_back("Log backlog: " + std::to_string(m.aof_buffer / kMb) +
                     " MB of append-only log records wait to be written; the disk may be too "
                     "slow for the write load.");
  }
  if (issues.empty()) {
    return "Hi Sam, I can't find any memory issue in your instance. I can only account for what "
           "occurs on this base.\n";
  }
  std::string report = "Sam, I detected a few issues in this Redis instance memory implants:\n\n";
  for (const std::string& issue : issues) report += " * " + issue + "\n\n";
  report += "I'm here to keep you safe, Sam. I want to help you.\n";
  return report;
}

void CmdMemoryDoctor(CommandContext& ctx) { ctx.reply.Verbatim(DoctorReport(ctx)); }

void CmdMemoryMallocStats(CommandContext& ctx) {
  ctx.reply.Verbatim(ctx.admin().AllocatorReport());
}

void CmdMemoryPurge(CommandContext& ctx) {
  ctx.admin().ReleaseFreeHeap();
  ctx.reply.Ok();
}

void CmdMemoryHelp(CommandContext& ctx) {
  dispatch::WriteHelp(ctx.reply, "MEMORY",
                      {"DOCTOR", "    Return memory problems reports.", "MALLOC-STATS",
                       "    Return internal statistics report from the memory allocator.", "PURGE",
                       "    Attempt to purge dirty pages for reclamation by the allocator.",
                       "STATS", "    Return information about the memory usage of the server.",
                       "USAGE <key> [SAMPLES <count>]",
                       "    Return memory in bytes used by <key> and its value. Nested values are",
                       "    sampled up to <count> times (default: 5, 0 means sample all)."});
}

}  // namespace

void RegisterMemoryCommands(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  std::vector<CommandSpec> memory;
  memory.push_back({.name = "usage",
                    .arity = -3,
                    .flags = kCmdReadOnly,
                    .handler = CmdMemoryUsage,
                    .keys = {2, 2, 1},
                    .acl_categories = "@read @slow",
                    .key_flags = "RO"});
  using Handler = void (*)(CommandContext&);
  const std::pair<const char*, Handler> kReports[] = {{"stats", CmdMemoryStats},
                                                      {"doctor", CmdMemoryDoctor},
                                                      {"malloc-stats", CmdMemoryMallocStats}};
  for (auto [name, handler] : kReports) {
    memory.push_back(
        {.name = name,
         .arity = 2,
         .handler = handler,
         .acl_categories = "@slow",
         .tips = "nondeterministic_output request_policy:all_shards response_policy:special"});
  }
  memory.push_back({.name = "purge",
                    .arity = 2,
                    .handler = CmdMemoryPurge,
                    .acl_categories = "@slow",
                    .tips = "request_policy:all_shards response_policy:all_succeeded"});
  memory.push_back({.name = "help",
                    .arity = 2,
                    .flags = kCmdLoading | kCmdStale,
                    .handler = CmdMemoryHelp,
                    .acl_categories = "@slow"});
  out.push_back(
      {.name = "memory", .arity = -2, .acl_categories = "@slow", .subcommands = std::move(memory)});
}

}  // namespace runnel::commands
