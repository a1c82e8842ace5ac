#include "streams/trim.h"

#include <algorithm>

namespace runnel::streams {

TrimOutcome TrimWithRefs(Stream& s, const TrimSpec& spec, RefPolicy policy,
                         const StreamLimits& limits) {
  TrimOutcome out;
  out.strategy = spec.strategy;
  out.minid = spec.minid;
  if (policy == RefPolicy::kKeepRef) {
    out.removed = s.Trim(spec, limits);
    return out;
  }
  out.listed = true;
  out.ids = s.PlanTrim(
      spec, [&](StreamId id) { return policy == RefPolicy::kDelRef || !s.ReferencedByGroups(id); });
  if (out.ids.empty()) return out;
  if (policy == RefPolicy::kDelRef) {
    for (StreamId id : out.ids) {
      for (std::string_view group : s.DropReferences(id)) out.dropped.emplace_back(group, id);
    }
  }
  out.removed = s.RemoveAsTrim(out.ids, limits);
  return out;
}

namespace {

// Where an ACKED walk may stop: entries after the lowest group position are not delivered to
// that group yet, so none of them can go.
StreamId FirstUndelivered(const Stream& s) {
  StreamId end = StreamId::Max();
  for (const auto& [name, g] : s.groups()) {
    if (auto next = g->last_delivered().Next()) end = std::min(end, *next);
  }
  return end;
}

}  // namespace

TrimOutcome TrimToRetention(Stream& s, int64_t approx_limit, const StreamLimits& limits) {
  const Retention& r = s.retention();
  if (r.maxlen == 0 || s.length() <= r.maxlen) return {};
  TrimSpec spec{.strategy = TrimSpec::Strategy::kMaxLen,
                .approx = true,
                .maxlen = r.maxlen,
                .limit = approx_limit};
  if (r.refs != RefPolicy::kAcked) return TrimWithRefs(s, spec, r.refs, limits);
  // Under ACKED a lagging group can hold the head of the stream, and this runs on every
  // append: the walk stops at the first undelivered entry and after kAckedRetentionWindow
  // entries, so an append never pays for the whole stream. Entries further in go once the
  // ones before them are done (and RETENTION-MS, which resumes past held entries, reaches them).
  TrimOutcome out;
  out.listed = true;
  out.ids = s.PlanTrim(
      spec, [&](StreamId id) { return !s.ReferencedByGroups(id); }, FirstUndelivered(s),
      kAckedRetentionWindow);
  if (!out.ids.empty()) out.removed = s.RemoveAsTrim(out.ids, limits);
  return out;
}

namespace {

// KEEPREF: everything before the cutoff, or before the entry `budget` entries in when more
// than that are older, as one exact MINID trim.
TrimOutcome AgeOutAll(Stream& s, StreamId cutoff, size_t budget, const StreamLimits& limits) {
  StreamId threshold = cutoff;
  size_t seen = 0;
  for (Stream::Iterator it = s.Range(StreamId::Min(), StreamId::Max(), false); it.Next();) {
    if (it.id() >= cutoff) break;
    if (seen == budget) {
      threshold = it.id();
      break;
    }
    ++seen;
  }
  TrimSpec spec{.strategy = TrimSpec::Strategy::kMinId, .approx = false, .minid = threshold};
  TrimOutcome out = TrimWithRefs(s, spec, RefPolicy::kKeepRef, limits);
  out.examined = seen;
  out.more = threshold != cutoff;
  return out;
}

// ACKED: the unreferenced entries before the cutoff. Entries after a group's position are
// referenced (not delivered yet), so the walk stops at the lowest position too.
TrimOutcome AgeOutAcked(Stream& s, StreamId cutoff, size_t budget, const StreamLimits& limits) {
  const StreamId end = std::min(cutoff, FirstUndelivered(s));  // exclusive
  TrimOutcome out;
  out.listed = true;
  size_t seen = 0;
  StreamId resume;
  for (Stream::Iterator it = s.Range(s.age_scan_from(), StreamId::Max(), false); it.Next();) {
    if (it.id() >= end) break;
    if (seen == budget) {
      resume = it.id();
      break;
    }
    ++seen;
    if (!s.ReferencedByGroups(it.id())) out.ids.push_back(it.id());
  }
  s.set_age_scan_from(resume);  // 0-0 once the walk reached the end: start over next time
  out.examined = seen;
  out.more = !resume.IsMin();
  if (!out.ids.empty()) out.removed = s.RemoveAsTrim(out.ids, limits);
  return out;
}

}  // namespace

TrimOutcome AgeOut(Stream& s, int64_t now_ms, size_t budget, const StreamLimits& limits) {
  const Retention& r = s.retention();
  if (r.max_age_ms <= 0 || s.length() == 0 || now_ms <= r.max_age_ms) return {};
  StreamId cutoff{static_cast<uint64_t>(now_ms - r.max_age_ms), 0};
  if (s.first_id() >= cutoff) return {};
  return r.refs == RefPolicy::kAcked ? AgeOutAcked(s, cutoff, budget, limits)
                                     : AgeOutAll(s, cutoff, budget, limits);
}

}  // namespace runnel::streams
