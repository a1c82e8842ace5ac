#include "dataset.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <random>
#include <string>
#include <vector>

namespace runnel::testing {

using resp::Reply;

struct RandomWorkload::State {
  explicit State(uint64_t seed) : rng(seed) {}
  std::mt19937_64 rng;
  int db = 0;
  // Entry IDs seen per stream key (per database); used to name real entries.
  std::vector<std::string> ids[kWorkloadDatabases][6];

  uint64_t Below(uint64_t n) { return rng() % n; }
  bool OneIn(uint64_t n) { return Below(n) == 0; }
  std::string Stream() { return "s" + std::to_string(Below(6)); }
  int StreamIndex(const std::string& key) { return key[1] - '0'; }
  std::string Group() { return "g" + std::to_string(Below(3)); }
  std::string Consumer() { return "c" + std::to_string(Below(4)); }
  std::string Str() { return "k" + std::to_string(Below(4)); }
  std::string Value() {
    static const char* kWords[] = {"alpha", "", "42", "-7", "x y", "\r\n", "\xff\x00z", "long"};
    std::string v = kWords[Below(8)];
    if (v == "long") v.assign(100 + Below(3000), static_cast<char>('a' + Below(26)));
    return v;
  }
  // A known entry ID of `key`, or a made-up one.
  std::string KnownId(const std::string& key) {
    auto& known = ids[db][StreamIndex(key)];
    if (known.empty() || OneIn(10))
      return std::to_string(Below(5)) + "-" + std::to_string(Below(3));
    return known[Below(known.size())];
  }
  void Learn(const std::string& key, const Reply& r) {
    if (r.type == Reply::Type::kBulk) ids[db][StreamIndex(key)].push_back(r.str);
  }
};

RandomWorkload::RandomWorkload(uint64_t seed) : state_(std::make_unique<State>(seed)) {}
RandomWorkload::~RandomWorkload() = default;

namespace {

// Errors a random workload provokes on purpose (wrong type, missing group, bad ID ...). Anything
// else — above all a MISCONF or an unknown command — is a real failure.
bool ExpectedError(const Reply& r) {
  if (!r.is_error()) return true;
  static const char* kPrefixes[] = {"WRONGTYPE",
                                    "NOGROUP",
                                    "BUSYGROUP",
                                    "ERR The ID",
                                    "ERR no such key",
                                    "ERR value is not an integer",
                                    "ERR The XGROUP subcommand requires the key to exist",
                                    "ERR The entries_read",
                                    "ERR Invalid stream ID",
                                    "ERR The ID specified in XSETID",
                                    "ERR The entries_added",
                                    "ERR The max_deleted_entry_id",
                                    "ERR The stream has exhausted",
                                    "EXECABORT"};
  for (const char* p : kPrefixes) {
    if (r.str.rfind(p, 0) == 0) return true;
  }
  return false;
}

// Counts unexpected errors in a reply, including inside an EXEC result.
int UnexpectedErrors(const Reply& r) {
  int n = ExpectedError(r) ? 0 : 1;
  for (const Reply& e : r.elements) n += e.is_error() && !ExpectedError(e) ? 1 : 0;
  return n;
}

}  // namespace

int RandomWorkload::Run(RawClient& c, int ops) {
  State& s = *state_;
  int unexpected = 0;
  auto call = [&](const std::vector<std::string>& args) {
    Reply r = c.Call(args);
    int bad = UnexpectedErrors(r);
    if (bad > 0)
      MESSAGE("unexpected reply to " << args[0] << " " << args[1] << ": " << r.ToString());
    unexpected += bad;
    return r;
  };
  for (int i = 0; i < ops; ++i) {
    const std::string key = s.Stream();
    const uint64_t pick = s.Below(100);
    if (pick < 30) {  // XADD, with every kind of trim now and then
      std::vector<std::string> args{"XADD", key};
      if (s.OneIn(8)) args.push_back("NOMKSTREAM");
      switch (s.Below(6)) {
        case 0:
          args.insert(args.end(), {"MAXLEN", "~", std::to_string(s.Below(150))});
          break;
        case 1:
          args.insert(args.end(), {"MAXLEN", std::to_string(5 + s.Below(60))});
          break;
        case 2:
          args.insert(args.end(), {"MINID", "~", s.KnownId(key)});
          break;
        default:
          break;
      }
      args.push_back(s.OneIn(10) ? std::to_string(s.Below(3)) + "-*" : "*");
      for (uint64_t f = 0, n = 1 + s.Below(3); f < n; ++f) {
        args.push_back("f" + std::to_string(s.Below(4)));
        args.push_back(s.Value());
      }
      s.Learn(key, call(args));
    } else if (pick < 34) {
      call({"XDEL", key, s.KnownId(key), s.KnownId(key)});
    } else if (pick < 37) {
      if (s.OneIn(2)) {
        call({"XTRIM", key, "MAXLEN", s.OneIn(2) ? "~" : "=", std::to_string(s.Below(80))});
      } else {
        call({"XTRIM", key, "MINID", s.KnownId(key)});
      }
    } else if (pick < 42) {
      std::vector<std::string> args{"XGROUP", "CREATE", key, s.Group()};
      const uint64_t from = s.Below(3);
      args.push_back(from == 0 ? "$" : from == 1 ? "0" : s.KnownId(key));
      if (s.OneIn(2)) args.push_back("MKSTREAM");
      if (s.OneIn(3)) args.insert(args.end(), {"ENTRIESREAD", std::to_string(s.Below(20))});
      call(args);
    } else if (pick < 58) {
      std::vector<std::string> args{"XREADGROUP", "GROUP", s.Group(),
                                    s.Consumer(), "COUNT", std::to_string(1 + s.Below(8))};
      if (s.OneIn(6)) args.push_back("NOACK");
      args.insert(args.end(), {"STREAMS", key, s.OneIn(5) ? "0" : ">"});
      call(args);
    } else if (pick < 66) {
      call({"XACK", key, s.Group(), s.KnownId(key), s.KnownId(key)});
    } else if (pick < 70) {
      std::vector<std::string> args{"XCLAIM", key, s.Group(), s.Consumer(), "0", s.KnownId(key)};
      if (s.OneIn(2)) args.push_back("JUSTID");
      call(args);
    } else if (pick < 73) {
      call({"XAUTOCLAIM", key, s.Group(), s.Consumer(), "0", "0", "COUNT",
            std::to_string(1 + s.Below(10))});
    } else if (pick < 75) {
      if (s.OneIn(2)) {
        call({"XGROUP", "SETID", key, s.Group(), "$"});
      } else {
        call({"XGROUP", "SETID", key, s.Group(), s.KnownId(key), "ENTRIESREAD",
              std::to_string(s.Below(30))});
      }
    } else if (pick < 77) {
      call({"XGROUP", s.OneIn(2) ? "CREATECONSUMER" : "DELCONSUMER", key, s.Group(), s.Consumer()});
    } else if (pick < 78) {
      call({"XGROUP", "DESTROY", key, s.Group()});
    } else if (pick < 79) {
      call({"XSETID", key, "18446744073709551615-0"});  // usually refused: smaller than top
      call({"XSETID", key, std::to_string(1000 + s.Below(10)) + "-0", "ENTRIESADDED", "5000",
            "MAXDELETEDID", "0-1"});
    } else if (pick < 86) {
      std::vector<std::string> args{"SET", s.Str(), s.Value()};
      if (s.OneIn(3)) {
        args.insert(args.end(), {"EX", std::to_string(36000 + s.Below(1000))});
      } else if (s.OneIn(4)) {
        args.push_back("KEEPTTL");
      }
      call(args);
    } else if (pick < 89) {
      call({"EXPIRE", s.OneIn(2) ? s.Str() : key, std::to_string(36000 + s.Below(1000))});
    } else if (pick < 90) {
      call({"PERSIST", s.Str()});
    } else if (pick < 92) {
      call({"INCR", "counter"});
    } else if (pick < 93) {
      call({"DEL", s.OneIn(3) ? key : s.Str()});
    } else if (pick < 94) {
      const std::string to = s.Stream();
      Reply r = call({"RENAME", key, to});
      if (r.str == "OK" && to != key) {
        s.ids[s.db][s.StreamIndex(to)] = s.ids[s.db][s.StreamIndex(key)];
      }
    } else if (pick < 97) {
      call({"MULTI"});
      call({"XADD", key, "*", "in", "multi"});
      call({"XREADGROUP", "GROUP", s.Group(), s.Consumer(), "COUNT", "2", "STREAMS", key, ">"});
      call({"SET", s.Str(), "from-multi"});
      call({"EXEC"});
    } else if (pick < 99) {
      s.db = static_cast<int>(s.Below(kWorkloadDatabases));
      call({"SELECT", std::to_string(s.db)});
    } else if (s.OneIn(5)) {
      call({"FLUSHDB"});
      for (auto& known : s.ids[s.db]) known.clear();
    }
  }
  return unexpected;
}

namespace {

// Appends a reply, fully, to `out`.
void Render(const Reply& r, std::string& out) { out += r.ToString(); }

}  // namespace

std::string DumpKeyspace(RawClient& c, DumpFilter filter) {
  std::string out;
  const int64_t soon = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count() +
                       60000;
  for (int db = 0; db < kWorkloadDatabases; ++db) {
    c.Call({"SELECT", std::to_string(db)});
    Reply keys = c.Call({"KEYS", "*"});
    std::vector<std::string> names;
    for (const Reply& k : keys.elements) {
      if (filter == DumpFilter::kSkipShortTtl) {
        int64_t at = c.Call({"PEXPIRETIME", k.str}).integer;
        if (at == -2 || (at >= 0 && at < soon)) continue;  // -2: expired just now
      }
      names.push_back(k.str);
    }
    std::sort(names.begin(), names.end());
    out += "db" + std::to_string(db) + " " + std::to_string(names.size()) + " keys\n";
    for (const std::string& key : names) {
      Reply type = c.Call({"TYPE", key});
      out += key + " " + type.str + " expires " + c.Call({"PEXPIRETIME", key}).ToString() + "\n";
      if (type.str == "string") {
        Render(c.Call({"GET", key}), out);
      } else {
        Render(c.Call({"XINFO", "STREAM", key, "FULL", "COUNT", "0"}), out);
        out += "\n";
        Render(c.Call({"XINFO", "GROUPS", key}), out);
        // Delayed entries, when there are any (so dumps of older data read as they did).
        Reply scheduled = c.Call({"XSCHEDULE", "LIST", key, "-", "+"});
        if (!scheduled.elements.empty()) Render(scheduled, out);
      }
      out += "\n";
    }
  }
  c.Call({"SELECT", "0"});
  return out;
}

namespace {

// The rendering with every consumer seen time replaced by "_", and the times it held, in order.
std::string MaskSeenTimes(const std::string& dump, std::vector<int64_t>* times) {
  static const std::string kField = "\"seen-time\", (integer) ";
  std::string out;
  size_t pos = 0;
  for (size_t at; (at = dump.find(kField, pos)) != std::string::npos;) {
    at += kField.size();
    size_t end = at;
    while (end < dump.size() &&
           (std::isdigit(static_cast<unsigned char>(dump[end])) || dump[end] == '-')) {
      ++end;
    }
    out.append(dump, pos, at - pos).append("_");
    times->push_back(std::stoll(dump.substr(at, end - at)));
    pos = end;
  }
  out.append(dump, pos, std::string::npos);
  return out;
}

}  // namespace

void CheckSameDump(const std::string& expected, const std::string& actual, SeenTimes seen) {
  if (seen == SeenTimes::kCoalesced) {
    std::vector<int64_t> before, after;
    const std::string masked_expected = MaskSeenTimes(expected, &before);
    const std::string masked_actual = MaskSeenTimes(actual, &after);
    CheckSameDump(masked_expected, masked_actual, SeenTimes::kExact);
    REQUIRE(before.size() == after.size());
    // A seen time comes back older only if it was noted after the last flush before the kill,
    // and that flush was at most one interval (1 s) plus the cron's lateness before the kill.
    // The kill came after the newest seen time, so a changed one must lie within that window
    // of the newest. How much older it comes back is not bounded: it is whatever the last
    // flush wrote, which may be from a read long before. The sanitizer build on a loaded
    // 2-core machine has run the cron ~200 ms late; the window leaves room for more.
    constexpr int64_t kMostStale = 2000;
    const int64_t newest = before.empty() ? 0 : *std::max_element(before.begin(), before.end());
    for (size_t i = 0; i < before.size(); ++i) {
      CAPTURE(i);
      CHECK(after[i] <= before[i]);
      if (after[i] != before[i]) CHECK(newest - before[i] <= kMostStale);
    }
    return;
  }
  if (expected == actual) {
    CHECK(true);
    return;
  }
  size_t line_start = 0, i = 0;
  while (i < expected.size() && i < actual.size() && expected[i] == actual[i]) {
    if (expected[i] == '\n') line_start = i + 1;
    ++i;
  }
  auto excerpt = [&](const std::string& s) {
    const size_t from = i > line_start + 150 ? i - 150 : line_start;
    return s.substr(from, 400);
  };
  FAIL_CHECK("renderings differ at byte " << i << "\nexpected: ..." << excerpt(expected)
                                          << "\nactual:   ..." << excerpt(actual));
}

bool WaitLoaded(int port, int timeout_ms) {
  return WaitFor(
      [&] {
        RawClient c(port);
        return c.connected() && c.Call({"PING"}).str == "PONG";
      },
      timeout_ms);
}

std::string InfoField(RawClient& c, const std::string& field) {
  Reply info = c.Call({"INFO", "everything"});
  size_t at = info.str.find("\r\n" + field + ":");
  if (at == std::string::npos) return "";
  at += field.size() + 3;
  return info.str.substr(at, info.str.find("\r\n", at) - at);
}

}  // namespace runnel::testing
