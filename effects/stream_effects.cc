// Stream effects: how XADD, trims, deletions, XSETID, XCFGSET, idempotent production and the
// block limits are written, and how they replay.
//
// Block limits (RUNNEL-LIMITS) decide how entries fall into blocks, which XINFO shows and
// which merging after deletions follows; so the log carries them: at the start of every log
// file and whenever CONFIG SET changes them. A log written before that replays with the
// limits the server is configured with.
#include <memory>
#include <string>
#include <vector>

#include "effects/catalogue.h"
#include "effects/writer.h"
#include "resp/command_encoder.h"

namespace runnel::effects {

using resp::CommandWriter;
using streams::Stream;
using streams::StreamId;

// ---- encoders ----

void Writer::XAdd(std::string_view key, StreamId id, std::span<const std::string_view> fields) {
  if (!out_) return;
  CommandWriter w(out_, 3 + fields.size());
  w.Arg("XADD").Arg(key).Arg(IdText(id).view());
  for (std::string_view f : fields) w.Arg(f);
}

void Writer::XTrimMaxLen(std::string_view key, uint64_t length) {
  if (out_) CommandWriter(out_, 5).Arg("XTRIM").Arg(key).Arg("MAXLEN").Arg("=").Uint(length);
}

void Writer::XTrimMinId(std::string_view key, StreamId first) {
  if (!out_) return;
  CommandWriter(out_, 5).Arg("XTRIM").Arg(key).Arg("MINID").Arg("=").Arg(IdText(first).view());
}

void Writer::TrimIds(std::string_view key, std::span<const StreamId> ids) {
  // At most this many IDs per effect, so that one effect stays a readable line in a dump.
  constexpr size_t kIdsPerEffect = 1000;
  for (size_t at = 0; out_ && at < ids.size(); at += kIdsPerEffect) {
    size_t n = std::min(kIdsPerEffect, ids.size() - at);
    CommandWriter w(out_, 2 + n);
    w.Arg("RUNNEL-TRIM").Arg(key);
    for (size_t i = at; i < at + n; ++i) w.Arg(IdText(ids[i]).view());
  }
}

void Writer::XDel(std::string_view key, std::span<const StreamId> ids) {
  if (!out_ || ids.empty()) return;
  CommandWriter w(out_, 2 + ids.size());
  w.Arg("XDEL").Arg(key);
  for (StreamId id : ids) w.Arg(IdText(id).view());
}

void Writer::XSetId(std::string_view key, const Stream& s) {
  if (!out_) return;
  CommandWriter(out_, 7)
      .Arg("XSETID")
      .Arg(key)
      .Arg(IdText(s.last_id()).view())
      .Arg("ENTRIESADDED")
      .Uint(s.entries_added())
      .Arg("MAXDELETEDID")
      .Arg(IdText(s.max_deleted_id()).view());
}

void Writer::XCfgSet(std::string_view key, const Stream& s) {
  if (!out_) return;
  const streams::Retention& r = s.retention();
  CommandWriter(out_, 12)
      .Arg("XCFGSET")
      .Arg(key)
      .Arg("IDMP-DURATION")
      .Int(s.idmp_config().duration_s)
      .Arg("IDMP-MAXSIZE")
      .Int(s.idmp_config().maxsize)
      .Arg("RETENTION-MS")
      .Int(r.max_age_ms)
      .Arg("RETENTION-MAXLEN")
      .Uint(r.maxlen)
      .Arg("RETENTION-REFS")
      .Arg(r.refs == streams::RefPolicy::kAcked ? "ACKED" : "KEEPREF");
}

void Writer::Trimmed(std::string_view key, const Stream& s, const streams::TrimOutcome& t) {
  if (!out_ || (t.removed == 0 && t.dropped.empty())) return;
  if (!t.listed) {
    if (t.strategy == streams::TrimSpec::Strategy::kMaxLen) return XTrimMaxLen(key, s.length());
    return XTrimMinId(key, s.length() > 0 ? s.first_id() : t.minid);
  }
  for (const auto& [group, id] : t.dropped) Ack(key, group, {&id, 1});
  TrimIds(key, t.ids);
}

void Writer::IdmpRecord(std::string_view key, std::string_view producer, std::string_view iid,
                        StreamId id) {
  if (!out_) return;
  CommandWriter(out_, 5).Arg("RUNNEL-IDMP").Arg(key).Arg(producer).Arg(iid).Arg(IdText(id).view());
}

void Writer::IdmpDuplicate(std::string_view key) {
  if (out_) CommandWriter(out_, 2).Arg("RUNNEL-IDMP-DUP").Arg(key);
}

void Writer::IdmpExpire(std::string_view key, int64_t cutoff_ms) {
  if (out_) CommandWriter(out_, 3).Arg("RUNNEL-IDMP-EXPIRE").Arg(key).Int(cutoff_ms);
}

void Writer::StreamLimits(const streams::StreamLimits& limits) {
  if (!out_) return;
  CommandWriter(out_, 3)
      .Arg("RUNNEL-LIMITS")
      .Uint(limits.node_max_bytes)
      .Uint(limits.node_max_entries);
}

// ---- replay ----

namespace {

// XADD key id field value [field value ...]
Result ApplyXAdd(ApplyContext& ctx, const EffectArgs& a) {
  auto id = a.size() >= 5 && a.size() % 2 == 1 ? a.Id(2) : std::nullopt;
  if (!id) return Result::Malformed();
  static thread_local std::vector<std::string_view> fields;
  fields.clear();
  for (size_t i = 3; i < a.size(); ++i) fields.push_back(a[i]);
  return AppendEntry(ctx, a[1], *id, fields);
}

}  // namespace

Stream* StreamOrCreate(ApplyContext& ctx, std::string_view key, bool* created) {
  bool wrong_type = false;
  Stream* s = StreamAt(ctx, key, &wrong_type);
  if (wrong_type) return nullptr;
  if (created != nullptr) *created = s == nullptr;
  if (s == nullptr) {
    auto fresh = std::make_unique<Stream>();
    fresh->SetIdmpConfig(ctx.new_stream);
    s = fresh.get();
    ctx.database().Set(key, streams::Value(std::move(fresh)));
  }
  return s;
}

Result AppendEntry(ApplyContext& ctx, std::string_view key, StreamId id,
                   std::span<const std::string_view> fields) {
  bool created = false;
  Stream* s = StreamOrCreate(ctx, key, &created);
  if (s == nullptr) return Result::Conflict("the key holds another type");
  if (!created && id <= s->last_id()) {
    return Result::Conflict("the ID is not above the stream's last ID");
  }
  s->Append(id, fields, ctx.limits);
  return Result::Applied();
}

namespace {

// XTRIM key MAXLEN [=] n | XTRIM key MINID [=] id: exact trims.
Result ApplyXTrim(ApplyContext& ctx, const EffectArgs& a) {
  size_t at = a.size() == 5 && a[3] == "=" ? 4 : 3;
  if (a.size() != at + 1) return Result::Malformed();
  streams::TrimSpec spec;
  if (a.Is(2, "MAXLEN")) {
    auto n = a.Int(at);
    if (!n || *n < 0) return Result::Malformed();
    spec.strategy = streams::TrimSpec::Strategy::kMaxLen;
    spec.maxlen = static_cast<uint64_t>(*n);
  } else if (a.Is(2, "MINID")) {
    auto id = a.Id(at);
    if (!id) return Result::Malformed();
    spec.strategy = streams::TrimSpec::Strategy::kMinId;
    spec.minid = *id;
  } else {
    return Result::Malformed();
  }
  Stream* s = StreamAt(ctx, a[1]);
  if (s == nullptr) return Result::Skipped();
  s->Trim(spec, ctx.limits);
  return Result::Applied();
}

// IDs from argument `from` on.
bool IdsFrom(const EffectArgs& a, size_t from, std::vector<StreamId>* ids) {
  for (size_t i = from; i < a.size(); ++i) {
    auto id = a.Id(i);
    if (!id) return false;
    ids->push_back(*id);
  }
  return !ids->empty();
}

// RUNNEL-TRIM key id [id ...]: entries a DELREF or ACKED trim removed.
Result ApplyTrimIds(ApplyContext& ctx, const EffectArgs& a) {
  std::vector<StreamId> ids;
  if (!IdsFrom(a, 2, &ids)) return Result::Malformed();
  Stream* s = StreamAt(ctx, a[1]);
  if (s == nullptr) return Result::Skipped();
  if (s->RemoveAsTrim(ids, ctx.limits) != ids.size()) {
    return Result::Conflict("the stream does not hold every entry named");
  }
  return Result::Applied();
}

Result ApplyXDel(ApplyContext& ctx, const EffectArgs& a) {
  std::vector<StreamId> ids;
  if (!IdsFrom(a, 2, &ids)) return Result::Malformed();
  Stream* s = StreamAt(ctx, a[1]);
  if (s == nullptr) return Result::Skipped();
  bool any = false;
  for (StreamId id : ids) any = s->Delete(id, ctx.limits) || any;
  return any ? Result::Applied() : Result::Skipped();
}

// XSETID key id [ENTRIESADDED n] [MAXDELETEDID id], options in any order and case (earlier
// versions logged it as sent).
Result ApplyXSetId(ApplyContext& ctx, const EffectArgs& a) {
  auto id = a.size() >= 3 ? a.Id(2) : std::nullopt;
  if (!id) return Result::Malformed();
  std::optional<uint64_t> added;
  std::optional<StreamId> max_deleted;
  for (size_t i = 3; i < a.size(); i += 2) {
    if (i + 1 >= a.size()) return Result::Malformed();
    if (a.Is(i, "ENTRIESADDED")) {
      auto v = a.Int(i + 1);
      if (!v || *v < 0) return Result::Malformed();
      added = static_cast<uint64_t>(*v);
    } else if (a.Is(i, "MAXDELETEDID")) {
      max_deleted = a.Id(i + 1);
      if (!max_deleted || *id < *max_deleted) return Result::Malformed();
    } else {
      return Result::Malformed();
    }
  }
  Stream* s = StreamAt(ctx, a[1]);
  if (s == nullptr) return Result::Skipped();
  if (s->SetId(*id, added, max_deleted) != streams::Errc::kOk) {
    return Result::Conflict("the stream refuses the new last ID");
  }
  return Result::Applied();
}

// XCFGSET key [IDMP-DURATION s] [IDMP-MAXSIZE n] [RETENTION-MS ms] [RETENTION-MAXLEN n]
// [RETENTION-REFS KEEPREF|ACKED], in any order and case; what is not named stays as it is.
Result ApplyXCfgSet(ApplyContext& ctx, const EffectArgs& a) {
  Stream* s = a.size() >= 4 ? StreamAt(ctx, a[1]) : nullptr;
  if (a.size() < 4 || a.size() % 2 != 0) return Result::Malformed();
  streams::IdmpConfig config = s != nullptr ? s->idmp_config() : streams::IdmpConfig{};
  streams::Retention retention = s != nullptr ? s->retention() : streams::Retention{};
  for (size_t i = 2; i + 1 < a.size(); i += 2) {
    auto v = a.Int(i + 1);
    if (a.Is(i, "IDMP-DURATION") && v && *v >= 1 && *v <= streams::kIdmpMaxDuration) {
      config.duration_s = *v;
    } else if (a.Is(i, "IDMP-MAXSIZE") && v && *v >= 1 && *v <= streams::kIdmpMaxMaxSize) {
      config.maxsize = *v;
    } else if (a.Is(i, "RETENTION-MS") && v && *v >= 0 && *v <= streams::kRetentionMaxAgeMs) {
      retention.max_age_ms = *v;
    } else if (a.Is(i, "RETENTION-MAXLEN") && v && *v >= 0) {
      retention.maxlen = static_cast<uint64_t>(*v);
    } else if (a.Is(i, "RETENTION-REFS") && (a.Is(i + 1, "KEEPREF") || a.Is(i + 1, "ACKED"))) {
      retention.refs =
          a.Is(i + 1, "ACKED") ? streams::RefPolicy::kAcked : streams::RefPolicy::kKeepRef;
    } else {
      return Result::Malformed();
    }
  }
  if (s == nullptr) return Result::Skipped();
  s->SetIdmpConfig(config);
  s->set_retention(retention);
  if (retention.max_age_ms > 0) ctx.database().TrackTimed(a[1]);  // for the age-out cron
  return Result::Applied();
}

// RUNNEL-IDMP key producer iid id: the iid XADD ... IDMP recorded (evicting as it did).
Result ApplyIdmpRecord(ApplyContext& ctx, const EffectArgs& a) {
  auto id = a.size() == 5 ? a.Id(4) : std::nullopt;
  if (!id || a[2].empty() || a[3].empty()) return Result::Malformed();
  Stream* s = StreamAt(ctx, a[1]);
  if (s == nullptr) return Result::Skipped();
  if (s->idmp() != nullptr && s->idmp()->Find(a[2], a[3])) {
    return Result::Conflict("the iid is recorded already");
  }
  s->idmp_state().Record(a[2], a[3], *id, static_cast<uint64_t>(s->idmp_config().maxsize));
  ctx.database().TrackIdmp(a[1]);
  return Result::Applied();
}

// RUNNEL-IDMP-DUP key: a duplicate IDMP XADD (its counter).
Result ApplyIdmpDuplicate(ApplyContext& ctx, const EffectArgs& a) {
  if (a.size() != 2) return Result::Malformed();
  Stream* s = StreamAt(ctx, a[1]);
  if (s == nullptr) return Result::Skipped();
  s->idmp_state().CountDuplicate();
  return Result::Applied();
}

// RUNNEL-IDMP-EXPIRE key cutoff-ms: the cron dropped the iids older than the cutoff.
Result ApplyIdmpExpire(ApplyContext& ctx, const EffectArgs& a) {
  auto cutoff = a.size() == 3 ? a.Int(2) : std::nullopt;
  if (!cutoff || *cutoff < 0) return Result::Malformed();
  Stream* s = StreamAt(ctx, a[1]);
  if (s == nullptr) return Result::Skipped();
  s->idmp_state().Expire(static_cast<uint64_t>(*cutoff));
  return Result::Applied();
}

// RUNNEL-LIMITS node-max-bytes node-max-entries
Result ApplyLimits(ApplyContext& ctx, const EffectArgs& a) {
  auto bytes = a.size() == 3 ? a.Int(1) : std::nullopt;
  auto entries = a.size() == 3 ? a.Int(2) : std::nullopt;
  if (!bytes || !entries || *bytes < 0 || *entries < 0) return Result::Malformed();
  ctx.limits = {static_cast<uint64_t>(*bytes), static_cast<uint64_t>(*entries)};
  ctx.limits_stated = true;
  return Result::Applied();
}

}  // namespace

void AddStreamAppliers(std::vector<Entry>& out) {
  out.insert(out.end(), {{"XADD", ApplyXAdd},
                         {"XTRIM", ApplyXTrim},
                         {"RUNNEL-TRIM", ApplyTrimIds},
                         {"XDEL", ApplyXDel},
                         {"XSETID", ApplyXSetId},
                         {"XCFGSET", ApplyXCfgSet},
                         {"RUNNEL-IDMP", ApplyIdmpRecord},
                         {"RUNNEL-IDMP-DUP", ApplyIdmpDuplicate},
                         {"RUNNEL-IDMP-EXPIRE", ApplyIdmpExpire},
                         {"RUNNEL-LIMITS", ApplyLimits}});
}

}  // namespace runnel::effects
