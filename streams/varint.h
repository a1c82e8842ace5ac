// Byte-level codecs shared by the compact structures (entry blocks, pending-entry blocks).
//
// Varint: unsigned LEB128, 7 bits per byte, low groups first, high bit = more bytes follow.
// The caller guarantees the buffer holds a complete varint (blocks are written only by us, and
// loaders validate before decoding).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace runnel::streams {

inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

inline uint8_t* PutVarint(uint8_t* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<uint8_t>(v);
  return p;
}

inline void AppendVarint(std::string* out, uint64_t v) {
  uint8_t buf[10];
  uint8_t* end = PutVarint(buf, v);
  out->append(reinterpret_cast<const char*>(buf), static_cast<size_t>(end - buf));
}

inline const uint8_t* GetVarint(const uint8_t* p, uint64_t* v) {
  uint64_t result = 0;
  int shift = 0;
  while (*p & 0x80) {
    result |= static_cast<uint64_t>(*p++ & 0x7f) << shift;
    shift += 7;
  }
  *v = result | (static_cast<uint64_t>(*p++) << shift);
  return p;
}

// Bounds-checked decoding for untrusted input (snapshot and log loaders). Returns nullptr when
// the varint runs past `end` or is longer than 10 bytes.
inline const uint8_t* GetVarintChecked(const uint8_t* p, const uint8_t* end, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 70 && p < end; shift += 7) {
    uint8_t b = *p++;
    if (shift == 63 && (b & 0x7e)) return nullptr;  // would overflow 64 bits
    result |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = result;
      return p;
    }
  }
  return nullptr;
}

inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

}  // namespace runnel::streams
