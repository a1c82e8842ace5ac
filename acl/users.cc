#include "acl/users.h"

#include "resp/arg_list.h"
#include "resp/request_parser.h"

namespace runnel::acl {
namespace {

std::string LinePrefix(std::string_view path, size_t line) {
  return std::string(path) + ":" + std::to_string(line);
}

// A rule word written back to the file: quoted when redis-cli's splitting would otherwise cut
// or change it.
std::string Quoted(std::string_view word) {
  bool plain = !word.empty();
  for (char c : word) {
    if (c == ' ' || c == '"' || c == '\'' || c == '\\' || static_cast<unsigned char>(c) < 32 ||
        static_cast<unsigned char>(c) > 126) {
      plain = false;
    }
  }
  if (plain) return std::string(word);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : word) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 32 || u > 126) {
      out.append("\\x").push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

}  // namespace

Users::Users(const CommandCatalog* catalog) : catalog_(catalog) {
  users_.emplace("default", NewDefaultUser());
}

std::unique_ptr<User> Users::NewDefaultUser() const {
  auto user = std::make_unique<User>("default", catalog_, channels_default_all_);
  for (std::string_view rule : {"on", "nopass", "~*", "&*", "+@all"}) {
    user->Apply(rule, channels_default_all_);
  }
  return user;
}

User* Users::Find(std::string_view name) {
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second.get();
}

SetUserError Users::SetUser(std::string_view name, const std::vector<std::string_view>& rules) {
  std::vector<std::string> joined;
  std::string unmatched;
  if (!JoinSelectorArgs(rules, &joined, &unmatched)) {
    return {RuleError::kUnmatchedParenthesis, unmatched};
  }
  User* existing = Find(name);
  User copy =
      existing != nullptr ? *existing : User(std::string(name), catalog_, channels_default_all_);
  for (const std::string& rule : joined) {
    RuleError e = copy.Apply(rule, channels_default_all_);
    if (e != RuleError::kNone) return {e, rule};
  }
  if (existing != nullptr) {
    *existing = std::move(copy);  // same address: logged-in clients see the change
  } else {
    users_.emplace(std::string(name), std::make_unique<User>(std::move(copy)));
  }
  return {};
}

bool Users::Delete(std::string_view name) {
  if (name == "default") return false;
  auto it = users_.find(name);
  if (it == users_.end()) return false;
  users_.erase(it);
  return true;
}

void Users::Replace(Users&& loaded) {
  std::unique_ptr<User> kept = std::move(users_.at("default"));
  *kept = std::move(*loaded.users_.at("default"));
  users_ = std::move(loaded.users_);
  users_.at("default") = std::move(kept);
}

bool Users::Parse(std::string_view text, std::string_view path, Users* out,
                  std::string* errors) const {
  out->channels_default_all_ = channels_default_all_;
  out->users_.clear();
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    resp::ArgList args;
    if (!resp::SplitInlineArgs(line, args)) {
      errors->append(LinePrefix(path, line_no) + ": unbalanced quotes in configuration line. ");
      continue;
    }
    if (args.size() == 0) continue;
    if (args.size() < 2 || args[0] != "user") {
      errors->append(LinePrefix(path, line_no) +
                     " should start with user keyword followed by the username. ");
      continue;
    }
    if (out->users_.count(args[1]) != 0) {
      errors->append(LinePrefix(path, line_no) + ": Duplicate user '" + std::string(args[1]) +
                     "' found. ");
      continue;
    }
    std::vector<std::string_view> rules;
    for (size_t i = 2; i < args.size(); ++i) rules.push_back(args[i]);
    // A user in the file starts from nothing, not from a user of the same name in memory.
    out->users_.emplace(std::string(args[1]), std::make_unique<User>(std::string(args[1]), catalog_,
                                                                     out->channels_default_all_));
    SetUserError e = out->SetUser(args[1], rules);
    if (e.error == RuleError::kUnmatchedParenthesis) {
      errors->append(LinePrefix(path, line_no) + ": " + std::string(RuleErrorText(e.error)) +
                     " starting at '" + e.rule + "'. ");
    } else if (e.error != RuleError::kNone) {
      errors->append(LinePrefix(path, line_no) + ": Error in applying operation '" + e.rule +
                     "': " + std::string(RuleErrorText(e.error)) + ". ");
    }
  }
  if (out->users_.count("default") == 0) out->users_.emplace("default", NewDefaultUser());
  return errors->empty();
}

std::string Users::Serialize() const {
  std::string out;
  for (const auto& [name, user] : users_) {
    out.append("user ").append(Quoted(name));
    for (const std::string& word : user->Words()) out.append(" ").append(Quoted(word));
    out.append("\n");
  }
  return out;
}

}  // namespace runnel::acl
