#include "acl/user.h"

#include <algorithm>
#include <cctype>

#include "acl/password.h"

namespace runnel::acl {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The denial that says most about why: a channel over a key over the command itself, and of
// two alike the one at a later argument (Redis reports the same way).
bool MoreRelevant(const Denial& a, const Denial& b) {
  if (a.reason != b.reason) return a.reason > b.reason;
  return a.arg_index > b.arg_index;
}

Denial CheckSelector(const Selector& s, const AccessRequest& r) {
  if (!s.AllowsCommand(r.command_id, r.first_arg)) return {Denial::Reason::kCommand, "", 0};
  for (const AccessRequest::Key& k : r.keys) {
    if (!s.AllowsKey(k.name, k.access)) {
      return {Denial::Reason::kKey, std::string(k.name), k.arg_index};
    }
  }
  for (const AccessRequest::Channel& c : r.channels) {
    if (!s.AllowsChannel(c.name, r.channels_are_patterns)) {
      return {Denial::Reason::kChannel, std::string(c.name), c.arg_index};
    }
  }
  return {};
}

}  // namespace

User::User(std::string name, const CommandCatalog* catalog, bool channels_default_all)
    : name_(std::move(name)), catalog_(catalog), root_(catalog, channels_default_all) {}

RuleError User::Apply(std::string_view rule, bool channels_default_all) {
  const std::string lower = Lower(rule);
  if (lower == "on" || lower == "off") {
    enabled_ = lower == "on";
  } else if (lower == "nopass" || lower == "resetpass") {
    hashes_.clear();
    nopass_ = lower == "nopass";
  } else if (lower == "sanitize-payload" || lower == "skip-sanitize-payload") {
    sanitize_ = lower == "sanitize-payload" ? Sanitize::kSanitize : Sanitize::kSkip;
  } else if (lower == "clearselectors") {
    selectors_.clear();
  } else if (lower == "reset") {
    *this = User(name_, catalog_, channels_default_all);
    sanitize_ = Sanitize::kSanitize;
  } else if (!rule.empty() && (rule[0] == '>' || rule[0] == '#')) {
    std::string hash = rule[0] == '>' ? Sha256Hex(rule.substr(1)) : std::string(rule.substr(1));
    if (!IsPasswordHash(hash)) return RuleError::kBadHash;
    if (std::find(hashes_.begin(), hashes_.end(), hash) == hashes_.end()) hashes_.push_back(hash);
    nopass_ = false;
  } else if (!rule.empty() && (rule[0] == '<' || rule[0] == '!')) {
    std::string hash = rule[0] == '<' ? Sha256Hex(rule.substr(1)) : std::string(rule.substr(1));
    if (!IsPasswordHash(hash)) return RuleError::kBadHash;
    auto it = std::find(hashes_.begin(), hashes_.end(), hash);
    if (it == hashes_.end()) return RuleError::kNoSuchPassword;
    hashes_.erase(it);
  } else if (!rule.empty() && rule[0] == '(') {
    if (rule.size() < 2 || rule.back() != ')') return RuleError::kUnmatchedParenthesis;
    return ApplySelector(rule.substr(1, rule.size() - 2), channels_default_all);
  } else {
    return root_.Apply(rule);
  }
  return RuleError::kNone;
}

// The rules inside "( ... )", separated by spaces; a rule only users have (on, >pw, reset)
// is a syntax error there.
RuleError User::ApplySelector(std::string_view body, bool channels_default_all) {
  Selector selector(catalog_, channels_default_all);
  while (!body.empty()) {
    const size_t sp = body.find(' ');
    std::string_view word = body.substr(0, sp);
    if (!word.empty()) {
      RuleError e = selector.Apply(word);
      if (e != RuleError::kNone) return e;
    }
    if (sp == std::string_view::npos) break;
    body.remove_prefix(sp + 1);
  }
  selectors_.push_back(std::move(selector));
  return RuleError::kNone;
}

bool User::CheckPassword(std::string_view password) const {
  if (nopass_) return true;
  const std::string hash = Sha256Hex(password);
  bool match = false;
  for (const std::string& h : hashes_) match |= ConstantTimeEquals(h, hash);
  return match;
}

Denial User::Check(const AccessRequest& request) const {
  Denial best = CheckSelector(root_, request);
  if (!best) return best;
  for (const Selector& s : selectors_) {
    Denial d = CheckSelector(s, request);
    if (!d) return d;
    if (MoreRelevant(d, best)) best = std::move(d);
  }
  return best;
}

bool User::AllowsChannel(std::string_view channel, bool is_pattern) const {
  if (root_.AllowsChannel(channel, is_pattern)) return true;
  for (const Selector& s : selectors_) {
    if (s.AllowsChannel(channel, is_pattern)) return true;
  }
  return false;
}

bool User::unrestricted() const {
  return root_.all_commands() && root_.all_keys() && root_.all_channels();
}

std::vector<std::string_view> User::Flags() const {
  std::vector<std::string_view> flags{enabled_ ? "on" : "off"};
  if (nopass_) flags.push_back("nopass");
  if (sanitize_ == Sanitize::kSkip) flags.push_back("skip-sanitize-payload");
  if (sanitize_ == Sanitize::kSanitize) flags.push_back("sanitize-payload");
  return flags;
}

std::vector<std::string> User::Words() const {
  std::vector<std::string> words;
  for (std::string_view f : Flags()) words.emplace_back(f);
  for (const std::string& h : hashes_) words.push_back("#" + h);
  for (std::string& w : root_.Words()) words.push_back(std::move(w));
  for (const Selector& s : selectors_) {
    std::string inner;
    for (const std::string& w : s.Words()) inner.append(inner.empty() ? "" : " ").append(w);
    words.push_back("(" + inner + ")");
  }
  return words;
}

std::string User::Describe() const {
  std::string out = "user " + name_;
  for (const std::string& w : Words()) out.append(" ").append(w);
  return out;
}

bool JoinSelectorArgs(const std::vector<std::string_view>& args, std::vector<std::string>* out,
                      std::string* unmatched) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a.empty() || a[0] != '(' || a.back() == ')') {
      out->emplace_back(a);
      continue;
    }
    std::string joined(a);
    size_t j = i + 1;
    for (; j < args.size(); ++j) {
      joined.append(" ").append(args[j]);
      if (!args[j].empty() && args[j].back() == ')') break;
    }
    if (j == args.size()) {
      *unmatched = std::string(a);
      return false;
    }
    out->push_back(std::move(joined));
    i = j;
  }
  return true;
}

}  // namespace runnel::acl
