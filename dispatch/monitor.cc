#include "dispatch/monitor.h"

#include <cstdio>

namespace runnel::dispatch {
namespace {

void AppendQuoted(std::string& out, std::string_view arg) {
  out.push_back('"');
  for (unsigned char ch : arg) {
    switch (ch) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      default:
        if (ch >= 0x20 && ch < 0x7f) {
          out.push_back(static_cast<char>(ch));
        } else {
          char hex[5];
          std::snprintf(hex, sizeof hex, "\\x%02x", ch);
          out += hex;
        }
    }
  }
  out.push_back('"');
}

}  // namespace

std::string MonitorFeed::Line(int64_t unix_us, int db, std::string_view source,
                              const std::vector<std::string_view>& args) {
  char head[64];
  std::snprintf(head, sizeof head, "%lld.%06lld [%d ", static_cast<long long>(unix_us / 1000000),
                static_cast<long long>(unix_us % 1000000), db);
  std::string out = head;
  out.append(source);
  out.push_back(']');
  for (std::string_view arg : args) {
    out.push_back(' ');
    AppendQuoted(out, arg);
  }
  return out;
}

}  // namespace runnel::dispatch
