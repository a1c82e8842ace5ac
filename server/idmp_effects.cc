#include "server/idmp_effects.h"

#include "streams/numbers.h"

namespace runnel::server {
namespace {

constexpr std::string_view kRecord = "RUNNEL-IDMP";
constexpr std::string_view kDuplicate = "RUNNEL-IDMP-DUP";
constexpr std::string_view kExpire = "RUNNEL-IDMP-EXPIRE";

bool ApplyRecord(streams::Database& db, streams::Stream& s, const resp::ArgList& args) {
  if (args.size() != 5 || args[2].empty() || args[3].empty()) return false;
  auto id = streams::ParseStreamId(args[4], streams::IdParseOptions{0, true, false});
  if (!id || s.idmp_state().Find(args[2], args[3])) return false;
  s.idmp_state().Record(args[2], args[3], id->id,
                        static_cast<uint64_t>(s.idmp_config().maxsize));
  db.TrackIdmp(args[1]);
  return true;
}

bool ApplyExpire(streams::Stream& s, const resp::ArgList& args) {
  auto cutoff = args.size() == 3 ? streams::ParseStrictInt64(args[2]) : std::nullopt;
  if (!cutoff || *cutoff < 0) return false;
  s.idmp_state().Expire(static_cast<uint64_t>(*cutoff));
  return true;
}

}  // namespace

void PropagateIdmpRecord(CommandContext& ctx, std::string_view key, std::string_view pid,
                         std::string_view iid, streams::StreamId id) {
  ctx.Propagate({kRecord, key, pid, iid, id.ToString()});
}

void PropagateIdmpDuplicate(CommandContext& ctx, std::string_view key) {
  ctx.Propagate({kDuplicate, key});
}

resp::ArgList IdmpExpireEffect(std::string_view key, int64_t cutoff_ms) {
  return resp::ArgList{kExpire, key, std::to_string(cutoff_ms)};
}

bool IsIdmpEffect(const resp::ArgList& args) {
  return args.size() > 0 && (args[0] == kRecord || args[0] == kDuplicate || args[0] == kExpire);
}

bool ApplyIdmpEffect(streams::Database& db, const resp::ArgList& args, int64_t now_ms,
                     std::string* error) {
  auto* node = args.size() >= 2 ? db.Find(args[1], now_ms) : nullptr;
  streams::Stream* s = node != nullptr ? node->value.value.stream() : nullptr;
  bool ok = false;
  if (s != nullptr) {
    if (args[0] == kRecord) {
      ok = ApplyRecord(db, *s, args);
    } else if (args[0] == kDuplicate) {
      ok = args.size() == 2;
      if (ok) s->idmp_state().CountDuplicate();
    } else {
      ok = ApplyExpire(*s, args);
    }
  }
  if (!ok) *error = std::string(args[0]) + " names no stream or is malformed";
  return ok;
}

}  // namespace runnel::server
