// Stream's consumer-group bookkeeping: the groups themselves, and the constant-time
// entries-read and lag accounting that Redis 7 introduced, with the corrections of Redis 7.4
// and later (redis#13338: tombstones before the first entry can still be after a group's
// position; #13473: a group and all tombstones behind the first entry lag by the length;
// #13958: a group behind the first entry must re-estimate its counter).
//
// The rules, each tried in this order (as t_stream.c does):
//   RangeHasTombstones(start, end)  false for an empty stream or one never XDELed; else
//       start <= max_deleted_id <= end.
//   EstimateEntriesRead(id)  entries_added 0 -> 0; empty and id <= last_id -> entries_added;
//       id != 0-0 and id < max_deleted_id -> unknown; id == last_id -> entries_added;
//       id > last_id -> unknown; with no XDEL at or after first_id: id < first_id ->
//       entries_added - length, id == first_id -> entries_added - length + 1; else unknown.
//   Lag(group)  entries_added 0 or length 0 -> 0; position and max_deleted_id both before
//       first_id -> length; known entries_read and no tombstone from the position on ->
//       entries_added - entries_read; else entries_added - EstimateEntriesRead, or unknown.
//   AdvanceGroup(group, id)  only forwards; known entries_read, position >= first_id and no
//       tombstone from it on -> entries_read + 1; else, if anything was ever added,
//       entries_read = EstimateEntriesRead(id).
// Trims never move max_deleted_id (only XDEL and XSETID do), hence the first_id tests.
#include "streams/stream.h"

namespace runnel::streams {

ConsumerGroup* Stream::FindGroup(std::string_view name) const {
  auto it = groups_.find(name);
  return it == groups_.end() ? nullptr : it->second.get();
}

ConsumerGroup* Stream::CreateGroup(std::string_view name, StreamId last_delivered,
                                   int64_t entries_read) {
  if (groups_.find(name) != groups_.end()) return nullptr;
  auto group = std::make_unique<ConsumerGroup>(std::string(name), last_delivered, entries_read);
  ConsumerGroup* raw = group.get();
  groups_.emplace(std::string(name), std::move(group));
  return raw;
}

bool Stream::DestroyGroup(std::string_view name) {
  auto it = groups_.find(name);
  if (it == groups_.end()) return false;
  groups_.erase(it);
  return true;
}

bool Stream::RangeHasTombstones(StreamId start, StreamId end) const {
  if (length_ == 0 || max_deleted_id_.IsMin()) return false;
  return start <= max_deleted_id_ && max_deleted_id_ <= end;
}

int64_t Stream::EstimateEntriesRead(StreamId id) const {
  auto added = static_cast<int64_t>(entries_added_);
  auto length = static_cast<int64_t>(length_);
  if (entries_added_ == 0) return 0;
  if (length_ == 0 && id <= last_id_) return added;
  // A deletion after `id` means the entries between are not all there to count.
  if (!id.IsMin() && id < max_deleted_id_) return kUnknownEntriesRead;
  if (id == last_id_) return added;
  if (id > last_id_) return kUnknownEntriesRead;
  if (max_deleted_id_.IsMin() || max_deleted_id_ < first_id_) {
    if (id < first_id_) return added - length;
    if (id == first_id_) return added - length + 1;
  }
  return kUnknownEntriesRead;
}

std::optional<int64_t> Stream::Lag(const ConsumerGroup& group) const {
  auto added = static_cast<int64_t>(entries_added_);
  if (entries_added_ == 0 || length_ == 0) return 0;
  if (group.last_delivered() < first_id_ && max_deleted_id_ < first_id_) {
    return static_cast<int64_t>(length_);
  }
  if (group.entries_read() != kUnknownEntriesRead && !RangeHasTombstones(group.last_delivered())) {
    return added - group.entries_read();
  }
  int64_t read = EstimateEntriesRead(group.last_delivered());
  if (read == kUnknownEntriesRead) return std::nullopt;
  return added - read;
}

void Stream::AdvanceGroup(ConsumerGroup& group, StreamId id) const {
  if (id <= group.last_delivered()) return;
  if (group.entries_read() != kUnknownEntriesRead && group.last_delivered() >= first_id_ &&
      !RangeHasTombstones(group.last_delivered())) {
    group.set_entries_read(group.entries_read() + 1);
  } else if (entries_added_ != 0) {
    group.set_entries_read(EstimateEntriesRead(id));
  }
  group.set_last_delivered(id);
}

bool Stream::ReferencedByGroups(StreamId id) const {
  for (const auto& [name, group] : groups_) {
    if (group->last_delivered() < id || group->FindPending(id)) return true;
  }
  return false;
}

std::vector<std::string_view> Stream::DropReferences(StreamId id) {
  std::vector<std::string_view> held;
  for (auto& [name, group] : groups_) {
    if (group->Ack(id)) held.push_back(name);
  }
  return held;
}

}  // namespace runnel::streams
