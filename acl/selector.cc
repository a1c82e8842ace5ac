#include "acl/selector.h"

#include <algorithm>
#include <cctype>

#include "streams/glob.h"

namespace runnel::acl {
namespace {

constexpr size_t kMaxCompactedRules = 64;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IEq(std::string_view a, std::string_view b) {
  return a.size() == b.size() && Lower(a) == Lower(b);
}

// The name a command rule is about: "+config|get" → "config|get", "-@write" → "@write".
std::string_view RuleName(std::string_view rule) { return rule.substr(1); }

void Join(std::string* out, std::string_view word) {
  if (!out->empty()) out->push_back(' ');
  out->append(word);
}

}  // namespace

Selector::Selector(const CommandCatalog* catalog, bool all_channels)
    : catalog_(catalog), allowed_((catalog->size() + 63) / 64, 0), all_channels_(all_channels) {}

RuleError Selector::Apply(std::string_view rule) {
  const std::string lower = Lower(rule);
  if (lower == "allkeys" || rule == "~*") {
    all_keys_ = true;
    keys_.clear();
    return RuleError::kNone;
  }
  if (lower == "resetkeys") {
    all_keys_ = false;
    keys_.clear();
    return RuleError::kNone;
  }
  if (lower == "allchannels" || rule == "&*") {
    all_channels_ = true;
    channels_.clear();
    return RuleError::kNone;
  }
  if (lower == "resetchannels") {
    all_channels_ = false;
    channels_.clear();
    return RuleError::kNone;
  }
  if (lower == "allcommands" || lower == "+@all" || lower == "nocommands" || lower == "-@all") {
    SetAll(lower == "allcommands" || lower == "+@all");
    return RuleError::kNone;
  }
  if (rule.empty()) return RuleError::kSyntax;
  if (rule[0] == '~') return AddKeyPattern(rule.substr(1), kKeyRead | kKeyWrite);
  if (rule[0] == '%') {
    // %R~p, %W~p, %RW~p: each of R and W at most once, then '~' and the pattern.
    const size_t tilde = rule.find('~');
    if (tilde == std::string_view::npos || tilde == 1) return RuleError::kSyntax;
    uint8_t access = 0;
    for (char c : rule.substr(1, tilde - 1)) {
      const uint8_t bit = (c == 'R' || c == 'r')   ? kKeyRead
                          : (c == 'W' || c == 'w') ? kKeyWrite
                                                   : 0;
      if (bit == 0 || (access & bit)) return RuleError::kSyntax;
      access |= bit;
    }
    return AddKeyPattern(rule.substr(tilde + 1), access);
  }
  if (rule[0] == '&') {
    if (all_channels_) return RuleError::kChannelAfterAll;
    std::string pattern(rule.substr(1));
    if (std::find(channels_.begin(), channels_.end(), pattern) == channels_.end()) {
      channels_.push_back(std::move(pattern));
    }
    return RuleError::kNone;
  }
  if (rule[0] == '+' || rule[0] == '-') {
    const bool allow = rule[0] == '+';
    std::string_view name = rule.substr(1);
    if (!name.empty() && name[0] == '@') return ApplyCategory(allow, name.substr(1));
    return ApplyCommandRule(allow, name);
  }
  return RuleError::kSyntax;
}

RuleError Selector::AddKeyPattern(std::string_view pattern, uint8_t access) {
  if (all_keys_) return RuleError::kKeyAfterAllKeys;
  for (KeyPattern& k : keys_) {
    if (k.pattern == pattern) {
      k.access |= access;  // "%R~x %W~x" is "~x"
      return RuleError::kNone;
    }
  }
  keys_.push_back({std::string(pattern), access});
  return RuleError::kNone;
}

void Selector::SetAll(bool allow) {
  std::fill(allowed_.begin(), allowed_.end(), allow ? ~uint64_t{0} : 0);
  all_commands_ = allow;
  rules_.clear();
  first_args_.clear();
}

bool Selector::Bit(int id) const {
  return (allowed_[static_cast<size_t>(id) / 64] >> (id % 64)) & 1;
}

// A command's bit, its subcommands' with it (+config is every CONFIG subcommand); a command
// allowed or refused as a whole loses the first arguments it was allowed with.
void Selector::SetBit(int id, bool allow) {
  uint64_t& word = allowed_[static_cast<size_t>(id) / 64];
  const uint64_t mask = uint64_t{1} << (id % 64);
  word = allow ? (word | mask) : (word & ~mask);
  std::erase_if(first_args_, [id](const auto& f) { return f.first == id; });
  for (int child : catalog_->at(id).children) SetBit(child, allow);
}

RuleError Selector::ApplyCategory(bool allow, std::string_view name) {
  const int category = CategoryIndex(name);
  if (category < 0) return RuleError::kUnknownCommand;
  for (size_t id = 0; id < catalog_->size(); ++id) {
    if (catalog_->at(static_cast<int>(id)).categories & (CategorySet{1} << category)) {
      SetBit(static_cast<int>(id), allow);
    }
  }
  const std::string canonical = "@" + std::string(kCategories[static_cast<size_t>(category)]);
  Record((allow ? "+" : "-") + canonical, canonical);
  return RuleError::kNone;
}

RuleError Selector::ApplyCommandRule(bool allow, std::string_view name) {
  const size_t bar = name.find('|');
  const int id = catalog_->Find(name.substr(0, bar));
  if (bar != std::string_view::npos && bar + 1 == name.size()) return RuleError::kSyntax;
  if (id < 0) return RuleError::kUnknownCommand;
  const std::string base = catalog_->at(id).fullname;
  if (bar == std::string_view::npos) {
    SetBit(id, allow);
    Record((allow ? "+" : "-") + base, base);
    return RuleError::kNone;
  }
  std::string_view rest = name.substr(bar + 1);
  if (!catalog_->at(id).children.empty()) {
    if (rest.find('|') != std::string_view::npos) return RuleError::kFirstArgOfSubcommand;
    const int sub = catalog_->Find(base + "|" + std::string(rest));
    if (sub < 0) return RuleError::kUnknownCommand;
    SetBit(sub, allow);
    Record((allow ? "+" : "-") + catalog_->at(sub).fullname, catalog_->at(sub).fullname);
    return RuleError::kNone;
  }
  // A first argument of a plain command (+select|0): allowing only; Redis has no way to refuse
  // one argument of an allowed command either.
  if (!allow) return RuleError::kUnknownCommand;
  if (!Bit(id)) {
    const bool known = std::any_of(first_args_.begin(), first_args_.end(), [&](const auto& f) {
      return f.first == id && IEq(f.second, rest);
    });
    if (!known) first_args_.emplace_back(id, std::string(rest));
  }
  Record("+" + base + "|" + std::string(rest), base + "|" + Lower(rest));
  return RuleError::kNone;
}

// The rules since the base are kept short: a rule drops the earlier rules it overrides (those
// about the same command or category, about a subcommand or first argument of the command it
// names, or for a category about a command in it); it is left out itself when the rules
// without it already rebuild the same permissions; and rules that stopped mattering go. Each
// step is checked by replaying the rules on a fresh selector, so the description always
// rebuilds exactly what this selector allows.
void Selector::Record(std::string rule, std::string_view name) {
  if (!recording_) return;
  const int category = name[0] == '@' ? CategoryIndex(name.substr(1)) : -1;
  auto overridden = [&](const std::string& earlier) {
    std::string_view n = RuleName(earlier);
    if (n == name) return true;
    if (category >= 0) {  // a category resets every command in it, first arguments and all
      if (n[0] == '@') return false;
      int id = catalog_->Find(n);
      if (id < 0) id = catalog_->Find(n.substr(0, n.find('|')));
      return id >= 0 && (catalog_->at(id).categories & (CategorySet{1} << category)) != 0;
    }
    return n.size() > name.size() && n.substr(0, name.size()) == name && n[name.size()] == '|';
  };
  std::vector<std::string> kept;
  for (const std::string& r : rules_) {
    if (!overridden(r)) kept.push_back(r);
  }
  auto rebuilds = [&](const std::vector<std::string>& rules) {
    Selector replay(catalog_, false);
    replay.recording_ = false;
    replay.SetAll(all_commands_);
    for (const std::string& r : rules) {
      std::string_view n = RuleName(r);
      if (n[0] == '@') {
        replay.ApplyCategory(r[0] == '+', n.substr(1));
      } else {
        replay.ApplyCommandRule(r[0] == '+', n);
      }
    }
    auto sorted = [](std::vector<std::pair<int, std::string>> v) {
      for (auto& f : v) f.second = Lower(f.second);
      std::sort(v.begin(), v.end());
      return v;
    };
    return replay.allowed_ == allowed_ && sorted(replay.first_args_) == sorted(first_args_);
  };
  // The replay records rules of its own; only its permissions are compared. Past a few dozen
  // rules the replays would cost more than a short description is worth (a SETUSER of
  // thousands of first arguments), and the rule is just appended, which is always exact.
  if (rules_.size() > kMaxCompactedRules) {
    rules_.push_back(std::move(rule));
    return;
  }
  if (!rebuilds(kept)) {
    kept.push_back(rule);
    if (!rebuilds(kept)) {
      kept = rules_;
      kept.push_back(std::move(rule));  // every rule in order rebuilds it, whatever it holds
    }
  }
  // Then rules that no longer change anything go ("-@slow" once nothing slow is allowed), so
  // the description is the same however the permissions were reached.
  for (size_t i = 0; i < kept.size();) {
    std::vector<std::string> without = kept;
    without.erase(without.begin() + static_cast<std::ptrdiff_t>(i));
    if (rebuilds(without)) {
      kept = std::move(without);
    } else {
      ++i;
    }
  }
  rules_ = std::move(kept);
}

bool Selector::AllowsCommand(int id, std::string_view first_arg) const {
  if (Bit(id)) return true;
  for (const auto& [command, arg] : first_args_) {
    if (command == id && IEq(arg, first_arg)) return true;
  }
  return false;
}

bool Selector::AllowsKey(std::string_view key, uint8_t access) const {
  if (all_keys_) return true;
  for (const KeyPattern& k : keys_) {
    if ((k.access & access) == access && streams::GlobMatch(k.pattern, key)) return true;
  }
  return false;
}

bool Selector::AllowsChannel(std::string_view channel, bool is_pattern) const {
  if (all_channels_) return true;
  for (const std::string& p : channels_) {
    if (is_pattern ? p == channel : streams::GlobMatch(p, channel)) return true;
  }
  return false;
}

std::string Selector::DescribeKeys() const {
  if (all_keys_) return "~*";
  std::string out;
  for (const KeyPattern& k : keys_) {
    const char* prefix = k.access == kKeyRead ? "%R~" : k.access == kKeyWrite ? "%W~" : "~";
    Join(&out, prefix + k.pattern);
  }
  return out;
}

std::string Selector::DescribeChannels() const {
  if (all_channels_) return "&*";
  std::string out;
  for (const std::string& c : channels_) Join(&out, "&" + c);
  return out;
}

std::string Selector::DescribeCommands() const {
  std::string out = all_commands_ ? "+@all" : "-@all";
  for (const std::string& r : rules_) Join(&out, r);
  return out;
}

std::vector<std::string> Selector::Words() const {
  std::vector<std::string> words;
  if (all_keys_) words.emplace_back("~*");
  for (const KeyPattern& k : keys_) {
    const char* prefix = k.access == kKeyRead ? "%R~" : k.access == kKeyWrite ? "%W~" : "~";
    words.push_back(prefix + k.pattern);
  }
  words.emplace_back(all_channels_ ? "&*" : "resetchannels");
  for (const std::string& c : channels_) words.push_back("&" + c);
  words.emplace_back(all_commands_ ? "+@all" : "-@all");
  for (const std::string& r : rules_) words.push_back(r);
  return words;
}

}  // namespace runnel::acl
