#include "server/metrics.h"

#include <algorithm>
#include <cstdio>
#include <string_view>
#include <utility>
#include <vector>

#include "server/group_figures.h"
#include "server/info.h"
#include "server/server.h"

namespace runnel::server {
namespace {

using streams::ConsumerGroup;
using streams::Stream;

// A label value as the exposition format wants it: \, " and newline escaped; bytes that do not
// form UTF-8 (stream names are binary-safe) written as \xNN.
std::string Escape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80            ? 1
                       : (c >> 5) == 0x6   ? 2
                       : (c >> 4) == 0xe   ? 3
                       : (c >> 3) == 0x1e  ? 4
                                           : 0;  // not a UTF-8 lead byte
    bool valid = len > 0 && i + len <= s.size();
    for (size_t k = 1; valid && k < len; ++k) {
      valid = (static_cast<unsigned char>(s[i + k]) >> 6) == 0x2;
    }
    if (!valid || (len == 1 && c < 0x20 && c != '\n')) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\\\x%02X", c);
      out += hex;
      ++i;
      continue;
    }
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
  return out;
}

using LabelList = std::vector<std::pair<std::string_view, std::string_view>>;

std::string Labels(const LabelList& labels) {
  std::string out = "{";
  for (const auto& [name, value] : labels) {
    if (out.size() > 1) out += ',';
    out += std::string(name) + "=\"" + Escape(value) + "\"";
  }
  return out + "}";
}

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// One metric family: its HELP and TYPE lines and its samples, written out together (the format
// wants a family's samples in one group).
class Family {
 public:
  Family(std::string_view name, std::string_view type, std::string_view help)
      : name_(name), type_(type), help_(help) {}
  void Add(const std::string& labels, double value) {
    samples_ += std::string(name_) + labels + " " + Number(value) + "\n";
  }
  void AppendTo(std::string& out) const {
    if (samples_.empty()) return;
    out += Head();
    out += samples_;
  }
  // For the large families: the samples move into `parts` as they are, never copied, and the
  // HTTP response writes each part as a buffer of its own.
  void MoveInto(std::vector<std::string>& parts) {
    if (samples_.empty()) return;
    parts.push_back(Head());
    parts.push_back(std::move(samples_));
    samples_.clear();
  }

 private:
  std::string Head() const {
    std::string head;
    for (std::string_view part : {std::string_view("# HELP "), name_, std::string_view(" "), help_,
                                  std::string_view("\n# TYPE "), name_, std::string_view(" "),
                                  type_, std::string_view("\n")}) {
      head.append(part);
    }
    return head;
  }

  std::string_view name_, type_, help_;
  std::string samples_;
};

}  // namespace

// The per-stream families, and the sums that stand for the streams past the series cap.
class StreamMetrics {
 public:
  StreamMetrics(int64_t now_ms, size_t max_series) : now_ms_(now_ms), budget_(max_series) {}

  void Add(int db, std::string_view key, const Stream& s) {
    size_t series = 1;
    for (const auto& [name, g] : s.groups()) series += 1 + g->consumers().size();
    if (series > budget_) return AddToOther(s);
    budget_ -= series;
    const std::string dbs = std::to_string(db);
    const std::string labels = Labels({{"db", dbs}, {"stream", key}});
    StreamRow(labels, s);
    for (const auto& [gname, g] : s.groups()) {
      const std::string glabels = Labels({{"db", dbs}, {"stream", key}, {"group", gname}});
      GroupRow(glabels, s, *g);
      for (const auto& [cname, c] : g->consumers()) {
        const std::string clabels =
            Labels({{"db", dbs}, {"stream", key}, {"group", gname}, {"consumer", cname}});
        consumer_pending_.Add(clabels, static_cast<double>(c->pending()));
        consumer_idle_.Add(clabels, Seconds(now_ms_, c->seen_ms()));
      }
    }
  }

  void MoveInto(std::vector<std::string>& parts) {
    if (other_streams_ > 0) {
      const std::string labels = Labels({{"db", ""}, {"stream", "other"}});
      length_.Add(labels, other_.length);
      added_.Add(labels, other_.added);
      memory_.Add(labels, other_.memory);
      groups_.Add(labels, other_.groups);
      const std::string glabels = Labels({{"db", ""}, {"stream", "other"}, {"group", "other"}});
      pending_.Add(glabels, other_.pending);
      lag_.Add(glabels, other_.lag);
      const std::string clabels = Labels(
          {{"db", ""}, {"stream", "other"}, {"group", "other"}, {"consumer", "other"}});
      consumer_pending_.Add(clabels, other_.pending);
    }
    for (Family* f : {&length_, &added_, &memory_, &first_age_, &last_age_, &scheduled_, &groups_,
                      &lag_, &pending_, &nacked_, &consumers_, &oldest_, &entries_read_,
                      &dead_lettered_, &delivered_, &read_, &acked_, &claimed_, &nacks_,
                      &consumer_pending_, &consumer_idle_}) {
      f->MoveInto(parts);
    }
    parts.push_back(
        "# HELP runnel_metrics_streams_summed Streams past metrics-max-series, summed into "
        "stream=\"other\".\n# TYPE runnel_metrics_streams_summed gauge\n"
        "runnel_metrics_streams_summed " + Number(static_cast<double>(other_streams_)) + "\n");
  }

