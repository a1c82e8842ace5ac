#include "server/status_json.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "server/group_figures.h"
#include "server/server.h"
#include "server/status_history.h"

namespace runnel::server {
namespace {

// The length of the UTF-8 sequence at s[i], or 0 when the bytes there are not one (a lone
// continuation byte, a truncated sequence, an overlong or surrogate form is not let through).
size_t Utf8Length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  const size_t len = c < 0x80                 ? 1
                     : c >= 0xC2 && c <= 0xDF ? 2
                     : (c >> 4) == 0xE        ? 3
                     : c >= 0xF0 && c <= 0xF4 ? 4
                                              : 0;
  if (len == 0 || i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return 0;
  }
  if (len == 3) {
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0)) return 0;  // overlong, surrogate
  }
  if (len == 4) {
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if ((c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90)) return 0;  // overlong, > U+10FFFF
  }
  return len;
}

void AppendNumber(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  // Whole numbers (times in ms, counts) exactly; rates to 6 significant digits.
  const bool whole = v == std::floor(v) && std::fabs(v) < 9007199254740992.0;  // 2^53
  std::snprintf(buf, sizeof buf, whole ? "%.0f" : "%.6g", v);
  out += buf;
}

void AppendInt(std::string& out, uint64_t v) { out += std::to_string(v); }

}  // namespace

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = Utf8Length(s, i);
    char hex[8];
    if (len == 0) {
      std::snprintf(hex, sizeof hex, "\\\\x%02X", c);  // JSON for the characters \xNN
      out += hex;
      ++i;
      continue;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7F) {
      std::snprintf(hex, sizeof hex, "\\u%04x", c);
      out += hex;
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
  return out + "\"";
}

// One row of the table; group is empty (and has_group false) for a stream without groups.
struct StatusRow {
  int db = 0;
  std::string stream, group;
  bool has_group = false;
  uint64_t length = 0;
  std::optional<int64_t> lag;
  uint64_t pending = 0, dead_lettered = 0, consumers = 0, delivered = 0, acknowledged = 0;
  double oldest_pending_s = 0;

  // The ranking: largest lag, then pending; a stream without groups after every group.
  std::tuple<int64_t, uint64_t> Rank() const { return {has_group ? lag.value_or(0) : -1, pending}; }
};

class StatusScrape::Rows : public StreamWalk::Visitor {
 public:
  Rows(int64_t now_ms, size_t max_rows) : now_ms_(now_ms), max_rows_(max_rows) {}

  void Visit(int db, std::string_view key, const streams::Stream& s) override {
    ++streams_;
    if (s.groups().empty()) {
      Offer({.db = db, .length = s.length()}, key, "");
      return;
    }
    for (const auto& [name, g] : s.groups()) {
      ++groups_;
      StatusRow r{.db = db,
                  .has_group = true,
                  .length = s.length(),
                  .lag = s.Lag(*g),
                  .pending = g->pending(),
                  .dead_lettered = g->counters().dead_lettered,
                  .consumers = g->consumers().size(),
                  .delivered = g->activity().delivered,
                  .acknowledged = g->activity().acknowledged,
                  .oldest_pending_s = OldestPendingAge(*g, now_ms_)};
      total_lag_ += static_cast<uint64_t>(std::max<int64_t>(r.lag.value_or(0), 0));
      total_pending_ += r.pending;
      total_dead_ += r.dead_lettered;
      Offer(std::move(r), key, name);
    }
  }

  void Restart() override { *this = Rows(now_ms_, max_rows_); }

  void AppendTo(std::string& out) {
    std::sort(rows_.begin(), rows_.end(), [](const StatusRow& a, const StatusRow& b) {
      if (a.Rank() != b.Rank()) return a.Rank() > b.Rank();
      return std::tie(a.db, a.stream, a.group) < std::tie(b.db, b.stream, b.group);
    });
    out += "\"streams\":" + std::to_string(streams_) + ",\"groups\":" + std::to_string(groups_);
    out += ",\"total_lag\":" + std::to_string(total_lag_);
    out += ",\"total_pending\":" + std::to_string(total_pending_);
    out += ",\"total_dead_lettered\":" + std::to_string(total_dead_);
    out += ",\"max_rows\":" + std::to_string(max_rows_);
    out += ",\"omitted\":" + std::to_string(omitted_) + ",\"rows\":[";
    for (size_t i = 0; i < rows_.size(); ++i) AppendRow(out, rows_[i], i > 0);
    out += "]";
  }

 private:
  // Keeps the row if it ranks among the max_rows_ largest (a min-heap on Rank); the names are
  // copied only for a row that is kept.
  void Offer(StatusRow r, std::string_view stream, std::string_view group) {
    auto smaller_last = [](const StatusRow& a, const StatusRow& b) { return a.Rank() > b.Rank(); };
    if (rows_.size() == max_rows_) {
      ++omitted_;
      if (max_rows_ == 0 || r.Rank() <= rows_.front().Rank()) return;
      std::pop_heap(rows_.begin(), rows_.end(), smaller_last);
      rows_.pop_back();
    }
    r.stream = stream;
    r.group = group;
    rows_.push_back(std::move(r));
    std::push_heap(rows_.begin(), rows_.end(), smaller_last);
  }

