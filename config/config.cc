#include "config/config.h"

#include <strings.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>

#include "streams/numbers.h"
#include "streams/stream.h"

namespace runnel::config {
namespace {

constexpr int64_t kMb = 1024 * 1024;

std::vector<ConfigKey> BuildKeys() {
  using T = ConfigKey::Type;
  std::vector<ConfigKey> keys;
  auto str = [&](std::string_view name, bool mut, std::string Config::*field) {
    ConfigKey k;
    k.name = name;
    k.mutable_at_runtime = mut;
    k.text = field;
    keys.push_back(k);
  };
  auto num = [&](std::string_view name, T type, bool mut, int64_t min, int64_t max,
                 int64_t Config::*field) {
    ConfigKey k;
    k.name = name;
    k.type = type;
    k.mutable_at_runtime = mut;
    k.min = min;
    k.max = max;
    k.number = field;
    keys.push_back(k);
  };
  // Listening addresses and ports change at run time: the server listens anew (server/listeners.h).
  str("bind", true, &Config::bind);
  keys.back().validate = [](std::string_view v, std::string* error) {
    constexpr size_t kMaxBindAddresses = 16;  // redis-server's limit
    std::istringstream words{std::string(v)};
    size_t n = 0;
    for (std::string w; words >> w;) ++n;
    if (n <= kMaxBindAddresses) return true;
    *error = "Too many bind addresses specified.";
    return false;
  };
  num("port", T::kInt, true, 0, 65535, &Config::port);
  str("dir", false, &Config::dir);
  keys.back().protected_config = true;
  num("databases", T::kInt, false, 1, 1 << 20, &Config::databases);
  num("maxclients", T::kInt, true, 1, UINT32_MAX, &Config::maxclients);
  num("timeout", T::kInt, true, 0, INT32_MAX, &Config::timeout);
  num("slowlog-log-slower-than", T::kInt, true, -1, INT64_MAX, &Config::slowlog_log_slower_than);
  num("slowlog-max-len", T::kInt, true, 0, INT64_MAX, &Config::slowlog_max_len);
  num("latency-monitor-threshold", T::kInt, true, 0, INT64_MAX,
      &Config::latency_monitor_threshold);
  num("metrics-port", T::kInt, false, 0, 65535, &Config::metrics_port);
  str("metrics-bind", false, &Config::metrics_bind);
  num("metrics-max-series", T::kInt, true, 0, INT32_MAX, &Config::metrics_max_series);
  num("status-sample-interval", T::kInt, true, 1, 3600, &Config::status_sample_interval);
  str("requirepass", true, &Config::requirepass);
  str("aclfile", false, &Config::aclfile);
  num("acllog-max-len", T::kInt, true, 0, INT64_MAX, &Config::acllog_max_len);
  ConfigKey pubsub_default;
  pubsub_default.name = "acl-pubsub-default";
  pubsub_default.type = T::kEnum;
  pubsub_default.mutable_at_runtime = true;
  pubsub_default.choices = {"allchannels", "resetchannels"};
  pubsub_default.text = &Config::acl_pubsub_default;
  keys.push_back(pubsub_default);
  ConfigKey loglevel;
  loglevel.name = "loglevel";
  loglevel.type = T::kEnum;
  loglevel.mutable_at_runtime = true;
  loglevel.choices = {"debug", "verbose", "notice", "warning", "nothing"};
  loglevel.text = &Config::loglevel;
  keys.push_back(loglevel);
  str("logfile", false, &Config::logfile);
  num("stream-node-max-entries", T::kInt, true, 0, INT64_MAX, &Config::stream_node_max_entries);
  num("stream-node-max-bytes", T::kMemory, true, 0, INT64_MAX, &Config::stream_node_max_bytes);
  num("stream-idmp-duration", T::kInt, true, 1, streams::kIdmpMaxDuration,
      &Config::stream_idmp_duration);
  num("stream-idmp-maxsize", T::kInt, true, 1, streams::kIdmpMaxMaxSize,
      &Config::stream_idmp_maxsize);
  // Retention of a new stream (XCFGSET RETENTION-*; docs/queues.md): 0 = none.
  num("stream-retention-ms", T::kInt, true, 0, streams::kRetentionMaxAgeMs,
      &Config::stream_retention_ms);
  num("stream-retention-maxlen", T::kInt, true, 0, INT64_MAX, &Config::stream_retention_maxlen);
  ConfigKey refs;
  refs.name = "stream-retention-refs";
  refs.type = T::kEnum;
  refs.mutable_at_runtime = true;
  refs.choices = {"keepref", "acked"};
  refs.text = &Config::stream_retention_refs;
  keys.push_back(refs);
  num("proto-max-bulk-len", T::kMemory, true, kMb, INT64_MAX, &Config::proto_max_bulk_len);
  num("client-query-buffer-limit", T::kMemory, true, kMb, INT64_MAX,
      &Config::client_query_buffer_limit);
  num("maxmemory", T::kMemory, true, 0, INT64_MAX, &Config::maxmemory);
  ConfigKey policy;
  policy.name = "maxmemory-policy";
  policy.type = T::kEnum;
  policy.mutable_at_runtime = true;
  // Redis's policies, in the order its error lists them, so a misspelt one gets Redis's reply;
  // the evicting ones are known but refused, because evicting a queue's key loses its messages.
  policy.choices = {"volatile-lru",  "volatile-lfu", "volatile-random", "volatile-ttl",
                    "allkeys-lru",   "allkeys-lfu",  "allkeys-random",  "noeviction"};
  policy.text = &Config::maxmemory_policy;
  policy.validate = [](std::string_view v, std::string* error) {
    if (v == "noeviction") return true;
    *error = "Runnel does not evict keys (a stream's entries are messages not yet handled): "
             "'noeviction' is the only maxmemory-policy";
    return false;
  };
  keys.push_back(policy);
  str("maxmemory-clients", true, &Config::maxmemory_clients);
  keys.back().validate = [](std::string_view v, std::string* error) {
    return ParseClientMemoryLimit(v, error).has_value();
  };
  // Kept as CONFIG GET shows it: bytes, or the percentage with its sign ("0%" is just 0).
  keys.back().merge = [](std::string_view, std::string_view v) {
    const ClientMemoryLimit limit = *ParseClientMemoryLimit(v);
    return std::to_string(limit.value) + (limit.percent && limit.value != 0 ? "%" : "");
  };
  auto flag = [&](std::string_view name, bool mut, bool Config::*field) {
    ConfigKey k;
    k.name = name;
    k.type = T::kBool;
    k.mutable_at_runtime = mut;
    k.flag = field;
    keys.push_back(k);
  };
  flag("appendonly", true, &Config::appendonly);
  ConfigKey fsync;
  fsync.name = "appendfsync";
  fsync.type = T::kEnum;
  fsync.mutable_at_runtime = true;
  fsync.choices = {"everysec", "always", "no"};  // Redis's order, which its error lists
  fsync.text = &Config::appendfsync;
  keys.push_back(fsync);
  str("appenddirname", false, &Config::appenddirname);
  str("appendfilename", false, &Config::appendfilename);
  flag("aof-load-truncated", true, &Config::aof_load_truncated);
  num("auto-aof-rewrite-percentage", T::kInt, true, 0, INT32_MAX,
      &Config::auto_aof_rewrite_percentage);
  num("auto-aof-rewrite-min-size", T::kMemory, true, 0, INT64_MAX,
      &Config::auto_aof_rewrite_min_size);
  // Redis's test knob, kept for the same purpose: microseconds to sleep per key or record
  // loaded (negative -n: one microsecond, once per n on average), so tests can watch -LOADING.
  num("key-load-delay", T::kInt, true, INT32_MIN, INT32_MAX, &Config::key_load_delay);
  str("save", true, &Config::save);
  keys.back().validate = [](std::string_view v, std::string* error) {
    std::vector<std::pair<int64_t, int64_t>> rules;
    if (ParseSaveRules(v, &rules)) return true;
    *error = "Invalid save parameters";
    return false;
  };
  str("notify-keyspace-events", true, &Config::notify_keyspace_events);
  keys.back().validate = [](std::string_view v, std::string* error) {
    if (ParseNotifyFlags(v)) return true;
    *error = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
    return false;
  };
  keys.back().show = [](std::string_view v) { return FormatNotifyFlags(*ParseNotifyFlags(v)); };
  // ---- replication (docs/replication.md) ----
  // "host port", or empty for a master. REPLICAOF changes it (and CONFIG REWRITE writes it);
  // CONFIG SET does not, as in Redis.
  str("replicaof", false, &Config::replicaof);
  keys.back().validate = [](std::string_view v, std::string* error) {
    if (v.empty() || ParseReplicaOf(v)) return true;
    *error = "replicaof wants a host and a port from 0 to 65535";
    return false;
  };
  str("masterauth", true, &Config::masterauth);
  str("masteruser", true, &Config::masteruser);
  flag("replica-read-only", true, &Config::replica_read_only);
  flag("replica-serve-stale-data", true, &Config::replica_serve_stale_data);
  num("repl-backlog-size", T::kMemory, true, 1, INT64_MAX, &Config::repl_backlog_size);
  num("repl-timeout", T::kInt, true, 1, INT32_MAX, &Config::repl_timeout);
  num("repl-ping-replica-period", T::kInt, true, 1, INT32_MAX, &Config::repl_ping_replica_period);
  num("min-replicas-to-write", T::kInt, true, 0, INT32_MAX, &Config::min_replicas_to_write);
  num("min-replicas-max-lag", T::kInt, true, 0, INT32_MAX, &Config::min_replicas_max_lag);
  num("replica-priority", T::kInt, true, 0, INT32_MAX, &Config::replica_priority);
  str("replica-announce-ip", true, &Config::replica_announce_ip);
  num("replica-announce-port", T::kInt, true, 0, 65535, &Config::replica_announce_port);
  flag("replica-announced", true, &Config::replica_announced);
  str("client-output-buffer-limit", true, &Config::client_output_buffer_limit);
  keys.back().validate = [](std::string_view v, std::string* error) {
    OutputLimits limits;
    return ParseOutputLimits(v, &limits, error);
  };
  keys.back().merge = [](std::string_view current, std::string_view v) {
    OutputLimits limits;
    std::string ignored;
    ParseOutputLimits(current, &limits, &ignored);
    ParseOutputLimits(v, &limits, &ignored);
    return FormatOutputLimits(limits);
  };
  str("dbfilename", false, &Config::dbfilename);
  keys.back().protected_config = true;
  flag("stop-writes-on-bgsave-error", true, &Config::stop_writes_on_bgsave_error);
  flag("protected-mode", true, &Config::protected_mode);
  flag("latency-tracking", true, &Config::latency_tracking);
  str("latency-tracking-info-percentiles", true, &Config::latency_tracking_info_percentiles);
  keys.back().validate = [](std::string_view v, std::string* error) {
    return ParsePercentiles(v, error).has_value();
  };
  // Stored as Redis prints it back: each value with up to six decimals, trailing zeros cut.
  keys.back().merge = [](std::string_view, std::string_view v) {
    std::string out;
    for (double p : ParsePercentiles(v).value_or(std::vector<double>{})) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%f", p);
      std::string text(buf);
      text.erase(text.find_last_not_of('0') + 1);
      if (text.back() == '.') text.pop_back();
      if (!out.empty()) out.push_back(' ');
      out += text;
    }
    return out;
  };
  num("tls-port", T::kInt, true, 0, 65535, &Config::tls_port);
  const size_t first_tls = keys.size();
  str("tls-cert-file", true, &Config::tls_cert_file);
  str("tls-key-file", true, &Config::tls_key_file);
  str("tls-key-file-pass", true, &Config::tls_key_file_pass);
  str("tls-ca-cert-file", true, &Config::tls_ca_cert_file);
  str("tls-ca-cert-dir", true, &Config::tls_ca_cert_dir);
  str("tls-dh-params-file", true, &Config::tls_dh_params_file);
  ConfigKey auth_clients;
  auth_clients.name = "tls-auth-clients";
  auth_clients.type = T::kEnum;
  auth_clients.mutable_at_runtime = true;
  auth_clients.choices = {"no", "yes", "optional"};  // Redis's order, which its error lists
  auth_clients.text = &Config::tls_auth_clients;
  keys.push_back(auth_clients);
  str("tls-protocols", true, &Config::tls_protocols);
  str("tls-ciphers", true, &Config::tls_ciphers);
  str("tls-ciphersuites", true, &Config::tls_ciphersuites);
  flag("tls-prefer-server-ciphers", true, &Config::tls_prefer_server_ciphers);
  flag("tls-session-caching", true, &Config::tls_session_caching);
  num("tls-session-cache-size", T::kInt, true, 0, INT32_MAX, &Config::tls_session_cache_size);
  num("tls-session-cache-timeout", T::kInt, true, 0, INT32_MAX,
      &Config::tls_session_cache_timeout);
  for (size_t i = first_tls; i < keys.size(); ++i) keys[i].tls = true;
  ConfigKey debug;
  debug.name = "enable-debug-command";
  debug.type = T::kEnum;
  debug.choices = {"no", "yes", "local"};
  debug.text = &Config::enable_debug_command;
  keys.push_back(debug);
  return keys;
}

}  // namespace

