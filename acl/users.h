// Users: every ACL user by name — the registry ACL SETUSER, AUTH and the ACL file work on.
//
// There is always a "default" user: the one every new connection starts as, on and nopass with
// every permission until configured otherwise (requirepass gives it a password). Users live at
// fixed addresses until deleted or replaced by a load, so clients may point at them; whoever
// deletes or replaces a user must first move its clients off it (the dispatcher does).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "acl/command_catalog.h"
#include "acl/user.h"

namespace runnel::acl {

// A refused ACL SETUSER: which rule and why (kUnmatchedParenthesis names the argument the
// selector began at).
struct SetUserError {
  RuleError error = RuleError::kNone;
  std::string rule;
};

class Users {
 public:
  explicit Users(const CommandCatalog* catalog);

  // acl-pubsub-default: whether new users (and "reset") start with every channel.
  void set_channels_default_all(bool all) { channels_default_all_ = all; }
  bool channels_default_all() const { return channels_default_all_; }

  User* Find(std::string_view name);
  User& default_user() { return *Find("default"); }
  // Creates the user if it does not exist; applies every rule or none.
  SetUserError SetUser(std::string_view name, const std::vector<std::string_view>& rules);
  // Removes a user (never "default"); false if there was none.
  bool Delete(std::string_view name);
  // In name order, as ACL LIST and ACL USERS give them.
  const std::map<std::string, std::unique_ptr<User>, std::less<>>& all() const { return users_; }

  // The ACL file: one "user <name> <rule> ..." line per user, arguments split as redis-cli
  // splits them (quotes allowed); blank lines are skipped. Builds a complete new set of users
  // (with "default" as it is at start when the file leaves it out) or, on any error, none:
  // false with every problem found, one "<path>:<line>: ..." sentence each, in *errors.
  bool Parse(std::string_view text, std::string_view path, Users* out, std::string* errors) const;
  // The file's text for the users as they are now.
  std::string Serialize() const;
  // Takes the users of `loaded` in place of these. The default user keeps its address (its
  // rules become the loaded ones); every other user of these is destroyed.
  void Replace(Users&& loaded);

 private:
  std::unique_ptr<User> NewDefaultUser() const;

  const CommandCatalog* catalog_;
  bool channels_default_all_ = false;
  std::map<std::string, std::unique_ptr<User>, std::less<>> users_;
};

}  // namespace runnel::acl
