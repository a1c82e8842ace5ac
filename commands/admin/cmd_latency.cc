// LATENCY (LATEST, HISTORY, RESET, HISTOGRAM, DOCTOR, HELP): the latency monitor's events
// (dispatch/latency_monitor.h) and the per-command latency histograms (command_stats.h), with
// redis-server's replies and errors. DOCTOR answers as Redis does when the monitor is off or saw
// nothing; when it saw spikes, its report is Runnel's own.
#include <cctype>
#include <cstdio>
#include <string>
#include <vector>

#include "commands/admin/register.h"
#include "dispatch/args.h"
#include "dispatch/dispatcher.h"
#include "dispatch/help.h"

namespace runnel::commands {
namespace {

using dispatch::CommandContext;
using dispatch::CommandSpec;
using dispatch::LatencyEvent;
namespace errors = dispatch::errors;

// [[event, last unix time, last ms, all-time max ms] ...]
void CmdLatencyLatest(CommandContext& ctx) {
  const auto& events = ctx.dispatcher().latency_monitor().events();
  ctx.reply.Array(events.size());
  for (const auto& [name, e] : events) {
    ctx.reply.Array(4);
    ctx.reply.Bulk(name);
    ctx.reply.Integer(e.samples.back().unix_s);
    ctx.reply.Integer(static_cast<int64_t>(e.samples.back().ms));
    ctx.reply.Integer(static_cast<int64_t>(e.max_ms));
  }
}

// [[unix time, ms] ...], oldest first; empty for an event never seen.
void CmdLatencyHistory(CommandContext& ctx) {
  const auto& events = ctx.dispatcher().latency_monitor().events();
  auto it = events.find(ctx.arg(2));
  if (it == events.end()) return ctx.reply.Array(0);
  ctx.reply.Array(it->second.samples.size());
  for (const auto& s : it->second.samples) {
    ctx.reply.Array(2);
    ctx.reply.Integer(s.unix_s);
    ctx.reply.Integer(static_cast<int64_t>(s.ms));
  }
}

void CmdLatencyReset(CommandContext& ctx) {
  std::vector<std::string_view> names;
  for (size_t i = 2; i < ctx.argc(); ++i) names.push_back(ctx.arg(i));
  ctx.reply.Integer(static_cast<int64_t>(ctx.dispatcher().latency_monitor().Reset(names)));
}

// {command: {calls: n, histogram_usec: {power of two: calls at most that long ...}} ...} for
// the named commands (all when none is named) that have latency data.
void CmdLatencyHistogram(CommandContext& ctx) {
  dispatch::Dispatcher& d = ctx.dispatcher();
  std::vector<const CommandSpec*> specs;
  auto consider = [&](const CommandSpec& spec) {
    const dispatch::CommandCounters* c = d.command_stats().Find(spec);
    if (c != nullptr && c->latency.count() > 0) specs.push_back(&spec);
  };
  if (ctx.argc() == 2) {
    for (const CommandSpec* spec : d.commands().all()) {
      consider(*spec);
      for (const CommandSpec& sub : spec->subcommands) consider(sub);
    }
  } else {
    for (size_t i = 2; i < ctx.argc(); ++i) {
      std::string name(ctx.arg(i));
      for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      const size_t bar = name.find('|');
      const CommandSpec* spec = d.commands().Find(name.substr(0, bar));
      if (spec == nullptr) continue;
      if (bar != std::string::npos) {
        if (const CommandSpec* sub = spec->FindSubcommand(name.substr(bar + 1))) consider(*sub);
        continue;
      }
      consider(*spec);
      for (const CommandSpec& sub : spec->subcommands) consider(sub);  // `client`: client|id ...
    }
  }
  ctx.reply.Map(specs.size());
  for (const CommandSpec* spec : specs) {
    const dispatch::LatencyHistogram& h = d.command_stats().Find(*spec)->latency;
    const auto buckets = h.CumulativePowersOfTwo();
    ctx.reply.Bulk(spec->fullname);
    ctx.reply.Map(2);
    ctx.reply.Bulk("calls");
    ctx.reply.Integer(static_cast<int64_t>(h.count()));
    ctx.reply.Bulk("histogram_usec");
    ctx.reply.Map(buckets.size());
    for (const auto& [bound, calls] : buckets) {
      ctx.reply.Integer(static_cast<int64_t>(bound));
      ctx.reply.Integer(static_cast<int64_t>(calls));
    }
  }
}

std::string DoctorReport(CommandContext& ctx) {
  if (ctx.dispatcher().limits().latency_threshold_ms == 0) {
    return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis "
           "instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in "
           "order to enable it. If we weren't in a deep space mission I'd suggest to take a "
           "look at https://redis.io/topics/latency-monitor.\n";
  }
  const auto& events = ctx.dispatcher().latency_monitor().events();
  if (events.empty()) {
    return "Dave, no latency spike was observed during the lifetime of this Redis instance, "
           "not in the slightest bit. I honestly think you ought to sit down calmly, take a "
           "stress pill, and think things over.\n";
  }
  std::string report =
      "Dave, I have observed latency spikes in this Redis instance. You don't mind talking "
      "about it, do you Dave?\n\n";
  int n = 0;
  for (const auto& [name, e] : events) {
    uint64_t sum = 0;
    for (const auto& s : e.samples) sum += s.ms;
    char line[256];
    std::snprintf(line, sizeof line,
                  "%d. %s: %zu latency spikes (average %llums). Worst all time event %llums.\n",
                  ++n, name.c_str(), e.samples.size(),
                  static_cast<unsigned long long>(sum / e.samples.size()),
                  static_cast<unsigned long long>(e.max_ms));
    report += line;
  }
  report +=
      "\nI have a few advices for you:\n\n"
      "- Check your Slow Log (SLOWLOG GET) to see which commands ran long; its threshold is "
      "slowlog-log-slower-than.\n"
      "- Long commands on large streams (XRANGE without COUNT, XTRIM, XDEL of many IDs, XINFO "
      "STREAM FULL) block every client meanwhile: read in pages with COUNT and trim often.\n";
  return report;
}

void CmdLatencyDoctor(CommandContext& ctx) { ctx.reply.Verbatim(DoctorReport(ctx)); }

void CmdLatencyHelp(CommandContext& ctx) {
  dispatch::WriteHelp(
      ctx.reply, "LATENCY",
      {"DOCTOR", "    Return a human readable latency analysis report.", "HISTORY <event>",
       "    Return time-latency samples for the <event> class.", "LATEST",
       "    Return the latest latency samples for all events.", "RESET [<event> ...]",
       "    Reset latency data of one or more <event> classes.",
       "    (default: reset all data for all event classes)", "HISTOGRAM [COMMAND ...]",
       "    Return a cumulative distribution of latencies in the format of a histogram for the "
       "specified command names.",
       "    If no commands are specified then all histograms are replied."});
}

}  // namespace

void RegisterLatencyCommands(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  constexpr uint32_t kFlags = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale;
  constexpr std::string_view kAcl = "@admin @slow @dangerous";
  constexpr std::string_view kSpecial =
      "nondeterministic_output request_policy:all_nodes response_policy:special";
  std::vector<CommandSpec> subs;
  subs.push_back({.name = "latest", .arity = 2, .flags = kFlags, .handler = CmdLatencyLatest,
                  .acl_categories = kAcl, .tips = kSpecial});
  subs.push_back({.name = "history", .arity = 3, .flags = kFlags, .handler = CmdLatencyHistory,
                  .acl_categories = kAcl, .tips = kSpecial});
  subs.push_back({.name = "reset", .arity = -2, .flags = kFlags, .handler = CmdLatencyReset,
                  .acl_categories = kAcl,
                  .tips = "request_policy:all_nodes response_policy:all_succeeded"});
  subs.push_back({.name = "histogram", .arity = -2, .flags = kFlags,
                  .handler = CmdLatencyHistogram, .acl_categories = kAcl, .tips = kSpecial});
  subs.push_back({.name = "doctor", .arity = 2, .flags = kFlags, .handler = CmdLatencyDoctor,
                  .acl_categories = kAcl, .tips = kSpecial});
  subs.push_back({.name = "help", .arity = 2, .flags = kCmdLoading | kCmdStale,
                  .handler = CmdLatencyHelp, .acl_categories = "@slow"});
  out.push_back(
      {.name = "latency", .arity = -2, .acl_categories = "@slow", .subcommands = std::move(subs)});
}

}  // namespace runnel::commands