// A memory value as CONFIG SET reads it (Redis's memtoull): digits, possibly none, then an
// optional unit (b, k, kb, m, mb, g, gb; any case). As in Redis, the digits are converted
// without an overflow check and the product wraps, so a huge value comes out negative here and
// fails the range check ("must be between") instead of the parse; "" and "kb" are 0.
std::optional<int64_t> ParseConfigMemory(std::string_view text) {
  static constexpr std::pair<std::string_view, uint64_t> kUnits[] = {
      {"", 1},           {"b", 1},
      {"k", 1000},       {"kb", 1024},
      {"m", 1000000},    {"mb", 1024 * 1024},
      {"g", 1000000000}, {"gb", 1024 * 1024 * 1024},
  };
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  std::string_view unit = text.substr(digits);
  for (auto [name, multiplier] : kUnits) {
    if (unit.size() != name.size() || strncasecmp(unit.data(), name.data(), name.size()) != 0) {
      continue;
    }
    uint64_t v = 0;
    for (char c : text.substr(0, digits)) {
      uint64_t d = static_cast<uint64_t>(c - '0');
      v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;  // strtoull saturates
    }
    return static_cast<int64_t>(v * multiplier);
  }
  return std::nullopt;
}

std::optional<ClientMemoryLimit> ParseClientMemoryLimit(std::string_view text,
                                                        std::string* error) {
  std::string ignored;
  if (error == nullptr) error = &ignored;
  ClientMemoryLimit limit;
  if (text.size() > 1 && text.back() == '%') {
    auto percent = streams::ParseStrictInt64(text.substr(0, text.size() - 1));
    if (!percent || *percent < 0) {
      *error = "argument must be a memory or percent value";
      return std::nullopt;
    }
    if (*percent > 100) {
      *error = "percentage argument must be less or equal to 100";
      return std::nullopt;
    }
    limit.value = *percent;
    limit.percent = true;
    return limit;
  }
  auto bytes = ParseConfigMemory(text);
  if (!bytes || *bytes < 0) {
    *error = "argument must be a memory or percent value";
    return std::nullopt;
  }
  limit.value = *bytes;
  return limit;
}

