// Delayed-entry effects (XADD ... DELAY / AT, XSCHEDULE CANCEL, the timer that appends due
// entries): how they are written, and how they replay.
//
// Replay never fires anything: an entry is appended only by the RUNNEL-FIRE the server logged
// when it did, so the clock at replay decides nothing. Whatever replay leaves scheduled is
// filed in the database's schedule index, and the server's timer appends what is due once
// loading ends.
#include <string>
#include <vector>

#include "effects/catalogue.h"
#include "effects/writer.h"
#include "resp/command_encoder.h"

namespace runnel::effects {

using resp::CommandWriter;
using streams::Schedule;
using streams::Stream;
using streams::StreamId;

// ---- encoders ----

void Writer::Schedule(std::string_view key, StreamId handle,
                      std::span<const std::string_view> fields) {
  if (!out_) return;
  CommandWriter w(out_, 3 + fields.size());
  w.Arg("RUNNEL-SCHEDULE").Arg(key).Arg(IdText(handle).view());
  for (std::string_view f : fields) w.Arg(f);
}

void Writer::Unschedule(std::string_view key, std::span<const StreamId> handles) {
  if (!out_ || handles.empty()) return;
  CommandWriter w(out_, 2 + handles.size());
  w.Arg("RUNNEL-UNSCHEDULE").Arg(key);
  for (StreamId h : handles) w.Arg(IdText(h).view());
}

void Writer::Fire(std::string_view key, StreamId handle, StreamId id) {
  if (!out_) return;
  CommandWriter(out_, 4)
      .Arg("RUNNEL-FIRE")
      .Arg(key)
      .Arg(IdText(handle).view())
      .Arg(IdText(id).view());
}

// ---- replay ----

namespace {

// Files the stream's earliest entry with the database's index (a duplicate filing is one).
void File(ApplyContext& ctx, std::string_view key, const Stream& s) {
  if (auto due = s.schedule() ? s.schedule()->NextDueMs() : std::nullopt) {
    ctx.database().NoteScheduled(key, *due);
  }
}

// RUNNEL-SCHEDULE key handle field value [field value ...]: creates the stream if missing, as
// XADD ... DELAY did.
Result ApplySchedule(ApplyContext& ctx, const EffectArgs& a) {
  auto handle = a.size() >= 5 && a.size() % 2 == 1 ? a.Id(2) : std::nullopt;
  if (!handle || handle->ms > static_cast<uint64_t>(streams::kMaxScheduleMs) ||
      handle->seq >= streams::kMaxScheduleSeq) {
    return Result::Malformed();
  }
  Stream* s = StreamOrCreate(ctx, a[1]);
  if (s == nullptr) return Result::Conflict("the key holds another type");
  // The server numbers a stream's delayed entries from a counter that never goes back, so a
  // new one's counter is at least the stream's. One below it (the fuzzer's 100-0 after 200-0)
  // would leave more entries than numbers, a state no snapshot may hold.
  if (s->schedule() != nullptr && handle->seq < s->schedule()->next_seq()) {
    return Result::Conflict("the handle's counter is behind the stream's");
  }
  std::vector<std::string_view> fields;
  for (size_t i = 3; i < a.size(); ++i) fields.push_back(a[i]);
  if (!s->mutable_schedule().Restore(*handle, Schedule::EncodeFields(fields))) {
    return Result::Conflict("the handle is already scheduled");
  }
  File(ctx, a[1], *s);
  return Result::Applied();
}

// RUNNEL-UNSCHEDULE key handle [handle ...]
Result ApplyUnschedule(ApplyContext& ctx, const EffectArgs& a) {
  if (a.size() < 3) return Result::Malformed();
  std::vector<StreamId> handles;
  for (size_t i = 2; i < a.size(); ++i) {
    auto h = a.Id(i);
    if (!h) return Result::Malformed();
    handles.push_back(*h);
  }
  Stream* s = StreamAt(ctx, a[1]);
  if (s == nullptr) return Result::Skipped();
  for (StreamId h : handles) {  // all or nothing: checked before any is cancelled
    if (s->schedule() == nullptr || !s->schedule()->Find(h)) {
      return Result::Conflict("the handle is not scheduled");
    }
  }
  for (StreamId h : handles) s->mutable_schedule().Cancel(h);
  return Result::Applied();
}

// RUNNEL-FIRE key handle id: the scheduled entry leaves the schedule and is appended at id.
Result ApplyFire(ApplyContext& ctx, const EffectArgs& a) {
  auto handle = a.size() == 4 ? a.Id(2) : std::nullopt;
  auto id = a.size() == 4 ? a.Id(3) : std::nullopt;
  if (!handle || !id) return Result::Malformed();
  Stream* s = StreamAt(ctx, a[1]);
  if (s == nullptr) return Result::Skipped();
  auto entry = s->schedule() ? s->schedule()->Find(*handle) : std::nullopt;
  std::vector<std::string_view> fields;
  if (!entry || !Schedule::DecodeFields(entry->payload, &fields)) {
    return Result::Conflict("the handle is not scheduled");
  }
  if (*id <= s->last_id()) return Result::Conflict("the ID is not above the stream's last ID");
  s->mutable_schedule().Cancel(*handle);
  return AppendEntry(ctx, a[1], *id, fields);
}

}  // namespace

void AddScheduleAppliers(std::vector<Entry>& out) {
  out.push_back({"RUNNEL-SCHEDULE", ApplySchedule});
  out.push_back({"RUNNEL-UNSCHEDULE", ApplyUnschedule});
  out.push_back({"RUNNEL-FIRE", ApplyFire});
}

}  // namespace runnel::effects
