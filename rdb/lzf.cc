#include "rdb/lzf.h"

#include <algorithm>

namespace runnel::rdb {

bool LzfDecompress(std::string_view in, size_t expected, std::string* out) {
  out->clear();
  // Grown as the output is produced, so a forged `expected` costs no more than real output.
  out->reserve(std::min(expected, 4 * in.size() + 64));
  size_t i = 0;
  while (i < in.size()) {
    auto c = static_cast<unsigned char>(in[i++]);
    if (c < 32) {
      size_t run = size_t{c} + 1;
      if (run > in.size() - i || run > expected - out->size()) return false;
      out->append(in.substr(i, run));
      i += run;
      continue;
    }
    size_t len = c >> 5;
    if (len == 7) {
      if (i >= in.size()) return false;
      len += static_cast<unsigned char>(in[i++]);
    }
    if (i >= in.size()) return false;
    size_t back = ((size_t{c} & 0x1f) << 8) + static_cast<unsigned char>(in[i++]) + 1;
    len += 2;
    if (back > out->size() || len > expected - out->size()) return false;
    // Byte by byte: the source may run into the bytes this very copy writes.
    size_t from = out->size() - back;
    for (size_t k = 0; k < len; ++k) out->push_back((*out)[from + k]);
  }
  return out->size() == expected;
}

}  // namespace runnel::rdb
