#include "resp/command_encoder.h"

#include <charconv>
#include <cstdlib>

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

void Bulk(std::string* out, std::string_view a) {
  Line(out, '$', a.size());
  out->append(a);
  out->append("\r\n");
}

}  // namespace

void EncodeCommand(std::string* out, std::span<const std::string_view> args) {
  Line(out, '*', args.size());
  for (std::string_view a : args) Bulk(out, a);
}

void EncodeCommand(std::string* out, std::initializer_list<std::string_view> args) {
  EncodeCommand(out, std::span<const std::string_view>(args.begin(), args.size()));
}

CommandWriter::CommandWriter(std::string* out, size_t argc) : out_(out), left_(argc) {
  Line(out_, '*', argc);
}

CommandWriter::~CommandWriter() {
  // A count that does not match the arguments would corrupt every record after this one.
  if (left_ != 0) std::abort();
}

CommandWriter& CommandWriter::Arg(std::string_view a) {
  if (left_-- == 0) std::abort();
  Bulk(out_, a);
  return *this;
}

CommandWriter& CommandWriter::Int(int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  (void)ec;
  return Arg(std::string_view(buf, static_cast<size_t>(end - buf)));
}

CommandWriter& CommandWriter::Uint(uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  (void)ec;
  return Arg(std::string_view(buf, static_cast<size_t>(end - buf)));
}

}  // namespace runnel::resp