bool ParseMemorySize(std::string_view text, int64_t* out) {
  static constexpr std::pair<std::string_view, int64_t> kUnits[] = {
      {"gb", 1024LL * 1024 * 1024}, {"mb", 1024 * 1024}, {"kb", 1024}, {"g", 1000 * 1000 * 1000},
      {"m", 1000 * 1000},           {"k", 1000},         {"b", 1},
  };
  int64_t multiplier = 1;
  std::string_view digits = text;
  for (auto [unit, mul] : kUnits) {
    if (text.size() > unit.size() &&
        strncasecmp(text.data() + text.size() - unit.size(), unit.data(), unit.size()) == 0) {
      digits = text.substr(0, text.size() - unit.size());
      multiplier = mul;
      break;
    }
  }
  auto v = streams::ParseStrictInt64(digits);
  if (!v || *v < 0) return false;
  if (*v > INT64_MAX / multiplier) return false;
  *out = *v * multiplier;
  return true;
}

namespace {

// The class letters other than A, K, E, in the order CONFIG GET shows them.
constexpr std::pair<char, uint32_t> kNotifyClasses[] = {
    {'g', kNotifyGeneric}, {'$', kNotifyString}, {'l', kNotifyList},    {'s', kNotifySet},
    {'h', kNotifyHash},    {'z', kNotifyZset},   {'x', kNotifyExpired}, {'e', kNotifyEvicted},
    {'t', kNotifyStream},  {'d', kNotifyModule}, {'n', kNotifyNew},     {'m', kNotifyKeyMiss}};
constexpr uint32_t kNotifyAll = kNotifyGeneric | kNotifyString | kNotifyList | kNotifySet |
                                kNotifyHash | kNotifyZset | kNotifyExpired | kNotifyEvicted |
                                kNotifyStream | kNotifyModule;

}  // namespace

