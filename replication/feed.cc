#include "replication/feed.h"

#include <strings.h>

#include <charconv>

#include "resp/command_encoder.h"

namespace runnel::replication {

void AppendRecord(std::string* out, int db, int64_t time_ms, std::string_view payload) {
  resp::CommandWriter(out, 4).Arg(kRecordCommand).Int(db).Int(time_ms).Arg(payload);
}

void AppendPublish(std::string* out, std::string_view channel, std::string_view message) {
  resp::CommandWriter(out, 3).Arg("PUBLISH").Arg(channel).Arg(message);
}

namespace {

template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

std::optional<FeedRecord> ParseRecord(const resp::ArgList& args) {
  if (args.size() != 4 || args[0].size() != kRecordCommand.size() ||
      strncasecmp(args[0].data(), kRecordCommand.data(), kRecordCommand.size()) != 0) {
    return std::nullopt;
  }
  FeedRecord r;
  if (!ParseNumber(args[1], &r.db) || r.db < 0 || !ParseNumber(args[2], &r.time_ms)) {
    return std::nullopt;
  }
  r.payload = args[3];
  return r;
}

}  // namespace runnel::replication
