#include "rdb/listpack.h"

#include <charconv>

namespace runnel::rdb {
namespace {

constexpr size_t kHeaderSize = 6;
constexpr uint8_t kEnd = 0xff;
constexpr uint16_t kUnknownCount = 65535;

uint64_t ReadLe(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

int64_t SignExtend(uint64_t v, int bits) {
  int shift = 64 - bits;
  return static_cast<int64_t>(v << shift) >> shift;
}

size_t BacklenSize(size_t len) {
  return len <= 127 ? 1 : len < 16383 ? 2 : len < 2097151 ? 3 : len < 268435455 ? 4 : 5;
}

// Reads the back-length that ends at p[size - 1] (right to left); 0 if malformed.
uint64_t ReadBacklen(const uint8_t* p, size_t size) {
  uint64_t v = 0;
  for (size_t i = 0; i < size; ++i) {
    uint8_t b = p[size - 1 - i];
    v |= uint64_t{b & 0x7fu} << (7 * i);
    bool more = (b & 0x80) != 0;
    if (more != (i + 1 < size)) return 0;
  }
  return v;
}

// Decodes one element at p (at most `room` bytes); its encoding+data length in *len.
bool DecodeElement(const uint8_t* p, size_t room, ListpackElement* e, size_t* len,
                   std::string* why) {
  uint8_t b = p[0];
  size_t header = 1, strlen = 0;
  bool is_string = false;
  int int_bytes = -1;
  if ((b & 0x80) == 0) {
    e->is_int = true;
    e->integer = b & 0x7f;
    *len = 1;
    return true;
  }
  if ((b & 0xc0) == 0x80) {
    is_string = true;
    strlen = b & 0x3f;
  } else if ((b & 0xe0) == 0xc0) {
    if (room < 2) return (*why = "a 13-bit integer runs past the end", false);
    e->is_int = true;
    e->integer = SignExtend((uint64_t{b & 0x1fu} << 8) | p[1], 13);
    *len = 2;
    return true;
  } else if ((b & 0xf0) == 0xe0) {
    if (room < 2) return (*why = "a string header runs past the end", false);
    is_string = true;
    header = 2;
    strlen = (size_t{b & 0x0fu} << 8) | p[1];
  } else if (b == 0xf0) {
    if (room < 5) return (*why = "a string header runs past the end", false);
    is_string = true;
    header = 5;
    strlen = ReadLe(p + 1, 4);
  } else if (b >= 0xf1 && b <= 0xf4) {
    static constexpr int kSizes[] = {2, 3, 4, 8};
    int_bytes = kSizes[b - 0xf1];
  } else {
    return (*why = "invalid element encoding " + std::to_string(b), false);
  }
  if (is_string) {
    if (strlen > room - header) return (*why = "a string runs past the end", false);
    e->is_int = false;
    e->bytes = std::string_view(reinterpret_cast<const char*>(p + header), strlen);
    *len = header + strlen;
    return true;
  }
  if (room < size_t(1 + int_bytes)) return (*why = "an integer runs past the end", false);
  e->is_int = true;
  e->integer = SignExtend(ReadLe(p + 1, int_bytes), 8 * int_bytes);
  *len = 1 + int_bytes;
  return true;
}

// Whether s is an integer Redis would store as one: canonical decimal of an int64.
bool CanonicalInt(std::string_view s, int64_t* v) {
  if (s.empty() || s.size() > 20) return false;
  if (s[0] == '0' && s.size() > 1) return false;
  if (s[0] == '-' && (s.size() == 1 || s[1] == '0')) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

bool ParseListpack(std::string_view lp, std::vector<ListpackElement>* out, std::string* why) {
  out->clear();
  const auto* p = reinterpret_cast<const uint8_t*>(lp.data());
  if (lp.size() < kHeaderSize + 1) return (*why = "a listpack shorter than its header", false);
  if (ReadLe(p, 4) != lp.size()) return (*why = "a listpack's byte total is wrong", false);
  auto declared = static_cast<uint16_t>(ReadLe(p + 4, 2));
  size_t at = kHeaderSize;
  while (true) {
    if (at >= lp.size()) return (*why = "a listpack without its terminator", false);
    if (p[at] == kEnd) break;
    ListpackElement e;
    size_t len;
    if (!DecodeElement(p + at, lp.size() - at, &e, &len, why)) return false;
    size_t back = BacklenSize(len);
    if (back > lp.size() - at - len || ReadBacklen(p + at + len, back) != len) {
      return (*why = "a listpack element's back-length is wrong", false);
    }
    at += len + back;
    out->push_back(e);
  }
  if (at + 1 != lp.size()) return (*why = "bytes after a listpack's terminator", false);
  if (declared != kUnknownCount && declared != out->size()) {
    return (*why = "a listpack's element count is wrong", false);
  }
  return true;
}

ListpackWriter::ListpackWriter() { bytes_.assign(kHeaderSize, '\0'); }

void ListpackWriter::AddBacklen(size_t len) {
  size_t n = BacklenSize(len);
  char buf[5];
  for (size_t i = 0; i < n; ++i) {
    // Byte i from the right holds bits 7i..7i+6; bit 7 marks "more bytes to the left", so
    // the leftmost byte is the only one without it.
    auto bits = static_cast<uint8_t>((len >> (7 * i)) & 0x7f);
    buf[n - 1 - i] = static_cast<char>(i + 1 < n ? bits | 0x80 : bits);
  }
  bytes_.append(buf, n);
  ++count_;
}

void ListpackWriter::AddInt(int64_t v) {
  size_t start = bytes_.size();
  auto u = static_cast<uint64_t>(v);
  if (v >= 0 && v <= 127) {
    bytes_.push_back(static_cast<char>(v));
  } else if (v >= -4096 && v <= 4095) {
    uint64_t bits = u & 0x1fff;
    bytes_.push_back(static_cast<char>(0xc0 | (bits >> 8)));
    bytes_.push_back(static_cast<char>(bits & 0xff));
  } else {
    int n = v >= -32768 && v <= 32767          ? 2
            : v >= -8388608 && v <= 8388607    ? 3
            : v >= INT32_MIN && v <= INT32_MAX ? 4
                                               : 8;
    bytes_.push_back(static_cast<char>(n == 2 ? 0xf1 : n == 3 ? 0xf2 : n == 4 ? 0xf3 : 0xf4));
    for (int i = 0; i < n; ++i) bytes_.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
  }
  AddBacklen(bytes_.size() - start);
}

void ListpackWriter::AddString(std::string_view s) {
  int64_t v;
  if (CanonicalInt(s, &v)) return AddInt(v);
  size_t start = bytes_.size();
  if (s.size() < 64) {
    bytes_.push_back(static_cast<char>(0x80 | s.size()));
  } else if (s.size() < 4096) {
    bytes_.push_back(static_cast<char>(0xe0 | (s.size() >> 8)));
    bytes_.push_back(static_cast<char>(s.size() & 0xff));
  } else {
    bytes_.push_back(static_cast<char>(0xf0));
    for (int i = 0; i < 4; ++i) bytes_.push_back(static_cast<char>((s.size() >> (8 * i)) & 0xff));
  }
  bytes_.append(s);
  AddBacklen(bytes_.size() - start);
}

std::string ListpackWriter::Finish() {
  bytes_.push_back(static_cast<char>(kEnd));
  uint64_t total = bytes_.size();
  for (int i = 0; i < 4; ++i) bytes_[i] = static_cast<char>((total >> (8 * i)) & 0xff);
  uint64_t n = count_ < kUnknownCount ? count_ : kUnknownCount;
  bytes_[4] = static_cast<char>(n & 0xff);
  bytes_[5] = static_cast<char>(n >> 8);
  std::string out = std::move(bytes_);
  bytes_.assign(kHeaderSize, '\0');
  count_ = 0;
  return out;
}

}  // namespace runnel::rdb