std::optional<uint32_t> ParseNotifyFlags(std::string_view text) {
  uint32_t flags = 0;
  // Redis reads the value as a C string: a NUL ends it.
  text = text.substr(0, text.find('\0'));
  for (char ch : text) {
    if (ch == 'A') {
      flags |= kNotifyAll;
    } else if (ch == 'K') {
      flags |= kNotifyKeyspace;
    } else if (ch == 'E') {
      flags |= kNotifyKeyevent;
    } else {
      auto it = std::find_if(std::begin(kNotifyClasses), std::end(kNotifyClasses),
                             [ch](const auto& c) { return c.first == ch; });
      if (it == std::end(kNotifyClasses)) return std::nullopt;
      flags |= it->second;
    }
  }
  return flags;
}

std::string FormatNotifyFlags(uint32_t flags) {
  std::string out;
  if ((flags & kNotifyAll) == kNotifyAll) {
    out += 'A';
  } else {
    for (auto [ch, bit] : kNotifyClasses) {
      if (bit != kNotifyKeyMiss && (flags & bit)) out += ch;
    }
  }
  if (flags & kNotifyKeyspace) out += 'K';
  if (flags & kNotifyKeyevent) out += 'E';
  if (flags & kNotifyKeyMiss) out += 'm';
  return out;
}

