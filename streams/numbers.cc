#include "streams/numbers.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace runnel::streams {

std::optional<int64_t> ParseStrictInt64(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  if (s.size() == 1 && s[0] == '0') return 0;
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    if (s.size() == 1) return std::nullopt;
    i = 1;
  }
  if (s[i] < '1' || s[i] > '9') return std::nullopt;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  if (negative) {
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) return std::nullopt;
    return static_cast<int64_t>(0 - v);
  }
  if (v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<int64_t>(v);
}

std::optional<uint64_t> ParseRedisUint64(std::string_view s) {
  if (auto v = ParseStrictInt64(s)) {
    if (*v < 0) return std::nullopt;
    return static_cast<uint64_t>(*v);
  }
  if (s.empty() || s.size() > 127) return std::nullopt;
  std::string copy(s);  // strtoull needs a terminator; an embedded NUL ends the number early
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(copy.c_str(), &end, 10);
  if (errno == EINVAL || errno == ERANGE || end != copy.c_str() + copy.size()) {
    return std::nullopt;
  }
  return static_cast<uint64_t>(v);
}

std::optional<double> ParseDouble(std::string_view s) {
  if (s.empty() || s.size() > 5 * 1024) return std::nullopt;
  if (std::isspace(static_cast<unsigned char>(s[0]))) return std::nullopt;
  std::string copy(s);
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || errno == ERANGE || std::isnan(v)) return std::nullopt;
  return v;
}

size_t FormatInt64(int64_t v, char* buf) {
  auto [end, ec] = std::to_chars(buf, buf + 21, v);
  (void)ec;
  return static_cast<size_t>(end - buf);
}

size_t FormatUint64(uint64_t v, char* buf) {
  auto [end, ec] = std::to_chars(buf, buf + 21, v);
  (void)ec;
  return static_cast<size_t>(end - buf);
}

std::string ToString(int64_t v) {
  char buf[24];
  return std::string(buf, FormatInt64(v, buf));
}

}  // namespace runnel::streams
