// Listpacks (rdb-format.md §6): the compact lists Redis stores a stream node's entries in, and
// which RDB files and DUMP payloads carry as one string each.
//
// ParseListpack checks everything Redis's deep sanitization checks (the header's byte total,
// every entry's encoding and back-length, the terminator at the very end, the element count
// unless it is 65535) and refuses anything else, so the stream decoder above it can index the
// elements freely. ListpackWriter builds one as Redis does: canonical integers as integers in
// the smallest form, everything else as a string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace runnel::rdb {

struct ListpackElement {
  bool is_int = false;
  int64_t integer = 0;
  std::string_view bytes;  // a string element: points into the listpack

  // The element's text (an integer in decimal), as Redis gives it back.
  std::string Text() const { return is_int ? std::to_string(integer) : std::string(bytes); }
};

// The elements of `lp`, pointing into it; false with the reason in *why if it is malformed.
bool ParseListpack(std::string_view lp, std::vector<ListpackElement>* out, std::string* why);

class ListpackWriter {
 public:
  ListpackWriter();
  void AddInt(int64_t v);
  // A string, stored as an integer when it is one in canonical form (as Redis does).
  void AddString(std::string_view s);
  size_t size() const { return bytes_.size() + 1; }  // with the terminator Finish adds
  size_t count() const { return count_; }
  // The finished listpack; the writer is left empty for reuse.
  std::string Finish();

 private:
  void AddBacklen(size_t entry_len);
  std::string bytes_;
  size_t count_ = 0;
};

}  // namespace runnel::rdb
