// Logger: redis-server style log lines: "<pid>:M 21 Nov 2026 05:05:05.123 * message".
//
// Levels, as in redis.conf: debug ('.'), verbose ('-'), notice ('*'), warning ('#'); "nothing"
// silences everything. Lines go to the configured file (appended) or to stdout.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace runnel::server {

enum class LogLevel { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3, kNothing = 4 };

bool ParseLogLevel(std::string_view name, LogLevel* out);

class Logger {
 public:
  Logger() = default;
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;
  ~Logger();

  // Opens `path` for appending ("" = stdout). Returns false (keeping the old sink) on failure.
  bool Open(const std::string& path);
  void set_level(LogLevel level) { level_ = level; }
  LogLevel level() const { return level_; }

  void Log(LogLevel level, std::string_view message);
  void Debug(std::string_view m) { Log(LogLevel::kDebug, m); }
  void Verbose(std::string_view m) { Log(LogLevel::kVerbose, m); }
  void Notice(std::string_view m) { Log(LogLevel::kNotice, m); }
  void Warning(std::string_view m) { Log(LogLevel::kWarning, m); }

 private:
  FILE* file_ = nullptr;  // nullptr = stdout
  LogLevel level_ = LogLevel::kNotice;
};

}  // namespace runnel::server
