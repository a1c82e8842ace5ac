#include "streams/schedule.h"

#include <algorithm>
#include <utility>

#include "streams/varint.h"

namespace runnel::streams {

std::optional<int64_t> Schedule::NextDueMs() const {
  Set::Cursor c = set_.Begin();
  if (!c.valid()) return std::nullopt;
  return static_cast<int64_t>(c.record().handle.ms);
}

StreamId Schedule::Add(int64_t due_ms, std::span<const std::string_view> fields) {
  ScheduledEntry e{StreamId{static_cast<uint64_t>(due_ms), next_seq_++}, EncodeFields(fields)};
  set_.Insert(e);
  return e.handle;
}

bool Schedule::Restore(StreamId handle, std::string payload) {
  if (!set_.Insert(ScheduledEntry{handle, std::move(payload)})) return false;
  next_seq_ = std::max(next_seq_, handle.seq + 1);
  return true;
}

void Schedule::RestoreNextSeq(uint64_t seq) { next_seq_ = std::max(next_seq_, seq); }

bool Schedule::Cancel(StreamId handle) { return set_.Erase(handle).has_value(); }

std::optional<ScheduledEntry> Schedule::PopDue(int64_t now_ms) {
  Set::Cursor c = set_.Begin();
  if (!c.valid() || c.record().handle.ms > static_cast<uint64_t>(std::max<int64_t>(now_ms, 0))) {
    return std::nullopt;
  }
  return set_.Erase(c.record().handle);
}

std::vector<ScheduledEntry> Schedule::Range(StreamId start, StreamId end, size_t count) const {
  std::vector<ScheduledEntry> out;
  for (Set::Cursor c = set_.LowerBound(start); c.valid(); c.Next()) {
    if (end < c.record().handle || (count != 0 && out.size() == count)) break;
    out.push_back(c.record());
  }
  return out;
}

std::string Schedule::EncodeFields(std::span<const std::string_view> fields) {
  size_t bytes = VarintSize(fields.size());
  for (std::string_view f : fields) bytes += VarintSize(f.size()) + f.size();
  std::string out;
  out.reserve(bytes);
  AppendVarint(&out, fields.size());
  for (std::string_view f : fields) {
    AppendVarint(&out, f.size());
    out.append(f);
  }
  return out;
}

bool Schedule::DecodeFields(std::string_view payload, std::vector<std::string_view>* out) {
  out->clear();
  const auto* p = reinterpret_cast<const uint8_t*>(payload.data());
  const uint8_t* end = p + payload.size();
  uint64_t n = 0;
  p = GetVarintChecked(p, end, &n);
  if (p == nullptr || n == 0 || n % 2 != 0 || n > payload.size()) return false;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t len = 0;
    p = GetVarintChecked(p, end, &len);
    if (p == nullptr || len > static_cast<uint64_t>(end - p)) return false;
    out->emplace_back(reinterpret_cast<const char*>(p), len);
    p += len;
  }
  return p == end;
}

}  // namespace runnel::streams
