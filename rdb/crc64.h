// CRC-64 as Redis computes it for RDB files and DUMP payloads: the "Jones" polynomial
// (0xad93d23594c935a9, reflected in and out), initial value 0 and no final XOR.
// Crc64(0, "123456789") is 0xe9c6d914c4b8d9ca. The value is a running one: feeding a buffer in
// pieces gives the same result as feeding it whole.
#pragma once

#include <cstdint>
#include <string_view>

namespace runnel::rdb {

uint64_t Crc64(uint64_t crc, std::string_view bytes);

}  // namespace runnel::rdb