bool ParseOutputLimits(std::string_view text, OutputLimits* limits, std::string* error) {
  std::vector<std::string_view> words;
  for (size_t i = 0; i < text.size();) {
    while (i < text.size() && text[i] == ' ') ++i;
    size_t start = i;
    while (i < text.size() && text[i] != ' ') ++i;
    if (start < i) words.push_back(text.substr(start, i - start));
  }
  if (words.size() % 4 != 0) {
    *error = "Wrong number of arguments in buffer limit configuration.";
    return false;
  }
  OutputLimits next = *limits;
  for (size_t i = 0; i < words.size(); i += 4) {
    auto is = [&](std::string_view name) {
      return words[i].size() == name.size() &&
             strncasecmp(words[i].data(), name.data(), name.size()) == 0;
    };
    int cls = is("normal") ? 0 : (is("replica") || is("slave")) ? 1 : is("pubsub") ? 2 : -1;
    if (cls < 0) {
      *error = "Invalid client class specified in buffer limit configuration.";
      return false;
    }
    auto hard = ParseConfigMemory(words[i + 1]);
    auto soft = ParseConfigMemory(words[i + 2]);
    auto seconds = streams::ParseStrictInt64(words[i + 3]);
    if (!hard || !soft || !seconds || *hard < 0 || *soft < 0 || *seconds < 0) {
      *error = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
      return false;
    }
    next[static_cast<size_t>(cls)] = {*hard, *soft, *seconds};
  }
  *limits = next;
  return true;
}

std::string FormatOutputLimits(const OutputLimits& limits) {
  static constexpr std::string_view kNames[] = {"normal", "slave", "pubsub"};
  std::string out;
  for (size_t i = 0; i < limits.size(); ++i) {
    if (!out.empty()) out += ' ';
    out += std::string(kNames[i]) + ' ' + std::to_string(limits[i].hard) + ' ' +
           std::to_string(limits[i].soft) + ' ' + std::to_string(limits[i].soft_seconds);
  }
  return out;
}

