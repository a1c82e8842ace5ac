// StreamId: the (milliseconds, sequence) pair that names a stream entry, and its text forms.
//
// IDs order by ms, then seq; the largest is 18446744073709551615-18446744073709551615. In the
// radix tree an ID is 16 bytes, ms then seq, big-endian, so byte order equals ID order.
//
// Text forms, as redis-server parses them:
//   "ms-seq"          both parts, each by ParseRedisUint64's rules
//   "ms"              seq defaults to the caller's `missing_seq` (0 for starts, max for ends)
//   "-" / "+"         the minimum / maximum ID, unless the parse is strict
//   "ms-*"            only where the caller allows an auto sequence (XADD)
// Anything longer than 127 bytes is invalid (Redis parses into a 128-byte buffer).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace runnel::streams {

struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;

  static constexpr StreamId Min() { return {0, 0}; }
  static constexpr StreamId Max() { return {UINT64_MAX, UINT64_MAX}; }

  friend constexpr auto operator<=>(const StreamId&, const StreamId&) = default;

  bool IsMax() const { return ms == UINT64_MAX && seq == UINT64_MAX; }
  bool IsMin() const { return ms == 0 && seq == 0; }
  // The next / previous ID; nullopt at the ends of the ID space.
  std::optional<StreamId> Next() const;
  std::optional<StreamId> Prev() const;

  std::string ToString() const;
  // Writes "ms-seq" into buf (at least 42 bytes); returns the length.
  size_t Format(char* buf) const;

  using Key = std::array<uint8_t, 16>;
  Key ToKey() const;
  static StreamId FromKey(const Key& key);
};

struct ParsedId {
  StreamId id;
  bool seq_given = true;  // false for "ms-*"
};

struct IdParseOptions {
  uint64_t missing_seq = 0;     // seq used when the text is only "ms"
  bool strict = false;          // reject "-" and "+"
  bool allow_auto_seq = false;  // accept "ms-*"
};

std::optional<ParsedId> ParseStreamId(std::string_view text, const IdParseOptions& options);

}  // namespace runnel::streams
