#include "server/logger.h"

#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#include <ctime>

namespace runnel::server {

bool ParseLogLevel(std::string_view name, LogLevel* out) {
  static constexpr std::pair<std::string_view, LogLevel> kLevels[] = {
      {"debug", LogLevel::kDebug},     {"verbose", LogLevel::kVerbose},
      {"notice", LogLevel::kNotice},   {"warning", LogLevel::kWarning},
      {"nothing", LogLevel::kNothing},
  };
  for (auto [n, level] : kLevels) {
    if (n.size() == name.size() && strncasecmp(n.data(), name.data(), n.size()) == 0) {
      *out = level;
      return true;
    }
  }
  return false;
}

Logger::~Logger() {
  if (file_ != nullptr) std::fclose(file_);
}

bool Logger::Open(const std::string& path) {
  if (path.empty()) {
    if (file_ != nullptr) std::fclose(file_);
    file_ = nullptr;
    return true;
  }
  FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) return false;
  if (file_ != nullptr) std::fclose(file_);
  file_ = f;
  return true;
}

void Logger::Log(LogLevel level, std::string_view message) {
  if (level < level_ || level_ == LogLevel::kNothing) return;
  static constexpr char kMarks[] = {'.', '-', '*', '#'};
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm local;
  localtime_r(&tv.tv_sec, &local);
  char when[64];
  size_t n = std::strftime(when, sizeof(when), "%d %b %Y %H:%M:%S", &local);
  FILE* out = file_ != nullptr ? file_ : stdout;
  std::fprintf(out, "%d:M %.*s.%03d %c %.*s\n", static_cast<int>(getpid()), static_cast<int>(n),
               when, static_cast<int>(tv.tv_usec / 1000), kMarks[static_cast<int>(level)],
               static_cast<int>(message.size()), message.data());
  std::fflush(out);
}

}  // namespace runnel::server
