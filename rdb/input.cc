#include "rdb/input.h"

#include <algorithm>
#include <cstring>

#include "rdb/crc64.h"
#include "rdb/lzf.h"

namespace runnel::rdb {
namespace {

constexpr size_t kBufferSize = 64 * 1024;
// A string is read in pieces of at most this much, so a corrupt length cannot make the reader
// reserve more memory than the source actually holds.
constexpr uint64_t kStringPiece = 1 << 20;
constexpr uint64_t kMaxDecompressed = uint64_t{1} << 32;

enum Encoding : uint64_t { kInt8 = 0, kInt16 = 1, kInt32 = 2, kLzf = 3 };

}  // namespace

size_t MemorySource::Read(char* buf, size_t n) {
  n = std::min(n, bytes_.size());
  std::memcpy(buf, bytes_.data(), n);
  bytes_.remove_prefix(n);
  return n;
}

bool Input::Fill() {
  if (failed_) return false;
  if (available() > 0) return true;
  if (buffer_.size() != kBufferSize) buffer_.resize(kBufferSize);
  pos_ = 0;
  end_ = source_.Read(buffer_.data(), buffer_.size());
  if (end_ > 0) return true;
  std::string why = source_.error();
  return Fail(why.empty() ? "unexpected end of data" : why);
}

std::string_view Input::Take(size_t n) {
  std::string_view bytes(buffer_.data() + pos_, n);
  pos_ += n;
  consumed_ += n;
  crc_ = Crc64(crc_, bytes);
  return bytes;
}

bool Input::Fail(std::string_view why) {
  if (!failed_) {
    failed_ = true;
    error_ = "at byte " + std::to_string(consumed_) + ": " + std::string(why);
  }
  return false;
}

bool Input::AtEnd() {
  if (failed_) return false;
  if (available() > 0) return false;
  pos_ = end_ = 0;
  if (buffer_.size() != kBufferSize) buffer_.resize(kBufferSize);
  end_ = source_.Read(buffer_.data(), buffer_.size());
  return end_ == 0;
}

bool Input::Byte(uint8_t* b) {
  if (!Fill()) return false;
  *b = static_cast<uint8_t>(Take(1)[0]);
  return true;
}

bool Input::Bytes(uint64_t n, std::string* out) {
  out->clear();
  while (n > 0) {
    if (!Fill()) return false;
    size_t piece = static_cast<size_t>(std::min<uint64_t>(n, available()));
    if (out->capacity() < out->size() + piece) {
      out->reserve(out->size() + std::max<size_t>(piece, std::min<uint64_t>(n, kStringPiece)));
    }
    out->append(Take(piece));
    n -= piece;
  }
  return true;
}

bool Input::Skip(uint64_t n) {
  while (n > 0) {
    if (!Fill()) return false;
    size_t piece = static_cast<size_t>(std::min<uint64_t>(n, available()));
    Take(piece);
    n -= piece;
  }
  return true;
}

bool Input::U64Le(uint64_t* v) {
  uint64_t r = 0;
  for (int i = 0; i < 8; ++i) {
    uint8_t b;
    if (!Byte(&b)) return false;
    r |= uint64_t{b} << (8 * i);
  }
  *v = r;
  return true;
}

bool Input::U32Le(uint32_t* v) {
  uint64_t r = 0;
  for (int i = 0; i < 4; ++i) {
    uint8_t b;
    if (!Byte(&b)) return false;
    r |= uint64_t{b} << (8 * i);
  }
  *v = static_cast<uint32_t>(r);
  return true;
}

bool Input::LengthOrEncoding(uint64_t* v, bool* encoded) {
  uint8_t first;
  if (!Byte(&first)) return false;
  *encoded = false;
  switch (first >> 6) {
    case 0:
      *v = first & 0x3f;
      return true;
    case 1: {
      uint8_t second;
      if (!Byte(&second)) return false;
      *v = (uint64_t{first & 0x3fu} << 8) | second;
      return true;
    }
    case 3:
      *encoded = true;
      *v = first & 0x3f;
      return true;
    default:
      break;
  }
  int bytes = first == 0x80 ? 4 : first == 0x81 ? 8 : 0;
  if (bytes == 0) return Fail("unknown length encoding " + std::to_string(first));
  uint64_t r = 0;
  for (int i = 0; i < bytes; ++i) {
    uint8_t b;
    if (!Byte(&b)) return false;
    r = (r << 8) | b;  // big-endian
  }
  *v = r;
  return true;
}

bool Input::Length(uint64_t* v) {
  bool encoded;
  if (!LengthOrEncoding(v, &encoded)) return false;
  if (encoded) return Fail("a string encoding where a length belongs");
  return true;
}

bool Input::String(std::string* out) {
  uint64_t n;
  bool encoded;
  if (!LengthOrEncoding(&n, &encoded)) return false;
  if (!encoded) return Bytes(n, out);
  if (n == kLzf) {
    uint64_t packed, original;
    std::string compressed;
    if (!Length(&packed) || !Length(&original) || !Bytes(packed, &compressed)) return false;
    // A back-reference of at least 2 input bytes yields at most 264 output bytes, so nothing
    // real expands more than 132 times: a larger claim is corrupt (Redis, which allocates the
    // claimed size, answers it with "Bad data format"). And no string is ever above 4 GB.
    if (original > kMaxDecompressed || original > 132 * packed + 64 ||
        !LzfDecompress(compressed, original, out)) {
      return Fail("invalid LZF compressed string");
    }
    return true;
  }
  if (n > kInt32) return Fail("unknown string encoding " + std::to_string(n));
  int size = n == kInt8 ? 1 : n == kInt16 ? 2 : 4;
  uint64_t raw = 0;
  for (int i = 0; i < size; ++i) {
    uint8_t b;
    if (!Byte(&b)) return false;
    raw |= uint64_t{b} << (8 * i);
  }
  // Sign-extend from the encoded width.
  int shift = 64 - 8 * size;
  auto value = static_cast<int64_t>(raw << shift) >> shift;
  *out = std::to_string(value);
  return true;
}

bool Input::SkipTextDouble() {
  uint8_t len;
  if (!Byte(&len)) return false;
  return len >= 253 ? true : Skip(len);
}

}  // namespace runnel::rdb
