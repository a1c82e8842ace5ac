#include "effects/replay.h"

#include <strings.h>

#include <algorithm>
#include <cctype>

#include "effects/catalogue.h"
#include "resp/request_parser.h"
#include "streams/numbers.h"

namespace runnel::effects {
namespace {

// Every effect name replay knows, sorted for lookup.
const std::vector<Entry>& Catalogue() {
  static const std::vector<Entry> entries = [] {
    std::vector<Entry> all;
    AddKeyAppliers(all);
    AddStreamAppliers(all);
    AddGroupAppliers(all);
    AddPolicyAppliers(all);
    AddScheduleAppliers(all);
    std::sort(all.begin(), all.end(),
              [](const Entry& a, const Entry& b) { return a.name < b.name; });
    return all;
  }();
  return entries;
}

const Entry* Find(std::string_view name) {
  char upper[32];
  if (name.size() > sizeof(upper)) return nullptr;
  for (size_t i = 0; i < name.size(); ++i) {
    upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[i])));
  }
  std::string_view key(upper, name.size());
  const auto& all = Catalogue();
  auto it = std::lower_bound(all.begin(), all.end(), key,
                             [](const Entry& e, std::string_view k) { return e.name < k; });
  return it != all.end() && it->name == key ? &*it : nullptr;
}

std::string Describe(const resp::ArgList& args) {
  std::string text;
  for (size_t i = 0; i < args.size() && i < 3; ++i) {
    if (i > 0) text += ' ';
    text += args[i].substr(0, 64);
  }
  return text;
}

}  // namespace

bool EffectArgs::Is(size_t i, std::string_view word) const {
  std::string_view a = args_[i];
  return a.size() == word.size() && strncasecmp(a.data(), word.data(), a.size()) == 0;
}

std::optional<int64_t> EffectArgs::Int(size_t i) const {
  return streams::ParseStrictInt64(args_[i]);
}

std::optional<streams::StreamId> EffectArgs::Id(size_t i) const {
  auto parsed = streams::ParseStreamId(args_[i], {.missing_seq = 0, .strict = true});
  if (!parsed) return std::nullopt;
  return parsed->id;
}

streams::Stream* StreamAt(ApplyContext& ctx, std::string_view key, bool* wrong_type) {
  streams::Database::Node* node = ctx.database().Peek(key);
  streams::Stream* s = node != nullptr ? node->value.value.stream() : nullptr;
  if (wrong_type != nullptr) *wrong_type = node != nullptr && s == nullptr;
  return s;
}

bool ApplyEffect(ApplyContext& ctx, const resp::ArgList& args, std::string* error) {
  if (args.empty()) {
    *error = "an empty effect";
    return false;
  }
  if (EffectArgs(args).Is(0, "SELECT")) {
    auto db = args.size() == 2 ? streams::ParseStrictInt64(args[1]) : std::nullopt;
    if (!db || *db < 0 || *db >= ctx.keyspace.size()) {
      *error = "SELECT names no database here";
      return false;
    }
    ctx.db = static_cast<int>(*db);
    return true;
  }
  const Entry* entry = Find(args[0]);
  if (entry == nullptr) {
    *error = "unknown effect " + Describe(args);
    return false;
  }
  ++ctx.applied;
  Result r = entry->apply(ctx, EffectArgs(args));
  switch (r.outcome) {
    case Outcome::kApplied:
      return true;
    case Outcome::kSkipped:
      ++ctx.skipped;
      return true;
    case Outcome::kMalformed:
      *error = "malformed effect " + Describe(args);
      return false;
    case Outcome::kConflict:
      *error = "effect " + Describe(args) + " does not apply: " + r.why;
      return false;
  }
  return false;
}

bool ApplyPayload(ApplyContext& ctx, std::string_view payload, std::string* error) {
  resp::RequestParser parser;
  resp::ParserLimits limits;
  limits.max_bulk_len = INT64_MAX;  // the log holds what was accepted, whatever the limit is now
  parser.set_limits(limits);
  static thread_local resp::ArgList args;
  for (size_t pos = 0; pos < payload.size();) {
    args.Clear();
    auto r = parser.Parse(payload.substr(pos), args);
    pos += r.consumed;
    if (r.status != resp::RequestParser::Status::kCommand) {
      *error = "a record holds a malformed command";
      return false;
    }
    if (!ApplyEffect(ctx, args, error)) return false;
  }
  return true;
}

}  // namespace runnel::effects