 private:
  struct Sums {
    double length = 0, added = 0, memory = 0, groups = 0, pending = 0, lag = 0;
  };

  void StreamRow(const std::string& labels, const Stream& s) {
    length_.Add(labels, static_cast<double>(s.length()));
    added_.Add(labels, static_cast<double>(s.entries_added()));
    memory_.Add(labels, static_cast<double>(s.MemoryUsage()));
    scheduled_.Add(labels, static_cast<double>(s.scheduled()));
    groups_.Add(labels, static_cast<double>(s.groups().size()));
    if (s.length() > 0) {
      first_age_.Add(labels, Seconds(now_ms_, static_cast<int64_t>(s.first_id().ms)));
      if (auto last = s.LastLiveId()) {
        last_age_.Add(labels, Seconds(now_ms_, static_cast<int64_t>(last->ms)));
      }
    }
  }

  void GroupRow(const std::string& labels, const Stream& s, const ConsumerGroup& g) {
    if (auto lag = s.Lag(g)) lag_.Add(labels, static_cast<double>(*lag));
    pending_.Add(labels, static_cast<double>(g.pending()));
    nacked_.Add(labels, static_cast<double>(g.nacked()));
    consumers_.Add(labels, static_cast<double>(g.consumers().size()));
    oldest_.Add(labels, OldestPendingAge(g, now_ms_));
    if (g.entries_read() >= 0) entries_read_.Add(labels, static_cast<double>(g.entries_read()));
    dead_lettered_.Add(labels, static_cast<double>(g.counters().dead_lettered));
    const streams::GroupActivity& a = g.activity();
    delivered_.Add(labels, static_cast<double>(a.delivered));
    read_.Add(labels, static_cast<double>(a.read));
    acked_.Add(labels, static_cast<double>(a.acknowledged));
    claimed_.Add(labels, static_cast<double>(a.claimed));
    nacks_.Add(labels, static_cast<double>(a.nacked));
  }

  void AddToOther(const Stream& s) {
    ++other_streams_;
    other_.length += static_cast<double>(s.length());
    other_.added += static_cast<double>(s.entries_added());
    other_.memory += static_cast<double>(s.MemoryUsage());
    other_.groups += static_cast<double>(s.groups().size());
    for (const auto& [name, g] : s.groups()) {
      other_.pending += static_cast<double>(g->pending());
      other_.lag += static_cast<double>(s.Lag(*g).value_or(0));
    }
  }

  int64_t now_ms_;
  size_t budget_;
  size_t other_streams_ = 0;
  Sums other_;
  Family length_{"runnel_stream_length", "gauge", "Entries in the stream (XLEN)."};
  Family added_{"runnel_stream_entries_added_total", "counter",
                "Entries ever added to the stream (XINFO entries-added)."};
  Family memory_{"runnel_stream_memory_bytes", "gauge",
                 "Bytes the stream holds: entries, groups, IDMP state, delayed entries."};
  Family first_age_{"runnel_stream_first_entry_age_seconds", "gauge",
                    "Age of the stream's first entry, from its ID's time."};
  Family last_age_{"runnel_stream_last_entry_age_seconds", "gauge",
                   "Age of the stream's last entry, from its ID's time."};
  Family scheduled_{"runnel_stream_scheduled_entries", "gauge",
                    "Delayed entries waiting to be appended (XADD DELAY / AT)."};
  Family groups_{"runnel_stream_groups", "gauge", "Consumer groups of the stream."};
  Family lag_{"runnel_group_lag", "gauge",
              "Entries the group has not been delivered yet (XINFO GROUPS lag; absent when "
              "deletions make it unknown)."};
  Family pending_{"runnel_group_pending", "gauge",
                  "Entries delivered to the group and not acknowledged (its PEL)."};
  Family nacked_{"runnel_group_nacked", "gauge",
                 "Pending entries released by XNACK, waiting for a consumer."};
  Family consumers_{"runnel_group_consumers", "gauge", "Consumers in the group."};
  Family oldest_{"runnel_group_oldest_pending_age_seconds", "gauge",
                 "How long the group's oldest pending entry has waited since its delivery (or "
                 "its XNACK release); 0 when nothing is pending."};
  Family entries_read_{"runnel_group_entries_read", "gauge",
                       "Entries the group has read (XINFO GROUPS entries-read)."};
  Family dead_lettered_{"runnel_group_dead_lettered_total", "counter",
                        "Entries the group moved to its dead-letter stream."};
  Family delivered_{"runnel_group_delivered_total", "counter",
                    "Entries handed to the group's consumers (new, re-read or claimed) since "
                    "the server started."};
  Family read_{"runnel_group_read_total", "counter",
               "Entries the group read for the first time since the server started."};
  Family acked_{"runnel_group_acknowledged_total", "counter",
                "Entries acknowledged (XACK, XACKDEL) since the server started."};
  Family claimed_{"runnel_group_claimed_total", "counter",
                  "Entries taken over by XCLAIM, XAUTOCLAIM or XREADGROUP CLAIM since the "
                  "server started."};
  Family nacks_{"runnel_group_nacks_total", "counter",
                "Entries released by XNACK since the server started."};
  Family consumer_pending_{"runnel_consumer_pending", "gauge",
                           "Entries pending for the consumer."};
  Family consumer_idle_{"runnel_consumer_idle_seconds", "gauge",
                        "Seconds since the consumer was last seen (XINFO CONSUMERS idle)."};
};

