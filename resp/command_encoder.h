// Writing commands rather than replies: a RESP multibulk request, as redis-cli sends it.
//
// Used wherever Runnel emits commands: the append-only log's effects (effects/) and the tools
// that talk to a server. EncodeCommand writes a whole argument list; CommandWriter writes one
// argument at a time after the count, so an effect is encoded straight into its record without
// building a list first. A count that does not match the arguments aborts: the bytes would
// corrupt every record after it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace runnel::resp {

void EncodeCommand(std::string* out, std::span<const std::string_view> args);
void EncodeCommand(std::string* out, std::initializer_list<std::string_view> args);

class CommandWriter {
 public:
  // Writes the header of a command of `argc` arguments.
  CommandWriter(std::string* out, size_t argc);
  ~CommandWriter();
  CommandWriter(const CommandWriter&) = delete;
  CommandWriter& operator=(const CommandWriter&) = delete;

  CommandWriter& Arg(std::string_view a);
  CommandWriter& Int(int64_t v);
  CommandWriter& Uint(uint64_t v);

 private:
  std::string* out_;
  size_t left_;  // arguments still to write
};

}  // namespace runnel::resp
