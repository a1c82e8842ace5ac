// EncodeCommand: writes an argument list as a RESP multibulk request.
//
// Used wherever Runnel emits commands rather than replies: the append-only file's effect records
// and the tools that talk to a server.
#pragma once

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace runnel::resp {

void EncodeCommand(std::string* out, std::span<const std::string_view> args);
void EncodeCommand(std::string* out, std::initializer_list<std::string_view> args);

}  // namespace runnel::resp