  static void AppendRow(std::string& out, const StatusRow& r, bool comma) {
    if (comma) out += ',';
    out += "{\"db\":" + std::to_string(r.db) + ",\"stream\":" + JsonString(r.stream);
    out += ",\"group\":" + (r.has_group ? JsonString(r.group) : std::string("null"));
    out += ",\"length\":";
    AppendInt(out, r.length);
    if (r.has_group) {
      out += ",\"lag\":" + (r.lag ? std::to_string(*r.lag) : std::string("null"));
      out += ",\"pending\":";
      AppendInt(out, r.pending);
      out += ",\"oldest_pending_s\":";
      AppendNumber(out, r.oldest_pending_s);
      out += ",\"dead_lettered\":";
      AppendInt(out, r.dead_lettered);
      out += ",\"consumers\":";
      AppendInt(out, r.consumers);
      out += ",\"delivered\":";
      AppendInt(out, r.delivered);
      out += ",\"acknowledged\":";
      AppendInt(out, r.acknowledged);
    }
    out += "}";
  }

  int64_t now_ms_;
  size_t max_rows_;
  std::vector<StatusRow> rows_;  // a heap while walking, sorted by AppendTo
  uint64_t streams_ = 0, groups_ = 0, omitted_ = 0;
  uint64_t total_lag_ = 0, total_pending_ = 0, total_dead_ = 0;
};

namespace {

template <typename F>
void AppendSeries(std::string& out, const StatusHistory& h, F&& value) {
  out += '[';
  for (size_t i = 0; i < h.size(); ++i) {
    if (i > 0) out += ',';
    AppendNumber(out, value(h.Slot(i)));
  }
  out += ']';
}

void AppendHistory(std::string& out, const StatusHistory& h) {
  out += "\"history\":{\"capacity\":" + std::to_string(StatusHistory::kSamples) + ",\"time_ms\":";
  AppendSeries(out, h, [&](size_t s) { return static_cast<double>(h.totals(s).time_ms); });
  out += ",\"added\":";
  AppendSeries(out, h, [&](size_t s) { return h.totals(s).added; });
  out += ",\"delivered\":";
  AppendSeries(out, h, [&](size_t s) { return h.totals(s).delivered; });
  out += ",\"acknowledged\":";
  AppendSeries(out, h, [&](size_t s) { return h.totals(s).acknowledged; });
  out += ",\"lag\":";
  AppendSeries(out, h, [&](size_t s) { return static_cast<double>(h.totals(s).lag); });
  out += ",\"pending\":";
  AppendSeries(out, h, [&](size_t s) { return static_cast<double>(h.totals(s).pending); });
  out += ",\"groups\":[";
  for (size_t i = 0; i < h.groups().size(); ++i) {
    const StatusHistory::GroupSeries& g = *h.groups()[i];
    if (i > 0) out += ',';
    out += "{\"db\":" + std::to_string(g.db) + ",\"stream\":" + JsonString(g.stream) +
           ",\"group\":" + JsonString(g.group) + ",\"lag\":";
    AppendSeries(out, h, [&](size_t s) { return g.lag[s]; });
    out += ",\"delivered\":";
    AppendSeries(out, h, [&](size_t s) { return g.delivered[s]; });
    out += ",\"acknowledged\":";
    AppendSeries(out, h, [&](size_t s) { return g.acknowledged[s]; });
    out += '}';
  }
  const StatusHistory::SamplerStats& st = h.stats();
  out += "]},\"sampler\":{\"walks\":" + std::to_string(st.walks) +
         ",\"longest_slice_us\":" + std::to_string(st.longest_slice_us) +
         ",\"last_walk_us\":" + std::to_string(st.last_walk_us) +
         ",\"last_walk_slices\":" + std::to_string(st.last_walk_slices) +
         ",\"last_walk_streams\":" + std::to_string(st.last_walk_streams) + "}";
}

}  // namespace

StatusScrape::StatusScrape(Server& server, const StatusHistory& history, size_t max_rows)
    : server_(server), history_(history), rows_(std::make_unique<Rows>(server.NowMs(), max_rows)) {}

StatusScrape::~StatusScrape() = default;

bool StatusScrape::Step(uint64_t budget_us) {
  if (walk_.done()) return true;
  const uint64_t deadline = server_.MonotonicUs() + budget_us;
  if (!walk_.Step(
          server_.keyspace(), server_.NowMs(), [this] { return server_.MonotonicUs(); }, deadline,
          *rows_)) {
    return false;
  }
  text_ = "{\"time_ms\":" + std::to_string(server_.NowMs()) +
          ",\"sample_interval_s\":" + std::to_string(server_.config().status_sample_interval) + ",";
  rows_->AppendTo(text_);
  text_ += ',';
  AppendHistory(text_, history_);
  text_ += "}\n";
  return true;
}

std::string StatusScrape::Take() { return std::move(text_); }

}  // namespace runnel::server
