// LZF decompression, for the compressed strings of RDB files and DUMP payloads (encoding C3).
// The format: a control byte below 32 starts a run of that many plus one literal bytes; any
// other starts a back-reference of (c >> 5) + 2 bytes (7 meaning "add the next byte") that
// many plus one bytes back in the output, which may overlap what it copies.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace runnel::rdb {

// Decompresses `in`, which must expand to exactly `expected` bytes and be used up exactly.
// False for anything else (a corrupt or truncated input); *out is then unspecified.
bool LzfDecompress(std::string_view in, size_t expected, std::string* out);

}  // namespace runnel::rdb
