#include "resp/command_encoder.h"

#include <charconv>

namespace runnel::resp {
namespace {

void Line(std::string* out, char type, size_t n) {
  char buf[24];
  buf[0] = type;
  auto [end, ec] = std::to_chars(buf + 1, buf + sizeof(buf), n);
  (void)ec;
  out->append(buf, static_cast<size_t>(end - buf));
  out->append("\r\n");
}

}  // namespace

void EncodeCommand(std::string* out, std::span<const std::string_view> args) {
  Line(out, '*', args.size());
  for (std::string_view a : args) {
    Line(out, '$', a.size());
    out->append(a);
    out->append("\r\n");
  }
}

void EncodeCommand(std::string* out, std::initializer_list<std::string_view> args) {
  EncodeCommand(out, std::span<const std::string_view>(args.begin(), args.size()));
}

}  // namespace runnel::resp