std::optional<std::vector<double>> ParsePercentiles(std::string_view text, std::string* error) {
  std::vector<double> out;
  if (text.empty()) return out;
  // Words are separated by exactly one space: an empty word (two spaces, a leading or trailing
  // one) is invalid, as in Redis.
  size_t i = 0;
  while (i <= text.size()) {
    size_t end = text.find(' ', i);
    if (end == std::string_view::npos) end = text.size();
    std::string word(text.substr(i, end - i));
    char* stop = nullptr;
    const double v = std::strtod(word.c_str(), &stop);
    // Redis's two errors: not a number, then out of range.
    if (stop != word.c_str() + word.size() || word.empty() || std::isnan(v)) {
      if (error) *error = "Invalid latency-tracking-info-percentiles parameters";
      return std::nullopt;
    }
    if (!(v >= 0 && v <= 100)) {
      if (error) {
        *error = "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
      }
      return std::nullopt;
    }
    out.push_back(v);
    i = end + 1;
  }
  return out;
}

std::optional<std::pair<std::string, int>> ParseReplicaOf(std::string_view value) {
  std::istringstream words{std::string(value)};
  std::string host, port, extra;
  if (!(words >> host >> port) || (words >> extra)) return std::nullopt;
  int number = -1;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (ec != std::errc() || end != port.data() + port.size() || number < 0 || number > 65535) {
    return std::nullopt;
  }
  return std::make_pair(host, number);
}

bool ParseSaveRules(std::string_view text, SaveRules* rules) {
  std::vector<int64_t> numbers;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    size_t start = i;
    while (i < text.size() && text[i] != ' ') ++i;
    if (start == i) break;
    auto v = streams::ParseStrictInt64(text.substr(start, i - start));
    if (!v || *v < 0) return false;
    numbers.push_back(*v);
  }
  if (numbers.size() % 2 != 0) return false;
  rules->clear();
  for (size_t j = 0; j < numbers.size(); j += 2) rules->emplace_back(numbers[j], numbers[j + 1]);
  return true;
}

bool ConfigKey::Parse(Config& config, std::string_view value, std::string* error) const {
  switch (type) {
    case Type::kString:
      if (validate != nullptr && !validate(value, error)) return false;
      config.*text = merge != nullptr ? merge(config.*text, value) : std::string(value);
      return true;
    case Type::kBool:
      if (value.size() == 3 && strncasecmp(value.data(), "yes", 3) == 0) {
        config.*flag = true;
      } else if (value.size() == 2 && strncasecmp(value.data(), "no", 2) == 0) {
        config.*flag = false;
      } else {
        *error = "argument must be 'yes' or 'no'";
        return false;
      }
      return true;
    case Type::kEnum:
      for (std::string_view c : choices) {
        if (c.size() == value.size() && strncasecmp(c.data(), value.data(), c.size()) == 0) {
          if (validate != nullptr && !validate(c, error)) return false;  // known, not supported
          config.*text = std::string(c);
          return true;
        }
      }
      *error = "argument(s) must be one of the following: ";
      for (size_t i = 0; i < choices.size(); ++i) {
        if (i) *error += ", ";
        *error += choices[i];
      }
      return false;
    case Type::kInt:
    case Type::kMemory: {
      std::optional<int64_t> parsed =
          type == Type::kMemory ? ParseConfigMemory(value) : streams::ParseStrictInt64(value);
      if (!parsed) {
        *error = type == Type::kMemory ? "argument must be a memory value"
                                       : "argument couldn't be parsed into an integer";
        return false;
      }
      int64_t v = *parsed;
      if (v < min || v > max) {
        *error = "argument must be between " + std::to_string(min) + " and " + std::to_string(max) +
                 " inclusive";
        return false;
      }
      config.*number = v;
      return true;
    }
  }
  return false;
}

std::string ConfigKey::Get(const Config& config) const {
  if (number != nullptr) return std::to_string(config.*number);
  if (flag != nullptr) return config.*flag ? "yes" : "no";
  return show != nullptr ? show(config.*text) : config.*text;
}

FsyncPolicy ParseFsyncPolicy(std::string_view text) {
  if (text == "always") return FsyncPolicy::kAlways;
  if (text == "no") return FsyncPolicy::kNo;
  return FsyncPolicy::kEverySec;
}

const std::vector<ConfigKey>& ConfigKeys() {
  static const std::vector<ConfigKey> keys = BuildKeys();
  return keys;
}

const ConfigKey* FindConfigKey(std::string_view name) {
  for (const ConfigKey& k : ConfigKeys()) {
    if (k.name.size() == name.size() && strncasecmp(k.name.data(), name.data(), name.size()) == 0) {
      return &k;
    }
  }
  return nullptr;
}

}  // namespace runnel::config
