#include "streams/stream_id.h"

#include "streams/numbers.h"

namespace runnel::streams {

std::optional<StreamId> StreamId::Next() const {
  if (seq != UINT64_MAX) return StreamId{ms, seq + 1};
  if (ms != UINT64_MAX) return StreamId{ms + 1, 0};
  return std::nullopt;
}

std::optional<StreamId> StreamId::Prev() const {
  if (seq != 0) return StreamId{ms, seq - 1};
  if (ms != 0) return StreamId{ms - 1, UINT64_MAX};
  return std::nullopt;
}

size_t StreamId::Format(char* buf) const {
  size_t n = FormatUint64(ms, buf);
  buf[n++] = '-';
  return n + FormatUint64(seq, buf + n);
}

std::string StreamId::ToString() const {
  char buf[48];
  return std::string(buf, Format(buf));
}

StreamId::Key StreamId::ToKey() const {
  Key k;
  for (int i = 0; i < 8; ++i) {
    k[static_cast<size_t>(i)] = static_cast<uint8_t>(ms >> (56 - 8 * i));
    k[static_cast<size_t>(8 + i)] = static_cast<uint8_t>(seq >> (56 - 8 * i));
  }
  return k;
}

StreamId StreamId::FromKey(const Key& k) {
  StreamId id;
  for (int i = 0; i < 8; ++i) {
    id.ms = (id.ms << 8) | k[static_cast<size_t>(i)];
    id.seq = (id.seq << 8) | k[static_cast<size_t>(8 + i)];
  }
  return id;
}

std::optional<ParsedId> ParseStreamId(std::string_view text, const IdParseOptions& options) {
  if (text.size() > 127) return std::nullopt;
  if (text.size() == 1 && (text[0] == '-' || text[0] == '+')) {
    if (options.strict) return std::nullopt;
    return ParsedId{text[0] == '-' ? StreamId::Min() : StreamId::Max(), true};
  }
  size_t dash = text.find('-');
  if (dash == std::string_view::npos) {
    auto ms = ParseRedisUint64(text);
    if (!ms) return std::nullopt;
    return ParsedId{StreamId{*ms, options.missing_seq}, true};
  }
  auto ms = ParseRedisUint64(text.substr(0, dash));
  if (!ms) return std::nullopt;
  std::string_view seq_text = text.substr(dash + 1);
  if (options.allow_auto_seq && seq_text == "*") return ParsedId{StreamId{*ms, 0}, false};
  auto seq = ParseRedisUint64(seq_text);
  if (!seq) return std::nullopt;
  return ParsedId{StreamId{*ms, *seq}, true};
}

}  // namespace runnel::streams