namespace {

// A Prometheus histogram: cumulative `le` buckets, then _sum and _count.
void Histogram(std::string& out, std::string_view name, std::string_view help,
               const DurationHistogram& h) {
  const std::string n(name);
  out += "# HELP " + n + " " + std::string(help) + "\n# TYPE " + n + " histogram\n";
  for (size_t i = 0; i <= DurationHistogram::kBounds.size(); ++i) {
    char le[32] = "+Inf";  // %g keeps the labels short: 5e-05, not 5.0000000000000002e-05
    if (i < DurationHistogram::kBounds.size()) {
      std::snprintf(le, sizeof le, "%g", DurationHistogram::kBounds[i]);
    }
    out += n + "_bucket{le=\"" + std::string(le) + "\"} " +
           Number(static_cast<double>(h.CumulativeCount(i))) + "\n";
  }
  out += n + "_sum " + Number(h.sum()) + "\n";
  out += n + "_count " + Number(static_cast<double>(h.count())) + "\n";
}

void ServerMetrics(Server& s, std::string& out) {
  auto gauge = [&](std::string_view name, std::string_view help, double v) {
    out += "# HELP " + std::string(name) + " " + std::string(help) + "\n# TYPE " +
           std::string(name) + " gauge\n" + std::string(name) + " " + Number(v) + "\n";
  };
  auto counter = [&](std::string_view name, std::string_view help, double v) {
    out += "# HELP " + std::string(name) + " " + std::string(help) + "\n# TYPE " +
           std::string(name) + " counter\n" + std::string(name) + " " + Number(v) + "\n";
  };
  gauge("runnel_uptime_seconds", "Seconds since the server started.",
        static_cast<double>(s.MonotonicMs() - s.stats().start_monotonic) / 1000.0);
  gauge("runnel_connected_clients", "Client connections open.",
        static_cast<double>(s.connections().size()));
  gauge("runnel_blocked_clients", "Clients waiting in a blocking command or held by CLIENT PAUSE.",
        static_cast<double>(s.dispatcher().blocking().blocked_clients() +
                            s.dispatcher().pause().held()));
  gauge("runnel_memory_used_bytes", "Bytes the allocator has handed out (INFO used_memory).",
        static_cast<double>(AllocatedBytes()));
  gauge("runnel_memory_rss_bytes", "Resident set size of the process.",
        static_cast<double>(ResidentBytes()));
  gauge("runnel_memory_max_bytes",
        "maxmemory: past it, commands that add data are refused with -OOM (0: no limit).",
        static_cast<double>(s.config().maxmemory));
  gauge("runnel_memory_clients_bytes",
        "Bytes the clients hold: unsent replies, unread input (INFO mem_clients_normal).",
        static_cast<double>(s.ClientBufferBytes()));
  counter("runnel_evicted_clients_total",
          "Clients closed by maxmemory-clients (INFO evicted_clients).",
          static_cast<double>(s.stats().evicted_clients));
  counter("runnel_rejected_connections_total",
          "Connections refused: past maxclients, or by protected mode (INFO rejected_connections).",
          static_cast<double>(s.stats().rejected_connections));
  counter("runnel_expired_keys_total", "Keys removed because their TTL passed.",
          static_cast<double>(s.dispatcher().stats().expired_keys));
  counter("runnel_error_replies_total", "Error replies sent (INFO total_error_replies).",
          static_cast<double>(s.dispatcher().command_stats().total_errors()));
  const Durability& d = s.durability();
  gauge("runnel_aof_enabled", "Whether the append-only log is on.", d.log_enabled() ? 1 : 0);
  gauge("runnel_aof_size_bytes", "Bytes of the append-only log: base and log files.",
        static_cast<double>(d.log_size_bytes()));
  gauge("runnel_aof_last_write_ok",
        "1 when the last write and fsync of the log worked (INFO aof_last_write_status).",
        d.log_write_ok() ? 1 : 0);
  Histogram(out, "runnel_aof_write_seconds",
            "Time to write one loop iteration's records to the log file.", d.log_write_seconds());
  Histogram(out, "runnel_aof_fsync_seconds",
            "Time of each fdatasync of the log (every second, or before replies under always).",
            d.log_fsync_seconds());
  gauge("runnel_last_save_timestamp_seconds", "Unix time of the last successful snapshot.",
        static_cast<double>(d.last_save_ms() / 1000));
  gauge("runnel_last_save_age_seconds", "Seconds since the last successful snapshot.",
        static_cast<double>(s.NowMs() - d.last_save_ms()) / 1000.0);
  gauge("runnel_last_save_ok",
        "1 when the last snapshot attempt worked (INFO rdb_last_bgsave_status).",
        d.last_save_ok() ? 1 : 0);
  gauge("runnel_save_in_progress", "1 while a background snapshot is being written.",
        d.save_in_progress() ? 1 : 0);

  Family keys{"runnel_keys", "gauge", "Keys in the database."};
  for (int i = 0; i < s.keyspace().size(); ++i) {
    const auto& db = s.keyspace().db(i);
    if (db.size() == 0) continue;
    keys.Add(Labels({{"db", std::to_string(i)}}), static_cast<double>(db.size()));
  }
  keys.AppendTo(out);

  Family calls{"runnel_commands_total", "counter",
               "Commands run, by command (a blocking command once, when it first runs)."};
  Family usec{"runnel_command_duration_seconds_total", "counter",
              "Time spent running each command (not waiting while blocked)."};
  Family failed{"runnel_command_failures_total", "counter",
                "Commands that ran and replied with an error."};
  Family rejected{"runnel_command_rejections_total", "counter",
                  "Commands refused before they ran (arity, NOAUTH, LOADING ...)."};
  const dispatch::CommandStats& stats = s.dispatcher().command_stats();
  auto one = [&](const dispatch::CommandSpec& spec) {
    const dispatch::CommandCounters* c = stats.Find(spec);
    if (c == nullptr) return;
    const std::string labels = Labels({{"command", spec.fullname}});
    calls.Add(labels, static_cast<double>(c->calls));
    usec.Add(labels, static_cast<double>(c->usec) / 1e6);
    failed.Add(labels, static_cast<double>(c->failed));
    rejected.Add(labels, static_cast<double>(c->rejected));
  };
  for (const dispatch::CommandSpec* spec : s.dispatcher().commands().all()) {
    one(*spec);
    for (const dispatch::CommandSpec& sub : spec->subcommands) one(sub);
  }
  for (const Family* f : {&calls, &usec, &failed, &rejected}) f->AppendTo(out);

  Family errors{"runnel_errors_total", "counter",
                "Error replies by error code (ERR, WRONGTYPE ...)."};
  for (const auto& [code, n] : stats.error_codes()) {
    errors.Add(Labels({{"code", code}}), static_cast<double>(n));
  }
  errors.AppendTo(out);
}

}  // namespace

MetricsScrape::MetricsScrape(Server& server, size_t max_series)
    : server_(server),
      max_series_(max_series),
      streams_(std::make_unique<StreamMetrics>(server.NowMs(), max_series)) {}

MetricsScrape::~MetricsScrape() = default;

void MetricsScrape::Visit(int db, std::string_view key, const streams::Stream& stream) {
  streams_->Add(db, key, stream);
}

void MetricsScrape::Restart() {
  streams_ = std::make_unique<StreamMetrics>(server_.NowMs(), max_series_);
}

bool MetricsScrape::Step(uint64_t budget_us) {
  if (done_) return true;
  const uint64_t deadline = server_.MonotonicUs() + budget_us;
  if (!walk_.Step(server_.keyspace(), server_.NowMs(), [this] { return server_.MonotonicUs(); },
                  deadline, *this)) {
    return false;
  }
  std::string server_text;
  ServerMetrics(server_, server_text);  // last, so the command counts are the latest
  parts_.push_back(std::move(server_text));
  streams_->MoveInto(parts_);
  done_ = true;
  return true;
}

std::vector<std::string> MetricsScrape::Take() { return std::move(parts_); }


}  // namespace runnel::server
