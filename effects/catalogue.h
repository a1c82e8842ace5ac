// What the family files (key_effects.cc, stream_effects.cc, group_effects.cc) share: the replay
// half of the catalogue as they register it (effect name -> applier), and how an ID is written.
// Internal to effects/.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "effects/replay.h"
#include "streams/stream_id.h"

namespace runnel::effects {

// What applying one effect did.
enum class Outcome {
  kApplied,
  kSkipped,    // its target is gone: nothing to change
  kMalformed,  // arguments an effect cannot have
  kConflict,   // it cannot apply to the data as it is
};

struct Result {
  Outcome outcome = Outcome::kApplied;
  std::string why;  // for kConflict

  static Result Applied() { return {}; }
  static Result Skipped() { return {Outcome::kSkipped, {}}; }
  static Result Malformed() { return {Outcome::kMalformed, {}}; }
  static Result Conflict(std::string why) { return {Outcome::kConflict, std::move(why)}; }
};

// Reading an effect's arguments: keywords in any case (earlier versions logged options as the
// client typed them), strict integers, concrete stream IDs.
class EffectArgs {
 public:
  explicit EffectArgs(const resp::ArgList& args) : args_(args) {}
  size_t size() const { return args_.size(); }
  std::string_view operator[](size_t i) const { return args_[i]; }
  bool Is(size_t i, std::string_view word) const;
  std::optional<int64_t> Int(size_t i) const;
  std::optional<streams::StreamId> Id(size_t i) const;

 private:
  const resp::ArgList& args_;
};

using Applier = Result (*)(ApplyContext& ctx, const EffectArgs& args);

struct Entry {
  std::string_view name;  // upper case
  Applier apply;
};

// A stream ID as an effect's argument, without a heap string.
struct IdText {
  explicit IdText(streams::StreamId id) : size(id.Format(buf)) {}
  std::string_view view() const { return std::string_view(buf, size); }
  char buf[48];
  size_t size;
};

// The appliers of each family.
void AddKeyAppliers(std::vector<Entry>& out);
void AddStreamAppliers(std::vector<Entry>& out);
void AddGroupAppliers(std::vector<Entry>& out);
void AddPolicyAppliers(std::vector<Entry>& out);
void AddScheduleAppliers(std::vector<Entry>& out);

// XGROUP SETPOLICY (policy_effects.cc), reached through the XGROUP applier.
Result ApplyGroupSetPolicy(ApplyContext& ctx, const EffectArgs& args);

// Appends an entry at `id` to the stream at `key`, created (with the context's settings for new
// streams) if missing; a Conflict if the key holds another type or `id` is not above its last.
Result AppendEntry(ApplyContext& ctx, std::string_view key, streams::StreamId id,
                   std::span<const std::string_view> fields);

// The stream at `key` of the current database, without expiring anything; nullptr when there is
// none, and *wrong_type when the key holds something else.
streams::Stream* StreamAt(ApplyContext& ctx, std::string_view key, bool* wrong_type = nullptr);

// The stream at `key`, created empty (with the context's settings for new streams) if missing;
// nullptr when the key holds another type. *created, if given, says whether it was created.
streams::Stream* StreamOrCreate(ApplyContext& ctx, std::string_view key, bool* created = nullptr);

}  // namespace runnel::effects
