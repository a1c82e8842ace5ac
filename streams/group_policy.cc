#include "streams/group_policy.h"

#include <strings.h>

#include <algorithm>

#include "streams/numbers.h"

namespace runnel::streams {
namespace {

bool IEq(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool InRange(std::string_view text, int64_t max, int64_t* out) {
  auto v = ParseStrictInt64(text);
  if (!v || *v < 0 || *v > max) return false;
  *out = *v;
  return true;
}

// BACKOFF's values: one or more, up to the next argument that is not a number.
PolicyError ParseBackoff(std::span<const std::string_view> args, size_t* i,
                         std::vector<int64_t>* out, size_t* at) {
  out->clear();
  while (*i < args.size() && ParseStrictInt64(args[*i])) {
    int64_t ms;
    *at = *i;
    if (out->size() == kMaxBackoffSteps) return PolicyError::kTooManySteps;
    if (!InRange(args[*i], kMaxPolicyMs, &ms)) return PolicyError::kBadNumber;
    out->push_back(ms);
    ++*i;
  }
  if (out->empty()) return PolicyError::kMissingValue;
  // All zeros waits for nothing: the same as no backoff, kept in one form.
  if (std::all_of(out->begin(), out->end(), [](int64_t v) { return v == 0; })) out->clear();
  return PolicyError::kOk;
}

}  // namespace

int64_t GroupPolicy::MinBackoff() const {
  return backoff.empty() ? 0 : *std::min_element(backoff.begin(), backoff.end());
}

PolicyError ParsePolicy(std::span<const std::string_view> args, std::string_view key,
                        GroupPolicy* policy, size_t* at) {
  GroupPolicy next = *policy;
  size_t i = 0;
  while (i < args.size()) {
    std::string_view name = args[i];
    *at = i++;
    if (i >= args.size()) return PolicyError::kMissingValue;
    int64_t v = 0;
    if (IEq(name, "BACKOFF")) {
      PolicyError e = ParseBackoff(args, &i, &next.backoff, at);
      if (e != PolicyError::kOk) return e;
      continue;
    }
    std::string_view value = args[i++];
    if (IEq(name, "DEADLETTER")) {
      if (value == key && !value.empty()) return PolicyError::kDeadLetterIsSource;
      next.dead_letter = std::string(value);
      continue;
    }
    *at = i - 1;
    if (IEq(name, "MAXDELIVERIES")) {
      if (!InRange(value, kMaxPolicyCount, &v)) return PolicyError::kBadNumber;
      next.max_deliveries = static_cast<uint64_t>(v);
    } else if (IEq(name, "MAXPENDING")) {
      if (!InRange(value, kMaxPolicyCount, &v)) return PolicyError::kBadNumber;
      next.max_pending = static_cast<uint64_t>(v);
    } else if (IEq(name, "CONSUMER-EXPIRE")) {
      if (!InRange(value, kMaxPolicyMs, &v)) return PolicyError::kBadNumber;
      next.consumer_expire_ms = v;
    } else {
      *at = i - 2;
      return PolicyError::kUnknownName;
    }
  }
  if (next.max_deliveries > 0 && next.dead_letter.empty()) {
    *at = 0;
    return PolicyError::kNeedsDeadLetter;
  }
  *policy = std::move(next);
  return PolicyError::kOk;
}

std::vector<std::string> PolicyArgs(const GroupPolicy& p) {
  std::vector<std::string> out = {"MAXDELIVERIES", std::to_string(p.max_deliveries), "DEADLETTER",
                                  p.dead_letter, "BACKOFF"};
  if (p.backoff.empty()) out.push_back("0");
  for (int64_t ms : p.backoff) out.push_back(std::to_string(ms));
  out.insert(out.end(), {"MAXPENDING", std::to_string(p.max_pending), "CONSUMER-EXPIRE",
                         std::to_string(p.consumer_expire_ms)});
  return out;
}

}  // namespace runnel::streams
